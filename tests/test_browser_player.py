"""The narration player in real Chromium: play, read-along, play-from-here, resume, speed, keys.

A server of its own (uvicorn, on a free port) serves a one-lesson course whose
narration is built here with real Piper; the shared ``browser`` fixture drives it.
"""

import time

import pytest

from bench.server import uvicorn_server
from tests.narration_support import ROOT, build_course

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def narrated_server(tmp_path_factory):
    lessons, audio = build_course(tmp_path_factory.mktemp("browser"))
    env = {"COURSE_LESSONS_DIR": str(lessons), "COURSE_AUDIO_DIR": str(audio)}
    with uvicorn_server(env=env) as (port, _process):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def lesson(browser, narrated_server):
    """A fresh context (empty localStorage) on the narrated lesson; JS errors fail the test."""
    context = browser.new_context(base_url=narrated_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto("/modules/12")
    page.wait_for_selector(".play-here")  # cues loaded, buttons inserted
    page.evaluate("document.getElementById('player-audio').muted = true")
    yield page
    context.close()
    assert not errors, f"browser errors: {errors}"


def wait_until(page, js: str, timeout_s: float = 10.0) -> None:
    """Poll a JS expression until truthy (wait_for_function would need 'unsafe-eval' under CSP)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(js):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {js}")
        page.wait_for_timeout(50)


def current_time(page) -> float:
    return page.evaluate("document.getElementById('player-audio').currentTime")


def speaking_block(page) -> str | None:
    return page.evaluate("document.querySelector('#lesson .is-speaking')?.dataset.block ?? null")


def test_controls_are_labelled_and_native_player_hidden(lesson):
    assert lesson.is_visible("#player-bar") and not lesson.is_visible("#player-audio")
    # One compact row: play, position, time and an options button; the rest behind it.
    assert not lesson.is_visible("#player-back") and not lesson.is_visible("#player-keys")
    lesson.click(".player-options summary")
    assert lesson.is_visible("#player-back") and lesson.is_visible("#player-keys")
    for name in ("Play", "Back 15 s", "Forward 15 s"):
        assert lesson.get_by_role("button", name=name, exact=True).count() == 1
    assert lesson.get_by_label("Position in the narration").count() == 1
    assert lesson.get_by_label("Speed").count() == 1
    assert not lesson.is_checked("#player-autoplay")  # off by default
    assert lesson.evaluate("document.getElementById('player-audio').paused")
    buttons = lesson.locator("#lesson p[data-block] > button.play-here")
    assert buttons.count() == 4  # blocks 2 to 5 (block 1 is a heading)
    assert buttons.first.get_attribute("type") == "button"


def test_play_advances_and_highlight_follows_cues(lesson):
    lesson.click("#player-play")
    wait_until(lesson, "document.getElementById('player-audio').currentTime > 0.5", 15)
    assert lesson.inner_text("#player-play-label") == "Pause"
    assert lesson.locator(".is-speaking").count() == 1  # title, tagline or an idea
    # Jump to just before block 3's first cue and let the cue boundary pass by itself.
    start3 = float(lesson.locator('[data-block="3"] .play-here').get_attribute("data-start"))
    lesson.evaluate(f"document.getElementById('player-audio').currentTime = {start3 - 0.8}")
    speaking = "document.querySelector('#lesson .is-speaking')?.dataset.block"
    for block in ("2", "3"):
        wait_until(lesson, f"{speaking} === '{block}'")
    assert lesson.locator(".is-speaking").count() == 1
    assert lesson.locator(".transcript-cue.is-current").count() == 1


def test_play_from_here_seeks_to_the_paragraph(lesson):
    button = lesson.locator('[data-block="4"] .play-here')
    start4 = float(button.get_attribute("data-start"))
    button.click()
    wait_until(lesson, "!document.getElementById('player-audio').paused", 10)
    assert start4 - 0.1 <= current_time(lesson) < start4 + 3
    assert speaking_block(lesson) == "4"


def test_reload_resumes_position_and_speed(lesson):
    lesson.click(".player-options summary")
    lesson.select_option("#player-speed", "1.5")
    lesson.click("#player-play")
    wait_until(lesson, "document.getElementById('player-audio').currentTime > 0.2", 15)
    lesson.evaluate("document.getElementById('player-audio').currentTime = 20")
    wait_until(lesson, "document.getElementById('player-audio').currentTime >= 20")
    lesson.click("#player-play")  # pause: saves the place
    saved = current_time(lesson)
    lesson.reload()
    wait_until(lesson, "document.getElementById('player-audio').currentTime > 1", 10)
    assert abs(current_time(lesson) - saved) < 1.0
    assert lesson.input_value("#player-speed") == "1.5"
    assert lesson.evaluate("document.getElementById('player-audio').playbackRate") == 1.5
    assert "Resuming at 0:2" in lesson.inner_text("#player-status")


def test_keyboard_shortcuts_skip_text_fields(lesson):
    lesson.locator("h1").click()
    lesson.keyboard.press("k")
    wait_until(lesson, "!document.getElementById('player-audio').paused", 10)
    lesson.keyboard.press("k")
    assert lesson.evaluate("document.getElementById('player-audio').paused")
    before = current_time(lesson)
    lesson.keyboard.press("l")
    assert current_time(lesson) == pytest.approx(before + 15, abs=0.5)
    lesson.keyboard.press("j")
    assert current_time(lesson) == pytest.approx(before, abs=0.5)
    lesson.evaluate("""() => { const i = document.createElement('input');
        i.id = 'typing'; i.type = 'text'; document.querySelector('#lesson').append(i); }""")
    lesson.fill("#typing", "")
    lesson.keyboard.type("kjl")
    assert lesson.input_value("#typing") == "kjl"
    assert lesson.evaluate("document.getElementById('player-audio').paused")
    assert current_time(lesson) == pytest.approx(before, abs=0.5)


def test_transcript_and_media_session(lesson):
    lesson.click("#player-transcript summary")
    text = lesson.inner_text("#player-transcript-text")
    assert "Attention mixes value vectors." in text
    assert "This sentence replaces the next paragraph." in text and "SECRET" not in text
    title = lesson.evaluate("navigator.mediaSession.metadata?.title")
    assert title == "12 · Attention from first principles"


def cue_start(page, cue_id: str) -> float:
    """A cue's start time, read from the page's own WebVTT file."""
    return page.evaluate("""async (id) => {
        const text = await (await fetch(document.getElementById('player').dataset.vtt)).text();
        const block = text.split('\\n\\n').find((b) => b.startsWith(id + '\\n'));
        const [h, m, s] = block.split('\\n')[1].split(' --> ')[0].split(':');
        return Number(h) * 3600 + Number(m) * 60 + Number(s); }""", cue_id)


def test_scrolls_to_the_spoken_part_only_when_opted_in(lesson):
    lesson.set_viewport_size({"width": 800, "height": 400})
    question3 = ".practice > li:nth-child(3) .question-text"
    start = cue_start(lesson, "q3-1")
    lesson.click("#player-play")
    lesson.evaluate(f"document.getElementById('player-audio').currentTime = {start}")
    wait_until(lesson, f"document.querySelector('{question3}').classList.contains('is-speaking')")
    assert lesson.evaluate("window.scrollY") == 0  # not opted in: the page stays put

    lesson.click("#player-play")  # pause
    lesson.click(".player-options summary")
    lesson.check("#player-follow")
    lesson.evaluate(f"document.getElementById('player-audio').currentTime = {start - 3}")
    lesson.click("#player-play")
    wait_until(lesson, f"document.querySelector('{question3}').classList.contains('is-speaking')")
    wait_until(lesson, "window.scrollY > 0")
    assert lesson.evaluate("JSON.parse(localStorage.getItem('hlw.narration.v1')).follow") is True


def test_player_has_no_serious_axe_violations(browser, narrated_server):
    """axe-core on the player, transcript and read-along body, light and dark."""
    axe = next((ROOT / "tests" / "assets").glob("axe-*.min.js")).read_text()
    context = browser.new_context(base_url=narrated_server, bypass_csp=True)  # axe is injected
    page = context.new_page()
    failures = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.goto("/modules/12")
        page.wait_for_selector(".play-here")
        page.click(".player-options summary")
        page.click("#player-transcript summary")
        page.click('[data-block="3"] .play-here')  # a highlighted paragraph and cue
        page.add_script_tag(content=axe)
        result = page.evaluate("""axe.run({include: [['#player'], ['.player-extras'], ['#lesson']]},
                                          {resultTypes: ['violations']})""")
        found = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
                 if v["impact"] in ("serious", "critical")]
        if found:
            failures[scheme] = found
    context.close()
    assert not failures, failures
