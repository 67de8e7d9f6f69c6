"""HTML pages: the course map, lesson pages and full-screen playgrounds.

Pages hold no per-learner data (progress lives in the browser), so each is
rendered once, on first request, by :class:`PageStore` and served from memory.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from app.content.index import CourseIndex
from app.errors import AppError
from app.http import Stored, file_response, stored_response
from app.practice.views import question_view
from app.routes.deps import Templates
from app.routes.model_work import answer_for
from app.routes.render import build_view, render_checkpoint, render_widget

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Page(Stored):
    """A rendered page, kept both plain and gzip-compressed, each with its own ETag."""

    @classmethod
    def of(cls, html: str) -> "Page":
        return super().of(html.encode("utf-8"))


class PageStore:
    """Every page rendered once, on first request, then served from memory.

    Pages hold no per-learner data (progress lives in the browser), so one render
    serves everyone; a lesson's inline widgets and checkpoints are computed into the
    HTML then, so learners opening the same lesson never queue for the model. Renders
    happen one at a time (``lock``), which also bounds the model work they cause.
    """

    def __init__(self, render: Callable[[str], str | None], known: set[str]) -> None:
        self._render = render
        self.known = frozenset(known)
        self._pages: dict[str, Page] = {}
        self._lock = threading.Lock()

    def get(self, path: str) -> Page | None:
        if path not in self.known:
            return None
        page = self._pages.get(path)
        if page is None:
            with self._lock:
                page = self._pages.get(path)
                if page is None:
                    page = Page.of(self._render(path))
                    self._pages[path] = page
        return page

    def warm(self) -> None:
        """Render every page now (``serve`` does this in the background at start-up)."""
        for path in sorted(self.known):
            self.get(path)


def page_store(templates: Jinja2Blocks, course: CourseIndex, widgets: dict,
               models: Any, generators: dict) -> PageStore:
    """The course map, the review page, every lesson and every default playground and
    embed."""
    env = templates.env
    lessons = {e.lesson.url: e for e in course.by_id.values()}
    playgrounds = {f"/playground/{name}": name for name in widgets}
    embeds = {f"/embed/{name}": name for name in widgets}

    def render(path: str) -> str:
        if path == "/":
            return env.get_template("home.html").render(course=course)
        if path == "/review":
            return env.get_template("review.html").render(course=course)
        if path in lessons:
            return render_lesson(env, course, lessons[path], widgets, models, generators)
        name = playgrounds.get(path) or embeds[path]
        view = build_view(env, widgets[name], {}, models, f"w-{name}", standalone=True)
        return render_playground(env, course, widgets[name], view, embed=path in embeds)

    return PageStore(render, {"/", "/review", *lessons, *playgrounds, *embeds})


def render_lesson(env, course: CourseIndex, entry, widgets: dict, models: Any,
                  generators: dict) -> str:
    """A lesson page with every inline piece computed; a piece that fails to draw (a bug,
    logged) becomes a short notice instead of taking the whole lesson down."""
    lesson = entry.lesson
    pieces = []
    for i, piece in enumerate(lesson.pieces):
        try:
            if piece.kind == "widget":
                view = build_view(env, widgets[piece.name], piece.params, models, piece.anchor)
                pieces.append(render_widget(env, view))
            else:
                pieces.append(render_checkpoint(env, lesson.id, i, piece,
                                                lesson.pieces_html[i], widgets, models))
        except Exception:  # noqa: BLE001 - one broken widget must not break the lesson
            logging.getLogger("app").exception("cannot draw %s in %s", piece.anchor, lesson.id)
            pieces.append(Markup(f'<p class="widget-error piece-broken" id="{piece.anchor}">'
                                 "This part of the page could not be drawn; the rest of the "
                                 "lesson works. Please report it.</p>"))
    macro = env.get_template("_partials/practice.html").module.question
    questions = [macro(question_view(course, generators, lesson.id, n, seed=1))
                 for n in range(1, len(lesson.meta.practice) + 1)]
    return env.get_template("lesson.html").render(course=course, entry=entry, pieces=pieces,
                                                  questions=questions)


def render_playground(env, course: CourseIndex, spec, view, embed: bool = False) -> str:
    used_in = [e for e in course.entries if e.lesson and spec.name in e.lesson.meta.widgets]
    name = "embed.html" if embed else "playground.html"
    return env.get_template(name).render(course=course, spec=spec, used_in=used_in,
                                         widget_html=render_widget(env, view), view=view)


def _page(request: Request, path: str, page: Page | None, missing: str) -> Response:
    if page is None:
        raise AppError(404, missing)
    return stored_response(request, page, "text/html; charset=utf-8",
                           headers={"cache-control": "no-cache"})


async def _stored(request: Request, path: str, missing: str) -> Response:
    store: PageStore = request.app.state.pages
    page = await run_in_threadpool(store.get, path) if path in store.known else None
    return _page(request, path, page, missing)


async def _widget_page(request: Request, name: str, embed: bool) -> Response:
    """A playground or embed page: the stored default, or rendered for the state in the
    query string (invalid parameters: defaults plus the message, with status 422)."""
    kind = "embed" if embed else "playground"
    path = f"/{kind}/{name}"
    spec = request.app.state.widgets.get(name)
    if spec is None or not request.query_params:
        return await _stored(request, path, f"There is no {kind} called '{name[:30]}'.")
    env = request.app.state.templates.env
    raw = request.query_params.multi_items()

    def render() -> tuple[str, int]:
        view = build_view(env, spec, raw, request.app.state.models, f"w-{name}",
                          standalone=True)
        return render_playground(env, request.app.state.course, spec, view, embed), view.status

    if spec.uses_model:
        html, status = await answer_for(request, (path, str(request.url.query)), render)
    else:
        html, status = await request.app.state.model_work.light(render)
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-cache"})


@router.get("/", response_class=HTMLResponse)
async def home(request: Request):
    return await _stored(request, "/", "The course map is missing.")


@router.get("/modules/{module_id}", response_class=HTMLResponse)
async def lesson(request: Request, module_id: str):
    return await _stored(request, f"/modules/{module_id}",
                         f"There is no module '{module_id[:20]}' in this course.")


@router.get("/review", response_class=HTMLResponse)
async def review(request: Request):
    """Practice questions due for review; which ones is known only to the browser."""
    return await _stored(request, "/review", "The review page is missing.")


@router.get("/playground/{name}", response_class=HTMLResponse)
async def playground(request: Request, name: str):
    return await _widget_page(request, name, embed=False)


@router.get("/embed/{name}", response_class=HTMLResponse)
async def embed(request: Request, name: str):
    """The widget alone, for slides and learning platforms (framing: COURSE_EMBED_ORIGINS)."""
    return await _widget_page(request, name, embed=True)


@router.get("/favicon.ico")
async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico on pages without an icon link (such as /docs)."""
    icon = request.app.state.settings.static_dir / "img" / "favicon.svg"
    return file_response(request, icon, "image/svg+xml",
                         headers={"cache-control": "public, max-age=86400"})


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request, templates: Templates):
    """Swagger UI from vendored files, started by an external script (no inline JS)."""
    return templates.TemplateResponse(request, "docs.html", {})


def trailing_slash_redirect(router: Router, not_found: ASGIApp) -> ASGIApp:
    """The router's fallback (``router.default``, with its own ``redirect_slashes`` off):
    a path that names a route once its trailing slashes go (``/modules/03/``) is
    redirected there with a relative Location; anything else is ``not_found``.

    Starlette's own redirect is absolute, built from the Host header, which the client
    chose (and a cache may store for others). A path that would start with ``//`` is
    never a target: a browser reads ``//host`` as another site.
    """

    async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        raw = scope.get("raw_path", path.encode()).decode("latin-1")
        target = path.rstrip("/")
        if scope["type"] == "http" and raw.endswith("/") and target.startswith("/") \
                and not target.startswith("//"):
            probe = {**scope, "path": target}
            if any(route.matches(probe)[0] is not Match.NONE for route in router.routes):
                query = scope.get("query_string", b"").decode("latin-1")
                location = raw.rstrip("/") + (f"?{query}" if query else "")
                await RedirectResponse(location, status_code=307)(scope, receive, send)
                return
        await not_found(scope, receive, send)

    return fallback
