"""Server-Sent Events for the generate widget: each token is sent the moment it exists.

``GET /widgets/generate/live`` renders the run's container (htmx's sse extension then opens
the stream); ``GET /api/stream/generate`` is the ``text/event-stream`` itself: one ``token``
event per token (an HTML snippet), then one ``done`` event with the run's summary.
Generation runs in a worker thread under the app's model concurrency cap.
"""

import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from jinja2_fragments import render_block
from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from app.errors import AppError
from app.routes.deps import Templates
from app.widgets import generate
from app.widgets.base import WidgetInputError

TEMPLATE = "widgets/generate.html"
router = APIRouter(include_in_schema=False)
log = logging.getLogger("app")


def sse(event: str, html: str) -> str:
    """One SSE message; every line of the payload gets its own ``data:`` prefix."""
    data = "\n".join(f"data: {line}" for line in html.splitlines() or [""])
    return f"event: {event}\n{data}\n\n"


async def _check(request: Request, params: generate.Params) -> None:
    """Tokenize and range-check in a thread (the first call loads the model); 422 if bad."""
    models = request.app.state.models
    try:
        await run_in_threadpool(lambda: generate.check(params, models.smollm2()))
    except WidgetInputError as exc:
        raise AppError(422, str(exc)) from None


@router.get("/widgets/generate/live", response_class=HTMLResponse)
async def generate_live(request: Request, params: Annotated[generate.Params, Query()],
                        templates: Templates):
    """The container for one streamed run; its ``sse-connect`` URL carries the same params."""
    await _check(request, params)
    return templates.TemplateResponse(request, TEMPLATE, {"params": params}, block_name="live")


@router.get("/api/stream/generate")
async def generate_stream(request: Request, params: Annotated[generate.Params, Query()]):
    """``text/event-stream`` of ``token`` events then ``done``; 503 when the model is busy."""
    await _check(request, params)
    gate = request.app.state.model_gate
    await gate.acquire()  # 503 when busy
    released = False

    def release() -> None:
        """Give the slot back exactly once: when the stream ends, or after the response
        if the stream never started (the client left first)."""
        nonlocal released
        if not released:
            released = True
            gate.release()

    env = request.app.state.templates.env
    models = request.app.state.models

    async def events() -> AsyncIterator[str]:
        try:  # the slot is released however the stream ends, client gone included
            try:
                async for kind, item in iterate_in_threadpool(generate.run_events(params, models)):
                    if await request.is_disconnected():
                        return
                    block = "stream_token" if kind == "token" else "stream_done"
                    yield sse(kind, render_block(env, TEMPLATE, block, item=item, params=params))
            except Exception:  # never leave the page waiting: say so, then close the stream
                log.exception("generation stream failed")
                yield sse("done", render_block(env, TEMPLATE, "stream_failed", params=params))
        finally:
            release()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
                             background=BackgroundTask(release))
