"""In Chromium: widgets inline in lessons, set-up buttons, checkpoints that remember,
anchors clear of the sticky player, state in links, no flood of requests, pages that
work without JavaScript, chart text that stays legible on a phone."""

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser_support import expect

pytestmark = pytest.mark.browser
TIMEOUT_MS = 30_000
# One lesson from every part, each with inline widgets and checkpoints.
SAMPLE = ["01", "12", "17", "24", "30", "38"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def first_piece_fraction(page) -> float:
    return page.evaluate("""() => {
        const el = document.querySelector('#lesson .piece');
        const top = el.getBoundingClientRect().top + scrollY;
        return top / document.documentElement.scrollHeight;
    }""")


@pytest.mark.parametrize("module", SAMPLE)
def test_first_interactive_element_within_the_first_fifth(page, module):
    page.goto(f"/modules/{module}")
    assert first_piece_fraction(page) <= 0.20


def wait_for_state(page, widget_id: str, values: dict) -> None:
    """After each result arrives, an inline widget's full-screen link (or, on a playground
    page, the address itself) is rewritten to the widget's state."""
    page.wait_for_function(
        """([id, want]) => {
            const a = document.querySelector(`#${id} [data-full-link]`);
            const got = new URL(a ? a.href : location.href).searchParams;
            return Object.entries(want).every(([k, v]) => got.getAll(k).join(',') === v);
        }""", arg=[widget_id, values], timeout=TIMEOUT_MS)


def test_setup_button_loads_the_widget_beside_it(page):
    page.goto("/modules/04")
    link = page.locator("a.setup-link").first
    target = link.get_attribute("data-setup-for")
    wanted = {k: str(v) for k, v in
              __import__("json").loads(link.get_attribute("data-setup")).items()}
    link.click()
    wait_for_state(page, target, wanted)
    # Focus moved to the widget, whose fields now hold what the prompt described.
    assert page.evaluate("document.activeElement.id") == target
    for name, value in wanted.items():
        field = page.locator(f"#{target} form [name='{name}']").first
        if field.get_attribute("type") != "checkbox":
            assert field.input_value() == value


def test_checkpoint_feedback_persists_across_reload(page):
    page.goto("/modules/12")
    box = page.locator(".checkpoint[data-kind=choice]").first
    correct = box.get_attribute("data-correct")
    radios = box.locator("input[type=radio]")
    wrong = next(i for i in range(radios.count()) if str(i) != correct)
    radios.nth(wrong).check()
    box.locator("button[type=submit]").click()
    expect(box.locator("[data-feedback-slot]")).to_contain_text("Not quite")
    expect(box.locator("details[data-reveal]")).to_have_attribute("open", "")
    page.reload()
    box = page.locator(".checkpoint[data-kind=choice]").first
    slot = box.locator("[data-feedback-slot]")
    expect(slot).to_contain_text("Your earlier prediction: Not quite")
    assert box.locator("input[type=radio]").nth(wrong).is_checked()
    box.locator("input[type=radio]").nth(int(correct)).check()
    box.locator("button[type=submit]").click()
    expect(box.locator("[data-feedback-slot]")).to_contain_text("Right.")
    page.reload()
    expect(page.locator(".checkpoint[data-kind=choice]").first
           .locator("[data-feedback-slot]")).to_contain_text("Your earlier prediction: Right.")


def test_number_checkpoint_grades_with_its_tolerance(page):
    page.goto("/modules/12")
    box = page.locator(".checkpoint[data-kind=number]").first
    answer = float(box.get_attribute("data-answer"))
    tolerance = float(box.get_attribute("data-tolerance"))
    box.locator("input[name=guess]").fill(str(answer + 10 * tolerance + 1))
    box.locator("button[type=submit]").click()
    expect(box.locator("[data-feedback-slot]")).to_contain_text("Not quite")
    box.locator("input[name=guess]").fill(str(answer + tolerance / 2))
    box.locator("button[type=submit]").click()
    expect(box.locator("[data-feedback-slot]")).to_contain_text("Right.")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "360"])
def test_anchors_are_not_hidden_under_the_player(browser, live_server, viewport):
    context = browser.new_context(base_url=live_server, viewport=viewport)
    page = context.new_page()
    page.set_default_navigation_timeout(120_000)
    page.goto("/modules/12")
    anchors = ["practice", "lesson", *page.eval_on_selector_all(
        "#lesson .widget, #lesson .checkpoint", "els => els.map(e => e.id)")]
    hidden = []
    for anchor in anchors:
        page.goto(f"/modules/12#{anchor}")
        page.wait_for_timeout(50)
        top = page.evaluate(f"document.getElementById('{anchor}').getBoundingClientRect().top")
        player = page.evaluate("""() => { const p = document.getElementById('player');
            return p ? p.getBoundingClientRect().bottom : 0; }""")
        if top < player - 1:
            hidden.append((anchor, top, player))
    height = page.evaluate("document.getElementById('player').getBoundingClientRect().height")
    context.close()
    assert not hidden
    if viewport is PHONE:
        assert height <= 56


