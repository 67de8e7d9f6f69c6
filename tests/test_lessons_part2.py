"""Part 2 lessons (09–15, 12a): every number a lesson prints is recomputed here.

Each test rebuilds a worked example from the same inputs with NumPy (or asks the real
model through the widget's compute, as the lesson's "try this" prompts do) and checks
that the values, formatted as the lesson formats them, appear in the lesson's text.
"""

import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from app.engine import Models
from app.widgets import registry

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
HOOK = "The animal didn't cross the street because it was tired"
HOOK_WIDE = "The animal didn't cross the street because it was too wide"


@cache
def lesson(module_id: str) -> str:
    """The lesson's text, with LaTeX thousands separators ``{,}`` read as plain commas."""
    (path,) = LESSONS.glob(f"{module_id}-*.md")
    return path.read_text(encoding="utf-8").replace("{,}", ",")


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def f(values, digits: int) -> list[str]:
    return [f"{v:.{digits}f}" for v in np.ravel(values)]


def assert_in(text: str, *needles: str) -> None:
    missing = [n for n in needles if n not in text]
    assert not missing, f"not in the lesson: {missing}"


@pytest.fixture(scope="module")
def models() -> Models:
    return Models()


def widget(models: Models, name: str, **params) -> dict:
    spec = registry()[name]
    return spec.run(spec.params(**params), models).model_dump()


# ---- 12 · Attention from first principles -------------------------------------------

Q12 = np.array([1.0, 0, 1, 0])
K12 = np.array([[1.0, 1, 1, 0], [0, 1, 0, 1], [1, 0, 0, 1]])  # animal, street, tired
V12 = np.array([[1.0, 0], [0, 1], [1, 1]])


def test_12_worked_example():
    scaled = K12 @ Q12 / math.sqrt(4)
    exps = np.exp(scaled)
    weights = exps / exps.sum()
    out = weights @ V12
    text = lesson("12")
    assert scaled.tolist() == [1.0, 0.0, 0.5]
    assert_in(text, *f(exps, 4), f"{exps.sum():.4f}", *f(weights, 4), *f(out, 4))
    assert f"{weights.round(4).sum():.4f}" == "1.0000"  # "They add up to 1.0000"
    # the rounded weights reproduce the rounded output (the blend line adds them)
    assert f(weights.round(4) @ V12, 4) == f(out, 4)
    assert_in(text, *f(softmax(K12 @ Q12), 4))  # unscaled: 0.6652, 0.0900, 0.2447


def test_12_doubled_query_practice():
    w = softmax(K12 @ (2 * Q12) / 2)
    assert_in(lesson("12"), *f(w, 3), *f(w @ V12, 3), f"{np.exp(2):.3f}",
              f"{np.exp(2) + 1 + np.e:.3f}")


def test_12_saturation_and_gradient():
    hard, soft = softmax(np.array([8.0, 0, -8])), softmax(np.array([1.0, 0, -1]))
    text = lesson("12")
    assert_in(text, *f(hard, 4), *f(soft, 4))
    grad_hard, grad_soft = hard[0] * (1 - hard[0]), soft[0] * (1 - soft[0])
    assert_in(text, f"{grad_hard:.4f}", f"{grad_soft:.4f}", f"{1 - soft[0]:.4f}")
    assert 650 < grad_soft / grad_hard < 670  # "about 660 times larger"
    assert_in(text, f"{math.sqrt(128):.2f}", "82,000")
    assert round(math.exp(math.sqrt(128)), -3) == 82_000


def test_12_variance_table():
    rng = np.random.default_rng(0)
    text = lesson("12")
    for d in (4, 64, 512):
        q, k = rng.standard_normal((100_000, d)), rng.standard_normal((100_000, d))
        s = (q * k).sum(axis=1)
        assert_in(text, f"| {d} | {d} | {s.var():.2f} | {(s / math.sqrt(d)).var():.3f} |")


def test_12_minilm_table(models):
    text = lesson("12")
    for sentence, row_text in [(HOOK, '"…because it was tired"'),
                               (HOOK_WIDE, '"…because it was too wide"')]:
        r = widget(models, "attention", sentence=sentence, layer=4, head=2)
        row = dict(zip(r["tokens"], r["weights"][r["tokens"].index("it")], strict=False))
        cells = " | ".join(f"{row[t]:.3f}" for t in ("[CLS]", "animal", "street", "it"))
        assert_in(text, f"| {row_text} | {cells} |")


def test_12_smollm2_it_row(models):
    rows = []
    for prompt in (HOOK, HOOK_WIDE):
        r = widget(models, "lm-attention", prompt=prompt, layer=14, head=9)
        i = r["tokens"].index(" it")
        rows.append(np.array(r["weights"][i][: i + 1]))
        assert r["tokens"][int(np.argmax(rows[-1]))] == " animal"
        assert round(rows[-1][1], 2) == 0.75  # "about 0.75 of its weight"
    assert f(rows[0], 3) == f(rows[1], 3)  # "stays the same to three decimals"


