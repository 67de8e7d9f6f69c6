"""Conditional GET, content negotiation and HEAD, in one place.

Everything that serves stored bytes answers through here: pre-rendered pages
(:func:`stored_response`, one ETag per representation: the gzip body and the plain
body are different representations, RFC 9110 §8.8.3) and files on disk
(:func:`file_response`, Starlette's ``FileResponse`` with its own validators and
byte ranges, plus the 304 decision made here). :class:`NegotiatedGZip` is Starlette's
``GZipMiddleware`` with ``Accept-Encoding`` q-values honoured and a distinct ETag for
the gzip it produces; :class:`HeadAsGet` answers HEAD on every GET route as GET would,
minus the body.
"""

import gzip
import hashlib
import os
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipResponder, IdentityResponder
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

GZIP_SUFFIX = "-gzip"


# --- validators -----------------------------------------------------------------


def strong_etag(body: bytes) -> str:
    """A strong ETag computed from exactly the bytes sent (so it differs per encoding)."""
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


def opaque_tag(tag: str) -> str:
    """The quoted opaque part of an entity tag: ``W/"x"`` and ``"x"`` both give ``"x"``."""
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def etag_list(header: str) -> list[str]:
    """The entity tags of an ``If-None-Match`` value, in order (``*`` kept as is).

    Commas inside a quoted tag do not split it (RFC 9110 §8.8.3 allows them)."""
    tags, current, quoted = [], [], False
    for char in header:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            tags.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    tags.append("".join(current).strip())
    return [t for t in tags if t]


def none_match(header: str, etag: str) -> bool:
    """``If-None-Match`` evaluated with weak comparison (RFC 9110 §13.1.2): true (answer
    304 to GET/HEAD) when ``*`` or any listed tag has the same opaque part as ``etag``."""
    tags = etag_list(header)
    return "*" in tags or opaque_tag(etag) in {opaque_tag(t) for t in tags}


def not_modified(request_headers: Headers, etag: str, last_modified: str | None) -> bool:
    """True when a GET/HEAD can be answered 304.

    ``If-None-Match`` wins when present; otherwise ``If-Modified-Since`` is compared
    with ``last_modified`` (an HTTP date) when the resource has one (RFC 9110 §13.2.2).
    """
    if_none_match = request_headers.get("if-none-match")
    if if_none_match is not None:
        return none_match(if_none_match, etag)
    since = request_headers.get("if-modified-since")
    if since is None or last_modified is None:
        return False
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):  # an unparseable date is ignored (§13.1.3)
        return False


# --- content negotiation ----------------------------------------------------------


def coding_weights(accept_encoding: str) -> dict[str, float]:
    """``Accept-Encoding`` as ``{coding: q}``; an unparseable q counts as 0."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, *params = (p.strip() for p in item.split(";"))
        if not coding:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        weights[coding.lower()] = q
    return weights


def wants_gzip(accept_encoding: str | None) -> bool:
    """True when gzip is acceptable (q > 0, named or through ``*``) and not less preferred
    than the plain body. No header, ``identity`` alone or ``gzip;q=0``: plain body."""
    if not accept_encoding:
        return False
    weights = coding_weights(accept_encoding)
    star = weights.get("*", 0.0)
    q_gzip = weights.get("gzip", weights.get("x-gzip", star))
    q_identity = weights.get("identity", star if "*" in weights else 1.0)
    return q_gzip > 0 and q_gzip >= q_identity


# --- stored bytes -----------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """One resource held in memory in both representations, each with its own ETag."""

    body: bytes
    gzipped: bytes
    etag: str = field(default="")
    gzip_etag: str = field(default="")

    @classmethod
    def of(cls, body: bytes) -> "Stored":
        gzipped = gzip.compress(body, compresslevel=9, mtime=0)
        return cls(body, gzipped, strong_etag(body), strong_etag(gzipped))


def stored_response(request: Request, stored: Stored, media_type: str,
                    headers: dict[str, str] | None = None,
                    last_modified: float | None = None) -> Response:
    """Answer GET for in-memory bytes (HEAD arrives as GET, :class:`HeadAsGet`): 200 with
    the representation the client accepts, or 304 when its validator matches it."""
    use_gzip = wants_gzip(request.headers.get("accept-encoding"))
    body, etag = (stored.gzipped, stored.gzip_etag) if use_gzip else (stored.body, stored.etag)
    out = {**(headers or {}), "etag": etag, "vary": "Accept-Encoding"}
    date = formatdate(last_modified, usegmt=True) if last_modified is not None else None
    if date:
        out["last-modified"] = date
    if not_modified(request.headers, etag, date):
        return NotModifiedResponse(Headers(out))
    if use_gzip:
        out["content-encoding"] = "gzip"
    return Response(body, media_type=media_type, headers=out)


def file_response(request: Request, path: Path, media_type: str,
                  headers: dict[str, str] | None = None,
                  stat: os.stat_result | None = None,
                  response_class: type[FileResponse] = FileResponse) -> Response:
    """Starlette's ``FileResponse`` (its ETag, Last-Modified, HEAD and byte ranges),
    answered 304 by :func:`not_modified` when the client's validator still holds."""
    response = response_class(path, media_type=media_type, headers=headers,
                              stat_result=stat or path.stat())
    if not_modified(request.headers, response.headers["etag"],
                    response.headers.get("last-modified")):
        return NotModifiedResponse(response.headers)
    return response


