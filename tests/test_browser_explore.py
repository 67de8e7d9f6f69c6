"""The forward-pass explorer in a real browser: type a prompt, open block 19's attention
and a head with the keyboard, step through the pass, follow "why this token?" to the
logit lens, round-trip the address, and read it on a 360 px phone."""

from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser_support import expect

pytestmark = pytest.mark.browser

FIRST_MS = 60_000  # the first model request of the server process loads the GGUF
TIMEOUT_MS = 20_000
PROMPT = "The Eiffel Tower is in the city of"

# Visible text in the widget drawn smaller than 12 CSS px (SVG text scaled by its viewBox).
SMALL_TEXT = """() => {
  const out = [];
  for (const el of document.querySelectorAll('.widget *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest('.visually-hidden') || !el.getBoundingClientRect().width) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    const svg = el.closest('svg');
    if (svg && svg.viewBox.baseVal && svg.viewBox.baseVal.width) {
      size *= svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    }
    if (size < 12) out.push(`${el.tagName} ${size.toFixed(1)}px: ${el.textContent.slice(0, 20)}`);
  }
  return out;
}"""


def press_tab_until(page, key: str, limit: int = 30) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.xpKey") == key:
            return
    pytest.fail(f"Tab never reached {key}")


def test_prompt_to_head_by_keyboard_then_step_and_ask_why(page):
    page.goto("/explore")
    blocks = page.get_by_test_id("xp-block")
    expect(blocks).to_have_count(30, timeout=FIRST_MS)
    page.locator("#w-explore-prompt").fill(PROMPT)
    chips = page.locator(".xp-chips .llm-token")
    expect(chips).to_have_count(9, timeout=FIRST_MS)
    expect(page.get_by_test_id("xp-diagram")).to_contain_text("(9, 576)")
    expect(page.get_by_test_id("xp-diagram")).to_contain_text("(9 heads, 9, 9)")

    # The 30 blocks are one tab stop: arrows move, Enter opens block 19's attention.
    current = page.locator("[data-xp-key=block-19]")
    current.focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("[data-xp-key=block-20]")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")
    panel = page.get_by_test_id("xp-panel")
    expect(panel).to_have_attribute("data-panel", "attn", timeout=TIMEOUT_MS)
    expect(current).to_be_focused()
    expect(page.get_by_test_id("xp-group")).to_have_count(3)
    for group in page.get_by_test_id("xp-group").all():
        expect(group.get_by_test_id("xp-head")).to_have_count(3)
    press_tab_until(page, "head-5")
    page.keyboard.press("Enter")
    pattern = page.get_by_test_id("xp-pattern")
    expect(pattern).to_have_attribute("data-head", "5", timeout=TIMEOUT_MS)
    expect(pattern).to_have_attribute("data-layer", "19")
    expect(pattern.locator("tbody tr")).to_have_count(9)
    expect(page.locator("[data-xp-key=head-5]")).to_be_focused()

    # "Next stage" walks on to the feed-forward network; the arrow into it carries the flow.
    page.get_by_test_id("xp-next").focus()
    page.keyboard.press("Enter")
    expect(panel).to_have_attribute("data-panel", "ffn", timeout=TIMEOUT_MS)
    expect(page.locator(".xp-arrow[data-into=ffn]")).to_have_class("xp-arrow is-flow")
    expect(page.get_by_test_id("xp-next")).to_be_focused()

    # "Why this token?": the layer it names is where the logit-lens widget first agrees.
    first = page.get_by_test_id("xp-first-top")
    depth = int(first.get_attribute("data-depth"))
    lens = page.request.get("/api/widgets/logit-lens", params={"prompt": PROMPT}).json()
    final = lens["layers"][-1]["top_tokens"][-1]
    assert depth == next(d for d, row in enumerate(lens["layers"])
                         if row["top_tokens"][-1] == final)
    page.get_by_test_id("xp-go-trail-lens").click()
    expect(panel).to_have_attribute("data-panel", "lens", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("xp-lens-rank")).to_have_text("1")
    expect(panel).to_contain_text(f"block {depth}")

    # The address holds the prompt and the open stage: reloading it reopens the same view.
    state = parse_qs(urlparse(page.url).query)
    assert urlparse(page.url).path == "/explore"
    assert state["prompt"] == [PROMPT] and state["stage"] == ["lens"]
    assert state["layer"] == [str(depth)]
    page.reload()
    expect(panel).to_have_attribute("data-panel", "lens", timeout=FIRST_MS)
    expect(page.locator(f"[data-xp-key=block-{depth}]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".xp-chips .llm-token")).to_have_count(9)


def test_choosing_a_next_token_appends_it(page):
    page.goto("/explore?stage=output")
    first = page.get_by_test_id("xp-candidate").first
    expect(first).to_be_visible(timeout=FIRST_MS)
    expect(page.locator(".xp-chips .llm-token")).to_have_count(5)
    first.click()
    expect(page.locator(".xp-chips .llm-token")).to_have_count(6, timeout=TIMEOUT_MS)
    expect(page.locator("#w-explore-prompt")).to_have_value("The capital of France is Paris")
    # "Edit the prompt" takes the reader to the prompt box, wherever the layout put it.
    page.locator("a[data-xp-edit]").click()
    expect(page.locator("#w-explore-prompt")).to_be_focused()


def test_the_embed_view_works_alone(page):
    page.goto("/embed/explore?stage=embed")
    expect(page.get_by_test_id("xp-block")).to_have_count(30, timeout=FIRST_MS)
    expect(page.get_by_test_id("xp-embed")).to_be_visible()
    page.get_by_test_id("xp-next").click()
    expect(page.get_by_test_id("xp-panel")).to_have_attribute("data-panel", "rope",
                                                              timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("xp-rope")).to_be_visible()


@pytest.mark.parametrize("stage", ["tokens", "attn", "rope", "ffn", "residual"])
def test_a_phone_reads_it(browser, live_server, stage):
    context = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"/explore?stage={stage}&layer=19")
        expect(page.get_by_test_id("xp-panel")).to_have_attribute("data-panel", stage,
                                                                  timeout=FIRST_MS)
        assert page.evaluate(SMALL_TEXT) == []
        # Nothing widens the page: wide tables scroll inside their own box.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


@pytest.mark.parametrize("reduced", [False, True])
def test_stepping_animates_unless_reduced_motion_is_asked(browser, live_server, reduced):
    context = browser.new_context(base_url=live_server,
                                  reduced_motion="reduce" if reduced else "no-preference")
    page = context.new_page()
    try:
        page.goto("/explore")
        expect(page.get_by_test_id("xp-next")).to_be_visible(timeout=FIRST_MS)
        page.evaluate("""() => { window.sawPacket = false;
          new MutationObserver((list) => { for (const m of list) for (const n of m.addedNodes)
            if (n.classList && n.classList.contains('xp-packet')) window.sawPacket = true; })
            .observe(document.body, { childList: true }); }""")
        page.get_by_test_id("xp-next").click()
        expect(page.get_by_test_id("xp-panel")).to_have_attribute("data-panel", "embed",
                                                                  timeout=TIMEOUT_MS)
        page.wait_for_timeout(100)
        assert page.evaluate("window.sawPacket") is (not reduced)
    finally:
        context.close()
