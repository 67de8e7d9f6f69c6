"""qkv-steps widget: every intermediate matrix against NumPy, hand-checked entries,
progressive reveal; bad input: test_widget_contract.py."""

import math

import numpy as np
import pytest

from app.widgets.qkv_steps import DEFAULT_WK, DEFAULT_WQ, DEFAULT_WV, DEFAULT_X


def mat(text: str) -> np.ndarray:
    return np.array([[float(v) for v in row.split(",")] for row in text.split(";")])


def get(client, **params):
    return client.get("/api/widgets/qkv-steps", params=params)


def check_against_numpy(body, x, wq, wk, wv):
    q, k, v = x @ wq, x @ wk, x @ wv
    s = q @ k.T
    scaled = s / math.sqrt(3)
    e = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    a = e / e.sum(axis=1, keepdims=True)
    for key, want in [("x", x), ("q", q), ("k", k), ("v", v), ("scores", s),
                      ("scaled", scaled), ("weights", a), ("output", a @ v)]:
        assert np.allclose(body[key], want, atol=1e-8), key


def test_defaults_vs_numpy_and_by_hand(client):
    body = get(client).json()
    check_against_numpy(body, mat(DEFAULT_X), mat(DEFAULT_WQ), mat(DEFAULT_WK), mat(DEFAULT_WV))
    # By hand: "the" = (1, 0, 1); q = row1 + row3 of W_Q = (1,0,0) + (1,0,1) = (2, 0, 1).
    assert body["q"][0] == [2, 0, 1]
    # "cat" = (0, 2, 0); k = 2·row2 of W_K = (2, 0, 0); score(the, cat) = 2·2 = 4.
    assert body["k"][1] == [2, 0, 0]
    assert body["scores"][0][1] == 4
    assert body["scale"] == pytest.approx(math.sqrt(3))
    assert np.allclose(np.sum(body["weights"], axis=1), 1)
    assert body["tokens"] == ["the", "cat", "sat", "down"]


def test_random_inputs_vs_numpy(client):
    rng = np.random.default_rng(7)
    x, wq, wk, wv = rng.normal(size=(6, 3)), *rng.normal(size=(3, 3, 3))
    fmt = lambda m: ";".join(",".join(f"{v:.5f}" for v in row) for row in m)  # noqa: E731
    body = get(client, tokens="a,b,c,d,e,f", x=fmt(x), wq=fmt(wq), wk=fmt(wk),
               wv=fmt(wv)).json()
    r = lambda m: np.round(m, 5)  # noqa: E731
    check_against_numpy(body, r(x), r(wq), r(wk), r(wv))


@pytest.mark.parametrize("step", [1, 2, 3, 4, 5])
def test_fragment_reveals_progressively(client, step):
    text = client.get(f"/widgets/qkv-steps?step={step}").text
    names = ["qs-q", "qs-scores", "qs-scaled", "qs-weights", "qs-output"]
    for i, name in enumerate(names, start=1):
        assert (f'data-testid="{name}"' in text) == (i <= step), (step, name)
    assert "style=" not in text


def test_large_scores_do_not_overflow(client):
    body = get(client, x="100,100,100;-100,-100,-100;0,0,0;1,1,1",
               wq="100,0,0;0,100,0;0,0,100", wk="100,0,0;0,100,0;0,0,100").json()
    assert np.allclose(np.sum(body["weights"], axis=1), 1)
    assert all(math.isfinite(v) for row in body["output"] for v in row)
