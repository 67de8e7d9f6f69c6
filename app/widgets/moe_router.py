"""A top-k mixture-of-experts router over a batch, its load balance, and MoE parameter counts.

Router logits Z have shape ``(T, E)`` (T tokens, E experts). For each token: probabilities
P = softmax(Z) over all experts; the k largest logits are chosen (ties: lower expert first);
gate weights = softmax over the chosen logits only (as in Mixtral, equal to P renormalized over
the chosen experts). Balance (Fedus et al. 2021, Switch Transformer): f_i = share of the T·k
routed slots that go to expert i, P_i = mean of P over tokens, loss = α·E·Σ f_i·P_i, which is
α when routing is perfectly even (f_i = P_i = 1/E).

Parameter counts for a Mixtral-style decoder (Llama blocks, grouped-query attention, SwiGLU
experts, untied embeddings): every expert is stored, only k per layer are used per token.
"""

from typing import Literal

import numpy as np
from pydantic import Field

from app.widgets.base import (
    WidgetInputError,
    WidgetParams,
    WidgetResult,
    WidgetSpec,
    parse_matrix,
    softmax,
    ui,
)

MAX_TOKENS, MAX_EXPERTS = 64, 16
# Jiang et al. 2024 (Mixtral of Experts), Table 1 / the released config.
MIXTRAL = dict(layers=32, d_model=4096, d_ff=14336, heads=32, kv_heads=8, vocab=32000,
               experts=8, top_k=2)
MIXTRAL_NOTE = ("Mistral AI's release post (December 2023) gives 46.7B parameters in total "
                "and 12.9B active per token for Mixtral 8x7B; the paper (Jiang et al. 2024) "
                "rounds them to 47B and 13B.")


RANDOM = {"source": ["random"]}
TYPED = {"source": ["custom"]}
CUSTOM_SIZE = {"preset": ["custom"]}


class Params(WidgetParams):
    source: Literal["random", "custom"] = Field(
        "random", description="Seeded random or typed",
        json_schema_extra=ui("Router logits", control="radio", choices={
            "random": "constructed: seeded random numbers",
            "custom": "typed (one row per token)"}))
    tokens: int = Field(16, ge=1, le=MAX_TOKENS, description="Batch size T (random logits)",
                        json_schema_extra=ui("Tokens in the batch T", show_when=RANDOM))
    experts: int = Field(8, ge=1, le=MAX_EXPERTS, description="Experts E (random logits)",
                         json_schema_extra=ui("Experts E", show_when=RANDOM))
    top_k: int = Field(2, ge=1, le=MAX_EXPERTS, description="Experts per token (≤ E)",
                       json_schema_extra=ui("Experts per token, top-k"))
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed for the random logits",
                      json_schema_extra=ui("Random seed", control="number", show_when=RANDOM))
    spread: float = Field(1.0, ge=0, le=10, description="Standard deviation of random logits",
                          json_schema_extra=ui("Spread of the logits", step=0.1, slider=(0, 4),
                                               show_when=RANDOM))
    bias_expert: int = Field(1, ge=0, le=MAX_EXPERTS, description="Expert to favour; 0 = none",
                             json_schema_extra=ui("Favor expert (0 = none)", show_when=RANDOM))
    bias: float = Field(0.0, ge=-20, le=20, description="Added to that expert's logits",
                        json_schema_extra=ui("…by adding this to its logit for every token",
                                             step=0.1, slider=(0, 6), show_when=RANDOM))
    logits: str = Field("2, 1, 0.5, -1", max_length=8000,
                        description="Typed logits: experts by ',', tokens by ';'",
                        json_schema_extra=ui("Typed logits (experts separated by commas, "
                                             "tokens by ;)", control="textarea", rows=2,
                                             show_when=TYPED))
    alpha: float = Field(0.01, ge=0, le=1, description="Balancing-loss coefficient α",
                         json_schema_extra=ui("Balancing-loss coefficient α", step=0.001,
                                              slider=(0, 0.1)))
    preset: Literal["mixtral-8x7b", "custom"] = Field(
        "mixtral-8x7b", description="The model whose total and active parameters are counted",
        json_schema_extra=ui("Count parameters of", choices={
            "mixtral-8x7b": "Mixtral 8x7B (8 experts, top-2)",
            "custom": "Custom: the fields below, with E and top-k from the router"}))
    layers: int = Field(32, ge=1, le=1000, description="Transformer blocks",
                        json_schema_extra=ui("Layers", control="number", show_when=CUSTOM_SIZE))
    d_model: int = Field(4096, ge=1, le=65536, description="Model width",
                         json_schema_extra=ui("d_model", control="number", show_when=CUSTOM_SIZE))
    d_ff: int = Field(14336, ge=1, le=1_000_000, description="Hidden width of one expert",
                      json_schema_extra=ui("Expert hidden size d_ff", control="number",
                                           show_when=CUSTOM_SIZE))
    heads: int = Field(32, ge=1, le=1024, description="Query heads; must divide d_model",
                       json_schema_extra=ui("Query heads", control="number",
                                            show_when=CUSTOM_SIZE))
    kv_heads: int = Field(8, ge=1, le=1024, description="Key/value heads; must divide heads",
                          json_schema_extra=ui("K/V heads", control="number",
                                               show_when=CUSTOM_SIZE))
    vocab: int = Field(32000, ge=1, le=1_000_000, description="Tokens in the vocabulary",
                       json_schema_extra=ui("Vocabulary", control="number",
                                            show_when=CUSTOM_SIZE))


