"""Induction heads: on a random token sequence shown twice, which heads copy from the past?

The sequence is ``[start] x₁ … x_L x₁ … x_L`` with the x drawn at random (no repeats) from
the ordinary vocabulary. In the second copy, the token after each xᵢ is predictable only by
finding xᵢ's first occurrence and copying what followed it: a head doing that attends from
the second xᵢ to the first x_{i+1}. The model's loss falls sharply in the second copy.
"""

import numpy as np
from pydantic import Field

from app.widgets._smollm2 import MAX_PROMPT_TOKENS, f32_values, token_texts
from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec

MIN_LENGTH = 4
MAX_LENGTH = (MAX_PROMPT_TOKENS - 1) // 2  # 31: start token + two copies fit in 64 tokens
TOP_HEADS = 5
START_TOKEN = "<|endoftext|>"  # a document boundary: the model's usual starting context


class Params(WidgetParams):
    length: int = Field(20, ge=MIN_LENGTH, le=MAX_LENGTH,
                        description=f"Random tokens per copy ({MIN_LENGTH}–{MAX_LENGTH})")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed for the random tokens")


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
    z = logits[:-1].astype(np.float64)
    log_norm = z.max(axis=-1) + np.log(np.exp(z - z.max(axis=-1, keepdims=True)).sum(axis=-1))
    losses = log_norm - z[np.arange(n - 1), ids[1:]]  # loss predicting token t + 1
    order = np.argsort(-scores, axis=None, kind="stable")[:TOP_HEADS]
    top = [HeadScore(layer=int(i // scores.shape[1]) + 1, head=int(i % scores.shape[1]) + 1,
                     score=round(float(scores.flat[i]), 6)) for i in order]
    best_layer, best_head = top[0].layer - 1, top[0].head - 1
    return Result(
        tokens=token_texts(model, ids), scores=np.round(scores.astype(np.float64), 6).tolist(),
        top_heads=top,
        loss_first_half=round(float(losses[:length].mean()), 6),
        loss_second_half=round(float(losses[length:].mean()), 6),
        token_losses=np.round(losses, 4).tolist(),
        best_pattern=f32_values(trace.attention[best_layer, best_head]),
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
