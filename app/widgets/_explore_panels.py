"""The explorer's detail panels: each slices one cached pass (see
:mod:`app.engine.explore_trace`) into the numbers one stage shows. Layers and heads are
1-based here, as the lessons say them; positions are 0-based."""

import math

import numpy as np
from pydantic import BaseModel, Field

from app.engine.explore_trace import Inside, Pass
from app.widgets._smollm2 import TokenOut, f32_values, token_label, token_texts

NEAR_ZERO = 0.05  # |silu(gate)| below this: the unit lets (almost) nothing through
HIST_BINS = 24
EMBED_VALUES = 6  # first numbers of each embedding row shown
LEVELS = 10  # colour steps h0–h10 of the heatmaps


class Labelled(BaseModel):
    """A token the model predicts, with how the panel shows it."""

    id: int
    text: str
    probability: float
    label: str = Field("", exclude=True)
    percent: float = Field(0.0, exclude=True)


def labelled(model, token_id: int, probability: float) -> Labelled:
    return Labelled(id=int(token_id), text=model.token_text(token_id),
                    probability=float(probability), label=token_label(model, token_id),
                    percent=float(probability) * 100)


class EmbedPanel(BaseModel):
    norms: list[float]  # (n,) ‖E[id]‖ per token
    first_values: list[list[float]]  # (n, 6) the first numbers of each embedding row


class ResidualPanel(BaseModel):
    norms: list[list[float]]  # (31, n): depth 0 = embeddings, depth l = after block l
    # HTML only: colour step per cell on a log scale (the first token's norm is ~100× the
    # others from the middle layers on, so a linear scale would hide everything else).
    levels: list[list[int]] = Field(default_factory=list, exclude=True)
    lo: float = Field(0.0, exclude=True)
    hi: float = Field(0.0, exclude=True)


class HeadRow(BaseModel):
    head: int  # 1-based query head
    kv_head: int  # 1-based key/value head it reads
    last_row: list[float]  # (n,) where the last token looks in this head
    top_key: int  # the key it looks at most (0-based position)
    levels: list[int] = Field(default_factory=list, exclude=True)


class AttentionPanel(BaseModel):
    layer: int
    head: int
    kv_head: int
    groups: list[list[int]]  # query heads (1-based) per key/value head
    heads: list[HeadRow]  # all 9 heads of this block
    weights: list[list[float]]  # (n, n) the chosen head's pattern
    vmax: float = Field(1.0, exclude=True)


class RopePanel(BaseModel):
    layer: int
    head: int
    pair: int  # 1-based: dimensions 2·pair − 1 and 2·pair of the head
    query_pos: int  # 0-based: the last token
    key_pos: int  # 0-based: where this head looks most from the last token (past the first)
    theta: float  # radians per position for this pair: base^(−2(pair−1)/64)
    q_before: list[float]  # (2,) the pair before rotation
    q_after: list[float]
    k_before: list[float]
    k_after: list[float]
    dot_before: float  # the pair's q·k without RoPE
    dot_after: float  # with RoPE: depends on query_pos − key_pos only
    score: float  # the whole head's q·k/√64 with RoPE (the pre-softmax score)
    score_without: float  # the same without RoPE
    pair_scores: list[float]  # (32,) each pair's share of the score, with RoPE
    # HTML only: SVG coordinates (a 200 × 200 box, centre 100, 100).
    svg: dict = Field(default_factory=dict, exclude=True)


class FfnPanel(BaseModel):
    layer: int
    token: int  # 0-based: the last token
    threshold: float
    near_zero: int  # gate activations of that token with |a| < threshold
    negative: int
    d_ff: int
    counts: list[int]  # histogram of that token's 1536 activations
    edges: list[float]  # bin edges (HIST_BINS + 1)
    near_zero_share: list[float]  # (n,) fraction near zero, per token
    largest: float
    smallest: float
    bars: list[dict] = Field(default_factory=list, exclude=True)
    zero_x: float = Field(0.0, exclude=True)  # where 0 sits on the histogram, in %


class LensPanel(BaseModel):
    layer: int  # depth: 0 = embeddings, l = after block l
    last_top: list[Labelled]  # the last position's best LENS_TOP read at this depth
    final_rank: int  # rank of the model's final prediction here (1 = top)
    final_probability: float


def embed_panel(p: Pass) -> EmbedPanel:
    rows = p.residuals[0]
    return EmbedPanel(norms=[round(float(v), 4) for v in p.norms[0]],
                      first_values=f32_values(rows[:, :EMBED_VALUES]))


def residual_panel(p: Pass) -> ResidualPanel:
    logs = np.log10(np.maximum(p.norms, 1e-6))
    lo, hi = float(logs.min()), float(logs.max())
    span = max(hi - lo, 1e-9)
    levels = np.rint((logs - lo) / span * LEVELS).astype(int)
    return ResidualPanel(norms=[[round(float(v), 2) for v in row] for row in p.norms],
                         levels=levels.tolist(), lo=10 ** lo, hi=10 ** hi)


