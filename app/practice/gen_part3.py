"""Generated questions for Part 3 (the transformer's parts, Modules 16–21).

Each generator computes its answer with the widget function its lesson uses, and lists
as mistakes the wrong numbers a learner reaches by a known slip, but only when such a
number lies clearly outside the answer's tolerance (a mistake must never grade as right).
"""

import math

import numpy as np

from app.content.answers import Mistake, NumberAnswer, NumberField
from app.practice.generators import Variant, fmt_list
from app.widgets import activations, causal_mask, normalization, output_head, param_count, rope

HEAD_SIZE = 64  # every head in the Module 20 question has the size SmolLM2 and Llama use
COUNT_REL = 1e-5  # exact counts, but typed to 6 significant digits (4.71859e6) still pass
MIN_PROBABILITY = 0.05  # Module 19: below this, a probability rounded to 3 decimals moves the loss


def _tex(n: int) -> str:
    """12345 -> '12{,}345', a thousands separator KaTeX does not space out."""
    return f"{n:,}".replace(",", "{,}")


def _mistakes(value: float, slack: float, candidates: list[tuple[float, str]]) -> tuple:
    """The candidates that stay well away from ``value`` (and from each other)."""
    out: list[Mistake] = []
    for wrong, feedback in candidates:
        if abs(wrong - value) > 2 * slack and all(abs(wrong - m.value) > 2 * slack for m in out):
            out.append(Mistake(value=wrong, feedback=feedback))
    return tuple(out)


def _field(label: str, value: float, tolerance: float, candidates=(), rel: bool = False
           ) -> NumberField:
    """One number; ``rel=True`` reads ``tolerance`` as a fraction of the value."""
    slack = tolerance * abs(value) if rel else tolerance
    bound = {"rel": tolerance} if rel else {"tolerance": tolerance}
    return NumberField(label=label, value=value, mistakes=_mistakes(value, slack, list(candidates)),
                       **bound)


def rmsnorm_entry(rng: np.random.Generator) -> Variant:
    """Module 16: the RMS of four small integers and the first entry after RMSNorm."""
    while True:
        x = rng.integers(-5, 6, size=4)
        if x[0] != 0 and len(set(x.tolist())) > 1:  # a first entry to ask for; a variance
            break
    result = normalization.compute(normalization.Params(
        x=",".join(str(int(v)) for v in x), eps=1e-12))  # "ignore ε"
    rms, first = result.input_stats.rms, result.rmsnorm.output[0]
    answer = NumberAnswer(kind="number", fields=(
        _field("root mean square", rms, 0.002, [
            (result.input_stats.norm, "That is the length $\\|x\\|$, the root of the *sum* "
                                      "of the squares. RMSNorm uses their *mean*: divide "
                                      "the sum by 4 before taking the root."),
            (float(np.mean(x * x)), "That is the mean square. Take its square root.")]),
        _field("first entry after RMSNorm", first, 0.002, [
            (float(x[0] / result.input_stats.norm), "That divides by the length $\\|x\\|$. "
                                                    "RMSNorm divides by the root mean square, "
                                                    "which is the length over $\\sqrt{4} = 2$."),
            (result.layernorm.output[0], "That is LayerNorm, which subtracts the mean first. "
                                         "RMSNorm only divides by the root mean square.")]),
    ))
    squares = " + ".join(f"{int(v) ** 2}" for v in x)
    working = (f"The mean square is $({squares})/4 = {np.mean(x * x):g}$, so the RMS is "
               f"$\\sqrt{{{np.mean(x * x):g}}} \\approx {rms:.4f}$. RMSNorm divides every entry "
               f"by it: the output is {fmt_list(result.rmsnorm.output, 4)}, and its first "
               f"entry is ${int(x[0])} / {rms:.4f} \\approx$ **{first:.3f}**.")
    return Variant(given=(("x", fmt_list(x)),), answer=answer, working=working)


