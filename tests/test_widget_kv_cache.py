"""kv-cache widget: hand-computed sizes, presets, the fragment."""

import pytest

from app.widgets import kv_cache
from app.widgets.kv_cache import PRESETS

GIB = 2**30
LLAMA2_7B = "?layers=32&d_model=4096&heads=32&kv_heads=8&seq_len=131072&batch=1&dtype=fp16"


def get(client, query: str = ""):
    return client.get(f"/api/widgets/kv-cache{query}")


def test_llama2_style_at_128k_hand_computed(client):
    body = get(client, LLAMA2_7B).json()
    # head_dim 4096/32 = 128; MHA: 2·32·32·128·131072·2 B = 2^36 B = 64 GiB.
    assert body["head_dim"] == 128
    assert body["variants"]["mha"] == {"kv_heads": 32, "bytes": 64 * GIB, "gib": 64.0}
    assert body["variants"]["gqa"] == {"kv_heads": 8, "bytes": 16 * GIB, "gib": 16.0}
    assert body["variants"]["mqa"] == {"kv_heads": 1, "bytes": 2 * GIB, "gib": 2.0}
    assert body["bytes"] == 16 * GIB and body["gib"] == 16.0
    # per token: 2·32·8·128·2 B = 128 KiB.
    assert body["per_token_bytes"] == 131072


@pytest.mark.parametrize("dtype, factor", [
    ("fp32", 2.0), ("fp16", 1.0), ("bf16", 1.0), ("fp8", 0.5), ("int8", 0.5), ("int4", 0.25),
])
def test_dtype_scales_bytes(client, dtype, factor):
    body = get(client, LLAMA2_7B.replace("fp16", dtype)).json()
    assert body["gib"] == pytest.approx(16.0 * factor)


def test_batch_and_length_are_linear(client):
    body = get(client, "?layers=2&d_model=8&heads=2&kv_heads=1&seq_len=3&batch=5&dtype=fp32").json()
    # 2 · 2 layers · 1 kv head · 4 head_dim · 3 tokens · 5 seqs · 4 B = 960 B.
    assert body["bytes"] == 960
    assert body["per_token_bytes"] == 2 * 2 * 1 * 4 * 4


def test_smollm2_preset(client):
    _, arch = PRESETS["smollm2-135m"]
    body = get(client, "?" + "&".join(f"{k}={v}" for k, v in arch.items())
               + "&seq_len=8192&dtype=fp16").json()
    # head_dim 576/9 = 64; 2·30·3·64·8192·2 B = 180 MiB.
    assert body["head_dim"] == 64
    assert body["bytes"] == 2 * 30 * 3 * 64 * 8192 * 2 == 180 * 2**20
    frag = client.get("/widgets/kv-cache?layers=30&d_model=576&heads=9&kv_heads=3"
                      "&seq_len=8192&dtype=fp16").text
    assert 'data-testid="kv-gib">180.0 MiB</strong> (0.176 GiB)' in frag


@pytest.mark.parametrize("key", list(PRESETS))
def test_every_preset_is_valid(client, key):
    _, arch = PRESETS[key]
    r = get(client, "?" + "&".join(f"{k}={v}" for k, v in arch.items()))
    assert r.status_code == 200
    assert r.json()["variants"]["gqa"]["kv_heads"] == arch["kv_heads"]


def test_gpt3_preset_is_mha():
    assert PRESETS["gpt3-175b"][1] == {"layers": 96, "d_model": 12288, "heads": 96,
                                       "kv_heads": 96}


def test_largest_allowed_input_is_fine(client):
    r = get(client, "?layers=1000&d_model=65536&heads=1024&kv_heads=1024"
                    "&seq_len=10000000&batch=4096&dtype=fp32")
    assert r.status_code == 200


def test_fragment_and_page(client):
    r = client.get("/widgets/kv-cache" + LLAMA2_7B)
    assert 'data-testid="kv-gib">16.00 GiB<' in r.text
    assert "64.00 GiB" in r.text and "2.00 GiB" in r.text
    page = client.get("/playground/kv-cache").text
    for label, _ in PRESETS.values():
        assert label in page
    assert "style=" not in page and "<script>" not in page


def test_mla_caches_one_latent_per_token_and_layer():
    """DeepSeek-V3 (arXiv 2412.19437): 61 layers, 512 + 64 cached numbers per token and
    layer, against 2 × 128 heads × 128 for full multi-head attention: about 57× smaller."""
    preset = kv_cache.PRESETS["deepseek-v3"][1]
    r = kv_cache.compute(kv_cache.Params(**preset, seq_len=131072, dtype="bf16"))
    per_token = 61 * (512 + 64) * 2
    mha_per_token = 2 * 61 * 128 * 128 * 2
    assert r.mla and r.per_token_bytes == per_token == 70_272
    assert r.variants["mla"].bytes == per_token * 131072
    assert r.variants["mha"].bytes == mha_per_token * 131072
    assert round(r.variants["mha"].bytes / r.variants["mla"].bytes, 1) == 56.9
    assert r.chart_labels[-1] == "MLA (576/token)" and r.chart_highlight == 3
    # Without a latent, the figures are GQA's, as before.
    plain = kv_cache.compute(kv_cache.Params())
    assert not plain.mla and "mla" not in plain.variants and plain.bytes == 16 * 2**30
