"""How a widget request gets its answer without wasting anyone's CPU.

1. **Held answers first.** The widget runs *cached-only* in a small thread pool: if the
   engines already hold what it needs (the lesson's default prompt, a repeated request),
   it answers at once and never queues for a model slot (:mod:`app.engine.work`).
2. **Identical requests share one computation.** Thirty learners who click the same
   "try this prompt" link at once wait for one run instead of taking thirty slots.
3. **Otherwise it queues** for a model slot (:class:`app.routes.gate.ModelGate`: bounded
   line, per-client limit, 503 beyond).
4. **Abandoned work stops.** When every request waiting for a computation has gone
   (htmx replaced it with a newer slider value, the tab closed), the work stops at the
   engine's next layer or token, and work still in line never starts.

Pure-maths widgets, cached answers and fragment rendering run in the same bounded thread
pool (``settings.widget_threads``), never on the event loop that serves every page; a
rendered fragment is kept (by bytes) for the next request with the same parameters.
"""

import asyncio
import contextlib
import sys
import threading
from collections.abc import AsyncIterator, Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from app.engine import work
from app.engine.common import LRU
from app.errors import AppError
from app.routes.gate import GONE, ModelGate

FRAGMENT_CACHE_BYTES = 8 * 1024 * 1024  # a result block is a few KB to a few hundred KB


@contextlib.asynccontextmanager
async def departure(request: Request) -> AsyncIterator[asyncio.Event]:
    """An event set when the client disconnects (for a GET, the only message left to
    receive after its empty body is ``http.disconnect``)."""
    gone = asyncio.Event()

    async def watch() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass
        gone.set()

    watcher = asyncio.create_task(watch())
    try:
        yield gone
    finally:
        watcher.cancel()


@dataclass(eq=False)
class Flight:
    """One computation in progress and the requests waiting for its answer."""

    answer: asyncio.Future
    watchers: int = 0
    gone: asyncio.Event = field(default_factory=asyncio.Event)  # nobody wants it any more
    stop: threading.Event = field(default_factory=threading.Event)  # the same, for the thread

    def join(self) -> None:
        self.watchers += 1

    def leave(self) -> None:
        self.watchers -= 1
        if self.watchers == 0:
            self.gone.set()
            self.stop.set()


def _retry_after_leader_failed(exc: BaseException) -> bool:
    """A follower tries again itself when the leader's failure was the leader's own
    (it left, its client hit a limit, the line was full) rather than the input's."""
    return isinstance(exc, work.Cancelled) or (isinstance(exc, AppError) and exc.status in
                                               (429, 499, 503))


class ModelWork:
    """One per app: the model gate, the computations in flight, the small thread pool."""

    def __init__(self, gate: ModelGate, threads: int) -> None:
        self.gate = gate
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="widget")
        self._flights: dict[Hashable, Flight] = {}
        # Rendered result blocks by (widget, parameters, instance): the same every time.
        self.fragments = LRU(4096, FRAGMENT_CACHE_BYTES, sys.getsizeof)
        self._rendering: dict[Hashable, asyncio.Future] = {}

    async def light(self, fn: Callable[[], Any]) -> Any:
        """Run quick work (maths widgets, cached answers, rendering) off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn)

    async def render(self, key: Hashable, fn: Callable[[], str]) -> str:
        """``fn()`` (a result block's HTML) once per key: kept for later requests, and
        shared by requests that ask at the same moment."""
        html = self.fragments.get(key)
        if html is not None:
            return html
        pending = self._rendering.get(key)
        if pending is None:
            pending = self._rendering[key] = asyncio.ensure_future(self.light(fn))
            pending.add_done_callback(lambda f: self._rendered(key, f))
        return await asyncio.shield(pending)

    def _rendered(self, key: Hashable, done: asyncio.Future) -> None:
        del self._rendering[key]
        if not done.cancelled() and done.exception() is None:
            self.fragments.put(key, done.result())

    async def answer(self, key: Hashable, client: str, gone: asyncio.Event,
                     compute: Callable[[], Any]) -> Any:
        """``compute()``'s result: held, shared with an identical request, or computed."""
        def cached() -> Any:
            with work.limited(cached_only=True):
                return compute()

        with contextlib.suppress(work.NotCached):
            return await self.light(cached)
        while True:
            flight = self._flights.get(key)
            if flight is None or flight.gone.is_set():  # none, or one everyone has left
                return await self._lead(key, client, gone, compute)
            try:
                return await self._follow(flight, gone)
            except (work.Cancelled, AppError) as exc:
                if gone.is_set() or not _retry_after_leader_failed(exc):
                    raise
                # the leader left or was refused: run it ourselves (or join the next one)

    async def _watch(self, flight: Flight, gone: asyncio.Event) -> None:
        await gone.wait()
        flight.leave()

    async def _follow(self, flight: Flight, gone: asyncio.Event) -> Any:
        flight.join()
        leaving = asyncio.create_task(gone.wait())
        try:
            await asyncio.wait([flight.answer, leaving], return_when=asyncio.FIRST_COMPLETED)
        finally:
            leaving.cancel()
            flight.leave()
        if gone.is_set():
            raise AppError(499, GONE)
        if flight.answer.cancelled():
            raise work.Cancelled
        return flight.answer.result()

    async def _lead(self, key: Hashable, client: str, gone: asyncio.Event,
                    compute: Callable[[], Any]) -> Any:
        if gone.is_set():
            raise AppError(499, GONE)
        flight = Flight(asyncio.get_running_loop().create_future())
        flight.answer.add_done_callback(lambda f: f.cancelled() or f.exception())  # no warning
        flight.join()
        self._flights[key] = flight
        watcher = asyncio.create_task(self._watch(flight, gone))

        def limited() -> Any:
            with work.limited(gone=flight.stop):
                return compute()

        try:
            async with self.gate.admit(client, flight.gone):
                result = await run_in_threadpool(limited)
        except asyncio.CancelledError:
            flight.answer.cancel()
            raise
        except Exception as exc:
            flight.answer.set_exception(exc)
            raise
        else:
            flight.answer.set_result(result)
            return result
        finally:
            watcher.cancel()
            if self._flights.get(key) is flight:
                del self._flights[key]


async def answer_for(request: Request, runner: ModelWork, client: str, key: Hashable,
                     compute: Callable[[], Any]) -> Any:
    """``compute()`` for a request outside the widget routes (a playground or embed page
    opened with parameters, the explorer page) on the same terms as a widget: a held
    answer at once, identical requests shared, a learner who leaves stops it. ``runner``
    and ``client`` are the route's ``Work`` and ``Client`` dependencies."""
    try:
        async with departure(request) as gone:
            return await runner.answer(key, client, gone, compute)
    except work.Cancelled:
        raise AppError(499, GONE) from None
