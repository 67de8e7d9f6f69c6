"""Playwright, imported only when a browser test runs, and what the widget browser tests
share: moving a control, and checking that a readout shows what the widget computes.

A test module that holds unit tests next to a browser test imports ``expect`` from
here, so its unit tests are collected and run on a machine without Playwright
(``pytest -m "not browser"``); ``tests/conftest.py`` starts the browser the same way,
inside its fixture.

The numbers a browser test expects come from the widget's own computation
(:func:`tests.lesson_support.widget`, the route's parse and run), printed as its template
prints them: the widget's maths is tested against independent computations in its unit
tests, and the browser test checks that the page shows it and follows the controls.
"""

import re
from collections.abc import Callable

from tests.lesson_support import widget

TIMEOUT_MS = 10_000


def expect(actual, *args, **kwargs):
    """Playwright's ``expect`` (``sync_api``), imported on first use."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(actual, *args, **kwargs)


def set_control(page, name: str, field: str, value) -> None:
    """Set the control ``field`` of the widget ``name`` on the page as a learner does: a
    checkbox is ticked (True) or cleared (False); any other control gets ``value`` typed
    or slid to, then the change event a drag ends with."""
    control = page.locator(f"#w-{name}-{field}")
    if isinstance(value, bool):
        control.set_checked(value)
    else:
        control.fill(str(value))
        control.dispatch_event("change")


def whole(text: str) -> re.Pattern:
    """A pattern for ``text`` standing on its own, not inside a longer number: "45 pairs"
    but not "145 pairs", "6" but not "16" or "6.5"."""
    return re.compile(rf"(?<![\d.,\-−]){re.escape(text)}(?![\d]|[.,]\d)")


def follows_control(page, name: str, test_id: str, shown: Callable[[dict], str],
                    **changes) -> dict:
    """Open the widget's playground. The readout ``test_id`` shows ``shown(result)`` for the
    widget's defaults; after setting each control in ``changes`` (:func:`set_control`) it
    shows ``shown(result)`` for the new values, which must read differently. Returns that
    new result (the widget's JSON) for further checks."""
    page.goto(f"/playground/{name}")
    readout = page.get_by_test_id(test_id)
    before, after = widget(name), widget(name, **changes)
    assert shown(before) != shown(after), f"{changes} leaves {test_id} at {shown(before)!r}"
    expect(readout).to_contain_text(whole(shown(before)), timeout=TIMEOUT_MS)
    for field, value in changes.items():
        set_control(page, name, field, value)
    expect(readout).to_contain_text(whole(shown(after)), timeout=TIMEOUT_MS)
    return after
