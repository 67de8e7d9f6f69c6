"""Parts 5 and 6 (modules 29–41): every number a lesson states is recomputed here.

Each test computes a figure independently (NumPy or plain arithmetic, never copied from the
lesson) and asserts that its printed form appears in the lesson file (front matter included,
since practice solutions live there).
"""

import math

import numpy as np
import pytest

from tests.lesson_support import (
    absmax,
    assert_prose_figures_described,
    fmt,
    fmt_all,
    kv_bytes,
    smollm2_gguf,
    softmax,
)
from tests.lesson_text import assert_states

GIB, MIB, KIB = 2**30, 2**20, 2**10


# ---- 30 The KV cache, 31 MQA/GQA -------------------------------------------------------

def test_kv_cache_sizes():
    smol, smol_8k = kv_bytes(30, 3, 64, 1), kv_bytes(30, 3, 64, 8192)
    llama, llama_4k = kv_bytes(32, 32, 128, 1), kv_bytes(32, 32, 128, 4096)
    batch8 = kv_bytes(32, 32, 128, 4096, batch=8)
    assert smol == 23_040 and llama == 524_288  # 2 · 30 · 3 · 64 · 2; 2 · 32 · 32 · 128 · 2
    assert_states("30", f"{smol:,} bytes = {smol / KIB:g} KiB", f"{smol_8k / MIB:g} MiB",
                  f"{llama:,} bytes = {llama / KIB:g} KiB",
                  f"{4096:,} tokens: {llama_4k / GIB:g} GiB",
                  f"8 × {llama_4k / GIB:g} GiB = {batch8 / GIB:g} GiB",
                  f"{smol_8k / GIB:.3f} GiB")
    # practice: 96 KiB per token; 2 GiB per sequence; 30 and 123 conversations
    free = 66.5e9
    assert_states("30", f"{kv_bytes(24, 16, 64, 1):,} bytes", f"{llama_4k:,} bytes",
                  f"**{int(free // llama_4k)}**", f"**{int(free // (llama_4k // 4))}**")


def test_kv_cache_work_and_decode_step():
    no_cache, last = sum(100 + i for i in range(100)), 100 + 99
    longer, longer_last = sum(200 + i for i in range(50)), 200 + 49
    assert round(longer / longer_last) == 45
    assert_states("30", f"{no_cache:,}", f"{last} positions", f"{round(no_cache / last)} times",
                  f"{longer:,}", f"{longer_last} positions")
    keys = np.array([[1, 0], [0, 1], [1, 1.0]])
    values = np.array([[1, 2], [3, 4], [5, 6.0]])
    scores = keys @ np.array([2, 1.0]) / math.sqrt(2)
    weights = softmax(scores)
    out = weights @ values
    assert_states("30", *fmt_all(scores), *fmt_all(np.exp(scores)), fmt(np.exp(scores).sum()),
                  *fmt_all(weights, 3), *fmt_all(out, 3))


def test_gqa_memory_and_parameters():
    for kv in (32, 8, 4, 1):
        assert_states("31", f"| {kv_bytes(32, kv, 128, 1) / KIB:g} KiB | "
                            f"{kv_bytes(32, kv, 128, 131_072) / GIB:g} GiB |")
    assert_states("31", *(f"{kv_bytes(30, h, 64, 8192) / MIB:g} MiB" for h in (9, 1)),
                  *(f"{kv_bytes(32, h, 128, 131_072) / GIB:g} GiB" for h in (32, 8, 1)))
    gqa = 2 * 576 * 576 + 2 * 576 * 192
    mha = 4 * 576 * 576
    assert_states("31", f"{gqa:,}", f"{mha:,}", f"{mha - gqa:,}", f"{30 * (mha - gqa):,}")
    k, v = np.eye(2), np.array([[10, 0], [0, 10.0]])
    for q in ([2, 0], [0, 2]):
        w = softmax(k @ np.array(q, float) / math.sqrt(2))
        assert_states("31", *fmt_all(w), *fmt_all(w @ v, 3))


