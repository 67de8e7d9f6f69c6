"""Generated questions for Part 1 (foundations)."""

import math

import numpy as np

from app.content.answers import NumberAnswer, NumberField
from app.practice.generators import Variant, fmt_list
from app.widgets import activations, bpe, param_count, softmax, vectors

BPE_WORDS = ("low", "lower", "lowest", "slow", "new", "newer", "newest", "wide", "wider",
             "widest")  # short words that share pieces, as in the lesson's corpus
VOCABS = (8_000, 16_000, 32_000, 50_000, 64_000, 100_000)
WIDTHS = (256, 512, 768, 1024, 2048, 4096)
EXACT = 1e-5  # for counts in the millions: what six significant figures can express
MIN_TARGET_P = 0.1  # keeps −ln p steady when p is typed to three decimals


def fmt_rows(rows, digits: int = 2) -> str:
    """``[[1, 0], [0, -1]]``: a small matrix as the question shows it."""
    return "[" + ", ".join(fmt_list(r, digits) for r in rows) + "]"


def tex_int(n: int) -> str:
    """``28{,}311{,}552``: a whole number with thousands commas, for inside ``$…$``."""
    return f"{n:,}".replace(",", "{,}")


def _t(v: float) -> str:
    """A factor in a product: negatives in brackets, ``(-2)``."""
    return f"({v:g})" if v < 0 else f"{v:g}"


def _softmax(logits, temperature: float = 1.0) -> list[float]:
    params = softmax.Params(logits=",".join(f"{float(x):g}" for x in logits),
                            temperature=temperature)
    return softmax.compute(params).probabilities


def softmax_top(rng: np.random.Generator) -> Variant:
    """Module 04: the largest probability of a temperature softmax over four logits."""
    logits = np.round(rng.uniform(-3, 3, size=4) * 2) / 2  # halves, e.g. 1.5
    temperature = float(rng.choice([0.5, 0.7, 1.0, 1.5, 2.0]))
    result = softmax.compute(softmax.Params(logits=",".join(str(x) for x in logits),
                                            temperature=temperature))
    top = max(result.probabilities)
    answer = NumberAnswer(kind="number", value=top, tolerance=0.005)
    working = (f"Divide by $T = {temperature}$, subtract the largest, exponentiate and "
               f"normalize: the probabilities are "
               f"{fmt_list(result.probabilities, 3)}, so the largest is **{top:.3f}**.")
    return Variant(given=(("logits", fmt_list(logits)), ("T", f"{temperature}")),
                   answer=answer, working=working)


def token_probability(rng: np.random.Generator) -> Variant:
    """Module 01: the probability a three-token vocabulary gives one of its tokens."""
    logits = rng.integers(-3, 4, size=3)
    token = int(rng.integers(1, 4))
    probs = _softmax(logits)
    p = probs[token - 1]
    exps = ", ".join(f"e^{{{int(z)}}} = {math.exp(z):.4f}" for z in logits)
    working = (f"Exponentiate: ${exps}$; the sum is {sum(math.exp(z) for z in logits):.4f}. "
               f"Dividing gives {fmt_list(probs, 3)}, so token {token} gets **{p:.3f}**.")
    return Variant(given=(("logits", fmt_list(logits)), ("token", str(token))),
                   answer=NumberAnswer(kind="number", value=p, tolerance=0.002),
                   working=working)


def bpe_first_merge(rng: np.random.Generator) -> Variant:
    """Module 02: how often the first pair BPE merges occurs in a small corpus."""
    chosen = rng.choice(len(BPE_WORDS), size=3, replace=False)
    counts = rng.integers(1, 7, size=3)
    corpus = [BPE_WORDS[i] for i, n in zip(chosen, counts, strict=True) for _ in range(n)]
    merges, _ = bpe.learn(corpus, 1)
    pair, count = merges[0]
    shown = ", ".join(f"{BPE_WORDS[i]} ×{n}" for i, n in zip(chosen, counts, strict=True))
    working = (f"Count every adjacent pair of characters (with `</w>` after each word), "
               f"weighted by the word's count. The most frequent is `({pair[0]}, {pair[1]})`, "
               f"seen **{count}** times, so merge 1 is `{pair[0]} + {pair[1]}` → "
               f"`{pair[0] + pair[1]}`.")
    return Variant(given=(("corpus", shown),),
                   answer=NumberAnswer(kind="number", value=count, tolerance=0),
                   working=working)


def cosine_2d(rng: np.random.Generator) -> Variant:
    """Module 03: dot product and cosine similarity of two 2-D vectors."""
    while True:
        a, b = rng.integers(-4, 5, size=2), rng.integers(-4, 5, size=2)
        if a.any() and b.any():
            break
    r = vectors.compute(vectors.Params(ax=a[0], ay=a[1], bx=b[0], by=b[1]))
    answer = NumberAnswer(kind="number", fields=(
        NumberField(label="dot product", value=r.dot, tolerance=0),
        NumberField(label="cosine similarity", value=r.cosine, tolerance=0.002)))
    terms = " + ".join(f"{_t(u)} \\times {_t(v)}" for u, v in zip(a, b, strict=True))
    working = (f"$a \\cdot b = {terms} = {r.dot:g}$. "
               f"$\\lVert a \\rVert = {r.norm_a:.4f}$ and $\\lVert b \\rVert = {r.norm_b:.4f}$, "
               f"so $\\cos\\theta = {r.dot:g} / ({r.norm_a:.4f} \\times {r.norm_b:.4f}) = "
               f"{r.cosine:.3f}$ (an angle of {r.angle_deg:.1f}°).")
    return Variant(given=(("a", fmt_list(a)), ("b", fmt_list(b))), answer=answer,
                   working=working)


