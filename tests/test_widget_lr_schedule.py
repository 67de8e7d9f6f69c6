"""Learning-rate schedules: the closed forms, and lesson 23's table."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.widgets.lr_schedule import Params, compute, scientific
from tests.browser_support import expect

PEAK, FLOOR, W, S = 6e-4, 6e-5, 2_000, 100_000


def cosine_closed_form(t):
    return FLOOR + 0.5 * (PEAK - FLOOR) * (1 + math.cos(math.pi * (t - W) / (S - W)))


@pytest.mark.parametrize(("t", "expected"), [
    (0, 0.0), (500, 1.5e-4), (1_000, 3.0e-4), (2_000, 6.0e-4), (26_500, 5.209e-4),
    (51_000, 3.3e-4), (75_500, 1.391e-4), (100_000, 6.0e-5),
])
def test_lesson_23_table(t, expected):
    result = compute(Params(at_step=t))  # defaults: the lesson's schedule
    assert result.at_lr == pytest.approx(expected, abs=5e-8)
    if t >= W:
        assert result.at_lr == pytest.approx(cosine_closed_form(t), rel=1e-12)
    else:
        assert result.at_lr == pytest.approx(PEAK * t / W, rel=1e-12)


def test_readout_label_and_other_schedules():
    result = compute(Params())
    assert result.at_label == "5.209 × 10⁻⁴" and result.phase == "decay, 25.0% of the way"
    by_name = {c.name: c for c in result.curves}
    assert by_name["linear"].at_lr == pytest.approx(PEAK - (PEAK - FLOOR) * 0.25)  # 4.65e-4
    assert by_name["constant"].at_lr == PEAK


def test_plotted_curves_follow_the_closed_form():
    result = compute(Params())
    steps = np.array(result.steps)
    assert steps[0] == 0 and steps[-1] == S and W in steps  # the warm-up corner is sampled
    cosine = next(c for c in result.curves if c.name == "cosine").lr
    expected = [PEAK * t / W if t < W else cosine_closed_form(t) for t in steps]
    assert np.allclose(cosine, expected, rtol=1e-12, atol=0)


def test_no_warmup_starts_at_the_peak():
    result = compute(Params(warmup_steps=0, at_step=0))
    assert result.at_lr == pytest.approx(PEAK, rel=1e-12) and result.phase.startswith("decay")


@settings(max_examples=40, deadline=None)
@given(schedule=st.sampled_from(["cosine", "linear", "constant"]),
       ratio=st.floats(0, 1), warmup=st.integers(0, 900), total=st.integers(1_000, 4_000))
def test_fraction_below_a_tenth_matches_dense_sampling(schedule, ratio, warmup, total):
    result = compute(Params(schedule=schedule, min_ratio=ratio, warmup_steps=warmup,
                            total_steps=total, at_step=0))
    t = np.linspace(0, total, 200_001)
    floor = ratio * PEAK
    u = np.clip((t - warmup) / (total - warmup), 0, 1)
    after = {"cosine": floor + 0.5 * (PEAK - floor) * (1 + np.cos(np.pi * u)),
             "linear": PEAK - (PEAK - floor) * u, "constant": np.full_like(t, PEAK)}[schedule]
    lr = np.where(t < warmup, PEAK * t / max(warmup, 1), after)
    assert result.fraction_below_tenth == pytest.approx(np.mean(lr < 0.1 * PEAK), abs=2e-3)


def test_floor_zero_cosine_spends_a_fifth_below_a_tenth():
    # u > arccos(−0.8)/π = 0.7952: (1 − 0.7952)·98,000 + 200 warm-up steps = 20,268 of 100,000
    result = compute(Params(min_ratio=0))
    assert result.fraction_below_tenth == pytest.approx(
        (0.1 * W + (1 - math.acos(-0.8) / math.pi) * (S - W)) / S)
    assert round(result.fraction_below_tenth, 3) == 0.203


def test_scientific_labels():
    assert scientific(6e-4) == "6.000 × 10⁻⁴"
    assert scientific(9.99996e-5) == "1.000 × 10⁻⁴"
    assert scientific(0.0) == "0" and scientific(0.5) == "5.000 × 10⁻¹"
    assert scientific(1.5e-8) == "1.500 × 10⁻⁸" and scientific(1.0) == "1.000 × 10⁰"


def test_json_and_fragment(client):
    data = client.get("/api/widgets/lr-schedule").json()
    assert data["at_label"] == "5.209 × 10⁻⁴" and len(data["curves"]) == 3
    html = client.get("/widgets/lr-schedule?schedule=linear").text
    assert "η = 4.650 × 10⁻⁴" in html and html.count("data-series=") == 3


@pytest.mark.browser
def test_in_the_browser_switching_schedule(page):
    page.goto("/playground/lr-schedule")
    readout = page.get_by_test_id("lr-at")
    expect(readout).to_have_text("η = 5.209 × 10⁻⁴", timeout=10_000)
    page.select_option("#w-lr-schedule-schedule", "linear")
    expect(readout).to_have_text("η = 4.650 × 10⁻⁴", timeout=10_000)
    page.locator("#w-lr-schedule-at_step").fill("500")
    expect(readout).to_have_text("η = 1.500 × 10⁻⁴", timeout=10_000)
