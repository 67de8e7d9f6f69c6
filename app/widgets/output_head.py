"""The output head on a toy vocabulary: logits z = h W_U, then a temperature softmax.

With weight tying (Press and Wolf 2016) W_U = Eᵀ, so z_i = h · e_i, the dot product of
the hidden state with token i's own embedding. All numbers are constructed for
illustration. The "lesson" vocabulary is lesson 19's worked example (d = 3, padded
with a zero fourth dimension, so h₄ has no effect there).
"""

from typing import Literal

import numpy as np
from pydantic import Field

from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec, softmax, ui

D = 4
TOY_TOKENS = ["Paris", "London", "Berlin", "the", "a", "banana", "apple", "."]
# (V, d): dimension 1 ≈ "a capital city", 2 ≈ "a concrete noun", 3 ≈ "a function word",
# 4 ≈ "German rather than French".
TOY_EMBEDDINGS = [[2, 1, 0, -1], [1.5, 0, 0.5, 0], [2, 1, 0, 1], [0, 0, 1, 0],
                  [0, 0, 0.8, 0.4], [-1, 1, 0, 0], [-1, 1.2, 0.2, 0.3], [0, -1, 0.5, 0]]
# The untied output vectors: the embeddings times a fixed 4×4 mixing matrix, rounded.
TOY_UNEMBEDDING = [[1.3, 1.5, 0.1, -0.5], [1.2, 0.5, 0.5, 0.1], [1.5, 1.5, 0.1, 0.9],
                   [0.0, 0.2, 1.0, -0.2], [0.0, 0.2, 0.8, 0.1], [-1.0, 0.6, 0.1, -0.1],
                   [-1.0, 0.8, 0.3, 0.1], [0.2, -0.8, 0.4, -0.1]]
LESSON_TOKENS = ["Paris", "London", "the", "banana", "."]
LESSON_EMBEDDINGS = [[2, 1, 0, 0], [1.5, 0, 0.5, 0], [0, 0, 1, 0], [-1, 1, 0, 0],
                     [0, -1, 0.5, 0]]
LESSON_UNEMBEDDING = [[1.4, 1.5, 0.1, 0.2], [1.2, 0.5, 0.5, 0.1], [0.0, 0.2, 1.0, -0.2],
                      [-1.0, 0.6, 0.1, -0.1], [0.2, -0.8, 0.4, -0.1]]
VOCABULARIES = {
    "toy": (TOY_TOKENS, TOY_EMBEDDINGS, TOY_UNEMBEDDING),
    "lesson": (LESSON_TOKENS, LESSON_EMBEDDINGS, LESSON_UNEMBEDDING),
}


class Params(WidgetParams):
    vocabulary: Literal["toy", "lesson"] = Field(
        "toy", description="toy: 8 tokens, d = 4; lesson: lesson 19's five tokens",
        json_schema_extra=ui("Vocabulary", choices={
            "toy": "Toy: 8 tokens, d = 4",
            "lesson": "The lesson's worked example: 5 tokens (4th embedding dimension unused)"}))
    h1: float = Field(1.0, ge=-3, le=3, description="Hidden state, dimension 1",
                      json_schema_extra=ui("Hidden state h₁", step=0.1))
    h2: float = Field(0.5, ge=-3, le=3, description="Hidden state, dimension 2",
                      json_schema_extra=ui("Hidden state h₂", step=0.1))
    h3: float = Field(-0.5, ge=-3, le=3, description="Hidden state, dimension 3",
                      json_schema_extra=ui("Hidden state h₃", step=0.1))
    h4: float = Field(-0.5, ge=-3, le=3, description="Hidden state, dimension 4",
                      json_schema_extra=ui("Hidden state h₄", step=0.1))
    length: float = Field(1.0, ge=0, le=3, description="Multiplies h (keeps its direction)",
                          json_schema_extra=ui("Multiply h by", step=0.05))
    temperature: float = Field(1.0, ge=0.05, le=10, description="Divides the logits",
                               json_schema_extra=ui("Temperature", step=0.05, slider=(0.1, 5)))
    tied: bool = Field(True, description="Output matrix = embedding table transposed",
                       json_schema_extra=ui("Weight tying: the output matrix is the embedding "
                                            "table transposed, Eᵀ"))
    target: Literal["Paris", "London", "Berlin", "the", "a", "banana", "apple", "."] = Field(
        "Paris", description="The true next token, for the cross-entropy loss",
        json_schema_extra=ui("True next token (for the loss)"))


class Result(WidgetResult):
    vocabulary: str
    tokens: list[str]  # (V,)
    embeddings: list[list[float]]  # (V, d) the input embedding table E
    unembedding: list[list[float]]  # (V, d) columns of W_U, one row per token
    tied: bool
    h: list[float]  # (d,) after multiplying by `length`
    h_norm: float
    temperature: float
    embedding_dots: list[float]  # (V,) h · e_i
    logits: list[float]  # (V,) h · w_i  (= h · e_i when tied)
    probabilities: list[float]  # (V,) softmax(logits / T)
    top: int
    entropy_bits: float
    target: str
    target_index: int | None  # None: the target is not in this vocabulary
    loss: float | None  # −ln p_target, nats
    gradient: list[float] | None  # (V,) ∂loss/∂z = (p − onehot(target)) / T
    tying_saves: int = Field(0, exclude=True)  # HTML only: V · d parameters


def compute(params: Params) -> Result:
    tokens, emb, unemb = VOCABULARIES[params.vocabulary]
    embeddings = np.array(emb, dtype=np.float64)  # (V, d)
    w_u = (embeddings if params.tied else np.array(unemb, dtype=np.float64)).T  # (d, V)
    h = params.length * np.array([params.h1, params.h2, params.h3, params.h4])
    logits = h @ w_u
    probs = softmax(logits / params.temperature)
    nonzero = probs[probs > 0]
    entropy = max(float(-np.sum(nonzero * np.log2(nonzero))), 0.0)
    target_index = tokens.index(params.target) if params.target in tokens else None
    loss = gradient = None
    if target_index is not None:
        scaled = logits / params.temperature  # log-softmax, so a tiny p gives a finite loss
        loss = float(np.log(np.sum(np.exp(scaled - scaled.max()))) + scaled.max()
                     - scaled[target_index])
        onehot = np.eye(len(tokens))[target_index]
        gradient = ((probs - onehot) / params.temperature).tolist()
    return Result(
        vocabulary=params.vocabulary, tokens=tokens, embeddings=embeddings.tolist(),
        unembedding=w_u.T.tolist(), tied=params.tied, h=h.tolist(),
        h_norm=float(np.linalg.norm(h)), temperature=params.temperature,
        embedding_dots=(embeddings @ h).tolist(), logits=logits.tolist(),
        probabilities=probs.tolist(), top=int(np.argmax(probs)), entropy_bits=entropy,
        target=params.target, target_index=target_index, loss=loss, gradient=gradient,
        tying_saves=len(tokens) * D,
    )


SPEC = WidgetSpec(
    name="output-head",
    title="Output head and weight tying",
    summary="Score every token of a toy vocabulary against a hidden state, then softmax.",
    params=Params,
    result=Result,
    compute=compute,
)
