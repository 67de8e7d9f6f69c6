"""gradient-descent widget: the closed form on the bowl, divergence past 2/λ_max, the
double well's minima, limits and the fragment."""

import pytest

from app.widgets.gradient_descent import GRID, Params, compute


def get(client, query: str = ""):
    return client.get(f"/api/widgets/gradient-descent{query}")


@pytest.mark.parametrize("a, b, lr", [(1.0, 3.0, 0.1), (0.5, 2.0, 0.3), (2.0, 0.2, 0.45)])
def test_bowl_matches_closed_form(client, a, b, lr):
    body = get(client, f"?a={a}&b={b}&lr={lr}&steps=25&x0=-2.5&y0=1.5").json()
    assert len(body["path"]) == 26
    for t, (x, y) in enumerate(body["path"]):
        xt, yt = (1 - 2 * a * lr) ** t * -2.5, (1 - 2 * b * lr) ** t * 1.5
        assert x == pytest.approx(xt, abs=1e-8)
        assert y == pytest.approx(yt, abs=1e-8)
        assert body["loss"][t] == pytest.approx(a * xt * xt + b * yt * yt, rel=1e-8, abs=1e-11)
    assert body["factors"] == pytest.approx([1 - 2 * a * lr, 1 - 2 * b * lr])
    assert body["lr_limit"] == pytest.approx(1 / max(a, b))


def test_just_below_limit_converges_just_above_diverges(client):
    # a = 1, b = 3: λ_max = 6, limit 2/6 = 0.3333…
    below = get(client, "?a=1&b=3&lr=0.33&steps=200").json()
    above = get(client, "?a=1&b=3&lr=0.34&steps=200").json()
    # Factor for y is 1 − 6·0.33 = −0.98: it zig-zags across the valley but shrinks.
    assert below["status"] == "oscillating" and below["loss"][-1] < 1e-2 * below["loss"][0]
    assert above["status"] == "diverging"
    assert above["loss"][-1] > 1e3 * above["loss"][0]


def test_far_too_large_rate_stops_and_says_diverging(client):
    body = get(client, "?a=5&b=5&lr=2&steps=200").json()  # factor 1 − 20 = −19
    assert body["status"] == "diverging"
    # |x_t| = 2.5·19^t passes 1e8 at t = 6 (19^6 = 4.7e7 → 1.18e8).
    assert body["blew_up_at"] == 6
    assert len(body["path"]) == 6
    frag = client.get("/widgets/gradient-descent?a=5&b=5&lr=2&steps=200").text
    assert "diverging" in frag and "passed 10⁸" in frag


def test_at_the_limit_it_oscillates_forever(client):
    body = get(client, "?a=1&b=0.5&lr=1&steps=9&x0=1&y0=0").json()  # factor exactly −1
    assert [p[0] for p in body["path"]] == [1, -1, 1, -1, 1, -1, 1, -1, 1, -1]
    assert body["status"] == "oscillating"


def test_double_well_finds_nearest_minimum(client):
    left = get(client, "?surface=double-well&x0=-2&y0=1&lr=0.05&steps=200").json()
    right = get(client, "?surface=double-well&x0=0.3&y0=-1&lr=0.05&steps=200").json()
    assert left["path"][-1][0] == pytest.approx(-1, abs=1e-4)
    assert right["path"][-1][0] == pytest.approx(1, abs=1e-4)
    assert left["lr_limit"] is None and left["factors"] is None
    # One step by hand from (0.3, −1), b = 3: ∇ = (4·0.3·(0.09 − 1), 2·3·−1) = (−1.092, −6).
    assert right["path"][1] == pytest.approx([0.3 + 0.05 * 1.092, -1 + 0.05 * 6])


def test_bands_shape_and_minimum_is_darkest():
    r = compute(Params(a=1, b=1))
    assert len(r.bands) == GRID and all(len(row) == GRID for row in r.bands)
    centre = GRID // 2
    assert r.bands[centre][centre] == 0 and r.bands[0][0] == 7


def test_fragment(client):
    r = client.get("/widgets/gradient-descent")
    assert r.status_code == 200
    assert r.text.count('class="band band-') == GRID * GRID
    assert 'data-testid="gd-status"' in r.text and "converging" in r.text
    assert "2/λ<sub>max</sub> = 0.333" in r.text
    assert "style=" not in r.text
