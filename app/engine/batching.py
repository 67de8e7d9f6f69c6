"""Continuous batching: concurrent generations share SmolLM2's decode steps.

One :class:`BatchEngine` per worker runs one loop on its own thread (Orca's
iteration-level scheduling, with Sarathi-style chunked prefill)::

    while there is work:
        drop the sequences whose clients have left
        admit waiting requests into free slots (they start prefilling)
        one step = every decoding sequence's last token + prompt chunks of the newcomers,
                   at most ``prefill_chunk`` prompt tokens, all in one forward pass
        each sequence with new logits picks its next token with its own sampler
        finished sequences leave at once; their slots are free for the next step

A request that finds every slot busy waits in a bounded queue and is told its place in
line; beyond that :class:`Full` is raised (the route answers 503). Each request brings its
own ``pick`` (greedy, or sampling with its own seeded RNG), so its tokens are those it would
get running alone. The single-sequence path in ``smollm2.py`` is untouched: lessons use it.
"""

import itertools
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from app.engine.batch_forward import CachePool, PromptCache, Row, SlotCache, forward_step
from app.engine.smollm2 import SmolLM2

log = logging.getLogger("app")
PROMPTS_HELD = 8  # recent prompts whose prefill is reused (≤ 24 MB, see PromptCache)
HISTORY_S = 30.0  # steps kept for the monitor's timeline and the tokens/s figure
RATE_WINDOW_S = 5.0  # tokens per second are averaged over this many seconds


class Full(Exception):
    """Every slot and every place in the queue is taken."""


class ClientLimit(Exception):
    """This client already has as many streams as it may."""


# -- what the engine tells a request, on the engine's thread -----------------------------------
@dataclass(frozen=True)
class Waiting:
    position: int  # 1 = next to start


@dataclass(frozen=True)
class Started:
    pass


@dataclass(frozen=True)
class Token:
    index: int  # 0 = first new token
    token: int
    logits: np.ndarray  # (vocab,), the distribution it was picked from
    ms: float  # wall time since the previous token (the first: since the request started)


@dataclass(frozen=True)
class Finished:
    reason: str  # "length", "stop" (an end-of-text token) or "error"


Event = Waiting | Started | Token | Finished


@dataclass
class Job:
    """One generation request: a prompt, a budget, and how to pick and deliver tokens."""

    prompt: list[int]
    max_new_tokens: int
    pick: Callable[[np.ndarray], int]  # logits (vocab,) → next id; owns the request's RNG
    deliver: Callable[[Event], None]  # called on the engine thread; must not block
    client: str = ""


@dataclass(eq=False)
class Ticket:
    """A job inside the engine: its slot, how much of its prompt is in the cache, its output."""

    job: Job
    number: int  # anonymous, for the monitor: #1, #2, … in order of arrival
    cancelled: bool = False
    cache: SlotCache | None = None
    fed: int = 0  # prompt tokens already in the cache
    ready: np.ndarray | None = None  # first-token logits when the prompt cache held it
    produced: int = 0
    last_token: int = -1
    last_time: float = 0.0
    position: int = 0  # place in the queue last told to the client (0: not waiting)

    @property
    def decoding(self) -> bool:
        return self.produced > 0


@dataclass(frozen=True)
class StepRecord:
    """One forward pass, for the monitor: when it ended, how long it took, who was in it."""

    end: float  # time.monotonic()
    ms: float
    decoding: tuple[int, ...]  # ticket numbers that got a token
    prefilling: tuple[int, ...]  # ticket numbers whose prompt went through (in part)


@dataclass(frozen=True)
class Snapshot:
    now: float
    running: int
    waiting: int
    batch_size: int  # the configured maximum
    tokens_per_s: float
    steps: tuple[StepRecord, ...] = field(default=())


