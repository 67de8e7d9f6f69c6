"""Compute-optimal model and data size for a compute budget (Chinchilla).

C ≈ 6·N·D FLOPs for N parameters trained on D tokens. Two allocations are shown:
the rule of thumb D = 20·N, and the minimum of Hoffmann et al.'s fitted loss
L(N, D) = E + A/N^α + B/D^β (their Approach 3: E=1.69, A=406.4, B=410.7, α=0.34, β=0.28)
under the constraint C = 6·N·D.
"""

import math

import numpy as np
from pydantic import Field

from app.widgets._lineplot import LinePlot, compact, line_plot
from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec, ui

E, A, B, ALPHA, BETA = 1.69, 406.4, 410.7, 0.34, 0.28
TOKENS_PER_PARAM = 20


class Params(WidgetParams):
    log10_flops: float = Field(23.77, ge=15, le=28, description="log10 of the compute budget C",
                               json_schema_extra=ui("Compute budget C = 10^x FLOPs, x",
                                                    step=0.01, slider=(15, 28)))
    # Lower bounds of 1,000 parameters and 1,000 tokens keep every ratio finite.
    params_b: float = Field(70, ge=1e-6, le=10_000, description="Your model size N, in billions",
                            json_schema_extra=ui("Your model (billions of parameters)",
                                                 control="number"))
    tokens_b: float = Field(1400, ge=1e-6, le=1_000_000, description="Your data D, in billions",
                            json_schema_extra=ui("Your data (billions of tokens)",
                                                 control="number"))


class Allocation(WidgetResult):
    params: float
    tokens: float
    tokens_per_param: float
    loss: float
    params_text: str  # e.g. "70.0B"
    tokens_text: str  # e.g. "1.40T"


class Result(WidgetResult):
    flops: float
    rule_of_thumb: Allocation
    fit_optimum: Allocation
    yours: Allocation
    your_flops: float
    plot: LinePlot  # loss against model size at fixed compute (isoFLOP curves), log-x


def loss(n: float, d: float) -> float:
    """Chinchilla's fitted loss (nats per token) for n parameters and d tokens."""
    return E + A / n**ALPHA + B / d**BETA


def big(x: float) -> str:
    """1.4e12 -> '1.40T', 7e10 -> '70.0B', 4e8 -> '400.0M', 5000 -> '5000'."""
    if x >= 1e12:
        return f"{x / 1e12:.2f}T"
    if x >= 1e9:
        return f"{x / 1e9:.1f}B"
    if x >= 1e6:
        return f"{x / 1e6:.1f}M"
    return f"{x:.0f}"


def allocation(n: float, d: float) -> Allocation:
    return Allocation(params=n, tokens=d, tokens_per_param=round(d / n, 3),
                      loss=round(loss(n, d), 6), params_text=big(n), tokens_text=big(d))


def isoflop_plot(flops: float, rule: Allocation, fit: Allocation, yours: Allocation,
                 your_flops: float) -> LinePlot:
    """Loss L(N, C/(6N)) against log10 N for the budget (and for yours when it differs)."""
    centres = [math.log10(a.params) for a in (rule, fit, yours)]
    lo, hi = math.floor(min(centres) - 1), math.ceil(max(centres) + 1)
    log_n = np.linspace(lo, hi, 161)
    n = 10.0**log_n
    series = [{"key": "budget", "label": f"every split of C = {flops:.3g} FLOPs",
               "cls": "lp-c1", "x": log_n.tolist(),
               "y": [loss(v, flops / 6 / v) for v in n]}]
    same = math.isclose(your_flops, flops, rel_tol=0.02)  # one curve when they look alike
    if not same:
        series.append({"key": "yours", "label": f"every split of your {your_flops:.3g} FLOPs",
                       "cls": "lp-c2", "dashed": True, "x": log_n.tolist(),
                       "y": [loss(v, your_flops / 6 / v) for v in n]})
    losses = [a.loss for a in (rule, fit, yours)]
    bottom = min(losses + [min(s["y"]) for s in series])
    top = max(losses) + 0.35
    return line_plot(
        log_n.tolist(), series,
        title=f"Predicted loss against model size at a fixed compute budget of {flops:.3g} "
              "FLOPs (log scale of parameters)",
        desc=f"The fitted loss is lowest at {fit.params_text} parameters "
             f"({fit.loss:.3f}); the rule of thumb D = 20·N gives {rule.params_text} "
             f"({rule.loss:.3f}); yours, {yours.params_text}, gives {yours.loss:.3f}.",
        x_label="model size N (parameters, log scale)", y_label="predicted loss",
        x_range=(lo, hi), y_range=(bottom - 0.05 * (top - bottom), top),
        x_ticks=list(range(lo, hi + 1)), x_format=lambda v: compact(10**v),
        markers=[("rule of thumb, D = 20·N", "lp-c4", math.log10(rule.params), rule.loss),
                 ("minimum of the fitted loss", "lp-c3", math.log10(fit.params), fit.loss),
                 ("your N and D", "lp-c2", math.log10(yours.params), yours.loss)])


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
    rule, fit, yours = (allocation(n_rule, TOKENS_PER_PARAM * n_rule),
                        allocation(n_fit, d_fit), allocation(n, d))
    return Result(flops=flops, rule_of_thumb=rule, fit_optimum=fit, yours=yours,
                  your_flops=6 * n * d, plot=isoflop_plot(flops, rule, fit, yours, 6 * n * d))


SPEC = WidgetSpec(
    name="scaling",
    title="Compute-optimal scaling",
    summary="Split a compute budget between model size and data, Chinchilla style.",
    params=Params,
    result=Result,
    compute=compute,
)
