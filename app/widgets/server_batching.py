"""Module 34's window onto this very server: its batch engine's load, live.

The page asks for a live view (``live``); the SSE route (``/api/stream/batching``) then
sends a snapshot twice a second, drawn by :func:`view`: the batch size and queue now, tokens
per second, and a timeline of the last seconds: one bar per decode step (its height: how
many requests were in it) and one lane per request (when it was prefilled, when it was
decoding). Requests are numbered in order of arrival; nothing about their text is shown.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from pydantic import Field

from app.engine.batching import Snapshot
from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec, ui

# The timeline's drawing, in SVG user units (the SVG scales to the page's width).
WIDTH = 600
LEFT = 44  # room for the lane labels (#12)
PLOT = WIDTH - LEFT - 6
BARS_HEIGHT = 56
LANE_TOP = BARS_HEIGHT + 26
LANE_HEIGHT = 18
MAX_LANES = 10  # the most recent requests in the window


class Params(WidgetParams):
    window_s: int = Field(10, ge=5, le=30, description="Seconds of history in the timeline "
                                                       "(5–30)",
                          json_schema_extra=ui("Timeline length", unit="s"))
    live: bool = Field(False, description=(
        "HTML: connect to the server's live feed (SSE) instead of showing the button"),
        json_schema_extra=ui("Live", control="hidden"))


class Result(WidgetResult):
    stream_url: str  # the SSE feed of snapshots for this window


@dataclass(frozen=True)
class Bar:
    """One decode step: ``x``/``width`` in time, ``height`` ∝ requests in it (``count``)."""

    x: float
    width: float
    height: float
    count: int


@dataclass(frozen=True)
class Lane:
    """One request: a light span while its prompt was prefilled, a dark one while decoding."""

    label: str
    y: float
    prefill: tuple[float, float] | None  # (x, width)
    decode: tuple[float, float] | None


@dataclass(frozen=True)
class View:
    enabled: bool
    running: int
    waiting: int
    batch_size: int
    tokens_per_s: float
    window_s: int
    steps: int  # decode steps in the window
    peak: int  # the largest batch in the window
    bars: tuple[Bar, ...]
    lanes: tuple[Lane, ...]
    height: float  # of the whole SVG
    ticks: tuple[tuple[float, str], ...]  # (x, "−5 s")
    left: float = LEFT  # where time starts, after the labels
    right: float = LEFT + PLOT
    baseline: float = BARS_HEIGHT  # the step bars stand on this line
    lane_top: float = LANE_TOP


def view(snapshot: Snapshot, window_s: int, enabled: bool = True) -> View:
    """Where to draw each step and request of the last ``window_s`` seconds."""
    start = snapshot.now - window_s

    def x_of(t: float) -> float:
        return LEFT + PLOT * min(max((t - start) / window_s, 0.0), 1.0)

    def span(t0: float, t1: float) -> tuple[float, float]:
        x0 = x_of(t0)
        return round(x0, 1), round(max(x_of(t1) - x0, 1.0), 1)  # at least 1 unit: visible

    steps = [s for s in snapshot.steps if s.end > start]
    def members(s) -> set[int]:  # a prompt's last chunk also yields its first token
        return {*s.decoding, *s.prefilling}

    peak = max((len(members(s)) for s in steps), default=0)
    scale = max(peak, 4)
    bars = []
    # A request's first and last moment in the window, and when its prefill ended.
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    prefill_end: dict[int, float] = {}
    for s in steps:
        began = s.end - s.ms / 1000
        count = len(members(s))
        x, width = span(began, s.end)
        bars.append(Bar(x, width, round(BARS_HEIGHT * count / scale, 1), count))
        for number in (*s.prefilling, *s.decoding):
            first.setdefault(number, began)
            last[number] = s.end
        for number in s.prefilling:
            prefill_end[number] = s.end
    lanes = []
    for i, number in enumerate(sorted(first)[-MAX_LANES:]):
        split = prefill_end.get(number, first[number])
        lanes.append(Lane(
            f"#{number}", LANE_TOP + i * LANE_HEIGHT,
            span(first[number], split) if number in prefill_end else None,
            span(split, last[number]) if last[number] > split else None))
    every = 5 if window_s > 10 else 2
    ticks = tuple((round(x_of(snapshot.now - ago), 1), f"−{ago} s" if ago else "now")
                  for ago in range(0, window_s + 1, every))
    return View(enabled, snapshot.running, snapshot.waiting, snapshot.batch_size,
                snapshot.tokens_per_s, window_s, len(steps), peak, tuple(bars), tuple(lanes),
                LANE_TOP + max(len(lanes), 1) * LANE_HEIGHT + 4, ticks)


def compute(params: Params) -> Result:
    return Result(stream_url="/api/stream/batching?" + urlencode({"window_s": params.window_s}))


SPEC = WidgetSpec(
    name="server-batching",
    title="This server's batch, live",
    summary="Watch the course's own server batch text generation: batch size, queue, "
            "tokens per second, and which requests shared each decode step.",
    params=Params,
    result=Result,
    compute=compute,
)