def swiglu_unit(rng: np.random.Generator) -> Variant:
    """Module 17: what one SwiGLU unit passes on, SiLU(gate) · up."""
    gate = float(rng.choice([g for g in np.arange(-3, 3.5, 0.5) if g != 0]))
    up = float(rng.choice([u for u in np.arange(-3, 3.5, 0.5) if u != 0]))
    silu = float(activations.silu(np.array([gate]))[0][0])  # the activations widget's SiLU
    out = silu * up
    sigma = 1 / (1 + math.exp(-gate))
    answer = NumberAnswer(kind="number", fields=(_field("SiLU(g) · u", out, 0.002, [
        (gate * up, "That multiplies the gate score itself by $u$. The gate first goes "
                    "through SiLU: $\\mathrm{SiLU}(g) = g \\cdot \\sigma(g)$."),
        (sigma * up, "That uses the sigmoid $\\sigma(g)$ as the gate, as the original GLU "
                     "does. SwiGLU uses $\\mathrm{SiLU}(g) = g \\cdot \\sigma(g)$."),
        (max(gate, 0.0) * up, "That uses ReLU as the gate. SiLU is smooth: "
                              "$\\mathrm{SiLU}(g) = g \\cdot \\sigma(g)$, which is not 0 "
                              "for negative $g$ and not $g$ for positive $g$."),
    ]),))
    working = (f"$\\sigma({gate:g}) = 1/(1 + e^{{{-gate:g}}}) \\approx {sigma:.4f}$, so "
               f"$\\mathrm{{SiLU}}({gate:g}) = {gate:g} \\cdot {sigma:.4f} \\approx "
               f"{silu:.4f}$. Times $u = {up:g}$: **{out:.3f}**.")
    return Variant(given=(("gate score g", f"{gate:g}"), ("up score u", f"{up:g}")),
                   answer=answer, working=working)


def rope_score(rng: np.random.Generator) -> Variant:
    """Module 18: the RoPE score of a 2-d query and key at two positions."""
    while True:
        q, k = rng.integers(-3, 4, size=(2, 2)).astype(float)
        if q.any() and k.any():
            break
    theta = float(rng.choice([0.25, 0.5, 1.0]))
    n = int(rng.integers(0, 8))
    m = n + int(rng.integers(1, 7))  # the key sits 1–6 tokens behind the query
    thetas = np.array([theta])
    score = float(rope.rotate(q, m, thetas) @ rope.rotate(k, n, thetas))
    flipped = float(q @ rope.rotate(k, m - n, thetas))
    degrees = float(q @ rope.rotate(k, math.radians((n - m) * theta), np.array([1.0])))
    answer = NumberAnswer(kind="number", fields=(_field("score", score, 0.002, [
        (float(q @ k), "That is $q \\cdot k$ without positions. RoPE rotates the query by "
                       "$m\\theta$ and the key by $n\\theta$ first."),
        (flipped, "The rotation went the wrong way. The score is $q \\cdot R_{(n-m)\\theta} k$: "
                  "with the key behind the query, $n - m$ is negative."),
        (degrees, "Your calculator is in degrees. RoPE's angles are in radians."),
    ]),))
    angle = (n - m) * theta
    turned = rope.rotate(k, n - m, thetas)
    working = (f"Only the offset matters: the score is $q \\cdot R_{{(n-m)\\theta}} k$ with "
               f"$(n - m)\\theta = ({n} - {m}) \\cdot {theta:g} = {angle:g}$ radians. "
               f"Rotating $k$ gives {fmt_list(turned, 4)}, and its dot product with "
               f"$q$ is **{score:.3f}**.")
    return Variant(given=(("q", fmt_list(q)), ("k", fmt_list(k)), ("θ", f"{theta:g}"),
                          ("query position m", str(m)), ("key position n", str(n))),
                   answer=answer, working=working)


def output_head_prob(rng: np.random.Generator) -> Variant:
    """Module 19: probability and loss of a next token under the lesson's tied vocabulary."""
    while True:  # a next token the model gives at least 5%, so a rounded p keeps the loss
        h = np.round(rng.uniform(-1.5, 2, size=3) * 2) / 2 + 0.0  # halves, no −0
        target = str(rng.choice(output_head.LESSON_TOKENS))
        result = output_head.compute(output_head.Params(
            vocabulary="lesson", h1=h[0], h2=h[1], h3=h[2], h4=0, target=target))
        p = result.probabilities[result.target_index]
        if p >= MIN_PROBABILITY:
            break
    answer = NumberAnswer(kind="number", fields=(
        _field("probability of the next token", p, 0.002, [
            (1 / len(result.tokens), "That is the uniform share. The logits $h \\cdot e_i$ "
                                     "differ, so softmax gives the tokens different shares.")]),
        _field("loss", result.loss, 0.01, [
            (-math.log10(p), "That uses $\\log_{10}$. The cross-entropy uses the natural "
                             "log: $-\\ln p$."),
            (-math.log2(p), "That is in bits ($\\log_2$). The loss here is in nats: "
                            "$-\\ln p$.")]),
    ))
    logits = ", ".join(f"{t} {z:g}" for t, z in zip(result.tokens, result.logits, strict=True))
    working = (f"The logits $h \\cdot e_i$ are: {logits}. Softmax gives "
               f"{fmt_list(result.probabilities, 4)}, in the same order, so "
               f"$p(\\text{{{target}}}) \\approx$ "
               f"**{p:.4f}** and the loss is $-\\ln {p:.4f} \\approx$ **{result.loss:.4f}**.")
    return Variant(given=(("h", fmt_list(h)), ("next token", target)), answer=answer,
                   working=working)


