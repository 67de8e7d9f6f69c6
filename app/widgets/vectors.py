"""Two 2-D vectors: dot product, lengths, cosine similarity and the angle between them."""

import math

from pydantic import Field

from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec, ui

LIMIT = 5.0  # the plot shows −6…6, so ±5 keeps arrow heads on screen
ZERO_NOTE = ("a zero vector has no direction, and cos θ = a·b ⁄ (‖a‖‖b‖) would divide by "
             "‖a‖‖b‖ = 0")


def _coord(default: float, text: str, label: str):
    return Field(default, ge=-LIMIT, le=LIMIT, description=f"{text} (−5…5)",
                 json_schema_extra=ui(label, step=0.1))


class Params(WidgetParams):
    ax: float = _coord(3.0, "x of a", "a: x")
    ay: float = _coord(1.0, "y of a", "a: y")
    bx: float = _coord(1.0, "x of b", "b: x")
    by: float = _coord(2.0, "y of b", "b: y")


class Result(WidgetResult):
    a: list[float]
    b: list[float]
    dot: float
    norm_a: float
    norm_b: float
    cosine: float | None  # None when either vector is zero
    angle_deg: float | None  # in [0, 180]
    direction_a_deg: float | None  # atan2(y, x) in degrees, (−180, 180]
    direction_b_deg: float | None
    note: str | None
    dot_terms: str  # "3×1 + 1×2", negatives in brackets: the sum the dot product is
    arc_start_deg: float | None  # direction where the angle arc starts (the arc runs anticlockwise)
    relation: str  # "same direction", "opposite directions", "perpendicular: dot product 0" or ""


def _direction(x: float, y: float) -> float | None:
    return None if x == 0 and y == 0 else math.degrees(math.atan2(y, x))


def _term(x: float) -> str:
    return f"({x:g})" if x < 0 else f"{x:g}"


def compute(params: Params) -> Result:
    """a·b = a_x b_x + a_y b_y; cos θ = a·b / (‖a‖‖b‖), clipped to [−1, 1] against rounding."""
    a, b = (params.ax, params.ay), (params.bx, params.by)
    dot = a[0] * b[0] + a[1] * b[1]
    norm_a, norm_b = math.hypot(*a), math.hypot(*b)
    cosine = angle = None
    note = None
    if norm_a == 0 or norm_b == 0:
        note = ZERO_NOTE
    else:
        # Rescale each vector by its largest component first: for tiny (subnormal) vectors
        # ‖a‖‖b‖ underflows, and even ‖b‖ alone loses its digits (hypot(5e-324, 5e-324)
        # rounds to 5e-324), which would make b/‖b‖ wrong.
        sa, sb = max(abs(a[0]), abs(a[1])), max(abs(b[0]), abs(b[1]))
        ua, ub = (a[0] / sa, a[1] / sa), (b[0] / sb, b[1] / sb)
        na, nb = math.hypot(*ua), math.hypot(*ub)
        unit_dot = (ua[0] / na) * (ub[0] / nb) + (ua[1] / na) * (ub[1] / nb)
        cosine = max(-1.0, min(1.0, unit_dot))
        angle = math.degrees(math.acos(cosine))
    da, db = _direction(*a), _direction(*b)
    arc_start = None
    if angle is not None:
        arc_start = da if (db - da) % 360 <= 180 else db
    relation = ""
    if cosine is not None:
        relation = ("same direction" if cosine > 0.999 else "opposite directions"
                    if cosine < -0.999 else "perpendicular: dot product 0"
                    if abs(cosine) < 0.001 else "")
    return Result(a=list(a), b=list(b), dot=dot, norm_a=norm_a, norm_b=norm_b, cosine=cosine,
                  angle_deg=angle, direction_a_deg=da, direction_b_deg=db, note=note,
                  dot_terms=f"{_term(a[0])}×{_term(b[0])} + {_term(a[1])}×{_term(b[1])}",
                  arc_start_deg=arc_start, relation=relation)


SPEC = WidgetSpec(
    name="vectors",
    title="Dot product and angle",
    summary="Drag two arrows and watch their dot product, lengths, cosine similarity and "
            "angle change.",
    params=Params,
    result=Result,
    compute=compute,
)
