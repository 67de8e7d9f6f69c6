"""Learning-rate schedules: linear warm-up, then cosine decay, linear decay or constant.

For step t of a run of S steps with W warm-up steps (0 ≤ t ≤ S, W < S):
  warm-up (t < W):  η(t) = η_max · t / W
  cosine:           η(t) = η_min + ½(η_max − η_min)(1 + cos(π (t − W)/(S − W)))
  linear:           η(t) = η_max − (η_max − η_min)(t − W)/(S − W)
  constant:         η(t) = η_max
with η_min = min_ratio · η_max.
"""

import math
from typing import Literal

import numpy as np
from pydantic import Field

from app.widgets._lineplot import LinePlot, compact, line_plot, nice_ticks, number
from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec, ui

MAX_STEPS = 10_000_000
PLOT_POINTS = 241  # samples per curve, plus the warm-up corner
THRESHOLD = 0.1  # "below one tenth of the peak"
SCHEDULES = ("cosine", "linear", "constant")
SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


class Params(WidgetParams):
    schedule: Literal["cosine", "linear", "constant"] = Field(
        "cosine", description="What follows the linear warm-up",
        json_schema_extra=ui("After warm-up", choices={
            "cosine": "Cosine decay to the floor", "linear": "Linear decay to the floor",
            "constant": "Constant at the peak"}))
    peak_lr: float = Field(6e-4, ge=1e-8, le=1, description="Peak learning rate η_max",
                           json_schema_extra=ui("Peak learning rate η_max", control="number"))
    warmup_steps: int = Field(2_000, ge=0, le=MAX_STEPS, description="W, less than total_steps",
                              json_schema_extra=ui("Warm-up steps W"))
    total_steps: int = Field(100_000, ge=1, le=MAX_STEPS, description="S, the last step",
                             json_schema_extra=ui("Total steps S"))
    min_ratio: float = Field(0.1, ge=0, le=1, description="η_min / η_max (cosine and linear)",
                             json_schema_extra=ui("Floor η_min as a fraction of the peak",
                                                  step=0.01))
    at_step: int = Field(26_500, ge=0, le=MAX_STEPS, description="Step for the readout, ≤ S",
                         json_schema_extra=ui("Read the rate at step"))


class Curve(WidgetResult):
    name: str
    lr: list[float]  # η at each of Result.steps
    at_lr: float
    at_label: str
    fraction_below_tenth: float  # share of [0, S] with η < 0.1·η_max


class Result(WidgetResult):
    schedule: str
    peak_lr: float
    min_lr: float
    warmup_steps: int
    total_steps: int
    at_step: int
    at_lr: float
    at_label: str  # e.g. "5.209 × 10⁻⁴"
    phase: str
    fraction_below_tenth: float
    steps: list[float]  # plotted steps, 0…S
    curves: list[Curve]  # one per schedule, in SCHEDULES order
    at_percent: float  # at_lr as a percentage of the peak
    plot: LinePlot  # the three schedules (the chosen one bold), the readout step marked


def learning_rate(t: np.ndarray, schedule: str, peak: float, floor: float, warmup: int,
                  total: int) -> np.ndarray:
    """η at steps t (any shape, 0 ≤ t ≤ total); see the module docstring."""
    t = np.asarray(t, dtype=np.float64)
    progress = np.clip((t - warmup) / (total - warmup), 0.0, 1.0)
    if schedule == "cosine":
        after = floor + 0.5 * (peak - floor) * (1 + np.cos(np.pi * progress))
    elif schedule == "linear":
        after = peak - (peak - floor) * progress
    else:
        after = np.full_like(t, peak)
    warm = peak * t / warmup if warmup else after
    return np.where(t < warmup, warm, after)


def fraction_below(schedule: str, ratio: float, warmup: int, total: int) -> float:
    """Share of the run [0, S] where η < THRESHOLD·η_max, solved in closed form."""
    below = THRESHOLD * warmup  # warm-up: η_max·t/W < 0.1·η_max ⇔ t < 0.1·W
    c = (THRESHOLD - ratio) / (1 - ratio) if ratio < THRESHOLD else 0.0
    if c > 0 and schedule == "cosine":  # ½(1 + cos πu) < c ⇔ u > arccos(2c − 1)/π
        below += (1 - math.acos(2 * c - 1) / math.pi) * (total - warmup)
    elif c > 0 and schedule == "linear":  # 1 − u < c
        below += c * (total - warmup)
    return below / total


