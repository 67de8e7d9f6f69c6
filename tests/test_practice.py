"""Graded practice: reading answers, grading them, the check endpoint, the content rules,
and every question's own answer data (each right answer accepted, each listed wrong
choice and mistake rejected with its feedback, tolerance edges)."""

import math

import numpy as np
import pytest
from pydantic import ValidationError

from app.content.answers import (
    ChoiceAnswer,
    GeneratedAnswer,
    NumberAnswer,
    OrderAnswer,
    SelfAnswer,
    ShapeAnswer,
)
from app.content.loader import load_course
from app.practice.check import practice_problems
from app.practice.generators import registry, variant
from app.practice.grading import AnswerError, grade, parse_number, parse_shape
from tests.lesson_factory import VALID, lesson_folder, write_lesson

# ---- reading what a learner types -------------------------------------------------


@pytest.mark.parametrize(("text", "unit", "value"), [
    ("0.25", "", 0.25), (" -0.25 ", "", -0.25), ("\u22120.25", "", -0.25),
    ("1,234.5", "", 1234.5), ("3e9", "", 3e9), ("1.5E-3", "", 0.0015), ("3/4", "", 0.75),
    ("180 MiB", "MiB", 180), ("180mib", "MiB", 180), ("12.5 %", "%", 12.5), (".5", "", 0.5),
])
def test_numbers_are_read_as_people_type_them(text, unit, value):
    assert parse_number(text, unit) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "about 3", "1/0", "1e999", "0x10", "nan", "inf", "1..2",
                                  "9" * 40])
def test_unreadable_numbers_say_what_to_type(text):
    with pytest.raises(AnswerError, match="number|zero|too large"):
        parse_number(text)


@pytest.mark.parametrize(("text", "shape"), [
    ("(4, 5)", (4, 5)), ("4 x 5", (4, 5)), ("[4,5]", (4, 5)), ("4×5", (4, 5)), ("(7)", (7,)),
    ("(9, 64, 64)", (9, 64, 64)),
])
def test_shapes_are_read_in_any_common_notation(text, shape):
    assert parse_shape(text) == shape


@pytest.mark.parametrize("text", ["", "(4, -5)", "(4.5, 2)", "four by five", "(1,2,3,4,5,6)"])
def test_unreadable_shapes_are_refused(text):
    with pytest.raises(AnswerError, match="not a shape"):
        parse_shape(text)


# ---- grading ------------------------------------------------------------------------


def test_number_tolerance_edges_absolute_and_relative():
    absolute = NumberAnswer(kind="number", value=0.596, tolerance=0.005)
    assert grade(absolute, ["0.601"]).correct and grade(absolute, ["0.591"]).correct
    assert not grade(absolute, ["0.6011"]).correct and not grade(absolute, ["0.5909"]).correct
    relative = NumberAnswer(kind="number", value=200.0, rel=0.01)
    assert grade(relative, ["202"]).correct and not grade(relative, ["202.1"]).correct


def test_several_numbers_name_the_wrong_ones_and_explain_a_known_mistake():
    answer = NumberAnswer.model_validate({"kind": "number", "fields": [
        {"label": "dot product", "value": 4, "tolerance": 0},
        {"label": "cosine", "value": 0.596, "tolerance": 0.005,
         "mistakes": [{"value": 4, "feedback": "That is the dot product again."}]}]})
    verdict = grade(answer, ["4", "4"])
    assert not verdict.correct
    assert verdict.detail == "Not right yet: cosine." and "dot product again" in verdict.feedback
    with pytest.raises(AnswerError, match="all 2 numbers"):
        grade(answer, ["4"])


def test_choice_order_and_shape_grading():
    choice = ChoiceAnswer.model_validate({"kind": "choice", "choices": [
        {"text": "a", "correct": True}, {"text": "b", "feedback": "b is tempting because…"}]})
    assert grade(choice, ["0"]).correct
    assert grade(choice, ["1"]).feedback == "b is tempting because…"
    with pytest.raises(AnswerError, match="Pick one"):
        grade(choice, ["2"])
    order = OrderAnswer(kind="order", items=("x", "y", "z"))
    assert grade(order, ["0,1,2"]).correct
    assert grade(order, ["1,0,2"]).detail == "1 of 3 in the right place."
    with pytest.raises(AnswerError):
        grade(order, ["0,0,1"])
    shape = ShapeAnswer.model_validate({"kind": "shape", "value": [4, 5], "mistakes": [
        {"value": [5, 4], "feedback": "Rows come from A."}]})
    assert grade(shape, ["(4, 5)"]).correct
    assert grade(shape, ["5x4"]).feedback == "Rows come from A."
    assert "2 dimensions" in grade(shape, ["(4, 5, 1)"]).detail


