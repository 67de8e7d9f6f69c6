"""Checks that need the widgets' code (and the models): run by ``python -m app check``.

- every checkpoint's answer can be computed and exactly one choice holds for it;
- every lesson starts doing early: its first interactive piece comes within the first
  fifth of its prose;
- every lesson has at least two checkpoints, places every widget it declares inline,
  and has 1,000–2,500 words of prose (a lettered sidebar such as 12a: 400–900);
- its ``minutes`` follow one rule: reading at 200 words a minute, plus a minute for each
  inline widget and checkpoint.
"""

import math
from typing import Any

from app.content.index import CourseIndex
from app.content.problems import Problem
from app.widgets.checkpoints import CheckpointError, evaluate

FIRST_PIECE_MAX = 0.20
MIN_CHECKPOINTS = 2
WORDS = (1000, 2500)
SIDEBAR_WORDS = (400, 900)
WORDS_PER_MINUTE = 200


def reading_minutes(lesson) -> int:
    return math.ceil(lesson.word_count / WORDS_PER_MINUTE) + len(lesson.pieces)


def word_band(module_id: str) -> tuple[int, int]:
    return SIDEBAR_WORDS if module_id[-1].isalpha() else WORDS


def interactive_problems(index: CourseIndex, specs: dict, models: Any) -> list[Problem]:
    problems = []
    for lesson in index.lessons:
        name = str(lesson.path)
        checkpoints = [p for p in lesson.pieces if p.kind == "checkpoint"]
        for cp in checkpoints:
            try:
                evaluate(cp, specs, models)
            except CheckpointError as exc:
                problems.append(Problem(name, f"line {cp.line}", f"checkpoint: {exc}"))
        if lesson.first_piece_at is None:
            problems.append(Problem(name, "body", "no interactive piece (widget or checkpoint)"))
        elif lesson.first_piece_at > FIRST_PIECE_MAX:
            problems.append(Problem(
                name, f"line {lesson.pieces[0].line}",
                f"the first interactive piece comes after {lesson.first_piece_at:.0%} of the "
                f"prose; move one within the first {FIRST_PIECE_MAX:.0%}"))
        if len(checkpoints) < MIN_CHECKPOINTS:
            problems.append(Problem(name, "body", f"{len(checkpoints)} checkpoint(s); a lesson "
                                                  f"needs at least {MIN_CHECKPOINTS}"))
        inline = {p.name for p in lesson.widget_uses}
        for widget in lesson.meta.widgets:
            if widget not in inline:
                problems.append(Problem(name, "widgets", f"'{widget}' is not placed inline "
                                                         "(```widget " + widget + ")"))
        if lesson.meta.minutes != reading_minutes(lesson):
            problems.append(Problem(name, "minutes", (
                f"is {lesson.meta.minutes}; the rule gives {reading_minutes(lesson)} "
                f"(⌈{lesson.word_count:,} words / {WORDS_PER_MINUTE}⌉ + {len(lesson.pieces)} "
                "interactive pieces)")))
        lo, hi = word_band(lesson.id)
        if not lo <= lesson.word_count <= hi:
            problems.append(Problem(name, "body", f"{lesson.word_count:,} words of prose; "
                                                  f"the band is {lo:,}–{hi:,}"))
    return problems
