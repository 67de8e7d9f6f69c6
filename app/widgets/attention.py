"""The attention heatmap: one head of the real all-MiniLM-L6-v2 on the learner's sentence."""

import numpy as np
from pydantic import Field

from app.engine.minilm import MAX_TOKENS, MODEL_NAME
from app.widgets._minilm import (
    encode_sentence,
    f32_values,
    head_field,
    layer_field,
    sentence_field,
)
from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec, ui

DEFAULT_SENTENCE = "The animal didn't cross the street because it was tired"


class Params(WidgetParams):
    sentence: str = sentence_field(DEFAULT_SENTENCE)
    layer: int = layer_field(4)
    head: int = head_field(2)
    average: bool = Field(False, description="Average the weights over all 12 heads of the "
                                             "layer (head is then ignored but still echoed)",
                          json_schema_extra=ui("Average over all 12 heads"))
    # Row 10 is "it" in the default sentence: the row the lessons talk about.
    row: int = Field(10, ge=0, le=MAX_TOKENS - 1, description=(
        "The query row (0 = [CLS]) whose distribution is drawn as bars; "
        "clamped to the sentence length"), json_schema_extra=ui("Query row", control="hidden"))


class Result(WidgetResult):
    model: str
    tokens: list[str]
    layer: int
    head: int
    weights: list[list[float]]  # (n_query, n_key); each row sums to 1
    row: int  # the chosen query row, clamped to the sentence
    row_sum: float
    row_argmax: int
    vmax: float  # the largest weight in the grid: the top of the colour scale
    row_labels: list[str]  # "0 [CLS]", "1 the", …


def compute(params: Params, models) -> Result:
    """weights[i][j]: how much query token i attends to key token j in (layer, head).

    These are the model's own softmax outputs (float32, rows sum to 1 within ~1e-7); with
    ``average`` they are the mean over the 12 heads, which is still a distribution per row.
    """
    enc = encode_sentence(models, params.sentence)
    layer_weights = enc.attentions[params.layer - 1]  # (12, n, n)
    if params.average:
        weights = layer_weights.mean(axis=0, dtype=np.float64).astype(np.float32)
    else:
        weights = layer_weights[params.head - 1]
    row = min(params.row, len(enc.tokens) - 1)
    return Result(model=MODEL_NAME, tokens=list(enc.tokens), layer=params.layer,
                  head=params.head, weights=f32_values(weights), row=row,
                  row_sum=float(np.sum(weights[row], dtype=np.float64)),
                  row_argmax=int(np.argmax(weights[row])), vmax=float(np.max(weights)),
                  row_labels=[f"{i} {t}" for i, t in enumerate(enc.tokens)])


SPEC = WidgetSpec(
    name="attention",
    title="Attention heatmap (all-MiniLM-L6-v2)",
    summary="See where each word of your sentence looks, head by head, in a real 6-layer encoder.",
    params=Params,
    result=Result,
    compute=compute,
    uses_model=True,
    full_width=True,
)
