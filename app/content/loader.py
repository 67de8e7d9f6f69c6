"""Read the syllabus and every lesson once, validate, render, and build the index.

A broken lesson raises :class:`LessonError` naming the file and the field, so a
typo stops start-up with a message an author can act on.
"""

import json
import logging
from collections.abc import Collection, Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from app.content.audio_files import audio_file_problem
from app.content.check import structural_problems
from app.content.directives import DirectiveError
from app.content.index import CourseIndex, Lesson, Narration
from app.content.markdown import (
    MathError,
    first_piece_fraction,
    make_markdown,
    prose_word_count,
    render_body,
    render_inline,
)
from app.content.models import FrontMatter, Syllabus
from app.content.problems import LessonError, Problem

SYLLABUS_FILE = "course.yaml"
MANIFEST_FILE = "manifest.json"


def load_syllabus(lessons_dir: Path) -> Syllabus:
    path = lessons_dir / SYLLABUS_FILE
    try:
        return Syllabus.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise LessonError([Problem(str(path), "-", "syllabus file is missing")]) from exc
    except (yaml.YAMLError, ValidationError) as exc:
        raise LessonError([Problem(str(path), "-", str(exc))]) from exc


def split_front_matter(text: str, name: str) -> tuple[dict, str]:
    """Split ``---\\nyaml\\n---\\nbody``; raise LessonError if it is malformed."""
    if not text.startswith("---\n"):
        raise LessonError([Problem(name, "front matter", "file must start with a '---' line")])
    end = text.find("\n---\n", 4)
    if end == -1:
        raise LessonError([Problem(name, "front matter", "no closing '---' line")])
    try:
        data = yaml.safe_load(text[4:end])
    except yaml.YAMLError as exc:
        raise LessonError([Problem(name, "front matter", f"invalid YAML: {exc}")]) from exc
    if not isinstance(data, dict):
        raise LessonError([Problem(name, "front matter", "must be a YAML mapping")])
    return data, text[end + 5 :]


def _validation_problems(name: str, exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "front matter"
        msg = err["msg"].removeprefix("Value error, ")
        problems.append(Problem(name, where, msg))
    return problems


def parse_lesson(path: Path, md=None) -> Lesson:
    """Parse, validate and render one lesson file (no cross-lesson checks)."""
    md = md or make_markdown()
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise LessonError([Problem(name, f"line {line}", (
            f"not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}): "
            "save the file as UTF-8"))]) from None
    data, body = split_front_matter(text, name)
    body_offset = text[: len(text) - len(body)].count("\n")
    try:
        meta = FrontMatter.model_validate(data)
    except ValidationError as exc:
        raise LessonError(_validation_problems(name, exc)) from exc
    if path.stem != meta.id and not path.stem.startswith(f"{meta.id}-"):
        raise LessonError([Problem(name, "id", f"file name must start with the id '{meta.id}-'")])
    try:
        html, tokens, pieces = render_body(md, body, body_offset)
        practice = tuple(
            tuple(render_inline(md, text) for text in (p.question, p.hint, p.solution))
            for p in meta.practice
        )
        ideas = tuple(render_inline(md, idea.text) for idea in meta.core_ideas)
        pieces_html = tuple(render_piece_text(md, piece) for piece in pieces.pieces)
    except MathError as exc:
        raise LessonError([Problem(name, "maths", str(exc))]) from exc
    except DirectiveError as exc:
        raise LessonError([Problem(name, f"line {exc.line}", str(exc))]) from exc
    return Lesson(
        meta=meta, path=path, body=body, html=html, tokens=tuple(tokens),
        practice_html=practice, ideas_html=ideas,
        word_count=prose_word_count(tokens),
        pieces=tuple(pieces.pieces), pieces_html=pieces_html, setups=tuple(pieces.setups),
        first_piece_at=first_piece_fraction(tokens), body_line=body_offset,
    )


def render_piece_text(md, piece) -> dict:
    """A checkpoint's Markdown fields (question, choices, feedback, why) as HTML."""
    if piece.kind != "checkpoint":
        return {}
    return {"ask": render_inline(md, piece.ask), "why": render_inline(md, piece.why),
            "choices": [render_inline(md, c.text) for c in piece.choices],
            "feedback": [render_inline(md, c.feedback) if c.feedback else ""
                         for c in piece.choices]}


def load_manifest(audio_dir: Path) -> dict:
    """The narration manifest (``audio/manifest.json``), or an empty one."""
    try:
        return json.loads((audio_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {"modules": {}}


def narration_for(module_id: str, manifest: dict, audio_dir: Path) -> Narration | None:
    entry = manifest.get("modules", {}).get(module_id)
    if not entry:
        return None
    problem = audio_file_problem(entry, audio_dir)
    if problem:  # never served (nor cached for a year) until rebuilt
        logging.getLogger("app").error(
            "narration of module %s is not served: %s (run `python -m app narrate %s`)",
            module_id, problem, module_id)
        return None
    return Narration(
        audio=entry["audio"], vtt=entry["vtt"], duration_s=float(entry["duration_s"]),
        bytes=int(entry["bytes"]), script_hash=entry["script_hash"], voice=entry["voice"],
    )


def load_course(lessons_dir: Path, audio_dir: Path, widgets: Collection[str] | Mapping
                ) -> CourseIndex:
    """Load the syllabus and every ``lessons/*.md``; raise LessonError listing every problem.

    ``widgets``: the widgets a lesson may use, as names or as the registry (name -> spec,
    so that inline widgets' parameters are checked against their params models too).
    """
    syllabus = load_syllabus(lessons_dir)
    md = make_markdown()
    lessons: dict[str, Lesson] = {}
    problems: list[Problem] = []
    for path in sorted(lessons_dir.glob("*.md")):
        try:
            lesson = parse_lesson(path, md)
        except LessonError as exc:
            problems.extend(exc.problems)
            continue
        if lesson.id in lessons:
            problems.append(Problem(str(path), "id", f"duplicate id '{lesson.id}'"))
            continue
        lessons[lesson.id] = lesson
    if problems:
        raise LessonError(problems)
    manifest = load_manifest(audio_dir)
    narrations = {i: narration_for(i, manifest, audio_dir) for i in lessons}
    index = CourseIndex.build(syllabus, lessons, narrations)
    problems = structural_problems(index, list(lessons.values()), widgets)
    if problems:
        raise LessonError(problems)
    return index
