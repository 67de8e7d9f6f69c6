"""``python -m app check``: every lesson needs narration built from its current text
in the configured voice (``COURSE_NARRATION_VOICE``).

The script hash is recomputed from the lesson (no synthesis) and compared with
``audio/manifest.json``; a lesson with no audio, stale audio or a missing file
is reported by name with the command that fixes it.
"""

from pathlib import Path

from app.content.problems import Problem
from app.narration.manifest import read_manifest, staleness
from app.narration.script import build_script
from app.narration.voices import Voice


def script_hash(lesson, voice: Voice) -> str:
    """The hash a lesson's narration must have been built from (with this voice)."""
    return build_script(lesson).digest(voice.key)


def audio_problems(index, audio_dir: Path, voice: Voice) -> list[Problem]:
    """One problem per lesson whose narration is missing, out of date or in another voice."""
    modules = read_manifest(audio_dir)["modules"]
    problems = []
    for lesson in index.lessons:
        reason = staleness(modules.get(lesson.id), script_hash(lesson, voice), audio_dir, voice)
        if reason:
            problems.append(Problem(str(lesson.path), "narration",
                                    f"{reason}: run `python -m app narrate {lesson.id}`"))
    return problems
