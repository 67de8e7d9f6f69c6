"""Each widget twice from the same code: JSON at ``/api/widgets/{name}``, an htmx
fragment at ``/widgets/{name}``. Routes parse and delegate; they do no arithmetic."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from app.errors import INSTANCE, AppError
from app.routes.api import ErrorOut
from app.routes.render import result_html
from app.widgets.base import WidgetInputError, WidgetParams, WidgetSpec


async def run_widget(request: Request, spec: WidgetSpec, params: WidgetParams):
    """Compute a widget's result; model work goes to a thread under a concurrency cap.

    A request whose client has gone (a newer slider value replaced it) by the time it
    gets a model slot is abandoned before any model work starts."""
    try:
        if not spec.wants_model(params):
            return spec.run(params, request.app.state.models)
        async with request.app.state.model_gate:
            if await request.is_disconnected():
                raise AppError(499, "The request was replaced by a newer one.")
            return await run_in_threadpool(spec.run, params, request.app.state.models)
    except WidgetInputError as exc:
        raise AppError(422, str(exc)) from None


def _json_endpoint(spec: WidgetSpec):
    async def endpoint(request: Request, params: Annotated[spec.params, Query()]):
        return await run_widget(request, spec, params)

    endpoint.__doc__ = spec.summary
    return endpoint


def instance_id(request: Request, spec: WidgetSpec) -> str:
    """The widget instance an htmx request comes from (its ``HX-Target`` is
    ``<instance>-result``), so ids in the returned block match that instance."""
    target = request.headers.get("hx-target", "")
    m = INSTANCE.match(target)
    return m.group(1) if m else f"w-{spec.name}"


def _fragment_endpoint(spec: WidgetSpec):
    async def endpoint(request: Request, params: Annotated[spec.params, Query()]):
        result = await run_widget(request, spec, params)
        html = result_html(request.app.state.templates.env, spec, params, result,
                           instance_id(request, spec))
        return HTMLResponse(html)

    return endpoint


def build_router(specs: dict[str, WidgetSpec]) -> APIRouter:
    router = APIRouter()
    errors = {422: {"model": ErrorOut}, 503: {"model": ErrorOut}}
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