def test_lesson_works_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.set_default_navigation_timeout(120_000)
    page.goto("/modules/12")
    # Every inline widget arrived with its result computed on the server.
    results = page.locator("#lesson .widget-result")
    assert results.count() >= 3
    for i in range(results.count()):
        assert results.nth(i).inner_text().strip()
    # A checkpoint still reveals its answer; a set-up button is a link to that state.
    page.locator(".checkpoint summary").first.click()
    expect(page.locator(".checkpoint .answer").first).to_be_visible()
    href = page.locator("a.setup-link").first.get_attribute("href")
    assert href.startswith("/playground/")
    page.goto(href)
    query = parse_qs(urlparse(href).query)
    name, values = next(iter(query.items()))
    field = page.locator(f"form.widget-controls [name='{name}']").first
    if field.get_attribute("type") not in ("checkbox", "hidden", "range"):
        assert field.input_value() == values[-1]
    context.close()


def test_copied_link_reproduces_the_state(browser, live_server):
    context = browser.new_context(base_url=live_server,
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_navigation_timeout(120_000)
    page.goto("/playground/softmax")
    page.fill("#w-softmax-logits", "1,2,3")
    page.locator("#w-softmax-logits").dispatch_event("input")
    wait_for_state(page, "w-softmax", {"logits": "1,2,3"})
    entropy = page.locator("[data-testid=entropy]").inner_text()
    # The playground's own address follows the state too (replaced, not pushed).
    assert "logits=1%2C2%2C3" in page.url or "logits=1,2,3" in page.url
    page.locator("[data-copy-link]").click()
    expect(page.locator("[data-copy-link]")).to_have_text("Link copied")
    url = page.evaluate("navigator.clipboard.readText()")
    other = context.new_page()
    other.goto(url)
    assert other.locator("#w-softmax-logits").input_value() == "1,2,3"
    assert other.locator("[data-testid=entropy]").inner_text() == entropy
    context.close()


def test_holding_arrow_right_sends_the_final_value_and_never_503(page):
    page.goto("/playground/induction")
    statuses = []
    page.on("response", lambda r: statuses.append(r.status) if "/widgets/" in r.url else None)
    slider = page.locator("form.widget-controls input[type=range]").first
    slider.focus()
    start = float(slider.input_value())
    for _ in range(25):  # about one second of a held key
        page.keyboard.press("ArrowRight", delay=40)
    final = slider.input_value()
    assert float(final) > start
    name = slider.get_attribute("name")
    wait_for_state(page, "w-induction", {name: final})
    assert 503 not in statuses and len(statuses) <= 3, statuses


def text_sizes_below(page, minimum: float) -> list:
    return page.evaluate("""(minimum) => {
        const small = [];
        const walker = document.createTreeWalker(document.querySelector('.widget'),
                                                 NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const node = walker.currentNode;
            const el = node.parentElement;
            if (!node.textContent.trim() || !el.getClientRects().length) continue;
            if (el.closest('[hidden], .visually-hidden, title, desc, option')) continue;
            let size = parseFloat(getComputedStyle(el).fontSize);
            const svgText = el.closest('svg') && el.getScreenCTM ? el : null;
            if (svgText) {
                const m = svgText.getScreenCTM();
                size *= Math.hypot(m.a, m.b);
            }
            const text = node.textContent.trim().slice(0, 20);
            if (size < minimum - 0.01) small.push([el.tagName, text, size]);
        }
        return small;
    }""", minimum)


def test_chart_text_is_at_least_12px_on_a_phone(browser, live_server, app):
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    page.set_default_navigation_timeout(120_000)
    failures = {}
    for name in sorted(app.state.widgets):
        page.goto(f"/playground/{name}")
        small = text_sizes_below(page, 12)
        if small:
            failures[name] = small[:3]
    context.close()
    assert not failures, failures


def test_the_maths_font_loads(page):
    page.goto("/modules/12")
    page.evaluate("document.fonts.ready")
    loaded = page.evaluate("""() => [...document.fonts].filter(f =>
        f.family.replace(/"/g, '') === 'Noto Sans Math' && f.status === 'loaded').length""")
    assert loaded >= 1
    assert page.evaluate("""() => getComputedStyle(document.querySelector('math'))
        .fontFamily""").startswith('"Noto Sans Math"')


def test_thousands_render_as_one_number(page):
    page.goto("/modules/10")
    numbers = page.eval_on_selector_all("math mn", "els => els.map(e => e.textContent)")
    assert any(re.fullmatch(r"\d{1,3}(,\d{3})+", n) for n in numbers)
