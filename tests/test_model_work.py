"""Issue 23, cost and fairness: held answers never queue, abandoned work stops, one client
cannot take every slot, maths widgets stay off the event loop, limits say their bound."""

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import numpy as np
import pytest

from app.errors import AppError
from app.routes.gate import ModelGate
from app.routes.model_work import ModelWork


def run(coro):
    """asyncio.run in a thread of its own: Playwright's sync API (used by the browser
    tests in the same session) keeps an event loop running in the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture
def gate(app):
    """A fresh gate of one slot (and a line of four) for the app, restored afterwards."""
    saved = app.state.model_gate, app.state.model_work
    app.state.model_gate = ModelGate(slots=1, queue=4, timeout_s=30, per_client=4)
    app.state.model_work = ModelWork(app.state.model_gate, threads=2)
    yield app.state.model_gate
    app.state.model_gate, app.state.model_work = saved


@pytest.fixture
def model(app):
    return app.state.models.smollm2()


async def call(app, path: str, params: dict, leave: threading.Event | None = None,
               client: str = "192.0.2.1") -> int:
    """One GET straight into the ASGI app; with ``leave``, the client disconnects once
    that event is set. Returns the status sent (0 if none was)."""
    sent: list[int] = [0]
    asked = False

    async def receive():
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        if leave is not None:
            await asyncio.get_running_loop().run_in_executor(None, leave.wait)
        else:
            await asyncio.Event().wait()  # never leaves; cancelled when the response is done
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            sent[0] = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": urlencode(params).encode(), "root_path": "",
             "headers": [(b"host", b"testserver")], "client": (client, 5000),
             "server": ("testserver", 80)}
    await app(scope, receive, send)
    return sent[0]


def hold_the_only_slot(gate: ModelGate) -> None:
    run(gate.acquire())  # granted at once: the ticket stays "running" until released


def count_layers(monkeypatch, model, delay_s: float = 0.0) -> tuple[list, threading.Event]:
    """Count SmolLM2 layers as they run (each takes ``delay_s`` longer)."""
    layers, started = [], threading.Event()
    attention = model._attention

    def counted(layer, *args):
        layers.append(layer)
        started.set()
        time.sleep(delay_s)
        return attention(layer, *args)

    monkeypatch.setattr(model, "_attention", counted)
    return layers, started


# -- held answers ----------------------------------------------------------------------------
def test_a_held_answer_is_served_while_every_slot_and_the_line_are_full(app, client, model):
    prompt = {"prompt": "Held answers never queue for the model"}
    assert client.get("/api/widgets/next-token", params=prompt).status_code == 200  # now held
    saved = app.state.model_gate, app.state.model_work
    app.state.model_gate = full = ModelGate(slots=1, queue=0, timeout_s=1)
    app.state.model_work = ModelWork(full, threads=2)
    hold_the_only_slot(full)
    try:
        again = client.get("/api/widgets/next-token", params=prompt)
        fragment = client.get("/widgets/next-token", params=prompt)
        fresh = client.get("/api/widgets/next-token", params={"prompt": "Not computed yet"})
    finally:
        app.state.model_gate, app.state.model_work = saved
    assert again.status_code == 200 and again.json()["candidates"]
    assert fragment.status_code == 200 and "candidate" in fragment.text
    assert fresh.status_code == 503 and fresh.headers["retry-after"]  # the gate was full


def test_identical_requests_share_one_computation(app, model, monkeypatch):
    layers, started = count_layers(monkeypatch, model, delay_s=0.01)
    params = {"prompt": "Thirty learners click the same link at once"}
    saved = app.state.model_gate, app.state.model_work
    app.state.model_gate = one = ModelGate(slots=1, queue=0, timeout_s=30)  # no line at all
    app.state.model_work = ModelWork(one, threads=2)

    async def together():
        first = asyncio.ensure_future(call(app, "/api/widgets/next-token", params))
        await asyncio.get_running_loop().run_in_executor(None, started.wait)  # it computes
        rest = [call(app, "/api/widgets/next-token", params, client=f"192.0.2.{i}")
                for i in range(2, 9)]
        return [await first, *await asyncio.gather(*rest)]

    try:
        statuses = run(together())
    finally:
        app.state.model_gate, app.state.model_work = saved
    assert statuses == [200] * 8  # seven waited for the one computing, none was refused
    assert len(layers) == model.config.n_layers  # one forward pass, not eight


# -- abandoned work ---------------------------------------------------------------------------
def test_a_client_that_leaves_stops_the_model_at_the_next_layer(app, gate, model, monkeypatch):
    layers, started = count_layers(monkeypatch, model, delay_s=0.05)
    params = {"prompt": "This learner closes the tab while the model is thinking"}
    status = run(call(app, "/api/widgets/lm-attention", params, leave=started))
    assert status in (0, 499)
    assert 1 <= len(layers) < 10 < model.config.n_layers  # stopped, not run to the end
    assert model.encode(params["prompt"]) and tuple(
        model.encode(params["prompt"])) not in model.traces  # nothing half-done was kept


def test_queued_work_whose_client_left_never_starts(app, gate, model, monkeypatch):
    layers, _ = count_layers(monkeypatch, model)
    hold_the_only_slot(gate)
    left = threading.Event()
    left.set()  # gone as soon as it is in line
    params = {"prompt": "Queued, then abandoned before any work started"}
    status = run(call(app, "/api/widgets/next-token", params, leave=left))
    gate.release()
    assert status in (0, 499) and layers == []
    assert gate.running == 0 and gate.waiting == 0  # its place in line was given back


# -- admission ---------------------------------------------------------------------------------
def test_requests_arriving_together_get_503_only_beyond_slots_and_line():
    async def scenario():
        gate = ModelGate(slots=1, queue=2, timeout_s=5)

        async def one():
            try:
                async with gate:
                    await asyncio.sleep(0.01)
                return 200
            except AppError as exc:
                return exc.status

        return await asyncio.gather(*(one() for _ in range(5)))

    statuses = run(scenario())
    assert sorted(statuses) == [200, 200, 200, 503, 503]  # 1 running + 2 in line, 2 refused


# -- fair share -------------------------------------------------------------------------------
def test_one_client_is_limited_and_the_next_slot_goes_to_someone_else():
    flood, newcomer = "203.0.113.7", "198.51.100.2"

    async def scenario():
        gate = ModelGate(slots=1, queue=8, timeout_s=5, per_client=2)
        first = await gate.enter(flood)  # running
        queued = asyncio.ensure_future(gate.enter(flood))  # first in line
        await asyncio.sleep(0)
        with pytest.raises(AppError) as refused:
            await gate.enter(flood)  # a third at once: over its limit
        other = asyncio.ensure_future(gate.enter(newcomer))  # second in line
        await asyncio.sleep(0)
        line = gate.line()
        assert (gate.position(newcomer), gate.position(flood)) == (2, 1)
        gate.exit(first)
        done, _ = await asyncio.wait([other, queued], timeout=1,
                                     return_when=asyncio.FIRST_COMPLETED)
        served = (other in done, queued in done)
        gate.exit(other.result())
        gate.exit(await queued)
        return refused.value, line, served

    refused, line, served = run(scenario())
    assert refused.status == 429 and "2 model requests" in refused.message
    assert refused.headers["Retry-After"]
    assert line == [flood, newcomer]
    # The freed slot goes to the newcomer, who had nothing running, not to the client
    # whose request waited longer but who had just had a slot.
    assert served == (True, False)


def test_the_per_client_limit_applies_over_http(app, model, monkeypatch):
    count_layers(monkeypatch, model, delay_s=0.03)  # the first is still computing meanwhile
    saved = app.state.model_gate, app.state.model_work
    app.state.model_gate = gate = ModelGate(slots=1, queue=8, timeout_s=30, per_client=1)
    app.state.model_work = ModelWork(gate, threads=2)
    try:
        async def two_from_one_client():
            first = asyncio.ensure_future(call(app, "/api/widgets/next-token",
                                               {"prompt": "First of two at once"}))
            while gate.running == 0:
                await asyncio.sleep(0.005)
            second = await call(app, "/api/widgets/next-token", {"prompt": "Second at once"})
            other = await call(app, "/api/widgets/next-token", {"prompt": "Someone else"},
                               client="192.0.2.99")
            return await first, second, other

        first, second, other = run(two_from_one_client())
    finally:
        app.state.model_gate, app.state.model_work = saved
    assert (first, second, other) == (200, 429, 200)


# -- maths off the event loop -----------------------------------------------------------------
def test_maths_widgets_run_in_a_bounded_pool_off_the_event_loop(app, gate):
    spec = app.state.widgets["softmax"]
    running, most = [0], [0]
    lock = threading.Lock()

    def slow(params):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.3)
        with lock:
            running[0] -= 1
        return original(params)

    original = spec.compute
    object.__setattr__(spec, "compute", slow)  # a frozen dataclass: monkeypatch cannot
    try:
        async def scenario():
            widgets = [asyncio.ensure_future(call(app, "/api/widgets/softmax", {}))
                       for _ in range(4)]
            await asyncio.sleep(0.05)
            began = time.perf_counter()
            health = await call(app, "/healthz", {})
            answered_in = time.perf_counter() - began
            return health, answered_in, await asyncio.gather(*widgets)

        health, answered_in, statuses = run(scenario())
    finally:
        object.__setattr__(spec, "compute", original)
    assert health == 200 and answered_in < 0.5  # not stuck behind 4 × 0.3 s of maths
    assert statuses == [200] * 4
    assert most[0] == 2  # app.state.model_work has two threads: never more at once


# -- bounds stated ----------------------------------------------------------------------------
def test_logit_lens_states_its_token_bound(client, model):
    prompt = " ".join(["apple"] * 30)
    response = client.get("/api/widgets/logit-lens", params={"prompt": prompt})
    assert response.status_code == 422
    message = response.json()["error"]
    assert "30 tokens" in message and "limit is 24" in message and "CPU-second" in message
    assert client.get("/api/widgets/logit-lens",
                      params={"prompt": " ".join(["apple"] * 24)}).status_code == 200


# -- memory -----------------------------------------------------------------------------------
def test_engine_caches_are_bounded_by_bytes_not_entries():
    from app.engine.common import LRU

    cache = LRU(1000, max_bytes=10_000, weigh=lambda a: a.nbytes)
    for i in range(50):
        cache.put(i, np.zeros(250 * (1 + i % 3)))  # 2, 4 or 6 kB each
    assert cache.nbytes <= 10_000 and len(cache) < 50
    assert 49 in cache and 0 not in cache  # the newest kept, the oldest forgotten
    held = sum(cache.get(k).nbytes for k in range(50) if k in cache)
    assert held == cache.nbytes
    cache.put("huge", np.zeros(5_000))  # 40 kB alone is over budget: kept, all else gone
    assert len(cache) == 1 and cache.nbytes == 40_000


def test_healthz_reports_what_the_model_caches_hold(app, client, model):
    client.get("/api/widgets/lm-attention", params={"prompt": "Memory told truly"})
    data = client.get("/healthz").json()
    held, budget = app.state.models.cache_bytes()
    assert 0 < data["model_cache_mib"] == round(held / 2**20, 1)
    assert data["model_cache_mib"] <= data["model_cache_budget_mib"]
    assert data["model_cache_budget_mib"] == round(budget / 2**20, 1) < 1024
