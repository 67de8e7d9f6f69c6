"""Module 34's monitor: where each decode step and each request of the last seconds is
drawn (a worked example with known numbers), and that it shows no request contents."""

import pytest

from app.engine.batching import Snapshot, StepRecord
from app.widgets import server_batching as sb


def x_at(t: float, now: float, window: float) -> float:
    """Independent mapping: the plot spans LEFT…LEFT+PLOT for now−window…now."""
    return sb.LEFT + sb.PLOT * (t - (now - window)) / window


def test_steps_and_lanes_of_a_worked_example():
    # Request 1 (two-chunk prompt) prefills over two steps, then decodes alongside request 2,
    # which joins with a one-step prefill; a step from 12 s ago is outside the window.
    steps = (
        StepRecord(end=88.0, ms=100, decoding=(7,), prefilling=()),
        StepRecord(end=95.0, ms=500, decoding=(), prefilling=(1,)),
        StepRecord(end=95.5, ms=500, decoding=(1,), prefilling=(1,)),
        StepRecord(end=96.0, ms=500, decoding=(1, 2), prefilling=(2,)),
        StepRecord(end=97.0, ms=1000, decoding=(1, 2), prefilling=()),
    )
    view = sb.view(Snapshot(now=100.0, running=2, waiting=1, batch_size=32,
                            tokens_per_s=1.2, steps=steps), window_s=10)
    assert view.steps == 4 and view.peak == 2  # the first step is 12 s old: not shown
    assert [b.count for b in view.bars] == [1, 1, 2, 2]
    first = view.bars[0]
    assert first.x == pytest.approx(x_at(94.5, 100, 10), abs=0.05)
    assert first.width == pytest.approx(x_at(95.0, 100, 10) - x_at(94.5, 100, 10), abs=0.1)
    # Heights: a batch of 2 fills the chart (the scale is at least 4 requests tall).
    assert [b.height for b in view.bars] == [sb.BARS_HEIGHT / 4, sb.BARS_HEIGHT / 4,
                                             sb.BARS_HEIGHT / 2, sb.BARS_HEIGHT / 2]
    one, two = view.lanes
    assert (one.label, two.label) == ("#1", "#2")
    # #1: prefill from 94.5 to 95.5 (its last chunk's step), decoding from 95.5 to 97.
    assert one.prefill[0] == pytest.approx(x_at(94.5, 100, 10), abs=0.05)
    assert one.prefill[0] + one.prefill[1] == pytest.approx(x_at(95.5, 100, 10), abs=0.1)
    assert one.decode[0] + one.decode[1] == pytest.approx(x_at(97.0, 100, 10), abs=0.1)
    assert two.y - one.y == sb.LANE_HEIGHT
    assert [label for _, label in view.ticks] == ["now", "−2 s", "−4 s", "−6 s", "−8 s",
                                                  "−10 s"]


def test_an_idle_server_draws_an_empty_timeline():
    view = sb.view(Snapshot(now=5.0, running=0, waiting=0, batch_size=8, tokens_per_s=0.0),
                   window_s=30)
    assert (view.steps, view.peak, view.bars, view.lanes) == (0, 0, (), ())
    assert [label for _, label in view.ticks][-1] == "−30 s"


def test_only_the_most_recent_requests_get_lanes():
    steps = tuple(StepRecord(end=50.0 + i * 0.1, ms=50, decoding=(i,), prefilling=(i,))
                  for i in range(1, 16))
    view = sb.view(Snapshot(now=52.0, running=0, waiting=0, batch_size=32, tokens_per_s=0.0,
                            steps=steps), window_s=5)
    assert [lane.label for lane in view.lanes] == [f"#{i}" for i in range(6, 16)]
