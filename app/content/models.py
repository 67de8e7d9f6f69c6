"""Typed models for the syllabus and for a lesson's front matter."""

import re

from pydantic import Field, field_validator, model_validator

from app.content.answers import Answer, Frozen

MODULE_ID = re.compile(r"^\d{2}[a-z]?$")
ARXIV_ID = re.compile(r"^\d{4}\.\d{4,5}$")


class SyllabusModule(Frozen):
    id: str
    title: str
    prerequisites: tuple[str, ...] = ()


class Part(Frozen):
    number: int
    title: str
    modules: tuple[SyllabusModule, ...]


class Syllabus(Frozen):
    title: str
    parts: tuple[Part, ...]

    def ordered(self) -> list[tuple[Part, SyllabusModule]]:
        """Every module with its part, in syllabus order."""
        return [(part, m) for part in self.parts for m in part.modules]


class CoreIdea(Frozen):
    title: str = Field(min_length=1, max_length=60)
    text: str = Field(min_length=1)


class Reference(Frozen):
    title: str = Field(min_length=1)
    authors: str = Field(min_length=1)
    year: int = Field(ge=1900, le=2100)
    arxiv: str | None = None
    url: str | None = None
    venue: str | None = None

    @field_validator("arxiv")
    @classmethod
    def _arxiv_format(cls, value: str | None) -> str | None:
        if value is not None and not ARXIV_ID.match(value):
            raise ValueError(f"'{value}' is not an arXiv id like 1706.03762")
        return value

    @model_validator(mode="after")
    def _has_source(self) -> "Reference":
        if not (self.arxiv or self.url or self.venue):
            raise ValueError("a reference needs an arxiv id, a url or a venue")
        return self

    @property
    def link(self) -> str | None:
        return f"https://arxiv.org/abs/{self.arxiv}" if self.arxiv else self.url


class PracticeItem(Frozen):
    question: str = Field(min_length=1)
    hint: str = Field(min_length=1)
    solution: str = Field(min_length=1)
    level: str = "medium"
    answer: Answer | None = None  # how the page grades it (app.content.answers)

    @field_validator("level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value not in ("easy", "medium", "hard"):
            raise ValueError("level must be easy, medium or hard")
        return value


class FrontMatter(Frozen):
    """What a lesson file declares between its ``---`` lines."""

    id: str
    title: str = Field(min_length=1)
    tagline: str = Field(min_length=1)
    part: int = Field(ge=1, le=6)
    minutes: int = Field(ge=1, le=120)
    prerequisites: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    widgets: tuple[str, ...] = ()
    core_ideas: tuple[CoreIdea, ...]
    references: tuple[Reference, ...] = Field(min_length=1)
    practice: tuple[PracticeItem, ...] = Field(min_length=3)

    @field_validator("id")
    @classmethod
    def _id_format(cls, value: str) -> str:
        if not MODULE_ID.match(value):
            raise ValueError(f"'{value}' is not a module id like 07 or 12a (quote it in YAML)")
        return value

    @field_validator("core_ideas")
    @classmethod
    def _three_ideas(cls, value: tuple) -> tuple:
        if len(value) != 3:
            raise ValueError(f"needs exactly 3 core ideas, found {len(value)}")
        return value
