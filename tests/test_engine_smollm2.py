"""The NumPy SmolLM2-135M engine: tokenizer, forward pass, KV cache, GQA, RoPE, generation.

Checked against independent computations (a hand-written layer, a loop over heads) and
against llama.cpp's logits on the same GGUF (tests/fixtures/smollm2_reference.json, made
once by bench/make_smollm2_reference.py; llama.cpp itself is never needed here).
"""

import json
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFReader
from gguf.quants import dequantize
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.smollm2 import apply_rope, gguf_path, q4_1_block, rope_tables
from app.widgets import generate

FIXTURE = Path(__file__).parent / "fixtures" / "smollm2_reference.json"


@pytest.fixture(scope="module")
def model(app):
    return app.state.models.smollm2()


@pytest.fixture(scope="module")
def reader():
    return GGUFReader(gguf_path())


def softmax64(x):
    z = np.asarray(x, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# -- architecture and weights --------------------------------------------------------------
def test_config_is_read_from_the_gguf(model, reader):
    cfg = model.config
    assert (cfg.n_layers, cfg.d_model, cfg.n_heads, cfg.n_kv_heads) == (30, 576, 9, 3)
    assert cfg.head_dim == 64
    assert (cfg.d_ff, cfg.vocab_size, cfg.context_length) == (1536, 49152, 8192)
    assert cfg.rope_base == 100000.0 and cfg.rms_eps == pytest.approx(1e-5)
    assert cfg.n_layers == int(reader.fields["llama.block_count"].contents())


def test_parameter_count_from_tensor_shapes(model, reader):
    from_shapes = sum(int(np.prod(t.shape)) for t in reader.tensors)
    cfg = model.config
    d, q, kv = cfg.d_model, cfg.n_heads * cfg.head_dim, cfg.n_kv_heads * cfg.head_dim
    per_layer = 2 * d + d * q + 2 * d * kv + q * d + 3 * d * cfg.d_ff
    by_formula = cfg.vocab_size * d + cfg.n_layers * per_layer + d  # tied head, final norm
    assert model.parameter_count == from_shapes == by_formula == 134_515_008


def test_every_weight_is_float32(model):
    arrays = [model.embeddings, model.final_norm, model.cos, model.sin]
    for layer in model.layers:
        arrays += [layer.attn_norm, layer.wqkv, layer.wo, layer.ffn_norm, layer.w_gate_up,
                   layer.w_down]
    assert all(a.dtype == np.float32 for a in arrays)
    assert model.head is model.embeddings  # tied output head


def test_q4_1_block_matches_gguf_dequantize(reader):
    tensor = next(t for t in reader.tensors if t.name == "blk.3.ffn_up.weight")
    full = dequantize(tensor.data, tensor.tensor_type)  # (1536, 576)
    block = q4_1_block("blk.3.ffn_up.weight", 40)  # 18 blocks a row: row 2, block 4
    assert (block["row"], block["first_column"]) == (2, 128)
    assert len(block["codes"]) == 32 and all(0 <= c <= 15 for c in block["codes"])
    codes = np.array(block["codes"], np.float32)
    expected = np.float32(block["d"]) * codes + np.float32(block["m"])
    np.testing.assert_array_equal(np.array(block["values"], np.float32), expected)
    np.testing.assert_array_equal(np.array(block["values"], np.float32), full[2, 128:160])
    with pytest.raises(ValueError):
        q4_1_block("blk.0.attn_norm.weight", 0)  # F32, not Q4_1


# -- tokenizer -----------------------------------------------------------------------------
def test_tokenizer_matches_the_gguf_vocabulary(model, reader):
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    vocab = model.tokenizer.get_vocab()
    assert len(tokens) == len(vocab) == model.config.vocab_size
    assert all(vocab[tok] == i for i, tok in enumerate(tokens))


def test_digits_are_split_one_by_one(model):
    assert [model.token_text(i) for i in model.encode("In 2024")] == ["In", " ", "2", "0", "2", "4"]


# SmolLM2's vocabulary has no symbol for 21 of the 256 bytes (six control characters,
# and lead bytes that occur only in invalid UTF-8 or in the unassigned planes 4–11); the
# tokenizer drops those bytes, exactly as the original Hugging Face tokenizer does.
MISSING_CONTROLS = "\x04\x06\x13\x14\x16\x1d"


def encodable(c: str) -> bool:
    return c not in MISSING_CONTROLS and not 0x40000 <= ord(c) < 0xC0000


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(codec="utf-8").filter(encodable), max_size=80))
def test_tokenizer_round_trips_any_text(app, text):
    model = app.state.models.smollm2()
    assert model.detokenize(model.encode(text)) == text


