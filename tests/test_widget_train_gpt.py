"""The train-gpt widget over HTTP: the still view, the live stream's event format, the
422s for every kind of bad input, the slots that bound who trains, and the mini sweep."""

import asyncio
import json
import math
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from app.engine import tinygpt
from app.engine import tinygpt_train as tt
from app.errors import AppError
from app.routes.admission import TrainSlots
from app.widgets import train_gpt, train_sweep


def run_in_own_loop(scenario) -> None:
    """``asyncio.run(scenario())`` on a thread of its own: Playwright's sync API keeps an
    event loop running in the main thread once a browser test has run."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result()

SMALL_RUN = "width=16&depth=1&steps=20&batch=4"


def read_events(response) -> list[tuple[str, str]]:
    """(event, data) pairs of a text/event-stream, data lines joined by newlines."""
    events, name, data = [], None, []
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line[len("event: "):]
        elif line.startswith("data: ") or line == "data:":
            data.append(line[len("data: "):])
        elif line == "" and name is not None:
            events.append((name, "\n".join(data)))
            name, data = None, []
        else:
            assert line == "", f"not SSE: {line!r}"
    return events


def test_still_view_counts_the_parameters_and_shows_the_recorded_default_run(client):
    body = client.get("/api/widgets/train-gpt").json()
    cfg = train_gpt.model_config(train_gpt.Params())
    real = tinygpt.count_params(tinygpt.init_params(cfg, np.random.default_rng(0)))
    assert body["parameters"] == real
    assert body["baseline"] == pytest.approx(math.log(len(tt.VOCAB)))
    assert body["recorded"] and body["summary"]["reason"] == "done"
    assert body["history"][-1]["val_loss"] < body["baseline"] - 1
    assert len(body["samples"]) >= 2 and all(s["lines"] for s in body["samples"])


def test_unrecorded_settings_show_an_empty_chart_and_the_train_button(client):
    html = client.get("/widgets/train-gpt?seed=17").text
    assert 'data-testid="tg-train"' in html and "sse-connect" not in html
    assert "Press Train" in html


def test_the_train_button_token_starts_a_live_run_only_for_its_settings(client):
    html = client.get(f"/widgets/train-gpt?{SMALL_RUN}").text
    token = re.search(r'data-set-field="run" data-value="([^"]+)"', html).group(1)
    live = client.get(f"/widgets/train-gpt?{SMALL_RUN}&run={token}").text
    assert 'sse-connect="/api/stream/train-gpt?' in live and "Train again" in live
    changed = client.get(f"/widgets/train-gpt?{SMALL_RUN}&run={token}&seed=3").text
    assert "sse-connect" not in changed  # a knob moved: back to the still view


def test_a_live_run_of_recorded_settings_starts_from_an_empty_chart(client):
    still = client.get("/widgets/train-gpt").text  # the default run is recorded
    assert re.search(r'd="M[^"]+" [^>]*data-series="val"', still)
    assert 'data-testid="tg-recorded"' in still
    token = re.search(r'data-set-field="run" data-value="([^"]+)"', still).group(1)
    live = client.get(f"/widgets/train-gpt?run={token}").text
    assert 'd="" vector-effect="non-scaling-stroke" data-series="val"' in live
    assert "tg-recorded" not in live and "tg-sample-step" not in live


def test_stream_sends_samples_progress_and_done_in_order(client):
    with client.stream("GET", f"/api/stream/train-gpt?{SMALL_RUN}&iid=w-x") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = read_events(response)
    kinds = [k for k, _ in events]
    assert kinds == ["sample", "progress", "progress", "sample", "done"]
    assert "step 0" in events[0][1] and 'class="tg-line"' in events[0][1]
    first, second = events[1][1], events[2][1]
    assert "step <strong>10</strong> / 20" in first and "step <strong>20</strong>" in second
    assert "<svg" in first and 'data-series="val"' in first and "ln 28" in first
    done = events[-1][1]
    assert 'data-reason="done"' in done and "Finished 20 steps" in done
    keep = json.loads(re.search(r"data-setup='([^']+)'", done).group(1))
    points = train_gpt.parse_compare(keep["compare"])
    assert [s for s, _ in points] == [10, 20] and 'data-setup-for="w-x"' in done


def test_a_diverging_stream_says_where_and_never_sends_nan(client):
    _, _, values, _ = train_gpt.PRESETS["too-high"]
    query = "&".join(f"{k}={v}" for k, v in values.items())
    with client.stream("GET", f"/api/stream/train-gpt?{query}") as response:
        events = read_events(response)
    assert events[-1][0] == "done" and 'data-reason="diverged"' in events[-1][1]
    assert re.search(r"Diverged at step \d+", events[-1][1])
    assert not any(re.search(r"\bnan\b|\binf\b", data, re.I) for _, data in events)


@pytest.mark.parametrize("query, fragment", [
    ("lr_exp=2", "lr_exp: Input should be less than or equal to 1.5"),
    ("lr_exp=nan", "lr_exp"),
    ("width=40", "width: Input should be a multiple of 16"),
    ("width=256", "width: Input should be less than or equal to 128"),
    ("depth=0", "depth: Input should be greater than or equal to 1"),
    ("batch=65", "batch: Input should be less than or equal to 64"),
    ("steps=5000", "steps: Input should be less than or equal to 1000"),
    ("weight_decay=-1", "weight_decay: Input should be greater than or equal to 0"),
    ("optimizer=adam", "optimizer: Input should be 'adamw' or 'sgd'"),
    ("width=128&depth=4&steps=1000", "the limit is 4×. Lower the steps, batch size"),
    ("start=pretrained&width=128", "fine-tuning starts from the pretrained model"),
    ("compare=10:abc", "compare: item 1 ('10:abc') is not step:loss"),
    ("compare=10:nan", "compare: item 1 needs a step 0–1000 and a loss 0–100"),
    ("run=not-a-token", "run: String should match pattern"),
])
@pytest.mark.parametrize("path", ["/api/widgets/train-gpt", "/api/stream/train-gpt"])
def test_bad_input_is_a_422_that_says_what_to_change(client, path, query, fragment):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 422
    assert fragment in response.json()["error"]


class Busy:
    """Training slots that are all taken."""

    async def acquire(self, client):
        raise AppError(503, "Every training slot on this server is in use.",
                       {"Retry-After": "2"})


def test_when_busy_a_recorded_preset_is_replayed_and_anything_else_is_a_503(
        app, client, monkeypatch):
    monkeypatch.setattr(app.state, "train_slots", Busy())
    monkeypatch.setattr("app.routes.train.REPLAY_INTERVAL_S", 0)
    with client.stream("GET", "/api/stream/train-gpt") as response:  # the default preset
        assert response.status_code == 200
        events = read_events(response)
    run = train_gpt.recordings()[train_gpt.recording_key(train_gpt.Params())]
    progress = [data for kind, data in events if kind == "progress"]
    assert len(progress) == len(run["history"]) and "a recording, replayed" in progress[0]
    last = run["history"][-1]
    assert f"validation <strong>{last['val_loss']:.3f}</strong>" in progress[-1]
    assert [k for k, _ in events].count("sample") == len(run["samples"])
    assert events[-1][0] == "done" and "recording of exactly these settings" in events[-1][1]
    response = client.get("/api/stream/train-gpt?seed=17")  # nothing recorded: no replay
    assert response.status_code == 503 and response.headers["Retry-After"]


def test_a_run_over_its_wall_time_stops_and_says_so():
    params = train_gpt.Params(width=16, depth=1, batch=4, steps=1000)
    events = list(train_gpt.run_events(params, max_seconds=0.3))
    kind, done = events[-1]
    assert kind == "done" and done["summary"].reason == "time"
    assert 0 < done["summary"].step < 1000
    assert done["summary"].message == (f"Stopped at step {done['summary'].step}: a run may "
                                       "take at most 0.3 s here.")


def test_one_run_per_client_and_a_bounded_number_per_worker():
    async def scenario():
        slots = TrainSlots(slots=1, wait_s=0.2)
        first = await slots.acquire("a")
        with pytest.raises(AppError) as again:  # the same client while its run goes on
            await slots.acquire("a")
        assert again.value.status == 429
        with pytest.raises(AppError) as other:  # someone else while the only slot is taken
            await slots.acquire("b")
        assert other.value.status == 503 and other.value.headers["Retry-After"]
        slots.release("a", first)
        assert first.is_set()  # the run's thread sees the stop flag
        second = await slots.acquire("b")  # the slot is free again
        slots.release("b", second)

    run_in_own_loop(scenario)


def test_a_client_replacing_its_run_waits_for_the_old_one_to_end():
    async def scenario():
        slots = TrainSlots(slots=1, wait_s=2)
        old = await slots.acquire("a")
        asyncio.get_running_loop().call_later(0.1, slots.release, "a", old)
        new = await slots.acquire("a")  # the page's new stream, once the old one closed
        assert not new.is_set()
        slots.release("a", new)

    run_in_own_loop(scenario)


def test_every_preset_is_valid_and_carries_its_recorded_comparison(client):
    html = client.get("/widgets/train-gpt").text
    setups = [json.loads(s) for s in re.findall(r"data-setup='([^']+)'", html)]
    assert len(setups) == len(train_gpt.PRESETS)
    for setup, (_, _, _, versus) in zip(setups, train_gpt.PRESETS.values(), strict=True):
        params = train_gpt.Params(**setup)
        train_gpt.check(params)
        if versus is not None:
            assert train_gpt.parse_compare(params.compare), setup


@pytest.mark.parametrize("module", ["07", "23", "24", "26"])
def test_the_lessons_train_the_model_inline(client, module):
    html = client.get(f"/modules/{module}").text
    assert 'data-widget="train-gpt"' in html


def test_the_sweep_fits_a_power_law_through_three_real_runs(client):
    body = client.get("/api/widgets/tiny-scaling?predict_log10=6").json()
    runs = body["runs"]
    assert len(runs) == 3
    assert [r["parameters"] for r in runs] == sorted(r["parameters"] for r in runs)
    assert runs[0]["val_loss"] > runs[1]["val_loss"] > runs[2]["val_loss"]  # bigger is better
    x = np.log([r["parameters"] for r in runs])
    y = np.log([r["val_loss"] for r in runs])
    slope = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    assert body["alpha"] == pytest.approx(-slope, abs=1e-4)
    a = math.exp(y.mean() - slope * x.mean())
    assert body["predicted_loss"] == pytest.approx(a * 1e6 ** slope, abs=1e-3)
    for r in runs:  # each point is the model of that size
        cfg = tinygpt.Config(vocab=len(tt.VOCAB), context=train_gpt.CONTEXT, width=r["width"],
                             depth=r["depth"], heads=train_gpt.HEADS)
        real = tinygpt.count_params(tinygpt.init_params(cfg, np.random.default_rng(0)))
        assert r["parameters"] == real
    assert train_sweep.SPEC.name == "tiny-scaling"
