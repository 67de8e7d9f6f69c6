"""In the browser: axe-core accessibility, page weight, keyboard use, no script injection."""

import gzip
import re
from pathlib import Path

import httpx
import pytest

from tests.browser_support import expect

pytestmark = pytest.mark.browser

AXE = next((Path(__file__).parent / "assets").glob("axe-*.min.js"))
PAGE_BUDGET_BYTES = 150 * 1024
JS_BUDGET_BYTES = 40 * 1024


def reference_lesson(course):
    entry = course.get("12") or next(e for e in course.by_id.values() if e.lesson.meta.widgets)
    return entry.lesson.url


def axe_violations(page) -> list:
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def audited_paths(app, course):
    return ["/", reference_lesson(course), "/modules/does-not-exist",
            *[f"/playground/{name}" for name in sorted(app.state.widgets)]]


def test_axe_finds_no_serious_violations(browser, live_server, app, course):
    # axe needs to inject its script, so this context bypasses the page's CSP.
    context = browser.new_context(base_url=live_server, bypass_csp=True)
    page = context.new_page()
    failures = {}
    for path in audited_paths(app, course):
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.goto(path)
            page.wait_for_load_state("networkidle")
            found = axe_violations(page)
            if found:
                failures[f"{path} ({scheme})"] = found
    context.close()
    assert not failures, failures


def test_page_weight_budget(live_server, course):
    """HTML + CSS + JS + the maths font, gzip as sent, excluding audio."""
    for path in ["/", reference_lesson(course)]:
        page = httpx.get(live_server + path, headers={"Accept-Encoding": "gzip"}, timeout=120)
        html = page.content
        total = len(gzip.compress(html)) if page.headers.get("content-encoding") != "gzip" \
            else int(page.headers["content-length"])
        js_total = 0
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+\.(?:js|css)\?v=[0-9a-f]+)"',
                                page.text):
            response = httpx.get(live_server + asset, headers={"Accept-Encoding": "gzip"})
            size = int(response.headers.get("content-length", len(response.content)))
            total += size
            if ".js?" in asset:
                js_total += size
        css = next(a for a in re.findall(r'href="(/static/[^"]+\.css\?v=[0-9a-f]+)"', page.text))
        stylesheet = httpx.get(live_server + css).text
        for font in re.findall(r'url\("\.\./(vendor/fonts/[^"]+)"\)', stylesheet):
            total += len(httpx.get(f"{live_server}/static/{font}").content)
        assert total < PAGE_BUDGET_BYTES, f"{path}: {total} bytes"
        assert js_total < JS_BUDGET_BYTES, f"{path}: JS {js_total} bytes"


def test_keyboard_only_slider_updates_result(page):
    page.goto("/playground/softmax")
    expect(page.locator("#w-softmax-result .bars").first).to_be_visible()
    before = page.locator("[data-testid=entropy]").inner_text()
    page.keyboard.press("Tab")
    for _ in range(30):
        if page.evaluate("document.activeElement.id") == "w-softmax-temperature":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "w-softmax-temperature"
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    expect(page.locator("[data-testid=entropy]")).not_to_have_text(before)


def test_script_payloads_never_execute(page, app):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    page.goto("/playground/softmax")
    page.fill("#w-softmax-logits", payload)
    expect(page.locator("#w-softmax-error")).to_be_visible()
    for name in sorted(app.state.widgets):
        page.goto(f"/widgets/{name}?sentence={payload}&prompt={payload}&text={payload}")
    page.goto("/modules/" + payload)
    page.wait_for_timeout(300)
    assert dialogs == []