# ---- 12a · Additive attention ------------------------------------------------------

def test_12a_numbers():
    text = lesson("12a")
    assert_in(text, f"{math.tanh(2):.4f}", f"{2 * math.tanh(1):.4f}")
    q, k, v = np.array([0.5, -1]), np.array([1, 0.5]), np.array([2.0, 1])
    assert_in(text, *f(np.tanh(q + k), 4), f"{v @ np.tanh(q + k):.4f}")
    assert q @ k == 0
    assert 1024 * 1024 * 64 == 67_108_864 and 1024 * 1024 * 64 * 4 / 2**20 == 256
    keys, vv = np.array([[1.0, 0], [0, 1], [-1, 0]]), np.array([1.0, 1])
    for s in (1, 4, 16):
        query = s * np.array([1.0, 0])
        dot = softmax(keys @ query / math.sqrt(2))
        add = softmax(np.tanh(query + keys) @ vv)
        assert_in(text, f"| {s} | {', '.join(f(dot, 4))} | {', '.join(f(add, 4))} |")


# ---- 11 · Queries, keys and values -------------------------------------------------

X11 = np.array([[1.0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]])  # animal, street, it, tired
WQ11 = np.array([[-1.0, -1], [0, -1], [1, 0]])
WK11 = np.array([[1.0, -1], [1, 1], [0, -1]])
WV11 = np.array([[1.0, 0], [0, 1], [1, 1]])


def vec(v) -> str:
    return "[" + ", ".join(f"{int(x)}" for x in v) + "]"


def test_11_projections_and_scores():
    text = lesson("11")
    q, k, v = X11 @ WQ11, X11 @ WK11, X11 @ WV11
    for row in range(4):
        assert_in(text, f"= {vec(q[row])}" if row < 3 else vec(q[row]), vec(k[row]), vec(v[row]))
    s = q @ k.T
    matrix = r" \\ ".join(" & ".join(str(int(x)) for x in r) for r in s)
    assert_in(text, matrix.replace(r" \\ ", " \\\\ "))
    assert s[2].tolist() == [3, -1, -2, 1] and (X11 @ X11.T)[2].tolist() == [1, 1, 2, 1]
    assert not np.array_equal(s, s.T)


def test_11_hard_practice_and_sizes():
    text = lesson("11")
    s = np.array([3.0, -1, -2, 1]) / math.sqrt(2)
    e = np.exp(s)
    w = e / e.sum()
    assert_in(text, *f(s, 4), *f(e, 4), f"{e.sum():.4f}", *f(w, 4), *f(w @ (X11 @ WV11), 4))
    assert_in(text, "32,768", "98,304", "786,432", "552,960", "16,588,800")
    assert 512 * 64 == 32_768 and 8 * 3 * 512 * 64 == 786_432
    per_layer = 576 * 576 + 2 * 576 * 192
    assert per_layer == 552_960 and 30 * per_layer == 16_588_800


# ---- 13 · Causal masking -----------------------------------------------------------

S13 = np.array([[2.0, 1, 0], [0, 3, 4], [1, 1, 1]])
FUTURE = np.triu(np.ones((3, 3), dtype=bool), k=1)


def test_13_worked_example_and_pitfalls():
    text = lesson("13")
    masked = softmax(np.where(FUTURE, -np.inf, S13))
    assert masked[FUTURE].tolist() == [0.0, 0.0, 0.0]  # exactly zero, not small
    assert_in(text, *f(masked[1, :2], 4), f"{1 + np.exp(3):.4f}", f"{np.exp(3):.4f}",
              *f(softmax(S13)[:2], 4))
    wrong = softmax(np.where(FUTURE, -np.inf, S13), axis=0)
    assert_in(text, *f(wrong.sum(axis=1), 4))
    bumped = S13.copy()
    bumped[1, 0] = 5
    assert_in(text, f"{softmax(np.where(FUTURE, -np.inf, bumped), axis=0)[0, 0]:.4f}")
    assert_in(text, f"{softmax(np.array([2.0, 0, 0]))[1]:.4f}")
    assert_in(text, "524,800 of 1,048,576")
    assert 1024 * 1025 // 2 == 524_800


def test_13_practice():
    p = np.array([[1.0, 3, 0], [2, 0, 5], [0, 1, 1]])
    w = softmax(np.where(FUTURE, -np.inf, p))
    assert_in(lesson("13"), *f(w[1, :2], 4), *f(w[2], 4))


