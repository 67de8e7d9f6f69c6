"""Part 6 (modules 37–41), interactive rewrite: the numbers the lessons quote from their
inline widgets and checkpoints, and the late-2026 additions, recomputed here.

Each test computes a figure independently (NumPy, plain arithmetic or the course's own
widget code, never copied from the lesson) and asserts that its printed form appears in
the lesson file. Checkpoint answers are checked the way the page computes them: the
widget's compute() and the directive's answer path, with exactly one choice holding.
"""

import math

import numpy as np
import pytest

from app.content.directives import extract, follow, holds
from app.content.markdown import make_markdown
from tests.lesson_support import assert_prose_figures_described, fmt, softmax, widget
from tests.lesson_text import assert_states, read_lesson


def pieces(module_id: str):
    body = read_lesson(module_id).split("\n---\n", 1)[1]
    return extract(make_markdown().parse(body))


def checkpoint_answer(module_id: str, anchor: str):
    """The computed answer of a checkpoint, after checking exactly one choice holds."""
    (cp,) = [p for p in pieces(module_id).pieces if p.kind == "checkpoint"
             and p.anchor == f"cp-{anchor}"]
    value = follow(widget(cp.widget, **cp.params), cp.answer)
    if cp.choices:
        right = [c for c in cp.choices if holds(c.when, value)]
        assert len(right) == 1, f"{module_id} #{anchor}: {len(right)} choices hold for {value}"
        assert all(c.feedback for c in cp.choices if c is not right[0])
    return value


def seeded_logits(tokens=16, experts=8, seed=0, bias_expert=0, bias=0.0):
    """The moe-router widget's constructed logits, rebuilt from its documented recipe."""
    z = np.round(np.random.default_rng(seed).normal(0.0, 1.0, (tokens, experts)), 2) + 0.0
    if bias_expert:
        z[:, bias_expert - 1] += bias
    return z