@pytest.mark.parametrize(("data", "message"), [
    ({"kind": "choice", "choices": [{"text": "a", "correct": True}, {"text": "b"}]},
     "needs 'feedback'"),
    ({"kind": "choice", "choices": [{"text": "a", "correct": True},
                                    {"text": "b", "correct": True}]}, "exactly one"),
    ({"kind": "number", "value": 1}, "exactly one of 'tolerance'"),
    ({"kind": "number", "value": 1, "tolerance": 0.1, "rel": 0.1}, "exactly one of"),
    ({"kind": "number", "fields": [{"value": 1, "tolerance": 0}, {"value": 2, "tolerance": 0}]},
     "needs a 'label'"),
    ({"kind": "guess"}, "does not match any of the expected tags"),
])
def test_answer_data_mistakes_are_caught_when_lessons_load(data, message):
    from app.content.models import PracticeItem

    with pytest.raises(ValidationError, match=message):
        PracticeItem(question="Q?", hint="H.", solution="S.", answer=data)


# ---- the content rules (python -m app check) --------------------------------------------


def _check_problems(tmp_path, practice) -> list[str]:
    folder = lesson_folder(tmp_path)
    write_lesson(folder, "03-vectors.md", {**VALID, "widgets": [], "practice": practice})
    index = load_course(folder, tmp_path / "audio", {})
    return [str(p) for p in practice_problems(index, registry())]


def _q(answer: dict | None) -> dict:
    extra = {"answer": answer} if answer else {}
    return {"question": "Q?", "hint": "H.", "solution": "S.", **extra}


NUMBER = {"kind": "number", "value": 2, "tolerance": 0.1}
SELF = {"kind": "self"}
GENERATED = {"kind": "generated", "generator": "softmax-top"}


def test_a_complete_lesson_passes_the_practice_check(tmp_path):
    assert _check_problems(tmp_path, [_q(NUMBER), _q(NUMBER), _q(SELF), _q(GENERATED)]) == []


@pytest.mark.parametrize(("practice", "problem"), [
    ([_q(NUMBER), _q(NUMBER), _q(GENERATED)], "3 questions; a lesson needs at least 4"),
    ([_q(GENERATED), _q(SELF), _q(SELF), _q(SELF)], "1 automatically graded question(s)"),
    ([_q(NUMBER), _q(NUMBER), _q(SELF), _q(None)], "practice.3.answer: missing"),
    ([_q(NUMBER), _q(NUMBER), _q(SELF), _q(SELF)], "no question with generated numbers"),
    ([_q(NUMBER), _q(NUMBER), _q(SELF), _q({"kind": "generated", "generator": "nope"})],
     "unknown generator 'nope'"),
    ([_q({"kind": "number", "value": 2, "tolerance": 0.1,
          "mistakes": [{"value": 2.05, "feedback": "F."}]}), _q(NUMBER), _q(SELF), _q(GENERATED)],
     "mistake 2.05 is within the tolerance"),
    ([_q({"kind": "number", "value": 2, "tolerance": 0.1, "mistakes": [
        {"value": 3, "feedback": "F."}, {"value": 3.05, "feedback": "G."}]}),
      _q(NUMBER), _q(SELF), _q(GENERATED)], "mistake 3.05 is never shown"),
])
def test_practice_check_names_each_problem(tmp_path, practice, problem):
    assert any(problem in p for p in _check_problems(tmp_path, practice)), problem


# ---- the endpoint ---------------------------------------------------------------------------


def test_check_endpoint_grades_and_steps_from_hint_to_solution(client):
    first = client.post("/api/practice/04/2", json={"answer": ["100", "10"]}).json()
    assert first["outcome"] == "wrong" and first["misses"] == 1
    assert first["hint_html"] and first["solution_html"] is None and first["answer"] is None
    second = client.post("/api/practice/04/2",
                         json={"answer": ["100", "10"], "misses": first["misses"]}).json()
    assert second["solution_html"] and "109.95" in second["answer"]
    right = client.post("/api/practice/04/2", json={"answer": [str(math.exp(4.7)),
                                                               str(math.exp(2.35))]}).json()
    assert right["outcome"] == "right" and right["hint_html"] is None


