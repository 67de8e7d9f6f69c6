"""Graded practice in a real browser: answer, feedback, hint, mastery on the map, the
review page, and export → reset → import of progress with mastery and schedule."""

import json
import re

import numpy as np

from tests.browser_support import expect

QUESTION = "#pq-04-1"


def _check(page, selector: str, *answers: str) -> None:
    fields = page.locator(f"{selector} input[name=answer]")
    for i, text in enumerate(answers):
        fields.nth(i).fill(text)
    page.locator(f"{selector} button[type=submit]:not([name])").click()


def _stored(page) -> dict:
    return json.loads(page.evaluate("localStorage.getItem('hlw.progress.v2')") or "{}")


def test_wrong_then_hint_then_right_counts_on_the_map(page):
    page.goto("/modules/04#practice")
    _check(page, QUESTION, "0.5", "0.5")
    verdict = page.locator(f"{QUESTION}-feedback")
    expect(verdict).to_contain_text("Not quite.")
    expect(verdict.locator(".hint")).to_contain_text("difference")
    expect(verdict.locator(".solution")).to_have_count(0)
    _check(page, QUESTION, "0.881", "0.8808")
    expect(verdict).to_contain_text("Right.")
    expect(page.locator(".lesson-header [data-mastery]")).to_have_text("1 of 4 questions right")
    record = _stored(page)["practice"]["04:1"]
    assert record["result"] == "right" and record["box"] == 0  # a miss keeps it in box 0
    page.goto("/")
    expect(page.locator('.card[data-module="04"] [data-mastery]')).to_have_text(
        "1 of 4 questions right")


def test_second_miss_shows_the_worked_solution_and_a_mistake_explains_itself(page):
    page.goto("/modules/04#practice")
    _check(page, "#pq-04-2", "4.7", "1")
    verdict = page.locator("#pq-04-2-feedback")
    expect(verdict.locator(".why")).to_contain_text("gap between the logits")
    _check(page, "#pq-04-2", "100", "1")
    expect(verdict.locator(".solution")).to_have_attribute("open", "")
    expect(verdict.get_by_test_id("practice-answer")).to_contain_text("109.95")


def test_bad_input_is_explained_where_it_was_typed(page):
    page.goto("/modules/04#practice")
    _check(page, QUESTION, "about a half", "0.5")
    expect(page.locator(f"{QUESTION}-feedback")).to_contain_text("is not a number")
    assert "04:1" not in _stored(page).get("practice", {})


def _given(page, selector: str) -> dict[str, str]:
    terms = page.locator(f"{selector} .given dt").all_inner_texts()
    values = page.locator(f"{selector} .given dd").all_inner_texts()
    return dict(zip(terms, values, strict=True))


def test_generated_question_draws_fresh_numbers_and_grades_them(page):
    page.goto("/modules/04#practice")
    selector = "#pq-04-4"
    seed_input = page.locator(f"{selector} input[name=seed]")
    expect(seed_input).not_to_have_value("1")  # replaced by this learner's own draw
    given = _given(page, selector)
    logits = np.array(json.loads(given["logits"]))
    z = logits / float(given["T"])
    top = float(np.max(np.exp(z - z.max()) / np.exp(z - z.max()).sum()))
    _check(page, selector, f"{top:.3f}")
    expect(page.locator(f"{selector}-feedback")).to_contain_text("Right.")
    seed = seed_input.get_attribute("value")
    page.locator(f"{selector}-feedback").get_by_role("button", name="Try new numbers").click()
    expect(page.locator(f"{selector} input[name=seed]")).not_to_have_value(seed)


def test_self_graded_question_counts_at_i_had_it(page):
    page.goto("/modules/04#practice")
    page.locator("#pq-04-3").get_by_role("button", name="Compare with the solution").click()
    feedback = page.locator("#pq-04-3-feedback")
    expect(feedback.locator(".solution")).to_be_visible()
    feedback.get_by_role("button", name="I had it").click()
    expect(page.locator(".lesson-header [data-mastery]")).to_have_text("1 of 4 questions right")


