"""Online softmax: the lesson's two-tile example by hand, exactness for every tile size,
the HBM-traffic counts of Dao et al. (2022) by hand."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.widgets.online_softmax import Params, compute, online_softmax, traffic
from tests.browser_support import expect


def test_lesson_worked_example_two_tiles():
    # Tile 1 [1, 3]: m = 3, ℓ = e^-2 + 1 = 1.1353, o = 10e^-2 + 20 = 21.3534.
    # Tile 2 [2, 5]: m = 5, c = e^-2 = 0.1353, ℓ = 1.2034, o = 44.3835; o/ℓ = 36.8806.
    r = compute(Params(scores="1, 3, 2, 5", values="10, 20, 30, 40", tile=2))
    first, second = r.steps
    assert (first.m, first.correction, first.rescaled) == (3, None, False)
    assert first.ell == pytest.approx(math.exp(-2) + 1)
    assert first.o == pytest.approx(21.3534, abs=1e-4)
    assert second.m == 5 and second.rescaled
    assert second.correction == pytest.approx(math.exp(-2))
    assert second.ell == pytest.approx(1.2034, abs=1e-4)
    assert second.o == pytest.approx(44.3835, abs=1e-4)
    assert r.output_online == pytest.approx(36.8806, abs=1e-4)
    assert r.output_online == pytest.approx(r.output_direct, abs=1e-12)
    assert r.rescales == 1


def test_practice_question_one_score_at_a_time():
    # scores [2, 4, 1], values [1, 2, 3]: ℓ = 1, 1.1353, 1.1851; o = 1, 2.1353, 2.2847; 1.9278
    r = compute(Params(scores="2, 4, 1", values="1, 2, 3", tile=1))
    assert [s.ell for s in r.steps] == pytest.approx([1, 1.1353, 1.1851], abs=1e-4)
    assert [s.o for s in r.steps] == pytest.approx([1, 2.1353, 2.2847], abs=1e-4)
    assert [s.correction for s in r.steps][1:] == pytest.approx([math.exp(-2), 1.0])
    assert r.output_online == pytest.approx(1.9278, abs=1e-4)


def test_largest_first_never_rescales():
    assert compute(Params(scores="5, 1, 3, 2", values="", tile=1)).rescales == 0
    assert compute(Params(scores="1, 2, 3, 5", values="", tile=1)).rescales == 3


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-50, 50), min_size=1, max_size=64), st.integers(0, 2**32 - 1))
def test_online_equals_softmax_for_every_tile_size(scores, seed):
    x = np.array(scores)
    v = np.random.default_rng(seed).normal(size=x.size)
    e = np.exp(x - x.max())
    direct = e / e.sum()  # independent of the widget's own softmax
    for tile in range(1, x.size + 1):
        probs, steps, out = online_softmax(x, tile, v)
        assert len(steps) == math.ceil(x.size / tile)
        assert np.max(np.abs(probs - direct)) <= 1e-12
        assert out == pytest.approx(direct @ v, abs=1e-12)


def test_random_rows_through_compute():
    rng = np.random.default_rng(7)
    for _ in range(20):
        x = rng.normal(scale=5, size=rng.integers(1, 65))
        text = ",".join(repr(float(a)) for a in x)
        for tile in (1, 3, 8, 64):
            assert compute(Params(scores=text, values="", tile=tile)).max_abs_diff <= 1e-12


def test_traffic_by_hand():
    # M = 192 KiB = 98,304 fp16 numbers; B_c = ⌈98304 / 256⌉ = 384; T_c = ⌈4096/384⌉ = 11.
    t = traffic(4096, 64, 192)
    assert (t.sram_elements, t.block_cols, t.outer_steps) == (98304, 384, 11)
    assert t.standard_elements == 4 * 4096 * 64 + 4 * 4096**2 == 68_157_440
    assert t.flash_elements == 2 * 4096 * 64 + 11 * (3 * 4096 * 64 + 4 * 4096) == 9_355_264
    assert t.theorem_elements == math.ceil(4096**2 * 64**2 / 98304)
    assert t.standard_bytes == 2 * t.standard_elements and t.scores_bytes == 32 * 2**20
    assert t.ratio == pytest.approx(68_157_440 / 9_355_264, abs=1e-4)


def test_flash_wins_more_as_n_grows():
    ratios = [traffic(n, 64, 192).ratio for n in (512, 2048, 8192, 32768)]
    assert ratios == sorted(ratios)


def test_fragment_shows_steps_and_traffic(client):
    html = client.get("/widgets/online-softmax").text
    assert "36.8806" in html and "0.1353" in html and "— (first tile)" in html
    assert 'data-testid="os-ratio">7.3×' in html and "32.00 MiB" in html
    assert client.get("/api/widgets/online-softmax?values=").json()["output_online"] is None


@pytest.mark.browser
def test_browser_tile_slider(page):
    page.goto("/playground/online-softmax")
    rows = page.locator("[data-testid=os-steps] tbody tr")
    expect(rows).to_have_count(2, timeout=10_000)
    page.locator("#w-online-softmax-tile").fill("1")
    expect(rows).to_have_count(4, timeout=10_000)
    expect(page.get_by_test_id("os-diff")).to_contain_text("36.8806")
