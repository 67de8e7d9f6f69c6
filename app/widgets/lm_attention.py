"""One head of SmolLM2-135M's causal, grouped-query self-attention on the learner's prompt."""

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
    token_texts,
)
from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec

DEFAULT_PROMPT = "The cat sat on the mat because the cat was tired"


class Params(WidgetParams):
    prompt: str = prompt_field(DEFAULT_PROMPT)
    layer: int = layer_field(17)
    head: int = head_field(4)
    # ("row", not "query": the error messages drop a field called "query" as a location.)
    row: int = Field(-1, ge=-1, le=MAX_PROMPT_TOKENS - 1, description=(
        "HTML fragment only: the query token whose row is drawn as bars (0 = first token, "
        "−1 = the last); clamped to the prompt length"))


class Result(WidgetResult):
    model: str
    tokens: list[str]
    layer: int  # 1-based
    head: int  # 1-based query head
    kv_head: int  # 1-based key/value head this query head shares with its group
    weights: list[list[float]]  # (n_query, n_key); rows sum to 1, entries above the diagonal 0


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
    return Result(model=MODEL_NAME, tokens=token_texts(model, ids), layer=params.layer,
                  head=params.head, kv_head=(params.head - 1) // model.config.group_size + 1,
                  weights=f32_values(weights))


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