def test_bytes_without_a_token_are_dropped(model):
    assert model.detokenize(model.encode("a\x04b")) == "ab"
    assert len(model.encode("\U00040000")) == 3  # 4 bytes, the lead byte 0xF1 has no token


def test_control_tokens_are_single_tokens(model):
    ids = model.encode("<|im_start|>user\nhi<|im_end|>")
    assert ids[0] == 1 and ids[-1] == 2 and {1, 2} <= model.stop_ids


# -- forward pass --------------------------------------------------------------------------
def test_capital_of_france_is_paris(model):
    logits, _, _ = model.prefill(model.encode("The capital of France is"))
    p = softmax64(logits)
    assert model.token_text(int(np.argmax(p))) == " Paris"
    assert p.max() > 0.6


@pytest.mark.parametrize("case", json.loads(FIXTURE.read_text())["prompts"],
                         ids=lambda c: c["prompt"][:20])
def test_matches_llama_cpp_reference(model, case):
    """llama.cpp multiplies with 8-bit-quantised activations, so logits differ slightly."""
    ids = model.encode(case["prompt"])
    assert ids == case["token_ids"]
    logits, _, _ = model.prefill(ids)
    ours = np.argsort(-logits)[:5].tolist()
    ref = [t["id"] for t in case["top"]]
    assert ours[:2] == ref[:2]
    assert len(set(ours) & set(ref[:5])) >= 4
    for t in case["top"]:
        assert abs(float(logits[t["id"]]) - t["logit"]) < 1.0


def test_kv_cache_decode_equals_full_forward(model):
    ids = model.encode("The quick brown fox jumps over the lazy dog. It")
    more = model.encode(" was not amused at all")
    full, _ = model.forward(ids + more)
    logits, cache, _ = model.prefill(ids, len(ids) + len(more))
    np.testing.assert_allclose(logits, full[len(ids) - 1], atol=1e-4, rtol=0)
    for k, token in enumerate(more):
        step, _ = model.decode(token, cache)
        assert step.dtype == np.float32
        np.testing.assert_allclose(step, full[len(ids) + k], atol=1e-4, rtol=0)
    assert cache.length == len(ids) + len(more)


def test_decode_trace_is_the_last_row_of_the_full_trace(model):
    ids = model.encode("Keys and values are cached")
    _, full = model.forward(ids, trace=True)
    _, cache, _ = model.prefill(ids[:-1], len(ids))
    _, step = model.decode(ids[-1], cache, trace=True)
    n, cfg = len(ids), model.config
    assert step.attention.shape == (cfg.n_layers, cfg.n_heads, 1, n)
    np.testing.assert_allclose(step.attention[:, :, 0], full.attention[:, :, -1], atol=1e-5)
    np.testing.assert_allclose(step.residuals[:, 0], full.residuals[:, -1], atol=1e-3)


def test_attention_is_causal_and_rows_sum_to_one(model):
    ids = model.encode("Attention looks only at the past, never at the future.")
    _, trace = model.forward(ids, trace=True)
    n, cfg = len(ids), model.config
    assert trace.attention.shape == (cfg.n_layers, cfg.n_heads, n, n)
    assert trace.residuals.shape == (cfg.n_layers + 1, n, cfg.d_model)
    assert trace.attention.dtype == trace.residuals.dtype == np.float32
    np.testing.assert_allclose(trace.attention.sum(axis=-1), 1.0, atol=1e-5)
    future = np.triu(np.ones((n, n), dtype=bool), k=1)
    assert np.all(trace.attention[..., future] == 0.0)
    np.testing.assert_array_equal(trace.residuals[0], model.embeddings[ids])