def test_13_widget_default_matches_lesson(models):
    r = widget(models, "causal-mask")
    assert np.allclose(r["weights"], softmax(np.where(FUTURE, -np.inf, S13)))
    r = widget(models, "causal-mask", wrong_axis=True)
    assert_in(lesson("13"), *f(r["row_sums"], 4))


def test_13_attention_sink_count(models):
    count = sum(
        int(np.argmax(widget(models, "lm-attention", prompt=HOOK, layer=layer,
                             head=head)["weights"][-1]) == 0)
        for layer in range(1, 31) for head in range(1, 10))
    assert_in(lesson("13"), f"in {count} of SmolLM2's 270 heads")


def test_12a_operation_counts(models):
    text = lesson("12a")
    ops = widget(models, "additive")["ops"]
    assert (ops["dot_total"], ops["additive_total"], ops["ratio"]) == (16_777_216, 54_525_952, 3.25)
    assert_in(text, "54,525,952", "16,777,216", "3.25")
    big = widget(models, "additive", count_keys=4096, count_queries=4096)["ops"]
    assert_in(text, f"about {big['ratio']:.2f}")


def test_11_step_explorer_reproduces_tables(models):
    pad = ";".join(",".join(f"{x:g}" for x in (*row, 0)) for row in WQ11)
    r = widget(models, "qkv-steps", tokens="animal,street,it,tired", x="1,0,1;0,1,1;1,1,0;1,0,0",
               wq=pad, wk="1,-1,0;1,1,0;0,-1,0", wv="1,0,0;0,1,0;1,1,0")
    assert_in(lesson("11"), f"$W_Q$ `{pad}`")
    assert np.array_equal(np.array(r["scores"]), (X11 @ WQ11) @ (X11 @ WK11).T)


# ---- 09 · Positional information ---------------------------------------------------

