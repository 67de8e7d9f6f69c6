"""Part 2 lessons (09–15, 12a): every number a lesson prints is recomputed here.

Each test rebuilds a worked example from the same inputs with NumPy (or asks the real
model through the widget's compute, as the lesson's "try this" prompts do) and checks
that the values, formatted as the lesson formats them, appear in the lesson's text.
"""

import math

import numpy as np
import pytest

from tests.lesson_support import fmt_all, lesson_page, smollm2_gguf, softmax, vector, widget
from tests.lesson_text import assert_states, lesson_text, parsed_lesson

HOOK = "The animal didn't cross the street because it was tired"
HOOK_WIDE = "The animal didn't cross the street because it was too wide"


# ---- 12 · Attention from first principles -------------------------------------------

Q12 = np.array([1.0, 0, 1, 0])
K12 = np.array([[1.0, 1, 1, 0], [0, 1, 0, 1], [1, 0, 0, 1]])  # animal, street, tired
V12 = np.array([[1.0, 0], [0, 1], [1, 1]])


def test_12_worked_example():
    scaled = K12 @ Q12 / math.sqrt(4)
    exps = np.exp(scaled)
    weights = exps / exps.sum()
    out = weights @ V12
    assert scaled.tolist() == [1.0, 0.0, 0.5]
    assert_states("12", *fmt_all(exps), f"{exps.sum():.4f}", *fmt_all(weights), *fmt_all(out))
    assert f"{weights.round(4).sum():.4f}" == "1.0000"  # "They add up to 1.0000"
    # the rounded weights reproduce the rounded output (the blend line adds them)
    assert fmt_all(weights.round(4) @ V12) == fmt_all(out)
    assert_states("12", *fmt_all(softmax(K12 @ Q12)))  # unscaled: 0.6652, 0.0900, 0.2447


def test_12_doubled_query_practice():
    w = softmax(K12 @ (2 * Q12) / 2)
    assert_states("12", *fmt_all(w, 3), *fmt_all(w @ V12, 3), f"{np.exp(2):.3f}",
                  f"{np.exp(2) + 1 + np.e:.3f}")


def test_12_saturation_and_gradient():
    hard, soft = softmax(np.array([8.0, 0, -8])), softmax(np.array([1.0, 0, -1]))
    assert_states("12", *fmt_all(hard), *fmt_all(soft))
    grad_hard, grad_soft = hard[0] * (1 - hard[0]), soft[0] * (1 - soft[0])
    assert_states("12", f"{grad_hard:.4f}", f"{grad_soft:.4f}", f"{1 - soft[0]:.4f}")
    # measured against the raw dot product, the scaled score moves 1/8 as fast
    assert_states("12", f"{grad_soft / 8:.4f}", f"about {round(grad_soft / 8 / grad_hard)} times")
    assert_states("12", f"{math.sqrt(128):.2f}", f"{round(math.exp(math.sqrt(128)), -3):,.0f}")


def test_12_variance_table():
    rng = np.random.default_rng(0)
    for d in (4, 64, 512):
        q, k = rng.standard_normal((100_000, d)), rng.standard_normal((100_000, d))
        s = (q * k).sum(axis=1)
        assert_states("12", f"| {d} | {d} | {s.var():.2f} | {(s / math.sqrt(d)).var():.3f} |")


def test_12_minilm_table():
    for sentence, row_text in [(HOOK, '"…because it was tired"'),
                               (HOOK_WIDE, '"…because it was too wide"')]:
        r = widget("attention", sentence=sentence, layer=4, head=2)
        row = dict(zip(r["tokens"], r["weights"][r["tokens"].index("it")], strict=False))
        cells = " | ".join(f"{row[t]:.3f}" for t in ("[CLS]", "animal", "street", "it"))
        assert_states("12", f"| {row_text} | {cells} |")


def test_12_smollm2_it_row():
    rows = []
    for prompt in (HOOK, HOOK_WIDE):
        r = widget("lm-attention", prompt=prompt, layer=14, head=9)
        i = r["tokens"].index(" it")
        rows.append(np.array(r["weights"][i][: i + 1]))
        assert r["tokens"][int(np.argmax(rows[-1]))] == " animal"
        assert round(rows[-1][1], 2) == 0.75  # "about 0.75 of its weight"
    # "identical in exact arithmetic; … differ by less than one millionth, from rounding"
    assert np.max(np.abs(rows[0] - rows[1])) < 1e-6
    assert_states("12", f"(It was {rows[0][1]:.3f}.)")


