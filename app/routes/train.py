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
import threading
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from jinja2_fragments import render_block
from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool

from app.clients import client_key
from app.errors import AppError
from app.routes.gate import RETRY_AFTER_S
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


class TrainSlots:
    """Who may train now: one run per client, ``slots`` runs per worker.

    A client that starts a run while its previous one is still winding down (the page
    replaced it) waits up to ``wait_s`` for it to end; anyone else finding every slot
    taken waits as long, then gets 503."""

    def __init__(self, slots: int, wait_s: float) -> None:
        self._semaphore = asyncio.Semaphore(slots)
        self._wait_s = wait_s
        self._clients: dict[str, threading.Event] = {}

    async def acquire(self, client: str) -> threading.Event:
        """A stop flag for the new run, or a 429/503 AppError."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_s
        while client in self._clients:
            if loop.time() > deadline:
                raise AppError(429, "You already have a training run going; wait for it to "
                                    "finish or close its page.", {"Retry-After": RETRY_AFTER_S})
            await asyncio.sleep(0.05)
        stop = threading.Event()
        self._clients[client] = stop  # claimed before waiting: one run per client
        try:
            await asyncio.wait_for(self._semaphore.acquire(), max(0.0, deadline - loop.time()))
        except TimeoutError:
            del self._clients[client]
            raise AppError(503, "Every training slot on this server is in use; try again in "
                                "a few seconds.", {"Retry-After": RETRY_AFTER_S}) from None
        return stop

    def release(self, client: str, stop: threading.Event) -> None:
        stop.set()  # a thread still inside a step stops at the next one
        if self._clients.get(client) is stop:
            del self._clients[client]
        self._semaphore.release()


@router.get("/api/stream/train-gpt")
async def train_stream(request: Request, params: Annotated[train_gpt.Params, Query()],
                       iid: Annotated[str, Query(pattern=IID_PATTERN)] = "w-train-gpt"):
    """``text/event-stream`` of ``progress`` and ``sample`` events, then ``done``."""
    try:
        train_gpt.check(params)
    except WidgetInputError as exc:
        raise AppError(422, str(exc)) from None
    settings = request.app.state.settings
    slots: TrainSlots = request.app.state.train_slots
    client = client_key(request)
    gate = request.app.state.model_gate
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
        return _replay(request, params, iid)
    released = False

    def release() -> None:
        """Give both slots back exactly once: when the stream ends, or after the response
        if the stream never started (the client left first)."""
        nonlocal released
        if not released:
            released = True
            gate.exit(ticket)
            slots.release(client, stop)

    env = request.app.state.templates.env

    async def events() -> AsyncIterator[str]:
        run = train_gpt.run_events(params, stop.is_set, settings.train_max_seconds)
        try:
            try:
                async for kind, item in iterate_in_threadpool(run):
                    if await request.is_disconnected():
                        return
                    yield sse(kind, render_block(env, TEMPLATE, BLOCKS[kind], item=item,
                                                 iid=iid))
            except Exception:  # never leave the page waiting: say so, then close the stream
                log.exception("training stream failed")
                yield sse("done", render_block(env, TEMPLATE, "stream_failed"))
        finally:
            release()

    return StreamingResponse(events(), media_type="text/event-stream", headers=HEADERS,
                             background=BackgroundTask(release))


def _replay(request: Request, params: train_gpt.Params, iid: str) -> StreamingResponse:
    """The recording of these settings as a stream, paced like a run but lighter."""
    env = request.app.state.templates.env

    async def events() -> AsyncIterator[str]:
        for kind, item in train_gpt.replay_events(params):
            if await request.is_disconnected():
                return
            yield sse(kind, render_block(env, TEMPLATE, BLOCKS[kind], item=item, iid=iid))
            if kind == "progress":
                await asyncio.sleep(REPLAY_INTERVAL_S)

    return StreamingResponse(events(), media_type="text/event-stream", headers=HEADERS)
