"""One head of SmolLM2-135M's causal, grouped-query self-attention on the learner's prompt."""

import numpy as np
from pydantic import Field

from app.engine.smollm2 import MODEL_NAME
from app.widgets._smollm2 import (
    MAX_PROMPT_TOKENS,
    check_layer_head,
    f32_values,
    head_field,
    layer_field,
    prompt_field,
    prompt_ids,
    token_label,
    token_texts,
)
from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec, ui

DEFAULT_PROMPT = "The cat sat on the mat because the cat was tired"


class Params(WidgetParams):
    prompt: str = prompt_field(DEFAULT_PROMPT)
    layer: int = layer_field(17)
    head: int = head_field(4)
    # ("row", not "query": the error messages drop a field called "query" as a location.)
    row: int = Field(-1, ge=-1, le=MAX_PROMPT_TOKENS - 1, description=(
        "The query token whose row is drawn as bars (0 = first token, "
        "−1 = the last); clamped to the prompt length"),
        json_schema_extra=ui("Query row", control="hidden"))


class Result(WidgetResult):
    model: str
    tokens: list[str]
    layer: int  # 1-based
    head: int  # 1-based query head
    kv_head: int  # 1-based key/value head this query head shares with its group
    weights: list[list[float]]  # (n_query, n_key); rows sum to 1, entries above the diagonal 0
    row: int  # the chosen query row (0-based), −1 and overlong rows resolved
    row_sum: float  # Σ of that row's weights (1 up to rounding)
    row_argmax: int  # the key that row attends to most
    vmax: float  # the largest weight in the grid: the top of the colour scale
    group_heads: list[int]  # the query heads (1-based) sharing this head's key/value head
    # HTML only: tokens as chips show them (␣ for a space, <E6> for a lone byte), and
    # "1 ␣cat", … for the bars.
    labels: list[str] = Field(default_factory=list, exclude=True)
    row_labels: list[str] = Field(default_factory=list, exclude=True)


def compute(params: Params, models) -> Result:
    """weights[i][j] = softmax_j(q_i · k_j / √64) with j > i masked: the model's own numbers.

    Query head h (1-based) reads key/value head ⌈h / group⌉: with 9 query heads sharing 3
    key/value heads, heads 1–3 read KV head 1, 4–6 read KV head 2, 7–9 read KV head 3.
    """
    model = models.smollm2()
    check_layer_head(model, params.layer, params.head)
    ids = prompt_ids(model, params.prompt)
    _, trace = model.traced(ids)
    weights = trace.attention[params.layer - 1, params.head - 1]  # (n, n)
    n = len(ids)
    row = n - 1 if params.row < 0 or params.row >= n else params.row
    group = model.config.group_size
    kv_head = (params.head - 1) // group + 1
    values = f32_values(weights)
    labels = [token_label(model, i) for i in ids]
    return Result(model=MODEL_NAME, tokens=token_texts(model, ids), layer=params.layer,
                  head=params.head, kv_head=kv_head, weights=values, row=row,
                  row_sum=float(np.sum(np.asarray(values[row], dtype=np.float64))),
                  row_argmax=int(np.argmax(values[row])),
                  vmax=max(float(np.max(weights)), 1e-9),
                  group_heads=[h for h in range((kv_head - 1) * group + 1, kv_head * group + 1)],
                  labels=labels, row_labels=[f"{j + 1} {t}" for j, t in enumerate(labels)])


SPEC = WidgetSpec(
    name="lm-attention",
    title="Causal attention in SmolLM2-135M",
    summary="Pick a layer and one of 9 query heads (grouped over 3 shared key/value heads) and "
            "see where each token of your prompt looks back.",
    params=Params,
    result=Result,
    compute=compute,
    uses_model=True,
    full_width=True,
)