def sinusoid(pos: int, d: int) -> np.ndarray:
    omega = 1 / 10000 ** (2 * np.arange(d // 2) / d)
    out = np.empty(d)
    out[0::2], out[1::2] = np.sin(pos * omega), np.cos(pos * omega)
    return out


def test_09_worked_example():
    text = lesson("09").replace("−", "-")
    for p in range(4):
        assert_in(text, f"| {p} | " + " | ".join(f(sinusoid(p, 4), 4)) + " |")
    near, far = sinusoid(1, 4) @ sinusoid(2, 4), sinusoid(0, 4) @ sinusoid(3, 4)
    assert_in(text, f"{near:.4f}", f"{far:.4f}")
    assert math.isclose(sinusoid(2, 4) @ sinusoid(3, 4), sinusoid(1, 4) @ sinusoid(2, 4))
    longest = 2 * math.pi * 10000 ** (510 / 512)
    assert round(longest, -2) == 60_600 and "60,600" in text
    assert 512 * 384 == 196_608 and 1024 * 768 == 786_432
    assert_in(text, "196,608", "786,432")


def test_09_widgets(models):
    text = lesson("09")
    near, far = (widget(models, "positional", p1=a, p2=b)["dot"] for a, b in ((5, 12), (30, 37)))
    assert math.isclose(near, far) and f"{near:.2f}" in text
    assert widget(models, "positional", d_model=4, p1=1, p2=2)["dot"] == pytest.approx(1.5402523)
    for sentence in ("the dog bit the man", "the man bit the dog"):
        w = np.array(widget(models, "attention", sentence=sentence, layer=1, head=3)["weights"])
        assert w[0, 0] > 0.999 and all(w[i, i - 1] >= 0.999 for i in range(1, len(w)))
        nxt = np.array(widget(models, "attention", sentence=sentence, layer=2, head=9)["weights"])
        first_four = [nxt[i, i + 1] for i in range(1, 5)]
        assert min(first_four) >= 0.7  # "the first four words do the same"
        if sentence == "the dog bit the man":
            assert_in(lesson("09"), f"between {min(first_four):.2f} and {max(first_four):.2f}")


# ---- 10 · The transformer at a glance ----------------------------------------------

def test_10_gpt2_small_counts():
    d, layers, vocab, ctx = 768, 12, 50257, 1024
    attention = d * 3 * d + 3 * d + d * d + d
    ffn = d * 4 * d + 4 * d + 4 * d * d + d
    block = attention + ffn + 4 * d
    total = vocab * d + ctx * d + layers * block + 2 * d
    text = lesson("10")
    assert_in(text, f"{attention:,}", f"{ffn:,}", f"{block:,}", f"{layers * block:,}",
              f"**{total:,}**", f"{vocab * d:,}", f"{5 * vocab:,}", f"{5 * 4 * d:,}")
    shares = [layers * (4 * d * d + 4 * d), layers * (8 * d * d + 5 * d), vocab * d + ctx * d]
    assert_in(text, *(f"{100 * s / total:.1f}%" for s in shares))
    assert_in(text, f"{12 * 12 * 1024**2:,}")


def test_10_smollm2_count_matches_file():
    import gguf

    from app.engine.smollm2 import gguf_path

    stored = sum(int(np.prod(t.shape)) for t in gguf.GGUFReader(gguf_path()).tensors)
    block = 2 * 576 * 576 + 2 * 576 * 192 + 3 * 576 * 1536 + 2 * 576
    total = 30 * block + 49152 * 576 + 576
    assert stored == total == 134_515_008
    assert_in(lesson("10"), f"{total:,}", f"{block:,}")


def test_10_next_token_claim(models):
    r = widget(models, "next-token", prompt="The capital of France is")
    assert len(r["prompt_tokens"]) == 5
    top = r["candidates"][0]
    assert top["text"] == " Paris" and round(top["probability"], 2) == 0.77


# ---- 14 · Multi-head attention -----------------------------------------------------

def test_14_worked_example():
    x = np.array([[2.0, 0, 0, 0], [0, 0, 2, 0], [1, 0, 1, 0]])
    q = x[2]
    head1 = softmax(x[:, :2] @ q[:2] / math.sqrt(2))
    head2 = softmax(x[:, 2:] @ q[2:] / math.sqrt(2))
    single = softmax(x @ q / 2)
    text = lesson("14")
    assert_in(text, *f(head1, 3), *f(single, 3), f"{np.exp(math.sqrt(2)):.4f}",
              f"{np.exp(math.sqrt(2)) + 1 + np.exp(1 / math.sqrt(2)):.4f}")
    assert np.allclose(head2, head1[[1, 0, 2]])
    out1 = head1 @ x[:, :2]
    assert_in(text, f"[{out1[0]:.3f}, 0]", f"{head1.round(3) @ x[:, 0].round(3):.3f}")


def test_14_parameter_counts(models):
    counter = widget(models, "multi-head", d_model=12288, n_heads=96)["params"]
    assert counter["attention_weights"] == 4 * 12288**2 == 603_979_776
    assert counter["per_head_q"] == 12288 * 128
    text = lesson("14")
    assert_in(text, "603,979,776", f"{12288**2:,}", f"{12288 * 128:,}", f"{96 * 4 * 12288**2:,}",
              f"{100 * 96 * 4 * 12288**2 / 175e9:.1f}%", "1,048,576")
    assert widget(models, "multi-head", d_model=12288, n_heads=48)["params"]["total"] == \
        counter["total"]


def test_14_head_labels(models):
    layer1 = widget(models, "multi-head", layer=1)["heads"]
    assert layer1[2]["pattern"] == "mostly previous token"
    layer2 = widget(models, "multi-head", layer=2)["heads"]
    assert layer2[8]["pattern"] == "mostly next token"
    assert sum("[CLS]" in h["pattern"] for h in layer2) >= 7  # "most heads now lean on [CLS]"


# ---- 15 · Cross-attention ----------------------------------------------------------

def test_15_worked_example(models):
    r = widget(models, "cross-attention")
    q, keys = np.array(r["target_embeddings"][2]), np.array(r["source_embeddings"])
    scaled = keys @ q / 2
    exps = np.exp(scaled)
    weights = np.array(r["weights"])
    text = lesson("15")
    assert_in(text, *f(keys @ q, 2), *f(scaled, 2), *f(exps, 4), f"{exps.sum():.4f}",
              *f(exps / exps.sum(), 4))
    for t, s in enumerate(r["alignment"]):
        assert_in(text, f"({weights[t, s]:.4f})" if t != 2 else f"{weights[t, s]:.4f}")
    assert r["alignment"] == [0, 2, 1, 3]


def test_15_padding_example():
    scores = np.array([1.0, 2, 0, 0])
    unmasked, masked = softmax(scores), softmax(scores[:2])
    text = lesson("15")
    assert_in(text, *f(unmasked, 4), *f(masked, 4), f"{np.exp(scores).sum():.4f}",
              f"{unmasked[2:].sum():.4f}", f"{100 * unmasked[2:].sum():.1f}%")


# ---- every Part 2 page renders, with its widgets -------------------------------------

@pytest.mark.parametrize("module_id", ["09", "10", "11", "12", "12a", "13", "14", "15"])
def test_part2_length_within_the_standard(course, module_id):
    low, high = (400, 900) if module_id == "12a" else (1000, 2500)
    assert low <= course.by_id[module_id].lesson.word_count <= high


@pytest.mark.parametrize("module_id", ["09", "10", "11", "12", "12a", "13", "14", "15"])
def test_part2_page_renders(client, course, module_id):
    page = client.get(f"/modules/{module_id}")
    assert page.status_code == 200
    for name in course.by_id[module_id].lesson.meta.widgets:
        assert f'id="w-{name}"' in page.text