def attention_panel(model, p: Pass, layer: int, head: int) -> AttentionPanel:
    cfg = model.config
    block = p.attention[layer - 1]  # (9, n, n)
    group = cfg.group_size
    heads = []
    for h in range(cfg.n_heads):
        row = block[h, -1]
        peak = max(float(row.max()), 1e-9)
        heads.append(HeadRow(head=h + 1, kv_head=h // group + 1, last_row=f32_values(row),
                             top_key=int(np.argmax(row)),
                             levels=[int(v) for v in np.rint(row / peak * LEVELS)]))
    weights = block[head - 1]
    return AttentionPanel(
        layer=layer, head=head, kv_head=(head - 1) // group + 1,
        groups=[list(range(g * group + 1, (g + 1) * group + 1)) for g in range(cfg.n_kv_heads)],
        heads=heads, weights=f32_values(weights), vmax=max(float(weights.max()), 1e-9))


def _rotate(v: np.ndarray, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([v[0] * c - v[1] * s, v[0] * s + v[1] * c])


def _svg_points(vectors: dict, radius: float = 80.0) -> dict:
    """Pair vectors as SVG end points around (100, 100), y up, each drawn at full radius:
    RoPE only turns a vector, so its direction is what the picture shows."""
    out = {}
    for key, v in vectors.items():
        length = max(float(np.hypot(*v)), 1e-12)
        out[key] = (round(100 + radius * float(v[0]) / length, 2),
                    round(100 - radius * float(v[1]) / length, 2))
    return out


def rope_panel(model, p: Pass, inside: Inside, layer: int, head: int, pair: int) -> RopePanel:
    cfg = model.config
    # The key: where this head looks most from the last token, apart from the first token
    # (most heads park spare weight there, and position 0 does not rotate at all).
    i = len(p.ids) - 1
    row = p.attention[layer - 1, head - 1, i]
    j = int(np.argmax(row[1:])) + 1 if i > 0 else 0
    kv = (head - 1) // cfg.group_size
    d = slice(2 * (pair - 1), 2 * pair)
    q_raw, q = inside.q_raw[head - 1, i], inside.q[head - 1, i]
    k_raw, k = inside.k_raw[kv, j], inside.k[kv, j]
    scale = 1.0 / math.sqrt(cfg.head_dim)
    parts = (q.astype(np.float64) * k.astype(np.float64)).reshape(-1, 2).sum(axis=1) * scale
    vectors = {"q_before": q_raw[d], "q_after": q[d], "k_before": k_raw[d], "k_after": k[d]}
    return RopePanel(
        layer=layer, head=head, pair=pair, query_pos=i, key_pos=j,
        theta=float(cfg.rope_base ** (-2 * (pair - 1) / cfg.head_dim)),
        q_before=f32_values(q_raw[d]), q_after=f32_values(q[d]),
        k_before=f32_values(k_raw[d]), k_after=f32_values(k[d]),
        dot_before=float(np.dot(q_raw[d].astype(np.float64), k_raw[d])),
        dot_after=float(np.dot(q[d].astype(np.float64), k[d])),
        score=float(parts.sum()),
        score_without=float(np.dot(q_raw.astype(np.float64), k_raw) * scale),
        pair_scores=[round(float(v), 5) for v in parts], svg=_svg_points(vectors))


def ffn_panel(inside: Inside, layer: int) -> FfnPanel:
    acts = inside.gate.astype(np.float64)  # (n, 1536)
    last = acts[-1]
    lo, hi = float(last.min()), float(last.max())
    counts, edges = np.histogram(last, bins=HIST_BINS, range=(min(lo, -0.3), max(hi, 0.3)))
    peak = max(int(counts.max()), 1)
    zero_x = 100 * (0 - edges[0]) / (edges[-1] - edges[0])
    bars = [{"x": round(100 * k / HIST_BINS, 3), "w": round(100 / HIST_BINS, 3),
             "h": round(100 * int(c) / peak, 2), "count": int(c),
             "lo": float(edges[k]), "hi": float(edges[k + 1]),
             "near": bool(edges[k + 1] > -NEAR_ZERO and edges[k] < NEAR_ZERO)}
            for k, c in enumerate(counts)]
    return FfnPanel(layer=layer, token=acts.shape[0] - 1, threshold=NEAR_ZERO,
                    near_zero=int((np.abs(last) < NEAR_ZERO).sum()),
                    negative=int((last < 0).sum()), d_ff=int(acts.shape[1]),
                    counts=[int(c) for c in counts], edges=[round(float(e), 5) for e in edges],
                    near_zero_share=[round(float(v), 5)
                                     for v in (np.abs(acts) < NEAR_ZERO).mean(axis=1)],
                    largest=hi, smallest=lo, bars=bars, zero_x=round(float(zero_x), 3))


def lens_panel(model, p: Pass, depth: int) -> LensPanel:
    """The last position's stream at ``depth`` read through the final norm and the tied
    head: already in the pass (every depth was read once for the "why" trail)."""
    return LensPanel(layer=depth,
                     last_top=[labelled(model, int(t), pr) for t, pr
                               in zip(p.lens_ids[depth], p.lens_probs[depth], strict=True)],
                     final_rank=int(p.final_ranks[depth]),
                     final_probability=float(p.final_probs[depth]))


def token_chips(model, ids) -> list[TokenOut]:
    texts = token_texts(model, ids)
    return [TokenOut(id=int(i), text=t, label=token_label(model, i))
            for i, t in zip(ids, texts, strict=True)]
