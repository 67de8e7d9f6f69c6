"""Recompute the numbers that the interactive pieces of lessons 16–21 state.

Each test derives a figure independently (NumPy, or the model itself) and asserts that
the formatted value appears in the lesson; the older figures are in
``test_lessons_part3_4.py``.
"""

import math

import numpy as np

from tests.lesson_support import models, softmax
from tests.lesson_text import assert_states, lesson_text


def rms_norm(v: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    return v / np.sqrt((v**2).mean() + eps)


def test_lesson_16_shift_and_gain():
    text = lesson_text("16")
    x = np.array([2.0, -1.0, 0.0, 3.0])
    assert f"{rms_norm(x + 10).mean():.4f}" in text  # 0.9898, the checkpoint's answer
    assert f"{math.sqrt(((x + 10) ** 2).mean()):.2f}" in text  # RMS 11.11
    assert np.abs(rms_norm(x + 100) - 1).max() < 0.02 and "within 0.02 of all ones" in text
    assert f"{2 * rms_norm(x)[0]:.4f}" in text  # 2.1381


def test_lesson_17_activations_and_shares():
    text = lesson_text("17")
    phi = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    gelu = lambda z: z * phi(z)  # noqa: E731
    silu = lambda z: z / (1 + math.exp(-z))  # noqa: E731
    zs = np.linspace(-4, 0, 40_001)
    g_min = min(zs, key=gelu)
    s_min = min(zs, key=silu)
    assert_states("17", f"{gelu(-1):.4f}", f"{silu(-1):.4f}", f"{silu(1):.4f}", f"{gelu(1):.4f}",
                  f"{gelu(4):.4f}", f"{silu(s_min):.4f}", f"{s_min:.2f}",
                  f"{gelu(g_min):.2f}", f"{g_min:.2f}")
    d, kv, ff, layers, vocab = 576, 192, 1_536, 30, 49_152
    mlp, attn, norms = 3 * d * ff, 2 * d * d + 2 * d * kv, 2 * d
    total = vocab * d + layers * (mlp + attn + norms) + d
    block = mlp + attn + norms
    assert (mlp, block) == (2_654_208, 3_540_096)
    assert_states("17", f"{layers * mlp:,}", f"{total:,}", f"{layers * mlp / total:.0%}",
                  f"{mlp:,} of {block:,}", f"{mlp / block:.0%}")
    # GPT-2 small, biases included: the MLPs' share of all parameters
    g = 768
    g_mlp = 12 * (2 * g * 4 * g + 4 * g + g)
    g_total = 50_257 * g + 1_024 * g + 12 * (4 * g * g + 4 * g + 8 * g * g + 5 * g + 4 * g) + 2 * g
    assert g_total == 124_439_808 and f"{g_mlp / g_total:.0%} of the model" in text


def test_lesson_18_slow_pairs_and_steps():
    text = lesson_text("18")
    context = 8_192

    def wavelengths(base: float) -> np.ndarray:
        return 2 * math.pi / base ** (-np.arange(0, 64, 2) / 64)

    slow = {b: int((wavelengths(b) > context).sum()) for b in (1e4, 1e5)}
    pairs = len(wavelengths(1e4))
    assert_states("18", f"{slow[1e4]} of {pairs}", f"{slow[1e5]} of {pairs}",
                  f"{wavelengths(1e5)[20]:,.0f} tokens",
                  f"{round(wavelengths(1e4)[-1]):,}")
    assert 5 < wavelengths(1e4)[-1] / context < 6  # "almost six times the context"
    assert 1 / 7 < context / wavelengths(1e4)[-1] < 1 / 5  # "about a sixth of a turn"
    q, k = np.array([1.0, 2.0]), np.array([3.0, 1.0])

    def turned(v, a):
        return np.array([math.cos(a) * v[0] - math.sin(a) * v[1],
                         math.sin(a) * v[0] + math.cos(a) * v[1]])

    products = [turned(q, 2.5) * turned(k, 1), turned(q, 7.5) * turned(k, 6), turned(q, 1.5) * k]
    assert_states("18", *[f"{abs(v):.4f}" for pair in products for v in pair])
    assert f"{turned(q, 2.5) @ turned(k, 1):.6f}" in text  # the widget's readout, -4.633789
    assert_states("18", f"4^{{-2/4}} = {4 ** (-2 / 4)}")


def test_lesson_19_worked_example_in_the_explorer():
    emb = np.array([[2, 1, 0], [1.5, 0, 0.5], [0, 0, 1], [-1, 1, 0], [0, -1, 0.5]])
    h = np.array([1.0, 0.5, -0.5])
    half = softmax(emb @ (h / 2))
    assert np.allclose(half, softmax((emb @ h) / 2))  # half the length = temperature 2
    p = softmax(emb @ h)
    assert_states("19", f"{half[0]:.4f}", f"{p[0] - 1:.4f}", f"{-math.log(p[1]):.4f}",
                  "(" + ", ".join(f"{v:g}" for v in emb @ h / 2) + ")")


def top2(model, prompt: str):
    z = np.asarray(model.next_logits(model.encode(prompt)), dtype=np.float64)
    p = softmax(z)
    order = np.argsort(-z)[:2]
    return [(model.token_text(int(i)), z[i], p[i]) for i in order]


def test_lesson_19_capital_prompts():
    text, smollm2 = lesson_text("19"), models().smollm2()
    (first, z1, p1), (second, z2, p2) = top2(smollm2, "The capital of France is")
    assert (first, second) == (" Paris", " the")
    assert_states("19", f"{z1:.2f}", f"{z2:.2f}", f"{p1:.4f}", f"{p2:.4f}")
    assert_states("19", f"ratio of about {round(p1 / p2)}")
    germany = top2(smollm2, "The capital of Germany is")[0]
    italy = top2(smollm2, "The capital of Italy is")[0]
    assert germany[0] == " Berlin" and f"{germany[2]:.4f}" in text
    assert italy[0] == " Rome" and f"{italy[2]:.4f}" in text


def test_lesson_20_tokens_counts_and_lens():
    text, smollm2 = lesson_text("20"), models().smollm2()
    ids = smollm2.encode("The capital of France is")
    assert_states("20", f"ids {', '.join(map(str, ids[:-1]))} and {ids[-1]}")
    assert f"{len(ids) * 49_152:,} numbers" in text

    def layer(d, ff, kv_dim):
        return 2 * d * d + 2 * d * kv_dim + 3 * d * ff + 2 * d

    base, wide, both = layer(576, 1536, 192), layer(1152, 1536, 384), layer(1152, 3072, 384)
    assert base == 3_540_096 and round(both / base, 2) == 4.0
    assert_states("20", f"{wide:,}", f"{wide / base:.2f}×")
    total = 134_515_008
    shares = [49_152 * 576, 30 * (2 * 576 * 576 + 2 * 576 * 192), 30 * 3 * 576 * 1536]
    assert_states("20", *[f"{s / total:.1%}" for s in shares])
    _, trace = smollm2.traced(ids)
    reads = []
    for residual in trace.residuals:
        p = softmax(np.asarray(smollm2.unembed(residual), dtype=np.float64)[-1])
        best = int(p.argmax())
        reads.append((smollm2.token_text(best), p[best]))
    assert reads[0][0] == " is" and round(reads[0][1], 3) == 1.0
    assert reads[29][0] == " capital" and f"{reads[29][1]:.3f}" in text
    assert reads[30][0] == " Paris" and f"{reads[30][1]:.3f}" in text
    assert [t for t, _ in reads].index(" Paris") == 30
    the_layers = [i for i, (t, _) in enumerate(reads) if t == " the"]
    assert the_layers == [25, 27, 28] and "␣the at layers 25, 27 and 28" in text


BANK = "The bank raised its interest rates."


def test_lesson_21_bank_attention():
    text, smollm2, minilm = lesson_text("21"), models().smollm2(), models().minilm()
    _, trace = smollm2.traced(smollm2.encode(BANK))
    w = np.asarray(trace.attention[17 - 1, 4 - 1])
    n = w.shape[0]
    assert n == 7 and np.all(w[np.triu_indices(n, 1)] == 0)
    assert f"the {n * (n - 1) // 2} above the diagonal" in text and f"of the {n * n} cells" in text
    assert_states("21", f"{w[1, 0]:.3f} on *The*", f"{w[1, 1]:.3f} on itself")
    enc = minilm.encode(BANK)
    bank, interest, rates = (enc.tokens.index(t) for t in ("bank", "interest", "rates"))
    row = enc.attentions[6 - 1, 5 - 1, bank]
    assert_states("21", f"{row[interest]:.3f} on *interest*", f"{row[rates]:.3f} on *rates*",
                  f"{row[bank + 1:].sum():.3f} of its attention")
    average = enc.attentions[4 - 1].mean(axis=0)[bank]
    assert f"About {average[bank + 1:].sum():.3f}" in text


def test_lesson_21_sentence_similarities():
    text, minilm = lesson_text("21"), models().minilm()
    query = minilm.encode(BANK).hidden_states[-1].mean(axis=0)
    for other in ["Interest rates went up at the bank.",
                  "The central bank made borrowing more expensive.",
                  "We had a picnic on the river bank."]:
        vec = minilm.encode(other).hidden_states[-1].mean(axis=0)
        cos = float(query @ vec / np.linalg.norm(query) / np.linalg.norm(vec))
        assert f'"{other}" | {cos:.4f}' in text