# ---- 29 Decoding ------------------------------------------------------------------------

def test_decoding_worked_example():
    z = np.array([3.0, 2.2, 1.8, 1.5, 0.4, -1.0])
    assert_states("29", *fmt_all(np.exp(z)), fmt(np.exp(z).sum()))
    for temp in (1, 0.5, 1.5):
        assert_states("29", "| " + " | ".join(fmt_all(softmax(z, temp))) + " |")
    entropy = [-(p * np.log2(p)).sum() for p in (softmax(z), softmax(z, 0.5), softmax(z, 1.5))]
    assert_states("29", *(f"{h:.2f} bits" for h in entropy))
    p = softmax(z)
    assert_states("29", *fmt_all(p[:3] / p[:3].sum()), fmt(p[:3].sum()))
    cum = np.cumsum(p)
    n = int(np.searchsorted(cum, 0.9)) + 1
    assert n == 4
    assert_states("29", ", ".join(fmt_all(cum[:4])))
    half = int(np.searchsorted(cum, 0.5)) + 1  # the nucleus for p = 0.5: mat and floor
    assert_states("29", *fmt_all(p[:4] / p[:4].sum()),
                  "[" + ", ".join(fmt_all(p[:half] / p[:half].sum(), 2)) + "]")
    assert_states("29", f"= {0.5 * 0.4:.2f}", f"= {0.4 * 0.9:.2f}", f"0.5/0.8 = {0.5 / 0.8:.3f}",
                  f"0.3/0.8 = {0.3 / 0.8:.3f}")


# ---- 33 Quantization ----------------------------------------------------------------------


def test_quantization_examples():
    x = np.array([0.42, -1.37, 0.08, 2.54, -0.61, 0.15, -0.03, 0.97])
    s, q, xh = absmax(x, 127)
    rms8 = np.sqrt(((x - xh) ** 2).mean())
    assert round(s, 6) == 0.02 and q[3] == 127  # the largest value maps to 127
    s4, q4, xh4 = absmax(x, 7)
    rms4 = np.sqrt(((x - xh4) ** 2).mean())
    assert_states("33", str(q.tolist()), str(q4.tolist()),
                  f"RMS error {rms8:.4f}", f"RMS error {rms4:.4f}", f"{s4:.6f}")
    y = x.copy()
    y[3] = 25.4
    s_out, q_out, yh = absmax(y, 7)
    assert q_out.tolist() == [0, 0, 0, 7, 0, 0, 0, 0]
    assert_states("33", f"{s_out:.6f}", fmt(np.sqrt((np.delete(y - yh, 3) ** 2).mean())))
    g_s, g_q, g_h = absmax(y[4:], 7)
    assert np.abs(y[4:] - g_h).max() < 0.056
    assert_states("33", f"{g_s:.6f}", str(g_q.tolist()))
    bits = 32 * 4 + 2 * 16  # a block of 32 four-bit values and two 16-bit scales
    assert_states("33", f"{7e9 * (bits / 32) / 8 / 1e9} GB", f"{bits} / 32 = {bits // 32} bits")


def test_real_q4_1_block():
    from gguf.quants import dequantize

    reader = smollm2_gguf()
    tensor = next(t for t in reader.tensors if t.name == "blk.0.attn_q.weight")
    raw = np.asarray(tensor.data).reshape(-1).view(np.uint8)[:20]
    d, m = (float(raw[i:i + 2].view(np.float16)[0]) for i in (0, 2))
    codes = np.concatenate([raw[4:20] & 15, raw[4:20] >> 4])  # low nibbles first
    weights = d * codes + m
    expected = dequantize(np.asarray(tensor.data), tensor.tensor_type).reshape(-1)
    np.testing.assert_allclose(weights, expected[:32])
    assert_states("33", f"d = {d}", f"m = {m}", str(codes[:8].tolist())[:-1],
                  *fmt_all(weights[:5]))
    n_params = sum(int(np.prod(t.shape)) for t in reader.tensors)
    n_bytes = sum(int(t.n_bytes) for t in reader.tensors)
    assert_states("33", f"{n_params:,}", f"{n_bytes / 1e6:.1f} MB", f"{n_params * 2 / 1e6:.0f} MB")