def llama_block_params(rng: np.random.Generator) -> Variant:
    """Module 20: the parameters of one Llama-style block (GQA, SwiGLU, RMSNorm)."""
    d = int(rng.choice([512, 768, 1024, 2048]))
    heads = d // HEAD_SIZE
    kv_heads = int(rng.choice([k for k in (1, 2, 4, heads // 4, heads // 2, heads)
                               if k >= 1 and heads % k == 0]))
    d_ff = int(rng.choice([2, 3, 4])) * d  # widths a person can multiply by hand
    result = param_count.compute(param_count.Params(
        style="llama", vocab=1000, d_model=d, layers=1, heads=heads, kv_heads=kv_heads,
        d_ff=d_ff, tied=True))
    per_layer = result.per_layer
    kv = kv_heads * HEAD_SIZE
    answer = NumberAnswer(kind="number", fields=(_field("parameters in one block", per_layer,
                                                        COUNT_REL, rel=True, candidates=[
        (per_layer - 2 * d, "Almost: add the two RMSNorm gain vectors, $2d$."),
        (4 * d * d + 3 * d * d_ff + 2 * d, "That gives $W_K$ and $W_V$ all the heads. With "
                                          "grouped-query attention they have only the "
                                          "key–value heads: $d \\times (\\text{kv heads} "
                                          "\\cdot 64)$ each."),
        (per_layer - d * d_ff, "That counts two MLP matrices. SwiGLU has three: gate, up "
                               "and down, $3 \\cdot d \\cdot d_{\\text{ff}}$."),
        (12 * d * d, "That is the $12d^2$ rule of thumb. Count the shapes instead: this "
                     "block has grouped K/V heads and its own MLP width."),
    ]),))
    heads_of = f"{kv_heads} head{'s' if kv_heads > 1 else ''} of {HEAD_SIZE}"
    working = (f"Attention: $W_Q$ and $W_O$ are ${d} \\times {d}$, $W_K$ and $W_V$ are "
               f"${d} \\times {kv}$ ({heads_of}): $2 \\cdot {d}^2 + 2 \\cdot {d} "
               f"\\cdot {kv} = {_tex(2 * d * d + 2 * d * kv)}$. MLP: $3 \\cdot {d} \\cdot {d_ff} = "
               f"{_tex(3 * d * d_ff)}$. Norms: $2 \\cdot {d} = {_tex(2 * d)}$. Total: "
               f"**{per_layer:,}**.")
    return Variant(given=(("width d", str(d)), ("query heads", str(heads)),
                          ("key–value heads", str(kv_heads)), ("head size", str(HEAD_SIZE)),
                          ("MLP width", str(d_ff))),
                   answer=answer, working=working)


def attention_pairs(rng: np.random.Generator) -> Variant:
    """Module 21: (query, key) pairs an encoder and a decoder allow for n tokens."""
    n = int(rng.integers(4, 31))
    encoder = int(causal_mask.causal_mask(n, causal=False).sum())
    decoder = int(causal_mask.causal_mask(n, causal=True).sum())
    answer = NumberAnswer(kind="number", fields=(
        _field("pairs in an encoder", encoder, 0, [
            (decoder, "That is the decoder's count. An encoder has no mask: all $n^2$ pairs."),
            (n * (n - 1), "Each token also attends to itself: count the diagonal too.")]),
        _field("pairs in a decoder", decoder, 0, [
            (n * (n - 1) // 2, "That leaves out the diagonal: every token sees itself too."),
            (encoder, "That is the encoder's count. The causal mask hides every key after "
                      "its query."),
            (n * n / 2, "Half of $n^2$ misses half of the diagonal: the lower triangle with "
                         "the diagonal holds $n(n + 1)/2$.")]),
    ))
    working = (f"Encoder: every token sees all {n}: ${n}^2 = {encoder}$. Decoder: token $i$ "
               f"sees $i$ tokens, so $1 + 2 + \\dots + {n} = {n} \\cdot {n + 1}/2 = {decoder}$.")
    return Variant(given=(("n", str(n)),), answer=answer, working=working)


GENERATORS = {
    "rmsnorm-entry": rmsnorm_entry,
    "swiglu-unit": swiglu_unit,
    "rope-score": rope_score,
    "output-head-prob": output_head_prob,
    "llama-block-params": llama_block_params,
    "attention-pairs": attention_pairs,
}
