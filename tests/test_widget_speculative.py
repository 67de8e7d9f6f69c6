"""Speculative decoding calculator: the lesson's table, the α = 1 limit, the speed-up's
optimum, and an independent check of the expectation by summing the distribution."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.widgets.speculative import Params, compute, expected_tokens, speedup
from tests.browser_support import follows_control


def test_alpha_0_8_gamma_4_by_hand():
    # 0.8^5 = 0.32768; (1 − 0.32768) / 0.2 = 3.3616; round cost 4·0.05 + 1 = 1.2; 2.8013×
    r = compute(Params(alpha=0.8, gamma=4, cost=0.05))
    assert r.expected_tokens == pytest.approx(3.3616, abs=1e-12)
    assert r.round_cost == pytest.approx(1.2) and r.speedup == pytest.approx(2.80133, abs=1e-5)
    assert r.limit == pytest.approx(5)


@pytest.mark.parametrize(("alpha", "row"), [
    (0.5, [1.5, 1.75, 1.9375, 1.9961]), (0.7, [1.7, 2.19, 2.7731, 3.1988]),
    (0.8, [1.8, 2.44, 3.3616, 4.3289]), (0.9, [1.9, 2.71, 4.0951, 6.1258])])
def test_lesson_table(alpha, row):
    assert [expected_tokens(alpha, g) for g in (1, 2, 4, 8)] == pytest.approx(row, abs=1e-4)


def test_alpha_one_is_the_gamma_plus_one_limit():
    assert compute(Params(alpha=1, gamma=7)).expected_tokens == 8
    assert compute(Params(alpha=1, gamma=7)).limit is None
    assert expected_tokens(1 - 1e-9, 7) == pytest.approx(8, rel=1e-6)
    assert compute(Params(alpha=0, gamma=7)).expected_tokens == 1


@given(st.floats(0, 1), st.integers(1, 20))
def test_expectation_equals_the_sum_over_the_distribution(alpha, gamma):
    r = compute(Params(alpha=alpha, gamma=gamma))
    probs = [o.probability for o in r.distribution]
    assert len(probs) == gamma + 1 and sum(probs) == pytest.approx(1, abs=1e-12)
    mean = sum(o.tokens * o.probability for o in r.distribution)
    assert r.expected_tokens == pytest.approx(mean, abs=1e-9)
    assert 1 <= r.expected_tokens <= gamma + 1


def test_practice_question_best_gamma_at_c_0_2():
    # γ = 1: 1.5, 2: 1.7429, 3: 1.845, 4: 1.8676, 5: 1.8446 → best 4
    r = compute(Params(alpha=0.8, gamma=4, cost=0.2))
    assert [speedup(0.8, g, 0.2) for g in (1, 2, 3, 4, 5)] == pytest.approx(
        [1.5, 1.7429, 1.845, 1.8676, 1.8446], abs=1e-4)
    assert r.best_gamma == 4
    cheap = compute(Params(alpha=0.8, gamma=4, cost=0.05))
    assert cheap.best_gamma == 8 and cheap.best_speedup == pytest.approx(3.09, abs=0.01)


def test_free_draft_is_best_at_the_longest_gamma():
    assert compute(Params(alpha=0.9, cost=0)).best_gamma == 20


def test_fragment(client):
    html = client.get("/widgets/speculative?alpha=0.8&gamma=4&cost=0.05").text
    assert 'data-testid="sd-tokens">3.3616' in html and 'data-testid="sd-speedup">2.8013' in html
    assert html.count("<path class=\"lp-line") == 2  # the two curves of the line chart


@pytest.mark.browser
def test_browser_gamma_slider(page):
    follows_control(page, "speculative", "sd-tokens", lambda r: f"{r['expected_tokens']:.4f}",
                    gamma=8)
