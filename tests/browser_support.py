"""Playwright, imported only when a browser test runs.

A test module that holds unit tests next to a browser test imports ``expect`` from
here, so its unit tests are collected and run on a machine without Playwright
(``pytest -m "not browser"``); ``tests/conftest.py`` starts the browser the same way,
inside its fixture.
"""


def expect(actual, *args, **kwargs):
    """Playwright's ``expect`` (``sync_api``), imported on first use."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(actual, *args, **kwargs)
