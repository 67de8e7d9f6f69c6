"""``python -m app check``: every lesson needs narration built from its current text.

The script hash is recomputed from the lesson (no synthesis) and compared with
``audio/manifest.json``; a lesson with no audio, stale audio or a missing file
is reported by name with the command that fixes it.
"""

from pathlib import Path

from app.content.problems import Problem
from app.narration.manifest import read_manifest, staleness
from app.narration.script import build_script
from app.narration.speech import VOICE


def script_hash(lesson) -> str:
    """The hash a lesson's narration must have been built from (current voice)."""
    return build_script(lesson).digest(VOICE)


def audio_problems(index, audio_dir: Path) -> list[Problem]:
    """One problem per lesson whose narration is missing or out of date."""
    modules = read_manifest(audio_dir)["modules"]
    problems = []
    for lesson in index.lessons:
        reason = staleness(modules.get(lesson.id), script_hash(lesson), audio_dir)
        if reason:
            problems.append(Problem(str(lesson.path), "narration",
                                    f"{reason}: run `python -m app narrate {lesson.id}`"))
    return problems
