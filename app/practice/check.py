"""What ``python -m app check`` demands of practice (lesson standard, graded practice):
every question says how it is graded; a lesson has at least four questions, two of them
graded automatically; Parts 1–3 and 5 have a question with generated numbers; every
generator draws a valid, gradable variant; no right answer is also listed as a mistake.
"""

from app.content.answers import (
    ChoiceAnswer,
    GeneratedAnswer,
    NumberAnswer,
    SelfAnswer,
    ShapeAnswer,
)
from app.content.index import CourseIndex
from app.content.problems import Problem
from app.practice.generators import Generator, variant
from app.practice.grading import grade, shown

MIN_QUESTIONS = 4
MIN_AUTO = 2
GENERATED_PARTS = (1, 2, 3, 5)
SEEDS = (1, 2, 3, 17, 2024)  # a few draws per generator, checked at every start of `check`


def _answer_problems(answer) -> list[str]:
    """Grading the right answer must say right; every listed mistake must say wrong."""
    out = []
    if isinstance(answer, NumberAnswer):
        right = [repr(f.value) for f in answer.fields]
        if not grade(answer, right).correct:
            out.append("its own right answer is not accepted")
        for i, field in enumerate(answer.fields):
            for m in field.mistakes:
                texts = right.copy()
                texts[i] = repr(m.value)
                verdict = grade(answer, texts)
                if verdict.correct:
                    out.append(f"mistake {m.value} is within the tolerance of the answer")
                elif verdict.feedback != m.feedback:
                    out.append(f"mistake {m.value} is never shown: an earlier mistake lies "
                               "within the tolerance of it")
    elif isinstance(answer, ChoiceAnswer):
        if not grade(answer, [str(answer.right)]).correct:
            out.append("its right choice is not accepted")
    elif isinstance(answer, ShapeAnswer):
        if any(m.value == answer.value for m in answer.mistakes):
            out.append("a listed mistake equals the right shape")
        if not grade(answer, [shown(answer)]).correct:
            out.append("its own shape is not accepted")
    return out


def practice_problems(index: CourseIndex, generators: dict[str, Generator]) -> list[Problem]:
    problems = []
    for lesson in index.lessons:
        name = str(lesson.path)
        items = lesson.meta.practice
        if len(items) < MIN_QUESTIONS:
            problems.append(Problem(name, "practice", f"{len(items)} questions; a lesson needs "
                                                      f"at least {MIN_QUESTIONS}"))
        auto = generated = 0
        for n, item in enumerate(items, start=1):
            where = f"practice.{n - 1}.answer"
            answer = item.answer
            if answer is None:
                problems.append(Problem(name, where, "missing: say how the question is graded "
                                                     "(number, choice, shape, order, self or "
                                                     "generated)"))
                continue
            auto += not isinstance(answer, SelfAnswer)
            if isinstance(answer, GeneratedAnswer):
                generated += 1
                problems += [Problem(name, where, p)
                             for p in _generator_problems(answer.generator, generators)]
            else:
                problems += [Problem(name, where, p) for p in _answer_problems(answer)]
        if auto < MIN_AUTO:
            problems.append(Problem(name, "practice", f"{auto} automatically graded question(s); "
                                                      f"a lesson needs at least {MIN_AUTO}"))
        if lesson.meta.part in GENERATED_PARTS and not generated:
            problems.append(Problem(name, "practice", "no question with generated numbers "
                                                      f"(needed in Parts {GENERATED_PARTS})"))
    return problems


def _generator_problems(name: str, generators: dict[str, Generator]) -> list[str]:
    generator = generators.get(name)
    if generator is None:
        return [f"unknown generator '{name}' (app/practice/gen_part*.py)"]
    out = []
    for seed in SEEDS:
        try:
            drawn = variant(generator, seed)
        except Exception as exc:  # noqa: BLE001 - reported as a content problem
            return [f"generator '{name}' fails for seed {seed}: {exc}"]
        out += [f"generator '{name}', seed {seed}: {p}" for p in _answer_problems(drawn.answer)]
    return out
