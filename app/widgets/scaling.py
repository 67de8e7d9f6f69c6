"""Compute-optimal model and data size for a compute budget (Chinchilla).

C ≈ 6·N·D FLOPs for N parameters trained on D tokens. Two allocations are shown:
the rule of thumb D = 20·N, and the minimum of Hoffmann et al.'s fitted loss
L(N, D) = E + A/N^α + B/D^β (their Approach 3: E=1.69, A=406.4, B=410.7, α=0.34, β=0.28)
under the constraint C = 6·N·D.
"""

import math

from pydantic import Field

from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec

E, A, B, ALPHA, BETA = 1.69, 406.4, 410.7, 0.34, 0.28
TOKENS_PER_PARAM = 20


class Params(WidgetParams):
    log10_flops: float = Field(23.77, ge=15, le=28, description="log10 of the compute budget C")
    # Lower bounds of 1,000 parameters and 1,000 tokens keep every ratio finite.
    params_b: float = Field(70, ge=1e-6, le=10_000, description="Your model size N, in billions")
    tokens_b: float = Field(1400, ge=1e-6, le=1_000_000, description="Your data D, in billions")


class Allocation(WidgetResult):
    params: float
    tokens: float
    tokens_per_param: float
    loss: float


class Result(WidgetResult):
    flops: float
    rule_of_thumb: Allocation
    fit_optimum: Allocation
    yours: Allocation
    your_flops: float


def loss(n: float, d: float) -> float:
    """Chinchilla's fitted loss (nats per token) for n parameters and d tokens."""
    return E + A / n**ALPHA + B / d**BETA


def allocation(n: float, d: float) -> Allocation:
    return Allocation(params=n, tokens=d, tokens_per_param=round(d / n, 3),
                      loss=round(loss(n, d), 6))


def fit_optimum(flops: float) -> tuple[float, float]:
    """argmin L(N, D) with 6·N·D = C: N = G·(C/6)^(β/(α+β)), D = (C/6)/N."""
    g = (ALPHA * A / (BETA * B)) ** (1 / (ALPHA + BETA))
    n = g * (flops / 6) ** (BETA / (ALPHA + BETA))
    return n, flops / 6 / n


def compute(params: Params) -> Result:
    flops = 10**params.log10_flops
    n_rule = math.sqrt(flops / (6 * TOKENS_PER_PARAM))
    n_fit, d_fit = fit_optimum(flops)
    n, d = params.params_b * 1e9, params.tokens_b * 1e9
    return Result(flops=flops, rule_of_thumb=allocation(n_rule, TOKENS_PER_PARAM * n_rule),
                  fit_optimum=allocation(n_fit, d_fit), yours=allocation(n, d),
                  your_flops=6 * n * d)


SPEC = WidgetSpec(
    name="scaling",
    title="Compute-optimal scaling",
    summary="Split a compute budget between model size and data, Chinchilla style.",
    params=Params,
    result=Result,
    compute=compute,
)
