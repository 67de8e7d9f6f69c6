"""Self-attention one step at a time: project to Q, K, V; score; scale; softmax; mix."""

import math

import numpy as np
from pydantic import Field

from app.widgets.base import (
    WidgetInputError,
    WidgetParams,
    WidgetResult,
    WidgetSpec,
    parse_matrix,
    rounded,
    softmax,
    ui,
)

D = 3  # embedding and head width: small enough to check by hand
MAX_TOKENS = 8
BOUND = 100.0
STEPS = ("projection", "scores", "scaling", "softmax", "weighted sum")
# Constructed defaults: small numbers so every product can be checked with pencil and paper.
DEFAULT_X = "1,0,1;0,2,0;1,1,0;0,1,1"
DEFAULT_WQ = "1,0,0;0,1,1;1,0,1"
DEFAULT_WK = "0,1,0;1,0,0;0,1,1"
DEFAULT_WV = "0,2,0;1,0,0;0,0,1"


def _matrix_field(default: str, text: str, label: str):
    return Field(default, max_length=600, description=f"{text}; rows split by ';', "
                                                      "numbers by ',' (|x| ≤ 100)",
                 json_schema_extra=ui(label))


class Params(WidgetParams):
    step: int = Field(5, ge=1, le=5, description="1 projection, 2 scores, 3 scaling, "
                                                 "4 softmax, 5 weighted sum (the fragment "
                                                 "shows steps up to this one; JSON has all)",
                      json_schema_extra=ui("Show steps 1 to", unit="of 5"))
    tokens: str = Field("the,cat,sat,down", max_length=200,
                        description="Token labels, comma-separated, one per row of x (1–8)",
                        json_schema_extra=ui("Tokens"))
    x: str = _matrix_field(DEFAULT_X, "Embeddings X: one row of 3 numbers per token",
                           "Embeddings X (one row per token)")
    wq: str = _matrix_field(DEFAULT_WQ, "W_Q, 3×3", "W_Q (3×3)")
    wk: str = _matrix_field(DEFAULT_WK, "W_K, 3×3", "W_K (3×3)")
    wv: str = _matrix_field(DEFAULT_WV, "W_V, 3×3", "W_V (3×3)")


class Result(WidgetResult):
    tokens: list[str]
    step: int
    step_names: list[str]
    x: list[list[float]]  # (n, 3) token embeddings as rows
    q: list[list[float]]  # (n, 3) = X W_Q
    k: list[list[float]]  # (n, 3) = X W_K
    v: list[list[float]]  # (n, 3) = X W_V
    scores: list[list[float]]  # (n, n) = Q Kᵀ; row = query token, column = key token
    scale: float  # √d_k
    scaled: list[list[float]]  # (n, n) = Q Kᵀ / √d_k
    weights: list[list[float]]  # (n, n) softmax of each row; rows sum to 1
    output: list[list[float]]  # (n, 3) = weights · V
    weight_levels: list[list[int]]  # (n, n) colour step 0…10 of each weight (h0–h10)
    next_step: str | None  # the name of the step after ``step``, None at the last


def compute(params: Params) -> Result:
    """Row-vector convention: token i's query is x_i W_Q (x_i a row), as in most code."""
    labels = [t.strip() for t in params.tokens.split(",")]
    bounds = {"lo": -BOUND, "hi": BOUND}
    x = parse_matrix(params.x, "x", max_rows=MAX_TOKENS, cols=D, **bounds)
    if len(labels) != len(x) or not all(labels):
        raise WidgetInputError(
            f"tokens: give {len(x)} non-empty labels (one per row of x), got {len(labels)}")
    w = {name: parse_matrix(getattr(params, name), name.upper().replace("W", "W_"),
                            max_rows=D, cols=D, square=True, **bounds)
         for name in ("wq", "wk", "wv")}
    q, k, v = x @ w["wq"], x @ w["wk"], x @ w["wv"]
    scores = q @ k.T
    scale = math.sqrt(D)
    scaled = scores / scale
    weights = softmax(scaled, axis=-1)
    return Result(
        tokens=labels, step=params.step, step_names=list(STEPS), x=rounded(x, 9),
        q=rounded(q, 9), k=rounded(k, 9), v=rounded(v, 9), scores=rounded(scores, 9),
        scale=scale, scaled=rounded(scaled, 9), weights=rounded(weights, 9),
        output=rounded(weights @ v, 9),
        weight_levels=np.clip(np.rint(weights * 10), 0, 10).astype(int).tolist(),
        next_step=STEPS[params.step] if params.step < len(STEPS) else None,
    )


SPEC = WidgetSpec(
    name="qkv-steps",
    title="Self-attention step by step",
    summary="Follow four tokens through projection, scores, scaling, softmax and the "
            "weighted sum, with every matrix shown.",
    params=Params,
    result=Result,
    compute=compute,
)
