"""Parameter counter: hand-counted presets and published totals."""

import pytest

from app.widgets.param_count import Params, compute


def test_gpt2_small_matches_the_released_124m_checkpoint():
    # wte 50257·768 + wpe 1024·768 + 12 × 7,087,872 per block + final LayerNorm 1536
    result = compute(Params(preset="gpt2-small"))
    assert result.per_layer == 7_087_872
    assert result.total == 38_597_376 + 786_432 + 12 * 7_087_872 + 1536 == 124_439_808


def test_gpt3_rounds_to_the_papers_175b():
    result = compute(Params(preset="gpt3-175b"))
    assert result.total == 174_604_259_328
    assert round(result.total / 1e9) == 175


def test_llama2_7b_rounds_to_7b_with_untied_output():
    result = compute(Params(preset="llama2-7b"))
    parts = {p.name: p.params for p in result.parts}
    assert parts["output head"] == parts["token embeddings"] == 32000 * 4096
    assert result.total == 6_738_415_616 and round(result.total / 1e9) == 7


def test_smollm2_counts_gqa_projections():
    result = compute(Params(preset="smollm2-135m"))
    # q 576², k and v 576·(3·64), o 576², SwiGLU 3·576·1536, two RMSNorm gains
    per_layer = 2 * 576 * 576 + 2 * 576 * 192 + 3 * 576 * 1536 + 2 * 576
    assert result.per_layer == per_layer
    assert result.total == 49152 * 576 + 30 * per_layer + 576 == 134_515_008


def test_twelve_l_d_squared_rule_is_close_for_gpt3():
    result = compute(Params(preset="gpt3-175b"))
    blocks = result.total - sum(p.params for p in result.parts if "embeddings" in p.name)
    assert result.approx_12ld2 == pytest.approx(blocks, rel=0.001)


@pytest.mark.parametrize(("query", "words"), [
    ("heads=7&d_model=768", "heads (7) must divide d_model (768)"),
    ("style=llama&heads=12&kv_heads=5", "kv_heads (5) must divide heads (12)"),
    ("layers=0", "greater than or equal to 1"),
    ("preset=gpt5", "Input should be"),
])
def test_bad_config_is_a_readable_422(client, query, words):
    response = client.get(f"/api/widgets/param-count?{query}")
    assert response.status_code == 422 and words in response.json()["error"]


def test_json_and_fragment(client):
    data = client.get("/api/widgets/param-count?preset=gpt2-small").json()
    assert data["total"] == 124_439_808 and data["total_label"] == "124.4M"
    html = client.get("/widgets/param-count?preset=gpt2-small").text
    assert "124,439,808" in html and "Radford" in html


def test_smollm2_preset_equals_the_sum_of_its_gguf_tensor_shapes():
    import gguf

    from app.engine.smollm2 import gguf_path

    tensors = gguf.GGUFReader(str(gguf_path())).tensors
    assert compute(Params(preset="smollm2-135m")).total == sum(int(t.n_elements) for t in tensors)
