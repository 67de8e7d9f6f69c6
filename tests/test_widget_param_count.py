"""Parameter counter: hand-counted presets and published totals."""

import pytest

from app.widgets.param_count import Params, compute
from tests.browser_support import TIMEOUT_MS, expect, set_control
from tests.lesson_support import widget


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


def test_picker_fills_the_fields_and_later_edits_take_effect():
    """Lesson 20's exercise: SmolLM2 from the picker, then 9 K/V heads, then untied."""
    from app.widgets.param_count import SPEC

    label, values = SPEC.presets["smollm2-135m"]
    assert label == "SmolLM2-135M" and values["preset"] == "custom"
    assert compute(SPEC.parse(values)).total == 134_515_008
    mha = compute(SPEC.parse({**values, "kv_heads": 9})).total
    assert mha == 147_786_048
    untied = compute(SPEC.parse({**values, "kv_heads": 9, "tied": False})).total
    assert untied - mha == 28_311_552 == 49152 * 576


def test_preset_mode_shows_and_sends_only_the_preset(client):
    from app.widgets.param_count import SPEC

    assert SPEC.state(SPEC.parse({"preset": "smollm2-135m"})) == {"preset": "smollm2-135m"}
    custom = SPEC.state(SPEC.params(style="llama"))
    assert "kv_heads" in custom and "context" not in custom  # RoPE: no position table
    assert "context" in SPEC.state(SPEC.params()) and "kv_heads" not in SPEC.state(SPEC.params())
    html = client.get("/playground/param-count?preset=smollm2-135m").text
    assert "134,515,008" in html and "SmolLM2-135M as published" in html
    assert 'data-preset-form="w-param-count-form"' in html
    field = html[html.index('id="w-param-count-kv_heads"') - 10:][:400]
    assert "disabled" in field


@pytest.mark.browser
def test_lesson_20_exercise_in_the_browser(page):
    """SmolLM2 from the picker, then 9 K/V heads, then untie the output head."""
    from app.widgets.param_count import SPEC

    page.goto("/playground/param-count?preset=smollm2-135m")
    total = page.get_by_test_id("pc-total")
    shown = widget("param-count", preset="smollm2-135m")["total_text"]
    expect(total).to_have_text(shown, timeout=TIMEOUT_MS)
    kv = page.locator("#w-param-count-kv_heads")
    expect(kv).to_be_hidden()
    page.select_option("#w-param-count-presets", "smollm2-135m")
    fields = SPEC.presets["smollm2-135m"][1]
    expect(kv).to_be_visible()
    expect(kv).to_have_value(str(fields["kv_heads"]))
    for field, value in (("kv_heads", 9), ("tied", False)):
        fields = fields | {field: value}
        set_control(page, "param-count", field, value)
        shown, before = widget("param-count", **fields)["total_text"], shown
        assert shown != before, f"{field} = {value} would leave the total at {before}"
        expect(total).to_have_text(shown, timeout=TIMEOUT_MS)
    assert "tied=false" in page.url and "kv_heads=9" in page.url
