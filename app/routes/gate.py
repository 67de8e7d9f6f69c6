"""How many model computations a worker runs at once, and what happens beyond that.

At most ``slots`` requests compute at a time; up to ``queue`` more wait, each for at
most ``timeout_s``; anything beyond that gets 503 with ``Retry-After`` at once. A lesson
page loads two or three model widgets together, so a short, bounded queue lets them all
render, while a flood of requests still cannot pile up without limit.
"""

import asyncio

from app.errors import AppError

RETRY_AFTER_S = "2"
BUSY = "The model is busy with other requests; try again in a moment."


class ModelGate:
    def __init__(self, slots: int, queue: int, timeout_s: float) -> None:
        self._semaphore = asyncio.Semaphore(slots)
        self._queue = queue
        self._timeout_s = timeout_s
        self._waiting = 0

    def _busy(self) -> AppError:
        return AppError(503, BUSY, {"Retry-After": RETRY_AFTER_S})

    async def acquire(self) -> None:
        """Take a slot, waiting briefly in a bounded queue, or raise a 503 AppError."""
        if self._semaphore.locked() and self._waiting >= self._queue:
            raise self._busy()
        self._waiting += 1
        try:
            await asyncio.wait_for(self._semaphore.acquire(), self._timeout_s)
        except TimeoutError:
            raise self._busy() from None
        finally:
            self._waiting -= 1

    def release(self) -> None:
        self._semaphore.release()

    async def __aenter__(self) -> "ModelGate":
        await self.acquire()
        return self

    async def __aexit__(self, *exc) -> None:
        self.release()
