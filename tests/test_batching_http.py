"""The generate stream through the batch engine, as a learner's browser sees it: a place in
line while the batch is full, 503 only beyond batch + queue, a closed tab frees its place,
and module 34's monitor feed showing the batch."""

import contextlib
import re
import threading
import time

import pytest

from app.engine.batching import BatchEngine
from app.routes.admission import Watchers

WAIT_S = 60
HI = {"prompt": "Hi", "max_tokens": 2, "temperature": 0}


@pytest.fixture(scope="module")
def model(app):
    return app.state.models.smollm2()


@contextlib.contextmanager
def engine_in(app, model, *, batch_size, queue_size, per_client=8, load=None):
    """Swap in a small engine for one test; always put the app's own back."""
    engine = BatchEngine(load or (lambda: model), batch_size=batch_size, queue_size=queue_size,
                         per_client=per_client, prefill_chunk=64, capacity=128)
    own, app.state.generator = app.state.generator, engine
    try:
        yield engine
    finally:
        app.state.generator = own
        engine.stop()


def next_event(lines) -> tuple[str, str]:
    """The next SSE message: (event name, its data lines joined)."""
    name, data = None, []
    for line in lines:
        if line.startswith("event: "):
            name = line[len("event: "):]
        elif line.startswith("data: "):
            data.append(line[len("data: "):])
        elif line == "" and name:
            return name, "\n".join(data)
    raise AssertionError("the stream ended")


def wait_until(check, timeout=WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def test_a_full_batch_tells_the_next_learners_their_place_then_503(app, client, model):
    release = threading.Event()  # the engine cannot start until the test lets it
    with engine_in(app, model, batch_size=1, queue_size=2,
                   load=lambda: (release.wait(WAIT_S), model)[1]), contextlib.ExitStack() as open_:
        first = open_.enter_context(client.stream("GET", "/api/stream/generate", params=HI))
        second = open_.enter_context(client.stream("GET", "/api/stream/generate", params=HI))
        third = open_.enter_context(client.stream("GET", "/api/stream/generate", params=HI))
        assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
        # (Keep each line iterator: a dropped one closes its stream, like a closed tab.)
        second_lines, lines = second.iter_lines(), third.iter_lines()
        assert next_event(second_lines) == ("status", in_line("1st"))
        assert next_event(lines) == ("status", in_line("2nd"))
        refused = client.get("/api/stream/generate", params=HI)  # batch 1 + queue 2 taken
        assert refused.status_code == 503 and int(refused.headers["retry-after"]) > 0
        assert "try again" in refused.json()["error"]
        release.set()
        kinds = []
        while not kinds or kinds[-1] != "done":
            kinds.append(next_event(lines)[0])
        assert kinds[:2] == ["status", "status"]  # moved up to 1st, then started (cleared)
        assert kinds.count("token") == 2


def in_line(place: str) -> str:
    return (f"You are {place} in line: this server generates for 1 learner at once, "
            "and yours starts as soon as one of them finishes.")


def test_one_client_gets_429_beyond_its_share(app, client, model):
    release = threading.Event()
    with engine_in(app, model, batch_size=4, queue_size=4, per_client=1,
                   load=lambda: (release.wait(WAIT_S), model)[1]):
        with client.stream("GET", "/api/stream/generate", params=HI) as first:
            assert first.status_code == 200
            second = client.get("/api/stream/generate", params=HI)
            release.set()
        assert second.status_code == 429 and "You already have 1" in second.json()["error"]


def test_a_stream_whose_client_leaves_frees_its_place(app, client, model):
    with engine_in(app, model, batch_size=1, queue_size=0) as engine:
        long_run = {"prompt": "Once upon a time", "max_tokens": 64, "temperature": 0}
        with client.stream("GET", "/api/stream/generate", params=long_run) as response:
            lines = response.iter_lines()
            assert next_event(lines)[0] == "token"
            assert engine.snapshot().running == 1
        # The tab is closed after one token: the place is free again at the next step.
        assert wait_until(lambda: engine.snapshot().running == 0, timeout=10)
        produced = sum(len(s.decoding) for s in engine.snapshot().steps)
        assert produced < 64
        with client.stream("GET", "/api/stream/generate", params=HI) as response:
            assert response.status_code == 200


def test_the_monitor_feed_shows_the_batch(app, client, model):
    with engine_in(app, model, batch_size=4, queue_size=0):
        with client.stream("GET", "/api/stream/generate", params=HI) as response:
            lines = response.iter_lines()
            while next_event(lines)[0] != "done":
                pass
        with client.stream("GET", "/api/stream/batching", params={"window_s": 10}) as feed:
            assert feed.headers["content-type"].startswith("text/event-stream")
            kind, html = next_event(feed.iter_lines())
    assert kind == "snapshot"
    assert re.search(r'data-testid="batch-running">0<', html)  # finished: the batch is empty
    assert re.search(r'data-testid="batch-waiting">0<', html)
    # The run's prefill step and its second token: two steps, one request (#1) in each.
    assert 'data-steps="2"' in html and 'data-peak="1"' in html
    assert "#1: prefill" in html and "#1: decoding" in html
    assert "Hi" not in re.sub(r"<[^>]+>", "", html)  # no request contents


def test_the_monitor_widget_waits_for_the_learner_to_connect(client):
    still = client.get("/widgets/server-batching").text
    assert "sse-connect" not in still and 'data-set-field="live"' in still
    live = client.get("/widgets/server-batching", params={"live": "true", "window_s": 20}).text
    assert 'sse-connect="/api/stream/batching?window_s=20"' in live
    assert client.get("/api/stream/batching", params={"window_s": 99}).status_code == 422


def test_monitors_are_bounded(app, client):
    own, app.state.batch_watchers = app.state.batch_watchers, Watchers(limit=0, fresh_s=0.25)
    try:
        response = client.get("/api/stream/batching")
    finally:
        app.state.batch_watchers = own
    assert response.status_code == 503 and "Too many monitors" in response.json()["error"]