def test_due_question_appears_on_review_and_leaves_when_answered(page):
    page.goto("/modules/04#practice")
    _check(page, QUESTION, "0.2", "0.2")  # a miss: due again in 10 minutes
    expect(page.locator(f"{QUESTION}-feedback")).to_contain_text("Not quite.")
    page.goto("/review")
    expect(page.locator("#review-status")).to_contain_text("Nothing to review right now")
    # Ten minutes pass.
    page.evaluate("""() => { const d = JSON.parse(localStorage.getItem('hlw.progress.v2'));
        d.practice['04:1'].due = new Date(Date.now() - 1000).toISOString();
        localStorage.setItem('hlw.progress.v2', JSON.stringify(d)); }""")
    page.goto("/")
    expect(page.locator("#review-link")).to_have_text("1 question to review")
    page.goto("/review")
    expect(page.locator("#review-list [data-practice]")).to_have_count(1)
    expect(page.locator("#review-status")).to_contain_text("1 of 1 question left")
    _check(page, QUESTION, "0.8808", "0.8808")
    expect(page.locator(f"{QUESTION}-feedback")).to_contain_text("Right.")
    expect(page.locator("#review-status")).to_contain_text("All done")
    page.reload()
    expect(page.locator("#review-list [data-practice]")).to_have_count(0)
    # Right at the first try in review: box 1, due again in a day.
    expect(page.locator("#review-status")).to_contain_text("next question is due in 24 h")


def test_export_reset_import_restores_progress_mastery_and_schedule(page, tmp_path):
    page.goto("/modules/04#practice")
    _check(page, QUESTION, "0.8808", "0.8808")
    expect(page.locator(f"{QUESTION}-feedback")).to_contain_text("Right.")
    page.locator("#complete-toggle").click()
    before = _stored(page)
    page.goto("/")
    with page.expect_download() as download:
        page.locator("#progress-export").click()
    saved = tmp_path / "progress.json"
    download.value.save_as(saved)
    assert json.loads(saved.read_text()) == before
    page.locator("#progress-reset").click()
    page.locator("#progress-reset").click()
    expect(page.locator('.card[data-module="04"] [data-mastery]')).to_have_text(
        "0 of 4 questions right")
    page.locator("#progress-import").set_input_files(str(saved))
    expect(page.locator("#progress-message")).to_contain_text("1 practice result(s)")
    assert _stored(page)["practice"] == {}  # nothing replaced before the learner agrees
    page.locator("#import-confirm").click()
    expect(page.locator('.card[data-module="04"] [data-mastery]')).to_have_text(
        "1 of 4 questions right")
    assert _stored(page) == before


def test_import_of_an_old_file_migrates_and_a_bad_one_changes_nothing(page, tmp_path):
    page.goto("/")
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"version": 1, "completed": {
        "03": "2026-11-01T10:00:00.000Z", "99": "2026-11-01T10:00:00.000Z"}}))
    page.locator("#progress-import").set_input_files(str(old))
    expect(page.locator("#progress-message")).to_contain_text("will be left out")
    page.locator("#import-confirm").click()
    stored = _stored(page)
    assert stored["version"] == 2 and list(stored["completed"]) == ["03"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 2, "completed": {}, "practice": {
        "04:1": {"result": "maybe", "box": 1, "due": "2026-11-01", "at": "2026-11-01"}}}))
    page.locator("#progress-import").set_input_files(str(bad))
    expect(page.locator("#progress-message")).to_have_text(
        re.compile(r"cannot be imported: practice entry '04:1' is malformed"))
    assert _stored(page) == stored


def test_order_question_is_solved_with_the_keyboard(page):
    page.goto("/modules/22#practice")
    question = page.locator("#pq-22-6")
    items = question.locator("[data-order-list] > li")
    _check(page, "#pq-22-6")  # the shuffled order, as given
    expect(page.locator("#pq-22-6-feedback")).to_contain_text("in the right place")
    # Insertion sort by "Move up", pressed with the keyboard: item k goes up until in place.
    for target in range(items.count()):
        while True:
            order = [int(i) for i in items.evaluate_all("els => els.map(e => e.dataset.index)")]
            at = order.index(target)
            if at == target:
                break
            items.nth(at).get_by_role("button", name="Move up").press("Enter")
    assert question.locator("[data-order-answer]").input_value() == "0,1,2,3"
    _check(page, "#pq-22-6")
    expect(page.locator("#pq-22-6-feedback")).to_contain_text("Right.")
