"""``GET /readyz``: whether this worker can serve every widget (readiness), as opposed to
``/healthz`` (liveness: the process answers at all)."""

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.engine import PACKAGES
from app.engine.blas import blas_threads
from app.routes.deps import AppModels, AppSettings

router = APIRouter(tags=["operations"])


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    problems: list[str]  # one sentence per problem, with the command that fixes it
    models_loaded: list[str]
    blas_threads: int | None  # the BLAS thread pool the engine's NumPy runs with


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(models: AppModels, settings: AppSettings):
    """Readiness for load balancers: 503 while a model package is missing, or while the
    models load when warm start is on."""
    problems = models.problems()
    if not problems and settings.warm_models:
        problems += [f"The {title} model is still loading."
                     for name, (_, _, title) in PACKAGES.items() if name not in models.loaded()]
    body = Readiness(status="not ready" if problems else "ready", problems=problems,
                     models_loaded=models.loaded(), blas_threads=blas_threads())
    return JSONResponse(body.model_dump(), status_code=503 if problems else 200)
