"""Attention patterns: pairs counted by brute force (loops, not the widget's masks) against
the closed forms, the lesson's 8-token figure, and reach."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.widgets.attention_patterns import Params, closed_forms, compute, runs
from tests.browser_support import expect, follows_control, whole


def brute(n, w, r, g):
    """Count allowed (i, j) pairs with plain loops, straight from the definitions."""
    count = dict.fromkeys(("full", "sliding", "dilated", "global"), 0)
    for i in range(n):
        for j in range(i + 1):
            count["full"] += 1
            count["sliding"] += i - j < w
            count["dilated"] += (i - j) % r == 0 and (i - j) // r < w
            count["global"] += i - j < w or j < g
    return count


@given(st.integers(1, 64), st.integers(1, 64), st.integers(1, 16), st.integers(0, 64))
def test_counts_match_brute_force_and_closed_forms(n, w, r, g):
    g = min(g, n)
    result = compute(Params(n=n, window=w, dilation=r, global_tokens=g))
    expected = brute(n, w, r, g)
    for p in result.patterns:
        assert p.pairs == expected[p.key] == p.closed_form
    assert closed_forms(n, w, r, g)["sliding"] == sum(min(i + 1, w) for i in range(n))


def test_lesson_figure_on_8_tokens():
    # sliding w = 3: 21 cells; dilated w = 3, r = 2: 18; window 2 + token 0 global: 21; full 36
    pairs = {p.key: p.pairs for p in compute(Params(n=8, window=3, dilation=2)).patterns}
    assert (pairs["full"], pairs["sliding"], pairs["dilated"]) == (36, 21, 18)
    glob = {p.key: p.pairs for p in compute(Params(n=8, window=2, global_tokens=1)).patterns}
    assert glob["global"] == 21


def test_lesson_ratio_for_4096_tokens_closed_form():
    forms = closed_forms(4096, 512, 1, 0)
    assert forms["full"] == 8_390_656 and forms["sliding"] == 1_966_336
    assert forms["full"] / forms["sliding"] == pytest.approx(4.27, abs=0.01)


def test_window_grows_linearly_full_grows_quadratically():
    def pairs(n):
        return {p.key: p.pairs for p in compute(Params(n=n, window=3)).patterns}
    small, big = pairs(16), pairs(32)
    assert (small["sliding"], big["sliding"]) == (45, 93)  # 3 + 3·(n − 2) + ... = 3n − 3
    assert (small["full"], big["full"]) == (136, 528)


def test_reach_and_keys_of_the_last_token():
    result = {p.key: p for p in compute(Params(n=16, window=3, dilation=2,
                                               global_tokens=1)).patterns}
    assert (result["sliding"].reach, result["sliding"].keys_last) == (2, 3)
    assert (result["dilated"].reach, result["dilated"].keys_last) == (4, 3)  # 15, 13, 11
    assert (result["global"].reach, result["global"].keys_last) == (15, 4)
    assert result["full"].reach == 15 and result["full"].keys_last == 16


def test_runs_cover_exactly_the_allowed_cells():
    result = compute(Params(n=12, window=4, dilation=3, global_tokens=2))
    for p in result.patterns:
        assert sum(length for _, _, length in p.runs) == p.pairs
    assert runs(np.array([[True, True, False, True]])) == [(0, 0, 2), (0, 3, 1)]


def test_fragment_draws_four_grids(client):
    html = client.get("/widgets/attention-patterns?n=8&window=3&dilation=2").text
    assert html.count('class="ap-grid"') == 4 and "21 pairs" in html and "18 pairs" in html


def pairs(key: str):
    """A pattern's count as its figure caption prints it: "1,234 pairs"."""
    return lambda result: next(f"{p['pairs']:,} pairs" for p in result["patterns"]
                               if p["key"] == key)


@pytest.mark.browser
def test_browser_length_slider_recounts(page):
    after = follows_control(page, "attention-patterns", "ap-sliding", pairs("sliding"), n=32)
    expect(page.get_by_test_id("ap-full")).to_contain_text(whole(pairs("full")(after)))
