"""Shared pieces of the widgets that run SmolLM2-135M (next-token, generate, lm-attention,
induction, logit-lens, tokenize): the prompt field and its token cap, layer/head numbering.

Layers are numbered 1–30 and heads 1–9 in every parameter and JSON field, as the lessons
say them ("layer 1" is the first block); arrays inside the engine stay 0-based.
"""

import numpy as np
from pydantic import BaseModel, Field

from app.widgets.base import WidgetInputError

# Traces are (30, 9, n, n) attention weights plus (31, n, 576) residuals, and generation
# recomputes or caches every prefix token: 64 keeps each request well under a second of
# work on two cores (the cost of a trace grows with n²) and a heatmap still readable.
MAX_PROMPT_TOKENS = 64
MAX_PROMPT_CHARS = 1000  # bounds tokenizer work before the token cap is checked
DEFAULT_PROMPT = "The capital of France is"


class TokenOut(BaseModel):
    id: int
    text: str


def prompt_field(default: str = DEFAULT_PROMPT) -> object:
    return Field(default, max_length=MAX_PROMPT_CHARS, description=(
        f"Text for SmolLM2, at most {MAX_PROMPT_TOKENS} model tokens"))


def layer_field(default: int) -> object:
    return Field(default, ge=1, description="Decoder layer, numbered from 1 (1 = first block; "
                                            "SmolLM2-135M has 30)")


def head_field(default: int) -> object:
    return Field(default, ge=1, description="Query head, numbered from 1 (SmolLM2-135M has 9)")


MIN_TEMPERATURE = 0.01  # below this (but above 0, greedy) logits / T can overflow to inf


def check_temperature(value: float) -> float:
    """0 means greedy; otherwise at least MIN_TEMPERATURE, so logits / T stays finite."""
    if 0 < value < MIN_TEMPERATURE:
        raise ValueError(f"use 0 (greedy) or at least {MIN_TEMPERATURE}")
    return value


def prompt_ids(model, prompt: str, limit: int = MAX_PROMPT_TOKENS) -> list[int]:
    """Tokenize ``prompt``, refusing an empty prompt or one longer than ``limit`` tokens."""
    if not prompt.strip():
        raise WidgetInputError("prompt: type at least one word")
    ids = model.encode(prompt)
    if not ids:  # only characters the vocabulary has no byte for (e.g. control characters)
        raise WidgetInputError("prompt: the model's vocabulary has none of these characters; "
                               "type some words")
    if len(ids) > limit:
        raise WidgetInputError(
            f"prompt: {len(ids)} tokens is too long; the limit is {limit} model tokens "
            "(shorten the text)")
    return ids


def check_layer_head(model, layer: int, head: int | None = None) -> None:
    """Range-check 1-based ``layer``/``head`` against the loaded model's own sizes."""
    cfg = model.config
    if not 1 <= layer <= cfg.n_layers:
        raise WidgetInputError(f"layer: choose 1–{cfg.n_layers} (the model has "
                               f"{cfg.n_layers} layers)")
    if head is not None and not 1 <= head <= cfg.n_heads:
        raise WidgetInputError(f"head: choose 1–{cfg.n_heads} (each layer has "
                               f"{cfg.n_heads} query heads)")


def token_list(model, ids) -> list[TokenOut]:
    return [TokenOut(id=int(i), text=model.token_text(i)) for i in ids]


def token_texts(model, ids) -> list[str]:
    return [model.token_text(i) for i in ids]


def f32_values(array: np.ndarray) -> list:
    """A float32 array as nested lists of the shortest decimals that round-trip in float32."""
    a = np.asarray(array, dtype=np.float32)
    if a.ndim == 1:
        return [float(str(v)) for v in a]
    return [f32_values(row) for row in a]


def probabilities(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """softmax(logits / T) over the whole vocabulary, in float64 for the reported numbers."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    e = np.exp(z - z.max())
    return e / e.sum()
