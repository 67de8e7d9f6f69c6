"""The whole course: exactly the 42 syllabus modules, completable end to end in the browser."""

import pytest

from tests.browser_support import expect

SYLLABUS_IDS = [f"{i:02d}" for i in range(1, 13)] + ["12a"] + [f"{i:02d}" for i in range(13, 42)]


def test_the_index_holds_exactly_the_42_syllabus_ids_in_order(course):
    assert len(SYLLABUS_IDS) == 42
    assert [lesson.id for lesson in course.lessons] == SYLLABUS_IDS
    assert all(e.lesson is not None for e in course.entries)


def test_every_lesson_has_narration(course):
    missing = [lesson.id for lesson in course.lessons if course.get(lesson.id).narration is None]
    assert not missing, f"no narration for {missing}: run make audio"


@pytest.mark.browser
def test_all_42_modules_can_be_completed_in_the_browser(page, course):
    page.goto("/")
    expect(page.locator("#progress-count")).to_have_text("0")
    for lesson in course.lessons:
        page.goto(lesson.url)
        toggle = page.locator("#complete-toggle")
        toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "true")
    page.goto("/")
    expect(page.locator("#progress-count")).to_have_text("42")
    expect(page.locator("#progress-bar")).to_have_attribute("value", "42")
    assert page.evaluate("document.getElementById('progress-bar').textContent") == "100%"
    expect(page.locator("#continue-link")).to_contain_text("All modules complete")
    assert page.locator(".card.is-complete").count() == 42
