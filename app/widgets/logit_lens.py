"""The logit lens: read SmolLM2's residual stream after every layer as if it were the last."""

import numpy as np
from pydantic import BaseModel, Field

from app.widgets._smollm2 import prompt_field, prompt_ids, token_label, token_texts
from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec

DEFAULT_PROMPT = "The Eiffel Tower is in the city of"


class Params(WidgetParams):
    prompt: str = prompt_field(DEFAULT_PROMPT)


class LensLayer(BaseModel):
    layer: int  # 0 = the token embeddings, l = the residual stream after block l (1–30)
    top_tokens: list[str]  # per position: the most likely next token read at this depth
    top_probabilities: list[float]  # per position: its probability
    # HTML only: the tokens as chips show them, the colour step (0–10) of each probability.
    top_labels: list[str] = Field(default_factory=list, exclude=True)
    levels: list[int] = Field(default_factory=list, exclude=True)
    name: str = Field("", exclude=True)  # "embeddings" or "layer 7"


class Result(WidgetResult):
    tokens: list[str]
    layers: list[LensLayer]
    # HTML only (not in the JSON contract):
    labels: list[str] = Field(default_factory=list, exclude=True)  # input tokens as chips
    final_percent: float = Field(0.0, exclude=True)  # the last layer's last prediction, in %


def lens(model, ids: list[int]) -> list[LensLayer]:
    """Final RMSNorm + tied unembedding applied to each of the (layers + 1) residual streams.

    Per depth: logits (n, vocab) → softmax → the arg-max token and its probability.
    """
    _, trace = model.traced(ids)
    out = []
    for depth, residual in enumerate(trace.residuals):  # (n, d) each
        logits = model.unembed(residual).astype(np.float64)  # (n, vocab)
        best = logits.argmax(axis=-1)
        # p(best) = 1 / Σ exp(logit − max): the max is the best token's own logit.
        p_best = 1.0 / np.exp(logits - logits.max(axis=-1, keepdims=True)).sum(axis=-1)
        out.append(LensLayer(layer=depth, top_tokens=token_texts(model, best),
                             top_probabilities=[round(float(p), 6) for p in p_best],
                             top_labels=[token_label(model, i) for i in best],
                             levels=[int(v) for v in np.clip(np.rint(p_best * 10), 0, 10)],
                             name="embeddings" if depth == 0 else f"layer {depth}"))
    return out


def compute(params: Params, models) -> Result:
    model = models.smollm2()
    ids = prompt_ids(model, params.prompt)
    layers = model.memo(("logit-lens", tuple(ids)), lambda: lens(model, ids))
    return Result(tokens=token_texts(model, ids), layers=layers,
                  labels=[token_label(model, i) for i in ids],
                  final_percent=layers[-1].top_probabilities[-1] * 100)


SPEC = WidgetSpec(
    name="logit-lens",
    title="Logit lens on SmolLM2-135M",
    summary="Decode the residual stream after every layer and watch the prediction take shape "
            "with depth.",
    params=Params,
    result=Result,
    compute=compute,
    uses_model=True,
    full_width=True,
)
