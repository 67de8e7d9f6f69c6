"""Chinchilla calculator: C = 6ND, the 20-tokens rule, the fitted loss and its optimum."""

import math

import numpy as np
import pytest

from app.widgets.scaling import Params, compute, fit_optimum, loss


def test_chinchilla_itself():
    result = compute(Params(log10_flops=math.log10(5.88e23), params_b=70, tokens_b=1400))
    assert result.your_flops == pytest.approx(6 * 70e9 * 1.4e12)  # 5.88e23
    # By hand: 1.69 + 406.4 / 70e9**0.34 + 410.7 / 1.4e12**0.28 = 1.9366
    assert result.yours.loss == pytest.approx(1.93665, abs=1e-4)
    rule = result.rule_of_thumb
    assert rule.tokens_per_param == 20
    assert rule.params == pytest.approx(70e9, rel=1e-9)  # sqrt(5.88e23 / 120) = 7e10


def test_fit_optimum_is_the_true_minimum_on_the_budget():
    flops = 1e22
    n_opt, d_opt = fit_optimum(flops)
    assert 6 * n_opt * d_opt == pytest.approx(flops)
    sizes = np.geomspace(n_opt / 10, n_opt * 10, 2001)
    grid = [loss(n, flops / 6 / n) for n in sizes]
    assert loss(n_opt, d_opt) <= min(grid) + 1e-9
    assert sizes[int(np.argmin(grid))] == pytest.approx(n_opt, rel=0.01)


def test_fragment_shows_the_table(client):
    html = client.get("/widgets/scaling?log10_flops=23.77&params_b=70&tokens_b=1400").text
    assert "1.937" in html and "Rule of thumb" in html


@pytest.mark.parametrize("query", ["", "log10_flops=15&params_b=0.000001&tokens_b=1000000",
                                   "log10_flops=28&params_b=10000&tokens_b=0.000001"])
def test_fragment_draws_the_isoflop_chart(client, query):
    html = client.get(f"/widgets/scaling?{query}").text
    assert 'data-series="budget"' in html and "predicted loss" in html
    assert html.count('class="lp-marker') >= 3 and "style=" not in html
