"""How lesson tests read lessons: one folder, swappable for a copy, and one way to
say that a lesson states a value.

Every lesson test reads its lesson through :func:`read_lesson`, so running a check
inside ``with lessons_from(tmp):`` checks a copy instead (``test_lessons_can_fail``
mutates a stated number in such a copy and expects the check to fail).
"""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from pathlib import Path

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
_folder: ContextVar[Path] = ContextVar("lessons_folder", default=LESSONS)

# Ways a lesson writes the same text: a Unicode minus, LaTeX's "\%" and thousands "{,}",
# maths delimiters, HTML entities, and backslashes doubled inside YAML double quotes.
_SPELLINGS = (("−", "-"), ("\\%", "%"), ("{,}", ","), ("$", ""), ("&lt;", "<"), ("&gt;", ">"),
              ("\\\\", "\\"))


def lessons_folder() -> Path:
    """The folder lesson tests read now (``lessons/`` unless inside :func:`lessons_from`)."""
    return _folder.get()


def lesson_path(module_id: str) -> Path:
    """``<folder>/<id>-*.md``; fails (never skips) when the lesson is missing."""
    paths = sorted(lessons_folder().glob(f"{module_id}-*.md"))
    assert paths, f"lesson {module_id} is missing from {lessons_folder()}"
    return paths[0]


def read_lesson(module_id: str) -> str:
    """The full text (front matter and body) of the lesson, from the current folder."""
    return lesson_path(module_id).read_text(encoding="utf-8")  # no cache: copies change


def parsed_lesson(module_id: str):
    """The lesson as the course loads it (:func:`app.content.loader.parse_lesson`: front
    matter, pieces, word count), from the current folder."""
    return _parsed(lesson_path(module_id), read_lesson(module_id))


@cache
def _parsed(path: Path, _text: str):  # keyed on the text too: a changed copy is re-parsed
    from app.content.loader import parse_lesson

    return parse_lesson(path)


@contextlib.contextmanager
def lessons_from(folder: Path) -> Iterator[Path]:
    """Inside the block, every lesson test reads lessons from ``folder``."""
    token = _folder.set(Path(folder))
    try:
        yield Path(folder)
    finally:
        _folder.reset(token)


def normalize(text: str) -> str:
    """``$14{,}950$`` and ``14,950`` alike: one spelling for what a reader sees."""
    for written, read in _SPELLINGS:
        text = text.replace(written, read)
    return text


def lesson_text(module_id: str) -> str:
    """The lesson's full text, normalized (:func:`normalize`)."""
    return normalize(read_lesson(module_id))


def assert_states(module_id: str, *snippets: str) -> None:
    """Each snippet appears in the lesson (both normalized, so a test may write a number
    as the maths does, ``14{,}950``, or as the prose does, ``14,950``)."""
    body = lesson_text(module_id)
    missing = [s for s in snippets if normalize(s) not in body]
    assert not missing, f"module {module_id} does not state {missing}"
