"""One typed error and one place that turns errors into responses.

Pages get a styled HTML page, ``/api/`` gets JSON, and htmx fragment routes
(``/widgets/``) get a small inline message, so a bad slider value shows next to
the slider instead of breaking the page.
"""

import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.validation import describe_errors

# A widget instance's result slot, as htmx names it in the HX-Target request header.
INSTANCE = re.compile(r"^(w-[A-Za-z0-9-]{1,60})-result$")


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


def _respond(request: Request, status: int, message: str, headers: dict | None = None) -> Response:
    path = request.url.path
    if path.startswith("/api/") or path in ("/healthz", "/openapi.json"):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    templates = request.app.state.templates
    if path.startswith("/widgets/"):
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


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers; every error response goes through ``_respond``."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return _respond(request, exc.status, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return _respond(request, 422, describe_validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = {404: "Page not found.", 405: "Method not allowed."}.get(
            exc.status_code, str(exc.detail)
        )
        return _respond(request, exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Never leak a traceback; the server log has it.
        import logging

        logging.getLogger("app").exception("unhandled error on %s", request.url.path)
        return _respond(request, 500, "Something went wrong on our side.")
