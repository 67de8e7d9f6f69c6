"""Shared fixtures: an app per test session, a live server on a free port, and a real
headless Chromium (Debian's, driven by Playwright; never a downloaded browser)."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from bench.server import uvicorn_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def app(settings):
    return create_app(settings)


@pytest.fixture(scope="session")
def client(app) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="session")
def course(app):
    return app.state.course


@pytest.fixture(scope="session")
def live_server():
    """The real server (uvicorn, app factory) on a free loopback port, always shut down."""
    with uvicorn_server() as (port, _process):
        yield f"http://127.0.0.1:{port}"


def pytest_collection_modifyitems(items):
    """A test that drives the browser is a browser test, marked or not, so that
    ``-m "not browser"`` never needs Playwright or Chromium."""
    for item in items:
        if {"page", "browser"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (see .ci/run)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Console lines that accompany an HTTP status a test provokes and asserts on itself:
# Chromium's "Failed to load resource: …status of 404" for a 404 page or a 422 on bad
# input, and htmx's own log of that response. A cancelled request (hx-sync="this:replace":
# a newer slider value replaced an older one) is the feature working, not a fault.
EXPECTED_CONSOLE = ("Failed to load resource: the server responded with a status of",
                    "htmx:sendAbort", "htmx:afterRequest", "htmx:responseError")


def expected_console_error(text: str) -> bool:
    return text.startswith(EXPECTED_CONSOLE)


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (empty localStorage) per test. JavaScript errors and any
    failing static or audio asset fail the test."""
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    # A lesson renders its widgets on first request (seconds for model-heavy lessons).
    page.set_default_navigation_timeout(120_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not expected_console_error(msg.text) else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and ("/static/" in r.url or "/audio/" in r.url) else None)
    yield page
    context.close()
    assert not errors, f"browser errors: {errors}"