class Cell(WidgetResult):
    """One (token, expert) cell of the routing table."""
    on: bool  # the expert is among the token's top-k
    text: str  # the gate weight when chosen, else the logit
    title: str  # "logit 2.00, softmax 0.610"


class SizePart(WidgetResult):
    name: str
    total: int
    active: int


class Size(WidgetResult):
    label: str
    layers: int
    d_model: int
    d_ff: int
    heads: int
    kv_heads: int
    vocab: int
    experts: int
    top_k: int
    parts: list[SizePart]
    total: int
    active: int
    paper: str | None
    total_text: str = ""  # "46.70B"
    active_text: str = ""


class Result(WidgetResult):
    source: str
    seed: int
    bias_expert: int
    bias: float
    tokens: int
    experts: int
    top_k: int
    logits: list[list[float]]  # (T, E)
    probs: list[list[float]]  # (T, E) softmax over all experts
    chosen: list[list[int]]  # (T, k) expert indices, 0-based, largest logit first
    gates: list[list[float]]  # (T, k) softmax over the chosen logits
    loads: list[int]  # (E,) tokens routed to each expert; sums to T·k
    even_load: float  # T·k / E
    fractions: list[float]  # f_i = loads / (T·k)
    mean_probs: list[float]  # P_i
    balance: float  # E·Σ f_i·P_i
    alpha: float
    aux_loss: float  # α·balance
    size: Size
    cells: list[list[Cell]] = []  # (T, E), for the routing table
    expert_labels: list[str] = []  # "expert 1" …
    slots: int = 0  # T·k routed slots
    max_load: int = 0


