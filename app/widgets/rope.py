"""Rotary position embedding (Su et al. 2021): rotate q and k pair by pair, score them.

Pair i (dimensions 2i and 2i+1, the RoFormer pairing) of a vector at position p is
rotated by the angle p·θ_i with θ_i = b^(−2i/d). Then
(R_m q)·(R_n k) = q·R_(n−m) k: the score depends only on the distance n − m.
"""

import math
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec, parse_vector

MAX_D = 128
MAX_POSITION = 100_000  # angles up to 10⁵ rad keep cos/sin accurate to ~10⁻¹¹
MAX_DISTANCE = 64  # the plotted distances 0…64
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

    d: int = Field(8, ge=2, le=MAX_D, description="Head size; must be even (2–128)")
    base: float = Field(10_000.0, ge=2, le=1e7, description="RoPE base b")
    vectors: Literal["random", "aligned", "typed"] = Field(
        "random", description="random: fixed-seed q and k; aligned: k = q; typed: q and k below")
    q: str = Field("1,2,0.5,-1,2,0,-0.5,1", max_length=1500,
                   description="Query, d numbers in [−100, 100] (used only when typed)")
    k: str = Field("3,1,-1,0.5,1,1,0,-2", max_length=1500,
                   description="Key, d numbers in [−100, 100] (used only when typed)")
    m: int = Field(2, ge=0, le=MAX_POSITION, description="Query position")
    n: int = Field(5, ge=0, le=MAX_POSITION, description="Key position")
    shift: int = Field(10, ge=0, le=MAX_POSITION, description="Move both positions by this")


class Pair(WidgetResult):
    i: int
    theta: float  # radians per token
    wavelength: float  # tokens per full turn, 2π/θ
    angle: float  # (n − m)·θ, radians
    turns: float  # angle / 2π


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
    distances: list[int]  # 0…64
    curve: list[float]  # q·R_Δ k for each distance Δ
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
    angles = (n - m) * thetas
    return Result(
        d=d, base=base, vectors=params.vectors, m=m, n=n, shift=s,
        q=q.tolist(), k=k.tolist(), q_rotated=q_rot.tolist(), k_rotated=k_rot.tolist(),
        q_norm=float(np.linalg.norm(q)), q_rotated_norm=float(np.linalg.norm(q_rot)),
        k_norm=float(np.linalg.norm(k)), k_rotated_norm=float(np.linalg.norm(k_rot)),
        score_plain=float(q @ k), score=score, score_shifted=score_shifted,
        score_relative=float(q @ rotate(k, n - m, thetas)),
        shift_difference=abs(score - score_shifted), distances=distances, curve=curve,
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
)
