"""Gradient descent on a 2-D loss surface: the path, the loss curve, and when it diverges."""

import math
from typing import Literal

import numpy as np
from pydantic import Field

from app.widgets._lineplot import LinePlot, line_plot, power_of_ten
from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec, rounded, ui

VIEW = 3.0  # the contour plot shows [−3, 3]²
GRID = 20  # level-set shading: GRID × GRID cells
BANDS = 8
BLOW_UP = 1e8  # stop once a coordinate is this large: the run has clearly diverged
LOG_FLOOR = 1e-12  # loss 0 is drawn as 1e-12 on the log-scale curve


class Params(WidgetParams):
    surface: Literal["bowl", "double-well"] = Field(
        "bowl", description="bowl: f = a·x² + b·y² (convex); "
                            "double-well: f = (x² − 1)² + b·y² (two minima at x = ±1)",
        json_schema_extra=ui("Loss surface", choices={
            "bowl": "bowl: a·x² + b·y² (convex)",
            "double-well": "double well: (x² − 1)² + b·y² (non-convex)"}))
    lr: float = Field(0.1, gt=0, le=2, description="Learning rate η (0–2]",
                      json_schema_extra=ui("Learning rate η", step=0.01, slider=(0.01, 2)))
    steps: int = Field(30, ge=1, le=200, description="Steps to take (1–200)",
                       json_schema_extra=ui("Steps"))
    a: float = Field(1.0, ge=0.1, le=5, description="x curvature of the bowl (0.1–5)",
                     json_schema_extra=ui("a (x curvature)", step=0.1,
                                          show_when={"surface": ["bowl"]}))
    b: float = Field(3.0, ge=0.1, le=5, description="y curvature (0.1–5), both surfaces",
                     json_schema_extra=ui("b (y curvature)", step=0.1))
    x0: float = Field(-2.5, ge=-VIEW, le=VIEW, description="Start x (−3…3)",
                      json_schema_extra=ui("Start x", step=0.1))
    y0: float = Field(1.5, ge=-VIEW, le=VIEW, description="Start y (−3…3)",
                      json_schema_extra=ui("Start y", step=0.1))


class Result(WidgetResult):
    path: list[list[float]]  # [x_t, y_t] for t = 0…steps (fewer if it blew up)
    loss: list[float]  # f(x_t, y_t)
    loss_log10: list[float]  # log10(max(f, 1e-12)), for the log-scale curve
    status: Literal["converging", "oscillating", "diverging"]
    blew_up_at: int | None  # step at which |x| or |y| passed 1e8, if it did
    lr_limit: float | None  # bowl only: η must stay below 2/λ_max = 1/max(a, b)
    factors: list[float] | None  # bowl only, [1−2aη, 1−2bη]: x_t = (1−2aη)^t x_0, same for y with b
    bands: list[list[int]]  # (GRID, GRID) level band 0…7 of f on [−3, 3]², row 0 at top (y = 3)
    steps_taken: int  # len(path) − 1
    end_in_view: bool  # the last point lies inside the plotted square
    factor_note: str  # bowl only: what the per-step factors do ("" when both shrink steadily)
    loss_plot: LinePlot  # log10 loss against step


def loss_and_grad(surface: str, a: float, b: float, x: float, y: float):
    """f(x, y) and ∇f for the chosen surface."""
    if surface == "bowl":
        return a * x * x + b * y * y, (2 * a * x, 2 * b * y)
    w = x * x - 1
    return w * w + b * y * y, (4 * x * w, 2 * b * y)


def _bands(surface: str, a: float, b: float) -> list[list[int]]:
    centres = (np.arange(GRID) + 0.5) / GRID * 2 * VIEW - VIEW
    xs, ys = np.meshgrid(centres, centres[::-1])  # row 0 is the top of the plot
    f = a * xs**2 + b * ys**2 if surface == "bowl" else (xs**2 - 1) ** 2 + b * ys**2
    level = np.sqrt(f / f.max())  # √ spreads the bands out near the minimum
    return np.minimum((level * BANDS).astype(int), BANDS - 1).tolist()


def compute(params: Params) -> Result:
    """θ_{t+1} = θ_t − η ∇f(θ_t), for ``steps`` steps or until a coordinate passes 1e8."""
    x, y = params.x0, params.y0
    f, _ = loss_and_grad(params.surface, params.a, params.b, x, y)
    path, losses, blew_up_at = [(x, y)], [f], None
    for t in range(1, params.steps + 1):
        _, (gx, gy) = loss_and_grad(params.surface, params.a, params.b, x, y)
        x, y = x - params.lr * gx, y - params.lr * gy
        if not (abs(x) < BLOW_UP and abs(y) < BLOW_UP):
            blew_up_at = t
            break
        path.append((x, y))
        losses.append(loss_and_grad(params.surface, params.a, params.b, x, y)[0])
    rising = len(losses) > 2 and losses[-1] > losses[0] and losses[-1] > losses[-2]
    if blew_up_at is not None or rising:
        status = "diverging"
    elif len(path) > 2 and (path[-1][0] * path[-2][0] < 0 or path[-1][1] * path[-2][1] < 0) \
            and losses[-1] > 1e-6:
        status = "oscillating"  # still flipping sides of the minimum
    else:
        status = "converging"
    bowl = params.surface == "bowl"
    factors = [1 - 2 * params.a * params.lr, 1 - 2 * params.b * params.lr] if bowl else None
    note = ""
    if factors and max(abs(f) for f in factors) > 1:
        note = "a factor beyond ±1 grows every step"
    elif factors and min(factors) < 0:
        note = "a negative factor flips sides each step (zig-zag)"
    logs = [round(math.log10(max(v, LOG_FLOOR)), 6) for v in losses]
    lo = math.floor(min(logs))
    hi = max(math.ceil(max(logs)), lo + 1)
    spacing = max(1, math.ceil((hi - lo) / 6))
    n = max(len(losses) - 1, 1)
    plot = line_plot(
        list(range(len(losses))),
        [{"key": "loss", "label": "loss (log scale)", "cls": "lp-c2", "y": logs}],
        title=f"Loss per step on a log scale, from {losses[0]:.3g} to {losses[-1]:.3g}",
        desc=f"{len(losses) - 1} steps; the run is {status}.",
        x_label="step", y_label="loss (log scale)", x_range=(0, n),
        y_range=(lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo)),
        y_ticks=list(range(lo, hi + 1, spacing)), y_format=power_of_ten, height=240,
        zero_line=False)
    last = path[-1]
    return Result(
        path=[[round(px, 9), round(py, 9)] for px, py in path], loss=rounded(losses, 12),
        loss_log10=logs,
        status=status, blew_up_at=blew_up_at,
        lr_limit=1 / max(params.a, params.b) if bowl else None,
        factors=factors, bands=_bands(params.surface, params.a, params.b),
        steps_taken=len(path) - 1, end_in_view=abs(last[0]) <= VIEW and abs(last[1]) <= VIEW,
        factor_note=note, loss_plot=plot,
    )


SPEC = WidgetSpec(
    name="gradient-descent",
    title="Gradient descent on a loss surface",
    summary="Pick a learning rate and watch gradient descent converge, zig-zag or blow up.",
    params=Params,
    result=Result,
    compute=compute,
)
