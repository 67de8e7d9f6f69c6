"""Admission for the long-lived streams: who may train now (:class:`TrainSlots`), how
many batch monitors are open (:class:`Watchers`), and a stream that gives back what it
holds exactly once (:func:`stream_holding`).

Each app holds one of each (one per worker), which routes get as typed dependencies
(:mod:`app.routes.deps`); they sit here, not next to their routes, so that ``deps`` can
name their types without importing a router.
"""

import asyncio
import threading
from collections.abc import AsyncIterator, Callable

from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from app.errors import AppError
from app.routes.gate import RETRY_AFTER_S


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


class Watchers:
    """The open monitor streams (event loop only, so no lock): at most ``limit``, and one
    rendered snapshot per timeline length shared by all of them for ``fresh_s``."""

    def __init__(self, limit: int, fresh_s: float) -> None:
        self.limit, self.count, self.fresh_s = limit, 0, fresh_s
        self._latest: dict[int, tuple[float, str]] = {}  # window_s -> (when, SSE message)

    def enter(self) -> bool:
        if self.count >= self.limit:
            return False
        self.count += 1
        return True

    def leave(self) -> None:
        self.count -= 1

    def message(self, window_s: int, now: float, render: Callable[[], str]) -> str:
        """The latest snapshot for this window, rendered again only when it is stale."""
        when, text = self._latest.get(window_s, (-self.fresh_s, ""))
        if now - when >= self.fresh_s:
            when, text = now, render()
            self._latest[window_s] = (when, text)
        return text


def stream_holding(events: AsyncIterator[str], release: Callable[[], None],
                   headers: dict[str, str]) -> StreamingResponse:
    """An SSE response of ``events`` that calls ``release`` exactly once: when the stream
    ends however it ends (the client gone included), or after the response if the stream
    never started (the client left first)."""
    released = False

    def release_once() -> None:
        nonlocal released
        if not released:
            released = True
            release()

    async def held() -> AsyncIterator[str]:
        try:
            async for message in events:
                yield message
        finally:
            release_once()

    return StreamingResponse(held(), media_type="text/event-stream", headers=headers,
                             background=BackgroundTask(release_once))
