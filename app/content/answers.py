"""How a practice question is graded: the typed ``answer`` a lesson's front matter declares.

Five forms (``kind``): ``number`` (one or more numbers, each with a tolerance and an
optional unit), ``choice`` (one right option; every wrong one says why someone picks
it and why it is wrong), ``shape`` (a tuple of sizes), ``order`` (items listed in the
right order; the page shuffles them) and ``self`` (explain, compare with the solution,
grade yourself). ``generated`` names a function in :mod:`app.practice.generators` that
draws fresh numbers from a seed and computes their answer with the lesson's own code.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Mistake(Frozen):
    """A wrong number learners tend to give, with what went wrong."""

    value: float
    feedback: str = Field(min_length=1)


class NumberField(Frozen):
    label: str = ""  # what this number is, e.g. "dot product" (needed when there are several)
    value: float
    tolerance: float | None = Field(default=None, ge=0)  # absolute
    rel: float | None = Field(default=None, gt=0, lt=1)  # relative, e.g. 0.01 for 1 %
    unit: str = Field(default="", max_length=12)
    mistakes: tuple[Mistake, ...] = ()

    @model_validator(mode="after")
    def _one_tolerance(self) -> "NumberField":
        if (self.tolerance is None) == (self.rel is None):
            raise ValueError("give exactly one of 'tolerance' (absolute) or 'rel' (relative)")
        return self

    @property
    def slack(self) -> float:
        return self.tolerance if self.tolerance is not None else abs(self.value) * self.rel


class NumberAnswer(Frozen):
    kind: Literal["number"]
    fields: tuple[NumberField, ...] = Field(min_length=1, max_length=4)

    @model_validator(mode="before")
    @classmethod
    def _single(cls, data):
        """``value``/``tolerance``/``unit`` at the top level are shorthand for one field."""
        if isinstance(data, dict) and "fields" not in data and "value" in data:
            field = {k: v for k, v in data.items() if k != "kind"}
            return {"kind": data.get("kind"), "fields": [field]}
        return data

    @model_validator(mode="after")
    def _labels(self) -> "NumberAnswer":
        if len(self.fields) > 1 and not all(f.label for f in self.fields):
            raise ValueError("with several numbers, every field needs a 'label'")
        return self


class Option(Frozen):
    text: str = Field(min_length=1)
    correct: bool = False
    feedback: str = ""


class ChoiceAnswer(Frozen):
    kind: Literal["choice"]
    choices: tuple[Option, ...] = Field(min_length=2, max_length=6)

    @model_validator(mode="after")
    def _one_right(self) -> "ChoiceAnswer":
        if sum(c.correct for c in self.choices) != 1:
            raise ValueError("exactly one choice needs 'correct: true'")
        bare = [c.text for c in self.choices if not c.correct and not c.feedback.strip()]
        if bare:
            raise ValueError(f"every wrong choice needs 'feedback' (why someone picks it and "
                             f"why it is wrong); missing for: {bare[0]!r}")
        return self

    @property
    def right(self) -> int:
        return next(i for i, c in enumerate(self.choices) if c.correct)


class ShapeMistake(Frozen):
    value: tuple[int, ...]
    feedback: str = Field(min_length=1)


class ShapeAnswer(Frozen):
    kind: Literal["shape"]
    value: tuple[Annotated[int, Field(ge=0)], ...] = Field(min_length=1, max_length=5)
    mistakes: tuple[ShapeMistake, ...] = ()


class OrderAnswer(Frozen):
    kind: Literal["order"]
    items: tuple[str, ...] = Field(min_length=3, max_length=8)  # in the right order


class SelfAnswer(Frozen):
    kind: Literal["self"]


class GeneratedAnswer(Frozen):
    kind: Literal["generated"]
    generator: str = Field(pattern=r"^[a-z0-9-]+$")


Answer = Annotated[
    NumberAnswer | ChoiceAnswer | ShapeAnswer | OrderAnswer | SelfAnswer | GeneratedAnswer,
    Field(discriminator="kind"),
]
Graded = NumberAnswer | ChoiceAnswer | ShapeAnswer | OrderAnswer  # what a generator returns
