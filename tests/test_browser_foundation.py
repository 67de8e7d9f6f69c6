"""The course shell in real headless Chromium: progress, theme, 404, keyboard, phone width."""

import json

import pytest

from tests.browser_support import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def first_two(course):
    lessons = course.lessons
    assert len(lessons) >= 2, "the course needs at least two lessons"
    return lessons[0], lessons[1]


def test_mark_complete_persists_and_shows_on_the_map(page, first_two):
    first, _ = first_two
    page.goto(first.url)
    toggle = page.locator("#complete-toggle")
    expect(toggle).to_have_text("Mark complete")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(page.locator("#complete-toggle")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".lesson-header [data-state]")).to_have_text("Complete")
    page.goto("/")
    card = page.locator(f'.card[data-module="{first.id}"]')
    expect(card).to_have_class("card is-complete")
    expect(card.locator("[data-state]")).to_have_text("Complete")
    expect(page.locator("#progress-count")).to_have_text("1")
    stored = json.loads(page.evaluate("localStorage.getItem('hlw.progress.v2')"))
    assert stored["version"] == 2 and first.id in stored["completed"]


def test_progress_saved_by_the_previous_version_is_migrated(page, first_two):
    first, _ = first_two
    page.goto("/")
    page.evaluate("""id => localStorage.setItem('hlw.progress.v1', JSON.stringify(
        {version: 1, completed: {[id]: '2026-11-01T10:00:00.000Z'}}))""", first.id)
    page.reload()
    expect(page.locator(f'.card[data-module="{first.id}"] [data-state]')).to_have_text("Complete")
    page.goto(first.url)
    page.locator("#complete-toggle").click()  # undo: saved in the new format
    stored = json.loads(page.evaluate("localStorage.getItem('hlw.progress.v2')"))
    assert stored == {"version": 2, "completed": {}, "practice": {}}
    assert page.evaluate("localStorage.getItem('hlw.progress.v1')") is None


def test_continue_link_points_to_first_incomplete_module(page, first_two):
    first, second = first_two
    page.goto("/")
    expect(page.locator("#continue-link")).to_have_attribute("href", first.url)
    page.goto(first.url)
    page.locator("#complete-toggle").click()
    page.goto("/")
    link = page.locator("#continue-link")
    expect(link).to_contain_text("Continue with")
    assert link.get_attribute("href") != first.url


def test_other_tabs_update_through_the_storage_event(page, first_two):
    first, _ = first_two
    page.goto("/")
    other = page.context.new_page()
    other.goto(first.url)
    other.locator("#complete-toggle").click()
    expect(page.locator(f'.card[data-module="{first.id}"] [data-state]')).to_have_text("Complete")
    expect(page.locator("#progress-count")).to_have_text("1")
    other.close()


def test_export_reset_and_import_progress(page, first_two, tmp_path):
    first, _ = first_two
    page.goto(first.url)
    page.locator("#complete-toggle").click()
    page.goto("/")
    with page.expect_download() as download:
        page.locator("#progress-export").click()
    saved = tmp_path / "progress.json"
    download.value.save_as(saved)
    assert first.id in json.loads(saved.read_text())["completed"]
    reset = page.locator("#progress-reset")
    reset.click()
    expect(reset).to_contain_text("Click again")
    reset.click()
    expect(page.locator("#progress-count")).to_have_text("0")
    page.locator("#progress-import").set_input_files(str(saved))
    expect(page.locator("#progress-count")).to_have_text("0")  # not before the learner agrees
    page.locator("#import-confirm").click()
    expect(page.locator("#progress-count")).to_have_text("1")
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 9}')
    page.locator("#progress-import").set_input_files(str(bad))
    expect(page.locator("#progress-message")).to_contain_text("Nothing was changed")
    expect(page.locator("#progress-count")).to_have_text("1")


def test_theme_toggle_persists_across_pages(page):
    page.emulate_media(color_scheme="light")
    page.goto("/")
    page.locator("#theme-toggle").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.goto("/modules/99")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 19, 26)"
    page.locator("#theme-toggle").click()
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "light"


def test_styled_404_links_home(page, live_server):
    response = page.goto("/modules/not-a-module")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("We couldn’t find that page")
    page.get_by_role("link", name="Back to the course map").click()
    expect(page).to_have_url(live_server + "/")


def test_keyboard_reaches_mark_complete_with_visible_focus(page, first_two):
    first, _ = first_two
    page.goto(first.url)
    page.locator("#complete-toggle").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#complete-toggle")).to_have_attribute("aria-pressed", "true")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_phone_width_has_no_horizontal_scroll(browser, live_server, course):
    context = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740})
    page = context.new_page()
    wide = {}
    for path in ["/", *[lesson.url for lesson in course.lessons]]:
        page.goto(path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            wide[path] = overflow
    context.close()
    assert not wide, f"pages that scroll sideways at 360px (px): {wide}"


def test_maths_renders_as_mathml_without_javascript(browser, live_server, course):
    lesson = next(x for x in course.lessons if "<math" in x.html)
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.goto(lesson.url)
    assert page.locator("#lesson math").count() > 0
    box = page.locator("#lesson math").first.bounding_box()
    assert box and box["width"] > 0
    context.close()
