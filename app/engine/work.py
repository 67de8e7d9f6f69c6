"""What the model work running in this thread may still do.

A web request runs widget code in a worker thread; two things can limit that work:

- ``gone``: the learner left (closed the tab, or htmx replaced the request with a newer
  slider value). The engines call :func:`step` between layers and tokens, so abandoned
  work stops at the next step instead of running to the end.
- ``cached_only``: answer only from what the engines already hold (a repeated prompt, the
  lesson's defaults). :func:`must_compute` runs before every forward pass, model load and
  uncached result; here it refuses, so the caller knows to queue for a model slot.

Outside :func:`limited` (page rendering at start-up, scripts, tests) both checks do nothing.
"""

import contextlib
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


class Cancelled(Exception):
    """The request this work was for has gone; nobody will read the answer."""


class NotCached(Exception):
    """Cached-only work needs something that must be computed first."""


@dataclass(frozen=True)
class Limits:
    gone: threading.Event | None = None
    cached_only: bool = False


NO_LIMITS = Limits()
_limits: ContextVar[Limits | None] = ContextVar("work_limits", default=None)


@contextlib.contextmanager
def limited(*, gone: threading.Event | None = None, cached_only: bool = False) -> Iterator[None]:
    """Run the body under these limits (in the thread doing the work)."""
    token = _limits.set(Limits(gone, cached_only))
    try:
        yield
    finally:
        _limits.reset(token)


def step() -> None:
    """Between two layers or tokens: raise :class:`Cancelled` if the request has gone."""
    gone = (_limits.get() or NO_LIMITS).gone
    if gone is not None and gone.is_set():
        raise Cancelled


def must_compute() -> None:
    """Before work no cache answers (a forward pass, a model load, an uncached result)."""
    if (_limits.get() or NO_LIMITS).cached_only:
        raise NotCached
    step()
