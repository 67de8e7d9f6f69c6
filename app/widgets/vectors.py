"""Two 2-D vectors: dot product, lengths, cosine similarity and the angle between them."""

import math

from pydantic import Field

from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec

LIMIT = 5.0  # the plot shows −6…6, so ±5 keeps arrow heads on screen
ZERO_NOTE = ("a zero vector has no direction, and cos θ = a·b ⁄ (‖a‖‖b‖) would divide by "
             "‖a‖‖b‖ = 0")


def _coord(default: float, text: str):
    return Field(default, ge=-LIMIT, le=LIMIT, description=f"{text} (−5…5)")


class Params(WidgetParams):
    ax: float = _coord(3.0, "x of a")
    ay: float = _coord(1.0, "y of a")
    bx: float = _coord(1.0, "x of b")
    by: float = _coord(2.0, "y of b")


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


def _direction(x: float, y: float) -> float | None:
    return None if x == 0 and y == 0 else math.degrees(math.atan2(y, x))


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
        # Normalise first: ‖a‖‖b‖ can underflow to 0 for tiny (subnormal) non-zero vectors.
        unit_dot = (a[0] / norm_a) * (b[0] / norm_b) + (a[1] / norm_a) * (b[1] / norm_b)
        cosine = max(-1.0, min(1.0, unit_dot))
        angle = math.degrees(math.acos(cosine))
    return Result(a=list(a), b=list(b), dot=dot, norm_a=norm_a, norm_b=norm_b, cosine=cosine,
                  angle_deg=angle, direction_a_deg=_direction(*a),
                  direction_b_deg=_direction(*b), note=note)


SPEC = WidgetSpec(
    name="vectors",
    title="Dot product and angle",
    summary="Drag two arrows and watch their dot product, lengths, cosine similarity and "
            "angle change.",
    params=Params,
    result=Result,
    compute=compute,
)
