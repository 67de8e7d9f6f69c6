"""additive widget: both scores vs independent NumPy, a hand-worked entry, the operation
counts by hand; bad input: test_widget_contract.py."""

import math

import numpy as np
import pytest

from app.widgets.additive import DEFAULT_KEYS, DEFAULT_Q, DEFAULT_W


def vec(text):
    return np.array([float(v) for v in text.split(",")])


def mat(text):
    return np.array([vec(r) for r in text.split(";")])


def get(client, **params):
    return client.get("/api/widgets/additive", params=params)


def test_scores_vs_numpy(client):
    body = get(client).json()
    q, keys, w, v = vec(DEFAULT_Q), mat(DEFAULT_KEYS), mat(DEFAULT_W), np.ones(3)
    hidden = np.array([np.tanh(w @ q + w @ k) for k in keys])
    additive = hidden @ v
    dot = keys @ q / 2.0  # √4
    assert np.allclose(body["hidden"], hidden, atol=1e-8)
    assert np.allclose(body["additive_scores"], additive, atol=1e-8)
    assert np.allclose(body["dot_scores"], dot, atol=1e-8)
    for name, s in (("additive_weights", additive), ("dot_weights", dot)):
        e = np.exp(s)
        assert np.allclose(body[name], e / e.sum(), atol=1e-8)


def test_hand_worked_first_key(client):
    body = get(client).json()
    # q = (1, .5, −.5, 1), k1 = (1, 0, 0, 1); W picks coordinates 1, 2, 4:
    # W q + W k = (2, .5, 2); e = 2·tanh 2 + tanh .5; q·k1 = 2, ÷ √4 = 1.
    assert body["additive_scores"][0] == pytest.approx(2 * math.tanh(2) + math.tanh(0.5))
    assert body["dot_scores"][0] == pytest.approx(1.0)


def test_different_query_and_hidden_sizes(client):
    body = get(client, q="1,2", keys="1,0;0,1;1,1", wq="1,0;0,1;1,1;0,0;2,0",
               wk="0,1;1,0;0,0;1,1;0,2", v="1,-1,0.5,2,0").json()
    q, keys = np.array([1.0, 2]), np.array([[1.0, 0], [0, 1], [1, 1]])
    wq = np.array([[1.0, 0], [0, 1], [1, 1], [0, 0], [2, 0]])
    wk = np.array([[0.0, 1], [1, 0], [0, 0], [1, 1], [0, 2]])
    v = np.array([1, -1, 0.5, 2, 0])
    assert np.allclose(body["additive_scores"], [v @ np.tanh(wq @ q + wk @ k) for k in keys])


def test_operation_counts_by_hand(client):
    ops = get(client, count_d=64, count_da=32, count_keys=10, count_queries=5).json()["ops"]
    assert ops["dot_per_score"] == 64
    assert ops["additive_per_score"] == 2 * 64 * 32 + 3 * 32  # 4,192
    assert ops["additive_shared_per_score"] == 96
    assert ops["dot_total"] == 5 * 10 * 64  # 3,200
    # W_q q for 5 queries + W_k k for 10 keys, then 3·d_a for each of the 50 pairs.
    assert ops["additive_total"] == 15 * 64 * 32 + 50 * 96  # 35,520
    assert ops["ratio"] == pytest.approx(35520 / 3200)


def test_fragment(client):
    r = client.get("/widgets/additive")
    assert r.status_code == 200
    assert "constructed" in r.text and "Counting convention" in r.text
    assert 'data-testid="add-dot-total">16,777,216<' in r.text  # 512·512·64
    assert "style=" not in r.text
