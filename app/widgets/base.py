"""The widget pattern: a typed params model, a pure function, a result model.

A widget module defines ``SPEC = WidgetSpec(...)``; :func:`app.widgets.registry`
finds every such module. Routes expose each spec twice from the same code:
``GET /api/widgets/{name}`` (JSON) and ``GET /widgets/{name}`` (the htmx
fragment, the ``result`` block of ``templates/widgets/{name}.html``).
A widget module never imports FastAPI.
"""

import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import annotated_types
import numpy as np
from pydantic import BaseModel, ConfigDict, field_validator


class WidgetInputError(ValueError):
    """Input a person must fix; becomes a 422 with this message."""


class WidgetParams(BaseModel):
    """Base for query-string parameter models: immutable, NaN and inf rejected, and a
    negative zero read as zero."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _no_negative_zero(cls, value: Any) -> Any:
        # ``spread=-0`` passes ``ge=0`` (−0.0 == 0) yet NumPy refuses a negative scale and
        # a chart would print "−0": every −0.0 becomes 0.0 before a widget sees it.
        return 0.0 if type(value) is float and value == 0 else value


class WidgetResult(BaseModel):
    model_config = ConfigDict(frozen=True)


def ui(label: str | None = None, *, control: str | None = None, step: float | None = None,
       slider: tuple[float, float] | None = None, show_when: dict | None = None,
       choices: dict | None = None, rows: int | None = None, unit: str = "") -> dict:
    """How a params field is shown (``Field(..., json_schema_extra=ui(...))``).

    ``control``: range, number, text, textarea, select, radio, checkbox or hidden
    (default: chosen from the field's type and limits). ``slider``: the track of a range
    control when it is narrower than the field's validation limits (the limits still
    bound what a typed URL may ask). ``show_when``: ``{"mode": ["numbers"]}``: the
    control applies only in that mode and is neither shown nor sent otherwise.
    ``choices``: labels for a Literal's values.
    """
    spec = {"label": label, "control": control, "step": step, "slider": slider,
            "show_when": show_when, "choices": choices, "rows": rows, "unit": unit}
    return {"ui": {k: v for k, v in spec.items() if v not in (None, "")}}


@dataclass(frozen=True)
class Control:
    """One form control, derived from a params field: its limits are the model's own."""

    name: str
    label: str
    kind: str  # range | number | text | textarea | select | radio | checkbox | hidden
    default: Any
    description: str = ""
    min: float | None = None
    max: float | None = None
    step: str = "any"
    slider_min: float | None = None
    slider_max: float | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    show_when: dict = field(default_factory=dict)
    max_length: int | None = None
    rows: int = 3
    unit: str = ""

    def applies(self, params: BaseModel) -> bool:
        """Whether this control belongs to the active mode of ``params``."""
        return all(str(_plain(getattr(params, key))) in [str(v) for v in values]
                   for key, values in self.show_when.items())