# --- middleware -------------------------------------------------------------------


def gzip_etag(etag: str) -> str:
    """The ETag of a body gzipped on the fly: weak (the bytes depend on chunking and
    zlib) and distinct from the plain body's (``W/"<tag>-gzip"``)."""
    tag = opaque_tag(etag)
    return f'W/{tag[:-1]}{GZIP_SUFFIX}"'


class NegotiatedGZip:
    """Starlette's gzip (``GZipResponder``: skips 206 partial responses, audio/video and
    other compressed types, bodies under ``minimum_size``, and anything the route already
    encoded), chosen by :func:`wants_gzip` rather than a substring test, and with the
    ETag of what it compresses made distinct (:func:`gzip_etag`); an ``If-None-Match``
    naming that ETag is mapped back so the route's own 304 logic still applies."""

    def __init__(self, app: ASGIApp, minimum_size: int = 500, compresslevel: int = 6) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        use_gzip = wants_gzip(request_headers.get("accept-encoding"))
        asked = request_headers.get("if-none-match")
        gz_tags = {opaque_tag(t) for t in etag_list(asked or "") if t.endswith(f'{GZIP_SUFFIX}"')}
        if gz_tags and use_gzip:  # "W/\"x-gzip\"" -> "\"x\"" for the route's comparison
            inner = MutableHeaders(scope={**scope, "headers": list(scope["headers"])})
            inner["if-none-match"] = ", ".join(
                t[: -len(GZIP_SUFFIX) - 1] + '"' if opaque_tag(t) in gz_tags else t
                for t in etag_list(asked))
            scope = {**scope, "headers": inner.raw}
        route_encoded = False

        async def route(s: Scope, r: Receive, compress: Send) -> None:
            async def record(message: Message) -> None:
                nonlocal route_encoded
                if message["type"] == "http.response.start":
                    route_encoded = "content-encoding" in Headers(raw=message.get("headers", []))
                await compress(message)

            await self.app(s, r, record)

        async def retag(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                etag = headers.get("etag")
                ours = headers.get("content-encoding") == "gzip" and not route_encoded
                revalidated = (use_gzip and message["status"] == 304 and etag is not None
                               and opaque_tag(gzip_etag(etag)) in gz_tags)
                if etag and (ours or revalidated):
                    headers["etag"] = gzip_etag(etag)
                if message["status"] == 304:
                    headers.add_vary_header("Accept-Encoding")
                vary = [v.strip() for v in headers.get("vary", "").split(",") if v.strip()]
                if vary:  # once each (the route may have named Accept-Encoding already)
                    headers["vary"] = ", ".join(dict.fromkeys(vary))
                message = {**message, "headers": headers.raw}
            await send(message)

        responder = (GZipResponder(route, self.minimum_size, compresslevel=self.compresslevel)
                     if use_gzip else IdentityResponder(route, self.minimum_size))
        await responder(scope, receive, retag)


class HeadAsGet:
    """HEAD on every GET route (RFC 9110 §9.3.2), with exactly GET's status and headers.

    The request runs as GET (so ``Content-Encoding``, ``Content-Length`` and ``ETag`` are
    what GET would send, gzip included) and only the status and headers go out: the body
    is dropped, and the route is told the client left, so a stream stops early."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        headers_sent = anyio.Event()
        ended = asked = False

        async def get_receive() -> Message:  # an empty body, then "gone" once answered
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await headers_sent.wait()
            return {"type": "http.disconnect"}

        async def get_send(message: Message) -> None:
            nonlocal ended
            if message["type"] == "http.response.start":
                await send(message)
            elif message["type"] in ("http.response.body", "http.response.pathsend") and not ended:
                ended = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                headers_sent.set()

        await self.app({**scope, "method": "GET"}, get_receive, get_send)
