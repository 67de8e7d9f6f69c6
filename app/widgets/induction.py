"""Induction heads: on a random token sequence shown twice, which heads copy from the past?

The sequence is ``[start] x₁ … x_L x₁ … x_L`` with the x drawn at random (no repeats) from
the ordinary vocabulary. In the second copy, the token after each xᵢ is predictable only by
finding xᵢ's first occurrence and copying what followed it: a head doing that attends from
the second xᵢ to the first x_{i+1}. The model's loss falls sharply in the second copy.
"""

import numpy as np
from pydantic import Field

from app.widgets._smollm2 import MAX_PROMPT_TOKENS, f32_values, token_label, token_texts
from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec, ui

MIN_LENGTH = 4
MAX_LENGTH = (MAX_PROMPT_TOKENS - 1) // 2  # 31: start token + two copies fit in 64 tokens
TOP_HEADS = 5
LOSS_PLOT_PX = 140  # height of the per-token loss chart's plot area
PLOT_TOP = 24  # px above the loss chart's plot area (its y-axis title sits there)
PLOT_LEFT = 9.0  # % of the chart's width kept for the y-axis labels
START_TOKEN = "<|endoftext|>"  # a document boundary: the model's usual starting context


class Params(WidgetParams):
    length: int = Field(20, ge=MIN_LENGTH, le=MAX_LENGTH,
                        description=f"Random tokens per copy ({MIN_LENGTH}–{MAX_LENGTH})",
                        json_schema_extra=ui("Random tokens per copy"))
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed for the random tokens",
                      json_schema_extra=ui("Seed", control="number"))


class HeadScore(WidgetResult):
    layer: int  # 1-based
    head: int  # 1-based
    score: float


class Result(WidgetResult):
    tokens: list[str]  # start token, first copy, second copy
    scores: list[list[float]]  # (layers, heads): mean attention to "the token after my twin"
    top_heads: list[HeadScore]  # highest scores first
    loss_first_half: float  # mean next-token cross-entropy (nats) predicting the first copy
    loss_second_half: float  # … predicting the second copy
    # For the HTML fragment only (not part of the JSON contract):
    token_losses: list[float] = Field(default_factory=list, exclude=True)  # per predicted token
    best_pattern: list[list[float]] = Field(default_factory=list, exclude=True)  # (n, n)
    length: int = Field(0, exclude=True)  # L, tokens per copy
    labels: list[str] = Field(default_factory=list, exclude=True)  # tokens as chips show them
    layer_labels: list[str] = Field(default_factory=list, exclude=True)  # "layer 1" …
    head_labels: list[str] = Field(default_factory=list, exclude=True)  # "head 1" …
    score_max: float = Field(1.0, exclude=True)  # top of the score heatmap's colour scale
    pattern_max: float = Field(1.0, exclude=True)  # top of the pattern's colour scale
    best_cell: list[list[int]] = Field(default_factory=list, exclude=True)  # [[layer0, head0]]
    stripe: list[list[int]] = Field(default_factory=list, exclude=True)  # induction targets
    loss_max: float = Field(1.0, exclude=True)  # top of the loss chart's y axis (nats)
    loss_x: list[float] = Field(default_factory=list, exclude=True)  # bar left edges, % width
    loss_width: float = Field(1.0, exclude=True)  # bar width, % of the chart
    loss_px: list[float] = Field(default_factory=list, exclude=True)  # bar heights, px
    loss_y: list[float] = Field(default_factory=list, exclude=True)  # bar tops, px
    split_x: float = Field(50.0, exclude=True)  # where the second copy starts, % width
    first_mid: float = Field(25.0, exclude=True)  # centre of each half, % width
    second_mid: float = Field(75.0, exclude=True)


def sequence(model, length: int, seed: int) -> list[int]:
    """``[start] + x + x`` with ``x`` = ``length`` distinct random ordinary-token ids."""
    rng = np.random.default_rng(seed)
    ordinary = np.setdiff1d(np.arange(model.config.vocab_size), sorted(model.stop_ids))
    x = rng.choice(ordinary, size=length, replace=False).tolist()
    return [model.tokenizer.token_to_id(START_TOKEN), *x, *x]


