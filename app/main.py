"""The app factory: ``create_app(settings)`` builds everything; nothing at import time."""

import contextlib
import logging
import threading

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from app.content.loader import load_course
from app.engine import Models
from app.engine.batching import BatchEngine
from app.engine.blas import pin_blas_threads
from app.errors import CatchUnexpected, install_error_handlers
from app.http import HeadAsGet, NegotiatedGZip
from app.middleware import LimitRequest, SecurityHeaders, documented
from app.practice.generators import registry as generators
from app.routes import api, audio, pages, practice, ready, stream, train, widgets
from app.routes import explore as explore_page
from app.routes.admission import TrainSlots, Watchers
from app.routes.deps import text_model
from app.routes.gate import ModelGate
from app.routes.model_work import ModelWork
from app.routes.page_store import page_store
from app.settings import Settings
from app.web import make_templates
from app.widgets import generate, registry


def batch_engine(settings: Settings, models: Models) -> BatchEngine:
    """The worker's continuous-batching engine for generate streams (its thread starts
    with the first stream)."""
    return BatchEngine(text_model(models), batch_size=settings.generate_batch_size,
                       queue_size=settings.generate_queue,
                       per_client=settings.generate_per_client,
                       prefill_chunk=settings.generate_prefill_chunk,
                       capacity=generate.MAX_PROMPT_TOKENS + generate.MAX_NEW_TOKENS)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Load and validate every lesson, then wire routes, templates and middleware.

    A broken lesson raises :class:`app.content.problems.LessonError` naming the
    file and field, so the server never starts with bad content.
    """
    settings = settings or Settings()
    pin_blas_threads(settings.blas_threads)  # however the server was started
    specs = registry()
    course = load_course(settings.lessons_dir, settings.audio_dir, specs)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.warm_models:  # both models in memory before this worker reports ready
            await run_in_threadpool(app.state.models.warm)
        for problem in app.state.models.problems():  # loudly at start-up, and on /readyz
            logging.getLogger("app").error(problem)
        if settings.warm_pages:  # render every page once, off the event loop
            threading.Thread(target=app.state.pages.warm, name="warm-pages",
                             daemon=True).start()
        yield
        await run_in_threadpool(app.state.generator.stop)  # ends after its current step

    app = FastAPI(
        lifespan=lifespan,
        title=f"{settings.course_title}: course API",
        description="The course's modules and the interactive widgets' JSON contracts.",
        version="1.0.0",
        redoc_url=None,
        docs_url=None,
    )
    # Every piece of app state, set here once; routes get each as a typed dependency
    # (app/routes/deps.py), never by reading app.state themselves.
    models, gate = Models(), ModelGate(settings.model_concurrency, settings.model_queue,
                                       settings.model_queue_timeout_s, settings.model_per_client)
    templates, practice_generators = make_templates(settings, {"widgets": specs}), generators()
    app.state.settings = settings
    app.state.course = course
    app.state.widgets = specs
    app.state.models = models
    app.state.model_gate = gate
    app.state.model_work = ModelWork(gate, settings.widget_threads)
    app.state.generator = batch_engine(settings, models)
    app.state.batch_watchers = Watchers(stream.MAX_MONITORS, stream.MONITOR_PERIOD_S / 2)
    app.state.train_slots = TrainSlots(settings.train_concurrency, settings.train_wait_s)
    app.state.templates = templates
    app.state.practice_generators = practice_generators
    app.state.pages = page_store(templates, course, specs, models, practice_generators)

    install_error_handlers(app, templates)
    app.router.redirect_slashes = False  # its redirect is absolute, from the Host header
    app.router.default = pages.trailing_slash_redirect(app.router, app.router.default)
    app.openapi = documented(app.openapi)  # LimitRequest's 414 and what fits in a URL
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(api.health)
    app.include_router(ready.router)
    app.include_router(widgets.build_router(specs))
    app.include_router(practice.router)
    app.include_router(audio.router)
    app.include_router(stream.router)  # SSE for the generate widget
    app.include_router(train.router)  # SSE for the train-gpt widget
    app.include_router(explore_page.router)  # /explore: the forward-pass explorer
    app.mount("/static", StaticFiles(directory=settings.static_dir), name="static")

    # Innermost, so a 500 gets every header below.
    app.add_middleware(CatchUnexpected, templates=templates)
    app.add_middleware(NegotiatedGZip)
    app.add_middleware(HeadAsGet)  # outside gzip: HEAD gets GET's encoding and length
    app.add_middleware(SecurityHeaders, embed_origins=settings.embed_origins)
    app.add_middleware(LimitRequest)
    return app
