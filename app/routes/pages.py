"""HTML pages: the course map, lesson pages and full-screen playgrounds.

Pages hold no per-learner data (progress lives in the browser), so each is
rendered once at start-up by :func:`prerender` and served from memory.
"""

import gzip
import hashlib
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2_fragments.fastapi import Jinja2Blocks

from app.content.index import CourseIndex
from app.errors import AppError
from app.routes.deps import Templates

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Page:
    """A rendered page, kept both plain and gzip-compressed, with its ETag."""

    body: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def of(cls, html: str) -> "Page":
        body = html.encode("utf-8")
        return cls(body, gzip.compress(body, compresslevel=9, mtime=0),
                   '"' + hashlib.sha256(body).hexdigest()[:16] + '"')


def prerender(templates: Jinja2Blocks, course: CourseIndex, widgets: dict) -> dict[str, Page]:
    """Render every page once: ``{path: Page}`` for the map, lessons and playgrounds."""
    env = templates.env
    pages = {"/": env.get_template("home.html").render(course=course)}
    for entry in course.by_id.values():
        pages[entry.lesson.url] = env.get_template("lesson.html").render(course=course, entry=entry)
    for name, spec in widgets.items():
        used_in = [e for e in course.entries if e.lesson and name in e.lesson.meta.widgets]
        pages[f"/playground/{name}"] = env.get_template("playground.html").render(
            course=course, spec=spec, used_in=used_in)
    return {path: Page.of(html) for path, html in pages.items()}


def _page(request: Request, path: str, missing: str) -> Response:
    page: Page | None = request.app.state.pages.get(path)
    if page is None:
        raise AppError(404, missing)
    headers = {"etag": page.etag, "cache-control": "no-cache", "vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == page.etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        return HTMLResponse(page.gzipped, headers=headers)
    return HTMLResponse(page.body, headers=headers)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request):
    return _page(request, "/", "The course map is missing.")


@router.get("/modules/{module_id}", response_class=HTMLResponse)
async def lesson(request: Request, module_id: str):
    return _page(request, f"/modules/{module_id}",
                 f"There is no module '{module_id[:20]}' in this course.")


@router.get("/playground/{name}", response_class=HTMLResponse)
async def playground(request: Request, name: str):
    return _page(request, f"/playground/{name}", f"There is no playground called '{name[:30]}'.")


@router.get("/favicon.ico")
async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico on pages without an icon link (such as /docs)."""
    icon = request.app.state.settings.static_dir / "img" / "favicon.svg"
    return Response(icon.read_bytes(), media_type="image/svg+xml",
                    headers={"cache-control": "public, max-age=86400"})


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request, templates: Templates):
    """Swagger UI from vendored files, started by an external script (no inline JS)."""
    return templates.TemplateResponse(request, "docs.html", {})
