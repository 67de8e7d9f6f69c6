"""One typed error and one place that turns errors into responses.

Pages get a styled HTML page, ``/api/`` gets JSON, and htmx fragment routes
(``/widgets/``) get a small inline message, so a bad slider value shows next to
the slider instead of breaking the page.
"""

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.validation import describe_errors

# A widget instance's result slot, as htmx names it in the HX-Target request header.
INSTANCE = re.compile(r"^(w-[A-Za-z0-9-]{1,60})-result$")
UNEXPECTED = "Something went wrong on our side."
log = logging.getLogger("app")


class AppError(Exception):
    """An error a person can act on: an HTTP status and a plain message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def describe_validation_error(exc: RequestValidationError) -> str:
    """Turn pydantic's error list into one readable sentence per bad field."""
    return describe_errors(exc.errors())


def _respond(request: Request, templates: Jinja2Blocks, status: int, message: str,
             headers: dict | None = None) -> Response:
    path = request.url.path
    if path.startswith("/api/") or path in ("/healthz", "/readyz", "/openapi.json"):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    if path.startswith(("/widgets/", "/practice/")):
        # Shown in the widget's error slot, above its controls; the last result stays.
        m = INSTANCE.match(request.headers.get("hx-target", ""))
        if m:
            headers = {**(headers or {}), "HX-Retarget": f"#{m.group(1)}-error",
                       "HX-Reswap": "innerHTML"}
        return templates.TemplateResponse(
            request, "_partials/widget_error.html",
            {"message": message, "status": status, "inline": bool(m)},
            status_code=status, headers=headers,
        )
    name = "404.html" if status == 404 else "error.html"
    return templates.TemplateResponse(
        request, name, {"status": status, "message": message},
        status_code=status, headers=headers,
    )


def install_error_handlers(app: FastAPI, templates: Jinja2Blocks) -> None:
    """Register the handlers; every error response goes through ``_respond``, with
    ``templates`` for the HTML ones (handlers get no dependencies, so they are given it)."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return _respond(request, templates, exc.status, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return _respond(request, templates, 422, describe_validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = {404: "Page not found.", 405: "Method not allowed."}.get(
            exc.status_code, str(exc.detail)
        )
        return _respond(request, templates, exc.status_code, message,
                        getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Only for an error in the outer middleware; routes' errors meet CatchUnexpected.
        log.error("unhandled error on %s", request.url.path, exc_info=exc)
        return unexpected_response(request, templates)


def unexpected_response(request: Request, templates: Jinja2Blocks) -> Response:
    """The 500 answer: a plain message (the traceback stays in the server log), and
    ``Connection: close``, since the state of the connection is unknown after a bug."""
    return _respond(request, templates, 500, UNEXPECTED, {"connection": "close"})


class CatchUnexpected:
    """Turn an exception no handler expected into :func:`unexpected_response`.

    Starlette answers such an exception from its outermost middleware, outside the
    security headers, and then re-raises it, so uvicorn drops the connection under the
    client's next request. Installed innermost, this answers it like any other error:
    through every middleware (security headers included), and nothing re-raised. A
    response already under way (a stream) cannot change status; it is cut short and
    uvicorn closes the connection.
    """

    def __init__(self, app: ASGIApp, templates: Jinja2Blocks) -> None:
        self.app = app
        self.templates = templates  # a middleware gets no dependencies: it is given them

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:  # noqa: BLE001 - the one place that answers unexpected errors
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not started:
                response = unexpected_response(Request(scope, receive), self.templates)
                await response(scope, receive, send)
