"""``/explore``: the forward-pass explorer on a page of its own, its state in the address.

The widget is the ``explore`` widget (``app/widgets/explore.py``): the page is drawn with
the same shell and code as its playground, on the same terms as a widget request
(:func:`app.routes.model_work.answer_for`), and every later
change goes through the ordinary widget route (``/widgets/explore``).
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.routes.deps import AppModels, Client, Course, Templates, Widgets, Work
from app.routes.model_work import answer_for
from app.routes.render import build_view, render_widget

router = APIRouter(include_in_schema=False)
NAME = "explore"


@router.get("/explore", response_class=HTMLResponse)
async def explore(request: Request, specs: Widgets, templates: Templates, course: Course,
                  models: AppModels, runner: Work, client: Client) -> HTMLResponse:
    """The explorer for the prompt and stage in the query string (invalid parameters:
    the defaults, with the message in the widget's error slot and status 422)."""
    spec, env = specs[NAME], templates.env
    raw = request.query_params.multi_items()
    taught_in = [e for e in course.entries if e.lesson and NAME in e.lesson.meta.widgets]

    def render() -> tuple[str, int]:
        view = build_view(env, spec, raw, models, f"w-{NAME}", standalone=True)
        html = env.get_template("explore.html").render(
            spec=spec, view=view, widget_html=render_widget(env, view), taught_in=taught_in)
        return html, view.status

    key = ("/explore", str(request.url.query))
    html, status = await answer_for(request, runner, client, key, render)
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-cache"})
