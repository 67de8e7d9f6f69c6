"""vectors widget: dot, norms, cosine and angle vs NumPy and hand-worked cases."""

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.widgets.vectors import Params, compute


def get(client, query: str = ""):
    return client.get(f"/api/widgets/vectors{query}")


def test_default_is_45_degrees(client):
    body = get(client).json()
    # a = (3, 1), b = (1, 2): a·b = 5, ‖a‖ = √10, ‖b‖ = √5, cos = 5/√50 = 1/√2.
    assert body["dot"] == 5
    assert body["norm_a"] == pytest.approx(math.sqrt(10))
    assert body["norm_b"] == pytest.approx(math.sqrt(5))
    assert body["cosine"] == pytest.approx(1 / math.sqrt(2))
    assert body["angle_deg"] == pytest.approx(45)
    assert body["note"] is None


@pytest.mark.parametrize("query, cosine, angle", [
    ("?ax=1&ay=0&bx=0&by=2", 0.0, 90.0),
    ("?ax=1&ay=1&bx=2&by=2", 1.0, 0.0),
    ("?ax=1&ay=1&bx=-3&by=-3", -1.0, 180.0),
    ("?ax=1&ay=0&bx=-1&by=1.7320508", -0.5, 120.0),
])
def test_hand_worked_angles(client, query, cosine, angle):
    body = get(client, query).json()
    assert body["cosine"] == pytest.approx(cosine, abs=1e-7)
    assert body["angle_deg"] == pytest.approx(angle, abs=1e-5)


def unit(v: np.ndarray) -> np.ndarray:
    """v / ‖v‖, rescaled first so a subnormal v does not underflow in the norm."""
    v = v / np.max(np.abs(v))
    return v / np.linalg.norm(v)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=4, max_size=4))
@example([0.0, 1.0, 5e-324, 5e-324])  # subnormal b: its norm rounds to one component
def test_matches_numpy(xs):
    r = compute(Params(ax=xs[0], ay=xs[1], bx=xs[2], by=xs[3]))
    a, b = np.array(xs[:2]), np.array(xs[2:])
    assert r.dot == pytest.approx(float(a @ b), abs=1e-12)
    assert r.norm_a == pytest.approx(float(np.linalg.norm(a)))
    if r.cosine is None:
        assert not a.any() or not b.any()
    else:
        assert -1 <= r.cosine <= 1
        assert r.cosine == pytest.approx(
            float(unit(a) @ unit(b)), abs=1e-9)
        assert 0 <= r.angle_deg <= 180


def test_tiny_vectors_still_have_an_angle(client):
    body = get(client, "?ax=1e-200&ay=0&bx=0&by=1e-200").json()
    assert body["angle_deg"] == pytest.approx(90)


@pytest.mark.parametrize("query", ["?ax=0&ay=0", "?bx=0&by=0", "?ax=0&ay=0&bx=0&by=0"])
def test_zero_vector_cosine_undefined(client, query):
    r = get(client, query)
    assert r.status_code == 200
    body = r.json()
    assert body["cosine"] is None and body["angle_deg"] is None
    assert "zero vector" in body["note"]
    frag = client.get(f"/widgets/vectors{query}")
    assert frag.status_code == 200 and "undefined" in frag.text


def test_fragment_has_plot_and_readouts(client):
    r = client.get("/widgets/vectors?ax=1&ay=0&bx=0&by=-2")
    assert 'data-testid="vectors-angle">90.0°' in r.text
    assert "perpendicular" in r.text
    assert r.text.count('class="vec-a"') == 1 and r.text.count('class="vec-b"') == 1
    assert 'class="vec-arc"' in r.text
    # b points down (−90°), a along x (0°): the arc starts at b and sweeps 90° anticlockwise.
    assert 'transform="rotate(-90.00)"' in r.text
    assert "(-2)" in r.text and "style=" not in r.text
