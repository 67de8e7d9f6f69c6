"""Rotary position embedding (Su et al. 2021): rotate q and k pair by pair, score them.

Pair i (dimensions 2i and 2i+1, the RoFormer pairing) of a vector at position p is
rotated by the angle p·θ_i with θ_i = b^(−2i/d). Then
(R_m q)·(R_n k) = q·R_(n−m) k = (R_(m−n) q)·k: the score depends only on the offset
m − n, query position minus key position (as lesson 18 and ALiBi's i − j count it: a key
three tokens behind the query is at m − n = 3).
"""

import math
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from app.widgets._lineplot import LinePlot, line_plot
from app.widgets.base import (
    WidgetInputError,
    WidgetParams,
    WidgetResult,
    WidgetSpec,
    parse_vector,
    ui,
)

MAX_D = 128
MAX_POSITION = 100_000  # angles up to 10⁵ rad keep cos/sin accurate to ~10⁻¹¹
MAX_DISTANCE = 64  # the plotted offsets −64…64 (and the API's distances 0…64)
VECTOR_LIMIT = 100.0
SEED = 18  # the constructed "random" q and k
# Shape presets for the page's picker (they fill the form's fields in the browser).
PRESETS = {
    "smollm2": ("SmolLM2-135M: head size 64, base 100,000", {"d": 64, "base": 100_000}),
    "roformer": ("RoFormer's base 10,000 with head size 64", {"d": 64, "base": 10_000}),
    "small": ("Small: head size 8, base 10,000", {"d": 8, "base": 10_000}),
}


class Params(WidgetParams):
    PRESETS: ClassVar[dict] = PRESETS

    d: int = Field(8, ge=2, le=MAX_D, description="Head size; must be even (2–128)",
                   json_schema_extra=ui("Head size d (even)", control="number", step=2))
    base: float = Field(10_000.0, ge=2, le=1e7, description="RoPE base b",
                        json_schema_extra=ui("Base b", control="number"))
    vectors: Literal["random", "aligned", "typed"] = Field(
        "random", description="random: fixed-seed q and k; aligned: k = q; typed: q and k below",
        json_schema_extra=ui("Query and key", control="radio", choices={
            "random": "Random (fixed seed)", "aligned": "Aligned: k = q",
            "typed": "Typed (d numbers each)"}))
    q: str = Field("1,2,0.5,-1,2,0,-0.5,1", max_length=1500,
                   description="Query, d numbers in [−100, 100] (used only when typed)",
                   json_schema_extra=ui("q", show_when={"vectors": ["typed"]}))
    k: str = Field("3,1,-1,0.5,1,1,0,-2", max_length=1500,
                   description="Key, d numbers in [−100, 100] (used only when typed)",
                   json_schema_extra=ui("k", show_when={"vectors": ["typed"]}))
    m: int = Field(2, ge=0, le=MAX_POSITION, description="Query position",
                   json_schema_extra=ui("Query position m", control="number"))
    n: int = Field(5, ge=0, le=MAX_POSITION, description="Key position",
                   json_schema_extra=ui("Key position n", control="number"))
    shift: int = Field(10, ge=0, le=MAX_POSITION, description="Move both positions by this",
                       json_schema_extra=ui("Move both by", control="number"))


class Pair(WidgetResult):
    i: int
    theta: float  # radians per token
    wavelength: float  # tokens per full turn, 2π/θ
    angle: float  # (n − m)·θ = −(m − n)·θ, radians: the key's turn relative to the query
    turns: float  # angle / 2π (negative when the key is behind the query)


class Result(WidgetResult):
    d: int
    base: float
    vectors: str
    m: int
    n: int
    shift: int
    q: list[float]  # (d,)
    k: list[float]  # (d,)
    q_rotated: list[float]  # (d,) R_m q
    k_rotated: list[float]  # (d,) R_n k
    q_norm: float
    q_rotated_norm: float
    k_norm: float
    k_rotated_norm: float
    score_plain: float  # q·k, no positions
    score: float  # (R_m q)·(R_n k)
    score_shifted: float  # (R_(m+s) q)·(R_(n+s) k)
    score_relative: float  # q·(R_(n−m) k)
    shift_difference: float  # |score − score_shifted|
    distances: list[int]  # 0…64, counted key minus query (n − m); kept for the API
    curve: list[float]  # q·R_Δ k for each Δ = n − m in ``distances``
    offset: int  # m − n, query position minus key position
    offsets: list[int]  # −64…64, values of m − n
    offset_scores: list[float]  # (R_Δ q)·k = q·R_(−Δ) k for each Δ = m − n in ``offsets``
    offset_plot: LinePlot  # offset_scores against m − n, the current offset marked
    m_shifted: int  # m + shift
    n_shifted: int  # n + shift
    shift_equal: bool  # the scores before and after the move agree to 1e-9 (rounding only)
    thetas: list[float]  # (d/2,)
    pairs: list[Pair]


