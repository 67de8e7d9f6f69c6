"""What the page shows for a practice question and for the verdict on an answer.

:func:`question_view` resolves a lesson's question (drawing fresh numbers for a
generated one) into a :class:`QuestionView`; :func:`check` grades an answer and says
what to show next: the feedback at once, the hint after a first miss, the worked
solution after a second miss or when asked. The learner's miss count travels with
the form, so nothing is stored on the server.
"""

import secrets
import zlib
from dataclasses import dataclass

import numpy as np

from app.content.answers import (
    ChoiceAnswer,
    GeneratedAnswer,
    Graded,
    NumberAnswer,
    OrderAnswer,
    SelfAnswer,
)
from app.content.markdown import make_markdown, render_inline
from app.errors import AppError
from app.practice.generators import MAX_SEED, Generator, variant
from app.practice.grading import grade, shown


@dataclass(frozen=True)
class QuestionView:
    module_id: str
    number: int  # 1-based, as the page numbers it
    level: str
    kind: str  # number | choice | shape | order | self
    graded: Graded | None  # None: self-graded
    question_html: str
    hint_html: str
    solution_html: str
    seed: int | None = None  # generated questions only
    given: tuple[tuple[str, str], ...] = ()
    working_html: str = ""
    choices_html: tuple[str, ...] = ()
    order: tuple[tuple[int, str], ...] = ()  # (index in the right order, HTML), shuffled
    fields: tuple[tuple[str, str], ...] = ()  # (label, unit) per number input

    @property
    def key(self) -> str:
        return f"{self.module_id}:{self.number}"

    @property
    def dom_id(self) -> str:
        return f"pq-{self.module_id}-{self.number}"


@dataclass(frozen=True)
class Feedback:
    view: QuestionView
    correct: bool | None  # None: the learner asked for the solution without answering
    misses: int
    feedback_html: str = ""
    detail: str = ""
    show_hint: bool = False
    show_solution: bool = False
    answer_text: str = ""  # the right answer in words, once the solution is shown

    @property
    def outcome(self) -> str:
        return {True: "right", False: "wrong", None: "revealed"}[self.correct]


def find_item(course, module_id: str, number: int):
    entry = course.get(module_id)
    lesson = entry.lesson if entry else None
    if lesson is None:
        raise AppError(404, f"There is no module '{module_id[:8]}' in this course.")
    if not 1 <= number <= len(lesson.meta.practice):
        raise AppError(404, f"Module {module_id} has {len(lesson.meta.practice)} practice "
                            f"questions; there is no question {number}.")
    return lesson, lesson.meta.practice[number - 1]


def _shuffled(module_id: str, number: int, n: int) -> list[int]:
    """A fixed shuffle per question that never starts in the right order."""
    rng = np.random.default_rng(zlib.crc32(f"{module_id}:{number}".encode()))
    order = list(range(n))
    while order == sorted(order):
        order = [int(i) for i in rng.permutation(n)]
    return order


def question_view(course, generators: dict[str, Generator], module_id: str, number: int,
                  seed: int | None = None) -> QuestionView:
    lesson, item = find_item(course, module_id, number)
    question_html, hint_html, solution_html = lesson.practice_html[number - 1]
    answer = item.answer or SelfAnswer(kind="self")
    md = make_markdown()
    extra: dict = {}
    if isinstance(answer, GeneratedAnswer):
        generator = generators.get(answer.generator)
        if generator is None:
            raise AppError(500, f"Question {module_id}:{number} names an unknown generator.")
        seed = secrets.randbelow(MAX_SEED) + 1 if seed is None else seed
        drawn = variant(generator, seed)
        answer = drawn.answer
        extra = {"seed": seed, "given": drawn.given,
                 "working_html": render_inline(md, drawn.working) if drawn.working else ""}
    graded = None if isinstance(answer, SelfAnswer) else answer
    if isinstance(answer, ChoiceAnswer):
        extra["choices_html"] = tuple(render_inline(md, c.text) for c in answer.choices)
    elif isinstance(answer, OrderAnswer):
        extra["order"] = tuple((i, render_inline(md, answer.items[i]))
                               for i in _shuffled(module_id, number, len(answer.items)))
    elif isinstance(answer, NumberAnswer):
        extra["fields"] = tuple((f.label, f.unit) for f in answer.fields)
    return QuestionView(module_id=module_id, number=number, level=item.level,
                        kind=answer.kind, graded=graded, question_html=question_html,
                        hint_html=hint_html, solution_html=solution_html, **extra)


def check(view: QuestionView, texts: list[str], misses: int, reveal: bool) -> Feedback:
    """Grade ``texts`` (raises ``AnswerError`` if unreadable) or reveal the solution."""
    if reveal or view.graded is None:
        return Feedback(view, None, misses + 1, show_hint=True, show_solution=True,
                        answer_text=shown(view.graded) if view.graded else "")
    verdict = grade(view.graded, texts)
    md = make_markdown()
    misses = misses + (0 if verdict.correct else 1)
    solution = verdict.correct or misses >= 2
    return Feedback(view, verdict.correct, misses,
                    feedback_html=render_inline(md, verdict.feedback) if verdict.feedback else "",
                    detail=verdict.detail, show_hint=not verdict.correct and misses >= 1,
                    show_solution=solution,
                    answer_text=shown(view.graded) if solution else "")
