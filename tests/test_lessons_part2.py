"""Part 2 lessons (09–15, 12a): every number a lesson prints is recomputed here.

Each test rebuilds a worked example from the same inputs with NumPy (or asks the real
model through the widget's compute, as the lesson's "try this" prompts do) and checks
that the values, formatted as the lesson formats them, appear in the lesson's text.
"""

import math

import numpy as np
import pytest

from app.engine import Models
from app.widgets import registry
from tests.lesson_text import read_lesson

HOOK = "The animal didn't cross the street because it was tired"
HOOK_WIDE = "The animal didn't cross the street because it was too wide"


def lesson(module_id: str) -> str:
    """The lesson's text, with LaTeX thousands separators ``{,}`` read as plain commas."""
    return read_lesson(module_id).replace("{,}", ",")


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
    # measured against the raw dot product, the scaled score moves 1/8 as fast
    assert_in(text, f"{grad_soft / 8:.4f}", f"about {round(grad_soft / 8 / grad_hard)} times")
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
    # "identical in exact arithmetic; … differ by less than one millionth, from rounding"
    assert np.max(np.abs(rows[0] - rows[1])) < 1e-6
    assert_in(lesson("12"), f"(It was {rows[0][1]:.3f}.)")


def test_12_heads_were_searched(models):
    """'the next best puts 0.452 on " animal"'; MiniLM layer 4: head 2 alone picks "animal",
    9 of 12 heads pick [CLS]."""
    text = lesson("12")
    best = sorted((widget(models, "lm-attention", prompt=HOOK, layer=layer, head=head)
                   ["weights"][8][1], layer, head)
                  for layer in range(1, 31) for head in range(1, 10))[::-1]
    assert best[0][1:] == (14, 9)
    assert_in(text, f"the next best puts {best[1][0]:.3f} on")
    tops = []
    for head in range(1, 13):
        r = widget(models, "attention", sentence=HOOK, layer=4, head=head)
        tops.append(r["tokens"][int(np.argmax(r["weights"][10]))])
    assert [h for h, t in enumerate(tops, 1) if t == "animal"] == [2]
    assert_in(text, f"In {tops.count('[CLS]')} of the 12")


def test_12_explorer_prompts(models):
    """The q·k·v explorer numbers the lesson quotes (slider drag, unscaled, 16 components)."""
    text = lesson("12")
    base = dict(q=["1,0,1,0"], k=["1,1,1,0"], others="0,1,0,1;1,0,0,1", values="1,0;0,1;1,1")
    r = widget(models, "qkv", **base)
    assert_in(text, *f(r["weights"], 3), f"[{r['output'][0]:.3f}, {r['output'][1]:.3f}]")
    drag = widget(models, "qkv", **{**base, "q": ["1,1,1,0"]})["weights"]
    assert_in(text, f"climbs to {drag[0]:.3f}", f"from {r['weights'][1]:.3f} to {drag[1]:.3f}")
    assert widget(models, "qkv", **{**base, "scaled": False})["weight"] == \
        widget(models, "qkv", **{**base, "q": ["2,0,2,0"]})["weight"]
    ones, half = ",".join(["1"] * 16), ",".join(["1"] * 8 + ["0"] * 8)
    long = {**base, "q": [ones], "k": [ones], "others": half + ";" + ",".join(["0"] * 16)}
    raw = widget(models, "qkv", **long, scaled=False)
    scaled = widget(models, "qkv", **long)
    assert raw["scores"] == [16, 8, 0] and scaled["scores"] == [4, 2, 0]
    w = f(scaled["weights"], 3)
    assert_in(text, f"takes {raw['weight']:.4f} of the weight", f"{w[0]}, {w[1]} and {w[2]}")


def test_12_minilm_wide_checkpoint(models):
    r = widget(models, "attention", sentence=HOOK_WIDE, layer=4, head=2)
    row = r["weights"][10]
    assert r["tokens"][10] == "it" and r["tokens"][2] == "animal"
    assert_in(lesson("12"), f"falls to {row[2]:.3f}")


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


