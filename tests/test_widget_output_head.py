"""Output head: logits against NumPy, lesson 19's worked example and tying."""

import math

import numpy as np
import pytest

from app.widgets.output_head import (
    TOY_EMBEDDINGS,
    TOY_TOKENS,
    TOY_UNEMBEDDING,
    Params,
    compute,
)
from tests.browser_support import expect, follows_control, set_control


def test_lesson_19_worked_example():
    # h = (1, 0.5, −0.5); Paris = (2, 1, 0): 2 + 0.5 + 0 = 2.5; London = (1.5, 0, 0.5): 1.25
    result = compute(Params(vocabulary="lesson", h4=2.0))  # h₄ meets a zero column: no effect
    assert result.tokens == ["Paris", "London", "the", "banana", "."]
    assert result.logits == [2.5, 1.25, -0.5, -0.5, -0.75]
    # e^2.5 / (12.1825 + 3.4903 + 0.6065 + 0.6065 + 0.4724) = 12.1825 / 17.3583
    assert [round(p, 4) for p in result.probabilities] == [0.7018, 0.2011, 0.0349, 0.0349, 0.0272]
    assert round(result.loss, 4) == 0.3541  # −ln 0.7018
    assert round(compute(Params(vocabulary="lesson", target="London")).loss, 4) == 1.6041


def test_doubling_h_is_halving_the_temperature():
    doubled = compute(Params(vocabulary="lesson", length=2))
    cooled = compute(Params(vocabulary="lesson", temperature=0.5))
    assert round(doubled.probabilities[0], 4) == 0.9187
    assert np.allclose(doubled.probabilities, cooled.probabilities, atol=1e-12)


@pytest.mark.parametrize("tied", [True, False])
def test_logits_match_numpy(tied):
    params = Params(h1=0.3, h2=-1.2, h3=2.0, h4=0.7, length=1.5, temperature=0.8, tied=tied)
    result = compute(params)
    h = 1.5 * np.array([0.3, -1.2, 2.0, 0.7])
    w_u = np.array(TOY_EMBEDDINGS if tied else TOY_UNEMBEDDING, float).T  # (d, V)
    z = h @ w_u
    p = np.exp(z / 0.8) / np.exp(z / 0.8).sum()
    assert np.allclose(result.logits, z, atol=1e-12)
    assert np.allclose(result.probabilities, p, atol=1e-12)
    assert np.allclose(result.embedding_dots, np.array(TOY_EMBEDDINGS) @ h, atol=1e-12)
    assert (result.logits == result.embedding_dots) is tied  # tied: z_i = h · e_i exactly


def test_gradient_is_p_minus_y_over_t_by_finite_differences():
    params = Params(h1=0.4, h2=1.1, h3=-0.2, h4=0.9, temperature=1.7, target="Berlin")
    result = compute(params)
    z, t = np.array(result.logits), 1.7

    def loss(z):
        s = z / t
        return math.log(np.exp(s - s.max()).sum()) + s.max() - s[TOY_TOKENS.index("Berlin")]

    assert loss(z) == pytest.approx(result.loss, abs=1e-12)
    numeric = [(loss(z + 1e-6 * e) - loss(z - 1e-6 * e)) / 2e-6 for e in np.eye(len(z))]
    assert np.allclose(result.gradient, numeric, atol=1e-7)


def test_zero_hidden_state_is_uniform_and_extremes_stay_finite():
    zero = compute(Params(length=0))
    assert zero.probabilities == pytest.approx([1 / 8] * 8)
    assert zero.entropy_bits == pytest.approx(3)
    sharp = compute(Params(h1=-3, h2=3, h3=-3, h4=3, length=3, temperature=0.05, target="."))
    assert math.isfinite(sharp.loss) and sharp.loss > 500  # log-softmax, not log(0)


def test_target_outside_the_lesson_vocabulary_has_no_loss():
    result = compute(Params(vocabulary="lesson", target="Berlin"))
    assert result.target_index is None and result.loss is None and result.gradient is None


def test_form_offers_exactly_the_toy_tokens():
    from app.widgets.output_head import SPEC

    target = next(c for c in SPEC.controls if c.name == "target")
    assert target.kind == "select" and [v for v, _ in target.choices] == TOY_TOKENS


def test_json_and_fragment(client):
    data = client.get("/api/widgets/output-head?vocabulary=lesson").json()
    assert data["top"] == 0 and round(data["loss"], 4) == 0.3541
    html = client.get("/widgets/output-head?vocabulary=lesson").text
    assert "0.7018" in html and "0.3541" in html and "Tied" in html
    untied = client.get("/widgets/output-head?tied=false").text
    assert "Untied" in untied and "(1.3, 1.5, 0.1, -0.5)" in untied


@pytest.mark.browser
def test_in_the_browser_h4_moves_the_answer_to_berlin(page):
    # Paris 2 + 0.5 − 2 = 0.5; Berlin 2 + 0.5 + 2 = 4.5
    follows_control(page, "output-head", "oh-top", lambda r: r["tokens"][r["top"]], h4=2)
    set_control(page, "output-head", "tied", False)
    expect(page.locator("#w-output-head-result caption")).to_contain_text("Untied")
