"""Speculative decoding: expected tokens per target pass and the wall-time speed-up.

Leviathan, Kalman & Matias (2022), arXiv 2211.17192. If each of the γ drafted tokens is
accepted independently with probability α, one round (one target forward pass) yields
E = (1 − α^(γ+1)) / (1 − α) tokens (their equation 1; γ + 1 when α = 1). If a draft step
costs c target steps, a round costs γ·c + 1 and the expected wall-time improvement is
E / (γ·c + 1) (their Theorem 3.8).
"""

from pydantic import Field

from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec

MAX_GAMMA = 20  # the plot and table run over γ = 1..MAX_GAMMA


class Params(WidgetParams):
    alpha: float = Field(0.8, ge=0, le=1, description="Acceptance rate α (0–1)")
    gamma: int = Field(4, ge=1, le=MAX_GAMMA, description=f"Draft length γ (1–{MAX_GAMMA})")
    cost: float = Field(0.05, ge=0, le=1, description="Draft step cost c, in target steps (0–1)")


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
    return Result(
        alpha=a, gamma=g, cost=c, expected_tokens=expected_tokens(a, g), round_cost=g * c + 1,
        speedup=speedup(a, g, c), limit=None if a == 1 else 1 / (1 - a),
        best_gamma=best.gamma, best_speedup=best.speedup,
        distribution=tokens_distribution(a, g), curve=curve,
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