def test_12_heads_were_searched():
    """'the next best puts 0.452 on " animal"'; MiniLM layer 4: head 2 alone picks "animal",
    9 of 12 heads pick [CLS]."""
    best = sorted((widget("lm-attention", prompt=HOOK, layer=layer, head=head)
                   ["weights"][8][1], layer, head)
                  for layer in range(1, 31) for head in range(1, 10))[::-1]
    assert best[0][1:] == (14, 9)
    assert_states("12", f"the next best puts {best[1][0]:.3f} on")
    tops = []
    for head in range(1, 13):
        r = widget("attention", sentence=HOOK, layer=4, head=head)
        tops.append(r["tokens"][int(np.argmax(r["weights"][10]))])
    assert [h for h, t in enumerate(tops, 1) if t == "animal"] == [2]
    assert_states("12", f"In {tops.count('[CLS]')} of the 12")


def test_12_explorer_prompts():
    """The q·k·v explorer numbers the lesson quotes (slider drag, unscaled, 16 components)."""
    base = dict(q=["1,0,1,0"], k=["1,1,1,0"], others="0,1,0,1;1,0,0,1", values="1,0;0,1;1,1")
    r = widget("qkv", **base)
    assert_states("12", *fmt_all(r["weights"], 3), f"[{r['output'][0]:.3f}, {r['output'][1]:.3f}]")
    drag = widget("qkv", **{**base, "q": ["1,1,1,0"]})["weights"]
    assert_states("12", f"climbs to {drag[0]:.3f}", f"from {r['weights'][1]:.3f} to {drag[1]:.3f}")
    assert widget("qkv", **{**base, "scaled": False})["weight"] == \
        widget("qkv", **{**base, "q": ["2,0,2,0"]})["weight"]
    ones, half = ",".join(["1"] * 16), ",".join(["1"] * 8 + ["0"] * 8)
    long = {**base, "q": [ones], "k": [ones], "others": half + ";" + ",".join(["0"] * 16)}
    raw = widget("qkv", **long, scaled=False)
    scaled = widget("qkv", **long)
    assert raw["scores"] == [16, 8, 0] and scaled["scores"] == [4, 2, 0]
    w = fmt_all(scaled["weights"], 3)
    assert_states("12", f"takes {raw['weight']:.4f} of the weight", f"{w[0]}, {w[1]} and {w[2]}")


def test_12_minilm_wide_checkpoint():
    r = widget("attention", sentence=HOOK_WIDE, layer=4, head=2)
    row = r["weights"][10]
    assert r["tokens"][10] == "it" and r["tokens"][2] == "animal"
    assert_states("12", f"falls to {row[2]:.3f}")


# ---- 12a · Additive attention ------------------------------------------------------

def test_12a_numbers():
    assert_states("12a", f"{math.tanh(2):.4f}", f"{2 * math.tanh(1):.4f}")
    q, k, v = np.array([0.5, -1]), np.array([1, 0.5]), np.array([2.0, 1])
    assert_states("12a", *fmt_all(np.tanh(q + k)), f"{v @ np.tanh(q + k):.4f}")
    assert q @ k == 0
    assert_states("12a", f"{1024 * 1024 * 64 * 4 // 2**20} MiB in float32 per head")
    keys, vv = np.array([[1.0, 0], [0, 1], [-1, 0]]), np.array([1.0, 1])
    for s in (1, 4, 16):
        query = s * np.array([1.0, 0])
        dot = softmax(keys @ query / math.sqrt(2))
        add = softmax(np.tanh(query + keys) @ vv)
        assert_states("12a", f"| {s} | {', '.join(fmt_all(dot))} | {', '.join(fmt_all(add))} |")