def test_check_endpoint_regrades_a_generated_question_from_its_seed(client):
    drawn = variant(registry()["softmax-top"], 12345)
    logits = np.array([float(x) for x in drawn.given[0][1].strip("[]").split(",")])
    z = logits / float(drawn.given[1][1])
    top = float(np.max(np.exp(z - z.max()) / np.exp(z - z.max()).sum()))
    ok = client.post("/api/practice/04/4", json={"answer": [f"{top:.3f}"], "seed": 12345})
    assert ok.json()["outcome"] == "right"
    other = client.post("/api/practice/04/4", json={"answer": [f"{top:.3f}"], "seed": 54321})
    assert other.json()["outcome"] == "wrong" or abs(
        variant(registry()["softmax-top"], 54321).answer.fields[0].value - top) < 0.005


@pytest.mark.parametrize(("path", "body", "status", "message"), [
    ("/api/practice/99/1", {"answer": ["1"]}, 404, "no module '99'"),
    ("/api/practice/04/9", {"answer": ["1"]}, 404, "there is no question 9"),
    ("/api/practice/04/1", {"answer": ["x", "1"]}, 422, "is not a number"),
    ("/api/practice/04/1", {"answer": ["1"] * 5}, 422, "answer"),
    ("/api/practice/04/1", {"answer": ["1" * 65, "1"]}, 422, "answer"),
    ("/api/practice/04/1", {"answer": ["1", "1"], "misses": -1}, 422, "misses"),
    ("/api/practice/04/4", {"answer": ["0.5"]}, 422, "send the 'seed'"),
    ("/api/practice/04/4", {"answer": ["0.5"], "seed": 2**40}, 422, "seed"),
    ("/api/practice/4/1", {"answer": ["1"]}, 422, "module_id"),
])
def test_check_endpoint_refuses_bad_requests_with_a_message(client, path, body, status, message):
    response = client.post(path, json=body)
    assert response.status_code == status
    assert message in response.json()["error"]


def test_fragment_errors_land_in_the_feedback_slot(client):
    response = client.post("/practice/04/1", data={"answer": ["abc", "1"]},
                           headers={"HX-Request": "true", "HX-Target": "pq-04-1-feedback"})
    assert response.status_code == 422
    assert "is not a number" in response.text and "<html" not in response.text


def test_question_fragment_draws_fresh_numbers_unless_a_seed_is_given(client):
    a = client.get("/practice/04/4").text
    b = client.get("/practice/04/4").text
    assert a != b  # two fresh draws (seeds from 2^31) differ
    assert client.get("/practice/04/4?seed=5").text == client.get("/practice/04/4?seed=5").text


# ---- every question in the course --------------------------------------------------------


def _all_questions(course):
    return [(lesson.id, n, item) for lesson in course.lessons
            for n, item in enumerate(lesson.meta.practice, start=1)]


def test_every_question_has_answer_data_and_every_lesson_enough_graded(course):
    problems = practice_problems(course, registry())
    assert problems == [], "\n".join(str(p) for p in problems[:20])


def test_every_right_answer_is_accepted_and_every_listed_wrong_one_explained(course):
    checked = 0
    for module_id, n, item in _all_questions(course):
        answer = item.answer
        where = f"{module_id}:{n}"
        if isinstance(answer, NumberAnswer):
            right = [repr(f.value) for f in answer.fields]
            assert grade(answer, right).correct, where
            for i, field in enumerate(answer.fields):
                edge = field.value + 0.999 * field.slack
                texts = right.copy()
                texts[i] = repr(edge)
                assert grade(answer, texts).correct, f"{where} tolerance edge"
                texts[i] = repr(field.value + 1.01 * field.slack + 1e-9 * max(1, abs(field.value)))
                assert not grade(answer, texts).correct, f"{where} beyond tolerance"
                for m in field.mistakes:
                    texts[i] = repr(m.value)
                    verdict = grade(answer, texts)
                    assert not verdict.correct and verdict.feedback == m.feedback, where
        elif isinstance(answer, ChoiceAnswer):
            for i, choice in enumerate(answer.choices):
                verdict = grade(answer, [str(i)])
                assert verdict.correct == choice.correct, where
                assert verdict.correct or verdict.feedback == choice.feedback, where
        elif isinstance(answer, ShapeAnswer):
            assert grade(answer, [str(tuple(answer.value))]).correct, where
            for m in answer.mistakes:
                assert grade(answer, [str(tuple(m.value))]).feedback == m.feedback, where
        elif isinstance(answer, OrderAnswer):
            n_items = len(answer.items)
            assert grade(answer, [",".join(map(str, range(n_items)))]).correct, where
            assert not grade(answer, [",".join(map(str, reversed(range(n_items))))]).correct
        else:
            assert isinstance(answer, SelfAnswer | GeneratedAnswer), where
            continue
        checked += 1
    assert checked >= 2 * len(course.lessons)
