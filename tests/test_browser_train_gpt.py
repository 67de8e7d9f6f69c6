"""The train-gpt widget in a real Chromium against the real server: pressing Train streams
a run whose curve, numbers and samples appear while it trains; a finished curve can be kept
and is drawn under the next run; a closed page stops its run."""

import re
import time

import httpx

from tests.browser_support import expect

SMALL = "width=16&depth=1&steps=60&batch=8"
RUN_TIMEOUT_MS = 120_000  # generous: the machine is shared
DRAWN = re.compile(r"^M[^L]+L")  # a path with at least two points


def test_pressing_train_draws_the_curve_and_a_sample(page):
    page.goto(f"/playground/train-gpt?{SMALL}")
    widget = page.locator("[data-widget=train-gpt]")
    expect(widget.locator("[data-testid=tg-chart] path[data-series=val]")).to_have_attribute(
        "d", "")  # nothing trained yet
    widget.locator("[data-testid=tg-train]").click()
    run = widget.locator("[data-testid=tg-run]")
    expect(run).to_be_visible()
    # The curve grows point by point: a path with at least one segment, a step readout.
    expect(run.locator("path[data-series=val]")).to_have_attribute("d", DRAWN,
                                                                    timeout=RUN_TIMEOUT_MS)
    expect(run.locator("[data-testid=tg-stats]")).to_contain_text("characters/s")
    expect(run.locator(".tg-sample").first).to_contain_text("step 0")
    done = run.locator("[data-testid=tg-done]")
    expect(done).to_contain_text("Finished 60 steps", timeout=RUN_TIMEOUT_MS)
    expect(run.locator(".tg-sample")).to_have_count(2)  # step 0 and the end
    expect(run.locator("[data-testid=tg-stats]")).to_contain_text("step 60 / 60")

    # Keep the curve: the still view now draws it dashed, and so does the next run.
    run.locator("[data-testid=tg-keep]").click()
    compare = widget.locator("[data-testid=tg-chart] path[data-series=compare]")
    expect(compare).to_have_attribute("d", DRAWN)
    widget.locator("[data-testid=tg-train]").click()
    expect(widget.locator("[data-testid=tg-run] path[data-series=compare]")).to_have_attribute(
        "d", DRAWN)
    expect(widget.locator("[data-testid=tg-done]")).to_contain_text(
        "Finished 60 steps", timeout=RUN_TIMEOUT_MS)


def test_changing_a_setting_stops_the_live_run(page, live_server):
    page.goto("/playground/train-gpt?width=16&depth=1&steps=1000&batch=8")
    widget = page.locator("[data-widget=train-gpt]")
    widget.locator("[data-testid=tg-train]").click()
    expect(widget.locator("[data-testid=tg-stats]")).to_contain_text("step", timeout=RUN_TIMEOUT_MS)
    widget.locator("input[name=seed]").fill("5")
    expect(widget.locator("[data-testid=tg-run]")).to_have_count(0)  # the still view is back
    # The stream closed with its page element, so this client's slot is free again soon.
    deadline = time.monotonic() + 10
    while True:
        with httpx.stream("GET", f"{live_server}/api/stream/train-gpt?width=16&depth=1"
                          "&steps=10&batch=2", timeout=60) as response:
            if response.status_code == 200:
                assert "event: done" in response.read().decode()
                break
        assert time.monotonic() < deadline, f"still busy: {response.status_code}"
        time.sleep(0.5)