# ---- 32 FlashAttention --------------------------------------------------------------------

def online(scores, values, block):
    m, total, out = -np.inf, 0.0, 0.0
    for i in range(0, len(scores), block):
        xb, vb = scores[i:i + block], values[i:i + block]
        new_m = max(m, xb.max())
        c = math.exp(m - new_m) if m > -np.inf else 0.0
        e = np.exp(xb - new_m)
        total, out, m = c * total + e.sum(), c * out + e @ vb, new_m
    return total, out


def test_online_softmax_example():
    x, v = np.array([1.0, 3, 2, 5]), np.array([10.0, 20, 30, 40])
    direct = softmax(x) @ v
    total, out = online(x, v, 2)
    assert math.isclose(out / total, direct)
    first_total, first_out = online(x[:2], v[:2], 2)  # after the first tile
    assert_states("32", fmt(direct), fmt(total), fmt(out), *fmt_all(softmax(x)),
                  fmt(first_out), fmt(math.exp(-2) * first_out), fmt(math.exp(-3) * 30))
    total, out = online(np.array([2.0, 4, 1]), np.array([1.0, 2, 3]), 1)
    assert_states("32", fmt(total), fmt(out), fmt(out / total), *fmt_all(softmax([2, 4, 1])))
    scores_4k, scores_8k = 4096**2 * 2, 8192**2 * 2  # one head's fp16 score matrix
    assert_states("32", f"{scores_4k / MIB:g} MiB", f"{scores_4k * 32 / GIB:g} GiB per layer",
                  f"{scores_8k:,} bytes = {scores_8k / MIB:g} MiB", f"{scores_8k * 32 / GIB:g} GiB")


# ---- 35 Speculative decoding --------------------------------------------------------------

def expected_tokens(alpha, gamma):
    """Mean tokens per target pass: 1 + accepted drafts, via an explicit sum over outcomes."""
    return sum(alpha**k for k in range(gamma + 1))


def test_speculative_numbers():
    for alpha in (0.5, 0.7, 0.8, 0.9):
        row = [expected_tokens(alpha, g) for g in (1, 2, 4, 8)]
        assert math.isclose(row[2], (1 - alpha**5) / (1 - alpha))
        assert_states("35", " | ".join(f"{r:.4f}".rstrip("0").rstrip(".") for r in row))
    assert_states("35", f"{expected_tokens(0.8, 4):.4f}", f"{expected_tokens(0.6, 4):.4f}",
                  f"{expected_tokens(0.8, 4) / 1.2:.4f}")
    speedups = {g: expected_tokens(0.8, g) / (g * 0.2 + 1) for g in range(1, 9)}
    assert max(speedups, key=speedups.get) == 4
    assert_states("35", *(f"γ = {g}: {s:.4f}".rstrip("0") for g, s in speedups.items() if g != 7))
    cheap = {g: expected_tokens(0.8, g) / (g * 0.05 + 1) for g in range(1, 13)}
    assert max(cheap, key=cheap.get) == 8
    assert_states("35", f"{cheap[8]:.2f}×")
    p, q = np.array([0.6, 0.3, 0.1]), np.array([0.3, 0.5, 0.2])
    alpha = np.minimum(p, q).sum()
    residual = np.maximum(p - q, 0) / (1 - alpha)
    out = q * np.minimum(1, p / q) + (1 - alpha) * residual
    np.testing.assert_allclose(out, p)
    np.testing.assert_allclose(residual, [1.0, 0.0, 0.0], atol=1e-12)
    assert_states("35", f"min(1, {p[1]}/{q[1]}) = {min(1, p[1] / q[1]):g}",
                  f"min(1, {p[2]}/{q[2]}) = {min(1, p[2] / q[2]):g}",
                  " + ".join(f"{m:g}" for m in np.minimum(p, q)) + f" = {alpha:g}")


