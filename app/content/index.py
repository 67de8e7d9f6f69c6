"""The immutable lesson index: every lesson in syllabus order, with its neighbours."""

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from markdown_it.token import Token

from app.content.directives import SLOT_RE
from app.content.models import FrontMatter, Part, Syllabus, SyllabusModule


@dataclass(frozen=True)
class Narration:
    audio: str
    vtt: str
    duration_s: float
    bytes: int
    script_hash: str
    voice: str

    @property
    def duration_label(self) -> str:
        minutes, seconds = divmod(round(self.duration_s), 60)
        return f"{minutes}:{seconds:02d}"


@dataclass(frozen=True)
class Lesson:
    """One parsed, validated and rendered lesson."""

    meta: FrontMatter
    path: Path
    body: str
    html: str
    tokens: tuple[Token, ...]
    practice_html: tuple[tuple[str, str, str], ...]  # (question, hint, solution)
    ideas_html: tuple[str, ...]
    word_count: int
    pieces: tuple = ()  # WidgetUse | Checkpoint, in page order (app.content.directives)
    pieces_html: tuple = ()  # per piece: a checkpoint's fields rendered as HTML
    setups: tuple = ()  # SetupLink, in page order
    first_piece_at: float | None = None  # share of prose before the first piece
    body_line: int = 0  # lines of the file before the body (the front matter)

    @property
    def segments(self) -> list[tuple[str, int | None]]:
        """The body HTML cut at each piece's slot: ``[(html, piece index or None), …]``."""
        parts = SLOT_RE.split(self.html)
        out = []
        for i in range(0, len(parts), 2):
            index = int(parts[i + 1]) if i + 1 < len(parts) else None
            out.append((parts[i], index))
        return out

    @property
    def widget_uses(self) -> list:
        return [p for p in self.pieces if p.kind == "widget"]

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def url(self) -> str:
        return f"/modules/{self.meta.id}"


@dataclass(frozen=True)
class Entry:
    """A syllabus module as the site shows it: written (``lesson``) or still to come."""

    module: SyllabusModule
    part: Part
    lesson: Lesson | None
    narration: Narration | None
    prev_id: str | None = None
    next_id: str | None = None

    @property
    def id(self) -> str:
        return self.module.id


@dataclass(frozen=True)
class CourseIndex:
    syllabus: Syllabus
    entries: tuple[Entry, ...]  # every syllabus module, in order
    by_id: MappingProxyType  # id -> Entry, written lessons only

    @classmethod
    def build(cls, syllabus: Syllabus, lessons: dict, narrations: dict) -> "CourseIndex":
        """One pass over the syllabus order links each written lesson to its neighbours."""
        ordered = [(p, m) for p, m in syllabus.ordered()]
        written = [m.id for _, m in ordered if m.id in lessons]
        entries = []
        for part, module in ordered:
            lesson = lessons.get(module.id)
            prev_id = next_id = None
            if lesson is not None:
                pos = written.index(module.id)
                prev_id = written[pos - 1] if pos > 0 else None
                next_id = written[pos + 1] if pos + 1 < len(written) else None
            entries.append(Entry(module, part, lesson, narrations.get(module.id), prev_id, next_id))
        by_id = MappingProxyType({e.id: e for e in entries if e.lesson is not None})
        return cls(syllabus, tuple(entries), by_id)

    @property
    def lessons(self) -> list[Lesson]:
        return [e.lesson for e in self.entries if e.lesson is not None]

    def get(self, module_id: str) -> Entry | None:
        return self.by_id.get(module_id)

    def title_of(self, module_id: str) -> str:
        for e in self.entries:
            if e.id == module_id:
                return e.module.title
        return module_id

    @property
    def reading_minutes(self) -> int:
        return sum(lesson.meta.minutes for lesson in self.lessons)

    @property
    def listening_minutes(self) -> int:
        return round(sum(e.narration.duration_s for e in self.entries if e.narration) / 60)

    def part_minutes(self, number: int) -> int:
        return sum(e.lesson.meta.minutes for e in self.entries
                   if e.lesson and e.part.number == number)

    def practice_index(self) -> dict[str, dict]:
        """Every module's title and number of practice questions (for the review page)."""
        return {lesson.id: {"title": lesson.meta.title, "questions": len(lesson.meta.practice)}
                for lesson in self.lessons}

    def parts(self) -> list[tuple[Part, list[Entry]]]:
        return [(p, [e for e in self.entries if e.part.number == p.number])
                for p in self.syllabus.parts]