def test_12a_checkpoints():
    eye = dict(wq="1,0;0,1", wk="1,0;0,1", v="1,1")
    r = widget("additive", q="1,0", keys="1,0;0,1", **eye)
    assert_states("12a", f"additive weights are {r['additive_weights'][0]:.3f} and "
                  f"{r['additive_weights'][1]:.3f}", f"product gives {r['dot_weights'][0]:.3f} "
                  f"and {r['dot_weights'][1]:.3f}")
    big = widget("additive", q="16,0", keys="1,0;0,1;-1,0", **eye)
    assert_states("12a", f"{big['dot_weights'][0]:.4f} on the aligned key",
                  ", ".join(fmt_all(big["additive_weights"])))
    ops = r["ops"]  # without the projections: 3·d_a against d_k per pair, "exactly 3"
    assert ops["additive_shared_per_score"] / ops["dot_per_score"] == 3


# ---- 11 · Queries, keys and values -------------------------------------------------

X11 = np.array([[1.0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]])  # animal, street, it, tired
WQ11 = np.array([[-1.0, -1], [0, -1], [1, 0]])
WK11 = np.array([[1.0, -1], [1, 1], [0, -1]])
WV11 = np.array([[1.0, 0], [0, 1], [1, 1]])


def test_11_projections_and_scores():
    q, k, v = X11 @ WQ11, X11 @ WK11, X11 @ WV11
    for row in range(4):
        shown = [vector(m[row], 0) for m in (q, k, v)]
        assert_states("11", f"= {shown[0]}" if row < 3 else shown[0], *shown[1:])
    s = q @ k.T
    matrix = r" \\ ".join(" & ".join(str(int(x)) for x in r) for r in s)
    assert_states("11", matrix.replace(r" \\ ", " \\\\ "))
    assert s[2].tolist() == [3, -1, -2, 1] and (X11 @ X11.T)[2].tolist() == [1, 1, 2, 1]
    assert not np.array_equal(s, s.T)


def test_11_hard_practice_and_sizes():
    s = np.array([3.0, -1, -2, 1]) / math.sqrt(2)
    e = np.exp(s)
    w = e / e.sum()
    assert_states("11", *fmt_all(s), *fmt_all(e), f"{e.sum():.4f}", *fmt_all(w),
                  *fmt_all(w @ (X11 @ WV11)))
    per_head = 512 * 64  # Transformer base: one head's W_Q, d_model × d_k
    per_layer = 576 * 576 + 2 * 576 * 192  # SmolLM2: W_Q, and the narrower W_K and W_V
    assert_states("11", f"{per_head:,} weights", f"{3 * per_head:,}", f"{8 * 3 * per_head:,}",
                  f"{per_layer:,} projection weights", f"{30 * per_layer:,} over its 30 layers")


def test_11_explorer_numbers():
    """Raw embeddings prefer themselves; projected scores and the weights the lesson quotes."""
    raw = widget("qkv", q=["1,1,0"], k=["1,1,0"], others="1,0,1;0,1,1;1,0,0")
    assert raw["weights"][0] == max(raw["weights"])
    assert_states("11", f"{raw['weights'][0]:.3f}", f"{raw['weights'][1]:.3f}")
    q_it, keys = X11[2] @ WQ11, X11 @ WK11
    w = softmax(keys @ q_it / math.sqrt(2))
    assert_states("11", f"weight on \"animal\" is {w[0]:.3f}")
    moved = keys.copy()
    moved[0] = [1, -1]
    w2 = softmax(moved @ q_it / math.sqrt(2))
    assert math.isclose(w2[0], w2[3])  # "now tied with tired"
    assert_states("11", f"from {w[0]:.3f} to {w2[0]:.3f}")
    back = softmax(keys @ (X11[0] @ WQ11) / math.sqrt(2))[2]  # "animal" -> "it"
    assert_states("11", f"{back:.3f}")
    r = widget("qkv", q=["0,-1"], k=["2,0"], others="1,-2;1,0;1,-1")
    assert math.isclose(r["weight"], back, abs_tol=1e-9)


# ---- 13 · Causal masking -----------------------------------------------------------

S13 = np.array([[2.0, 1, 0], [0, 3, 4], [1, 1, 1]])
FUTURE = np.triu(np.ones((3, 3), dtype=bool), k=1)


