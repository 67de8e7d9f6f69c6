"""Cross-attention from a French sentence (queries) to its English source (keys), with
CONSTRUCTED embeddings: hand-made so that a word and its translation point the same way."""

import math

import numpy as np
from pydantic import Field

from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec, rounded, softmax, ui

SOURCE = ["the", "black", "cat", "sleeps"]
TARGET = ["le", "chat", "noir", "dort"]
# 4 hand-chosen features: [article, color, animal, sleeping]. Not learned by any model.
SOURCE_EMB = np.array([
    [2.0, 0.1, 0.2, 0.0],  # the
    [0.1, 2.0, 0.3, 0.0],  # black
    [0.3, 0.2, 2.0, 0.2],  # cat
    [0.0, 0.0, 0.3, 2.0],  # sleeps
])
TARGET_EMB = np.array([
    [2.0, 0.0, 0.3, 0.1],  # le
    [0.2, 0.1, 2.0, 0.3],  # chat
    [0.0, 2.0, 0.4, 0.0],  # noir
    [0.1, 0.0, 0.2, 2.0],  # dort
])
FEATURES = ["article", "color", "animal", "sleeping"]


class Params(WidgetParams):
    selected: int = Field(2, ge=0, le=len(TARGET) - 1,
                          description="Target (French) word to inspect: 0 le, 1 chat, 2 noir, "
                                      "3 dort",
                          json_schema_extra=ui("French word", control="hidden"))


class Result(WidgetResult):
    source: list[str]
    target: list[str]
    features: list[str]
    source_embeddings: list[list[float]]  # (4, 4) keys, one row per English word
    target_embeddings: list[list[float]]  # (4, 4) queries, one row per French word
    scores: list[list[float]]  # (4 target, 4 source) q·k / √4
    weights: list[list[float]]  # (4 target, 4 source), each row sums to 1
    alignment: list[int]  # for each target word, the source word with the largest weight
    selected: int
    # HTML only (not in the JSON contract):
    levels: list[list[int]] = Field(default_factory=list, exclude=True)  # colour steps 0–10
    selected_percent: float = Field(0.0, exclude=True)  # the aligned word's share, in %
    word_x: list[float] = Field(default_factory=list, exclude=True)  # word centres, % width
    # one line per (target, source): (target, source, stroke width, stroke opacity)
    links: list[tuple[int, int, float, float]] = Field(default_factory=list, exclude=True)


def compute(params: Params) -> Result:
    """weights = softmax(Q Kᵀ / √d) with Q the French, K the English embeddings (d = 4)."""
    scores = TARGET_EMB @ SOURCE_EMB.T / math.sqrt(SOURCE_EMB.shape[1])
    weights = softmax(scores, axis=-1)
    alignment = np.argmax(weights, axis=1)
    n = len(SOURCE)
    return Result(
        source=SOURCE, target=TARGET, features=FEATURES,
        source_embeddings=SOURCE_EMB.tolist(), target_embeddings=TARGET_EMB.tolist(),
        scores=rounded(scores, 9), weights=rounded(weights, 9),
        alignment=alignment.tolist(), selected=params.selected,
        levels=np.clip(np.rint(weights * 10), 0, 10).astype(int).tolist(),
        selected_percent=float(weights[params.selected, alignment[params.selected]]) * 100,
        word_x=[round((j + 0.5) * 100 / n, 3) for j in range(n)],
        links=[(t, j, round(1 + 5 * float(weights[t, j]), 2), round(float(weights[t, j]), 3))
               for t in range(len(TARGET)) for j in range(n)],
    )


SPEC = WidgetSpec(
    name="cross-attention",
    title="Cross-attention: French looks at English",
    summary="Click a French word to see which English words it attends to in translation.",
    params=Params,
    result=Result,
    compute=compute,
)
