"""Speculative decoding: expected tokens per target pass and the wall-time speed-up.

Leviathan, Kalman & Matias (2022), arXiv 2211.17192. If each of the γ drafted tokens is
accepted independently with probability α, one round (one target forward pass) yields
E = (1 − α^(γ+1)) / (1 − α) tokens (their equation 1; γ + 1 when α = 1). If a draft step
costs c target steps, a round costs γ·c + 1 and the expected wall-time improvement is
E / (γ·c + 1) (their Theorem 3.8).
"""

import math

from pydantic import Field

from app.widgets._lineplot import LinePlot, line_plot
from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec, ui

MAX_GAMMA = 20  # the plot and table run over γ = 1..MAX_GAMMA


class Params(WidgetParams):
    alpha: float = Field(0.8, ge=0, le=1, description="Acceptance rate α (0–1)",
                         json_schema_extra=ui("Acceptance rate α", step=0.01))
    gamma: int = Field(4, ge=1, le=MAX_GAMMA, description=f"Draft length γ (1–{MAX_GAMMA})",
                       json_schema_extra=ui("Draft length γ (tokens per round)"))
    cost: float = Field(0.05, ge=0, le=1, description="Draft step cost c, in target steps (0–1)",
                        json_schema_extra=ui("Draft cost c (one draft step ÷ one target step)",
                                             step=0.01))


class Point(WidgetResult):
    gamma: int
    expected_tokens: float
    speedup: float


class Outcome(WidgetResult):
    tokens: int  # tokens produced by one round, 1..γ+1
    probability: float


class Result(WidgetResult):
    alpha: float
    gamma: int
    cost: float
    expected_tokens: float
    round_cost: float  # γ·c + 1, in target steps
    speedup: float
    limit: float | None  # 1/(1 − α), the γ → ∞ limit; None when α = 1 (no limit)
    best_gamma: int
    best_speedup: float
    distribution: list[Outcome]
    curve: list[Point]
    outcome_labels: list[str] = []  # "1 token", "2 tokens", …
    plot: LinePlot | None = None  # expected tokens and speed-up against γ


def expected_tokens(alpha: float, gamma: int) -> float:
    """(1 − α^(γ+1)) / (1 − α): one plus the expected run of accepted drafts, capped at γ."""
    if alpha == 1:
        return float(gamma + 1)
    return (1 - alpha ** (gamma + 1)) / (1 - alpha)


def speedup(alpha: float, gamma: int, cost: float) -> float:
    """Expected wall-time improvement factor: tokens per round / cost of a round."""
    return expected_tokens(alpha, gamma) / (gamma * cost + 1)


def tokens_distribution(alpha: float, gamma: int) -> list[Outcome]:
    """P(k tokens) = α^(k−1)(1 − α) for k ≤ γ (first rejection at draft k, then a correction);
    P(γ + 1) = α^γ (every draft accepted, plus the bonus token)."""
    probs = [alpha ** (k - 1) * (1 - alpha) for k in range(1, gamma + 1)] + [alpha**gamma]
    return [Outcome(tokens=k, probability=p) for k, p in enumerate(probs, start=1)]


def compute(params: Params) -> Result:
    a, g, c = params.alpha, params.gamma, params.cost
    curve = [Point(gamma=k, expected_tokens=expected_tokens(a, k), speedup=speedup(a, k, c))
             for k in range(1, MAX_GAMMA + 1)]
    best = max(curve, key=lambda p: p.speedup)  # first maximum: the smallest best γ
    limit = None if a == 1 else 1 / (1 - a)
    highest = max(max(p.expected_tokens for p in curve), max(p.speedup for p in curve), 1)
    if limit is not None and limit <= 2 * highest:
        highest = max(highest, limit)  # keep the limit's line and label inside the plot
    top = math.ceil(highest * 1.08)
    gammas = [p.gamma for p in curve]
    plot = line_plot(
        gammas, [
            {"key": "tokens", "label": "expected tokens per target pass", "cls": "lp-c1",
             "y": [p.expected_tokens for p in curve]},
            {"key": "speedup", "label": "speed-up (wall time)", "cls": "lp-c2", "dashed": True,
             "y": [p.speedup for p in curve]}],
        title=f"Expected tokens and speed-up for draft lengths 1 to {MAX_GAMMA}",
        desc=(f"At α = {a:g} and c = {c:g}: γ = {g} gives {expected_tokens(a, g):.3f} tokens "
              f"per pass and a {speedup(a, g, c):.3f}× speed-up; the best γ is {best.gamma} "
              f"({best.speedup:.3f}×)."),
        x_label="γ (draft tokens per round)", y_label="tokens per pass / speed-up",
        x_range=(1, MAX_GAMMA), y_range=(0, top), x_ticks=[1, 5, 10, 15, 20],
        markers=[(f"your γ = {g}: {expected_tokens(a, g):.3f} tokens", "lp-c1", g,
                  expected_tokens(a, g)),
                 (f"best γ = {best.gamma}: {best.speedup:.3f}×", "lp-c2", best.gamma,
                  best.speedup)],
        hlines=[(f"limit 1/(1 − α) = {limit:.3g}", "lp-guide", limit)] if limit else [],
        vlines=[("", "lp-now", g)],
    )
    return Result(
        alpha=a, gamma=g, cost=c, expected_tokens=expected_tokens(a, g), round_cost=g * c + 1,
        speedup=speedup(a, g, c), limit=None if a == 1 else 1 / (1 - a),
        best_gamma=best.gamma, best_speedup=best.speedup,
        distribution=tokens_distribution(a, g), curve=curve,
        outcome_labels=[f"{k} token{'s' if k != 1 else ''}" for k in range(1, g + 2)],
        plot=plot,
    )


SPEC = WidgetSpec(
    name="speculative",
    title="Speculative decoding calculator",
    summary="How many tokens a draft-and-verify round yields, and the real speed-up once the "
            "draft's cost is counted.",
    params=Params,
    result=Result,
    compute=compute,
)
