"""Text generation with SmolLM2-135M: sampling one token at a time, with or without a KV cache.

``compute`` returns a whole run as JSON; :func:`run_events` yields the same run step by step
for the Server-Sent Events route (``app/routes/stream.py``), which only renders what it gets.
Live runs normally go through the batch engine instead (:func:`batched_job`): the same
tokens, computed in decode steps shared with everyone else generating at that moment.
"""

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
from pydantic import Field, field_validator

from app.engine.batching import Job, Started, Token, Waiting
from app.widgets._smollm2 import (
    MAX_PROMPT_TOKENS,
    TokenOut,
    check_temperature,
    is_whole_text,
    probabilities,
    prompt_field,
    prompt_ids,
    token_label,
)
from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec, ui

MAX_NEW_TOKENS = 64
# Without the cache every step re-runs the whole prefix, so the work grows with the square
# of the length: prompt + new tokens are kept to 24 there (at most 276 token-passes, about
# 2 CPU-seconds in all, half of it the quadratic part; 64 cost 11 s: bench/worst_case.py).
MAX_NO_CACHE_TOTAL = 24
MAX_TOP_K = 1000
# A whole run computed inside one request (``live`` off: JSON, or the page's first render)
# is kept near one CPU-second (bench/worst_case.py): 20 new tokens with the cache (0.9 s),
# 12 prompt + new tokens without it (1.2 s). Longer runs stream (``live``): their work is
# paid token by token in decode steps shared with every other learner, and stops at the
# next token when the learner leaves.
MAX_WHOLE_RUN_TOKENS = 20
MAX_WHOLE_RUN_NO_CACHE_TOTAL = 12


class Params(WidgetParams):
    prompt: str = prompt_field("Once upon a time, a little robot")
    max_tokens: int = Field(MAX_WHOLE_RUN_TOKENS, ge=1, le=MAX_NEW_TOKENS,
                            description=f"New tokens to generate (1–{MAX_NEW_TOKENS}; a run "
                                        f"computed in one request, without live: at most "
                                        f"{MAX_WHOLE_RUN_TOKENS})",
                            json_schema_extra=ui("New tokens"))
    temperature: float = Field(0.8, ge=0, le=5,
                               description="0 = greedy (always the most likely token); 0–5",
                               json_schema_extra=ui("Temperature (0 = greedy)", step=0.05,
                                                    slider=(0, 2)))
    top_k: int = Field(50, ge=0, le=MAX_TOP_K, description=(
        f"Sample only among the k most likely tokens (0 = all; at most {MAX_TOP_K})"),
        json_schema_extra=ui("Top-k (0 = off)", slider=(0, 200)))
    top_p: float = Field(0.95, gt=0, le=1, description="Nucleus: the smallest set of tokens "
                                                       "whose probabilities reach p (0 < p ≤ 1)",
                         json_schema_extra=ui("Top-p", step=0.05, slider=(0.05, 1)))
    seed: int = Field(7, ge=0, le=2**32 - 1, description="Random seed: same seed, same text",
                      json_schema_extra=ui("Seed", control="number"))

    _temperature = field_validator("temperature")(check_temperature)
    kv_cache: bool = Field(True, description="Reuse past keys/values (false: recompute the "
                                             "whole prefix at every step)",
                           json_schema_extra=ui("Use the KV cache (off: recompute the whole "
                                                "prefix at every step)"))
    # The shell recomputes a widget on every change; a whole run takes seconds, so the page
    # asks for a live run instead: this request then only checks the prompt, and the run
    # streams token by token over SSE (/api/stream/generate) with the same parameters.
    live: bool = Field(False, description=(
        "HTML: stream the run token by token over SSE instead of computing it in this "
        "request (the JSON result is then empty)"),
        json_schema_extra=ui("Stream live", control="hidden"))


class GeneratedToken(TokenOut):
    probability: float  # the model's probability for this token (softmax at T = 1)


class Result(WidgetResult):
    text: str
    tokens: list[GeneratedToken]
    ms_per_token: float  # mean wall time per new token, prompt processing included
    kv_cache: bool
    # HTML only (not in the JSON contract):
    stream_url: str = Field("", exclude=True)  # the SSE stream of this run, when live
    run_key: str = Field("", exclude=True)  # short digest of the parameters: one id per run
    percents: list[float] = Field(default_factory=list, exclude=True)  # p × 100 per token


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