def test_13_worked_example_and_pitfalls():
    masked = softmax(np.where(FUTURE, -np.inf, S13))
    assert masked[FUTURE].tolist() == [0.0, 0.0, 0.0]  # exactly zero, not small
    assert_states("13", *fmt_all(masked[1, :2]), f"{1 + np.exp(3):.4f}", f"{np.exp(3):.4f}",
                  *fmt_all(softmax(S13)[:2]))
    wrong = softmax(np.where(FUTURE, -np.inf, S13), axis=0)
    assert_states("13", *fmt_all(wrong.sum(axis=1)))
    bumped = S13.copy()
    bumped[1, 0] = 5
    assert_states("13", f"{softmax(np.where(FUTURE, -np.inf, bumped), axis=0)[0, 0]:.4f}")
    assert_states("13", f"{softmax(np.array([2.0, 0, 0]))[1]:.4f}")
    assert_states("13", f"{1024 * 1025 // 2:,} of {1024**2:,}")


def test_13_practice():
    p = np.array([[1.0, 3, 0], [2, 0, 5], [0, 1, 1]])
    w = softmax(np.where(FUTURE, -np.inf, p))
    assert_states("13", *fmt_all(w[1, :2]), *fmt_all(w[2]))


def test_13_widget_default_matches_lesson():
    r = widget("causal-mask")
    assert np.allclose(r["weights"], softmax(np.where(FUTURE, -np.inf, S13)))
    r = widget("causal-mask", wrong_axis=True)
    assert_states("13", *fmt_all(r["row_sums"]))


def test_13_attention_sink_count():
    def sinks(prompt):
        return sum(
            int(np.argmax(widget("lm-attention", prompt=prompt, layer=layer,
                                 head=head)["weights"][-1]) == 0)
            for layer in range(1, 31) for head in range(1, 10))
    assert_states("13", f"in {sinks(HOOK)} of SmolLM2's 270 heads",
                  f'(for "The cat sat on the", in {sinks("The cat sat on the")})')


def test_13_checkpoints():
    r = widget("lm-attention", prompt="The cat sat on the", layer=1, head=1)
    assert r["weights"][0] == [1.0, 0.0, 0.0, 0.0, 0.0]  # "its whole row is [1, 0, 0, 0, 0]"
    free = widget("causal-mask", causal=False)["weights"][1][2]
    assert_states("13", f"gives {free:.4f} of its attention to the future")
    fifty = widget("causal-mask", scores="2,1,50;0,3,4;1,1,1")["weights"]
    assert fifty == widget("causal-mask")["weights"]  # "no weight moves at all"


def test_12a_operation_counts():
    ops = widget("additive")["ops"]
    d, d_a, keys, queries = 64, 64, 512, 512  # the widget's default counts
    dot = queries * keys * d  # one multiply-add per component of q·k
    additive = (queries + keys) * d * d_a + queries * keys * 3 * d_a  # projections, then 3·d_a
    assert (ops["dot_total"], ops["additive_total"]) == (dot, additive)
    assert_states("12a", f"{additive:,}", f"{dot:,}", f"{additive / dot:g}")
    big = widget("additive", count_keys=4096, count_queries=4096)["ops"]
    assert_states("12a", f"about {big['ratio']:.2f}")


def test_11_step_explorer_reproduces_tables():
    pad = ";".join(",".join(f"{x:g}" for x in (*row, 0)) for row in WQ11)
    r = widget("qkv-steps", tokens="animal,street,it,tired", x="1,0,1;0,1,1;1,1,0;1,0,0",
               wq=pad, wk="1,-1,0;1,1,0;0,-1,0", wv="1,0,0;0,1,0;1,1,0")
    assert_states("11", f"$W_Q$ `{pad}`")
    assert np.array_equal(np.array(r["scores"]), (X11 @ WQ11) @ (X11 @ WK11).T)


# ---- 09 · Positional information ---------------------------------------------------

