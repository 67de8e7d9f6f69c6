"""Grade a learner's typed answer against a question's answer data.

Pure functions, no state: the page sends the answer text (and, for generated questions,
the seed it was shown); :func:`grade` parses it for the question's form and returns a
:class:`Verdict`. Text a person cannot parse raises :class:`AnswerError` with a message
that says what to type instead. The solution text is never consulted.
"""

import math
import re
from dataclasses import dataclass

from app.content.answers import ChoiceAnswer, Graded, NumberAnswer, OrderAnswer, ShapeAnswer

MAX_ABS = 1e30  # larger numbers are typos, not answers
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$")
SHAPE_SPLIT = re.compile(r"\s*(?:,|x|×|\*)\s*")


class AnswerError(ValueError):
    """The answer text cannot be read; the message says what to type."""


@dataclass(frozen=True)
class Verdict:
    correct: bool
    feedback: str = ""  # Markdown written for this particular wrong answer, if any
    detail: str = ""  # plain words, e.g. "2 of 4 in the right place"


def parse_number(text: str, unit: str = "") -> float:
    """``"1,234.5"``, ``"-0.25"``, ``"3e9"``, ``"3/4"``, ``"12.5 %"``, ``"180 MiB"`` → float."""
    raw = text.strip().replace("\u2212", "-").replace("\u2009", "").replace("_", "")
    if unit and raw.lower().endswith(unit.lower()):
        raw = raw[: -len(unit)].strip()
    raw = raw.replace(",", "").replace(" ", "")
    if "/" in raw:
        top, _, bottom = raw.partition("/")
        value = parse_number(top) / _nonzero(parse_number(bottom))
    elif NUMBER.match(raw):
        value = float(raw)
    else:
        example = f"like 0.25, 1.5e9 or 3/4{f', optionally followed by {unit}' if unit else ''}"
        raise AnswerError(f"'{text.strip()[:40]}' is not a number: type one {example}.")
    if not math.isfinite(value) or abs(value) > MAX_ABS:
        raise AnswerError("That number is too large to be an answer here.")
    return value


def _nonzero(value: float) -> float:
    if value == 0:
        raise AnswerError("A fraction cannot divide by zero.")
    return value


def parse_shape(text: str) -> tuple[int, ...]:
    """``"(4, 5)"``, ``"4 x 5"``, ``"[4,5]"`` → ``(4, 5)``."""
    inner = text.strip().strip("()[]").strip()
    parts = [p for p in SHAPE_SPLIT.split(inner) if p] if inner else []
    if not 1 <= len(parts) <= 5 or not all(p.isdigit() and len(p) <= 12 for p in parts):
        raise AnswerError(f"'{text.strip()[:40]}' is not a shape: type whole sizes separated "
                          "by commas, like (4, 5).")
    return tuple(int(p) for p in parts)


def parse_index(text: str, count: int, what: str) -> int:
    if not text.strip().isdigit() or not 0 <= int(text) < count:
        raise AnswerError(f"Pick one of the {count} {what} first.")
    return int(text)


def _grade_numbers(answer: NumberAnswer, texts: list[str]) -> Verdict:
    if len(texts) != len(answer.fields) or not all(t.strip() for t in texts):
        need = "a number" if len(answer.fields) == 1 else f"all {len(answer.fields)} numbers"
        raise AnswerError(f"Type {need} first.")
    values = [parse_number(t, f.unit) for t, f in zip(texts, answer.fields, strict=True)]
    wrong = [i for i, (v, f) in enumerate(zip(values, answer.fields, strict=True))
             if abs(v - f.value) > f.slack + 1e-12 * max(1.0, abs(f.value))]
    if not wrong:
        return Verdict(True)
    feedback = ""
    for i in wrong:
        field = answer.fields[i]
        for m in field.mistakes:
            if abs(values[i] - m.value) <= field.slack + 1e-12 * max(1.0, abs(m.value)):
                feedback = m.feedback
                break
    detail = ""
    if len(answer.fields) > 1:
        detail = "Not right yet: " + ", ".join(answer.fields[i].label for i in wrong) + "."
    return Verdict(False, feedback, detail)


def _grade_shape(answer: ShapeAnswer, text: str) -> Verdict:
    shape = parse_shape(text)
    if shape == answer.value:
        return Verdict(True)
    for m in answer.mistakes:
        if shape == m.value:
            return Verdict(False, m.feedback)
    if len(shape) != len(answer.value):
        return Verdict(False, detail=f"The answer has {len(answer.value)} dimensions, "
                                     f"yours has {len(shape)}.")
    return Verdict(False)


def _grade_order(answer: OrderAnswer, text: str) -> Verdict:
    n = len(answer.items)
    try:
        order = [int(p) for p in text.split(",")]
    except ValueError:
        order = []
    if sorted(order) != list(range(n)):
        raise AnswerError(f"Send the {n} items as their numbers in your order, like "
                          f"{','.join(str(i) for i in range(n))}.")
    placed = sum(o == i for i, o in enumerate(order))
    return Verdict(placed == n, detail=f"{placed} of {n} in the right place.")


def grade(answer: Graded, texts: list[str]) -> Verdict:
    """Grade ``texts`` (one per number field; one otherwise) against ``answer``."""
    if isinstance(answer, NumberAnswer):
        return _grade_numbers(answer, texts)
    text = texts[0] if texts else ""
    if isinstance(answer, ChoiceAnswer):
        picked = parse_index(text, len(answer.choices), "answers")
        choice = answer.choices[picked]
        return Verdict(choice.correct, "" if choice.correct else choice.feedback)
    if isinstance(answer, ShapeAnswer):
        return _grade_shape(answer, text)
    return _grade_order(answer, text)


def shown(answer: Graded) -> str:
    """The right answer in words, for after the second miss."""
    if isinstance(answer, NumberAnswer):
        return "; ".join(f"{f.label + ': ' if f.label else ''}{_num(f.value)}"
                         f"{' ' + f.unit if f.unit else ''}" for f in answer.fields)
    if isinstance(answer, ChoiceAnswer):
        return answer.choices[answer.right].text
    if isinstance(answer, ShapeAnswer):
        return "(" + ", ".join(str(v) for v in answer.value) + ")"
    return " → ".join(answer.items)


def _num(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.6g}"
