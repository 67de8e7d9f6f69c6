"""Each widget twice from the same code: JSON at ``/api/widgets/{name}``, an htmx
fragment at ``/widgets/{name}``. Routes parse and delegate; they do no arithmetic."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.engine import Models
from app.engine.work import Cancelled
from app.errors import INSTANCE, AppError
from app.routes.api import ErrorOut
from app.routes.deps import AppModels, Client, Templates, Work
from app.routes.gate import GONE
from app.routes.model_work import ModelWork, departure
from app.routes.render import result_html
from app.widgets.base import WidgetInputError, WidgetParams, WidgetSpec


async def run_widget(request: Request, spec: WidgetSpec, params: WidgetParams,
                     runner: ModelWork, models: Models, client: str):
    """Compute a widget's result off the event loop: pure maths in the small thread pool,
    model work as ``runner`` (:class:`app.routes.model_work.ModelWork`) decides (held
    answers at once, identical requests shared, the rest queued for a model slot and
    stopped if ``client`` leaves)."""
    try:
        if not spec.wants_model(params):
            return await runner.light(lambda: spec.run(params, models))
        async with departure(request) as gone:
            return await runner.answer((spec.name, params.model_dump_json()), client, gone,
                                       lambda: spec.run(params, models))
    except WidgetInputError as exc:
        raise AppError(422, str(exc)) from None
    except Cancelled:
        raise AppError(499, GONE) from None


def _json_endpoint(spec: WidgetSpec):
    async def endpoint(request: Request, params: Annotated[spec.params, Query()],
                       runner: Work, models: AppModels, client: Client):
        return await run_widget(request, spec, params, runner, models, client)

    endpoint.__doc__ = spec.summary
    return endpoint


def instance_id(request: Request, spec: WidgetSpec) -> str:
    """The widget instance an htmx request comes from (its ``HX-Target`` is
    ``<instance>-result``), so ids in the returned block match that instance."""
    target = request.headers.get("hx-target", "")
    m = INSTANCE.match(target)
    return m.group(1) if m else f"w-{spec.name}"


def _fragment_endpoint(spec: WidgetSpec):
    async def endpoint(request: Request, params: Annotated[spec.params, Query()],
                       runner: Work, models: AppModels, client: Client, templates: Templates):
        env, iid = templates.env, instance_id(request, spec)
        # The same parameters in the same instance always render the same block: a class
        # opening one lesson renders each of its widgets once, not once per learner.
        key = (spec.name, params.model_dump_json(), iid)
        html = runner.fragments.get(key)
        if html is None:
            result = await run_widget(request, spec, params, runner, models, client)
            html = await runner.render(key, lambda: result_html(env, spec, params, result, iid))
        return HTMLResponse(html)

    return endpoint


def build_router(specs: dict[str, WidgetSpec]) -> APIRouter:
    router = APIRouter()
    errors = {status: {"model": ErrorOut} for status in (422, 429, 503)}
    for spec in specs.values():
        router.add_api_route(
            f"/api/widgets/{spec.name}", _json_endpoint(spec), methods=["GET"],
            response_model=spec.result, tags=["widgets"], summary=spec.title,
            name=f"widget_json_{spec.name}", responses=errors)
        router.add_api_route(
            f"/widgets/{spec.name}", _fragment_endpoint(spec), methods=["GET"],
            response_class=HTMLResponse, include_in_schema=False,
            name=f"widget_fragment_{spec.name}")
    return router
