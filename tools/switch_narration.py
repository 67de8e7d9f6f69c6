"""Move a staged narration build into ``audio/`` once every lesson is there.

    python tools/switch_narration.py audio-kokoro kokoro:af_heart          # check only
    python tools/switch_narration.py audio-kokoro kokoro:af_heart --move   # and move

Refuses (exit 1, naming each lesson) unless every lesson of the course has a track in the
staging folder that is fresh for that voice: built from the lesson's current text, files
present with the recorded size and SHA-256. With ``--move`` it then replaces the tracks
and manifest in ``audio/`` by the staged ones (tracks of lessons no longer in the course are
dropped) and removes the staging folder. Set ``narration_voice`` in ``app/settings.py`` to
the same voice in the same commit, so ``python -m app check`` agrees.
"""

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.content.loader import load_course  # noqa: E402
from app.narration.freshness import script_hash  # noqa: E402
from app.narration.manifest import read_manifest, staleness, write_manifest  # noqa: E402
from app.narration.voices import UnknownVoice, parse_voice  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.widgets import registry  # noqa: E402


def problems(lessons, staged: Path, voice) -> list[str]:
    """One line per lesson whose staged track is missing or not fresh in ``voice``."""
    modules = read_manifest(staged)["modules"]
    out = []
    for lesson in lessons:
        reason = staleness(modules.get(lesson.id), script_hash(lesson, voice), staged, voice)
        if reason:
            out.append(f"{lesson.id}: {reason}")
    return out


def move(lessons, staged: Path, audio: Path) -> int:
    """Replace ``audio/``'s tracks and manifest by the staged ones; returns tracks moved."""
    modules = read_manifest(staged)["modules"]
    keep = {lesson.id: modules[lesson.id] for lesson in lessons}
    for entry in read_manifest(audio)["modules"].values():
        for key in ("audio", "vtt"):
            (audio / entry[key]).unlink(missing_ok=True)
    for entry in keep.values():
        for key in ("audio", "vtt"):
            shutil.move(str(staged / entry[key]), str(audio / entry[key]))
    write_manifest(audio, {"modules": keep})
    shutil.rmtree(staged)
    return len(keep)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/switch_narration.py")
    parser.add_argument("staged", type=Path)
    parser.add_argument("voice")
    parser.add_argument("--move", action="store_true")
    args = parser.parse_args(argv)
    try:
        voice = parse_voice(args.voice)
    except UnknownVoice as exc:
        print(exc, file=sys.stderr)
        return 2
    settings = Settings()
    lessons = load_course(settings.lessons_dir, settings.audio_dir, set(registry())).lessons
    found = problems(lessons, args.staged, voice)
    if found:
        print(f"{len(found)} of {len(lessons)} lessons are not ready in {args.staged}:",
              *found, sep="\n  ", file=sys.stderr)
        return 1
    if not args.move:
        print(f"all {len(lessons)} lessons are ready in {args.staged} ({voice.setting}); "
              "run again with --move")
        return 0
    moved = move(lessons, args.staged, settings.audio_dir)
    print(f"moved {moved} tracks into {settings.audio_dir}; now set narration_voice = "
          f'"{voice.setting}" in app/settings.py and run python -m app check')
    return 0


if __name__ == "__main__":
    sys.exit(main())
