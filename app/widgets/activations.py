"""Activation functions and their derivatives, sampled over an x-range, with a readout."""

import math

import numpy as np
from pydantic import Field, model_validator

from app.widgets._lineplot import LinePlot, line_plot
from app.widgets.base import (
    WidgetInputError,
    WidgetParams,
    WidgetResult,
    WidgetSpec,
    rounded,
    ui,
)

POINTS = 201  # samples per curve: smooth at plot size, bounded work
X_LIMIT = 10.0
SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
GELU_TANH_C = 0.044715  # Hendrycks & Gimpel's cubic coefficient
_erf = np.vectorize(math.erf, otypes=[float])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(x / 2))  # = 1/(1+e^−x), without overflow for large |x|


def relu(x):
    return np.maximum(x, 0.0), (x > 0).astype(float)  # derivative at 0 taken as 0


def gelu(x):
    """x·Φ(x), Φ the standard normal CDF; d/dx = Φ(x) + x·φ(x)."""
    cdf = 0.5 * (1 + _erf(x / math.sqrt(2)))
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return x * cdf, cdf + x * pdf


def gelu_tanh(x):
    """0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), the GPT-2/BERT approximation."""
    t = np.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_C * x**3))
    dt = (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_C * x * x)
    return 0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * dt


def silu(x):
    """x·σ(x) (also called swish); d/dx = σ(x)(1 + x(1 − σ(x)))."""
    s = _sigmoid(x)
    return x * s, s * (1 + x * (1 - s))


def tanh(x):
    t = np.tanh(x)
    return t, 1 - t * t


FUNCTIONS = {
    "relu": ("ReLU", relu),
    "gelu": ("GELU (exact, erf)", gelu),
    "gelu_tanh": ("GELU (tanh approx.)", gelu_tanh),
    "silu": ("SiLU / swish", silu),
    "tanh": ("tanh", tanh),
}


class Params(WidgetParams):
    show: list[str] = Field(["relu", "gelu", "silu", "tanh"], max_length=len(FUNCTIONS) + 1,
                            description="Functions to plot, comma-separated (or the parameter "
                                        "repeated): " + ", ".join(FUNCTIONS)
                                        + "; empty items are ignored",
                            json_schema_extra=ui("Functions"))
    x_min: float = Field(-4.0, ge=-X_LIMIT, le=X_LIMIT, description="Left end of the x-range",
                         json_schema_extra=ui("x from", step=0.5, slider=(-10, 0)))
    x_max: float = Field(4.0, ge=-X_LIMIT, le=X_LIMIT, description="Right end (> x_min)",
                         json_schema_extra=ui("x to", step=0.5, slider=(0.5, 10)))
    at: float = Field(1.0, ge=-X_LIMIT, le=X_LIMIT, description="x for the value readout",
                      json_schema_extra=ui("Read values at x =", step=0.05))
    derivatives: bool = Field(True, description="Also plot each derivative (dashed)",
                              json_schema_extra=ui("Show derivatives (dashed)"))

    @model_validator(mode="after")
    def _range(self):
        if self.x_max - self.x_min < 0.1:
            raise ValueError("x_max must exceed x_min by at least 0.1")
        return self


class Curve(WidgetResult):
    name: str
    label: str
    y: list[float]  # f(x) at each x, shape (POINTS,)
    dy: list[float]  # f'(x)


class Reading(WidgetResult):
    name: str
    label: str
    value: float
    derivative: float


class Result(WidgetResult):
    x: list[float]
    curves: list[Curve]
    at: float
    readout: list[Reading]
    derivatives: bool
    plot: LinePlot  # the curves (and dashed derivatives), the readout x marked


def compute(params: Params) -> Result:
    """Sample each chosen function and its derivative at POINTS evenly spaced x values."""
    items = [n.strip() for item in params.show for n in item.split(",")]
    names = [n for n in dict.fromkeys(items) if n]
    unknown = [n for n in names if n not in FUNCTIONS]
    if unknown:
        raise WidgetInputError(
            f"show: unknown function '{unknown[0][:20]}'; choose from {', '.join(FUNCTIONS)}")
    if not names:
        raise WidgetInputError("show: tick at least one function")
    x = np.linspace(params.x_min, params.x_max, POINTS)
    at = np.array([params.at])
    curves, readout = [], []
    for name in names:
        label, fn = FUNCTIONS[name]
        y, dy = fn(x)
        v, dv = fn(at)
        curves.append(Curve(name=name, label=label, y=rounded(y, 6), dy=rounded(dy, 6)))
        readout.append(Reading(name=name, label=label, value=float(v[0]),
                               derivative=float(dv[0])))
    colours = {name: f"lp-c{i}" for i, name in enumerate(FUNCTIONS, start=1)}
    series = []
    for c in curves:
        series.append({"key": c.name, "label": c.label, "cls": colours[c.name], "y": c.y})
        if params.derivatives:
            series.append({"key": f"{c.name}-slope", "label": f"{c.label}: slope f′",
                           "cls": colours[c.name], "y": c.dy, "dashed": True})
    ys = [v for s in series for v in s["y"]]
    lo, hi = min(-1.0, min(ys)), max(1.0, max(ys))
    labels = ", ".join(c.label for c in curves)
    plot = line_plot(
        x.tolist(), series,
        title=f"{labels} for x from {params.x_min:g} to {params.x_max:g}"
              + (", with derivatives dashed" if params.derivatives else ""),
        desc="; ".join(f"{r.label} at x = {params.at:g}: {r.value:.4f} (slope {r.derivative:.4f})"
                       for r in readout),
        x_label="x", y_label="f(x)" + (" and f′(x)" if params.derivatives else ""),
        x_range=(params.x_min, params.x_max),
        y_range=(lo - 0.04 * (hi - lo), hi + 0.04 * (hi - lo)),
        vlines=[(f"readout at x = {params.at:g}", "lp-now", params.at)])
    return Result(x=rounded(x, 6), curves=curves, at=params.at, readout=readout,
                  derivatives=params.derivatives, plot=plot)


SPEC = WidgetSpec(
    name="activations",
    title="Activation functions",
    summary="ReLU, GELU, SiLU and tanh with their slopes: see where each bends and saturates.",
    params=Params,
    result=Result,
    compute=compute,
)
