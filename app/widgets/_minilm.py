"""Shared pieces of the widgets that run all-MiniLM-L6-v2 (attention, causal-mask,
embeddings, multi-head): the sentence field, layer/head numbering, and error wording.

Layers are numbered 1–6 and heads 1–12 everywhere, as the lessons say them
("layer 1" is the first encoder block); ``hidden_states[0]`` is the embedding output.
"""

import numpy as np
from pydantic import Field

from app.engine.minilm import MAX_TOKENS, N_HEADS, N_LAYERS, Encoding, SentenceTooLong
from app.widgets.base import WidgetInputError, ui

MAX_SENTENCE_CHARS = 300  # bounds tokenizer work; the 32-token limit is checked after


def sentence_field(default: str, description: str = "") -> object:
    return Field(default, min_length=1, max_length=MAX_SENTENCE_CHARS, description=(
        description or f"An English sentence of at most {MAX_TOKENS} model tokens, "
        "[CLS] and [SEP] included"), json_schema_extra=ui("Sentence"))


def layer_field(default: int = 1) -> object:
    return Field(default, ge=1, le=N_LAYERS,
                 description=f"Encoder layer, numbered 1–{N_LAYERS} (1 = the first block)",
                 json_schema_extra=ui("Layer"))


def head_field(default: int = 1) -> object:
    return Field(default, ge=1, le=N_HEADS, description=f"Attention head, numbered 1–{N_HEADS}",
                 json_schema_extra=ui("Head"))


def encode_sentence(models, sentence: str) -> Encoding:
    """Run MiniLM on one sentence (cached), turning length problems into 422 messages."""
    if not sentence.strip():
        raise WidgetInputError("sentence: type at least one word")
    try:
        return models.minilm().encode(sentence)
    except SentenceTooLong as exc:
        raise WidgetInputError(f"sentence: {exc}") from None


def f32_values(array: np.ndarray) -> list:
    """A float32 array as nested lists of the shortest decimals that round-trip in float32.

    The JSON then carries the model's own numbers (no renormalising, no noise digits).
    """
    a = np.asarray(array, dtype=np.float32)
    if a.ndim == 1:
        return [float(str(v)) for v in a]
    return [f32_values(row) for row in a]
