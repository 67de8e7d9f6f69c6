"""Continuous batching: a request's tokens are those it gets running alone, whoever shares
its decode steps, whenever it joins and whenever the others leave."""

import threading

import pytest

from app.engine.batching import (
    BatchEngine,
    ClientLimit,
    Finished,
    Full,
    Job,
    Started,
    Waiting,
)
from app.engine.smollm2 import load_smollm2
from app.widgets import generate

WAIT_S = 60
PROMPTS = {
    "short": "Hi",
    "medium": "Once upon a time, a little robot",
    # 30+ tokens: with an 8-token prefill budget it goes in over several steps
    "long": "The history of the printing press begins in the fifteenth century, when a "
            "goldsmith in Mainz combined movable metal type, oil-based ink and a screw press",
}


@pytest.fixture(scope="module")
def model():
    return load_smollm2()


class Run:
    """One request's events, collected on the engine's thread."""

    def __init__(self, model, params: generate.Params, client: str = "") -> None:
        self.params, self.events = params, []
        self.tokens: list[int] = []
        self.done = threading.Event()
        self.job = generate.batched_job(params, generate.check(params, model), model,
                                        self._send, client)
        self.on_token = None  # called with the token count after each token

    def _send(self, item) -> None:
        kind, value = item
        self.events.append(item)
        if kind == "token":
            self.tokens.append(value.token.id)
            if self.on_token:
                self.on_token(len(self.tokens))
        if kind in ("done", "failed"):
            self.done.set()

    def wait(self) -> list[int]:
        assert self.done.wait(WAIT_S), f"no end after {WAIT_S} s: {self.events}"
        return self.tokens


def alone(model, params: generate.Params) -> list[int]:
    """The single-sequence path the lessons use (smollm2.prefill + decode)."""
    return [s.token.id for s in generate.steps(params, model)]


def engine_for(model, *, batch_size=4, queue_size=4, per_client=8, chunk=8, load=None):
    return BatchEngine(load or (lambda: model), batch_size=batch_size, queue_size=queue_size,
                       per_client=per_client, prefill_chunk=chunk, capacity=128)


def serve(engine, *waves: list[Run]) -> list:
    """Submit each wave's runs together and wait until all of them have ended before the
    next wave; always stop the engine. Returns the steps the engine took."""
    try:
        for wave in waves:
            for run in wave:
                engine.submit(run.job)
            for run in wave:
                run.wait()
        return engine.snapshot().steps
    finally:
        engine.stop()


def params(prompt: str, max_tokens: int, **sampling) -> generate.Params:
    return generate.Params(prompt=PROMPTS[prompt], max_tokens=max_tokens,
                           **({"temperature": 0} | sampling))


@pytest.mark.parametrize("sampling", [
    {"temperature": 0},
    {"temperature": 1.0, "top_k": 40, "top_p": 0.9, "seed": 3},
], ids=["greedy", "seeded"])
def test_a_batch_of_mixed_lengths_gives_each_request_its_solo_tokens(model, sampling):
    """Three prompts of 1, 8 and 30+ tokens arrive together and leave at different steps."""
    engine = engine_for(model)
    other_seed = sampling | {"seed": 11} if "seed" in sampling else sampling
    wanted = [params("short", 9, **sampling), params("medium", 3, **other_seed),
              params("long", 6, **sampling)]
    runs = [Run(model, p) for p in wanted]
    steps = serve(engine, runs)
    assert [run.tokens for run in runs] == [alone(model, p) for p in wanted]
    # They really shared steps: some step decoded two or more of them at once.
    assert max(len(s.decoding) for s in steps) >= 2
    # The long prompt needed several 8-token chunks while the others were already decoding.
    long_number = 3
    chunks = [s for s in steps if long_number in s.prefilling]
    assert len(chunks) >= 4 and any(s.decoding and long_number not in s.decoding
                                    for s in chunks)


