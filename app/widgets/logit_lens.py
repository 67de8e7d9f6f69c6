"""The logit lens: read SmolLM2's residual stream after every layer as if it were the last."""

import numpy as np
from pydantic import BaseModel, Field

from app.engine import work
from app.widgets._smollm2 import prompt_field, prompt_ids, token_label, token_texts
from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec

DEFAULT_PROMPT = "The Eiffel Tower is in the city of"
# Each prompt token is read at 31 depths against the 49,152-token vocabulary: about
# 0.03 CPU-seconds per token on top of the forward pass (bench/worst_case.py), so the
# lens reads at most MAX_LENS_TOKENS to keep one request under a CPU-second; 31 rows of
# 24 columns is also about as wide as the grid stays readable.
MAX_LENS_TOKENS = 24
LENS_CHUNK_ROWS = 128  # (depth, position) rows per matmul: 128 × 49,152 float32 = 25 MB
LENS_LIMIT_WHY = ("the logit lens reads every token at all 31 depths against the whole "
                  "vocabulary, so it is kept to one CPU-second per request")


class Params(WidgetParams):
    prompt: str = prompt_field(DEFAULT_PROMPT, MAX_LENS_TOKENS)


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

    Per depth and position: logits over the vocabulary → softmax → the arg-max token and its
    probability. All (depth, position) rows go through the output head together, a chunk at
    a time: one pass over the 113 MB head serves many rows (one matmul per depth would read
    it 31 times, which cost three times as much), and a chunk's logits stay small.
    """
    _, trace = model.traced(ids)
    depths, n, d = trace.residuals.shape
    rows = trace.residuals.reshape(depths * n, d)
    best = np.empty(depths * n, dtype=np.int64)
    p_best = np.empty(depths * n, dtype=np.float64)
    for start in range(0, depths * n, LENS_CHUNK_ROWS):
        work.step()  # a learner who has left stops costing CPU here
        chunk = slice(start, start + LENS_CHUNK_ROWS)
        logits = model.unembed(rows[chunk])  # (rows, vocab) float32
        best[chunk] = logits.argmax(axis=-1)
        logits -= logits.max(axis=-1, keepdims=True)
        # p(best) = 1 / Σ exp(logit − max): the max is the best token's own logit.
        p_best[chunk] = 1.0 / np.exp(logits, out=logits).sum(axis=-1, dtype=np.float64)
    best, p_best = best.reshape(depths, n), p_best.reshape(depths, n)
    return [LensLayer(layer=depth, top_tokens=token_texts(model, best[depth]),
                      top_probabilities=[round(float(p), 6) for p in p_best[depth]],
                      top_labels=[token_label(model, i) for i in best[depth]],
                      levels=[int(v) for v in np.clip(np.rint(p_best[depth] * 10), 0, 10)],
                      name="embeddings" if depth == 0 else f"layer {depth}")
            for depth in range(depths)]


def compute(params: Params, models) -> Result:
    model = models.smollm2()
    ids = prompt_ids(model, params.prompt, MAX_LENS_TOKENS, LENS_LIMIT_WHY)
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
