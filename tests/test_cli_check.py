"""`python -m app check`: exit 1 with `file: field: problem` lines, 0 when clean."""

import os
import subprocess
import sys
from pathlib import Path

from tests.lesson_factory import VALID, lesson_folder, write_lesson

ROOT = Path(__file__).resolve().parent.parent


def run_check(lessons: Path, *args: str, audio: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COURSE_LESSONS_DIR": str(lessons),
           "COURSE_AUDIO_DIR": str(audio or ROOT / "audio")}
    return subprocess.run([sys.executable, "-m", "app", "check", *args], cwd=lessons.parent,
                          env=env, capture_output=True, text=True, timeout=120)


def test_broken_lesson_exits_1_naming_file_and_field(tmp_path):
    folder = lesson_folder(tmp_path)
    write_lesson(folder, "03-vectors.md", {**VALID, "minutes": 0, "prerequisites": ["99"]})
    result = run_check(folder, "--no-audio")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "lessons/03-vectors.md: minutes: Input should be greater than or equal to 1" in lines
    assert lines[-1] == "1 problem(s) found."


def test_missing_and_stale_narration_are_reported_by_lesson(tmp_path):
    folder = lesson_folder(tmp_path)
    write_lesson(folder, "03-vectors.md", VALID)
    missing = run_check(folder, audio=tmp_path / "no-audio")
    assert missing.returncode == 1
    assert "lessons/03-vectors.md: narration: has no narration audio" in missing.stderr
    # The real audio for module 03 was made from the real lesson's text, not this one.
    stale = run_check(folder)
    assert stale.returncode == 1
    assert "lessons/03-vectors.md: narration: narration audio is stale" in stale.stderr


def test_the_real_course_is_clean():
    result = run_check(ROOT / "lessons")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "All lessons are valid."
