"""Line-chart layout for widgets (positional, rope, activations, gradient-descent,
lr-schedule, scaling), drawn by ``templates/widgets/_lineplot.html``.

The chart is an SVG ``width="100%"`` with a fixed pixel height. Horizontal positions are
percentages of the column and vertical ones pixels, so text keeps its CSS size at any
width; the curves themselves live in a nested ``viewBox="0 0 1000 1000"`` stretched over
the plot area (their strokes do not scale). Every number a template needs is computed
here: tick positions and labels, curve paths, marker positions.
"""

import math
from collections.abc import Callable, Sequence

import numpy as np

from app.widgets.base import WidgetResult

SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
TOP = 28  # px above the plot area: room for the y-axis label
BOTTOM = 46  # px below it: tick labels and the x-axis label


class Tick(WidgetResult):
    label: str
    pos: float  # x ticks: % of the width; y ticks: px from the top


class Series(WidgetResult):
    key: str
    label: str
    cls: str  # colour class (CSS)
    d: str  # SVG path in the 0…1000 box of the plot area, y downwards
    dashed: bool = False
    faint: bool = False


class Marker(WidgetResult):
    label: str
    cls: str
    x: float  # %
    y: float  # px


class Rule(WidgetResult):
    """A vertical (x in %) or horizontal (y in px) reference line with a short label."""
    label: str
    cls: str
    x: float | None = None
    y: float | None = None


class LinePlot(WidgetResult):
    title: str  # the chart's text alternative
    desc: str
    height: int  # px
    left: float  # % of the width before the plot area
    right: float  # % after it
    top: int  # px
    bottom: int  # px from the top to the x axis
    x_label: str
    y_label: str
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    zero_y: float | None  # px of y = 0 when inside the plot (drawn as a stronger line)
    series: list[Series]
    markers: list[Marker]
    rules: list[Rule]


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 × 10ᵏ apart) covering [lo, hi]."""
    span = hi - lo
    if not math.isfinite(span) or span <= 0:
        return [lo]
    raw = span / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks, v = [], first
    while v <= hi + step * 1e-9:
        ticks.append(0.0 if abs(v) < step * 1e-9 else round(v, 12))
        v += step
    return ticks


def number(v: float) -> str:
    """A tick label: '−0.5', '1,000', '2.5', '6e−4' style (true minus sign)."""
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e5 or a < 1e-3:
        mantissa, exponent = f"{v:.3g}".split("e") if "e" in f"{v:.3g}" else (f"{v:.3g}", "0")
        text = f"{mantissa}×10{str(int(exponent)).translate(SUPERSCRIPTS)}"
    elif a >= 1000:
        text = f"{v:,.0f}"
    else:
        text = f"{v:.4g}"
    return text.replace("-", "−")


def compact(v: float) -> str:
    """A short tick label for counts: 2,000 -> '2k', 1,500,000 -> '1.5M'."""
    a = abs(v)
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= size:
            return f"{v / size:.3g}{suffix}".replace("-", "−")
    return number(v)


def power_of_ten(v: float) -> str:
    """A log-axis tick: 10 to the power v (v an integer)."""
    return "10" + str(int(round(v))).translate(SUPERSCRIPTS)


def line_plot(
    x: Sequence[float],
    series: Sequence[dict],
    *,
    title: str,
    desc: str,
    x_label: str,
    y_label: str,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    x_ticks: Sequence[float] | None = None,
    y_ticks: Sequence[float] | None = None,
    x_format: Callable[[float], str] = number,
    y_format: Callable[[float], str] = number,
    markers: Sequence[tuple[str, str, float, float]] = (),
    vlines: Sequence[tuple[str, str, float]] = (),
    hlines: Sequence[tuple[str, str, float]] = (),
    height: int = 260,
    left: float = 14.0,
    right: float = 5.0,
    pad: float = 0.04,
    zero_line: bool = True,
) -> LinePlot:
    """Lay out a line chart. ``series``: dicts with key, label, cls, y (same length as x,
    None or non-finite for gaps), and optional x (own abscissae), dashed, faint.
    ``markers``: (label, cls, x, y); ``vlines``/``hlines``: (label, cls, value).
    ``zero_line``: draw y = 0 as a stronger line (off for log axes, where 0 means 1).
    Ranges default to the data (y padded by ``pad`` of its span; 0 is not forced)."""
    xs_all = [np.asarray(s.get("x", x), dtype=float) for s in series]
    ys_all = [np.asarray([np.nan if v is None else v for v in s["y"]], dtype=float)
              for s in series]
    if x_range is None:
        finite = np.concatenate([a[np.isfinite(a)] for a in xs_all])
        x_range = (float(finite.min()), float(finite.max()))
    if y_range is None:
        finite = np.concatenate([a[np.isfinite(a)] for a in ys_all] + [np.array(
            [m[3] for m in markers] + [h[2] for h in hlines], dtype=float)])
        lo, hi = float(finite.min()), float(finite.max())
        if hi - lo < 1e-12:
            lo, hi = lo - 1, hi + 1
        y_range = (lo - pad * (hi - lo), hi + pad * (hi - lo))
    x0, x1 = x_range
    y0, y1 = y_range
    xspan = (x1 - x0) or 1.0
    yspan = (y1 - y0) or 1.0
    bottom = height - BOTTOM
    inner = bottom - TOP
    width = 100.0 - left - right

    def ux(v: float) -> float:  # 0…1000 box
        return (v - x0) / xspan * 1000

    def uy(v: float) -> float:
        return (y1 - v) / yspan * 1000

    def px(v: float) -> float:  # % of the width
        return round(left + (v - x0) / xspan * width, 3)

    def py(v: float) -> float:  # px from the top
        return round(TOP + (y1 - v) / yspan * inner, 2)

    out_series = []
    for s, xs, ys in zip(series, xs_all, ys_all, strict=True):
        parts, pen_down = [], False
        for a, b in zip(xs, ys, strict=True):
            if not (math.isfinite(a) and math.isfinite(b)):
                pen_down = False
                continue
            # Clamp far-off values so the path stays drawable; the plot area clips them.
            yy = min(max(uy(b), -1e5), 1e5)
            parts.append(f"{'L' if pen_down else 'M'}{ux(a):.1f} {yy:.1f}")
            pen_down = True
        out_series.append(Series(key=s["key"], label=s["label"], cls=s["cls"],
                                 d=" ".join(parts), dashed=s.get("dashed", False),
                                 faint=s.get("faint", False)))
    xt = x_ticks if x_ticks is not None else nice_ticks(x0, x1, 6)
    yt = y_ticks if y_ticks is not None else nice_ticks(y0, y1, 5)
    return LinePlot(
        title=title, desc=desc, height=height, left=left, right=right, top=TOP,
        bottom=bottom, x_label=x_label, y_label=y_label,
        x_ticks=[Tick(label=x_format(v), pos=px(v)) for v in xt if x0 - 1e-9 <= v <= x1 + 1e-9],
        y_ticks=[Tick(label=y_format(v), pos=py(v)) for v in yt if y0 - 1e-9 <= v <= y1 + 1e-9],
        zero_y=py(0.0) if zero_line and y0 < 0 < y1 else None,
        series=out_series,
        markers=[Marker(label=label, cls=cls, x=px(mx), y=py(my))
                 for label, cls, mx, my in markers
                 if x0 <= mx <= x1 and y0 <= my <= y1],
        rules=[Rule(label=label, cls=cls, x=px(v)) for label, cls, v in vlines if x0 <= v <= x1]
        + [Rule(label=label, cls=cls, y=py(v)) for label, cls, v in hlines if y0 <= v <= y1],
    )
