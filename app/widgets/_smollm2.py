"""Shared pieces of the widgets that run SmolLM2-135M (next-token, generate, lm-attention,
induction, logit-lens, tokenize): the prompt field and its token cap, layer/head numbering.

Layers are numbered 1–30 and heads 1–9 in every parameter and JSON field, as the lessons
say them ("layer 1" is the first block); arrays inside the engine stay 0-based.
"""

import numpy as np
from pydantic import BaseModel, Field

from app.widgets.base import WidgetInputError, ui

# Traces are (30, 9, n, n) attention weights plus (31, n, 576) residuals, and generation
# recomputes or caches every prefix token: 64 keeps each request well under a second of
# work on two cores (the cost of a trace grows with n²) and a heatmap still readable.
MAX_PROMPT_TOKENS = 64
MAX_PROMPT_CHARS = 1000  # bounds tokenizer work before the token cap is checked
DEFAULT_PROMPT = "The capital of France is"
# SmolLM2-135M's sizes, for slider tracks only: the loaded model's own config is what
# check_layer_head validates against.
N_LAYERS = 30
N_HEADS = 9


class TokenOut(BaseModel):
    id: int
    text: str
    # How a token chip shows the token: its text, with ␣ for a space and ↵ for a newline,
    # and any byte that is not valid UTF-8 on its own as <E6> (HTML only, not in the JSON).
    label: str = Field("", exclude=True)


def prompt_field(default: str = DEFAULT_PROMPT, max_tokens: int = MAX_PROMPT_TOKENS) -> object:
    return Field(default, max_length=MAX_PROMPT_CHARS, description=(
        f"Text for SmolLM2, at most {max_tokens} model tokens"),
        json_schema_extra=ui("Prompt", control="textarea", rows=2))


def layer_field(default: int) -> object:
    return Field(default, ge=1, description="Decoder layer, numbered from 1 (1 = first block; "
                                            "SmolLM2-135M has 30)",
                 json_schema_extra=ui("Layer", slider=(1, N_LAYERS)))


def head_field(default: int) -> object:
    return Field(default, ge=1, description="Query head, numbered from 1 (SmolLM2-135M has 9)",
                 json_schema_extra=ui("Query head", slider=(1, N_HEADS)))


MIN_TEMPERATURE = 0.01  # below this (but above 0, greedy) logits / T can overflow to inf


def check_temperature(value: float) -> float:
    """0 means greedy; otherwise at least MIN_TEMPERATURE, so logits / T stays finite."""
    if 0 < value < MIN_TEMPERATURE:
        raise ValueError(f"use 0 (greedy) or at least {MIN_TEMPERATURE}")
    return value


def prompt_ids(model, prompt: str, limit: int = MAX_PROMPT_TOKENS, why: str = "") -> list[int]:
    """Tokenize ``prompt``, refusing an empty prompt or one longer than ``limit`` tokens
    (``why``: the reason for a limit lower than the usual one, said in the message)."""
    if not prompt.strip():
        raise WidgetInputError("prompt: type at least one word")
    ids = model.encode(prompt)
    if not ids:  # only characters the vocabulary has no byte for (e.g. control characters)
        raise WidgetInputError("prompt: the model's vocabulary has none of these characters; "
                               "type some words")
    if len(ids) > limit:
        raise WidgetInputError(
            f"prompt: {len(ids)} tokens is too long; the limit is {limit} model tokens "
            f"({why + '; ' if why else ''}shorten the text)")
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


def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level alphabet reversed: printable stand-in character → byte."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    chars, extra = list(printable), 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars, strict=True)}


BYTE_OF = _byte_decoder()


def token_bytes(model, token_id: int) -> bytes | None:
    """The bytes a token stands for, or None for a control token (``<|im_start|>`` …)."""
    piece = model.tokenizer.id_to_token(int(token_id))
    if piece is None or any(ch not in BYTE_OF for ch in piece):
        return None
    return bytes(BYTE_OF[ch] for ch in piece)


def show_bytes(data: bytes) -> str:
    """Decode UTF-8, writing each byte that is not part of a whole character as ``<E6>``;
    spaces as ␣ and newlines as ↵ so a chip shows what the token holds."""
    out, i = [], 0
    while i < len(data):
        for size in (1, 2, 3, 4):
            try:
                out.append(data[i:i + size].decode("utf-8"))
            except UnicodeDecodeError:
                continue
            i += size
            break
        else:
            out.append(f"<{data[i]:02X}>")
            i += 1
    return "".join(out).replace(" ", "␣").replace("\n", "↵")


def token_label(model, token_id: int) -> str:
    """A token as a chip shows it: ``" Paris"`` → ``␣Paris``, a lone byte → ``<E6><88>``."""
    data = token_bytes(model, token_id)
    if data is None:
        return model.token_text(token_id)
    return show_bytes(data)


def is_whole_text(model, token_id: int) -> bool:
    """True when the token's bytes are valid UTF-8 on their own (appending its text to a
    prompt then means the same as appending the token)."""
    data = token_bytes(model, token_id)
    if data is None:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def token_list(model, ids) -> list[TokenOut]:
    return [TokenOut(id=int(i), text=model.token_text(i), label=token_label(model, i))
            for i in ids]


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
