"""The app factory: ``create_app(settings)`` builds everything; nothing at import time."""

import contextlib
import threading

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.content.loader import load_course
from app.engine import Models
from app.errors import install_error_handlers
from app.http import HeadAsGet, NegotiatedGZip
from app.middleware import LimitRequest, SecurityHeaders
from app.routes import api, audio, pages, stream, widgets
from app.routes.gate import ModelGate
from app.settings import Settings
from app.web import make_templates
from app.widgets import registry


def create_app(settings: Settings | None = None) -> FastAPI:
    """Load and validate every lesson, then wire routes, templates and middleware.

    A broken lesson raises :class:`app.content.problems.LessonError` naming the
    file and field, so the server never starts with bad content.
    """
    settings = settings or Settings()
    specs = registry()
    course = load_course(settings.lessons_dir, settings.audio_dir, specs)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.warm_pages:  # render every page once, off the event loop
            threading.Thread(target=app.state.pages.warm, name="warm-pages",
                             daemon=True).start()
        yield

    app = FastAPI(
        lifespan=lifespan,
        title=f"{settings.course_title}: course API",
        description="The course's modules and the interactive widgets' JSON contracts.",
        version="1.0.0",
        redoc_url=None,
        docs_url=None,
    )
    app.state.settings = settings
    app.state.course = course
    app.state.widgets = specs
    app.state.models = Models()
    app.state.model_gate = ModelGate(settings.model_concurrency, settings.model_queue,
                                     settings.model_queue_timeout_s)
    app.state.templates = make_templates(settings, {"widgets": specs})
    app.state.pages = pages.page_store(app.state.templates, course, specs, app.state.models)

    install_error_handlers(app)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(api.health)
    app.include_router(widgets.build_router(specs))
    app.include_router(audio.router)
    app.include_router(stream.router)  # SSE for the generate widget
    app.mount("/static", StaticFiles(directory=settings.static_dir), name="static")

    app.add_middleware(NegotiatedGZip)
    app.add_middleware(HeadAsGet)  # outside gzip: HEAD gets GET's encoding and length
    app.add_middleware(SecurityHeaders, embed_origins=settings.embed_origins)
    app.add_middleware(LimitRequest)
    return app