def test_12a_checkpoints(models):
    text = lesson("12a")
    eye = dict(wq="1,0;0,1", wk="1,0;0,1", v="1,1")
    r = widget(models, "additive", q="1,0", keys="1,0;0,1", **eye)
    assert_in(text, f"additive weights are {r['additive_weights'][0]:.3f} and "
                    f"{r['additive_weights'][1]:.3f}", f"product gives {r['dot_weights'][0]:.3f} "
                    f"and {r['dot_weights'][1]:.3f}")
    big = widget(models, "additive", q="16,0", keys="1,0;0,1;-1,0", **eye)
    assert_in(text, f"{big['dot_weights'][0]:.4f} on the aligned key",
              ", ".join(f(big["additive_weights"], 4)))
    ops = r["ops"]  # without the projections: 3·d_a against d_k per pair, "exactly 3"
    assert ops["additive_shared_per_score"] / ops["dot_per_score"] == 3


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


def test_11_explorer_numbers(models):
    """Raw embeddings prefer themselves; projected scores and the weights the lesson quotes."""
    text = lesson("11")
    raw = widget(models, "qkv", q=["1,1,0"], k=["1,1,0"], others="1,0,1;0,1,1;1,0,0")
    assert raw["weights"][0] == max(raw["weights"])
    assert_in(text, f"{raw['weights'][0]:.3f}", f"{raw['weights'][1]:.3f}")
    q_it, keys = X11[2] @ WQ11, X11 @ WK11
    w = softmax(keys @ q_it / math.sqrt(2))
    assert_in(text, f"weight on \"animal\" is {w[0]:.3f}")
    moved = keys.copy()
    moved[0] = [1, -1]
    w2 = softmax(moved @ q_it / math.sqrt(2))
    assert math.isclose(w2[0], w2[3])  # "now tied with tired"
    assert_in(text, f"from {w[0]:.3f} to {w2[0]:.3f}")
    back = softmax(keys @ (X11[0] @ WQ11) / math.sqrt(2))[2]  # "animal" -> "it"
    assert_in(text, f"{back:.3f}")
    r = widget(models, "qkv", q=["0,-1"], k=["2,0"], others="1,-2;1,0;1,-1")
    assert math.isclose(r["weight"], back, abs_tol=1e-9)


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
    def sinks(prompt):
        return sum(
            int(np.argmax(widget(models, "lm-attention", prompt=prompt, layer=layer,
                                 head=head)["weights"][-1]) == 0)
            for layer in range(1, 31) for head in range(1, 10))
    assert_in(lesson("13"), f"in {sinks(HOOK)} of SmolLM2's 270 heads",
              f'(for "The cat sat on the", in {sinks("The cat sat on the")})')


def test_13_checkpoints(models):
    r = widget(models, "lm-attention", prompt="The cat sat on the", layer=1, head=1)
    assert r["weights"][0] == [1.0, 0.0, 0.0, 0.0, 0.0]  # "its whole row is [1, 0, 0, 0, 0]"
    free = widget(models, "causal-mask", causal=False)["weights"][1][2]
    assert_in(lesson("13"), f"gives {free:.4f} of its attention to the future")
    fifty = widget(models, "causal-mask", scores="2,1,50;0,3,4;1,1,1")["weights"]
    assert fifty == widget(models, "causal-mask")["weights"]  # "no weight moves at all"


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


def test_09_bag_of_words_and_checkpoints(models):
    """The toy 'bit' query: same output whatever the order; two copies of 'the' look apart."""
    text = lesson("09")
    one = widget(models, "qkv", q=["1,1"], k=["0,0.5"], others="1,1;0,0;0,0.5;1,0",
                 values="0,0;1,0;0,0;0,0;0,1")
    two = widget(models, "qkv", q=["1,1"], k=["0,0.5"], others="1,0;0,0;0,0.5;1,1",
                 values="0,0;0,1;0,0;0,0;1,0")
    assert one["output"] == two["output"]
    assert sorted(one["weights"]) == sorted(two["weights"])
    assert_in(text, f"[{one['output'][0]:.3f}, {one['output'][1]:.3f}]")
    assert widget(models, "positional", p1=5, p2=5)["dot"] == pytest.approx(32)
    r = widget(models, "attention", sentence="the dog bit the man", layer=1, head=3)
    assert r["tokens"][4] == "the" and r["tokens"][3] == "bit"
    assert r["weights"][1][0] >= 0.999  # the first "the" looks at [CLS]
    assert_in(text, f"puts {r['weights'][4][3]:.4f} of its weight")


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


