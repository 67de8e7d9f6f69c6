"""One query against a handful of keys: dot product, ÷√d, softmax, weighted sum of values."""

import math

import numpy as np
from pydantic import Field

from app.widgets.base import (
    WidgetInputError,
    WidgetParams,
    WidgetResult,
    WidgetSpec,
    parse_vector,
    rounded,
    softmax,
    ui,
)

MAX_DIM = 16
MAX_OTHERS = 15
BOUND = 1e3  # |component| limit: keeps exp() of the scores finite after max-subtraction
DEFAULT_OTHERS = "0,1,0,0;1,1,0,0;0,0,1,0"


def _joined(parts: list[str]) -> str:
    """Sliders send ``q=0.5&q=1&…``; a typed query sends ``q=0.5,1``: both become one text."""
    return ",".join(p.strip() for p in parts)


class Params(WidgetParams):
    q: list[str] = Field(["0.5,1,0,0"], max_length=MAX_DIM,
                         description="Query: 1–16 numbers, comma-separated (or q repeated)",
                         json_schema_extra=ui("Query q", control="vector", step=0.1,
                                              slider=(-2, 2)))
    k: list[str] = Field(["1,0.5,0,0"], max_length=MAX_DIM,
                         description="The key being scored: same length as q",
                         json_schema_extra=ui("Key k", control="vector", step=0.1,
                                              slider=(-2, 2)))
    others: str = Field(DEFAULT_OTHERS, max_length=4000,
                        description="1–15 competing keys, ';' between keys, ',' inside one",
                        json_schema_extra=ui("Other keys"))
    values: str = Field("", max_length=4000,
                        description="Optional value vectors, one per key in the order k, others…; "
                                    "';' between vectors. Empty: output is null",
                        json_schema_extra=ui("Values (optional, one per key: k first)"))
    scaled: bool = Field(True, description="true: scores (and so weights) use q·k/√d; false: "
                                           "scores are raw dot products. The 'scaled' field "
                                           "always reports q·k/√d for comparison",
                         json_schema_extra=ui("Divide by √d"))


class Result(WidgetResult):
    dot: float
    scale: float
    scaled: float
    scores: list[float]
    weights: list[float]
    weight: float
    output: list[float] | None
    labels: list[str]  # "k (yours)", "other 1", …
    scores_scaled: bool  # whether the scores were divided by √d


def _vectors(text: str, name: str, dim: int | None, max_count: int) -> list[np.ndarray]:
    parts = text.split(";")
    if not 1 <= len(parts) <= max_count:
        raise WidgetInputError(f"{name}: give 1–{max_count} vectors separated by ';'")
    vectors = []
    for i, part in enumerate(parts, start=1):
        v = parse_vector(part, f"{name} vector {i}", max_len=MAX_DIM, lo=-BOUND, hi=BOUND)
        dim = len(v) if dim is None else dim
        if len(v) != dim:
            raise WidgetInputError(
                f"{name} vector {i} has {len(v)} numbers but {dim} are needed")
        vectors.append(v)
    return vectors


def compute(params: Params) -> Result:
    """scores_j = q·k_j / √d (k_0 = k), weights = softmax(scores), output = Σ_j w_j v_j."""
    q = parse_vector(_joined(params.q), "q", max_len=MAX_DIM, lo=-BOUND, hi=BOUND)
    k = parse_vector(_joined(params.k), "k", max_len=MAX_DIM, lo=-BOUND, hi=BOUND)
    d = len(q)
    if len(k) != d:
        raise WidgetInputError(f"k has {len(k)} numbers but q has {d}: they must match")
    others = _vectors(params.others, "others", None, MAX_OTHERS)
    if len(others[0]) != d:
        raise WidgetInputError(
            f"others vector 1 has {len(others[0])} numbers but q has {d}: they must match")
    keys = np.vstack([k, *others])  # (n_keys, d)
    scale = math.sqrt(d)
    dots = keys @ q  # (n_keys,)
    scores = dots / scale if params.scaled else dots
    weights = softmax(scores)
    output = None
    if params.values.strip():
        values = _vectors(params.values, "values", None, MAX_OTHERS + 1)
        if len(values) != len(keys):
            raise WidgetInputError(
                f"values: {len(values)} vectors given but there are {len(keys)} keys "
                "(k and each of the others)")
        output = rounded(weights @ np.vstack(values), 9)
    return Result(dot=round(float(dots[0]), 9), scale=round(scale, 12),
                  scaled=round(float(dots[0]) / scale, 9), scores=rounded(scores, 9),
                  weights=rounded(weights, 9), weight=round(float(weights[0]), 9), output=output,
                  labels=["k (yours)", *(f"other {i}" for i in range(1, len(others) + 1))],
                  scores_scaled=params.scaled)


SPEC = WidgetSpec(
    name="qkv",
    title="Query, key, score",
    summary="Score one key against a query: dot product, divide by √d, softmax against "
            "other keys.",
    params=Params,
    result=Result,
    compute=compute,
)
