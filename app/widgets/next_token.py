"""Next-token prediction: SmolLM2-135M's probability for every possible next token."""

import numpy as np
from pydantic import Field

from app.engine.smollm2 import MODEL_NAME
from app.widgets._smollm2 import (
    MAX_PROMPT_TOKENS,
    TokenOut,
    is_whole_text,
    probabilities,
    prompt_field,
    prompt_ids,
    show_bytes,
    token_bytes,
    token_label,
    token_list,
)
from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec, ui

MAX_TOP_K = 50


def extra_ids_field(how: str) -> object:
    """Token ids appended after the prompt's own tokens (``how``: when the widget uses it)."""
    return Field("", max_length=500, pattern=r"^(\d{1,6}(,\d{1,6})*)?$", description=(
        f"Token ids appended after the prompt's own tokens, comma-separated ({how})"),
        json_schema_extra=ui("Tokens appended by id", control="hidden"))


class Params(WidgetParams):
    prompt: str = prompt_field()
    temperature: float = Field(1.0, ge=0.05, le=10, description="Divides the logits before the "
                                                              "softmax (0.05–10)",
                               json_schema_extra=ui("Temperature", step=0.05, slider=(0.1, 3)))
    top_k: int = Field(10, ge=1, le=MAX_TOP_K,
                       description=f"How many candidates to list (1–{MAX_TOP_K})",
                       json_schema_extra=ui("Candidates shown", slider=(1, 20)))
    # A chosen candidate whose bytes are not valid UTF-8 on their own (half of a Chinese
    # character or an emoji) cannot be appended to the prompt as text: its id goes here.
    extra_ids: str = extra_ids_field("how the widget appends a chosen token that is not "
                                     "whole text, e.g. <E6><88>")


class Candidate(TokenOut):
    logit: float
    probability: float
    # HTML only: what choosing this candidate sets ("prompt": the prompt + its text;
    # "extra_ids": the id appended, when its bytes are not whole text or ids are pending).
    set_field: str = Field("prompt", exclude=True)
    set_value: str = Field("", exclude=True)
    percent: float = Field(0.0, exclude=True)  # probability × 100


class Result(WidgetResult):
    model: str
    prompt_tokens: list[TokenOut]  # every token the model reads: the prompt's, then extra_ids
    candidates: list[Candidate]  # most probable first
    # HTML only (not in the JSON contract):
    n_typed: int = Field(0, exclude=True)  # how many of prompt_tokens come from the text
    extra_text: str = Field("", exclude=True)  # the appended ids' bytes, decoded as far as whole
    shown_percent: float = Field(0.0, exclude=True)  # Σ of the listed probabilities, in %
    rest_percent: float = Field(0.0, exclude=True)


def parse_ids(text: str, vocab_size: int) -> list[int]:
    ids = [int(t) for t in text.split(",")] if text else []
    for i in ids:
        if i >= vocab_size:
            raise WidgetInputError(f"extra_ids: {i} is not a token id (the vocabulary has "
                                   f"{vocab_size:,} tokens, 0–{vocab_size - 1})")
    return ids


def read_ids(model, prompt: str, extra_ids: str) -> tuple[list[int], list[int]]:
    """The ids the model reads (the prompt's, then ``extra_ids``) and the extra ids alone;
    a 422 message when together they pass the prompt limit."""
    extra = parse_ids(extra_ids, model.config.vocab_size)
    ids = prompt_ids(model, prompt) + extra
    if len(ids) > MAX_PROMPT_TOKENS:
        raise WidgetInputError(f"prompt: {len(ids)} tokens is too long; the limit is "
                               f"{MAX_PROMPT_TOKENS} model tokens (shorten the text)")
    return ids, extra


def candidate(model, prompt: str, extra: list[int], i: int, logits: np.ndarray,
              probs: np.ndarray) -> "Candidate":
    """Token ``i`` as a choice: choosing it appends its text to the prompt, or its id to
    ``extra_ids`` when its bytes are not whole text (or ids are already pending)."""
    text = model.token_text(i)
    if not extra and is_whole_text(model, i):
        field, value = "prompt", prompt + text
    else:
        field, value = "extra_ids", ",".join(str(t) for t in [*extra, int(i)])
    return Candidate(id=int(i), text=text, label=token_label(model, i),
                     logit=float(logits[i]), probability=float(probs[i]),
                     set_field=field, set_value=value, percent=float(probs[i]) * 100)


def compute(params: Params, models) -> Result:
    """probability = softmax(logits / T) over all 49,152 tokens; the top k are listed.

    The probabilities are not renormalised over the k shown, so they sum to less than 1:
    the rest of the mass is spread over the tokens not listed.
    """
    model = models.smollm2()
    ids, extra = read_ids(model, params.prompt, params.extra_ids)
    logits = model.next_logits(ids)
    probs = probabilities(logits, params.temperature)
    # argsort on −logits (not on probs) so ties far down the tail cannot reorder the top.
    top = np.argsort(-logits, kind="stable")[:params.top_k]
    candidates = [candidate(model, params.prompt, extra, i, logits, probs) for i in top]
    shown = float(sum(c.probability for c in candidates))
    extra_bytes = b"".join(token_bytes(model, i) or b"" for i in extra)
    return Result(model=MODEL_NAME, prompt_tokens=token_list(model, ids), candidates=candidates,
                  n_typed=len(ids) - len(extra), extra_text=show_bytes(extra_bytes),
                  shown_percent=shown * 100, rest_percent=(1 - shown) * 100)


SPEC = WidgetSpec(
    name="next-token",
    title="Next-token prediction (SmolLM2-135M)",
    summary="Ask a real 135M-parameter language model what comes next, and build a sentence "
            "one token at a time.",
    params=Params,
    result=Result,
    compute=compute,
    uses_model=True,
)
