"""Generated questions for Part 2 (attention)."""

import numpy as np

from app.content.answers import NumberAnswer, NumberField
from app.practice.gen_part1 import EXACT, fmt_rows, tex_int
from app.practice.generators import Variant, fmt_list
from app.widgets import additive, causal_mask, multi_head, param_count, positional, qkv, softmax

WIDTHS = (128, 256, 512, 768, 1024)
HEAD_SPLITS = ((256, 4), (384, 6), (384, 12), (512, 8), (768, 12), (1024, 16), (2048, 16))


def _csv(values) -> str:
    return ",".join(f"{float(v):g}" for v in values)


def _rows(matrix) -> str:
    return ";".join(_csv(row) for row in matrix)


def sinusoid_dot(rng: np.random.Generator) -> Variant:
    """Module 09: the dot product of the sinusoidal encodings of two positions."""
    d_model = int(rng.choice([4, 8]))
    p1, p2 = sorted(int(p) for p in rng.choice(21, size=2, replace=False))
    pe = positional.encoding(np.array([p1, p2]), d_model)
    dot = float(pe[0] @ pe[1])
    omegas = [1 / positional.BASE ** (2 * i / d_model) for i in range(d_model // 2)]
    terms = " + ".join(f"\\cos({w:g} \\times {p2 - p1})" for w in omegas)
    working = (f"Each (sin, cos) pair contributes $\\cos(\\omega (p_2 - p_1))$, so "
               f"$\\mathrm{{PE}}({p1}) \\cdot \\mathrm{{PE}}({p2}) = {terms} = {dot:.4f}$. Only "
               f"the offset, {p2 - p1}, matters, not where the two positions sit.")
    return Variant(given=(("d_model", str(d_model)), ("positions", f"{p1} and {p2}")),
                   answer=NumberAnswer(kind="number", value=dot, tolerance=0.002),
                   working=working)


def block_params(rng: np.random.Generator) -> Variant:
    """Module 10: parameters of one GPT-2-style block (with biases and two LayerNorms)."""
    d = int(rng.choice(WIDTHS))
    parts = param_count.count("gpt", 1, 1, d, 1, 1, 1, 4 * d, True)
    attention, mlp = parts["attention (all layers)"], parts["feed-forward (all layers)"]
    block = parts["_per_layer"]
    answer = NumberAnswer(kind="number", fields=(
        NumberField(label="attention", value=attention, rel=EXACT),
        NumberField(label="feed-forward network", value=mlp, rel=EXACT),
        NumberField(label="whole block", value=block, rel=EXACT)))
    working = (f"Attention: $W_Q, W_K, W_V, W_O$ are ${d} \\times {d}$ with a bias each, "
               f"$4 \\times {d}^2 + 4 \\times {d} = {tex_int(attention)}$. Feed-forward: "
               f"${d} \\times {4 * d} + {4 * d} + {4 * d} \\times {d} + {d} = {tex_int(mlp)}$. "
               f"Two LayerNorms add $2 \\times 2 \\times {d} = {4 * d}$, so the block holds "
               f"**{block:,}** parameters, close to $12 d^2 = {tex_int(12 * d * d)}$.")
    return Variant(given=(("d_model", str(d)), ("feed-forward width", str(4 * d))),
                   answer=answer, working=working)


def _keys(rng: np.random.Generator, q: np.ndarray) -> np.ndarray:
    """Three distinct 4-component keys of 0s, 1s and −1s, not all scoring alike against q."""
    while True:
        keys = rng.integers(-1, 2, size=(3, 4))
        if len({tuple(k) for k in keys}) == 3 and len(set(keys @ q)) > 1:
            return keys


def attention_weight(rng: np.random.Generator) -> Variant:
    """Module 11: the scaled score of one key and the attention weight it gets."""
    q = rng.integers(-1, 3, size=4)
    while not q.any():
        q = rng.integers(-1, 3, size=4)
    keys = _keys(rng, q)
    r = qkv.compute(qkv.Params(q=[_csv(q)], k=[_csv(keys[0])], others=_rows(keys[1:])))
    answer = NumberAnswer(kind="number", fields=(
        NumberField(label="scaled score of k₁", value=r.scaled, tolerance=0.001),
        NumberField(label="weight on k₁", value=r.weight, tolerance=0.002)))
    working = (f"Dot products with the three keys: {fmt_list(keys @ q)}; divided by "
               f"$\\sqrt{{4}} = 2$: {fmt_list(r.scores)}. The softmax gives "
               f"{fmt_list(r.weights, 3)}, so $k_1$ scores **{r.scaled:g}** and gets "
               f"**{r.weight:.3f}**.")
    return Variant(given=(("q", fmt_list(q)), ("k₁, k₂, k₃", fmt_rows(keys))),
                   answer=answer, working=working)


def attention_output(rng: np.random.Generator) -> Variant:
    """Module 12: the output of one attention query over three keys and their values."""
    q = rng.integers(0, 3, size=4)
    while not q.any():
        q = rng.integers(0, 3, size=4)
    keys = _keys(rng, q)
    values = rng.integers(0, 3, size=(3, 2))
    r = qkv.compute(qkv.Params(q=[_csv(q)], k=[_csv(keys[0])], others=_rows(keys[1:]),
                               values=_rows(values)))
    answer = NumberAnswer(kind="number", fields=(
        NumberField(label="output, first component", value=r.output[0], tolerance=0.002),
        NumberField(label="output, second component", value=r.output[1], tolerance=0.002)))
    blend = " + ".join(f"{w:.3f} \\cdot {fmt_list(v)}" for w, v in zip(r.weights, values,
                                                                       strict=True))
    working = (f"Scaled scores $q \\cdot k_j / 2$: {fmt_list(r.scores)}. Weights: "
               f"{fmt_list(r.weights, 3)}. Output: ${blend} = {fmt_list(r.output, 3)}$.")
    return Variant(given=(("q", fmt_list(q)), ("keys k₁, k₂, k₃", fmt_rows(keys)),
                          ("values v₁, v₂, v₃", fmt_rows(values))),
                   answer=answer, working=working)


def additive_score(rng: np.random.Generator) -> Variant:
    """Module 12a: Bahdanau's score vᵀ tanh(W_q q + W_k k) for one query and one key."""
    q, k = (np.round(rng.uniform(-2, 2, size=2) * 2) / 2 for _ in range(2))
    wq, wk = rng.integers(-1, 2, size=(2, 2, 2))
    v = rng.integers(-2, 3, size=2)
    while not v.any():
        v = rng.integers(-2, 3, size=2)
    r = additive.compute(additive.Params(q=_csv(q), keys=_csv(k), wq=_rows(wq), wk=_rows(wk),
                                         v=_csv(v)))
    score = r.additive_scores[0]
    pre = wq @ q + wk @ k
    working = (f"$W_q q + W_k k = {fmt_list(wq @ q)} + {fmt_list(wk @ k)} = {fmt_list(pre)}$; "
               f"tanh gives {fmt_list(r.hidden[0], 4)}; the score is "
               f"${fmt_list(v)} \\cdot {fmt_list(r.hidden[0], 4)} = {score:.4f}$.")
    return Variant(given=(("q", fmt_list(q)), ("k", fmt_list(k)), ("W_q (rows)", fmt_rows(wq)),
                          ("W_k (rows)", fmt_rows(wk)), ("v", fmt_list(v))),
                   answer=NumberAnswer(kind="number", value=score, tolerance=0.002),
                   working=working)


def causal_weights(rng: np.random.Generator) -> Variant:
    """Module 13: two weights of a causally masked 3 × 3 attention matrix."""
    scores = rng.integers(0, 5, size=(3, 3)).astype(float)
    weights = causal_mask.masked_softmax(scores, causal_mask.causal_mask(3, True))
    answer = NumberAnswer(kind="number", fields=(
        NumberField(label="row 2, key 1", value=weights[1, 0], tolerance=0.002),
        NumberField(label="row 3, key 3", value=weights[2, 2], tolerance=0.002)))
    working = (f"Row 2 keeps {fmt_list(scores[1, :2])} and row 3 all of "
               f"{fmt_list(scores[2])}; everything above the diagonal is ignored. The softmax "
               f"of each row gives {fmt_list(weights[1, :2], 4)} and "
               f"{fmt_list(weights[2], 4)}.")
    return Variant(given=(("scores (rows)", fmt_rows(scores)),), answer=answer,
                   working=working)


def head_split(rng: np.random.Generator) -> Variant:
    """Module 14: the head width and the projection weights of multi-head attention."""
    d_model, heads = HEAD_SPLITS[int(rng.integers(len(HEAD_SPLITS)))]
    c = multi_head.count_parameters(d_model, heads)
    answer = NumberAnswer(kind="number", fields=(
        NumberField(label="d_head", value=c.d_head, tolerance=0),
        NumberField(label="one head's slice of W_Q", value=c.per_head_q, rel=EXACT),
        NumberField(label="W_Q, W_K, W_V, W_O together", value=c.attention_weights,
                    rel=EXACT)))
    working = (f"$d_{{\\text{{head}}}} = {d_model} / {heads} = {c.d_head}$. One head's slice "
               f"of $W_Q$ is ${d_model} \\times {c.d_head} = {tex_int(c.per_head_q)}$. The "
               f"four matrices are ${d_model} \\times {d_model}$ each, however many heads: "
               f"$4 \\times {tex_int(c.per_matrix)} = {tex_int(c.attention_weights)}$.")
    return Variant(given=(("d_model", str(d_model)), ("heads", str(heads))), answer=answer,
                   working=working)


def padding_share(rng: np.random.Generator) -> Variant:
    """Module 15: attention lost to padding without a mask, and a real weight with one."""
    real = rng.integers(-1, 4, size=2)
    pads = int(rng.integers(1, 4))
    scores = [*real, *([0] * pads)]
    unmasked = softmax.compute(softmax.Params(logits=_csv(scores))).probabilities
    masked = softmax.compute(softmax.Params(logits=_csv(real))).probabilities
    share = sum(unmasked[2:])
    answer = NumberAnswer(kind="number", fields=(
        NumberField(label="share on padding, no mask", value=share, tolerance=0.002),
        NumberField(label="mask: weight on token 1", value=masked[0], tolerance=0.002)))
    working = (f"Without the mask the softmax of {fmt_list(scores)} is "
               f"{fmt_list(unmasked, 4)}, so the padding takes "
               f"**{share:.4f}**. With the mask only {fmt_list(real)} remain, and the softmax "
               f"gives {fmt_list(masked, 4)}.")
    return Variant(given=(("scores", fmt_list(scores)), ("padding tokens", str(pads))),
                   answer=answer, working=working)


GENERATORS = {
    "sinusoid-dot": sinusoid_dot,
    "block-params": block_params,
    "attention-weight": attention_weight,
    "attention-output": attention_output,
    "additive-score": additive_score,
    "causal-weights": causal_weights,
    "head-split": head_split,
    "padding-share": padding_share,
}
