"""Multi-head attention: all 12 heads of one MiniLM layer side by side, each described
from its own weights, and a counter of the attention projections' parameters."""

from typing import ClassVar

import numpy as np
from pydantic import Field

from app.engine.minilm import MODEL_NAME, N_HEADS
from app.widgets._minilm import encode_sentence, layer_field, sentence_field
from app.widgets.base import (
    WidgetInputError,
    WidgetParams,
    WidgetResult,
    WidgetSpec,
    rounded,
    ui,
)

DEFAULT_SENTENCE = "The animal didn't cross the street because it was tired"
MOSTLY = 0.5  # a head "mostly" does X when X gets over half of the attention on average
BROAD = 0.75  # mean row entropy, as a fraction of the maximum log(n), above which a head is broad
# Published shapes for the parameter counter: (label, d_model, heads).
PRESETS = {
    "minilm": ("all-MiniLM-L6-v2", 384, 12),
    "bert-base": ("BERT-base", 768, 12),
    "gpt2": ("GPT-2 small", 768, 12),
    "llama2-7b": ("Llama 2 7B", 4096, 32),
    "gpt3": ("GPT-3 175B", 12288, 96),
}


class Params(WidgetParams):
    PRESETS: ClassVar[dict[str, tuple[str, int, int]]] = PRESETS
    sentence: str = sentence_field(DEFAULT_SENTENCE)
    layer: int = layer_field(1)
    head: int = Field(1, ge=1, le=N_HEADS, description=f"The enlarged head, 1–{N_HEADS}",
                      json_schema_extra=ui("Enlarged head", control="hidden"))
    d_model: int = Field(384, ge=1, le=100_000, description="Counter: model width d_model",
                         json_schema_extra=ui("Counter: model width d_model", control="number"))
    n_heads: int = Field(12, ge=1, le=1024, description="Counter: heads (must divide d_model)",
                         json_schema_extra=ui("Counter: heads", control="number"))


class HeadSummary(WidgetResult):
    head: int  # 1-based
    pattern: str  # e.g. "mostly previous token", computed by describe_head
    previous: float  # mean weight on the token just before (rows 2…n)
    next: float  # mean weight on the token just after (rows 1…n−1)
    itself: float  # mean weight on the diagonal
    cls: float  # mean weight on [CLS] (column 0)
    sep: float  # mean weight on [SEP] (last column)
    entropy: float  # mean row entropy / log(n), 0 (one token) … 1 (uniform)
    weights: list[list[float]]  # (n, n), rows = queries
    # HTML only: the thumbnail's cells of at least 5% as (row, column, colour step 1–10).
    thumb: list[tuple[int, int, int]] = Field(default_factory=list, exclude=True)
    percents: dict[str, int] = Field(default_factory=dict, exclude=True)  # rounded stats, %


class ParamCount(WidgetResult):
    d_model: int
    n_heads: int
    d_head: int
    matrix_shape: list[int]  # each of W_Q, W_K, W_V, W_O: [d_model, d_model]
    per_matrix: int  # d_model²
    per_head_q: int  # one head's slice of W_Q: d_model × d_head
    attention_weights: int  # 4 · d_model², biases excluded
    biases: int  # 4 · d_model
    total: int


class Result(WidgetResult):
    model: str
    tokens: list[str]
    layer: int
    head: int
    heads: list[HeadSummary]
    params: ParamCount
    focus_vmax: float = Field(1.0, exclude=True)  # largest weight of the enlarged head


def describe_head(w: np.ndarray) -> tuple[str, dict[str, float]]:
    """Name the pattern of one head's (n, n) weights from measured averages, not by hand.

    The largest of previous/next/self/[CLS]/[SEP] wins "mostly …" if it exceeds
    :data:`MOSTLY`; otherwise a high normalised entropy means "broad", else "mixed".
    """
    n = w.shape[0]
    w = w.astype(np.float64)
    rows = np.arange(n)
    stats = {
        "previous": float(w[rows[1:], rows[1:] - 1].mean()) if n > 1 else 0.0,
        "next": float(w[rows[:-1], rows[:-1] + 1].mean()) if n > 1 else 0.0,
        "itself": float(np.diag(w).mean()),
        "cls": float(w[:, 0].mean()),
        "sep": float(w[:, -1].mean()),
    }
    p = np.clip(w, 1e-12, 1.0)
    entropy = float((-(w * np.log(p)).sum(axis=1)).mean() / np.log(n)) if n > 1 else 0.0
    names = {"previous": "previous token", "next": "next token", "itself": "itself",
             "cls": "[CLS]", "sep": "[SEP]"}
    best = max(stats, key=stats.get)
    if stats[best] > MOSTLY:
        pattern = f"mostly {names[best]}"
    elif entropy > BROAD:
        pattern = "broad: spread over many tokens"
    else:
        pattern = f"mixed; leans to {names[best]} ({stats[best]:.0%})"
    return pattern, {**stats, "entropy": entropy}


def count_parameters(d_model: int, n_heads: int) -> ParamCount:
    """Sizes of W_Q, W_K, W_V, W_O (each d_model × d_model, however many heads)."""
    if d_model % n_heads:
        raise WidgetInputError(
            f"n_heads ({n_heads}) must divide d_model ({d_model}) so each head gets "
            f"d_model / n_heads dimensions")
    d_head = d_model // n_heads
    per_matrix = d_model * d_model
    return ParamCount(d_model=d_model, n_heads=n_heads, d_head=d_head,
                      matrix_shape=[d_model, d_model], per_matrix=per_matrix,
                      per_head_q=d_model * d_head, attention_weights=4 * per_matrix,
                      biases=4 * d_model, total=4 * per_matrix + 4 * d_model)


def compute(params: Params, models) -> Result:
    counter = count_parameters(params.d_model, params.n_heads)
    enc = encode_sentence(models, params.sentence)
    heads = []
    for h in range(N_HEADS):
        w = enc.attentions[params.layer - 1, h]
        pattern, stats = describe_head(w)
        levels = np.clip(np.rint(w * 10), 0, 10).astype(int)
        thumb = [(int(i), int(j), int(levels[i, j])) for i, j in zip(*np.nonzero(w >= 0.05),
                                                                      strict=True)]
        heads.append(HeadSummary(head=h + 1, pattern=pattern, weights=rounded(w, 6),
                                 thumb=thumb,
                                 percents={k: round(v * 100) for k, v in stats.items()},
                                 **{k: round(v, 6) for k, v in stats.items()}))
    focus = enc.attentions[params.layer - 1, params.head - 1]
    return Result(model=MODEL_NAME, tokens=list(enc.tokens), layer=params.layer,
                  head=params.head, heads=heads, params=counter,
                  focus_vmax=max(float(focus.max()), 1e-9))


SPEC = WidgetSpec(
    name="multi-head",
    title="Twelve heads at once",
    summary="See every head of a MiniLM layer on your sentence, and count the weights they need.",
    params=Params,
    result=Result,
    compute=compute,
    uses_model=True,
    full_width=True,
    presets={key: (f"{label}: d_model {d:,}, {h} heads", {"d_model": d, "n_heads": h})
             for key, (label, d, h) in PRESETS.items()},
)
