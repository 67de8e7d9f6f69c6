"""The causal mask: hide the future before the softmax, and the pitfall of the wrong axis.

Scores come from the learner (a small square matrix) or from MiniLM (the real
pre-softmax q·k/√d of one head). MiniLM is an encoder and never masks; applying a
causal mask to its scores shows what a decoder would compute from the same scores.
"""

from typing import Literal

import numpy as np
from pydantic import Field

from app.widgets._minilm import encode_sentence, head_field, layer_field
from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec, parse_matrix

DEFAULT_SCORES = "2,1,0;0,3,4;1,1,1"
MAX_SIZE = 12  # rows of made-up scores; a grid a person can read cell by cell
SCORE_LIMIT = 1e3  # |score|; exp(±1000) is handled by the max-shift, this keeps input sane
DIGITS = 9


class Params(WidgetParams):
    scores: str = Field("", max_length=2000, description=(
        f"Square matrix of scores, rows separated by ';' (up to {MAX_SIZE}×{MAX_SIZE}, "
        f"|score| ≤ {SCORE_LIMIT:g}); row i = query token i. Default when neither scores "
        f"nor sentence is given: {DEFAULT_SCORES}"))
    sentence: str = Field("", max_length=300, description=(
        "Instead of scores: a sentence whose real pre-softmax scores (all-MiniLM-L6-v2, "
        "layer and head below) are used; at most 32 model tokens"))
    source: Literal["auto", "scores", "sentence"] = Field("auto", description=(
        "Which input to use: 'auto' = whichever of scores/sentence is non-empty (not both)"))
    layer: int = layer_field(1)
    head: int = head_field(1)
    causal: bool = Field(True, description="true: token i may attend only to tokens j ≤ i")
    wrong_axis: bool = Field(False, description=(
        "Pitfall demo: normalize each column instead of each row (softmax over queries)"))


class Result(WidgetResult):
    tokens: list[str] | None
    scores: list[list[float | None]]  # (n, n); null where masked
    mask: list[list[bool]]  # (n, n); true = query i may attend to key j
    weights: list[list[float]]  # (n, n); exactly 0 where masked
    row_sums: list[float]  # (n,); 1 unless wrong_axis
    causal: bool
    wrong_axis: bool


def causal_mask(n: int, causal: bool) -> np.ndarray:
    """(n, n) bool: ``mask[i, j]`` is True when query i may see key j (j ≤ i if causal)."""
    if causal:
        return np.tril(np.ones((n, n), dtype=bool))
    return np.ones((n, n), dtype=bool)


def masked_softmax(scores: np.ndarray, mask: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax of (n, n) float64 scores over ``axis`` among allowed entries; masked → exactly 0.

    ``axis=-1`` normalises each query row (correct); ``axis=0`` each key column (the
    pitfall). Masked scores become −inf, so ``exp`` gives exactly 0; every row and
    column keeps its diagonal entry, so no slice is all −inf.
    """
    masked = np.where(mask, scores, -np.inf)
    shifted = masked - np.max(masked, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def _scores_and_tokens(params: Params, models) -> tuple[np.ndarray, list[str] | None]:
    scores_text, sentence = params.scores.strip(), params.sentence.strip()
    source = params.source
    if source == "auto":
        if scores_text and sentence:
            raise WidgetInputError("give either scores or a sentence, not both "
                                   "(or choose one with source=scores|sentence)")
        source = "sentence" if sentence else "scores"
    if source == "sentence":
        enc = encode_sentence(models, params.sentence)
        scores = enc.scores[params.layer - 1, params.head - 1].astype(np.float64)
        return scores, list(enc.tokens)
    matrix = parse_matrix(scores_text or DEFAULT_SCORES, "scores", max_rows=MAX_SIZE,
                          max_cols=MAX_SIZE, square=True, lo=-SCORE_LIMIT, hi=SCORE_LIMIT)
    return matrix, None


def compute(params: Params, models) -> Result:
    """weights = softmax(scores with the future set to −∞), over keys (or wrongly, over queries)."""
    scores, tokens = _scores_and_tokens(params, models)
    n = scores.shape[0]
    mask = causal_mask(n, params.causal)
    weights = masked_softmax(scores, mask, axis=0 if params.wrong_axis else -1)
    shown = np.where(mask, np.round(scores, DIGITS), np.nan)
    return Result(
        tokens=tokens,
        scores=[[None if np.isnan(v) else float(v) for v in row] for row in shown],
        mask=mask.tolist(),
        weights=np.round(weights, DIGITS).tolist(),
        row_sums=np.round(weights.sum(axis=1), DIGITS).tolist(),
        causal=params.causal,
        wrong_axis=params.wrong_axis,
    )


SPEC = WidgetSpec(
    name="causal-mask",
    title="The causal mask",
    summary="Hide the future before the softmax, and see what goes wrong on the wrong axis.",
    params=Params,
    result=Result,
    compute=compute,
    uses_model=True,
    needs_model=lambda p: p.source == "sentence" or (p.source == "auto"
                                                      and bool(p.sentence.strip())),
)
