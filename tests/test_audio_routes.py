"""Serving narration: content types, ETag, caching, byte ranges (206/416), 404s, player markup."""

import re

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.narration_support import build_course


@pytest.fixture(scope="module")
def audio_app(tmp_path_factory):
    lessons, audio = build_course(tmp_path_factory.mktemp("routes"))
    app = create_app(Settings(lessons_dir=lessons, audio_dir=audio))
    return TestClient(app, raise_server_exceptions=False), audio


@pytest.fixture(scope="module")
def ogg(audio_app):
    return (audio_app[1] / "12.ogg").read_bytes()


def test_full_file(audio_app, ogg):
    client, _ = audio_app
    r = client.get("/audio/12.ogg")
    assert r.status_code == 200
    assert r.headers["content-type"] == "audio/ogg"
    assert r.headers["accept-ranges"] == "bytes"
    assert int(r.headers["content-length"]) == len(ogg) and r.content == ogg
    assert r.headers["etag"].startswith('"')
    assert int(re.search(r"max-age=(\d+)", r.headers["cache-control"]).group(1)) >= 86400
    assert "content-encoding" not in r.headers


def test_vtt(audio_app):
    client, audio = audio_app
    r = client.get("/audio/12.vtt", headers={"accept-encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/vtt; charset=utf-8"
    assert r.text == (audio / "12.vtt").read_text() and r.text.startswith("WEBVTT")
    plain = client.get("/audio/12.vtt", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == r.text
    assert r.headers["content-encoding"] == "gzip"  # text: Starlette's gzip, its own ETag
    assert r.headers["etag"] == 'W/' + plain.headers["etag"][:-1] + '-gzip"'
    part = client.get("/audio/12.vtt", headers={"accept-encoding": "gzip", "range": "bytes=0-5"})
    assert part.status_code == 206 and part.content == b"WEBVTT"  # ranges never gzipped
    assert "content-encoding" not in part.headers


@pytest.mark.parametrize(("header", "start", "stop"), [
    ("bytes=0-99", 0, 100), ("bytes=100-", 100, None), ("bytes=-50", -50, None),
    ("bytes=10-10", 10, 11), ("bytes=0-99999999", 0, None),
])
def test_range_returns_exact_bytes(audio_app, ogg, header, start, stop):
    client, _ = audio_app
    r = client.get("/audio/12.ogg", headers={"range": header})
    assert r.status_code == 206
    expected = ogg[start:stop]
    assert r.content == expected
    first = start % len(ogg)
    assert r.headers["content-range"] == f"bytes {first}-{first + len(expected) - 1}/{len(ogg)}"
    assert int(r.headers["content-length"]) == len(expected)


def test_multiple_ranges(audio_app, ogg):
    client, _ = audio_app
    r = client.get("/audio/12.ogg", headers={"range": "bytes=0-9,100-109"})
    assert r.status_code == 206
    assert r.headers["content-type"].startswith("multipart/byteranges")
    assert ogg[0:10] in r.content and ogg[100:110] in r.content


@pytest.mark.parametrize("header", ["bytes={size}-", "bytes={size}-{size}", "bytes=50-10",
                                    "bytes=-0", "bytes=99999999-"])
def test_bad_range_is_416(audio_app, ogg, header):
    client, _ = audio_app
    r = client.get("/audio/12.ogg", headers={"range": header.format(size=len(ogg))})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(ogg)}"


@pytest.mark.parametrize("header", ["items=0-10", "bytes=abc", "bytes="])
def test_unparseable_range_is_ignored(audio_app, ogg, header):
    client, _ = audio_app
    r = client.get("/audio/12.ogg", headers={"range": header})
    assert r.status_code == 200 and r.content == ogg


def test_conditional_requests(audio_app, ogg):
    client, _ = audio_app
    etag = client.get("/audio/12.ogg").headers["etag"]
    assert client.get("/audio/12.ogg", headers={"if-none-match": etag}).status_code == 304
    fresh = client.get("/audio/12.ogg", headers={"range": "bytes=0-9", "if-range": etag})
    assert fresh.status_code == 206 and fresh.content == ogg[:10]
    stale = client.get("/audio/12.ogg", headers={"range": "bytes=0-9", "if-range": '"old"'})
    assert stale.status_code == 200 and stale.content == ogg


def test_head(audio_app, ogg):
    client, _ = audio_app
    r = client.head("/audio/12.ogg")
    assert r.status_code == 200 and r.content == b""
    assert int(r.headers["content-length"]) == len(ogg)


@pytest.mark.parametrize("path", [
    "/audio/manifest.json", "/audio/13.ogg", "/audio/12.wav", "/audio/..%2Fmanifest.json",
    "/audio/%2e%2e%2flessons%2fcourse.yaml", "/audio/.12.ogg.tmp", "/audio/"])
def test_unknown_files_are_404(audio_app, path):
    client, _ = audio_app
    assert client.get(path).status_code == 404


def test_lesson_page_has_player_with_versioned_urls(audio_app):
    client, _ = audio_app
    html = client.get("/modules/12").text
    assert 'id="player"' in html and 'id="player-play"' in html
    assert 'aria-keyshortcuts="k"' in html and "<kbd>j</kbd>" in html
    autoplay = re.search(r'<input[^>]*id="player-autoplay"[^>]*>', html).group(0)
    assert "checked" not in autoplay  # autoplay is off by default
    assert "js/player.js" in html
    assert not re.search(r"\sstyle=|\son[a-z]+=", html)
    src = re.search(r'<audio[^>]*src="([^"]+)"', html).group(1)
    vtt = re.search(r'data-vtt="([^"]+)"', html).group(1)
    for url in (src, vtt):
        r = client.get(url.replace("&amp;", "&"))
        assert r.status_code == 200
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/audio/12.ogg?v=stale").headers["cache-control"] == "public, max-age=86400"
