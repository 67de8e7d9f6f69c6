"""Versioned URLs come from one place (``app/urls.py``): the URL the narration player
writes is the URL the audio route recognises as current and caches for a year, and no
template builds a version itself."""

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.routes.audio import CACHE_BARE, CACHE_VERSIONED
from app.settings import Settings
from app.urls import audio_url, audio_version, static_url, transcript_url
from tests.lesson_factory import VALID, lesson_folder, write_lesson

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
OGG = b"OggS" + bytes(range(256)) * 8  # any bytes: the route serves files, it never decodes
VTT = "WEBVTT\n\n00:00.000 --> 00:02.000\nHello.\n"
SCRIPT_HASH = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def narrated(tmp_path_factory):
    """A one-lesson course (module 03) whose narration is two small files and a manifest
    entry: no speech synthesis needed to test the URLs."""
    root = tmp_path_factory.mktemp("urls")
    lessons = lesson_folder(root)
    write_lesson(lessons, "03-vectors.md", {**VALID, "widgets": []})
    audio = root / "audio"
    audio.mkdir()
    (audio / "03.ogg").write_bytes(OGG)
    (audio / "03.vtt").write_text(VTT, encoding="utf-8")
    entry = {"audio": "03.ogg", "vtt": "03.vtt", "duration_s": 2.0, "bytes": len(OGG),
             "script_hash": SCRIPT_HASH, "voice": "test"}
    (audio / "manifest.json").write_text(json.dumps({"version": 1, "modules": {"03": entry}}))
    app = create_app(Settings(lessons_dir=lessons, audio_dir=audio))
    return TestClient(app, raise_server_exceptions=False)


def player_urls(html: str) -> dict[str, str]:
    """The narration URLs the lesson page's player carries, by where they appear."""
    found = {"src": re.search(r'<audio[^>]*\ssrc="([^"]+)"', html),
             "data-vtt": re.search(r'data-vtt="([^"]+)"', html),
             "download": re.search(r'<a href="(/audio/[^"]+\.ogg[^"]*)"', html),
             "transcript": re.search(r'<a href="(/audio/[^"]+\.vtt[^"]*)"', html)}
    assert all(found.values()), f"player URLs missing: {found}"
    return {k: m.group(1).replace("&amp;", "&") for k, m in found.items()}


def test_the_player_writes_the_helpers_urls(narrated):
    narration = narrated.app.state.course.get("03").narration
    assert narration is not None
    urls = player_urls(narrated.get("/modules/03").text)
    assert urls["src"] == urls["download"] == audio_url(narration)
    assert urls["data-vtt"] == urls["transcript"] == transcript_url(narration)
    assert audio_url(narration) == f"/audio/03.ogg?v={SCRIPT_HASH[:12]}-{len(OGG)}"


def test_the_players_urls_are_served_immutable(narrated):
    for url in player_urls(narrated.get("/modules/03").text).values():
        r = narrated.get(url)
        assert r.status_code == 200, url
        assert r.headers["cache-control"] == CACHE_VERSIONED, url
    # Anything but the current version is cached for a day only.
    assert narrated.get("/audio/03.ogg").headers["cache-control"] == CACHE_BARE
    stale = f"/audio/03.ogg?v={SCRIPT_HASH[:12]}-{len(OGG) + 1}"
    assert narrated.get(stale).headers["cache-control"] == CACHE_BARE


def test_the_version_follows_the_script_and_the_file(narrated):
    narration = narrated.app.state.course.get("03").narration
    versions = {audio_version(narration),
                audio_version(replace(narration, bytes=narration.bytes + 1)),
                audio_version(replace(narration, script_hash="f" * 32))}
    assert len(versions) == 3


def test_static_url_carries_the_hash_and_refuses_a_missing_file():
    assert static_url({"css/site.css": "abc123"}, "css/site.css") == "/static/css/site.css?v=abc123"
    with pytest.raises(ValueError, match="css/missing.css"):
        static_url({}, "css/missing.css")


def test_no_template_builds_a_url_version_itself():
    offenders = [f"{path.relative_to(TEMPLATES)}: {line.strip()}"
                 for path in TEMPLATES.rglob("*.html")
                 for line in path.read_text(encoding="utf-8").splitlines()
                 if "?v=" in line or "script_hash" in line]
    assert offenders == []
