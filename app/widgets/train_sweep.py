"""A mini scaling sweep: the tiny GPT (:mod:`app.engine.tinygpt`) at three sizes, each
trained for the same 400 steps on the names, final validation loss against parameters on
log–log axes.

The runs take about a minute on this machine, so they are made once by
``bench/tinygpt_runs.py`` and read from ``app/data/tinygpt/sweep.json``. A straight line
through the points on log–log axes is a power law L = a·N^(−α); fitted by least squares on
(log N, log L), it predicts the loss of a size nobody trained.
"""

import json
import math
from functools import lru_cache

import numpy as np
from pydantic import Field

from app.engine.tinygpt_train import DATA
from app.widgets._lineplot import LinePlot, compact, line_plot, power_of_ten
from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec, ui

SWEEP = DATA / "sweep.json"
Y_TICKS = (1.9, 2.0, 2.1, 2.2, 2.3, 2.4, 2.5)  # loss values marked on the log axis


class Params(WidgetParams):
    predict_log10: float = Field(6.0, ge=3.5, le=8, description=(
        "Read the fitted line's prediction at 10 to this power parameters (3.5–8)"),
        json_schema_extra=ui("Predict the loss at log₁₀ N =", step=0.1))


class Run(WidgetResult):
    width: int
    depth: int
    parameters: int
    steps: int
    val_loss: float


class Result(WidgetResult):
    runs: list[Run]
    alpha: float  # the fitted exponent: L ∝ N^(−α)
    coefficient: float  # a in L = a·N^(−α)
    predicted_params: float
    predicted_loss: float
    plot: LinePlot


@lru_cache(maxsize=1)
def sweep() -> tuple[Run, ...]:
    return tuple(Run(**r) for r in json.loads(SWEEP.read_text(encoding="utf-8")))


def fit(runs: tuple[Run, ...]) -> tuple[float, float]:
    """(a, α) of the least-squares line log L = log a − α log N."""
    slope, intercept = np.polyfit([math.log(r.parameters) for r in runs],
                                  [math.log(r.val_loss) for r in runs], 1)
    return math.exp(intercept), -slope


def compute(params: Params) -> Result:
    runs = sweep()
    a, alpha = fit(runs)
    n = 10 ** params.predict_log10
    predicted = a * n ** -alpha
    xs = [math.log10(r.parameters) for r in runs]
    lo, hi = min(xs[0], params.predict_log10) - 0.3, max(xs[-1], params.predict_log10) + 0.3
    line_x = np.linspace(lo, hi, 40)
    line_y = np.log10(a) - alpha * line_x
    ys = [math.log10(r.val_loss) for r in runs]
    y_lo = min(ys + [math.log10(predicted)]) - 0.01
    y_hi = max(ys + [math.log10(predicted)]) + 0.01
    plot = line_plot(
        line_x.tolist(),
        [{"key": "fit", "label": f"Power law through the runs, α = {alpha:.3f}", "cls": "lp-c1",
          "y": line_y.tolist(), "dashed": True}],
        title="Final loss against parameters, log–log",
        desc=("Three sizes trained for the same steps: "
              + ", ".join(f"{r.parameters:,} parameters reach {r.val_loss:.3f}" for r in runs)
              + f". The fitted line predicts {predicted:.3f} at {compact(n)} parameters."),
        x_label="parameters N (log scale)", y_label="validation loss (log scale)",
        x_range=(lo, hi), y_range=(y_lo, y_hi),
        x_ticks=[float(k) for k in range(math.ceil(lo), math.floor(hi) + 1)],
        y_ticks=[math.log10(v) for v in Y_TICKS],
        x_format=power_of_ten, y_format=lambda v: f"{10 ** v:.1f}",
        markers=[(f"width {r.width}, {r.depth} block{'s' if r.depth > 1 else ''}: "
                  f"{r.val_loss:.3f}", "lp-c2", x, y) for r, x, y in zip(runs, xs, ys,
                                                                        strict=True)]
        + [(f"predicted at {compact(n)}: {predicted:.3f}", "lp-c3", params.predict_log10,
            math.log10(predicted))],
        zero_line=False)
    return Result(runs=list(runs), alpha=round(alpha, 4), coefficient=round(a, 4),
                  predicted_params=n, predicted_loss=round(predicted, 4), plot=plot)


SPEC = WidgetSpec(
    name="tiny-scaling",
    title="A mini scaling sweep with the tiny GPT",
    summary="Three sizes of the course's tiny GPT, trained for the same steps: final loss "
            "against parameters on log–log axes, and the power law through them.",
    params=Params,
    result=Result,
    compute=compute,
)
