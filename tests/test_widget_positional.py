"""positional widget: every entry against the formula, distance-only dot products, the PNG;
bad input: test_widget_contract.py."""

import base64
import math
import struct
import zlib

import pytest


def get(client, query: str = ""):
    return client.get(f"/api/widgets/positional{query}")


def test_matrix_matches_formula(client):
    body = get(client, "?length=20&d_model=10&p1=3&p2=7").json()
    m = body["matrix"]
    assert len(m) == 20 and all(len(row) == 10 for row in m)
    for pos in range(20):
        for i in range(5):
            angle = pos / 10000 ** (2 * i / 10)
            assert m[pos][2 * i] == pytest.approx(math.sin(angle), abs=1e-6)
            assert m[pos][2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-6)


def test_dot_and_distance_curve(client):
    d = 16
    body = get(client, f"?length=40&d_model={d}&p1=9&p2=14").json()
    omega = [1 / 10000 ** (2 * i / d) for i in range(d // 2)]
    # sin a sin b + cos a cos b = cos(a − b): the dot product depends on p2 − p1 only.
    assert body["dot"] == pytest.approx(sum(math.cos(5 * w) for w in omega), abs=1e-8)
    for k, v in enumerate(body["distance_dots"]):
        assert v == pytest.approx(sum(math.cos(k * w) for w in omega), abs=1e-8)
    assert body["distance_dots"][0] == pytest.approx(d / 2)
    assert body["norm"] == pytest.approx(math.sqrt(d / 2))
    other = get(client, f"?length=40&d_model={d}&p1=20&p2=25").json()
    assert other["dot"] == pytest.approx(body["dot"], abs=1e-8)


def test_wavelengths(client):
    body = get(client, "?d_model=8").json()
    assert body["wavelengths"] == pytest.approx(
        [2 * math.pi * 10000 ** (2 * i / 8) for i in range(4)], rel=1e-6)


def test_png_is_valid_and_sized(client):
    body = get(client, "?length=7&d_model=12&p1=0&p2=1").json()
    png = base64.b64decode(body["heatmap_png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (width, height, depth, colour) == (12, 7, 8, 6)
    idat_len = struct.unpack(">I", png[33:37])[0]
    assert png[37:41] == b"IDAT"
    raw = zlib.decompress(png[41:41 + idat_len])
    assert len(raw) == 7 * (1 + 12 * 4)
    # Position 0: cos(0) = 1 at dim 1 -> opaque red; sin(0) = 0 at dim 0 -> transparent.
    assert raw[1 + 4 * 1: 1 + 4 * 2] == bytes([220, 38, 38, 255])
    assert raw[1 + 3] == 0


def test_largest_request(client):
    r = get(client, "?length=128&d_model=128&p1=127&p2=0")
    assert r.status_code == 200
    assert len(r.json()["distance_dots"]) == 128


def test_fragment(client):
    r = client.get("/widgets/positional?length=48&d_model=64&p1=5&p2=12")
    assert r.status_code == 200
    assert 'href="data:image/png;base64,' in r.text
    assert 'data-testid="pe-dot">' in r.text
    assert "style=" not in r.text