def sinusoid(pos: int, d: int) -> np.ndarray:
    omega = 1 / 10000 ** (2 * np.arange(d // 2) / d)
    out = np.empty(d)
    out[0::2], out[1::2] = np.sin(pos * omega), np.cos(pos * omega)
    return out


def test_09_worked_example():
    text = lesson_text("09")
    for p in range(4):
        assert_states("09", f"| {p} | " + " | ".join(fmt_all(sinusoid(p, 4))) + " |")
    near, far = sinusoid(1, 4) @ sinusoid(2, 4), sinusoid(0, 4) @ sinusoid(3, 4)
    assert_states("09", f"{near:.4f}", f"{far:.4f}")
    assert math.isclose(sinusoid(2, 4) @ sinusoid(3, 4), sinusoid(1, 4) @ sinusoid(2, 4))
    longest = 2 * math.pi * 10000 ** (510 / 512)
    assert round(longest, -2) == 60_600 and "60,600" in text
    assert_states("09", f"{512 * 384:,} parameters", f"{1024 * 768:,}")


def test_09_widgets():
    text = lesson_text("09")
    near, far = (widget("positional", p1=a, p2=b)["dot"] for a, b in ((5, 12), (30, 37)))
    assert math.isclose(near, far) and f"{near:.2f}" in text
    assert widget("positional", d_model=4, p1=1, p2=2)["dot"] == pytest.approx(1.5402523)
    for sentence in ("the dog bit the man", "the man bit the dog"):
        w = np.array(widget("attention", sentence=sentence, layer=1, head=3)["weights"])
        assert w[0, 0] > 0.999 and all(w[i, i - 1] >= 0.999 for i in range(1, len(w)))
        nxt = np.array(widget("attention", sentence=sentence, layer=2, head=9)["weights"])
        first_four = [nxt[i, i + 1] for i in range(1, 5)]
        assert min(first_four) >= 0.7  # "the first four words do the same"
        if sentence == "the dog bit the man":
            assert_states("09", f"between {min(first_four):.2f} and {max(first_four):.2f}")


def test_09_bag_of_words_and_checkpoints():
    """The toy 'bit' query: same output whatever the order; two copies of 'the' look apart."""
    one = widget("qkv", q=["1,1"], k=["0,0.5"], others="1,1;0,0;0,0.5;1,0",
                 values="0,0;1,0;0,0;0,0;0,1")
    two = widget("qkv", q=["1,1"], k=["0,0.5"], others="1,0;0,0;0,0.5;1,1",
                 values="0,0;0,1;0,0;0,0;1,0")
    assert one["output"] == two["output"]
    assert sorted(one["weights"]) == sorted(two["weights"])
    assert_states("09", f"[{one['output'][0]:.3f}, {one['output'][1]:.3f}]")
    assert widget("positional", p1=5, p2=5)["dot"] == pytest.approx(32)
    r = widget("attention", sentence="the dog bit the man", layer=1, head=3)
    assert r["tokens"][4] == "the" and r["tokens"][3] == "bit"
    assert r["weights"][1][0] >= 0.999  # the first "the" looks at [CLS]
    assert_states("09", f"puts {r['weights'][4][3]:.4f} of its weight")


# ---- 10 · The transformer at a glance ----------------------------------------------

def test_10_gpt2_small_counts():
    d, layers, vocab, ctx = 768, 12, 50257, 1024
    attention = d * 3 * d + 3 * d + d * d + d
    ffn = d * 4 * d + 4 * d + 4 * d * d + d
    block = attention + ffn + 4 * d
    total = vocab * d + ctx * d + layers * block + 2 * d
    assert_states("10", f"{attention:,}", f"{ffn:,}", f"{block:,}", f"{layers * block:,}",
                  f"**{total:,}**", f"{vocab * d:,}", f"{5 * vocab:,}", f"{5 * 4 * d:,}")
    shares = [layers * (4 * d * d + 4 * d), layers * (8 * d * d + 5 * d), vocab * d + ctx * d]
    assert_states("10", *(f"{100 * s / total:.1f}%" for s in shares))
    assert_states("10", f"{12 * 12 * 1024**2:,}")


def test_10_smollm2_count_matches_file():
    stored = sum(int(np.prod(t.shape)) for t in smollm2_gguf().tensors)
    block = 2 * 576 * 576 + 2 * 576 * 192 + 3 * 576 * 1536 + 2 * 576
    total = 30 * block + 49152 * 576 + 576
    assert stored == total == 134_515_008
    assert_states("10", f"{total:,}", f"{block:,}")


def test_10_next_token_claim():
    r = widget("next-token", prompt="The capital of France is")
    top = r["candidates"][0]
    assert top["text"] == " Paris"
    n = len(r["prompt_tokens"])
    assert_states("10", f"cut into {n} tokens", f"becomes {n} ids",
                  f"a probability of {top['probability']:.3f}")


def test_10_interactive_numbers():
    """Checkpoint and try-box numbers: SmolLM2's first two candidates, the counter's totals."""
    top = widget("next-token", prompt="The capital of France is")["candidates"]
    assert_states("10", f"probability of {top[0]['probability']:.3f} and \\\" the\\\" "
                  f"{top[1]['probability']:.3f}")
    longer = widget("next-token", prompt="The capital of France is the city of")
    assert_states("10", f"{len(longer['prompt_tokens'])} tokens in")
    gpt2 = widget("param-count")
    assert gpt2["total"] == 124_439_808
    wider = widget("param-count", context=2048)["total"]
    assert_states("10", f"{wider - gpt2['total']:,}", f"{wider:,}")
    smol = widget("param-count", preset="smollm2-135m")
    assert smol["total"] == 134_515_008
    ffn = next(p for p in smol["parts"] if p["name"].startswith("feed-forward"))
    assert_states("10", f"hold {100 * ffn['share']:.1f}% of the parameters")


# ---- 14 · Multi-head attention -----------------------------------------------------

def test_14_worked_example():
    x = np.array([[2.0, 0, 0, 0], [0, 0, 2, 0], [1, 0, 1, 0]])
    q = x[2]
    head1 = softmax(x[:, :2] @ q[:2] / math.sqrt(2))
    head2 = softmax(x[:, 2:] @ q[2:] / math.sqrt(2))
    single = softmax(x @ q / 2)
    assert_states("14", *fmt_all(head1, 3), *fmt_all(single, 3), f"{np.exp(math.sqrt(2)):.4f}",
                  f"{np.exp(math.sqrt(2)) + 1 + np.exp(1 / math.sqrt(2)):.4f}")
    assert np.allclose(head2, head1[[1, 0, 2]])
    out1 = head1 @ x[:, :2]
    assert_states("14", f"[{out1[0]:.3f}, 0]", f"{head1.round(3) @ x[:, 0].round(3):.3f}")


def test_14_parameter_counts():
    counter = widget("multi-head", d_model=12288, n_heads=96)["params"]
    assert counter["attention_weights"] == 4 * 12288**2 == 603_979_776
    assert counter["per_head_q"] == 12288 * 128
    assert_states("14", f"{4 * 12288**2:,}", f"{12288**2:,}", f"{12288 * 128:,}",
                  f"{96 * 4 * 12288**2:,}", f"{100 * 96 * 4 * 12288**2 / 175e9:.1f}%",
                  f"{4 * 512 * 512:,}")
    assert widget("multi-head", d_model=12288, n_heads=48)["params"]["total"] == \
        counter["total"]


def test_14_head_labels():
    layer1 = [h["pattern"] for h in widget("multi-head", layer=1)["heads"]]
    layer2 = [h["pattern"] for h in widget("multi-head", layer=2)["heads"]]
    assert sum("[CLS]" in h for h in layer2) > len(layer2) / 2  # "most heads now lean on [CLS]"
    previous, following = layer1.index("mostly previous token"), layer2.index("mostly next token")
    assert_states("14", f"layer 1 head {previous + 1} sends nearly all",
                  f"head {following + 1} looks at the next token")


def test_14_interactive_numbers():
    heads = widget("multi-head", layer=1)["heads"]
    assert sum(h["pattern"].startswith("broad") for h in heads) > 6  # "most spread broadly"
    assert sum("leans to [CLS]" in h["pattern"] or h["pattern"] == "mostly [CLS]"
               for h in heads) == 2  # "two lean on [CLS]"
    others = [h["previous"] for h in heads if h["head"] != 3]
    assert_states("14", f"gives the previous token {heads[2]['previous']:.3f}",
                  f"between {min(others):.2f} and {max(others):.2f}")
    one = widget("qkv", q=["1,0,1,0"], k=["2,0,0,0"], others="0,0,2,0;1,0,1,0",
                 values="2,0,0,0;0,0,2,0;1,0,1,0")
    assert one["weights"] == [pytest.approx(1 / 3)] * 3 and one["output"] == [1, 0, 1, 0]
    head2 = widget("qkv", q=["1,0"], k=["0,0"], others="2,0;1,0", values="0,0;2,0;1,0")
    head1 = widget("qkv", q=["1,0"], k=["2,0"], others="0,0;1,0", values="2,0;0,0;1,0")
    assert head2["weights"] == [head1["weights"][i] for i in (1, 0, 2)]
    smol = 2 * 576 * 576 + 2 * 576 * 192
    full = widget("multi-head", d_model=576, n_heads=9)["params"]["attention_weights"]
    assert_states("14", f"{smol:,} attention weights per layer instead of {full:,}")


# ---- 15 · Cross-attention ----------------------------------------------------------

def test_15_worked_example():
    r = widget("cross-attention")
    q, keys = np.array(r["target_embeddings"][2]), np.array(r["source_embeddings"])
    scaled = keys @ q / 2
    exps = np.exp(scaled)
    weights = np.array(r["weights"])
    assert_states("15", *fmt_all(keys @ q, 2), *fmt_all(scaled, 2), *fmt_all(exps),
                  f"{exps.sum():.4f}", *fmt_all(exps / exps.sum()))
    for t, s in enumerate(r["alignment"]):
        assert_states("15", f"({weights[t, s]:.4f})" if t != 2 else f"{weights[t, s]:.4f}")
    assert r["alignment"] == [0, 2, 1, 3]


def test_15_padding_example():
    scores = np.array([1.0, 2, 0, 0])
    unmasked, masked = softmax(scores), softmax(scores[:2])
    assert_states("15", *fmt_all(unmasked), *fmt_all(masked), f"{np.exp(scores).sum():.4f}",
                  f"{unmasked[2:].sum():.4f}", f"{100 * unmasked[2:].sum():.1f}%")


def test_15_interactive_numbers():
    r = widget("cross-attention", selected=1)
    assert r["source"][r["alignment"][1]] == "cat" and r["alignment"][1] == 2
    assert_states("15", f"puts {r['weights'][1][2]:.4f} on",
                  f"puts {r['weights'][2][1]:.4f} of its")
    big_negative = widget("softmax", logits="1,2,-1000,-1000")["probabilities"]
    dropped = widget("softmax", logits="1,2")["probabilities"]
    assert big_negative[2:] == [0.0, 0.0]
    assert fmt_all(big_negative[:2]) == fmt_all(dropped)
    assert_states("15", *fmt_all(dropped))


# ---- every Part 2 page renders, with its widgets -------------------------------------

@pytest.mark.parametrize("module_id", ["09", "10", "11", "12", "12a", "13", "14", "15"])
def test_part2_length_within_the_standard(module_id):
    low, high = (400, 900) if module_id == "12a" else (1000, 2500)
    assert low <= parsed_lesson(module_id).word_count <= high


@pytest.mark.parametrize("module_id", ["09", "10", "11", "12", "12a", "13", "14", "15"])
def test_part2_page_renders(client, course, module_id):
    page = lesson_page(client, module_id)
    for piece in course.by_id[module_id].lesson.pieces:  # every inline widget and checkpoint
        assert f'id="{piece.anchor}"' in page


@pytest.mark.parametrize("module_id", ["09", "10", "11", "12", "12a", "13", "14", "15"])
def test_part2_interactive_shape(module_id):
    """Brief for issue 15: the first piece within the first fifth of the prose, at least two
    checkpoints, and the front-matter widgets exactly the inline ones, in order."""
    lesson_ = parsed_lesson(module_id)
    assert lesson_.first_piece_at is not None and lesson_.first_piece_at <= 0.2
    assert sum(1 for p in lesson_.pieces if p.kind == "checkpoint") >= 2
    inline = list(dict.fromkeys(p.name for p in lesson_.pieces if p.kind == "widget"))
    assert list(lesson_.meta.widgets) == inline
