"""``python -m app check``: print ``file: field: problem`` lines, exit 1 if any."""

import sys
from pathlib import Path

from app.content.loader import load_course
from app.content.problems import LessonError, Problem
from app.settings import Settings
from app.widgets import registry


def collect_problems(settings: Settings, require_audio: bool) -> list:
    specs = registry()
    try:
        index = load_course(settings.lessons_dir, settings.audio_dir, specs)
    except LessonError as exc:
        return exc.problems
    from app.content.interactive import interactive_problems
    from app.content.rendering import narration_text_problems, rendering_problems
    from app.engine import Models
    from app.practice.check import practice_problems
    from app.practice.generators import registry as generators

    models = Models()
    missing = [Problem("(this server)", "model package", p) for p in models.problems()]
    if missing:  # the interactive checks need the models: report what to install first
        return missing
    problems = [*rendering_problems(index), *narration_text_problems(index),
                *interactive_problems(index, specs, models),
                *practice_problems(index, generators())]
    if not require_audio:
        return problems
    from app.narration.freshness import audio_problems
    from app.narration.voices import parse_voice

    voice = parse_voice(settings.narration_voice)
    return problems + audio_problems(index, settings.audio_dir, voice)


def relative(line: str) -> str:
    """Show a path under the current folder as a relative one (lessons/12-….md)."""
    prefix = f"{Path.cwd()}/"
    return line.removeprefix(prefix)


def run_check(require_audio: bool = True) -> int:
    settings = Settings()
    problems = collect_problems(settings, require_audio and settings.require_audio)
    for problem in problems:
        print(relative(str(problem)), file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    print("All lessons are valid.")
    return 0
