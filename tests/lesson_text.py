"""How lesson tests read lessons: one folder, swappable for a copy.

Every lesson test reads its lesson through :func:`read_lesson`, so running a check
inside ``with lessons_from(tmp):`` checks a copy instead (``test_lessons_can_fail``
mutates a stated number in such a copy and expects the check to fail).
"""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
_folder: ContextVar[Path] = ContextVar("lessons_folder", default=LESSONS)


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


@contextlib.contextmanager
def lessons_from(folder: Path) -> Iterator[Path]:
    """Inside the block, every lesson test reads lessons from ``folder``."""
    token = _folder.set(Path(folder))
    try:
        yield Path(folder)
    finally:
        _folder.reset(token)


def assert_states(module_id: str, *snippets: str) -> None:
    """Each snippet appears, as written, in the lesson (read from the current folder)."""
    body = read_lesson(module_id)
    missing = [s for s in snippets if s not in body]
    assert not missing, f"module {module_id} does not state {missing}"
