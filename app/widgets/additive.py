"""Additive (Bahdanau) attention next to scaled dot-product attention, with operation counts."""

import math

import numpy as np
from pydantic import Field

from app.widgets.base import (
    WidgetInputError,
    WidgetParams,
    WidgetResult,
    WidgetSpec,
    parse_matrix,
    parse_vector,
    rounded,
    softmax,
    ui,
)

MAX_DIM = 8
MAX_KEYS = 8
BOUND = 100.0
# Constructed defaults (not trained): W_q and W_k each copy coordinates 1, 2 and 4 into a
# 3-d attention space, and v adds the three tanh outputs.
DEFAULT_Q = "1,0.5,-0.5,1"
DEFAULT_KEYS = "1,0,0,1;0,1,0,0;-1,0,1,0;0.5,0.5,0,0.5"
DEFAULT_W = "1,0,0,0;0,1,0,0;0,0,0,1"


class Params(WidgetParams):
    q: str = Field(DEFAULT_Q, max_length=400, description="Query, d numbers (1–8)",
                   json_schema_extra=ui("Query q (d numbers)"))
    keys: str = Field(DEFAULT_KEYS, max_length=1200, description="1–8 keys of d numbers, ';'",
                      json_schema_extra=ui("Keys k_j (';' between keys)"))
    wq: str = Field(DEFAULT_W, max_length=1200, description="W_q, d_a rows × d columns",
                    json_schema_extra=ui("W_q (d_a rows × d)"))
    wk: str = Field(DEFAULT_W, max_length=1200, description="W_k, d_a rows × d columns",
                    json_schema_extra=ui("W_k (d_a rows × d)"))
    v: str = Field("1,1,1", max_length=400, description="v, d_a numbers (1–8)",
                   json_schema_extra=ui("v (d_a numbers)"))
    count_d: int = Field(64, ge=1, le=65536, description="d for the operation count",
                         json_schema_extra=ui("Count at scale: d (query/key width)",
                                              control="number"))
    count_da: int = Field(64, ge=1, le=65536, description="Attention hidden size d_a, for counts",
                          json_schema_extra=ui("Count at scale: d_a (attention hidden size)",
                                               control="number"))
    count_keys: int = Field(512, ge=1, le=10**6, description="Keys (source tokens), for counts",
                            json_schema_extra=ui("Count at scale: keys (source tokens)",
                                                 control="number"))
    count_queries: int = Field(512, ge=1, le=10**6, description="Queries, for counts",
                               json_schema_extra=ui("Count at scale: queries (target tokens)",
                                                    control="number"))


class Ops(WidgetResult):
    dot_per_score: int  # d multiply-adds
    additive_per_score: int  # 2·d·d_a + 3·d_a when nothing is shared between scores
    additive_shared_per_score: int  # d_a add + d_a tanh + d_a multiply-add, projections reused
    dot_total: int  # queries · keys · d
    additive_total: int  # (queries + keys)·d·d_a + queries·keys·3·d_a
    ratio: float  # additive_total / dot_total


class Result(WidgetResult):
    hidden: list[list[float]]  # (n_keys, d_a) tanh(W_q q + W_k k_j)
    additive_scores: list[float]  # (n_keys,) vᵀ tanh(W_q q + W_k k_j)
    additive_weights: list[float]
    dot_scores: list[float]  # (n_keys,) q·k_j / √d
    dot_weights: list[float]
    ops: Ops
    labels: list[str]  # "key 1", "key 2", …
    additive_argmax: int  # the key additive attention weights most
    dot_argmax: int


def count_ops(d: int, da: int, keys: int, queries: int) -> Ops:
    """Counting convention: one multiply-add = one operation; an addition, one; a tanh, one."""
    dot_total = queries * keys * d
    additive_total = (queries + keys) * d * da + queries * keys * 3 * da
    return Ops(dot_per_score=d, additive_per_score=2 * d * da + 3 * da,
               additive_shared_per_score=3 * da, dot_total=dot_total,
               additive_total=additive_total, ratio=additive_total / dot_total)


def compute(params: Params) -> Result:
    """e_j = vᵀ tanh(W_q q + W_k k_j) (Bahdanau et al. 2015) and q·k_j/√d, each softmaxed."""
    bounds = {"lo": -BOUND, "hi": BOUND}
    q = parse_vector(params.q, "q", max_len=MAX_DIM, **bounds)
    d = len(q)
    keys = parse_matrix(params.keys, "keys", max_rows=MAX_KEYS, max_cols=MAX_DIM, **bounds)
    if keys.shape[1] != d:
        raise WidgetInputError(f"keys have {keys.shape[1]} numbers each but q has {d}")
    v = parse_vector(params.v, "v", max_len=MAX_DIM, **bounds)
    da = len(v)
    w = {}
    for name in ("wq", "wk"):
        m = parse_matrix(getattr(params, name), name, max_rows=MAX_DIM, max_cols=MAX_DIM,
                         **bounds)
        if m.shape != (da, d):
            raise WidgetInputError(f"{name} must be d_a×d = {da}×{d} (d_a = length of v, "
                                   f"d = length of q), got {m.shape[0]}×{m.shape[1]}")
        w[name] = m
    hidden = np.tanh(w["wq"] @ q + keys @ w["wk"].T)  # (n_keys, d_a)
    additive = hidden @ v
    dot = keys @ q / math.sqrt(d)
    return Result(
        hidden=rounded(hidden, 9), additive_scores=rounded(additive, 9),
        additive_weights=rounded(softmax(additive), 9), dot_scores=rounded(dot, 9),
        dot_weights=rounded(softmax(dot), 9),
        ops=count_ops(params.count_d, params.count_da, params.count_keys, params.count_queries),
        labels=[f"key {j}" for j in range(1, len(keys) + 1)],
        additive_argmax=int(np.argmax(additive)), dot_argmax=int(np.argmax(dot)),
    )


SPEC = WidgetSpec(
    name="additive",
    title="Additive vs dot-product attention",
    summary="Score the same keys with Bahdanau's additive attention and with a scaled dot "
            "product, and count what each costs.",
    params=Params,
    result=Result,
    compute=compute,
)
