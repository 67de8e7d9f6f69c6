"""Admission for model work: how many requests compute at once per worker, who waits in
line, and who is told to come back later.

At most ``slots`` requests compute at a time. Up to ``queue`` more wait in line (a client
can ask its place: :meth:`ModelGate.position`) for at most ``timeout_s``; beyond that a
request gets 503 with ``Retry-After`` at once. One client (see :mod:`app.clients`) may have
at most ``per_client`` requests running or waiting; more get 429. When a slot frees, it
goes to a waiting request of the client with the fewest requests running and, among those,
the client served longest ago (round robin), so a client that fills the line cannot keep a
newcomer waiting behind all of it. A request whose client leaves while it waits gives up
its place before any work starts.

Answers the engines already hold never come here (see :mod:`app.routes.model_work`).
"""

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

from app.errors import AppError

RETRY_AFTER_S = "2"
BUSY = "The model is busy with other requests; try again in a moment."
GONE = "The request was replaced by a newer one, or its page was closed."
ANONYMOUS = ""  # callers that name no client share no per-client limit


def too_many(limit: int) -> str:
    return (f"You already have {limit} model requests running or waiting (the limit per "
            "learner); wait for them to finish, then try again.")


@dataclass(eq=False)
class Ticket:
    """One request's place: waiting until ``granted`` is done, then running."""

    client: str
    granted: asyncio.Future


class ModelGate:
    def __init__(self, slots: int, queue: int, timeout_s: float, per_client: int = 0) -> None:
        self.slots = slots
        self.queue = queue
        self.timeout_s = timeout_s
        self.per_client = per_client  # 0: no per-client limit
        self._running: Counter[str] = Counter()  # client -> requests computing
        self._held: Counter[str] = Counter()  # client -> requests computing or waiting
        self._waiting: list[Ticket] = []  # in arrival order
        self._anonymous: list[Ticket] = []  # tickets taken by acquire(), for release()
        self._grants = 0
        self._served: dict[str, int] = {}  # client -> number of its latest grant

    @property
    def running(self) -> int:
        return sum(self._running.values())

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def line(self) -> list[str]:
        """The clients waiting, first in line first."""
        return [t.client for t in self._waiting]

    def position(self, client: str) -> int:
        """Where ``client``'s first waiting request stands: 1 for the next in line, 2 for
        the one after …; 0 when it has none waiting (running, or gone)."""
        return next((i for i, t in enumerate(self._waiting, 1) if t.client == client), 0)

    def _busy(self) -> AppError:
        return AppError(503, BUSY, {"Retry-After": RETRY_AFTER_S})

    def _start(self, ticket: Ticket) -> None:
        self._running[ticket.client] += 1
        self._grants += 1
        self._served[ticket.client] = self._grants
        ticket.granted.set_result(None)

    def _grant_next(self) -> None:
        """Fill free slots: clients with the fewest running first, then the client served
        longest ago, then the oldest request (``min`` keeps the first of equals)."""
        while self._waiting and self.running < self.slots:
            ticket = min(self._waiting, key=lambda t: (self._running[t.client],
                                                       self._served.get(t.client, 0)))
            self._waiting.remove(ticket)
            self._start(ticket)

    def _leave(self, ticket: Ticket) -> None:
        """Give back a running ticket's slot, or a waiting ticket's place in line."""
        if ticket in self._waiting:
            self._waiting.remove(ticket)
        elif ticket.granted.done():
            self._running[ticket.client] -= 1
            self._running += Counter()  # drop clients with nothing running
        self._held[ticket.client] -= 1
        self._held += Counter()
        if ticket.client not in self._held:
            self._served.pop(ticket.client, None)  # only clients with requests are tracked
        self._grant_next()

    async def enter(self, client: str = ANONYMOUS, gone: asyncio.Event | None = None) -> Ticket:
        """Take a slot now, or wait in line for one; raise AppError 429 (this client's limit),
        503 (line full, or waited ``timeout_s``) or 499 (``gone`` was set while waiting)."""
        if self.per_client and client and self._held[client] >= self.per_client:
            raise AppError(429, too_many(self.per_client), {"Retry-After": "1"})
        ticket = Ticket(client, asyncio.get_running_loop().create_future())
        if self.running < self.slots and not self._waiting:
            self._held[client] += 1
            self._start(ticket)
            return ticket
        if len(self._waiting) >= self.queue:
            raise self._busy()
        self._held[client] += 1
        self._waiting.append(ticket)
        watch = asyncio.ensure_future(gone.wait()) if gone is not None else None
        try:
            await asyncio.wait([ticket.granted, *([watch] if watch else [])],
                               timeout=self.timeout_s, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            self._leave(ticket)  # cancelled (server stopping): give the place or slot back
            raise
        finally:
            if watch is not None:
                watch.cancel()
        if ticket.granted.done() and not (gone is not None and gone.is_set()):
            return ticket
        self._leave(ticket)
        raise AppError(499, GONE) if gone is not None and gone.is_set() else self._busy()

    def exit(self, ticket: Ticket) -> None:
        self._leave(ticket)

    @contextlib.asynccontextmanager
    async def admit(self, client: str = ANONYMOUS,
                    gone: asyncio.Event | None = None) -> AsyncIterator[Ticket]:
        """``async with gate.admit(client, gone):`` run while holding a slot."""
        ticket = await self.enter(client, gone)
        try:
            yield ticket
        finally:
            self.exit(ticket)

    # The plain form, for callers that need no client and no departure check.
    async def acquire(self) -> None:
        self._anonymous.append(await self.enter())

    def release(self) -> None:
        self.exit(self._anonymous.pop())

    async def __aenter__(self) -> "ModelGate":
        await self.acquire()
        return self

    async def __aexit__(self, *exc) -> None:
        self.release()
