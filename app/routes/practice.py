"""Practice: a question as an htmx fragment, and a check that grades an answer.

``GET /practice/{module}/{n}`` draws the question (fresh numbers for a generated one
unless ``seed`` is given); ``POST /practice/{module}/{n}`` grades a form and returns the
verdict as a fragment; ``POST /api/practice/{module}/{n}`` does the same with JSON. The
page sends the seed it was shown and its miss count, so nothing is stored here.
"""

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from app.errors import AppError
from app.practice.generators import MAX_SEED
from app.practice.grading import AnswerError
from app.practice.views import Feedback, check, question_view
from app.routes.api import ErrorOut
from app.routes.deps import Course, Generators, Templates

router = APIRouter()
ModuleId = Annotated[str, Path(pattern=r"^\d{2}[a-z]?$", description="Module id, e.g. 04")]
Number = Annotated[int, Path(ge=1, le=20, description="Question number, from 1")]
Seed = Annotated[int | None, Query(ge=1, le=MAX_SEED, description="Numbers to draw (generated "
                                   "questions); omit for fresh ones")]


class CheckIn(BaseModel):
    """An answer to grade: one text per number field (one otherwise)."""

    answer: list[Annotated[str, Field(max_length=64)]] = Field(default=[], max_length=4)
    seed: int | None = Field(None, ge=1, le=MAX_SEED, description="The seed the question showed")
    misses: int = Field(0, ge=0, le=99, description="Misses so far on this question")
    reveal: bool = Field(False, description="Show the solution instead of grading")
    review: bool = Field(False, description="Asked from the review page")


class CheckOut(BaseModel):
    outcome: str = Field(description="right, wrong, or revealed")
    misses: int
    feedback_html: str
    detail: str
    hint_html: str | None
    solution_html: str | None
    answer: str | None


def _check(course, generators, module_id: str, number: int, body: CheckIn) -> Feedback:
    view = question_view(course, generators, module_id, number, body.seed)
    if view.seed is not None and body.seed is None and not body.reveal:
        raise AppError(422, "This question has generated numbers: send the 'seed' it showed.")
    try:
        return check(view, body.answer, body.misses, body.reveal)
    except AnswerError as exc:
        raise AppError(422, str(exc)) from None


@router.get("/practice/{module_id}/{number}", response_class=HTMLResponse,
            include_in_schema=False)
def question_fragment(templates: Templates, course: Course, generators: Generators,
                      module_id: ModuleId, number: Number, seed: Seed = None,
                      review: bool = False):
    view = question_view(course, generators, module_id, number, seed)
    macro = templates.env.get_template("_partials/practice.html").module.question
    return HTMLResponse(str(macro(view, review)), headers={"cache-control": "no-store"})


@router.post("/practice/{module_id}/{number}", response_class=HTMLResponse,
             include_in_schema=False)
def check_fragment(templates: Templates, course: Course, generators: Generators,
                   module_id: ModuleId, number: Number, body: Annotated[CheckIn, Form()]):
    fb = _check(course, generators, module_id, number, body)
    macro = templates.env.get_template("_partials/practice.html").module.feedback
    return HTMLResponse(str(macro(fb, body.review)))


@router.post("/api/practice/{module_id}/{number}", response_model=CheckOut, tags=["practice"],
             summary="Grade a practice answer",
             responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
def check_json(course: Course, generators: Generators, module_id: ModuleId, number: Number,
               body: CheckIn) -> CheckOut:
    """Grade ``answer`` for question ``number`` of a module, from the question's answer data."""
    fb = _check(course, generators, module_id, number, body)
    v = fb.view
    return CheckOut(outcome=fb.outcome, misses=fb.misses, feedback_html=fb.feedback_html,
                    detail=fb.detail, hint_html=v.hint_html if fb.show_hint else None,
                    solution_html=v.solution_html if fb.show_solution else None,
                    answer=fb.answer_text or None)
