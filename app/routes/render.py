"""Widgets and checkpoints rendered on the server, for pages and fragments alike.

A widget instance becomes a :class:`WidgetView` (its state, its result block as HTML,
an error message), drawn by the one shell in ``templates/_partials/shell.html``.
Work here is synchronous: callers run it in a thread.
"""

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from jinja2_fragments import render_block
from markupsafe import Markup
from pydantic import ValidationError

from app.content.directives import query_string
from app.validation import describe_errors
from app.widgets.base import WidgetInputError, WidgetParams, WidgetSpec, _plain
from app.widgets.checkpoints import CheckpointError, evaluate


@dataclass(frozen=True)
class WidgetView:
    spec: WidgetSpec
    iid: str
    values: dict  # every parameter, plain
    active: dict  # control name -> applies in the current mode
    full_url: str
    result_html: str
    error: str = ""
    standalone: bool = False
    status: int = 200


def result_html(env: Environment, spec: WidgetSpec, params: WidgetParams, result: Any,
                iid: str) -> str:
    """The widget's ``result`` block for these params (the same HTML a fragment returns)."""
    return render_block(env, spec.template, "result", result=result, params=params, spec=spec,
                        iid=iid)


def form_value(value: Any) -> Any:
    """A parameter as a form field holds it: booleans as true/false, lists joined."""
    value = _plain(value)
    return ("true" if value else "false") if isinstance(value, bool) else value


def view_of(spec: WidgetSpec, iid: str, params: WidgetParams, html: str, error: str = "",
            standalone: bool = False, status: int = 200) -> WidgetView:
    values = {name: form_value(getattr(params, name)) for name in spec.params.model_fields}
    active = {c.name: c.applies(params) for c in spec.controls}
    return WidgetView(spec, iid, values, active,
                      f"/playground/{spec.name}?{query_string(spec.state(params))}", html, error,
                      standalone, status)


def build_view(env: Environment, spec: WidgetSpec, raw, models: Any, iid: str,
               standalone: bool = False) -> WidgetView:
    """Validate ``raw`` parameters and compute. Invalid parameters: the widget shows its
    defaults with the message (status 422), never a traceback."""
    error, status = "", 200
    try:
        params = spec.parse(raw)
    except ValidationError as exc:
        error, status = describe_errors(exc.errors(), whole="parameters"), 422
        params = spec.params()
    try:
        result = spec.run(params, models)
    except WidgetInputError as exc:
        if status == 200:
            error, status = str(exc), 422
        params = spec.params()
        result = spec.run(params, models)
    html = result_html(env, spec, params, result, iid)
    return view_of(spec, iid, params, html, error, standalone, status)


def shell(env: Environment) -> Any:
    return env.get_template("_partials/shell.html").module


def render_widget(env: Environment, view: WidgetView) -> Markup:
    return Markup(shell(env).widget(view))


def render_checkpoint(env: Environment, module_id: str, index: int, cp, texts: dict,
                      specs: dict, models: Any) -> Markup:
    """A predict-then-reveal block; its answer computed now by the widget's own code."""
    try:
        answer, problem = evaluate(cp, specs, models), ""
    except CheckpointError as exc:
        answer, problem = None, str(exc)
    macro = env.get_template("_partials/checkpoint.html").module.checkpoint
    return Markup(macro(module_id=module_id, index=index, cp=cp, texts=texts, answer=answer,
                        problem=problem))
