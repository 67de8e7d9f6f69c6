"""LayerNorm and RMSNorm: the lesson's worked example and invariances."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.widgets.normalization import Params, compute
from tests.browser_support import expect

EPS = 1e-5


def test_lesson_16_worked_example_by_hand():
    # x = (2, −1, 0, 3): μ = 1, σ² = (1 + 4 + 1 + 4)/4 = 2.5; mean square = 14/4 = 3.5
    result = compute(Params(x="2,-1,0,3"))
    assert result.input_stats.mean == 1 and result.input_stats.variance == 2.5
    assert result.input_stats.rms == pytest.approx(math.sqrt(3.5))
    assert result.layernorm.divisor == pytest.approx(math.sqrt(2.5 + EPS))
    assert result.rmsnorm.divisor == pytest.approx(math.sqrt(3.5 + EPS))
    assert np.round(result.layernorm.output, 4).tolist() == [0.6325, -1.2649, -0.6325, 1.2649]
    assert np.round(result.rmsnorm.output, 4).tolist() == [1.069, -0.5345, 0.0, 1.6036]


def test_lesson_16_gain_and_shift_rows():
    gained = compute(Params(x="2,-1,0,3", gamma="2,1,1,0.5")).rmsnorm.output
    assert np.round(gained, 4).tolist() == [2.1381, -0.5345, 0.0, 0.8018]
    shifted = compute(Params(x="2,-1,0,3", shift=10)).rmsnorm.output  # x + 10 = (12, 9, 10, 13)
    assert np.round(shifted, 4).tolist() == [1.0798, 0.8099, 0.8998, 1.1698]


def test_outputs_match_direct_formulas_with_gain_and_bias():
    x = np.array([0.3, -2.0, 5.5, 1.25, -0.75, 4.0])
    gamma, beta = np.array([1, 2, 0.5, -1, 3, 0.25]), np.array([0.1, 0, -0.2, 0.3, 0, 1])
    result = compute(Params(x=",".join(map(str, x)), gamma=",".join(map(str, gamma)),
                            beta=",".join(map(str, beta))))
    ln = gamma * (x - x.mean()) / np.sqrt(((x - x.mean()) ** 2).mean() + EPS) + beta
    rms = gamma * x / np.sqrt((x**2).mean() + EPS)
    assert np.allclose(result.layernorm.output, ln, atol=1e-12)
    assert np.allclose(result.rmsnorm.output, rms, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1000, 1000), min_size=2, max_size=16).filter(
    lambda v: np.var(v) > 1e-2))
def test_unit_gain_gives_mean_zero_variance_one_and_rms_one(values):
    result = compute(Params(x=",".join(repr(v) for v in values)))
    ln, rms = result.layernorm.stats, result.rmsnorm.stats
    assert abs(ln.mean) < 1e-9
    assert ln.variance == pytest.approx(1, abs=1e-3)  # ε/σ² ≤ 10⁻³ for σ² ≥ 10⁻²
    assert rms.rms == pytest.approx(1, abs=1e-3)
    assert ln.norm == pytest.approx(math.sqrt(len(values) * ln.variance), rel=1e-9)


def test_scale_and_shift_invariances():
    base = compute(Params(x="2,-1,4,0.5,3"))
    scaled = compute(Params(x="2,-1,4,0.5,3", scale=100))
    shifted = compute(Params(x="2,-1,4,0.5,3", shift=50))
    assert scaled.x == pytest.approx([200, -100, 400, 50, 300])
    assert np.allclose(scaled.layernorm.output, base.layernorm.output, atol=1e-5)
    assert np.allclose(scaled.rmsnorm.output, base.rmsnorm.output, atol=1e-5)
    assert np.allclose(shifted.layernorm.output, base.layernorm.output, atol=1e-9)
    assert not np.allclose(shifted.rmsnorm.output, base.rmsnorm.output, atol=0.1)


def test_constant_vector_needs_epsilon():
    result = compute(Params(x="5,5,5,5"))  # σ² = 0: the output is 0/√ε = 0, not NaN
    assert result.layernorm.output == [0.0, 0.0, 0.0, 0.0]
    assert result.layernorm.divisor == pytest.approx(math.sqrt(EPS))


def test_json_and_fragment(client):
    data = client.get("/api/widgets/normalization?x=2,-1,0,3").json()
    assert data["layernorm"]["stats"]["mean"] == 0.0
    html = client.get("/widgets/normalization?x=2,-1,0,3").text
    assert "0.6325" in html and "1.6036" in html and "-0.0000" not in html
    assert 'data-testid="norm-layernorm-var">1.0000<' in html


@pytest.mark.browser
def test_in_the_browser_scaling_changes_nothing(page):
    page.goto("/playground/normalization")
    expect(page.get_by_test_id("norm-input-mean")).to_have_text("1.7000", timeout=10_000)
    page.locator("#w-normalization-x").fill("2,-1,0,3")
    expect(page.get_by_test_id("norm-input-mean")).to_have_text("1.0000", timeout=10_000)
    expect(page.get_by_test_id("norm-layernorm-var")).to_have_text("1.0000")
    expect(page.get_by_test_id("norm-rmsnorm-mean")).to_have_text("0.5345")
    page.locator("#w-normalization-scale").fill("100")
    expect(page.get_by_test_id("norm-input-mean")).to_have_text("100.0000", timeout=10_000)
    expect(page.get_by_test_id("norm-rmsnorm-mean")).to_have_text("0.5345")