# ---- 36 Long context ----------------------------------------------------------------------

def test_long_context_numbers():
    n, w = 4096, 512
    full = sum(i + 1 for i in range(n))  # every query sees itself and all before it
    window = sum(min(i + 1, w) for i in range(n))
    assert full == n * (n + 1) // 2
    assert_states("36", f"{full:,}", f"{window:,}", f"{full / window:.2f}", f"{12 * w:,}")
    theta = 10000 ** (-62 / 64)
    assert_states("36", f"{theta * 1e4:.4f} \\times 10^{{-4}}", f"{2 * math.pi / theta:,.0f}",
                  f"{2048 * theta:.3f}", f"{8192 * theta:.3f}", f"{8191 * theta:.3f}")


# ---- 37 Mixture of experts ----------------------------------------------------------------

def test_mixtral_parameters_and_routing():
    layers, d, ff, experts, top_k, vocab, kv_dim = 32, 4096, 14336, 8, 2, 32000, 8 * 128
    expert = 3 * d * ff
    attention = 2 * d * d + 2 * d * kv_dim
    shared = layers * (attention + d * experts + 2 * d) + 2 * vocab * d + d
    total = layers * experts * expert + shared
    active = layers * top_k * expert + shared
    assert (round(total / 1e9, 1), round(active / 1e9, 1)) == (46.7, 12.9)
    assert_states("37", f"{expert:,}", f"{experts * expert:,}", f"{attention:,}",
                  f"{total / 1e9:.2f}B", f"{active / 1e9:.2f}B", f"{layers * experts * expert:,}",
                  f"{layers * top_k * expert:,}")
    z = np.array([2.0, 1.0, 0.5, -1.0])
    assert_states("37", *(fmt(g) for g in softmax(z[:2])), *(fmt(p) for p in softmax(z)))
    assert_states("37", fmt(softmax([1.5, 1.1])[0]), fmt(softmax([1.5, 1.1])[1]))
    f_frac, p_mean = np.array([0.7, 0.1, 0.1, 0.1]), np.array([0.6, 0.2, 0.1, 0.1])
    assert_states("37", f"= 4 · {(f_frac * p_mean).sum():.2f} = {4 * (f_frac * p_mean).sum():.2f}")


# ---- 34 Serving ---------------------------------------------------------------------------

def test_serving_numbers():
    for batch in (1, 8, 32, 64):
        cache_bytes = batch * 1000 * kv_bytes(32, 32, 128, 1)
        step = (13.5e9 + cache_bytes) / 2e12
        assert_states("34", f"{cache_bytes / 1e9:.2f} GB | {step * 1e3:.2f} ms | "
                        f"{batch / step:,.0f} tokens/s")
    blocks = [math.ceil(n / 16) for n in (300, 1200, 650)]
    assert blocks == [19, 75, 41] and sum(blocks) * 16 - sum((300, 1200, 650)) == 10
    slots = sum(blocks) * 16
    assert_states("34", f"{slots:,} slots", f"{(slots - 2150) / slots:.2%}", f"{2150 / 6144:.0%}")
    assert_states("34", f"{16 / ((13.5e9 + 16 * 1000 * 524_288) / 2e12):,.0f} tokens/s")


# ---- 38 Interpretability ------------------------------------------------------------------

