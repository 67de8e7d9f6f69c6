"""The causal-mask widget: hand-worked softmaxes, real MiniLM scores, properties, browser."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.widgets.causal_mask import Params, compute
from tests._minilm_html import parse
from tests.browser_support import expect

URL = "/api/widgets/causal-mask"
TIMEOUT_MS = 15_000


def test_default_scores_hand_worked(client):
    body = client.get(URL).json()
    assert body["tokens"] is None and body["causal"] is True and body["wrong_axis"] is False
    # scores 2,1,0;0,3,4;1,1,1 with the future hidden
    assert body["scores"] == [[2.0, None, None], [0.0, 3.0, None], [1.0, 1.0, 1.0]]
    assert body["mask"] == [[True, False, False], [True, True, False], [True, True, True]]
    e3 = math.exp(3)
    expected = [[1, 0, 0], [1 / (1 + e3), e3 / (1 + e3), 0], [1 / 3, 1 / 3, 1 / 3]]
    assert np.allclose(body["weights"], expected, atol=1e-9)
    assert body["weights"][0][1] == 0 and body["weights"][0][2] == 0 and body["weights"][1][2] == 0
    assert body["row_sums"] == [1.0, 1.0, 1.0]


def test_bidirectional_is_a_plain_row_softmax(client):
    body = client.get(URL, params={"scores": "2,1,0;0,3,4;1,1,1", "causal": "false"}).json()
    assert body["mask"] == [[True] * 3] * 3
    first = [math.exp(2), math.exp(1), math.exp(0)]
    assert np.allclose(body["weights"][0], [v / sum(first) for v in first], atol=1e-9)
    assert body["scores"][0] == [2.0, 1.0, 0.0]


def test_wrong_axis_normalises_columns_not_rows(client):
    body = client.get(URL, params={"causal": "false", "wrong_axis": "true"}).json()
    w = np.array(body["weights"])
    assert np.allclose(w.sum(axis=0), 1, atol=1e-8)
    # column 0 holds scores 2, 0, 1 → softmax down the column
    col = [math.exp(2), math.exp(0), math.exp(1)]
    assert np.allclose(w[:, 0], [v / sum(col) for v in col], atol=1e-9)
    assert body["row_sums"] == pytest.approx(w.sum(axis=1).tolist(), abs=1e-8)
    assert max(abs(s - 1) for s in body["row_sums"]) > 0.1


def test_wrong_axis_with_causal_mask_keeps_the_future_at_zero(client):
    body = client.get(URL, params={"wrong_axis": "true"}).json()
    w = np.array(body["weights"])
    assert w[0, 1] == 0 and w[0, 2] == 0 and w[1, 2] == 0
    # column 2 has a single allowed entry (row 3), which takes all of it
    assert w[2, 2] == pytest.approx(1.0)
    assert body["row_sums"][0] == pytest.approx(math.exp(2) / (math.exp(2) + 1 + math.e))


def test_real_scores_from_minilm(client, app):
    sentence = "The cat sat on the mat"
    body = client.get(URL, params={"sentence": sentence, "layer": 3, "head": 7}).json()
    enc = app.state.models.minilm().encode(sentence)
    assert body["tokens"] == list(enc.tokens)
    real = enc.scores[2, 6].astype(np.float64)
    n = len(enc.tokens)
    shown = np.array([[np.nan if v is None else v for v in row] for row in body["scores"]])
    lower = np.tril(np.ones((n, n), dtype=bool))
    assert np.allclose(shown[lower], real[lower], atol=1e-6)
    assert np.isnan(shown[~lower]).all()
    for i in range(n):  # each row: softmax over the visible prefix only
        e = np.exp(real[i, : i + 1] - real[i, : i + 1].max())
        assert np.allclose(body["weights"][i][: i + 1], e / e.sum(), atol=1e-8)
    # bidirectional on the same scores gives back MiniLM's own weights
    bi = client.get(URL, params={"sentence": sentence, "layer": 3, "head": 7,
                                 "causal": "false"}).json()
    assert np.allclose(bi["weights"], enc.attentions[2, 6], atol=1e-6)


def test_source_chooses_between_inputs(client):
    both = {"scores": "1,2;3,4", "sentence": "Hello there"}
    assert client.get(URL, params={**both, "source": "scores"}).json()["tokens"] is None
    assert client.get(URL, params={**both, "source": "sentence"}).json()["tokens"][0] == "[CLS]"


square = st.integers(1, 8).flatmap(lambda n: st.lists(
    st.lists(st.floats(-50, 50, allow_nan=False), min_size=n, max_size=n),
    min_size=n, max_size=n))


def _run(rows, causal, wrong_axis=False):
    text = ";".join(",".join(repr(v) for v in row) for row in rows)
    return compute(Params(scores=text, causal=causal, wrong_axis=wrong_axis), None)


@settings(max_examples=60, deadline=None)
@given(square, st.booleans())
def test_property_rows_sum_to_one_and_never_weight_the_future(rows, causal):
    result = _run(rows, causal)
    w = np.array(result.weights)
    assert np.allclose(w.sum(axis=1), 1, atol=1e-8)
    assert np.allclose(result.row_sums, 1, atol=1e-8)
    assert (w >= 0).all()
    if causal:
        assert (w[np.triu_indices(len(rows), k=1)] == 0).all()


@settings(max_examples=40, deadline=None)
@given(square)
def test_property_wrong_axis_sums_columns_and_still_hides_the_future(rows):
    w = np.array(_run(rows, True, wrong_axis=True).weights)
    assert np.allclose(w.sum(axis=0), 1, atol=1e-8)
    assert (w[np.triu_indices(len(rows), k=1)] == 0).all()


def test_default_is_the_typed_scores_mode_and_a_sentence_switches(client):
    from app.widgets.causal_mask import SPEC

    assert Params().source == "scores"
    assert Params(sentence="Hi there").source == "sentence"  # auto: the input given
    state = SPEC.state(Params())  # only the active mode's fields go in the URL
    assert "scores" in state and not {"sentence", "layer", "head"} & set(state)
    state = SPEC.state(Params(source="sentence"))
    assert {"sentence", "layer", "head"} <= set(state) and "scores" not in state


def test_fragment_cells_are_focusable_and_explained(client):
    r = client.get("/widgets/causal-mask", params={"scores": "1,2,3;4,5,6;7,8,9"})
    assert r.status_code == 200 and "style=" not in r.text
    cells = parse(r.text).find_all("td", "cm-cell")
    assert len(cells) == 9
    assert all(c.attrs["tabindex"] == "0" for c in cells)
    future = next(c for c in cells if c.attrs["data-i"] == "1" and c.attrs["data-j"] == "2")
    assert future.attrs["aria-label"].startswith("token 2 cannot see token 3: it is in the future")
    assert future.attrs["title"] == future.attrs["aria-label"]
    past = next(c for c in cells if c.attrs["data-i"] == "2" and c.attrs["data-j"] == "0")
    assert "token 3 attends to token 1: it is in the past" in past.attrs["aria-label"]


def test_fragment_shows_the_wrong_axis_row_sums(client):
    r = client.get("/widgets/causal-mask", params={"wrong_axis": "true"})
    sums = [t.text() for t in parse(r.text).find_all(data_testid="cm-row-sum")]
    assert sums == ["0.6652", "0.9708", "1.3639"]  # the numbers Module 13 quotes


def test_fragment_escapes_tokens(client):
    r = client.get("/widgets/causal-mask", params={"sentence": "<i>hi</i>", "source": "sentence"})
    assert r.status_code == 200
    assert "<i>" not in r.text and "&lt;" in r.text


@pytest.mark.browser
def test_toggling_the_mask_zeroes_the_upper_triangle(page):
    page.goto("/playground/causal-mask")
    masked = page.locator("[data-testid=cm-grid] .cm-cell.masked")
    causal = page.locator("#w-causal-mask-causal")

    def upper_weights():
        return page.eval_on_selector_all(
            "[data-testid=cm-grid] .cm-cell",
            "cells => cells.filter(c => +c.dataset.j > +c.dataset.i)"
            ".map(c => parseFloat(c.dataset.weight))")

    expect(masked).to_have_count(3, timeout=TIMEOUT_MS)  # 3×3 default: the upper triangle
    assert upper_weights() == [0, 0, 0]
    causal.uncheck()
    expect(masked).to_have_count(0, timeout=TIMEOUT_MS)
    assert all(w > 0 for w in upper_weights())
    # The form's "input throttle:80ms" makes htmx drop every event on the form for 80 ms
    # after a request, so a second click inside that window would send nothing.
    page.wait_for_timeout(200)
    causal.check()
    expect(masked).to_have_count(3, timeout=TIMEOUT_MS)
    assert upper_weights() == [0, 0, 0]
