"""activations widget: values vs independent scalar formulas, derivatives vs finite
differences, known constants; bad input: test_widget_contract.py."""

import math

import numpy as np
import pytest

from app.widgets.activations import FUNCTIONS, POINTS


def scalar(name: str, x: float) -> float:
    """Independent reference: plain math, one number at a time."""
    if name == "relu":
        return max(x, 0.0)
    if name == "gelu":
        return x * 0.5 * (1 + math.erf(x / math.sqrt(2)))
    if name == "gelu_tanh":
        return 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    if name == "silu":
        return x / (1 + math.exp(-x))
    return math.tanh(x)


ALL = "&".join(f"show={n}" for n in FUNCTIONS)


def get(client, query: str = ""):
    return client.get(f"/api/widgets/activations{query}")


def test_values_match_scalar_formulas(client):
    body = get(client, f"?{ALL}&x_min=-6&x_max=6").json()
    assert len(body["x"]) == POINTS
    assert body["x"][0] == -6 and body["x"][-1] == 6
    for curve in body["curves"]:
        for x, y in zip(body["x"], curve["y"], strict=True):
            assert y == pytest.approx(scalar(curve["name"], x), abs=2e-6), (curve["name"], x)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_derivatives_match_finite_differences(name):
    fn = FUNCTIONS[name][1]
    x = np.linspace(-5, 5, 101)
    x = x[np.abs(x) > 1e-3]  # ReLU has a kink at 0
    h = 1e-5
    numeric = (fn(x + h)[0] - fn(x - h)[0]) / (2 * h)
    assert fn(x)[1] == pytest.approx(numeric, abs=1e-6)


def test_known_readouts(client):
    body = get(client, f"?{ALL}&at=1").json()
    r = {x["name"]: x for x in body["readout"]}
    assert r["gelu"]["value"] == pytest.approx(0.8413447460685429)  # Φ(1)
    assert r["silu"]["value"] == pytest.approx(1 / (1 + math.exp(-1)))
    assert r["tanh"]["derivative"] == pytest.approx(1 - math.tanh(1) ** 2)
    assert r["relu"]["value"] == 1 and r["relu"]["derivative"] == 1
    neg = {x["name"]: x for x in get(client, f"?{ALL}&at=-2").json()["readout"]}
    assert neg["relu"]["value"] == 0 and neg["relu"]["derivative"] == 0
    assert neg["gelu"]["value"] == pytest.approx(-2 * 0.5 * (1 + math.erf(-2 / math.sqrt(2))))


def test_tanh_approximation_is_close_to_exact(client):
    body = get(client, "?show=gelu&show=gelu_tanh&x_min=-10&x_max=10").json()
    exact, approx = (np.array(c["y"]) for c in body["curves"])
    assert np.max(np.abs(exact - approx)) < 1e-3


def test_extreme_x_stays_finite(client):
    body = get(client, f"?{ALL}&x_min=-10&x_max=10&at=-10").json()
    for c in body["curves"]:
        assert all(math.isfinite(v) for v in c["y"] + c["dy"])


def test_empty_items_ignored_and_order_kept(client):
    body = get(client, "?show=&show=tanh&show=relu&show=tanh").json()
    assert [c["name"] for c in body["curves"]] == ["tanh", "relu"]


def test_fragment(client):
    r = client.get(f"/widgets/activations?{ALL}&at=1")
    assert r.status_code == 200
    assert r.text.count("data-series=") == 2 * len(FUNCTIONS)
    assert 'data-testid="act-gelu-value">0.8413<' in r.text
    r = client.get("/widgets/activations?derivatives=false")
    assert r.text.count("data-series=") == 4
    assert "style=" not in r.text


def test_show_as_one_comma_separated_value(client):
    # The shell's text control sends the list as one value, as the URL of a copied link does.
    body = get(client, "?show=relu,%20gelu&show=tanh").json()
    assert [c["name"] for c in body["curves"]] == ["relu", "gelu", "tanh"]
