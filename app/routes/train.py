"""Server-Sent Events for the train-gpt widget: a real training run, reported as it goes.

``GET /api/stream/train-gpt`` is a ``text/event-stream`` of ``progress`` events (the loss
curve so far and the speed, every 10 steps), ``sample`` events (what the model writes,
every 100 steps) and one ``done`` event (how the run ended: finished, diverged at step k,
out of time). Each payload is an HTML snippet of ``templates/widgets/train-gpt.html``.

A run is bounded three ways: its parameters (the widget caps steps × batch × model size),
its wall time, and who may run: each client (:func:`app.clients.client_key`) has at most
one run at a time, each worker at most ``train_concurrency`` runs, and every run also
holds a slot of the model gate shared with the other model work. A client that
disconnects stops its run before the next step. When every slot is taken and the course
recorded the settings asked for (the presets), the recording is replayed instead.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from jinja2 import Environment
from jinja2_fragments import render_block
from starlette.concurrency import iterate_in_threadpool

from app.errors import AppError
from app.routes.admission import stream_holding
from app.routes.deps import AppSettings, Client, Gate, Slots, Templates
from app.widgets import train_gpt
from app.widgets.base import WidgetInputError

TEMPLATE = "widgets/train-gpt.html"
IID_PATTERN = r"^w-[A-Za-z0-9-]{1,60}$"
BLOCKS = {"progress": "stream_progress", "sample": "stream_sample", "done": "stream_done"}
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
REPLAY_INTERVAL_S = 0.15  # between replayed reports: a 400-step run replays in ~6 s
router = APIRouter(include_in_schema=False)
log = logging.getLogger("app")


def sse(event: str, html: str) -> str:
    """One SSE message; every line of the payload gets its own ``data:`` prefix."""
    data = "\n".join(f"data: {line}" for line in html.splitlines() or [""])
    return f"event: {event}\n{data}\n\n"


@router.get("/api/stream/train-gpt")
async def train_stream(request: Request, params: Annotated[train_gpt.Params, Query()],
                       settings: AppSettings, slots: Slots, gate: Gate, templates: Templates,
                       client: Client,
                       iid: Annotated[str, Query(pattern=IID_PATTERN)] = "w-train-gpt"):
    """``text/event-stream`` of ``progress`` and ``sample`` events, then ``done``."""
    try:
        train_gpt.check(params)
    except WidgetInputError as exc:
        raise AppError(422, str(exc)) from None
    env = templates.env
    try:
        stop = await slots.acquire(client)
        try:  # a run holds one of the model scheduler's slots too: 429/503 when busy
            ticket = await gate.enter(client)
        except AppError:
            slots.release(client, stop)
            raise
    except AppError as exc:
        # Busy (or this address already training: a classroom behind one NAT address),
        # but the course recorded these settings (a preset): a seed fixes the run, so the
        # recording is the run asked for. Replaying it costs no training slot, so a whole
        # class pressing Train on a lesson's preset all see it.
        if exc.status not in (429, 503) or train_gpt.recorded(params) is None:
            raise
        return _replay(request, params, iid, env)

    def release() -> None:  # both slots
        gate.exit(ticket)
        slots.release(client, stop)

    async def events() -> AsyncIterator[str]:
        run = train_gpt.run_events(params, stop.is_set, settings.train_max_seconds)
        try:
            async for kind, item in iterate_in_threadpool(run):
                if await request.is_disconnected():
                    return
                yield sse(kind, render_block(env, TEMPLATE, BLOCKS[kind], item=item, iid=iid))
        except Exception:  # never leave the page waiting: say so, then close the stream
            log.exception("training stream failed")
            yield sse("done", render_block(env, TEMPLATE, "stream_failed"))

    return stream_holding(events(), release, HEADERS)


def _replay(request: Request, params: train_gpt.Params, iid: str, env: Environment
            ) -> StreamingResponse:
    """The recording of these settings as a stream, paced like a run but lighter."""

    async def events() -> AsyncIterator[str]:
        for kind, item in train_gpt.replay_events(params):
            if await request.is_disconnected():
                return
            yield sse(kind, render_block(env, TEMPLATE, BLOCKS[kind], item=item, iid=iid))
            if kind == "progress":
                await asyncio.sleep(REPLAY_INTERVAL_S)

    return StreamingResponse(events(), media_type="text/event-stream", headers=HEADERS)