def embedding_size(rng: np.random.Generator) -> Variant:
    """Module 05: parameters of an embedding table and numbers in one batch's lookup."""
    vocab, width = int(rng.choice(VOCABS)), int(rng.choice(WIDTHS))
    batch, length = int(rng.choice([2, 4, 8, 16])), int(rng.choice([128, 256, 512, 1024]))
    table = param_count.count("gpt", vocab, length, width, 1, 1, 1, 1, True)["token embeddings"]
    looked_up = batch * length * width
    answer = NumberAnswer(kind="number", fields=(
        NumberField(label="parameters in the table", value=table, rel=EXACT),
        NumberField(label="numbers in the lookup output", value=looked_up, rel=EXACT)))
    working = (f"The table has one row of {width:,} numbers per token: "
               f"${tex_int(vocab)} \\times {tex_int(width)} = {tex_int(table)}$. The ids have "
               f"shape $({batch}, {length})$ and each becomes a row, so the output is "
               f"$({batch}, {length}, {width})$: ${batch} \\times {length} \\times "
               f"{tex_int(width)} = {tex_int(looked_up)}$ numbers.")
    return Variant(given=(("vocabulary", f"{vocab:,}"), ("width d", f"{width:,}"),
                          ("batch", str(batch)), ("tokens per sequence", str(length))),
                   answer=answer, working=working)


def relu_network(rng: np.random.Generator) -> Variant:
    """Module 06: the output of a 2–2–1 ReLU network for one input."""
    while True:  # redraw until a hidden unit fires, so the output is not 0 for free
        x = rng.integers(0, 3, size=2)
        w1 = rng.integers(-2, 3, size=(2, 2))
        b1 = rng.integers(-1, 2, size=2)
        w2 = rng.integers(-2, 3, size=2)
        z = x @ w1 + b1
        h, _ = activations.relu(z.astype(float))
        if (h * w2).any():
            break
    y = float(h @ w2)
    working = (f"Hidden pre-activations $z = x W_1 + b_1 = {fmt_list(z)}$; ReLU gives "
               f"$h = {fmt_list(h)}$; the output is $h \\cdot w_2 = {fmt_list(h)} \\cdot "
               f"{fmt_list(w2)} = {y:g}$.")
    return Variant(given=(("x", fmt_list(x)), ("W₁ (rows)", fmt_rows(w1)), ("b₁", fmt_list(b1)),
                          ("w₂", fmt_list(w2))),
                   answer=NumberAnswer(kind="number", value=y, tolerance=0.001),
                   working=working)


def cross_entropy_loss(rng: np.random.Generator) -> Variant:
    """Module 07: the probability of the correct token and its cross-entropy loss."""
    while True:
        logits = np.round(rng.uniform(-2, 3, size=4) * 2) / 2
        probs = _softmax(logits)
        target = int(rng.integers(1, 5))
        if probs[target - 1] >= MIN_TARGET_P:
            break
    p = probs[target - 1]
    loss = -math.log(p)
    answer = NumberAnswer(kind="number", fields=(
        NumberField(label="probability of the correct token", value=p, tolerance=0.002),
        NumberField(label="loss in nats", value=loss, tolerance=0.005)))
    working = (f"Softmax gives {fmt_list(probs, 4)}. The correct token is number {target}, "
               f"with $p = {p:.4f}$, so the loss is $-\\ln {p:.4f} = {loss:.4f}$ nats.")
    return Variant(given=(("logits", fmt_list(logits)), ("correct token", str(target))),
                   answer=answer, working=working)


def rnn_steps(rng: np.random.Generator) -> Variant:
    """Module 08: the hidden state of a scalar tanh RNN after two steps, from h₀ = 0."""
    xs = np.array([rng.choice([-2, -1, 1, 2]), rng.integers(-2, 3)])  # x₁ ≠ 0: h₁ ≠ 0
    w_x, w_h = (float(v) for v in rng.choice([-1.0, -0.5, 0.5, 1.0, 1.5], size=2))
    h1, _ = activations.tanh(np.array(w_x * xs[0]))
    h2, _ = activations.tanh(np.array(w_x * xs[1] + w_h * float(h1)))
    working = (f"$h_1 = \\tanh({_t(w_x)} \\times {_t(xs[0])}) = {float(h1):.4f}$ (since "
               f"$h_0 = 0$). $h_2 = \\tanh({_t(w_x)} \\times {_t(xs[1])} + {_t(w_h)} \\times "
               f"{_t(round(float(h1), 4))}) = \\tanh({w_x * xs[1] + w_h * float(h1):.4f}) = "
               f"{float(h2):.4f}$.")
    return Variant(given=(("inputs x₁, x₂", fmt_list(xs)), ("w_x", f"{w_x:g}"),
                          ("w_h", f"{w_h:g}")),
                   answer=NumberAnswer(kind="number", value=float(h2), tolerance=0.002),
                   working=working)


GENERATORS = {
    "softmax-top": softmax_top,
    "token-probability": token_probability,
    "bpe-first-merge": bpe_first_merge,
    "cosine-2d": cosine_2d,
    "embedding-size": embedding_size,
    "relu-network": relu_network,
    "cross-entropy-loss": cross_entropy_loss,
    "rnn-steps": rnn_steps,
}