def check_whole_run(params: Params, prompt_tokens: int) -> None:
    """A 422 naming the bound when a run computed inside one request would cost more than
    about one CPU-second; the same run can stream instead."""
    if params.kv_cache and params.max_tokens > MAX_WHOLE_RUN_TOKENS:
        raise WidgetInputError(
            f"a whole run in one request is limited to {MAX_WHOLE_RUN_TOKENS} new tokens "
            f"(about one CPU-second; here {params.max_tokens}); set live=true to stream up "
            f"to {MAX_NEW_TOKENS} token by token")
    total = prompt_tokens + params.max_tokens
    if not params.kv_cache and total > MAX_WHOLE_RUN_NO_CACHE_TOTAL:
        raise WidgetInputError(
            f"without the KV cache, a whole run in one request is limited to "
            f"{MAX_WHOLE_RUN_NO_CACHE_TOTAL} prompt + new tokens (about one CPU-second; here "
            f"{prompt_tokens} + {params.max_tokens}); set live=true to stream up to "
            f"{MAX_NO_CACHE_TOTAL}")


def steps(params: Params, model) -> Iterator[Step]:
    """Generate up to ``max_tokens`` tokens, stopping early at end-of-text; timed per step."""
    ids = check(params, model)
    pick = sampler(params)
    cache, prefix, token = None, list(ids), None
    for index in range(params.max_tokens):
        start = time.perf_counter()
        if not params.kv_cache:
            logits = model.prefill(prefix)[0]  # the whole prefix, from scratch
        elif cache is None:
            logits, cache, _ = model.prefill(prefix, len(ids) + params.max_tokens)
        else:
            logits, _ = model.decode(token, cache)
        token = pick(logits)
        ms = (time.perf_counter() - start) * 1000
        prefix.append(token)
        yield step_of(model, index, token, logits, ms)
        if token in model.stop_ids:
            break


def step_of(model, index: int, token: int, logits: np.ndarray, ms: float) -> Step:
    """The token picked at ``index`` from ``logits``, as the page shows it."""
    prob = float(probabilities(logits)[token])
    text = model.token_text(token)
    # A piece of a character (half of a Chinese character, an emoji) shows as its bytes.
    label = text if is_whole_text(model, token) else token_label(model, token)
    return Step(index, GeneratedToken(id=token, text=text, label=label, probability=prob), ms)


def ordinal(n: int) -> str:
    """1 → "1st", 2 → "2nd", 3 → "3rd", 11 → "11th", 22 → "22nd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def sampler(params: Params) -> Callable[[np.ndarray], int]:
    """``choose`` with this run's own RNG: the same seed picks the same tokens, alone or in
    a batch with other runs."""
    rng = np.random.default_rng(params.seed)
    return lambda logits: choose(logits, params, rng)


def batched_job(params: Params, ids: list[int], model, send: Callable, client: str) -> Job:
    """A job for the batch engine (``app/engine/batching.py``) whose events reach ``send``
    as the SSE route renders them: ``("waiting", "3rd")`` (place in line), ``("started", None)``,
    ``("token", Step)`` per token, then ``("done", Result)`` or ``("failed", None)``.

    ``send`` is called on the engine's thread, so the per-token work (probability, label)
    happens there, not on the server's event loop."""
    done: list[Step] = []

    def deliver(event) -> None:
        if isinstance(event, Waiting):
            send(("waiting", ordinal(event.position)))
        elif isinstance(event, Started):
            send(("started", None))
        elif isinstance(event, Token):
            done.append(step_of(model, event.index, event.token, event.logits, event.ms))
            send(("token", done[-1]))
        elif event.reason == "error":
            send(("failed", None))
        else:
            send(("done", summarise(params, model, done)))

    return Job(ids, params.max_tokens, sampler(params), deliver, client)


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


def stream_url(params: Params) -> str:
    return "/api/stream/generate?" + urlencode(params.model_dump(exclude={"live"}))


def compute(params: Params, models) -> Result:
    """A whole run (remembered per parameter set; the timing is that of the first run).

    ``live``: only check the prompt and return an empty run whose ``stream_url`` the page
    connects to, so the tokens arrive one by one as the model picks them."""
    model = models.smollm2()
    url = stream_url(params)
    key = hashlib.sha256(url.encode()).hexdigest()[:12]
    ids = check(params, model)
    if params.live:
        return Result(text="", tokens=[], ms_per_token=0.0, kv_cache=params.kv_cache,
                      stream_url=url, run_key=key)
    check_whole_run(params, len(ids))
    run = model.memo(("generate", params.model_copy(update={"live": False})),
                     lambda: summarise(params, model, list(steps(params, model))))
    return run.model_copy(update={"stream_url": url, "run_key": key,
                                  "percents": [t.probability * 100 for t in run.tokens]})


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
