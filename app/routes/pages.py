"""HTML pages: the course map, lesson pages and full-screen playgrounds."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.errors import AppError
from app.routes.deps import Course, Templates

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, course: Course, templates: Templates):
    return templates.TemplateResponse(request, "home.html", {"course": course})


@router.get("/modules/{module_id}", response_class=HTMLResponse)
def lesson(request: Request, module_id: str, course: Course, templates: Templates):
    entry = course.get(module_id)
    if entry is None:
        raise AppError(404, f"There is no module '{module_id[:20]}' in this course.")
    return templates.TemplateResponse(request, "lesson.html", {"course": course, "entry": entry})


@router.get("/playground/{name}", response_class=HTMLResponse)
def playground(request: Request, name: str, course: Course, templates: Templates):
    spec = request.app.state.widgets.get(name)
    if spec is None:
        raise AppError(404, f"There is no playground called '{name[:30]}'.")
    used_in = [e for e in course.entries if e.lesson and name in e.lesson.meta.widgets]
    return templates.TemplateResponse(
        request, "playground.html", {"course": course, "spec": spec, "used_in": used_in})


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request, templates: Templates):
    """Swagger UI from vendored files, started by an external script (no inline JS)."""
    return templates.TemplateResponse(request, "docs.html", {})
