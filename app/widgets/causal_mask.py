"""The causal mask: hide the future before the softmax, and the pitfall of the wrong axis.

Scores come from the learner (a small square matrix) or from MiniLM (the real
pre-softmax q·k/√d of one head). MiniLM is an encoder and never masks; applying a
causal mask to its scores shows what a decoder would compute from the same scores.
"""

from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from app.engine.minilm import N_HEADS, N_LAYERS
from app.widgets._minilm import encode_sentence
from app.widgets.base import (
    WidgetParams,
    WidgetResult,
    WidgetSpec,
    parse_matrix,
    ui,
)

DEFAULT_SCORES = "2,1,0;0,3,4;1,1,1"
DEFAULT_SENTENCE = "The cat sat on the mat"
MAX_SIZE = 12  # rows of made-up scores; a grid a person can read cell by cell
SCORE_LIMIT = 1e3  # |score|; exp(±1000) is handled by the max-shift, this keeps input sane
DIGITS = 9


class Params(WidgetParams):
    source: Literal["scores", "sentence"] = Field("scores", description=(
        "Which input to use: the typed scores or the sentence. Omitted or 'auto': whichever "
        "of scores/sentence is given (not both)"), json_schema_extra=ui(
        "Scores from", control="radio",
        choices={"scores": "numbers I type", "sentence": "a sentence, through MiniLM"}))
    scores: str = Field(DEFAULT_SCORES, max_length=2000, description=(
        f"Square matrix of scores, rows separated by ';' (up to {MAX_SIZE}×{MAX_SIZE}, "
        f"|score| ≤ {SCORE_LIMIT:g}); row i = query token i"),
        json_schema_extra=ui("Scores (rows separated by ;)", show_when={"source": ["scores"]}))
    sentence: str = Field(DEFAULT_SENTENCE, max_length=300, description=(
        "A sentence whose real pre-softmax scores (all-MiniLM-L6-v2, layer and head below) "
        "are used; at most 32 model tokens"),
        json_schema_extra=ui("Sentence", show_when={"source": ["sentence"]}))
    layer: int = Field(1, ge=1, le=N_LAYERS, description=(
        f"MiniLM encoder layer, numbered 1–{N_LAYERS}"),
        json_schema_extra=ui("MiniLM layer", show_when={"source": ["sentence"]}))
    head: int = Field(1, ge=1, le=N_HEADS, description=f"MiniLM head, numbered 1–{N_HEADS}",
                      json_schema_extra=ui("MiniLM head", show_when={"source": ["sentence"]}))
    causal: bool = Field(True, description="true: token i may attend only to tokens j ≤ i",
                         json_schema_extra=ui("Causal mask: each token sees only itself and "
                                              "the past (off: bidirectional, as an encoder)"))
    wrong_axis: bool = Field(False, description=(
        "Pitfall demo: normalize each column instead of each row (softmax over queries)"),
        json_schema_extra=ui("Pitfall: softmax down each column (the wrong axis)"))

    @model_validator(mode="before")
    @classmethod
    def _resolve_source(cls, data: Any) -> Any:
        """No source (or 'auto'): the sentence if one is given, else the scores; both given
        is ambiguous."""
        if not isinstance(data, dict) or data.get("source", "auto") not in ("auto", None):
            return data
        data = dict(data)
        scores = str(data.get("scores") or "").strip()
        sentence = str(data.get("sentence") or "").strip()
        if scores and sentence:
            raise ValueError("give either scores or a sentence, not both "
                             "(or choose one with source=scores|sentence)")
        data["source"] = "sentence" if sentence else "scores"
        return data


class Result(WidgetResult):
    tokens: list[str] | None
    scores: list[list[float | None]]  # (n, n); null where masked
    mask: list[list[bool]]  # (n, n); true = query i may attend to key j
    weights: list[list[float]]  # (n, n); exactly 0 where masked
    row_sums: list[float]  # (n,); 1 unless wrong_axis
    causal: bool
    wrong_axis: bool
    # HTML only (not in the JSON contract):
    labels: list[str] = Field(default_factory=list, exclude=True)  # tokens, or 1…n
    levels: list[list[int]] = Field(default_factory=list, exclude=True)  # colour step 0–10
    explanations: list[list[str]] = Field(default_factory=list, exclude=True)  # per cell
    row_sum_off: list[bool] = Field(default_factory=list, exclude=True)  # |sum − 1| > 1e-6


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
    scores_text = params.scores.strip()
    if params.source == "sentence":
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
    sums = weights.sum(axis=1)
    labels = list(tokens) if tokens else [str(k + 1) for k in range(n)]
    vmax = 1.0 if params.wrong_axis else max(float(weights.max()), 1e-9)
    return Result(
        tokens=tokens,
        scores=[[None if np.isnan(v) else float(v) for v in row] for row in shown],
        mask=mask.tolist(),
        weights=np.round(weights, DIGITS).tolist(),
        row_sums=np.round(weights.sum(axis=1), DIGITS).tolist(),
        causal=params.causal,
        wrong_axis=params.wrong_axis,
        labels=labels,
        levels=np.clip(np.rint(weights / vmax * 10), 0, 10).astype(int).tolist(),
        explanations=[[explain(i, j, tokens, mask, scores, weights) for j in range(n)]
                      for i in range(n)],
        row_sum_off=(np.abs(sums - 1) > 1e-6).tolist(),
    )


def explain(i: int, j: int, tokens: list[str] | None, mask: np.ndarray, scores: np.ndarray,
            weights: np.ndarray) -> str:
    """One cell in words, for its accessible name and tooltip."""
    def who(k: int) -> str:
        return f"token {k + 1}" + (f" (“{tokens[k]}”)" if tokens else "")

    if not mask[i, j]:
        return f"{who(i)} cannot see {who(j)}: it is in the future (score −∞, weight 0)"
    where = (" (itself)" if i == j else ": it is in the past" if j < i
             else ": it is in the future, but the mask is off")
    return (f"{who(i)} attends to {who(j)}{where}; score {scores[i, j]:.2f}, "
            f"weight {weights[i, j]:.3f}")


SPEC = WidgetSpec(
    name="causal-mask",
    title="The causal mask",
    summary="Hide the future before the softmax, and see what goes wrong on the wrong axis.",
    params=Params,
    result=Result,
    compute=compute,
    uses_model=True,
    needs_model=lambda p: p.source == "sentence",
)
