"""Module 34's live view of this server in a real browser: two learners generate in
module 29 at the same time and the monitor shows them sharing one batch."""

import re

import pytest

from tests.browser_support import expect

pytestmark = pytest.mark.browser

FIRST_MS = 120_000  # the first generation in the server process loads the model


def test_two_generators_share_the_batch_the_monitor_shows(page):
    page.goto("/modules/34")
    page.get_by_test_id("batch-live").click()
    running = page.get_by_test_id("batch-running")
    expect(running).to_have_text("0", timeout=FIRST_MS)
    learners = [page.context.new_page() for _ in range(2)]
    for learner in learners:
        learner.goto("/modules/29")
    for learner in learners:
        learner.locator("#w-greedy").get_by_test_id("gen-live").click()
    expect(running).to_have_text("2", timeout=FIRST_MS)
    timeline = page.get_by_test_id("batch-timeline")
    expect(timeline).to_have_attribute("data-peak", "2")
    for learner in learners:  # both runs finish, the batch empties
        expect(learner.get_by_test_id("gen-done")).to_contain_text("ms/token",
                                                                   timeout=FIRST_MS)
    expect(running).to_have_text("0", timeout=FIRST_MS)
    lanes = re.findall(r"#\d+", timeline.inner_html())
    assert len(set(lanes)) >= 2  # one lane per request
