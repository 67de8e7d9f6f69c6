"""qkv widget: the JSON contract, hand-worked numbers, the fragment."""

import math
import re

import numpy as np
import pytest


def get(client, query: str = ""):
    return client.get(f"/api/widgets/qkv{query}")


def test_contract_example_hand_worked(client):
    r = get(client, "?q=0.5,1,0,0&k=1,0.5,0,0&others=0,1,0,0;1,1,0,0;0,0,1,0")
    assert r.status_code == 200
    body = r.json()
    assert {"dot", "scale", "scaled", "scores", "weights", "weight", "output"} <= set(body)
    assert body["labels"][0] == "k (yours)" and len(body["labels"]) == len(body["scores"])
    # q·k = 0.5·1 + 1·0.5 = 1; d = 4 so √d = 2; scaled = 0.5.
    assert body["dot"] == pytest.approx(1.0)
    assert body["scale"] == pytest.approx(2.0)
    assert body["scaled"] == pytest.approx(0.5)
    # others: q·(0,1,0,0)=1, q·(1,1,0,0)=1.5, q·(0,0,1,0)=0, each ÷ 2.
    assert body["scores"] == pytest.approx([0.5, 0.5, 0.75, 0.0])
    e = [math.exp(s) for s in (0.5, 0.5, 0.75, 0.0)]
    assert body["weights"] == pytest.approx([x / sum(e) for x in e], abs=1e-8)
    assert body["weight"] == body["weights"][0]
    assert body["output"] is None


def test_defaults_match_contract_example(client):
    assert get(client).json() == get(
        client, "?q=0.5,1,0,0&k=1,0.5,0,0&others=0,1,0,0;1,1,0,0;0,0,1,0").json()


def test_repeated_params_from_sliders_equal_comma_list(client):
    a = get(client, "?q=0.5&q=1&q=0&q=0&k=1&k=0.5&k=0&k=0").json()
    assert a == get(client, "?q=0.5,1,0,0&k=1,0.5,0,0").json()


def test_unscaled_uses_raw_dots_but_reports_scaled(client):
    body = get(client, "?q=2,0&k=1,1&others=0,3&scaled=false").json()
    assert body["scores"] == pytest.approx([2.0, 0.0])
    assert body["scaled"] == pytest.approx(2 / math.sqrt(2))
    assert body["weight"] == pytest.approx(1 / (1 + math.exp(-2)), abs=1e-8)


def test_values_weighted_sum_matches_numpy(client):
    rng = np.random.default_rng(0)
    q, k = rng.normal(size=3), rng.normal(size=3)
    others = rng.normal(size=(2, 3))
    values = rng.normal(size=(3, 2))
    fmt = lambda v: ",".join(f"{x:.6f}" for x in v)  # noqa: E731
    query = (f"?q={fmt(q)}&k={fmt(k)}&others={';'.join(fmt(o) for o in others)}"
             f"&values={';'.join(fmt(v) for v in values)}")
    body = get(client, query).json()
    keys = np.round(np.vstack([k, others]), 6)
    scores = keys @ np.round(q, 6) / math.sqrt(3)
    w = np.exp(scores - scores.max())
    w /= w.sum()
    assert body["weights"] == pytest.approx(w.tolist(), abs=1e-8)
    assert body["output"] == pytest.approx((w @ np.round(values, 6)).tolist(), abs=1e-8)


def test_fragment_shows_formula_and_bars(client):
    r = client.get("/widgets/qkv")
    assert r.status_code == 200
    assert 'data-testid="qkv-scaled">0.500<' in r.text
    assert 'data-testid="qkv-weight">0.257<' in r.text
    assert len(re.findall(r'class="bar-label"[^>]*>other', r.text)) == 2 * 3  # scores + weights


def test_fragment_error_inline(client):
    r = client.get("/widgets/qkv?q=1,2&k=1")
    assert r.status_code == 422
    assert "widget-error" in r.text


def test_playground_has_eight_sliders(client):
    r = client.get("/playground/qkv")
    assert r.status_code == 200
    assert r.text.count('type="range"') == 8
    assert "style=" not in r.text and "<script>" not in r.text
