"""The whole forward pass on your prompt: SmolLM2-135M as one diagram to drill into.

Every number comes from one traced pass per prompt (:mod:`app.engine.explore_trace`),
cached by token ids, so opening another stage or block only slices it.
"""

from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from app.engine.explore_trace import block_inside, first_and_settled, strongest_heads
from app.engine.smollm2 import MODEL_NAME
from app.widgets import _explore_panels as panels
from app.widgets._smollm2 import (
    N_HEADS,
    N_LAYERS,
    TokenOut,
    check_layer_head,
    probabilities,
    prompt_field,
)
from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec, ui
from app.widgets.next_token import Candidate, candidate, extra_ids_field, read_ids

TOP_K = 10  # next-token candidates in the output panel
TRAIL_HEADS = 5  # heads listed in the "why this token?" trail
HEAD_DIM_PAIRS = 32  # SmolLM2's head_dim 64 = 32 rotated pairs

# stage -> (label, module that explains it, that module's title); the order is the pass's.
STAGES = {
    "tokens": ("Tokens", "02", "Tokenization"),
    "embed": ("Embedding", "05", "Embeddings"),
    "rope": ("RoPE", "18", "Rotary and relative positions"),
    "attn": ("Attention", "31", "Multi-query and grouped-query attention"),
    "ffn": ("SwiGLU", "17", "The feed-forward network"),
    "residual": ("Residual stream", "16", "Residual connections and normalization"),
    "lens": ("Logit lens", "38", "Inside the model: interpretability"),
    "output": ("Next token", "19", "The output head"),
}
IN_BLOCK = ["rope", "attn", "ffn", "lens"]  # stages that belong to one block (the layer)
Stage = Literal["tokens", "embed", "rope", "attn", "ffn", "residual", "lens", "output"]


class Params(WidgetParams):
    prompt: str = prompt_field()
    stage: Stage = Field("tokens", description="The stage whose numbers are open",
                         json_schema_extra=ui("Open stage", choices={
                             k: f"{i}. {v[0]}" for i, (k, v) in enumerate(STAGES.items(), 1)}))
    layer: int = Field(19, ge=1, le=N_LAYERS, description=(
        f"The block to open, numbered from 1 (SmolLM2-135M has {N_LAYERS})"),
        json_schema_extra=ui("Block", show_when={"stage": IN_BLOCK}))
    head: int = Field(4, ge=1, le=N_HEADS, description=(
        f"Query head, numbered from 1 (each block has {N_HEADS})"),
        json_schema_extra=ui("Query head", show_when={"stage": ["attn", "rope"]}))
    pair: int = Field(1, ge=1, le=HEAD_DIM_PAIRS, description=(
        "Which of the head's 32 rotated pairs of dimensions to draw (1 turns fastest)"),
        json_schema_extra=ui("Rotated pair", show_when={"stage": ["rope"]}))
    extra_ids: str = extra_ids_field("how a chosen next token that is not whole text is "
                                     "appended")


class StageOut(BaseModel):
    key: str
    label: str
    number: int
    module: str
    module_title: str


class HeadFocus(BaseModel):
    layer: int  # 1-based
    head: int  # 1-based
    kv_head: int
    key: int  # 0-based position of the earlier token
    weight: float  # the last token's attention weight on it
    label: str = Field("", exclude=True)


class Trail(BaseModel):
    """Why the model says what it says: when the logit lens first shows the final
    prediction, and which heads of the last token looked hardest at which earlier token."""

    ranks: list[int]  # (31,) rank of the final prediction per depth (1 = top)
    first_top: int | None  # first depth where it is the top prediction (0 = embeddings)
    settled: int | None  # the depth from which it stays on top to the end
    heads: list[HeadFocus]
    # HTML only: per depth, a colour class.
    marks: list[str] = Field(default_factory=list, exclude=True)


