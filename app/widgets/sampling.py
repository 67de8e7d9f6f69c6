"""Decoding by sampling: temperature, then top-k, then top-p (nucleus), then one seeded draw.

The candidates are either logits the learner types (default: the lesson's constructed
six-token example) or SmolLM2-135M's real next-token logits after a prompt. In the model
case the filters run over the whole vocabulary (49,152 tokens), so the nucleus size is the
true one; only the ``SHOWN`` most likely candidates are listed.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from app.engine.smollm2 import MODEL_NAME
from app.widgets._smollm2 import (
    DEFAULT_PROMPT,
    MAX_PROMPT_CHARS,
    MAX_PROMPT_TOKENS,
    MIN_TEMPERATURE,
    TokenOut,
    prompt_ids,
    token_label,
    token_list,
)
from app.widgets.base import (
    WidgetInputError,
    WidgetParams,
    WidgetResult,
    WidgetSpec,
    parse_vector,
    softmax,
    ui,
)

MAX_LOGITS = 64
MAX_TOP_K = 1000
MAX_LABEL_CHARS = 24
SHOWN = 20  # rows listed for the model's 49,152-token distribution
# Running totals that should reach p exactly (0.5 + 0.4 vs 0.9) may miss it by an ulp.
CUMSUM_SLACK = 1e-12


TYPED = {"source": ["logits"]}
MODEL = {"source": ["model"]}


class Params(WidgetParams):
    source: Literal["logits", "model"] = Field(
        "logits", description="'logits': the numbers below; 'model': SmolLM2 after the prompt",
        json_schema_extra=ui("Candidates from", control="radio", choices={
            "logits": "logits I type", "model": "SmolLM2-135M’s next token after a prompt"}))
    tokens: str = Field("mat, floor, sofa, bed, roof, moon", max_length=2000,
                        description="Names for the typed logits, comma-separated (blank: numbered)",
                        json_schema_extra=ui("Token names", show_when=TYPED))
    logits: str = Field("3, 2.2, 1.8, 1.5, 0.4, -1", max_length=2000,
                        description=f"1–{MAX_LOGITS} numbers, comma-separated",
                        json_schema_extra=ui("Logits", show_when=TYPED))
    prompt: str = Field(DEFAULT_PROMPT, max_length=MAX_PROMPT_CHARS, description=(
        f"Text for SmolLM2, at most {MAX_PROMPT_TOKENS} model tokens"),
        json_schema_extra=ui("Prompt", control="textarea", rows=2, show_when=MODEL))
    temperature: float = Field(1.0, ge=0, le=10, description="Divides the logits; 0 = greedy",
                               json_schema_extra=ui("1. Temperature (0 = greedy)", step=0.05,
                                                    slider=(0, 3)))
    top_k: int = Field(0, ge=0, le=MAX_TOP_K, description="Keep the k most likely; 0 = off",
                       json_schema_extra=ui("2. Top-k (0 = off)", slider=(0, 50)))
    top_p: float = Field(1.0, gt=0, le=1, description="Keep the smallest set with total ≥ p; "
                                                       "1 = off",
                         json_schema_extra=ui("3. Top-p (1 = off)", step=0.01,
                                              slider=(0.05, 1)))
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed for numpy's default_rng",
                      json_schema_extra=ui("Random seed", control="number"))


class Candidate(WidgetResult):
    rank: int  # 1 = largest logit
    token: str
    id: int | None  # model token id, None for typed logits
    logit: float
    p_temperature: float  # softmax(logits / T) over every candidate
    kept_top_k: bool
    p_top_k: float  # renormalized over the top-k survivors (0 if cut)
    kept: bool  # survived top-k and top-p
    p_final: float  # renormalized over the final survivors (0 if cut)
    label: str = ""  # as a chip shows it: ␣ for a space, ↵ for a newline, <E6> for a lone byte


class Sample(WidgetResult):
    u: float  # the uniform draw in [0, 1)
    rank: int
    token: str
    id: int | None
    probability: float
    label: str = ""


class Result(WidgetResult):
    source: str
    model: str | None
    prompt_tokens: list[TokenOut]
    vocab_size: int
    kept_after_top_k: int
    kept_after_top_p: int
    seed: int
    candidates: list[Candidate]  # in rank order, at most SHOWN for the model
    sampled: Sample
    shown_kept: int = 0  # survivors among the listed candidates
    chart_labels: list[str] = []  # every listed candidate, as a chip shows it
    chart_p: list[float] = []  # p_final of every listed candidate (0 once cut)


def parse_labels(text: str, n: int) -> list[str]:
    """``"mat, floor"`` → ``["mat", "floor"]``; blank → ``["token 1", …]``; count must be n."""
    if not text.strip():
        return [f"token {i}" for i in range(1, n + 1)]
    labels = [t.strip() for t in text.split(",")]
    if len(labels) != n:
        raise WidgetInputError(f"tokens: {len(labels)} names for {n} logits; give one name "
                               "per logit (or leave the names blank)")
    for i, label in enumerate(labels, start=1):
        if not label or len(label) > MAX_LABEL_CHARS:
            raise WidgetInputError(f"tokens: name {i} must be 1–{MAX_LABEL_CHARS} characters")
    return labels


@dataclass(frozen=True)
class Filtered:
    """The outcome of the three filters on a ``(V,)`` logit vector (arrays are float64)."""

    order: np.ndarray  # candidate indices, largest logit first (ties: lower index first)
    p_t: np.ndarray  # softmax(logits / T); one-hot on the first maximum when T = 0
    p_k: np.ndarray  # renormalized over the first n_k of order, zeros elsewhere
    p_final: np.ndarray  # renormalized over the first n_p of order, zeros elsewhere
    n_k: int  # survivors of top-k (V when off; 1 when greedy)
    n_p: int  # survivors of top-p, 1 ≤ n_p ≤ n_k


def filter_distribution(logits: np.ndarray, temperature: float, top_k: int,
                        top_p: float) -> Filtered:
    """Temperature, then top-k, then top-p (nucleus: the shortest prefix of the sorted,
    renormalized top-k distribution whose running total reaches p). Each step keeps a prefix
    of ``order`` and at least one token; temperature 0 is greedy (one survivor)."""
    z = np.asarray(logits, dtype=np.float64)
    order = np.argsort(-z, kind="stable")
    if temperature == 0:
        p_t = np.zeros_like(z)
        p_t[order[0]] = 1.0
        n_k = 1
    else:
        p_t = softmax(z / temperature)
        n_k = z.size if top_k == 0 else min(top_k, z.size)
    p_k = np.zeros_like(z)
    p_k[order[:n_k]] = p_t[order[:n_k]] / p_t[order[:n_k]].sum()
    n_p = n_k
    if top_p < 1:
        running = np.cumsum(p_k[order[:n_k]])
        n_p = int(np.argmax(running >= top_p - CUMSUM_SLACK)) + 1  # first total to reach p
    p_final = np.zeros_like(z)
    p_final[order[:n_p]] = p_k[order[:n_p]] / p_k[order[:n_p]].sum()
    return Filtered(order=order, p_t=p_t, p_k=p_k, p_final=p_final, n_k=n_k, n_p=n_p)


def draw(f: Filtered, seed: int) -> tuple[float, int]:
    """Inverse-CDF sampling: u ~ U[0, 1) from ``default_rng(seed)``; walk the survivors in
    rank order adding probabilities, stop at the first running total above u.
    Returns (u, 0-based rank of the pick)."""
    u = float(np.random.default_rng(seed).random())
    running = np.cumsum(f.p_final[f.order[:f.n_p]])
    return u, min(int(np.searchsorted(running, u, side="right")), f.n_p - 1)


def compute(params: Params, models=None) -> Result:
    if 0 < params.temperature < MIN_TEMPERATURE:
        raise WidgetInputError(f"temperature: use 0 (greedy) or at least {MIN_TEMPERATURE}")
    model, prompt_tokens, ids = None, [], None
    if params.source == "model":
        model = models.smollm2()
        ids = prompt_ids(model, params.prompt)
        logits = np.asarray(model.next_logits(ids), dtype=np.float64)
        prompt_tokens = token_list(model, ids)
        shown = SHOWN
    else:
        logits = parse_vector(params.logits, "logits", max_len=MAX_LOGITS, lo=-1e4, hi=1e4)
        labels = parse_labels(params.tokens, logits.size)
        shown = logits.size
    f = filter_distribution(logits, params.temperature, params.top_k, params.top_p)

    def name(i: int) -> str:
        return model.token_text(int(i)) if model is not None else labels[int(i)]

    def label(i: int) -> str:
        if model is not None:
            return token_label(model, int(i))
        return labels[int(i)].replace(" ", "␣").replace("\n", "↵")

    def token_id(i: int) -> int | None:
        return int(i) if model is not None else None

    candidates = [Candidate(
        rank=r + 1, token=name(i), id=token_id(i), logit=float(logits[i]),
        p_temperature=float(f.p_t[i]), kept_top_k=r < f.n_k, p_top_k=float(f.p_k[i]),
        kept=r < f.n_p, p_final=float(f.p_final[i]), label=label(i),
    ) for r, i in enumerate(f.order[:shown])]
    u, pos = draw(f, params.seed)
    pick = int(f.order[pos])
    return Result(
        source=params.source, model=MODEL_NAME if model is not None else None,
        prompt_tokens=prompt_tokens, vocab_size=int(logits.size),
        kept_after_top_k=f.n_k, kept_after_top_p=f.n_p,
        seed=params.seed, candidates=candidates,
        sampled=Sample(u=u, rank=pos + 1, token=name(pick), id=token_id(pick),
                       probability=float(f.p_final[pick]), label=label(pick)),
        shown_kept=sum(c.kept for c in candidates),
        chart_labels=[c.label for c in candidates], chart_p=[c.p_final for c in candidates],
    )


SPEC = WidgetSpec(
    name="sampling",
    title="Sampling: temperature, top-k and top-p",
    summary="Reshape a next-token distribution with temperature, cut it with top-k and top-p, "
            "and draw a token with a seed.",
    params=Params,
    result=Result,
    compute=compute,
    uses_model=True,
    needs_model=lambda p: p.source == "model",
)