def balance(z, k):
    """Switch balancing term E·Σ f_i P_i for top-k routing of the rows of z."""
    t, e = z.shape
    chosen = np.argsort(-z, axis=1, kind="stable")[:, :k]
    loads = np.bincount(chosen.ravel(), minlength=e)
    probs = np.exp(z - z.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    return e * float(np.sum(loads / (t * k) * probs.mean(0))), loads


# ---- 37 Mixture of experts ----------------------------------------------------------------

def test_37_every_directive_is_consistent():
    for anchor in ("mixtral-active", "top3-gate", "collapse"):
        checkpoint_answer("37", anchor)


def test_37_routing_and_balance_numbers():
    z = np.array([2.0, 1.0, 0.5, -1.0])
    assert_states("37", *(fmt(g) for g in softmax(z[:3])))           # top-3 gates
    assert fmt(softmax(z[:3])[0]) == "0.6285"
    unbiased, loads = balance(seeded_logits(), 1)
    assert (loads.min(), loads.max()) == (1, 4)
    assert_states("37", fmt(unbiased))
    favored, loads = balance(seeded_logits(bias_expert=1, bias=6), 1)
    assert loads[0] == 16 and favored < 8
    assert_states("37", fmt(favored), fmt(balance(seeded_logits(bias_expert=1, bias=6), 2)[0]))
    _, loads = balance(seeded_logits(), 2)
    assert loads[2] == 2
    assert balance(seeded_logits(bias_expert=3, bias=0.4), 2)[1][2] == 5
    assert balance(seeded_logits(bias_expert=3, bias=1.0), 2)[1][2] == 11


def test_37_top1_mixtral_and_deepseek_v3():
    layers, d, ff, heads, kv, vocab = 32, 4096, 14336, 32, 8, 32000
    shared = (2 * vocab * d + layers * (2 * d * d + 2 * d * kv * (d // heads))
              + layers * d * 8 + (2 * layers + 1) * d)
    active_top1 = shared + layers * 1 * 3 * d * ff
    assert_states("37", f"{active_top1 / 1e9:.2f}B")
    assert math.comb(16, 2) == 120
    assert_states("37", f"\\binom{{64}}{{8}} = {math.comb(64, 8):,}")
    expert = 3 * 7168 * 2048
    assert_states("37", f"{expert:,}".replace(",", "{,}"), f"{9 * expert:,}".replace(",", "{,}"),
                  f"{58 * 9 * expert / 1e9:.2f}B", f"{256 * 58 * expert / 1e9:.2f}B",
                  f"{37 / 671:.1%}")


# ---- 38 Interpretability ------------------------------------------------------------------

def test_38_every_checkpoint_is_consistent():
    assert checkpoint_answer("38", "first-copy") > math.log(49_152)
    assert checkpoint_answer("38", "halfway") == ","
    assert checkpoint_answer("38", "same-head") == 19


def test_38_real_model_numbers():
    assert_states("38", f"\\ln 49{{,}}152 = {math.log(49_152):.2f}")
    short = widget("induction", length=20, seed=0)
    assert_states("38", f"from {short['loss_first_half']:.2f} nats",
                  f"to {short['loss_second_half']:.2f}")
    long = widget("induction", length=31, seed=0)
    (a, b, c) = long["top_heads"][:3]
    assert b["layer"] == c["layer"] == a["layer"] - 1  # the runners-up sit one layer below
    assert_states("38", f"layer {a['layer']}, head {a['head']}, with {a['score']:.3f}",
                  f"({b['score']:.3f} and {c['score']:.3f})",
                  f"falls to {long['loss_second_half']:.2f} nats")
    assert_states("38", f"({widget('induction', length=10, seed=3)['top_heads'][0]['score']:.3f})")
    lens = widget("logit-lens", prompt="The Eiffel Tower is in the city of")["layers"]
    last = [(layer["top_tokens"][-1], layer["top_probabilities"][-1]) for layer in lens]
    paris = [t for t, _ in last].index(" Paris")  # the first layer that reads " Paris"
    assert last[0][0] == " of"
    assert_states("38", f"after layer {paris}, with {last[paris][1]:.4f}",
                  f"it has {last[30][1]:.4f}",
                  f"(probability {last[paris][1]:.2f})", f"({last[30][1]:.2f})")
    punct = [p for t, p in last[2:28] if t in {",", ".", " ("}]
    assert_states("38", f"between {min(punct):.2f} and {max(punct):.2f}")


def test_38_pentagon_sae_ambiguity():
    angles = np.arange(5) * 2 * np.pi / 5
    w = np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (5, 2)
    h = w[0] + w[2]
    a = np.linalg.norm(h)
    assert np.allclose(h, a * w[1]) and math.isclose(a, 2 * math.cos(math.radians(72)))
    assert_states("38", f"exactly ${a:.3f}\\, w_1$", f"[{h[0]:.3f}, {h[1]:.4f}]",
                  f"$h = {a:.3f}\\, w_1$", f"[{w[1][0]:.3f}, {w[1][1]:.4f}]",
                  f"smaller L1 cost ({a:.3f})")


# ---- 39 Retrieval-augmented generation ----------------------------------------------------

QUESTION = "\nQuestion: How tall is the Statue of Liberty?\nAnswer:"
EIFFEL = "The Eiffel Tower is 330 meters tall and stands in Paris."
FRAME = "Gustave Eiffel's company also built the frame of the Statue of Liberty."
STATUE = "The Statue of Liberty is 93 meters tall from the ground to the torch."
LADY = "Lady Liberty rises 93 meters above her island."


def greedy(prompt: str):
    return widget("generate", prompt=prompt, temperature=0, max_tokens=12)


def test_39_checkpoints_and_generation():
    assert checkpoint_answer("39", "closed-book") == "1"
    assert checkpoint_answer("39", "long-vector") == pytest.approx(2.4)
    closed = greedy("Question: How tall is the Statue of Liberty?\nAnswer:")
    assert closed["text"].startswith(" 183.")
    assert greedy(STATUE + QUESTION)["text"].startswith(" 93 meters")
    wrong = greedy(f"{FRAME} {EIFFEL}{QUESTION}")
    assert wrong["text"].startswith(" 330")
    assert_states("39", f"gets probability {wrong['tokens'][1]['probability']:.3f}",
                  f"got {closed['tokens'][1]['probability']:.3f}")
    assert greedy(f"{STATUE} {FRAME}{QUESTION}")["text"].startswith(" 93")
    assert greedy(f"{FRAME} {EIFFEL} {LADY}{QUESTION}")["text"].startswith(" 330")


def test_39_vectors_rrf_and_dense_scores():
    q, b = np.array([0.6, 0.8]), np.array([0.8, 0.6])
    assert math.isclose(q @ [0, 3], 2.4)
    assert_states("39", f"both {q @ b:.2f}", f"doubles to {(2 * q) @ b:.2f}")
    a_score, b_score = 1 / 61 + 1 / 63, 1 / 62 + 1 / 61
    assert b_score > a_score
    assert_states("39", f"{1 / 61:.6f} + {1 / 63:.6f} = {a_score:.6f}",
                  f"{1 / 62:.6f} + {1 / 61:.6f} = {b_score:.6f}")
    from app.engine.minilm import load_minilm

    model = load_minilm()
    question = model.encode("How tall is the Statue of Liberty?").sentence_embedding()
    scores = [float(model.encode(c).sentence_embedding() @ question) for c in (STATUE, LADY)]
    assert_states("39", f"(a) scores {scores[0]:.4f} and (b) {scores[1]:.4f}")
    assert_states("39", f"gap of {0.8204 - 0.6094:.4f}", f"by only {0.4808 - 0.3959:.4f}")


# ---- 40 Multimodal ------------------------------------------------------------------------

def test_40_checkpoints_and_temperatures():
    assert checkpoint_answer("40", "tau-one") == pytest.approx(softmax([0.9, 0.1, 0.2])[0])
    assert checkpoint_answer("40", "zero-shot-soft") < 0.4
    row1 = softmax(np.array([0.9, 0.1, 0.2]) / 1.0)
    assert_states("40", f"only {fmt(row1[0])}", f"rises to {fmt(-math.log(row1[0]))}",
                  f"{fmt(softmax(np.array([0.9, 0.1, 0.2]) / 0.05)[0])}")
    assert_states("40", fmt(softmax(np.array([0.1, 0.4, 0.7]) / 0.2)[2]))
    soft = softmax([0.31, 0.25, 0.12])
    sharp10 = softmax(np.array([0.31, 0.25, 0.12]) / 0.1)
    assert_states("40", *(fmt(p) for p in soft), f"dog {fmt(sharp10[0])}, cat {fmt(sharp10[1])}",
                  f"({fmt(sharp10[0])})")


def test_40_patches_and_siglip():
    assert pytest.approx(2.5, abs=0.02) == 50_176**2 / 1e9
    side = 384 // 16
    assert_states("40", f"{side} \\times {side} = {side * side}", f"{side * side + 1} tokens",
                  f"{side * side + 1}^2 = {(side * side + 1) ** 2:,}".replace(",", "{,}"),
                  f"{(side * side + 1) ** 2 / 197**2:.1f} times", f"{196**2:,} pairs")

    def sigmoid(x):
        return 1 / (1 + math.exp(-x))

    pos, neg = sigmoid(10 * 0.9 - 10), sigmoid(-(10 * 0.4 - 10))
    assert_states("40", f"\\sigma(-1) = {pos:.4f}", f"-\\ln {pos:.4f} = {-math.log(pos):.4f}",
                  f"\\sigma(6) = {neg:.4f}", f"loss ${-math.log(neg):.4f}$")


# ---- 41 Evaluation ------------------------------------------------------------------------

MMLU = "Question: What is the capital of France?\nA. {}\nB. {}\nC. {}\nD. {}\nAnswer:"


def test_41_checkpoints_and_surprisal():
    paris = checkpoint_answer("41", "paris")
    assert checkpoint_answer("41", "letter") == " A"
    assert checkpoint_answer("41", "seen-loss") < 3
    top = widget("next-token", prompt="The capital of France is", top_k=5)["candidates"]
    london = next(c["probability"] for c in top if c["text"] == " London")
    assert_states("41", f"{paris:.4f}", f"-\\\\ln {paris:.4f} = {-math.log(paris):.3f}",
                  f"gets {london:.4f}, a surprisal of {-math.log(london):.2f} nats",
                  f"{-math.log(london) / -math.log(paris):.0f} times as much")
    cold = widget("next-token", prompt="The capital of France is", top_k=5, temperature=0.5)
    assert_states("41", f"rises to {cold['candidates'][0]['probability']:.4f}")


def test_41_letter_bias_and_contamination():
    orders = [("Paris", "London", "Rome", "Berlin"), ("London", "Paris", "Rome", "Berlin"),
              ("London", "Rome", "Paris", "Berlin"), ("London", "Rome", "Berlin", "Paris")]
    for order in orders:
        cands = widget("next-token", prompt=MMLU.format(*order), top_k=6)["candidates"]
        letters = [c for c in cands if c["text"] in (" A", " B", " C", " D")]
        assert letters[0]["text"] == " A"
    at_c = widget("next-token", prompt=MMLU.format(*orders[2]), top_k=6)["candidates"]
    assert_states("41", f"end-of-turn token ({at_c[0]['probability']:.4f})",
                  f"\\\" A\\\" ({at_c[1]['probability']:.4f})")
    seen = widget("induction", length=20, seed=0)
    loss_first, loss_second = seen["loss_first_half"], seen["loss_second_half"]
    assert_states("41", f"loss is {loss_first:.2f} nats",
                  f"about {math.exp(loss_first) / 1e6:.1f} million",
                  f"falls to {loss_second:.2f} nats", f"about {math.exp(loss_second):.1f} instead")


def test_41_rescoring_and_pass_at_k():
    assert_states("41", f"0.04^{{-1/4}} = {0.04 ** -0.25:.4f}",
                  f"falls to {(0.5 * 0.25 * 0.95 * 0.1) ** -0.25:.4f}")
    n, c = 10, 3

    def pass_at(k):
        return 1 - math.comb(n - c, k) / math.comb(n, k)

    assert (math.comb(7, 5), math.comb(10, 5)) == (21, 252)
    assert_states("41", f"= {pass_at(1):.1f}$", f"1 - 21/252 = {pass_at(5):.4f}",
                  f"1 - 0.7^5 = {1 - 0.7**5:.4f}")


# ---- every page ---------------------------------------------------------------------------

@pytest.mark.parametrize(("module_id", "figures"), [("37", 0), ("38", 0), ("39", 1), ("40", 1),
                                                  ("41", 0)])
def test_lesson_page_renders(client, module_id, figures):
    assert_prose_figures_described(client, module_id, figures)