class Result(WidgetResult):
    model: str
    tokens: list[TokenOut]
    stage: str
    layer: int
    head: int
    shapes: dict[str, str]  # the real shape on each arrow of the diagram
    prediction: Candidate  # the model's top next token
    trail: Trail
    embed: panels.EmbedPanel | None = None
    residual: panels.ResidualPanel | None = None
    attention: panels.AttentionPanel | None = None
    rope: panels.RopePanel | None = None
    ffn: panels.FfnPanel | None = None
    lens: panels.LensPanel | None = None
    candidates: list[Candidate] | None = None
    # HTML only (not in the JSON contract):
    n_typed: int = Field(0, exclude=True)
    stages: list[StageOut] = Field(default_factory=list, exclude=True)
    labels: list[str] = Field(default_factory=list, exclude=True)


def shapes(model, n: int) -> dict[str, str]:
    cfg = model.config
    return {"ids": f"({n},)", "table": f"({cfg.vocab_size:,}, {cfg.d_model})",
            "stream": f"({n}, {cfg.d_model})", "q": f"({cfg.n_heads} heads, {n}, {cfg.head_dim})",
            "kv": f"({cfg.n_kv_heads} heads, {n}, {cfg.head_dim})",
            "weights": f"({cfg.n_heads} heads, {n}, {n})", "ffn": f"({n}, {cfg.d_ff})",
            "last": f"({cfg.d_model},)", "logits": f"({cfg.vocab_size:,})"}


def candidates(model, logits, params: Params, extra: list[int], k: int) -> list[Candidate]:
    """The top ``k`` next tokens; choosing one appends it, as the next-token widget does."""
    probs = probabilities(logits)
    return [candidate(model, params.prompt, extra, i, logits, probs)
            for i in np.argsort(-logits, kind="stable")[:k]]


def trail(model, p, labels: list[str]) -> Trail:
    first, settled = first_and_settled(p.final_ranks)
    group = model.config.group_size
    heads = [HeadFocus(layer=layer + 1, head=head + 1, kv_head=head // group + 1, key=key,
                       weight=round(weight, 6), label=labels[key])
             for layer, head, key, weight in strongest_heads(p.attention, TRAIL_HEADS)]
    marks = ["top" if r == 1 else "near" if r <= 10 else "far" for r in p.final_ranks]
    return Trail(ranks=[int(r) for r in p.final_ranks], first_top=first, settled=settled,
                 heads=heads, marks=marks)


def compute(params: Params, models) -> Result:
    """Slice one cached traced pass into the overview and the open stage's panel."""
    model = models.smollm2()
    check_layer_head(model, params.layer, params.head)
    ids, extra = read_ids(model, params.prompt, params.extra_ids)
    p = models.explore_passes().get(model, ids)
    chips = panels.token_chips(model, ids)
    labels = [c.label for c in chips]
    stage, layer = params.stage, params.layer
    extras: dict = {}
    if stage == "embed":
        extras["embed"] = panels.embed_panel(p)
    elif stage == "residual":
        extras["residual"] = panels.residual_panel(p)
    elif stage == "attn":
        extras["attention"] = panels.attention_panel(model, p, layer, params.head)
    elif stage == "rope":
        inside = block_inside(model, p, layer - 1)
        extras["rope"] = panels.rope_panel(model, p, inside, layer, params.head, params.pair)
    elif stage == "ffn":
        extras["ffn"] = panels.ffn_panel(block_inside(model, p, layer - 1), layer)
    elif stage == "lens":
        extras["lens"] = panels.lens_panel(model, p, layer)
    top = candidates(model, p.next_logits, params, extra, TOP_K if stage == "output" else 1)
    if stage == "output":
        extras["candidates"] = top
    return Result(
        model=MODEL_NAME, tokens=chips, stage=stage, layer=layer, head=params.head,
        shapes=shapes(model, len(ids)), prediction=top[0], trail=trail(model, p, labels),
        n_typed=len(ids) - len(extra), labels=labels,
        stages=[StageOut(key=k, label=v[0], number=i, module=v[1], module_title=v[2])
                for i, (k, v) in enumerate(STAGES.items(), 1)], **extras)


SPEC = WidgetSpec(
    name="explore",
    title="The whole forward pass of SmolLM2-135M",
    summary="Type a prompt and walk through one real forward pass of a 135M-parameter model: "
            "tokens, embeddings, 30 blocks, the output head, with the real shapes and numbers.",
    params=Params,
    result=Result,
    compute=compute,
    uses_model=True,
    full_width=True,
)