def scientific(x: float) -> str:
    """6e-4 -> '6.000 × 10⁻⁴'; 0 -> '0'."""
    if x == 0:
        return "0"
    mantissa, exponent = f"{x:.3e}".split("e")  # Python's own rounding: 9.99996e-5 -> 1.000e-04
    return f"{mantissa} × 10{str(int(exponent)).translate(SUPERSCRIPTS)}"


def phase(t: int, warmup: int, total: int) -> str:
    if t < warmup:
        return f"warm-up, {t / warmup:.0%} of the way"
    if t == total:
        return "the last step"
    return f"decay, {(t - warmup) / (total - warmup):.1%} of the way"


def compute(params: Params) -> Result:
    w, s, peak = params.warmup_steps, params.total_steps, params.peak_lr
    if w >= s:
        raise WidgetInputError(f"warm-up ({w:,} steps) must be shorter than the run ({s:,})")
    if params.at_step > s:
        raise WidgetInputError(f"the readout step ({params.at_step:,}) is after the last "
                               f"step ({s:,})")
    floor = params.min_ratio * peak
    steps = np.union1d(np.linspace(0, s, PLOT_POINTS), [w])
    curves = []
    for name in SCHEDULES:
        at = float(learning_rate(params.at_step, name, peak, floor, w, s))
        curves.append(Curve(
            name=name, lr=learning_rate(steps, name, peak, floor, w, s).tolist(), at_lr=at,
            at_label=scientific(at),
            fraction_below_tenth=fraction_below(name, params.min_ratio, w, s)))
    chosen = curves[SCHEDULES.index(params.schedule)]
    colours = {"cosine": "lp-c1", "linear": "lp-c2", "constant": "lp-c4"}
    exponent = math.floor(math.log10(peak))  # ticks in units of 10^exponent: short labels
    unit = 10.0**exponent
    order = [c for c in curves if c.name != params.schedule] + [chosen]
    plot = line_plot(
        steps.tolist(),
        [{"key": c.name, "label": c.name + (" (chosen)" if c is chosen else ""),
          "cls": colours[c.name], "y": c.lr, "faint": c is not chosen} for c in order],
        title=f"Learning rate against step, 0 to {s:,}: the {params.schedule} schedule "
              f"highlighted, the other two faint",
        desc=f"The rate at step {params.at_step:,} is {chosen.at_label}.",
        x_label="training step",
        y_label="learning rate η" + (f" (× 10{str(exponent).translate(SUPERSCRIPTS)})"
                                     if exponent else ""),
        y_format=lambda v: number(v / unit),
        x_range=(0, s), y_range=(0, peak * 1.05), x_ticks=nice_ticks(0, s, 5),
        x_format=compact,
        vlines=[(f"step {params.at_step:,}", "lp-now", params.at_step)]
        + ([(f"end of warm-up, W = {w:,}", "lp-warm", w)] if w else []),
        hlines=[("10% of peak", "lp-guide", THRESHOLD * peak)],
        markers=[(f"η = {chosen.at_label}", "lp-c3", params.at_step, chosen.at_lr)])
    return Result(
        schedule=params.schedule, peak_lr=peak, min_lr=floor, warmup_steps=w, total_steps=s,
        at_step=params.at_step, at_lr=chosen.at_lr, at_label=chosen.at_label,
        phase=phase(params.at_step, w, s), fraction_below_tenth=chosen.fraction_below_tenth,
        steps=steps.tolist(), curves=curves, at_percent=100 * chosen.at_lr / peak, plot=plot)


SPEC = WidgetSpec(
    name="lr-schedule",
    title="Learning-rate schedule",
    summary="Plot warm-up plus cosine, linear or constant learning rates and read off any step.",
    params=Params,
    result=Result,
    compute=compute,
)