def test_interpretability_examples():
    w = softmax([0, 0, 0, 5, 0, 0, 0])
    assert_states("38", fmt(w[3]), f"{w[0]:.4f}")
    angles = np.arange(5) * 2 * np.pi / 5
    features = np.stack([np.cos(angles), np.sin(angles)])  # (2, 5)
    alone = np.maximum(features.T @ features[:, 0], 0)
    pair = features[:, 0] + features[:, 2]
    def readings(v):  # as the lesson prints them: 3 decimals, trailing zeros dropped
        return "[" + ", ".join(f"{r:.3f}".rstrip("0").rstrip(".") for r in v) + "]"

    assert_states("38", readings(alone), f"[{pair[0]:.3f}, {pair[1]:.4f}]",
                  readings(np.maximum(features.T @ pair, 0)))
    assert np.argmax(np.maximum(features.T @ pair, 0)) == 1 and alone[1] > 0.3


# ---- 39 RAG, 40 Multimodal, 41 Evaluation -------------------------------------------------

def test_rag_chunks_and_real_similarities():
    assert math.ceil((10_000 - 512) / 448) + 1 == 23
    from app.engine.minilm import load_minilm

    model = load_minilm()
    chunks = ["The Eiffel Tower is 330 meters tall and stands in Paris.",
              "The Eiffel Tower was completed in 1889 for the World's Fair.",
              "Mount Everest is the highest mountain on Earth.",
              "Gustave Eiffel's company also built the frame of the Statue of Liberty."]
    matrix = np.stack([model.encode(c).sentence_embedding() for c in chunks])
    for question in ("How tall is the Eiffel Tower?", "When did the tower open?",
                     "How tall is the Statue of Liberty?"):
        scores = matrix @ model.encode(question).sentence_embedding()
        cells = [f"**{s:.4f}**" if i == scores.argmax() else f"{s:.4f}"
                 for i, s in enumerate(scores)]
        assert_states("39", f"| {question} | " + " | ".join(cells) + " |")


def test_multimodal_numbers():
    patches = (224 // 16) ** 2
    assert_states("40", f"{patches}", f"{16 * 16 * 3 * 768 + 768:,}", f"{(patches + 1) ** 2:,}",
                  f"{256**2:,}")
    sims = np.array([[0.9, 0.1, 0.2], [0.2, 0.8, 0.3], [0.1, 0.4, 0.7]])
    logits = sims / 0.2
    rows = [-np.log(softmax(logits[i])[i]) for i in range(3)]
    cols = [-np.log(softmax(logits[:, j])[j]) for j in range(3)]
    assert_states("40", *(fmt(r) for r in rows), *(fmt(c) for c in cols), fmt(np.mean(rows)),
                  fmt(np.mean(cols)), fmt((np.mean(rows) + np.mean(cols)) / 2))
    assert_states("40", fmt(softmax([0.31 * 100, 0.25 * 100, 0.12 * 100])[0]))


def test_evaluation_numbers():
    probs = [0.5, 0.25, 0.8, 0.1]
    nll = [-math.log(p) for p in probs]
    mean = sum(nll) / 4
    assert_states("41", *(fmt(x) for x in nll), fmt(sum(nll)), fmt(mean), fmt(math.exp(mean)),
                  f"{mean / math.log(2):.3f} bits")
    assert_states("41", fmt(math.exp(1.5)), fmt(math.exp(0.75)), fmt(6 / math.log(2) / 24))
    for gap in (100, 200, 400):
        assert_states("41", f"{1 / (1 + 10 ** (-gap / 400)):.0%}")
    assert_states("41", f"{1 / (1 + 10 ** (-10 / 400)):.1%}")
    assert_states("41", fmt(math.sqrt(0.21 / 100)), f"±{1.96 * math.sqrt(0.21 / 100) * 100:.1f}")


@pytest.mark.parametrize(("module_id", "figures"), [("29", 0), ("30", 0), ("31", 0), ("32", 1)])
def test_lesson_page_renders(client, module_id, figures):
    """Pages 29–32 (33–41: test_lessons_part5b.py, test_lessons_part6.py)."""
    assert_prose_figures_described(client, module_id, figures)
