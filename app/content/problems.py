"""What a content check reports: ``file: field: problem`` lines."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.problem}"


@dataclass
class LessonError(Exception):
    """Raised when lessons cannot be loaded; lists every problem found."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
