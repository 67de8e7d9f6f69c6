"""Sampling widget: temperature → top-k → top-p against hand computation, seeded draws."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.widgets.sampling import Params, compute
from tests.browser_support import expect, follows_control
from tests.lesson_support import widget

LESSON = dict(tokens="mat, floor, sofa, bed, roof, moon", logits="3, 2.2, 1.8, 1.5, 0.4, -1")


def finals(result):
    return [c.p_final for c in result.candidates]


def test_lesson_worked_example_top_p_0_9():
    # e^z = 20.0855, 9.0250, 6.0496, 4.4817, 1.4918, 0.3679 (sum 41.5016); running totals
    # 0.4840, 0.7014, 0.8472, 0.9552: first ≥ 0.9 at "bed", so four survive.
    result = compute(Params(**LESSON, top_p=0.9))
    assert [c.p_temperature for c in result.candidates] == pytest.approx(
        [0.4840, 0.2175, 0.1458, 0.1080, 0.0359, 0.0089], abs=1e-4)
    assert finals(result) == pytest.approx([0.5067, 0.2277, 0.1526, 0.1131, 0, 0], abs=1e-4)
    assert (result.kept_after_top_k, result.kept_after_top_p) == (6, 4)
    assert [c.kept for c in result.candidates] == [True] * 4 + [False] * 2


def test_lesson_top_k_3_and_top_p_0_5():
    top3 = compute(Params(**LESSON, top_k=3))
    assert finals(top3) == pytest.approx([0.5713, 0.2567, 0.1721, 0, 0, 0], abs=1e-4)
    assert [c.kept_top_k for c in top3.candidates] == [True] * 3 + [False] * 3
    half = compute(Params(**LESSON, top_p=0.5))
    exact = math.exp(3) / (math.exp(3) + math.exp(2.2))  # 0.6900
    assert finals(half)[:2] == pytest.approx([exact, 1 - exact], abs=1e-12)


def test_temperature_comes_first():
    # At T = 0.5: 0.7417, 0.1497, 0.0673, …; running 0.7417, 0.8914, 0.9587: three survive.
    result = compute(Params(**LESSON, temperature=0.5, top_p=0.9))
    assert [c.p_temperature for c in result.candidates][:3] == pytest.approx(
        [0.7417, 0.1497, 0.0673], abs=1e-4)
    assert result.kept_after_top_p == 3


def test_top_p_applies_to_the_renormalized_top_k():
    # top-k 2 leaves [0.69, 0.31]; 0.69 already reaches 0.6, so top-p keeps one token.
    result = compute(Params(**LESSON, top_k=2, top_p=0.6))
    assert (result.kept_after_top_k, result.kept_after_top_p) == (2, 1)
    assert finals(result)[0] == 1.0


def test_running_total_that_equals_p_exactly_stops_there():
    # 0.5 + 0.4 is 0.9 in exact arithmetic but may round below it in floating point.
    logits = ",".join(repr(math.log(p)) for p in (0.5, 0.4, 0.1))
    assert compute(Params(tokens="", logits=logits, top_p=0.9)).kept_after_top_p == 2


def test_ties_keep_the_lower_index_first():
    result = compute(Params(tokens="a, b, c", logits="1, 1, 1", top_k=2))
    assert [c.token for c in result.candidates if c.kept] == ["a", "b"]
    assert finals(result) == pytest.approx([0.5, 0.5, 0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-30, 30), min_size=1, max_size=64), st.floats(0.05, 10))
def test_filters_off_is_plain_softmax(logits, temperature):
    text = ",".join(repr(x) for x in logits)
    result = compute(Params(tokens="", logits=text, temperature=temperature, top_k=0, top_p=1))
    e = [math.exp((x - max(logits)) / temperature) for x in logits]
    by_index = {int(c.token.split()[1]) - 1: c.p_final for c in result.candidates}
    assert [by_index[i] for i in range(len(logits))] == pytest.approx(
        [v / sum(e) for v in e], abs=1e-12)
    assert result.kept_after_top_p == len(logits)


def test_greedy_keeps_only_the_argmax_whatever_the_seed():
    for seed in range(5):
        result = compute(Params(**LESSON, temperature=0, seed=seed))
        assert result.kept_after_top_p == 1 and result.sampled.token == "mat"
        assert result.sampled.probability == 1.0


def test_seeded_draw_is_the_inverse_cdf_of_default_rng():
    result = compute(Params(**LESSON, top_p=0.9, seed=0))
    u = np.random.default_rng(0).random()  # 0.6370
    assert result.sampled.u == u
    # running totals 0.5067, 0.7343, …: the first above 0.6370 is "floor"
    assert (result.sampled.token, result.sampled.rank) == ("floor", 2)
    assert compute(Params(**LESSON, top_p=0.9, seed=0)) == result


def test_draws_follow_the_filtered_distribution():
    counts = {}
    for seed in range(3000):
        token = compute(Params(**LESSON, top_k=3, seed=seed)).sampled.token
        counts[token] = counts.get(token, 0) + 1
    assert set(counts) == {"mat", "floor", "sofa"}
    for token, p in zip(("mat", "floor", "sofa"), (0.5713, 0.2567, 0.1721), strict=True):
        assert counts[token] / 3000 == pytest.approx(p, abs=0.03)  # > 3 standard errors


@pytest.fixture(scope="module")
def model(app):
    return app.state.models.smollm2()


def test_real_model_nucleus_over_the_whole_vocabulary(client, model):
    prompt = "The capital of France is"
    data = client.get("/api/widgets/sampling", params=dict(
        source="model", prompt=prompt, temperature=1, top_p=0.9)).json()
    assert data["candidates"][0]["token"] == " Paris" and len(data["candidates"]) == 20
    # independent: softmax over the engine's own logits, sorted, first running total ≥ 0.9
    z = model.prefill(model.encode(prompt))[0].astype(np.float64)
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    nucleus = int(np.argmax(np.cumsum(np.sort(p)[::-1]) >= 0.9)) + 1
    assert data["vocab_size"] == model.config.vocab_size == 49152
    assert data["kept_after_top_p"] == nucleus
    first = data["candidates"][0]
    assert first["p_temperature"] == pytest.approx(p[first["id"]], rel=1e-9)
    assert first["p_final"] == pytest.approx(p[first["id"]] / np.sort(p)[::-1][:nucleus].sum())


def test_fragment_marks_cut_rows_and_the_draw(client):
    html = client.get("/widgets/sampling?top_p=0.9&seed=0").text
    assert html.count('class="is-dropped"') == 2 and "is-sampled" in html
    assert "<strong>floor</strong>" in html and "top-p keeps <strong" in html


@pytest.mark.browser
def test_browser_sliders_and_real_model(page):
    follows_control(page, "sampling", "sampling-nucleus",
                    lambda r: f"{r['kept_after_top_p']:,}", top_p=0.9)
    page.locator("input[name=source][value=model]").check()
    likeliest = widget("sampling", top_p=0.9, source="model")["candidates"][0]["label"]
    expect(page.locator("#w-sampling-result th[scope=row]").first).to_have_text(
        likeliest, timeout=60_000)  # the first request loads SmolLM2