class BatchEngine:
    """The scheduler. ``load_model`` is called on the engine thread at its first job."""

    def __init__(self, load_model: Callable[[], SmolLM2], *, batch_size: int, queue_size: int,
                 per_client: int, prefill_chunk: int, capacity: int) -> None:
        self._load_model = load_model
        self.batch_size, self.queue_size = batch_size, queue_size
        self.per_client, self.prefill_chunk, self.capacity = per_client, prefill_chunk, capacity
        self._cond = threading.Condition()
        self._waiting: deque[Ticket] = deque()
        self._running: list[Ticket] = []  # in arrival order
        self._clients: Counter[str] = Counter()
        self._numbers = itertools.count(1)
        self._history: deque[StepRecord] = deque()
        self._prompts = PromptCache(PROMPTS_HELD)
        self._thread: threading.Thread | None = None
        self._stopping = False

    # -- called from request handlers ------------------------------------------------------
    def submit(self, job: Job) -> Ticket:
        """Queue a job; raises :class:`ClientLimit` or :class:`Full` instead of waiting."""
        if len(job.prompt) + job.max_new_tokens > self.capacity:
            raise ValueError(f"prompt + new tokens must fit in {self.capacity}")
        with self._cond:
            if self.per_client and self._clients[job.client] >= self.per_client:
                raise ClientLimit  # (per_client 0: no limit)
            if len(self._running) + len(self._waiting) >= self.batch_size + self.queue_size:
                raise Full
            ticket = Ticket(job, next(self._numbers))
            self._clients[job.client] += 1
            self._waiting.append(ticket)
            ahead = len(self._running) + len(self._waiting) - self.batch_size
            if ahead > 0:  # no free slot: say so now, before the engine thread wakes
                ticket.position = ahead
                self._tell(ticket, Waiting(ahead))
            self._start_thread()
            self._cond.notify()
        return ticket

    def cancel(self, ticket: Ticket) -> None:
        """The client has gone: a waiting ticket leaves now, a running one at the next step."""
        with self._cond:
            ticket.cancelled = True
            if ticket in self._waiting:
                self._waiting.remove(ticket)
                self._forget_client(ticket)
                self._cond.notify()

    def snapshot(self) -> Snapshot:
        """Current load and the last ``HISTORY_S`` seconds of steps (no request contents)."""
        now = time.monotonic()
        with self._cond:
            steps = tuple(self._history)
            running, waiting = len(self._running), len(self._waiting)
        recent = [s for s in steps if s.end > now - RATE_WINDOW_S]
        tokens = sum(len(s.decoding) for s in recent)
        return Snapshot(now, running, waiting, self.batch_size,
                        round(tokens / RATE_WINDOW_S, 1), steps)

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # -- the engine thread -----------------------------------------------------------------
    def _start_thread(self) -> None:
        """Start the engine thread, or start it again after :meth:`stop` (an app whose
        lifespan ran twice, as in tests), so a submitted job is never left unserved."""
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(target=self._loop, name="batch-engine", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        try:
            model = self._load_model()
        except Exception:  # the route loaded it before submitting, so this is rare
            log.exception("the batch engine could not load the model")
            with self._cond:
                for ticket in self._waiting:
                    self._tell(ticket, Finished("error"))
                    self._forget_client(ticket)
                self._waiting.clear()
                self._thread = None  # the next job tries again
            return
        pool = CachePool(model, self.batch_size, self.capacity)
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopping or self._running or self._waiting)
                if self._stopping:
                    return
                try:
                    self._admit(pool)
                except Exception:  # as below: end the streams it touched, keep serving
                    log.exception("admitting a stream failed")
                    for ticket in list(self._running):
                        self._leave(ticket, pool, "error")
                    continue
            try:
                if self._running:
                    self._step(model, pool)
            except Exception:  # a bug must not leave every stream waiting forever
                log.exception("batched decode step failed")
                with self._cond:
                    for ticket in list(self._running):
                        self._leave(ticket, pool, "error")
            time.sleep(0)  # let the other widgets' threads have the interpreter between steps

    def _admit(self, pool: CachePool) -> None:
        """(Lock held.) Drop cancelled tickets, move waiting ones into free slots, and tell
        those still waiting their new place in line."""
        for ticket in [t for t in self._running if t.cancelled]:
            self._leave(ticket, pool)
        while self._waiting and len(self._running) < self.batch_size:
            ticket = self._waiting.popleft()
            ticket.cache, ticket.last_time, ticket.position = pool.take(), time.monotonic(), 0
            ticket.ready = self._prompts.load(ticket.job.prompt, ticket.cache)
            if ticket.ready is not None:  # the whole prompt is in the cache already
                ticket.fed = len(ticket.job.prompt)
            self._running.append(ticket)
            self._tell(ticket, Started())
        for place, ticket in enumerate(self._waiting, start=1):
            if ticket.position != place:
                ticket.position = place
                self._tell(ticket, Waiting(place))

    def _leave(self, ticket: Ticket, pool: CachePool, reason: str | None = None) -> None:
        """(Lock held.) Free the ticket's slot at once."""
        self._running.remove(ticket)
        self._forget_client(ticket)
        pool.give_back(ticket.cache)
        if reason is not None:
            self._tell(ticket, Finished(reason))

    @staticmethod
    def _tell(ticket: Ticket, event: Event) -> None:
        """Deliver an event; a request that cannot take it any more is treated as gone."""
        try:
            ticket.job.deliver(event)
        except Exception:
            log.warning("generation #%d could not take an event; dropping it", ticket.number,
                        exc_info=True)
            ticket.cancelled = True

    def _forget_client(self, ticket: Ticket) -> None:
        """(Lock held.) One stream fewer for this ticket's client."""
        self._clients[ticket.job.client] -= 1
        if self._clients[ticket.job.client] <= 0:
            del self._clients[ticket.job.client]

    def _plan(self) -> list[tuple[Ticket, list[int]]]:
        """This step's rows: each decoding ticket's last token, then prompt chunks of the
        prefilling ones in arrival order while the ``prefill_chunk`` budget lasts."""
        rows = [(t, [t.last_token]) for t in self._running if t.decoding]
        budget = self.prefill_chunk
        for t in self._running:
            if not t.decoding and t.ready is None and budget > 0:
                chunk = t.job.prompt[t.fed:t.fed + budget]
                rows.append((t, chunk))
                budget -= len(chunk)
        return rows

    def _step(self, model: SmolLM2, pool: CachePool) -> None:
        rows = self._plan()
        ready = [t for t in self._running if t.ready is not None]
        started = time.monotonic()
        logits = forward_step(model, pool, [Row(ids, t.cache, t.decoding)
                                            for t, ids in rows]) if rows else []
        now = time.monotonic()
        decoded, prefilled, done = [], [], []
        picks = [(t, t.ready) for t in ready]  # first tokens straight from the prompt cache
        for (ticket, ids), row_logits in zip(rows, logits, strict=True):
            if not ticket.decoding:
                prefilled.append(ticket.number)
                ticket.fed += len(ids)
                if ticket.fed < len(ticket.job.prompt):
                    continue  # more of the prompt next step
                self._prompts.save(ticket.job.prompt, ticket.cache, row_logits)
            picks.append((ticket, row_logits))
        for ticket, row_logits in picks:
            ticket.ready = None
            decoded.append(ticket.number)
            token = ticket.job.pick(row_logits)
            self._tell(ticket, Token(ticket.produced, token, row_logits,
                                     (now - ticket.last_time) * 1000))
            ticket.produced, ticket.last_token, ticket.last_time = ticket.produced + 1, token, now
            if token in model.stop_ids:
                done.append((ticket, "stop"))
            elif ticket.produced >= ticket.job.max_new_tokens:
                done.append((ticket, "length"))
        with self._cond:
            for ticket, reason in done:
                self._leave(ticket, pool, reason)
            self._history.append(StepRecord(now, round((now - started) * 1000, 2),
                                            tuple(decoded), tuple(prefilled)))
            while self._history and self._history[0].end < now - HISTORY_S:
                self._history.popleft()
