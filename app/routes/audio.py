"""Narration files: ``GET /audio/{id}.ogg`` and ``GET /audio/{id}.vtt``.

Only files named in ``audio/manifest.json`` (loaded once at start-up into the
course index) are served, so no path can reach anything else. Starlette's
``FileResponse`` answers single and multiple byte ranges with 206; this route
adds what it lacks: 416 (not 400) for an inverted range, a Range in an unknown
unit ignored as RFC 9110 requires, and cache headers; its ETag and Last-Modified
decide 304 through :func:`app.http.file_response`, as for every stored file.
A URL carrying the current version (:func:`app.urls.audio_version`, what the player's
URLs carry) is cached for a year; a bare URL for a day.
"""

import functools
import os
import re

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.types import Receive, Scope, Send

from app.content.index import Narration
from app.errors import AppError
from app.http import file_response
from app.routes.deps import AppSettings, Course
from app.urls import audio_version

router = APIRouter(prefix="/audio", include_in_schema=False)

MEDIA_TYPES = {".ogg": "audio/ogg", ".vtt": "text/vtt"}
CACHE_VERSIONED = "public, max-age=31536000, immutable"
CACHE_BARE = "public, max-age=86400"
RANGE_PART = re.compile(r"^(\d*)-(\d*)$")


# A position with more digits than this is past the end of any file served here; it is
# never converted (Python refuses int() of over 4,300 digits, and it is slow well before).
MAX_DIGITS = 18


def _position(digits: str, cap: int) -> int:
    """A byte position from the header, capped at ``cap`` (huge numbers included)."""
    return cap if len(digits) > MAX_DIGITS else min(int(digits), cap)


def classify_range(header: str, size: int) -> tuple[str, str]:
    """``("ok", ranges)`` (serve 206 for ``ranges``), ``("ignore", "")`` (serve 200) or
    ``("unsatisfiable", "")`` (416).

    An unknown unit or unparseable syntax is ignored (RFC 9110 §14.2); an inverted
    range (``bytes=9-3``), a start at or past the end, or an empty suffix is 416. In
    ``ranges`` every end past the file's last byte is replaced by the last byte (§14.1.2),
    so numbers of any length are answered without converting them.
    """
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec.strip():
        return "ignore", ""
    parts = []
    for part in (p.strip() for p in spec.split(",")):
        m = RANGE_PART.match(part)
        if not m or part == "-":
            return "ignore", ""
        first, last = m.groups()
        if first:
            start = _position(first, size)
            end = _position(last, size) if last else size - 1
            if start >= size or end < start:
                return "unsatisfiable", ""
            parts.append(f"{start}-{min(end, size - 1)}")
        else:
            suffix = _position(last, size)
            if suffix == 0 or size == 0:
                return "unsatisfiable", ""
            parts.append(f"-{suffix}")
    return "ok", "bytes=" + ", ".join(parts)


class _Ranged(FileResponse):
    """A ``FileResponse`` for the normalized ``ranges`` of :func:`classify_range` instead
    of the request's own Range header, or (``ranges=None``) a full 200 response."""

    def __init__(self, *args, ranges: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ranges = ranges

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        drop = (b"range",) if self.ranges else (b"range", b"if-range")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in drop]
        if self.ranges:
            headers.append((b"range", self.ranges.encode("latin-1")))
        await super().__call__({**scope, "headers": headers}, receive, send)


def _served_files(course) -> dict[str, Narration]:
    files = {}
    for entry in course.entries:
        if entry.narration is not None:
            files[entry.narration.audio] = entry.narration
            files[entry.narration.vtt] = entry.narration
    return files


@router.api_route("/{name}", methods=["GET", "HEAD"])
def audio_file(request: Request, name: str, course: Course, settings: AppSettings):
    narration = _served_files(course).get(name)
    media_type = MEDIA_TYPES.get(os.path.splitext(name)[1])
    path = settings.audio_dir / name
    if narration is None or media_type is None or not path.is_file():
        raise AppError(404, f"There is no narration file called '{name[:40]}'.")
    stat = path.stat()
    versioned = request.query_params.get("v") == audio_version(narration)
    headers = {"cache-control": CACHE_VERSIONED if versioned else CACHE_BARE,
               "accept-ranges": "bytes"}
    range_header = request.headers.get("range")
    kind, response_class = "none", FileResponse
    if range_header:
        kind, ranges = classify_range(range_header, stat.st_size)
        response_class = functools.partial(_Ranged, ranges=ranges or None)
    response = file_response(request, path, media_type, headers, stat, response_class)
    if kind != "unsatisfiable" or response.status_code == 304:  # preconditions first
        return response
    return Response("Requested range not satisfiable.", status_code=416, media_type="text/plain",
                    headers={**headers, "content-range": f"bytes */{stat.st_size}"})
