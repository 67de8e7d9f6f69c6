"""Shared dependencies as ``Annotated`` aliases: one for every piece of ``app.state``.

:func:`app.main.create_app` puts each piece in ``app.state`` once; this module is the one
place that reads it back, so a route names what it needs by type (``models: AppModels``)
and never reaches into ``request.app.state``. The getters are ``async`` so that FastAPI
calls them on the event loop instead of sending each to a worker thread, and none takes a
parameter but the request: no dependency here adds a query parameter to a route.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from jinja2_fragments.fastapi import Jinja2Blocks

from app.clients import client_key
from app.content.index import CourseIndex
from app.engine import Models
from app.engine.batching import BatchEngine
from app.routes.admission import TrainSlots, Watchers
from app.routes.gate import ModelGate
from app.routes.model_work import ModelWork
from app.routes.page_store import PageStore
from app.settings import Settings
from app.widgets.base import WidgetSpec


def _state(name: str) -> Callable[[Request], Any]:
    """A getter for one piece of ``app.state`` (one callable per piece, so FastAPI caches
    each per request on its own)."""

    async def get(request: Request) -> Any:
        return getattr(request.app.state, name)

    get.__name__ = f"_{name}"
    return get


AppSettings = Annotated[Settings, Depends(_state("settings"))]
Course = Annotated[CourseIndex, Depends(_state("course"))]
Widgets = Annotated[dict[str, WidgetSpec], Depends(_state("widgets"))]  # widget name -> spec
AppModels = Annotated[Models, Depends(_state("models"))]  # the one owner of model memory
Gate = Annotated[ModelGate, Depends(_state("model_gate"))]
Work = Annotated[ModelWork, Depends(_state("model_work"))]
Batcher = Annotated[BatchEngine, Depends(_state("generator"))]  # the generate streams' engine
Monitors = Annotated[Watchers, Depends(_state("batch_watchers"))]
Slots = Annotated[TrainSlots, Depends(_state("train_slots"))]
Templates = Annotated[Jinja2Blocks, Depends(_state("templates"))]
Generators = Annotated[dict, Depends(_state("practice_generators"))]  # practice questions
Pages = Annotated[PageStore, Depends(_state("pages"))]


async def _client(request: Request, settings: AppSettings) -> str:
    return client_key(request, settings.client_ip_header)


Client = Annotated[str, Depends(_client)]  # who is asking, for per-client limits


def text_model(models: Models) -> Callable[[], Any]:
    """The loader of the model that writes text (the generate widget's streams and the
    batch engine): SmolLM2-135M. A loader, not the model: the first call loads it, which
    takes seconds and belongs in a worker thread."""
    return models.smollm2


async def _text_model(models: AppModels) -> Callable[[], Any]:
    return text_model(models)


TextModel = Annotated[Callable[[], Any], Depends(_text_model)]