def _plain(value: Any) -> Any:
    """A parameter as a form shows it: enums by value, lists joined by commas."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(_plain(v)) for v in value)
    return value.value if hasattr(value, "value") and not isinstance(value, str) else value


def _limits(info) -> dict:
    out: dict = {}
    for m in info.metadata:
        if isinstance(m, annotated_types.Ge):
            out["min"] = m.ge
        elif isinstance(m, annotated_types.Gt):
            out["min"] = m.gt
        elif isinstance(m, annotated_types.Le):
            out["max"] = m.le
        elif isinstance(m, annotated_types.Lt):
            out["max"] = m.lt
        elif isinstance(m, annotated_types.MaxLen):
            out["max_length"] = m.max_length
    return out


def _number_text(value: float | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def controls_for(model: type[BaseModel]) -> tuple[Control, ...]:
    """The controls of a params model, in field order (see :func:`ui`)."""
    controls = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        hint = dict(extra.get("ui", {}))
        annotation = info.annotation
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
            origin = typing.get_origin(annotation)
        limits = _limits(info)
        choices: tuple = ()
        if origin is Literal:
            labels = hint.get("choices") or {}
            choices = tuple((str(v), str(labels.get(v, v))) for v in typing.get_args(annotation))
            kind = "select"
        elif annotation is bool:
            kind = "checkbox"
        elif annotation in (int, float):
            span = (limits.get("max", math.inf) - limits.get("min", -math.inf))
            step = hint.get("step") or (1 if annotation is int else None)
            kind = "range" if (hint.get("slider") or (step and span / step <= 400)) else "number"
        else:
            kind = "text"
        kind = hint.get("control", kind)
        step = hint.get("step") or (1 if annotation is int else None)
        slider = hint.get("slider") or (None, None)
        controls.append(Control(
            name=name, label=hint.get("label") or name.replace("_", " ").capitalize(),
            kind=kind, default=_plain(info.default), description=info.description or "",
            min=limits.get("min"), max=limits.get("max"),
            step=_number_text(step) or "any",
            slider_min=slider[0] if slider[0] is not None else limits.get("min"),
            slider_max=slider[1] if slider[1] is not None else limits.get("max"),
            choices=choices, show_when=dict(hint.get("show_when") or {}),
            max_length=limits.get("max_length"), rows=hint.get("rows", 3),
            unit=hint.get("unit", "")))
    return tuple(controls)


def _is_list(annotation) -> bool:
    return typing.get_origin(annotation) in (list, tuple)


def raw_params(model: type[BaseModel], source) -> dict:
    """Parameters as a params model takes them, from a mapping (a lesson's directive) or
    from (name, value) pairs (a query string): a list field collects every value given
    for it, a scalar given for a list field becomes a one-item list, and for other fields
    the last value wins."""
    pairs = source.items() if hasattr(source, "items") else source
    out: dict = {}
    for key, value in pairs:
        info = model.model_fields.get(key)
        if info is not None and _is_list(info.annotation):
            items = value if isinstance(value, (list, tuple)) else [value]
            out.setdefault(key, []).extend(str(v) for v in items)
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class WidgetSpec:
    name: str
    title: str
    summary: str  # one sentence, shown on the course home and the playground page
    params: type[WidgetParams]
    result: type[WidgetResult]
    compute: Callable[..., WidgetResult]  # compute(params) or compute(params, models)
    uses_model: bool = False  # True: runs in a worker thread under the concurrency limit
    # For widgets that need a model only for some inputs (e.g. typed scores vs a sentence):
    # returns False when these params can be computed without one, skipping the queue.
    needs_model: Callable[[WidgetParams], bool] | None = None
    full_width: bool = False  # playground layout hint
    # Published configurations a select fills the form with: {key: (label, {field: value})}.
    presets: dict = field(default_factory=dict)

    @property
    def template(self) -> str:
        return f"widgets/{self.name}.html"

    @cached_property
    def controls(self) -> tuple[Control, ...]:
        return controls_for(self.params)

    def parse(self, source) -> WidgetParams:
        """Validate parameters from a mapping or query pairs (see :func:`raw_params`)."""
        return self.params.model_validate(raw_params(self.params, source))

    def state(self, params: WidgetParams) -> dict:
        """The parameters that describe this widget's state in a URL: those of the
        active mode, as plain values (a list field stays a list)."""
        def plain(value):
            if isinstance(value, (list, tuple)):
                return [_plain(v) for v in value]
            return _plain(value)

        return {c.name: plain(getattr(params, c.name)) for c in self.controls
                if c.applies(params)}

    def wants_model(self, params: WidgetParams) -> bool:
        return self.uses_model and (self.needs_model is None or self.needs_model(params))

    def run(self, params: WidgetParams, models: Any = None) -> WidgetResult:
        if self.uses_model:
            return self.compute(params, models)
        return self.compute(params)


def parse_vector(text: str, name: str, *, min_len: int = 1, max_len: int = 64,
                 lo: float = -1e6, hi: float = 1e6) -> np.ndarray:
    """Parse ``"1, 2.5, -3"`` into a float64 vector, or raise a readable error."""
    items = [t.strip() for t in text.split(",")]
    if items == [""]:
        raise WidgetInputError(f"{name}: give at least {min_len} number(s), separated by commas")
    values = []
    for i, item in enumerate(items, start=1):
        try:
            value = float(item)
        except ValueError:
            raise WidgetInputError(f"{name}: item {i} ('{item[:20]}') is not a number") from None
        if not math.isfinite(value):
            raise WidgetInputError(f"{name}: item {i} must be a finite number, not {item[:20]}")
        if not lo <= value <= hi:
            raise WidgetInputError(f"{name}: item {i} must be between {lo:g} and {hi:g}")
        values.append(value)
    if not min_len <= len(values) <= max_len:
        raise WidgetInputError(
            f"{name}: expected {min_len}–{max_len} numbers, got {len(values)}"
            if min_len != max_len else f"{name}: expected {min_len} numbers, got {len(values)}"
        )
    return np.array(values, dtype=np.float64)


def parse_matrix(text: str, name: str, *, max_rows: int = 32, max_cols: int = 64,
                 cols: int | None = None, square: bool = False, **bounds: float) -> np.ndarray:
    """Parse ``"1,2;3,4"`` (rows separated by ``;``) into a 2-D float64 array."""
    rows_text = [r for r in text.split(";")]
    if not 1 <= len(rows_text) <= max_rows:
        raise WidgetInputError(f"{name}: expected 1–{max_rows} rows separated by ';'")
    rows = [parse_vector(r, f"{name} row {i}", max_len=max_cols, **bounds)
            for i, r in enumerate(rows_text, start=1)]
    width = cols or len(rows[0])
    for i, row in enumerate(rows, start=1):
        if len(row) != width:
            raise WidgetInputError(
                f"{name}: row {i} has {len(row)} numbers but {width} are needed")
    matrix = np.vstack(rows)
    if square and matrix.shape[0] != matrix.shape[1]:
        raise WidgetInputError(f"{name}: must be square, got {matrix.shape[0]}×{matrix.shape[1]}")
    return matrix


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax: subtract the max so ``exp`` never overflows."""
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def rounded(values, digits: int = 6) -> list:
    """Round for JSON: floats keep enough precision for tests, not noise."""
    return np.round(np.asarray(values, dtype=np.float64), digits).tolist()
