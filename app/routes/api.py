"""JSON about the course: ``/api/modules`` and ``/api/modules/{id}``, and ``/healthz``."""

from fastapi import APIRouter
from pydantic import BaseModel

from app.content.index import Entry
from app.errors import AppError
from app.routes.deps import AppModels, Course

router = APIRouter(prefix="/api", tags=["course"])
MIB = 1024 * 1024


class ModuleSummary(BaseModel):
    id: str
    title: str
    tagline: str
    part: int
    part_title: str
    minutes: int
    prerequisites: list[str]
    widgets: list[str]
    has_audio: bool
    audio_seconds: float | None
    url: str


class ReferenceOut(BaseModel):
    title: str
    authors: str
    year: int
    arxiv: str | None
    url: str | None
    venue: str | None


class ModuleDetail(ModuleSummary):
    tags: list[str]
    references: list[ReferenceOut]
    word_count: int
    practice_count: int


class ErrorOut(BaseModel):
    error: str


def summary(entry: Entry) -> dict:
    meta = entry.lesson.meta
    return dict(
        id=meta.id, title=meta.title, tagline=meta.tagline, part=meta.part,
        part_title=entry.part.title, minutes=meta.minutes,
        prerequisites=list(meta.prerequisites), widgets=list(meta.widgets),
        has_audio=entry.narration is not None,
        audio_seconds=entry.narration.duration_s if entry.narration else None,
        url=entry.lesson.url,
    )


@router.get("/modules", response_model=list[ModuleSummary])
def list_modules(course: Course):
    """Every written module, in syllabus order."""
    return [summary(e) for e in course.entries if e.lesson is not None]


@router.get("/modules/{module_id}", response_model=ModuleDetail,
            responses={404: {"model": ErrorOut}})
def get_module(module_id: str, course: Course):
    """One module with its references, word count and number of practice questions."""
    entry = course.get(module_id)
    if entry is None:
        raise AppError(404, f"There is no module '{module_id[:20]}'.")
    meta = entry.lesson.meta
    refs = [ReferenceOut(title=r.title, authors=r.authors, year=r.year, arxiv=r.arxiv,
                         url=r.link, venue=r.venue) for r in meta.references]
    return ModuleDetail(**summary(entry), tags=list(meta.tags), references=refs,
                        word_count=entry.lesson.word_count, practice_count=len(meta.practice))


health = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str
    modules: int
    models_loaded: list[str]
    # Memory the loaded models' caches (traces, logits, results, sentences) hold now, and
    # the most they may hold: each cache is bounded by bytes.
    model_cache_mib: float
    model_cache_budget_mib: float


@health.get("/healthz", response_model=Health)
def healthz(course: Course, models: AppModels):
    """Liveness for containers and load balancers."""
    held, budget = models.cache_bytes()
    return Health(status="ok", modules=len(course.by_id), models_loaded=models.loaded(),
                  model_cache_mib=round(held / MIB, 1),
                  model_cache_budget_mib=round(budget / MIB, 1))
