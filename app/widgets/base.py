"""The widget pattern: a typed params model, a pure function, a result model.

A widget module defines ``SPEC = WidgetSpec(...)``; :func:`app.widgets.registry`
finds every such module. Routes expose each spec twice from the same code:
``GET /api/widgets/{name}`` (JSON) and ``GET /widgets/{name}`` (the htmx
fragment, the ``result`` block of ``templates/widgets/{name}.html``).
A widget module never imports FastAPI.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict


class WidgetInputError(ValueError):
    """Input a person must fix; becomes a 422 with this message."""


class WidgetParams(BaseModel):
    """Base for query-string parameter models: immutable, NaN and inf rejected."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)


class WidgetResult(BaseModel):
    model_config = ConfigDict(frozen=True)


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

    @property
    def template(self) -> str:
        return f"widgets/{self.name}.html"

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
