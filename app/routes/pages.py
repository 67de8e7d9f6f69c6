"""HTML pages: the course map, lesson pages and full-screen playgrounds.

Pages hold no per-learner data (progress lives in the browser), so each is
rendered once, on first request, by :class:`app.routes.page_store.PageStore` and
served from memory.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import AppError
from app.http import file_response, stored_response
from app.routes.deps import AppModels, AppSettings, Client, Course, Pages, Templates, Widgets, Work
from app.routes.model_work import answer_for
from app.routes.page_store import PageStore, render_playground
from app.routes.render import build_view

router = APIRouter(include_in_schema=False)


async def _stored(request: Request, store: PageStore, path: str, missing: str) -> Response:
    page = await run_in_threadpool(store.get, path) if path in store.known else None
    if page is None:
        raise AppError(404, missing)
    return stored_response(request, page, "text/html; charset=utf-8",
                           headers={"cache-control": "no-cache"})


@dataclass(frozen=True)
class WidgetPageParts:
    """What a playground or embed page is drawn from. The class is itself the dependency
    (``Depends()``): FastAPI fills each field from that field's own dependency."""

    store: Pages
    specs: Widgets
    templates: Templates
    course: Course
    models: AppModels
    runner: Work
    client: Client


Parts = Annotated[WidgetPageParts, Depends()]


async def _widget_page(request: Request, name: str, embed: bool, parts: WidgetPageParts
                       ) -> Response:
    """A playground or embed page: the stored default, or rendered for the state in the
    query string (invalid parameters: defaults plus the message, with status 422)."""
    kind = "embed" if embed else "playground"
    path = f"/{kind}/{name}"
    spec = parts.specs.get(name)
    if spec is None or not request.query_params:
        return await _stored(request, parts.store, path,
                             f"There is no {kind} called '{name[:30]}'.")
    env = parts.templates.env
    raw = request.query_params.multi_items()

    def render() -> tuple[str, int]:
        view = build_view(env, spec, raw, parts.models, f"w-{name}", standalone=True)
        return render_playground(env, parts.course, spec, view, embed), view.status

    if spec.uses_model:
        key = (path, str(request.url.query))
        html, status = await answer_for(request, parts.runner, parts.client, key, render)
    else:
        html, status = await parts.runner.light(render)
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-cache"})


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, store: Pages):
    return await _stored(request, store, "/", "The course map is missing.")


@router.get("/modules/{module_id}", response_class=HTMLResponse)
async def lesson(request: Request, module_id: str, store: Pages):
    return await _stored(request, store, f"/modules/{module_id}",
                         f"There is no module '{module_id[:20]}' in this course.")


@router.get("/review", response_class=HTMLResponse)
async def review(request: Request, store: Pages):
    """Practice questions due for review; which ones is known only to the browser."""
    return await _stored(request, store, "/review", "The review page is missing.")


@router.get("/playground/{name}", response_class=HTMLResponse)
async def playground(request: Request, name: str, parts: Parts):
    return await _widget_page(request, name, False, parts)


@router.get("/embed/{name}", response_class=HTMLResponse)
async def embed(request: Request, name: str, parts: Parts):
    """The widget alone, for slides and learning platforms (framing: COURSE_EMBED_ORIGINS)."""
    return await _widget_page(request, name, True, parts)


@router.get("/favicon.ico")
async def favicon(request: Request, settings: AppSettings) -> Response:
    """Browsers ask for /favicon.ico on pages without an icon link (such as /docs)."""
    icon = settings.static_dir / "img" / "favicon.svg"
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