def test_newcomers_join_mid_run_and_a_cancelled_neighbour_changes_nothing(model):
    """B joins after A's 3rd token, C after B's 2nd; D is cancelled after its 2nd token."""
    engine = engine_for(model)
    a = Run(model, params("medium", 10, temperature=0.8, seed=5))
    b = Run(model, params("long", 5))
    c = Run(model, params("short", 4, temperature=1.2, top_k=0, top_p=1.0, seed=9))
    d = Run(model, params("short", 12))
    tickets = {}

    def after(run, count, action):
        def hook(n):
            if n == count:
                action()
        run.on_token = hook

    after(a, 3, lambda: engine.submit(b.job))
    after(b, 2, lambda: engine.submit(c.job))
    after(d, 2, lambda: engine.cancel(tickets["d"]))
    try:
        engine.submit(a.job)
        tickets["d"] = engine.submit(d.job)
        got = [a.wait(), b.wait(), c.wait()]
        steps = engine.snapshot().steps
    finally:
        engine.stop()
    assert got == [alone(model, r.params) for r in (a, b, c)]
    assert len(d.tokens) == 2  # gone at the next step
    assert not d.done.is_set()  # a cancelled request is not told it finished
    d_number = 2
    last_d = max(i for i, s in enumerate(steps) if d_number in s.decoding)
    assert any(len(s.decoding) >= 2 for s in steps[last_d + 1:])  # the others went on


def test_waiting_requests_learn_their_place_and_beyond_the_queue_is_full(model):
    release = threading.Event()
    engine = engine_for(model, batch_size=1, queue_size=2,
                        load=lambda: (release.wait(WAIT_S), model)[1])
    runs = [Run(model, params("short", 2)) for _ in range(3)]
    try:
        for run in runs:
            engine.submit(run.job)
        with pytest.raises(Full):
            engine.submit(Run(model, params("short", 2)).job)
        assert [e for e in runs[1].events if e[0] == "waiting"] == [("waiting", "1st")]
        assert [e for e in runs[2].events if e[0] == "waiting"] == [("waiting", "2nd")]
        release.set()
        for run in runs:
            run.wait()
    finally:
        engine.stop()
    # The third moved up to 1st when the first finished, and started after the second.
    kinds = [k for k, v in runs[2].events if k in ("waiting", "started")]
    assert [v for k, v in runs[2].events if k == "waiting"] == ["2nd", "1st"]
    assert kinds[-1] == "started"
    assert all(r.events[-1][0] == "done" for r in runs)


def test_one_client_may_not_take_every_place(model):
    release = threading.Event()
    engine = engine_for(model, batch_size=2, per_client=2,
                        load=lambda: (release.wait(WAIT_S), model)[1])
    try:
        engine.submit(Run(model, params("short", 1), client="10.0.0.1").job)
        engine.submit(Run(model, params("short", 1), client="10.0.0.1").job)
        with pytest.raises(ClientLimit):
            engine.submit(Run(model, params("short", 1), client="10.0.0.1").job)
        other = Run(model, params("short", 1), client="10.0.0.2")
        engine.submit(other.job)  # someone else still gets in
        release.set()
        other.wait()
    finally:
        engine.stop()


def test_events_follow_the_protocol(model):
    """Started, then one Token per new token (index 0, 1, …), then Finished."""
    engine = engine_for(model)
    seen = []
    done = threading.Event()

    def deliver(event):
        seen.append(event)
        if isinstance(event, Finished):
            done.set()

    ids = model.encode("Hello")
    engine.submit(Job(ids, 3, lambda logits: int(logits.argmax()), deliver))
    try:
        assert done.wait(WAIT_S)
    finally:
        engine.stop()
    assert isinstance(seen[0], Started) and not any(isinstance(e, Waiting) for e in seen)
    assert [e.index for e in seen[1:-1]] == [0, 1, 2]
    assert seen[-1] == Finished("length")


def test_a_prompt_seen_before_skips_its_prefill(model):
    """A class sends the lesson's default prompt: only the first request prefills it; the
    others copy its cache entries and still get their own solo tokens (their own seeds)."""
    engine = engine_for(model)
    first = Run(model, params("medium", 3, temperature=1.0, seed=1))
    later = [Run(model, params("medium", 4, temperature=1.0, seed=s)) for s in (2, 3)]
    steps = serve(engine, [first], later)
    got = [run.tokens for run in later]
    assert got == [alone(model, run.params) for run in later]
    assert got[0] != got[1]  # different seeds, different samples from the same cache
    prefilled = {n for s in steps for n in s.prefilling}
    assert prefilled == {1}  # requests 2 and 3 never ran their prompt through the model


def test_a_failing_step_ends_its_streams_with_an_error_and_the_engine_goes_on(model):
    engine = engine_for(model)
    broken = Run(model, params("short", 3))
    broken.job.pick = lambda logits: 1 // 0  # a bug in one request's sampling
    after = Run(model, params("short", 2))
    serve(engine, [broken], [after])
    assert broken.events[-1] == ("failed", None)
    assert after.tokens == alone(model, after.params)
