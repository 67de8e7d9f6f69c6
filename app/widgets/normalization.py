"""LayerNorm and RMSNorm of one token's vector, with the statistics before and after.

LayerNorm(x) = γ ⊙ (x − μ)/√(σ² + ε) + β   (Ba, Kiros and Hinton 2016)
RMSNorm(x)   = γ ⊙ x/√(mean(x²) + ε)        (Zhang and Sennrich 2019)

Both work over the d features of a single token. The input can be shifted and scaled
(x' = scale·x + shift) to show which norm ignores which change.
"""

import numpy as np
from pydantic import Field

from app.widgets.base import (
    WidgetInputError,
    WidgetParams,
    WidgetResult,
    WidgetSpec,
    parse_vector,
    ui,
)

MIN_D, MAX_D = 2, 16
VALUE_LIMIT = 1e4  # |x_i|; with |scale| ≤ 1000 every square stays far below float overflow
GAIN_LIMIT = 100.0


class Params(WidgetParams):
    x: str = Field("2,-1,4,0.5,3", max_length=400,
                   description="The token's vector: 2–16 numbers in [−10⁴, 10⁴], "
                               "comma-separated",
                   json_schema_extra=ui("Vector x"))
    shift: float = Field(0.0, ge=-100, le=100, description="Added to every entry (after the "
                                                            "multiplication)",
                         json_schema_extra=ui("Add to every entry", step=0.5))
    scale: float = Field(1.0, ge=-1000, le=1000,
                         description="Every entry is multiplied by this (before the shift)",
                         json_schema_extra=ui("Multiply every entry by", control="number"))
    gamma: str = Field("1", max_length=400,
                       description="Gain γ: one number for every entry, or one per entry",
                       json_schema_extra=ui("Gain γ"))
    beta: str = Field("0", max_length=400,
                      description="LayerNorm bias β: one number for every entry, or one per entry",
                      json_schema_extra=ui("LayerNorm bias β"))
    eps: float = Field(1e-5, gt=0, le=1,
                       description="ε added to the variance / mean square: 1e-5 in Llama, "
                                   "SmolLM2 and GPT-2, 1e-12 in BERT",
                       json_schema_extra=ui("ε", control="number"))


class Stats(WidgetResult):
    mean: float
    variance: float  # population variance, (1/d) Σ (v_i − mean)²
    rms: float  # √((1/d) Σ v_i²), no ε
    norm: float  # Euclidean length √(Σ v_i²)


class NormOut(WidgetResult):
    divisor: float  # √(σ² + ε) for LayerNorm, √(mean(x²) + ε) for RMSNorm
    normalized: list[float]  # (d,) before γ and β
    output: list[float]  # (d,) after γ (and β for LayerNorm)
    stats: Stats


class Result(WidgetResult):
    x: list[float]  # (d,) the vector actually normalized: scale·x + shift
    shift: float
    scale: float
    gamma: list[float]  # (d,)
    beta: list[float]  # (d,)
    eps: float
    input_stats: Stats
    layernorm: NormOut
    rmsnorm: NormOut
    labels: list[str]  # "x1", "x2", …
    transform: str  # how the input was changed, e.g. "100·x + 2"; "" when unchanged
    mean_square: float  # mean(x²) of the input, what RMSNorm divides by the root of


def clean(v) -> float:
    """Round away float noise (so a zero mean prints as 0, not −0.0000)."""
    return float(np.round(v, 12) + 0.0)


def vec(v: np.ndarray) -> list[float]:
    return (np.round(v, 12) + 0.0).tolist()


def stats(v: np.ndarray) -> Stats:
    return Stats(mean=clean(v.mean()), variance=clean(v.var()),
                 rms=clean(np.sqrt(np.mean(v * v))), norm=clean(np.linalg.norm(v)))


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
               eps: float) -> tuple[np.ndarray, np.ndarray, float]:
    """(normalized, output, divisor) for a (d,) vector; divisor = √(σ² + ε)."""
    divisor = float(np.sqrt(x.var() + eps))
    normalized = (x - x.mean()) / divisor
    return normalized, gamma * normalized + beta, divisor


def rms_norm(x: np.ndarray, gamma: np.ndarray,
             eps: float) -> tuple[np.ndarray, np.ndarray, float]:
    """(normalized, output, divisor) for a (d,) vector; divisor = √(mean(x²) + ε)."""
    divisor = float(np.sqrt(np.mean(x * x) + eps))
    normalized = x / divisor
    return normalized, gamma * normalized, divisor


def per_entry(text: str, name: str, d: int) -> np.ndarray:
    """One number broadcast to all d entries, or exactly d numbers."""
    values = parse_vector(text, name, max_len=MAX_D, lo=-GAIN_LIMIT, hi=GAIN_LIMIT)
    if len(values) == 1:
        return np.full(d, values[0])
    if len(values) != d:
        raise WidgetInputError(f"{name}: give one number, or {d} (one per entry of x); "
                               f"got {len(values)}")
    return values


def compute(params: Params) -> Result:
    raw = parse_vector(params.x, "x", min_len=MIN_D, max_len=MAX_D,
                       lo=-VALUE_LIMIT, hi=VALUE_LIMIT)
    d = len(raw)
    x = params.scale * raw + params.shift
    gamma = per_entry(params.gamma, "γ (gamma)", d)
    beta = per_entry(params.beta, "β (beta)", d)
    ln_norm, ln_out, ln_div = layer_norm(x, gamma, beta, params.eps)
    rms_normed, rms_out, rms_div = rms_norm(x, gamma, params.eps)
    return Result(
        x=x.tolist(), shift=params.shift, scale=params.scale, gamma=gamma.tolist(),
        beta=beta.tolist(), eps=params.eps, input_stats=stats(x),
        layernorm=NormOut(divisor=ln_div, normalized=vec(ln_norm), output=vec(ln_out),
                          stats=stats(ln_out)),
        rmsnorm=NormOut(divisor=rms_div, normalized=vec(rms_normed), output=vec(rms_out),
                        stats=stats(rms_out)),
        labels=[f"x{i}" for i in range(1, d + 1)],
        transform="" if params.shift == 0 and params.scale == 1 else
        f"{params.scale:g}·x {'+' if params.shift >= 0 else '−'} {abs(params.shift):g}",
        mean_square=clean(np.mean(x * x)),
    )


SPEC = WidgetSpec(
    name="normalization",
    title="LayerNorm and RMSNorm",
    summary="Normalize one token's vector both ways and compare mean, variance and RMS.",
    params=Params,
    result=Result,
    compute=compute,
)
