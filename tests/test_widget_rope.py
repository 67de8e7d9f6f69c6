"""RoPE: rotation keeps lengths, scores depend only on distance."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.widgets.rope import PRESETS, Params, compute
from tests.browser_support import expect


def rotation_matrix(position: float, d: int, base: float) -> np.ndarray:
    """The (d, d) block-diagonal RoPE matrix, built independently of the widget."""
    r = np.zeros((d, d))
    for i in range(d // 2):
        a = position * base ** (-2 * i / d)
        r[2 * i:2 * i + 2, 2 * i:2 * i + 2] = [[math.cos(a), -math.sin(a)],
                                               [math.sin(a), math.cos(a)]]
    return r


def test_one_pair_by_hand():
    # d = 2: θ_0 = b⁰ = 1 for any base. q = (1, 2), k = (3, 1):
    # q·R_α k = cos α (q·k) + sin α (q_1 k_0 − q_0 k_1) = 5 cos α + 5 sin α
    result = compute(Params(d=2, vectors="typed", q="1,2", k="3,1", m=2, n=5, shift=10))
    assert result.score_plain == 5
    assert result.score == pytest.approx(5 * (math.cos(3) + math.sin(3)), abs=1e-12)
    for delta, value in enumerate(result.curve):
        assert value == pytest.approx(5 * (math.cos(delta) + math.sin(delta)), abs=1e-12)
    # Lesson 18's table uses θ = 0.5, so its distance 2Δ is this pair's distance Δ.
    assert [round(v, 4) for v in result.curve[1:4]] == [6.9089, 2.4658, -4.2444]


def test_matches_full_rotation_matrices():
    d, base = 8, 10_000.0
    result = compute(Params(d=d, base=base, m=7, n=19))
    q, k = np.array(result.q), np.array(result.k)
    rq, rk = rotation_matrix(7, d, base) @ q, rotation_matrix(19, d, base) @ k
    assert np.allclose(result.q_rotated, rq, atol=1e-12)
    assert np.allclose(result.k_rotated, rk, atol=1e-12)
    assert result.score == pytest.approx(q @ rotation_matrix(12, d, base) @ k, abs=1e-9)


@settings(max_examples=80, deadline=None)
@given(d=st.sampled_from([2, 4, 8, 16, 64, 128]), base=st.floats(2, 1e6),
       m=st.integers(0, 5000), n=st.integers(0, 5000), shift=st.integers(0, 5000),
       vectors=st.sampled_from(["random", "aligned"]))
def test_score_is_unchanged_when_both_positions_move(d, base, m, n, shift, vectors):
    result = compute(Params(d=d, base=base, m=m, n=n, shift=shift, vectors=vectors))
    assert abs(result.score - result.score_shifted) < 1e-9
    assert abs(result.score - result.score_relative) < 1e-9
    assert result.q_rotated_norm == pytest.approx(result.q_norm, rel=1e-12)
    assert result.k_rotated_norm == pytest.approx(result.k_norm, rel=1e-12)
    if 0 <= n - m <= 64:
        assert result.curve[n - m] == pytest.approx(result.score, abs=1e-9)


def test_aligned_vectors_score_highest_at_distance_zero():
    result = compute(Params(d=64, base=100_000, vectors="aligned"))
    assert result.curve[0] == pytest.approx(result.q_norm**2)
    assert max(result.curve) == result.curve[0]


def test_smollm2_wavelengths_and_base():
    label, values = PRESETS["smollm2"]
    assert values == {"d": 64, "base": 100_000} and "SmolLM2" in label
    result = compute(Params(**values))
    assert len(result.pairs) == 32
    assert result.pairs[0].wavelength == pytest.approx(2 * math.pi)
    assert round(result.pairs[-1].wavelength, -1) == 438_460  # 2π·100000^(62/64)
    lower = compute(Params(**PRESETS["roformer"][1]))
    assert lower.pairs[-1].wavelength == pytest.approx(2 * math.pi * 10_000 ** (62 / 64))
    assert lower.pairs[-1].wavelength < result.pairs[-1].wavelength / 5


def test_pair_angles_and_turns():
    result = compute(Params(d=4, base=100, m=0, n=10))  # θ = (1, 0.1)
    assert [p.theta for p in result.pairs] == pytest.approx([1, 0.1])
    assert result.pairs[0].angle == pytest.approx(10)
    assert result.pairs[0].turns == pytest.approx(10 / (2 * math.pi))  # wrapped once and more


def test_json_and_fragment(client):
    data = client.get("/api/widgets/rope?d=64&base=100000").json()
    assert len(data["curve"]) == 65 and len(data["pairs"]) == 32
    html = client.get("/widgets/rope?d=64&base=100000").text
    assert "equal: difference" in html and "438,459.89" in html and 'data-series="score"' in html


def test_offset_is_query_minus_key_on_both_sides(client):
    # Lesson 18 counts the offset as m − n: a key three tokens behind the query is +3.
    result = compute(Params(d=4, base=4, vectors="typed", q="0,0,1,2", k="0,0,3,1", m=5, n=2))
    assert result.offset == 3 and result.offsets[0] == -64 and result.offsets[-1] == 64
    by_offset = dict(zip(result.offsets, result.offset_scores, strict=True))
    assert by_offset[3] == pytest.approx(result.score, abs=1e-12)
    assert round(result.score, 4) == -4.6338  # the lesson's worked example
    # The old key-minus-query curve is the mirror image: curve[n − m] = score at m − n.
    for delta, value in enumerate(result.curve):
        assert by_offset[-delta] == pytest.approx(value, abs=1e-12)
    # Lesson 18's table: distance m − n = 0…7.
    assert [round(by_offset[t], 4) for t in range(8)] == [
        5.0, 1.9908, -1.5058, -4.6338, -6.6272, -6.9981, -5.6556, -2.9284]
    html = client.get("/widgets/rope?d=4&base=4&vectors=typed&q=0,0,1,2&k=0,0,3,1&m=5&n=2").text
    assert "offset m − n = 3" in html and "n − m" not in html
    assert "now: m − n = 3" in html  # the marker is on the chart


@pytest.mark.browser
def test_in_the_browser_preset_and_shift(page):
    page.goto("/playground/rope")
    score = page.get_by_test_id("rope-score")
    expect(score).to_be_visible(timeout=10_000)
    page.select_option("#w-rope-presets", "smollm2")
    expect(page.locator("#w-rope-d")).to_have_value("64")
    expect(page.get_by_test_id("rope-slowest")).to_have_text("438,459.89", timeout=10_000)
    page.locator("#w-rope-shift").fill("3000")
    expect(page.locator("#w-rope-result")).to_contain_text("Both moved by 3000", timeout=10_000)
    expect(page.get_by_test_id("rope-shifted")).to_have_text(score.inner_text(), timeout=10_000)
    page.locator("#w-rope-base").fill("10000")  # a hand edit returns the picker to custom
    expect(page.locator("#w-rope-presets")).to_have_value("")
    slowest = f"{2 * math.pi * 10_000 ** (62 / 64):,.2f}"  # 47,117.24 tokens
    expect(page.get_by_test_id("rope-slowest")).to_have_text(slowest, timeout=10_000)