def analyse(model, length: int, seed: int) -> Result:
    ids = sequence(model, length, seed)
    logits, trace = model.traced(ids)  # (n, vocab), attention (layers, heads, n, n)
    n = len(ids)
    # Second-copy position t (t = L+1 … 2L) holds the twin of position t − L, whose
    # successor sits at t − L + 1: the target an induction head attends to.
    rows = np.arange(length + 1, n)
    scores = trace.attention[:, :, rows, rows - length + 1].mean(axis=-1)  # (layers, heads)
    # loss_t = log Σ exp(z) − z[next] = max + log Σ exp(z − max) − z[next]. The exponentials
    # stay float32 (one (n, vocab) temporary, 12 MB, instead of three in float64) and are
    # summed in float64.
    z = logits[:-1]
    top = z.max(axis=-1).astype(np.float64)
    total = np.exp(z - z.max(axis=-1, keepdims=True)).sum(axis=-1, dtype=np.float64)
    losses = top + np.log(total) - z[np.arange(n - 1), ids[1:]]  # loss predicting token t + 1
    order = np.argsort(-scores, axis=None, kind="stable")[:TOP_HEADS]
    top = [HeadScore(layer=int(i // scores.shape[1]) + 1, head=int(i % scores.shape[1]) + 1,
                     score=round(float(scores.flat[i]), 6)) for i in order]
    best_layer, best_head = top[0].layer - 1, top[0].head - 1
    pattern = trace.attention[best_layer, best_head]
    loss_max = max(float(np.ceil(losses.max())), 1.0)
    slot = (100.0 - PLOT_LEFT) / len(losses)
    return Result(
        tokens=token_texts(model, ids), scores=np.round(scores.astype(np.float64), 6).tolist(),
        top_heads=top,
        loss_first_half=round(float(losses[:length].mean()), 6),
        loss_second_half=round(float(losses[length:].mean()), 6),
        token_losses=np.round(losses, 4).tolist(),
        best_pattern=f32_values(pattern),
        length=length,
        labels=[token_label(model, i) for i in ids],
        layer_labels=[f"layer {k + 1}" for k in range(scores.shape[0])],
        head_labels=[f"head {k + 1}" for k in range(scores.shape[1])],
        score_max=max(float(scores.max()), 1e-9),
        pattern_max=max(float(pattern.max()), 1e-9),
        best_cell=[[best_layer, best_head]],
        stripe=[[int(t), int(t - length + 1)] for t in rows],
        loss_max=loss_max,
        loss_x=[round(PLOT_LEFT + k * slot, 3) for k in range(len(losses))],
        loss_width=round(slot * 0.8, 3),
        loss_px=[round(float(v) / loss_max * LOSS_PLOT_PX, 2) for v in losses],
        loss_y=[round(PLOT_TOP + LOSS_PLOT_PX - float(v) / loss_max * LOSS_PLOT_PX, 2)
                for v in losses],
        split_x=round(PLOT_LEFT + length * slot, 3),
        first_mid=round(PLOT_LEFT + length * slot / 2, 3),
        second_mid=round(PLOT_LEFT + (length + (len(losses) - length) / 2) * slot, 3),
    )


def compute(params: Params, models) -> Result:
    """Scores and losses for one random sequence (remembered per length and seed)."""
    model = models.smollm2()
    return model.memo(("induction", params.length, params.seed),
                      lambda: analyse(model, params.length, params.seed))


SPEC = WidgetSpec(
    name="induction",
    title="Induction heads in SmolLM2-135M",
    summary="Repeat a random token sequence and find the heads that look back to copy what "
            "came next, while the loss collapses.",
    params=Params,
    result=Result,
    compute=compute,
    uses_model=True,
    full_width=True,
)
