"""Text generation with SmolLM2-135M: sampling one token at a time, with or without a KV cache.

``compute`` returns a whole run as JSON; :func:`run_events` yields the same run step by step
for the Server-Sent Events route (``app/routes/stream.py``), which only renders what it gets.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from pydantic import Field, field_validator

from app.widgets._smollm2 import (
    MAX_PROMPT_TOKENS,
    TokenOut,
    check_temperature,
    probabilities,
    prompt_field,
    prompt_ids,
)
from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec

MAX_NEW_TOKENS = 64
# Without the cache every step re-runs the whole prefix, so the work grows with the square
# of the length: prompt + new tokens are kept to 64 there (at most ~2,100 token-passes).
MAX_NO_CACHE_TOTAL = 64
MAX_TOP_K = 1000


class Params(WidgetParams):
    prompt: str = prompt_field("Once upon a time, a little robot")
    max_tokens: int = Field(32, ge=1, le=MAX_NEW_TOKENS,
                            description=f"New tokens to generate (1–{MAX_NEW_TOKENS})")
    temperature: float = Field(0.8, ge=0, le=5,
                               description="0 = greedy (always the most likely token); 0–5")
    top_k: int = Field(50, ge=0, le=MAX_TOP_K, description=(
        f"Sample only among the k most likely tokens (0 = all; at most {MAX_TOP_K})"))
    top_p: float = Field(0.95, gt=0, le=1, description="Nucleus: the smallest set of tokens "
                                                       "whose probabilities reach p (0 < p ≤ 1)")
    seed: int = Field(7, ge=0, le=2**32 - 1, description="Random seed: same seed, same text")

    _temperature = field_validator("temperature")(check_temperature)
    kv_cache: bool = Field(True, description="Reuse past keys/values (false: recompute the "
                                             "whole prefix at every step)")


class GeneratedToken(TokenOut):
    probability: float  # the model's probability for this token (softmax at T = 1)


class Result(WidgetResult):
    text: str
    tokens: list[GeneratedToken]
    ms_per_token: float  # mean wall time per new token, prompt processing included
    kv_cache: bool


@dataclass(frozen=True)
class Step:
    """One generated token as it happens (for streaming)."""

    index: int
    token: GeneratedToken
    ms: float


def choose(logits: np.ndarray, params: Params, rng: np.random.Generator) -> int:
    """Pick the next id: greedy at T = 0, else sample from softmax(logits / T) cut to the
    top-k tokens and then to the top-p nucleus, renormalised."""
    if params.temperature == 0:
        return int(np.argmax(logits))
    z = np.asarray(logits, dtype=np.float64) / params.temperature
    if 0 < params.top_k < z.size:
        keep = np.argpartition(-z, params.top_k - 1)[:params.top_k]
        order = keep[np.argsort(-z[keep], kind="stable")]
    else:
        order = np.argsort(-z, kind="stable")
    p = np.exp(z[order] - z[order[0]])
    p /= p.sum()
    if params.top_p < 1:
        n_keep = int(np.searchsorted(np.cumsum(p), params.top_p)) + 1  # reach p, at least 1
        order, p = order[:n_keep], p[:n_keep] / p[:n_keep].sum()
    return int(order[rng.choice(order.size, p=p)])


def check(params: Params, model) -> list[int]:
    """The prompt's ids, or a 422 message naming the limit that was hit."""
    ids = prompt_ids(model, params.prompt, MAX_PROMPT_TOKENS)
    if not params.kv_cache and len(ids) + params.max_tokens > MAX_NO_CACHE_TOTAL:
        raise WidgetInputError(
            f"without the KV cache, prompt + new tokens are limited to {MAX_NO_CACHE_TOTAL} "
            f"(here {len(ids)} + {params.max_tokens}); lower max_tokens or turn the cache on")
    return ids


def steps(params: Params, model) -> Iterator[Step]:
    """Generate up to ``max_tokens`` tokens, stopping early at end-of-text; timed per step."""
    ids = check(params, model)
    rng = np.random.default_rng(params.seed)
    cache, prefix, token = None, list(ids), None
    for index in range(params.max_tokens):
        start = time.perf_counter()
        if not params.kv_cache:
            logits = model.prefill(prefix)[0]  # the whole prefix, from scratch
        elif cache is None:
            logits, cache, _ = model.prefill(prefix, len(ids) + params.max_tokens)
        else:
            logits, _ = model.decode(token, cache)
        token = choose(logits, params, rng)
        ms = (time.perf_counter() - start) * 1000
        prob = float(probabilities(logits)[token])
        prefix.append(token)
        yield Step(index, GeneratedToken(id=token, text=model.token_text(token),
                                         probability=prob), ms)
        if token in model.stop_ids:
            break


def summarise(params: Params, model, done: list[Step]) -> Result:
    return Result(text=model.detokenize([s.token.id for s in done]),
                  tokens=[s.token for s in done],
                  ms_per_token=round(sum(s.ms for s in done) / max(len(done), 1), 3),
                  kv_cache=params.kv_cache)


def run_events(params: Params, models) -> Iterator[tuple[str, object]]:
    """``("token", Step)`` per token, then ``("done", Result)``: what the SSE route streams."""
    model = models.smollm2()
    done: list[Step] = []
    for step in steps(params, model):
        done.append(step)
        yield "token", step
    yield "done", summarise(params, model, done)


def compute(params: Params, models) -> Result:
    """A whole run (remembered per parameter set; the timing is that of the first run)."""
    model = models.smollm2()
    return model.memo(("generate", params), lambda: summarise(params, model,
                                                              list(steps(params, model))))


SPEC = WidgetSpec(
    name="generate",
    title="Generate text with SmolLM2-135M",
    summary="Watch a real language model write token by token, with temperature, top-k, "
            "top-p, a seed, and the KV cache on or off.",
    params=Params,
    result=Result,
    compute=compute,
    uses_model=True,
)
