"""ASGI middleware: security headers, cache headers, request limits (gzip, conditional
requests and HEAD live in :mod:`app.http`)."""

import json
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
IMMUTABLE = b"public, max-age=31536000, immutable"
SHORT = b"public, max-age=300"
# A URL longer than this is refused before routing (414): no widget needs more.
MAX_URL_BYTES = 8192
# Percent-encoding turns one ASCII character into at most 3 bytes (",": "%2C").
ENCODED_CHAR_BYTES = 3
URL_TOO_LONG = (f"The URL (path and query string, percent-encoded) is longer than "
                f"{MAX_URL_BYTES} bytes: shorten the typed text.")


def embed_headers(origins: str) -> list[tuple[bytes, bytes]]:
    """Security headers of ``/embed/`` pages: framing allowed for ``origins`` only."""
    ancestors = origins or "'none'"
    csp = CSP.replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")
    headers = [h for h in SECURITY_HEADERS if h[0] not in (b"content-security-policy",
                                                           b"x-frame-options")]
    return [(b"content-security-policy", csp.encode()), *headers]


class SecurityHeaders:
    """Add security headers, Server-Timing, and cache headers for static files."""

    def __init__(self, app: ASGIApp, embed_origins: str = "") -> None:
        self.app = app
        self.embed = embed_headers(embed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        started = time.perf_counter()
        hashed = path.startswith("/static/") and b"v=" in scope.get("query_string", b"")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                wanted = self.embed if path.startswith("/embed/") else SECURITY_HEADERS
                headers += [h for h in wanted if h[0] not in names]
                # Server time to first byte, read by the benchmarks (bench/).
                elapsed_ms = (time.perf_counter() - started) * 1000
                headers.append((b"server-timing", f"app;dur={elapsed_ms:.3f}".encode()))
                if path.startswith("/static/") and message["status"] == 200:
                    headers = [h for h in headers if h[0].lower() != b"cache-control"]
                    headers.append((b"cache-control", IMMUTABLE if hashed else SHORT))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LimitRequest:
    """Refuse oversized URLs (414) and request bodies (413) before any work is done."""

    def __init__(self, app: ASGIApp, max_body: int = 16384) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            url_len = len(scope.get("raw_path", b"")) + len(scope.get("query_string", b""))
            status = 414 if url_len > MAX_URL_BYTES else None
            for name, value in scope.get("headers", []):
                if name == b"content-length" and value.isdigit() and (
                        len(value) > len(str(self.max_body)) or int(value) > self.max_body):
                    status = 413
            if status:
                await _json_error(send, status, URL_TOO_LONG if status == 414 else
                                  "Request too large: shorten the body.")
                return
        await self.app(scope, receive, send)


async def _json_error(send: Send, status: int, text: str) -> None:
    """A JSON error body (``{"error": text}``) sent straight from the middleware."""
    body = json.dumps({"error": text}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})



def document_url_limit(schema: dict) -> dict:
    """Put :class:`LimitRequest`'s 414 in an OpenAPI document, in place.

    Every operation lists the 414, and every query parameter's ``maxLength`` is lowered
    to what fits in the URL on its own, percent-encoded: a value of the documented
    length, of any ASCII characters, is never refused for its length.
    """
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            operation.setdefault("responses", {}).setdefault(
                "414", {"description": URL_TOO_LONG,
                        "content": {"application/json": {"schema": {
                            "type": "object", "required": ["error"],
                            "properties": {"error": {"type": "string"}}}}}})
            for param in operation.get("parameters", []):
                if param.get("in") == "query":
                    room = MAX_URL_BYTES - len(path) - len(f"?{param['name']}=")
                    _cap_max_length(param.get("schema", {}), room // ENCODED_CHAR_BYTES)
    return schema


def _cap_max_length(node, limit: int) -> None:
    """Lower every ``maxLength`` in a JSON-schema fragment (anyOf, items...) to ``limit``."""
    if isinstance(node, dict):
        if "maxLength" in node:
            node["maxLength"] = min(node["maxLength"], limit)
        for child in node.values():
            _cap_max_length(child, limit)
    elif isinstance(node, list):
        for child in node:
            _cap_max_length(child, limit)


def documented(openapi: Callable[[], dict]) -> Callable[[], dict]:
    """``app.openapi`` with :func:`document_url_limit` applied (to FastAPI's cached
    document, in place: applying it twice changes nothing)."""
    return lambda: document_url_limit(openapi())
