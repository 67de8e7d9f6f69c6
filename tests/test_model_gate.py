"""The model gate: N compute at once, a short bounded queue waits, the rest get 503."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.errors import AppError
from app.routes.gate import ModelGate


def run(coro):
    """asyncio.run in a thread of its own: Playwright's sync API (used by the browser
    tests in the same session) keeps an event loop running in the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_requests_beyond_slots_wait_in_the_queue_then_run():
    async def scenario():
        gate, order = ModelGate(slots=1, queue=2, timeout_s=5), []

        async def job(name):
            async with gate:
                order.append(name)
                await asyncio.sleep(0.01)

        await asyncio.gather(job("a"), job("b"), job("c"))
        return order

    assert run(scenario()) == ["a", "b", "c"]


def test_a_full_queue_answers_503_with_retry_after_at_once():
    async def scenario():
        gate = ModelGate(slots=1, queue=1, timeout_s=5)
        await gate.acquire()  # running
        waiter = asyncio.create_task(gate.acquire())  # queued
        await asyncio.sleep(0)
        with pytest.raises(AppError) as info:
            await gate.acquire()  # queue full
        gate.release()
        await waiter
        gate.release()
        return info.value

    error = run(scenario())
    assert error.status == 503 and error.headers["Retry-After"]


def test_waiting_longer_than_the_timeout_is_503():
    async def scenario():
        gate = ModelGate(slots=1, queue=4, timeout_s=0.05)
        await gate.acquire()
        with pytest.raises(AppError) as info:
            await gate.acquire()
        return info.value

    assert run(scenario()).status == 503
