"""tools/switch_narration.py: a staged voice replaces audio/ only when every lesson is ready."""

import hashlib
import json
import sys

from app.content.loader import parse_lesson
from app.narration.freshness import script_hash
from app.narration.manifest import make_entry, read_manifest, write_manifest
from app.narration.speech import PIPER
from app.narration.voices import Voice
from tests.narration_support import ROOT, write_course

sys.path.insert(0, str(ROOT / "tools"))
import switch_narration  # noqa: E402

KOKORO = Voice("kokoro", "af_heart")


def stage(folder, lesson, voice, body: bytes) -> None:
    """A track of ``lesson`` in ``folder`` as the builder records it (fake audio bytes)."""
    folder.mkdir(exist_ok=True)
    (folder / f"{lesson.id}.ogg").write_bytes(body)
    (folder / f"{lesson.id}.vtt").write_text("WEBVTT\n")
    entry = make_entry(lesson.id, script_hash(lesson, voice), voice, 1.0, len(body), 1, 20,
                       hashlib.sha256(body).hexdigest())
    manifest = read_manifest(folder)
    manifest["modules"][lesson.id] = entry
    write_manifest(folder, manifest)


def test_switch_waits_for_every_lesson_then_moves(tmp_path):
    lessons_dir, audio = write_course(tmp_path)
    lesson = parse_lesson(lessons_dir / "12-attention.md")
    stage(audio, lesson, PIPER, b"old piper track")
    staged = tmp_path / "audio-kokoro"

    [missing] = switch_narration.problems([lesson], staged, KOKORO)
    assert missing == "12: has no narration audio"
    stage(staged, lesson, PIPER, b"wrong voice")
    [other] = switch_narration.problems([lesson], staged, KOKORO)
    assert "another voice (piper:en_US-joe-medium" in other

    stage(staged, lesson, KOKORO, b"new kokoro track")
    assert switch_narration.problems([lesson], staged, KOKORO) == []
    assert switch_narration.move([lesson], staged, audio) == 1
    assert (audio / "12.ogg").read_bytes() == b"new kokoro track" and not staged.exists()
    entry = json.loads((audio / "manifest.json").read_text())["modules"]["12"]
    assert (entry["engine"], entry["voice"]) == ("kokoro", "af_heart")
    assert switch_narration.problems([lesson], audio, KOKORO) == []