def frequencies(d: int, base: float) -> np.ndarray:
    """θ_i = base^(−2i/d) for i = 0…d/2−1, radians per token; shape (d/2,)."""
    return base ** (-np.arange(0, d, 2) / d)


def rotate(x: np.ndarray, position: float, thetas: np.ndarray) -> np.ndarray:
    """Rotate each pair (x_2i, x_2i+1) of a (d,) vector by position·θ_i."""
    angles = position * thetas
    cos, sin = np.cos(angles), np.sin(angles)
    even, odd = x[0::2], x[1::2]
    out = np.empty_like(x)
    out[0::2] = even * cos - odd * sin
    out[1::2] = even * sin + odd * cos
    return out


def vectors(params: Params, d: int) -> tuple[np.ndarray, np.ndarray]:
    if params.vectors == "typed":
        q = parse_vector(params.q, "q", min_len=d, max_len=d, lo=-VECTOR_LIMIT, hi=VECTOR_LIMIT)
        k = parse_vector(params.k, "k", min_len=d, max_len=d, lo=-VECTOR_LIMIT, hi=VECTOR_LIMIT)
        return q, k
    rng = np.random.default_rng(SEED)
    q, k = np.round(rng.standard_normal((2, d)), 2)
    return q, (q.copy() if params.vectors == "aligned" else k)


def compute(params: Params) -> Result:
    d, base = params.d, params.base
    if d % 2:
        raise WidgetInputError(f"d must be even: RoPE rotates pairs of dimensions (got {d})")
    q, k = vectors(params, d)
    thetas = frequencies(d, base)
    m, n, s = params.m, params.n, params.shift
    if max(m, n) + s > MAX_POSITION:
        raise WidgetInputError(f"positions after the move must stay ≤ {MAX_POSITION:,}")
    q_rot, k_rot = rotate(q, m, thetas), rotate(k, n, thetas)
    score = float(q_rot @ k_rot)
    score_shifted = float(rotate(q, m + s, thetas) @ rotate(k, n + s, thetas))
    distances = list(range(MAX_DISTANCE + 1))
    curve = [float(q @ rotate(k, delta, thetas)) for delta in distances]
    offsets = list(range(-MAX_DISTANCE, MAX_DISTANCE + 1))
    offset_scores = [float(q @ rotate(k, -delta, thetas)) for delta in offsets]
    offset = m - n
    angles = (n - m) * thetas
    shown = -MAX_DISTANCE <= offset <= MAX_DISTANCE
    plot = line_plot(
        offsets, [{"key": "score", "label": "score at offset m − n", "cls": "lp-c1",
                   "y": offset_scores}],
        title=f"Score (R_m q)·(R_n k) against the offset m − n from −{MAX_DISTANCE} to "
              f"{MAX_DISTANCE}; it ranges from {min(offset_scores):.2f} to "
              f"{max(offset_scores):.2f}",
        desc=f"The current offset m − n = {offset} scores {score:.4f}"
             + ("" if shown else ", off the chart") + ".",
        x_label="offset m − n (tokens)", y_label="score",
        x_ticks=list(range(-MAX_DISTANCE, MAX_DISTANCE + 1, 16)),
        vlines=[(f"now: m − n = {offset}", "lp-now", offset)],
        markers=[(f"score {score:.4f}", "lp-c3", offset, score)])
    return Result(
        d=d, base=base, vectors=params.vectors, m=m, n=n, shift=s,
        q=q.tolist(), k=k.tolist(), q_rotated=q_rot.tolist(), k_rotated=k_rot.tolist(),
        q_norm=float(np.linalg.norm(q)), q_rotated_norm=float(np.linalg.norm(q_rot)),
        k_norm=float(np.linalg.norm(k)), k_rotated_norm=float(np.linalg.norm(k_rot)),
        score_plain=float(q @ k), score=score, score_shifted=score_shifted,
        score_relative=float(q @ rotate(k, n - m, thetas)),
        shift_difference=abs(score - score_shifted), distances=distances, curve=curve,
        offset=offset, offsets=offsets, offset_scores=offset_scores, offset_plot=plot,
        m_shifted=m + s, n_shifted=n + s, shift_equal=abs(score - score_shifted) < 1e-9,
        thetas=thetas.tolist(),
        pairs=[Pair(i=i, theta=float(t), wavelength=float(2 * math.pi / t), angle=float(a),
                    turns=float(a / (2 * math.pi)))
               for i, (t, a) in enumerate(zip(thetas, angles, strict=True))],
    )


SPEC = WidgetSpec(
    name="rope",
    title="Rotary position embedding",
    summary="Rotate a query and a key by position and see the score depend only on distance.",
    params=Params,
    result=Result,
    compute=compute,
    presets=PRESETS,
)
