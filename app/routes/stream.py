"""Server-Sent Events: the generate widget's tokens, and module 34's view of the batch engine.

``GET /widgets/generate/live`` renders the run's container (htmx's sse extension then opens
the stream); ``GET /api/stream/generate`` is the ``text/event-stream`` itself: ``status``
events while the run waits for a place in the batch ("you are 3rd in line"), one ``token``
event per token (an HTML snippet), then one ``done`` event with the run's summary.
Runs join the worker's batch engine (``app/engine/batching.py``); with
``generate_batching`` off, or without the KV cache, a run computes alone in a worker thread
under the model gate instead.

``GET /api/stream/batching`` sends module 34's monitor a snapshot of the engine twice a
second: batch size, queue, tokens per second and which anonymous requests were in each step.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from jinja2 import Environment
from jinja2_fragments import render_block
from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from app.engine import Models
from app.engine.batching import BatchEngine, ClientLimit, Full
from app.errors import AppError
from app.routes.admission import stream_holding
from app.routes.deps import (
    AppModels,
    AppSettings,
    Batcher,
    Client,
    Gate,
    Monitors,
    Templates,
    TextModel,
)
from app.routes.gate import ModelGate
from app.widgets import generate, server_batching
from app.widgets.base import WidgetInputError

TEMPLATE = "widgets/generate.html"
MONITOR_TEMPLATE = "widgets/server-batching.html"
RETRY_AFTER_S = "5"
FULL = ("The server is already generating for {n} learners and {q} more are waiting; "
        "try again in a few seconds.")
TOO_MANY = ("You already have {n} generations running or waiting; let one finish (or close "
            "its tab) before starting another.")
MONITOR_PERIOD_S = 0.5
# A monitor stream closes after this long; the browser's EventSource reconnects by itself,
# so an open tab keeps its view while no connection lives forever.
MONITOR_MAX_S = 300
MAX_MONITORS = 100  # open feeds per worker (they share one render per period)
router = APIRouter(include_in_schema=False)
log = logging.getLogger("app")
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def sse(event: str, html: str) -> str:
    """One SSE message; every line of the payload gets its own ``data:`` prefix."""
    data = "\n".join(f"data: {line}" for line in html.splitlines() or [""])
    return f"event: {event}\n{data}\n\n"


async def _check(params: generate.Params, load_model: Callable[[], Any]) -> list[int]:
    """Tokenize and range-check in a thread (the first call loads the model); 422 if bad."""
    try:
        return await run_in_threadpool(lambda: generate.check(params, load_model()))
    except WidgetInputError as exc:
        raise AppError(422, str(exc)) from None


@router.get("/widgets/generate/live", response_class=HTMLResponse)
async def generate_live(request: Request, params: Annotated[generate.Params, Query()],
                        templates: Templates, load_model: TextModel):
    """The container for one streamed run; its ``sse-connect`` URL carries the same params."""
    await _check(params, load_model)
    return templates.TemplateResponse(request, TEMPLATE, {"params": params}, block_name="live")


@router.get("/api/stream/generate")
async def generate_stream(request: Request, params: Annotated[generate.Params, Query()],
                          settings: AppSettings, load_model: TextModel, engine: Batcher,
                          gate: Gate, models: AppModels, templates: Templates, client: Client):
    """``text/event-stream`` of ``status`` (place in line), ``token`` events, then ``done``;
    429 when this client already has its share of streams, 503 when batch and queue are full."""
    ids = await _check(params, load_model)
    if settings.generate_batching and params.kv_cache:
        return await _batched_stream(params, ids, engine, templates.env, load_model(),
                                     client)
    return await _gated_stream(request, params, gate, models, templates.env)


async def _batched_stream(params: generate.Params, ids: list[int], engine: BatchEngine,
                          env: Environment, model: Any, client: str) -> StreamingResponse:
    """Join the worker's batch engine with ``model`` (loaded by :func:`_check`). Its events
    are rendered to SSE text on the engine's thread, so the event loop that serves every
    page only forwards finished messages."""
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[str | None] = asyncio.Queue()  # None: the stream is over
    waited = False

    def render(block: str, **context) -> str:
        return render_block(env, TEMPLATE, block, params=params, **context)

    def message(kind: str, item) -> str:
        nonlocal waited
        if kind == "waiting":
            waited = True
            return sse("status", render("stream_waiting", place=item,
                                        batch_size=engine.batch_size))
        if kind == "started":  # clear the place-in-line message, if there was one
            return sse("status", "") if waited else ""
        if kind == "token":
            return sse("token", render("stream_token", item=item))
        return sse("done", render("stream_done" if kind == "done" else "stream_failed",
                                  item=item))

    def send(item) -> None:  # on the engine thread
        kind, value = item
        loop.call_soon_threadsafe(inbox.put_nowait, message(kind, value))
        if kind in ("done", "failed"):
            loop.call_soon_threadsafe(inbox.put_nowait, None)

    try:
        ticket = engine.submit(generate.batched_job(params, ids, model, send, client))
    except ClientLimit:
        raise AppError(429, TOO_MANY.format(n=engine.per_client),
                       {"Retry-After": RETRY_AFTER_S}) from None
    except Full:
        raise AppError(503, FULL.format(n=engine.batch_size, q=engine.queue_size),
                       {"Retry-After": RETRY_AFTER_S}) from None

    async def events() -> AsyncIterator[str]:
        try:  # however the stream ends (client gone included), the ticket leaves the engine
            while (text := await inbox.get()) is not None:
                if text:
                    yield text
        finally:
            engine.cancel(ticket)

    return StreamingResponse(events(), media_type="text/event-stream", headers=STREAM_HEADERS,
                             background=BackgroundTask(engine.cancel, ticket))


async def _gated_stream(request: Request, params: generate.Params, gate: ModelGate,
                        models: Models, env: Environment) -> StreamingResponse:
    """The run computed alone in a worker thread, holding a model-gate slot throughout."""
    await gate.acquire()  # 503 when busy

    async def events() -> AsyncIterator[str]:
        try:
            async for kind, item in iterate_in_threadpool(generate.run_events(params, models)):
                if await request.is_disconnected():
                    return
                block = "stream_token" if kind == "token" else "stream_done"
                yield sse(kind, render_block(env, TEMPLATE, block, item=item, params=params))
        except Exception:  # never leave the page waiting: say so, then close the stream
            log.exception("generation stream failed")
            yield sse("done", render_block(env, TEMPLATE, "stream_failed", params=params))

    return stream_holding(events(), gate.release, STREAM_HEADERS)


@router.get("/api/stream/batching")
async def batching_stream(params: Annotated[server_batching.Params, Query()],
                          watchers: Monitors, engine: Batcher, templates: Templates,
                          settings: AppSettings):
    """Module 34's monitor: a ``snapshot`` event every half second (read-only, anonymous)."""
    if not watchers.enter():
        raise AppError(503, "Too many monitors are open on this server; try again later.",
                       {"Retry-After": RETRY_AFTER_S})
    env, enabled = templates.env, settings.generate_batching

    def render() -> str:
        view = server_batching.view(engine.snapshot(), params.window_s, enabled)
        return sse("snapshot", render_block(env, MONITOR_TEMPLATE, "snapshot", view=view))

    async def events() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + MONITOR_MAX_S
        try:
            while loop.time() < deadline:
                yield watchers.message(params.window_s, loop.time(), render)
                await asyncio.sleep(MONITOR_PERIOD_S)
        finally:
            watchers.leave()

    return StreamingResponse(events(), media_type="text/event-stream", headers=STREAM_HEADERS)