def route(logits: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(T, E)`` logits → (P ``(T, E)``, chosen ``(T, k)``, gates ``(T, k)``)."""
    probs = softmax(logits, axis=1)
    chosen = np.argsort(-logits, axis=1, kind="stable")[:, :k]
    gates = softmax(np.take_along_axis(logits, chosen, axis=1), axis=1)
    return probs, chosen, gates


def moe_size(layers: int, d_model: int, d_ff: int, heads: int, kv_heads: int, vocab: int,
             experts: int, top_k: int) -> list[SizePart]:
    """Total and active parameters by part (no biases; RMSNorm gains; untied embeddings)."""
    d = d_model
    attention = 2 * d * d + 2 * d * kv_heads * (d // heads)  # W_Q, W_O; W_K, W_V (GQA)
    expert = 3 * d * d_ff  # SwiGLU: gate, up, down
    return [
        SizePart(name="embeddings + output head", total=2 * vocab * d, active=2 * vocab * d),
        SizePart(name="attention (all layers)", total=layers * attention,
                 active=layers * attention),
        SizePart(name="experts (all layers)", total=layers * experts * expert,
                 active=layers * top_k * expert),
        SizePart(name="routers (d × E per layer)", total=layers * d * experts,
                 active=layers * d * experts),
        SizePart(name="norms", total=(2 * layers + 1) * d, active=(2 * layers + 1) * d),
    ]


def size_of(params: Params, experts: int, k: int) -> Size:
    if params.preset == "mixtral-8x7b":
        config, label, paper = dict(MIXTRAL), "Mixtral 8x7B", MIXTRAL_NOTE
    else:
        config = dict(layers=params.layers, d_model=params.d_model, d_ff=params.d_ff,
                      heads=params.heads, kv_heads=params.kv_heads, vocab=params.vocab,
                      experts=experts, top_k=k)
        label, paper = "Custom model", None
        if config["d_model"] % config["heads"] or config["heads"] % config["kv_heads"]:
            raise WidgetInputError("heads must divide d_model, and kv_heads must divide heads")
    parts = moe_size(**config)
    total, active = sum(p.total for p in parts), sum(p.active for p in parts)
    return Size(label=label, **config, parts=parts, total=total, active=active, paper=paper,
                total_text=f"{total / 1e9:.2f}B", active_text=f"{active / 1e9:.2f}B")


def compute(params: Params) -> Result:
    if params.source == "custom":
        logits = parse_matrix(params.logits, "logits", max_rows=MAX_TOKENS,
                              max_cols=MAX_EXPERTS, lo=-1e3, hi=1e3)
    else:
        rng = np.random.default_rng(params.seed)
        shape = (params.tokens, params.experts)
        logits = np.round(rng.normal(0.0, params.spread, size=shape), 2) + 0.0  # no −0.00
        if params.bias_expert:
            if params.bias_expert > params.experts:
                raise WidgetInputError(f"bias_expert: choose 0–{params.experts} (there are "
                                       f"{params.experts} experts)")
            logits[:, params.bias_expert - 1] += params.bias
    t, e = logits.shape
    k = params.top_k
    if k > e:
        raise WidgetInputError(f"top_k: at most the number of experts ({e}), got {k}")
    probs, chosen, gates = route(logits, k)
    loads = np.bincount(chosen.ravel(), minlength=e)
    fractions = loads / (t * k)
    mean_probs = probs.mean(axis=0)
    balance = float(e * np.sum(fractions * mean_probs))
    cells = []
    for row_t, (row, chosen_t, gates_t) in enumerate(zip(logits, chosen, gates, strict=True)):
        slot = {int(x): i for i, x in enumerate(chosen_t)}
        cells.append([Cell(on=j in slot,
                           text=f"{gates_t[slot[j]]:.3f}" if j in slot else f"{z:.2f}",
                           title=f"logit {z:.2f}, softmax {probs[row_t, j]:.3f}")
                      for j, z in enumerate(row)])
    return Result(
        cells=cells, expert_labels=[f"expert {i}" for i in range(1, e + 1)], slots=t * k,
        max_load=int(loads.max()),
        source=params.source, seed=params.seed, bias_expert=params.bias_expert,
        bias=params.bias, tokens=t, experts=e, top_k=k, logits=logits.tolist(),
        probs=probs.tolist(), chosen=chosen.tolist(), gates=gates.tolist(),
        loads=loads.tolist(), even_load=t * k / e, fractions=fractions.tolist(),
        mean_probs=mean_probs.tolist(), balance=balance, alpha=params.alpha,
        aux_loss=params.alpha * balance, size=size_of(params, e, k),
    )


SPEC = WidgetSpec(
    name="moe-router",
    title="Mixture-of-experts router",
    summary="Route a batch of tokens to their top-k experts, see the load on each expert and "
            "the balancing loss, and count total versus active parameters.",
    params=Params,
    result=Result,
    compute=compute,
)