def rms(x, w, eps):
    x = x.astype(np.float64)
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def test_first_layer_by_hand_gqa_reads_shared_keys_and_values(model):
    """Layer 1 rewritten head by head: query head h uses K and V of KV head h // 3."""
    ids = model.encode("Grouped-query attention shares keys and values")
    _, trace = model.forward(ids, trace=True)
    cfg, w, n, hd = model.config, model.layers[0], len(ids), model.config.head_dim
    x = model.embeddings[ids].astype(np.float64)
    h_in = rms(x, w.attn_norm, cfg.rms_eps)
    q_rows, kv_rows = cfg.n_heads * hd, cfg.n_kv_heads * hd
    wq, wk, wv = np.split(w.wqkv.astype(np.float64), [q_rows, q_rows + kv_rows])
    cos, sin = rope_tables(cfg.rope_base, hd, n)

    def rotate(v):  # (n, hd), adjacent pairs, float64
        a, b = v[:, 0::2], v[:, 1::2]
        out = np.empty_like(v)
        out[:, 0::2], out[:, 1::2] = a * cos - b * sin, a * sin + b * cos
        return out

    heads = []
    for h in range(cfg.n_heads):
        g = h // (cfg.n_heads // cfg.n_kv_heads)
        q = rotate(h_in @ wq[h * hd:(h + 1) * hd].T)
        k = rotate(h_in @ wk[g * hd:(g + 1) * hd].T)
        v = h_in @ wv[g * hd:(g + 1) * hd].T
        scores = q @ k.T / np.sqrt(hd) + np.triu(np.full((n, n), -np.inf), k=1)
        p = softmax64(scores)
        np.testing.assert_allclose(trace.attention[0, h], p, atol=2e-5)
        heads.append(p @ v)
    attn = np.concatenate(heads, axis=1) @ w.wo.T.astype(np.float64)
    h1 = x + attn
    gate_up = rms(h1, w.ffn_norm, cfg.rms_eps) @ w.w_gate_up.T.astype(np.float64)
    gate, up = gate_up[:, :cfg.d_ff], gate_up[:, cfg.d_ff:]
    out = h1 + (gate / (1 + np.exp(-gate)) * up) @ w.w_down.T.astype(np.float64)
    np.testing.assert_allclose(trace.residuals[1], out, atol=2e-3, rtol=1e-3)
    # the three query heads of a group really see identical keys: their cache is 3 heads wide
    _, cache, _ = model.prefill(ids)
    assert cache.keys.shape[1] == cache.values.shape[1] == cfg.n_kv_heads


def test_rope_score_depends_only_on_relative_distance():
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((2, 1, 1, 64)).astype(np.float32)
    cos, sin = rope_tables(100000.0, 64, 600)

    def score(m, n):
        qm = apply_rope(q, cos[m:m + 1], sin[m:m + 1])
        kn = apply_rope(k, cos[n:n + 1], sin[n:n + 1])
        return float((qm * kn).sum())

    for m, n in [(5, 2), (40, 40), (300, 17)]:
        for shift in (1, 11, 250):
            assert score(m + shift, n + shift) == pytest.approx(score(m, n), abs=1e-3)
    assert score(7, 0) != pytest.approx(score(3, 0), abs=1e-3)
    rotated = apply_rope(q, cos[123:124], sin[123:124])
    assert np.linalg.norm(rotated) == pytest.approx(np.linalg.norm(q), rel=1e-5)


# -- generation ----------------------------------------------------------------------------
def generated(model, **kw):
    params = generate.Params(max_tokens=12, **kw)
    return [s.token.id for s in generate.steps(params, model)]


def test_greedy_generation_is_deterministic_and_cache_free_identical(model):
    first = generated(model, temperature=0)
    assert first == generated(model, temperature=0)
    assert first == generated(model, temperature=0, kv_cache=False)


def test_sampling_same_seed_same_tokens(model):
    a = generated(model, temperature=1.0, top_k=40, top_p=0.9, seed=3)
    assert a == generated(model, temperature=1.0, top_k=40, top_p=0.9, seed=3)
    assert a == generated(model, temperature=1.0, top_k=40, top_p=0.9, seed=3, kv_cache=False)


def test_top_k_one_is_greedy(model):
    assert generated(model, temperature=1.5, top_k=1, seed=9) == generated(model, temperature=0)


def test_choose_respects_top_k_and_top_p():
    logits = np.log(np.array([0.5, 0.3, 0.15, 0.05], dtype=np.float32))
    rng = np.random.default_rng(0)
    top2 = generate.Params(temperature=1, top_k=2, top_p=1)
    assert {generate.choose(logits, top2, rng) for _ in range(200)} == {0, 1}
    nucleus = generate.Params(temperature=1, top_k=0, top_p=0.7)  # 0.5 + 0.3 reaches 0.7
    assert {generate.choose(logits, nucleus, rng) for _ in range(200)} == {0, 1}
    assert generate.choose(logits, generate.Params(temperature=0), rng) == 0
