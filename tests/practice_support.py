"""Helpers for practice-answer tests: read a question's answer data from its lesson
(through :mod:`tests.lesson_text`, so a mutated copy is read when asked) and compare it
with a number computed independently in the test."""

import numpy as np

from app.content.answers import ChoiceAnswer, NumberAnswer, ShapeAnswer
from app.content.loader import split_front_matter
from app.content.models import FrontMatter
from app.practice.generators import Variant
from app.practice.grading import grade
from tests.lesson_text import read_lesson


def answer_of(module_id: str, number: int):
    """The ``answer`` of practice question ``number`` (from 1) of a lesson."""
    data, _ = split_front_matter(read_lesson(module_id), module_id)
    items = FrontMatter.model_validate(data).practice
    assert 1 <= number <= len(items), f"{module_id} has {len(items)} questions"
    return items[number - 1].answer


def assert_numbers(answer, expected: list[float]) -> None:
    """Each field's stated value agrees with the independent value within its tolerance,
    and the grader accepts the independent values typed as a learner would."""
    assert isinstance(answer, NumberAnswer), f"expected a number answer, got {answer!r}"
    assert len(answer.fields) == len(expected), "one expected value per field"
    for field, value in zip(answer.fields, expected, strict=True):
        assert abs(field.value - value) <= field.slack + 1e-9, (
            f"{field.label or 'answer'}: lesson says {field.value}, computed {value}")
    assert grade(answer, [repr(float(v)) for v in expected]).correct


def assert_shape(answer, expected: tuple[int, ...]) -> None:
    assert isinstance(answer, ShapeAnswer) and answer.value == tuple(expected), answer


def assert_choice(answer, expected_text_fragment: str) -> None:
    """The correct choice is the one whose text contains ``expected_text_fragment``
    (a value the test computed, formatted as the lesson writes it)."""
    assert isinstance(answer, ChoiceAnswer)
    right = answer.choices[answer.right].text
    assert expected_text_fragment in right, (
        f"right choice {right!r} lacks {expected_text_fragment!r}")


def variants(generator, seeds=range(1, 201)) -> list[tuple[int, Variant]]:
    """Draw a generator for many seeds."""
    return [(s, generator(np.random.default_rng(s))) for s in seeds]


def rejects_mistakes(answer: NumberAnswer) -> None:
    """Every listed mistake is graded wrong and shows its own feedback."""
    right = [repr(f.value) for f in answer.fields]
    for i, field in enumerate(answer.fields):
        for m in field.mistakes:
            texts = right.copy()
            texts[i] = repr(m.value)
            verdict = grade(answer, texts)
            assert not verdict.correct and verdict.feedback == m.feedback


def rejects_wrong_choices(answer: ChoiceAnswer) -> None:
    """Only the right choice is accepted; every other shows its own feedback."""
    for i, choice in enumerate(answer.choices):
        verdict = grade(answer, [str(i)])
        assert verdict.correct == choice.correct
        assert choice.correct or verdict.feedback == choice.feedback


def check_numbers(module_id: str, number: int, expected: list[float]) -> None:
    """The question's numbers agree with ``expected``, and its mistakes are rejected."""
    answer = answer_of(module_id, number)
    assert_numbers(answer, expected)
    rejects_mistakes(answer)


def given(variant: Variant) -> dict[str, str]:
    """A generated question's shown values by label."""
    return dict(variant.given)


def generators_in(module_id: str) -> list[str]:
    """The generators a lesson's questions name."""
    data, _ = split_front_matter(read_lesson(module_id), module_id)
    return [item.answer.generator for item in FrontMatter.model_validate(data).practice
            if item.answer is not None and item.answer.kind == "generated"]