def test_10_interactive_numbers(models):
    """Checkpoint and try-box numbers: SmolLM2's first two candidates, the counter's totals."""
    text = lesson("10")
    top = widget(models, "next-token", prompt="The capital of France is")["candidates"]
    assert_in(text, f"probability of {top[0]['probability']:.3f} and \\\" the\\\" "
                    f"{top[1]['probability']:.3f}")
    longer = widget(models, "next-token", prompt="The capital of France is the city of")
    assert_in(text, f"{len(longer['prompt_tokens'])} tokens in")
    gpt2 = widget(models, "param-count")
    assert gpt2["total"] == 124_439_808
    wider = widget(models, "param-count", context=2048)["total"]
    assert_in(text, f"{wider - gpt2['total']:,}", f"{wider:,}")
    smol = widget(models, "param-count", preset="smollm2-135m")
    assert smol["total"] == 134_515_008
    ffn = next(p for p in smol["parts"] if p["name"].startswith("feed-forward"))
    assert_in(text, f"hold {100 * ffn['share']:.1f}% of the parameters")


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


def test_14_interactive_numbers(models):
    text = lesson("14")
    heads = widget(models, "multi-head", layer=1)["heads"]
    assert sum(h["pattern"].startswith("broad") for h in heads) > 6  # "most spread broadly"
    assert sum("leans to [CLS]" in h["pattern"] or h["pattern"] == "mostly [CLS]"
               for h in heads) == 2  # "two lean on [CLS]"
    others = [h["previous"] for h in heads if h["head"] != 3]
    assert_in(text, f"gives the previous token {heads[2]['previous']:.3f}",
              f"between {min(others):.2f} and {max(others):.2f}")
    one = widget(models, "qkv", q=["1,0,1,0"], k=["2,0,0,0"], others="0,0,2,0;1,0,1,0",
                 values="2,0,0,0;0,0,2,0;1,0,1,0")
    assert one["weights"] == [pytest.approx(1 / 3)] * 3 and one["output"] == [1, 0, 1, 0]
    head2 = widget(models, "qkv", q=["1,0"], k=["0,0"], others="2,0;1,0", values="0,0;2,0;1,0")
    head1 = widget(models, "qkv", q=["1,0"], k=["2,0"], others="0,0;1,0", values="2,0;0,0;1,0")
    assert head2["weights"] == [head1["weights"][i] for i in (1, 0, 2)]
    smol = 2 * 576 * 576 + 2 * 576 * 192
    full = widget(models, "multi-head", d_model=576, n_heads=9)["params"]["attention_weights"]
    assert_in(text, f"{smol:,} attention weights per layer instead of {full:,}")


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


def test_15_interactive_numbers(models):
    text = lesson("15")
    r = widget(models, "cross-attention", selected=1)
    assert r["source"][r["alignment"][1]] == "cat" and r["alignment"][1] == 2
    assert_in(text, f"puts {r['weights'][1][2]:.4f} on", f"puts {r['weights'][2][1]:.4f} of its")
    big_negative = widget(models, "softmax", logits="1,2,-1000,-1000")["probabilities"]
    dropped = widget(models, "softmax", logits="1,2")["probabilities"]
    assert big_negative[2:] == [0.0, 0.0]
    assert f(big_negative[:2], 4) == f(dropped, 4)
    assert_in(text, *f(dropped, 4))


# ---- every Part 2 page renders, with its widgets -------------------------------------

@pytest.mark.parametrize("module_id", ["09", "10", "11", "12", "12a", "13", "14", "15"])
def test_part2_length_within_the_standard(course, module_id):
    low, high = (400, 900) if module_id == "12a" else (1000, 2500)
    assert low <= course.by_id[module_id].lesson.word_count <= high


@pytest.mark.parametrize("module_id", ["09", "10", "11", "12", "12a", "13", "14", "15"])
def test_part2_page_renders(client, course, module_id):
    page = client.get(f"/modules/{module_id}")
    assert page.status_code == 200
    lesson_ = course.by_id[module_id].lesson
    for piece in lesson_.pieces:  # every inline widget and checkpoint, by its anchor
        assert f'id="{piece.anchor}"' in page.text


@pytest.mark.parametrize("module_id", ["09", "10", "11", "12", "12a", "13", "14", "15"])
def test_part2_interactive_shape(course, module_id):
    """Brief for issue 15: the first piece within the first fifth of the prose, at least two
    checkpoints, and the front-matter widgets exactly the inline ones, in order."""
    lesson_ = course.by_id[module_id].lesson
    assert lesson_.first_piece_at is not None and lesson_.first_piece_at <= 0.2
    assert sum(1 for p in lesson_.pieces if p.kind == "checkpoint") >= 2
    inline = list(dict.fromkeys(p.name for p in lesson_.pieces if p.kind == "widget"))
    assert list(lesson_.meta.widgets) == inline
