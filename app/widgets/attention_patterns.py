"""Causal attention masks for long context: full, sliding window, dilated, global + local.

Every mask is ``(n, n)`` booleans, row i = query position i, column j = key position j,
with j ≤ i (causal). For each pattern the number of allowed pairs is counted from the mask
and, independently, from a closed form; the widget shows both.

- full causal: j ≤ i; n(n + 1)/2 pairs.
- sliding window w: i − w < j ≤ i; Σᵢ min(i + 1, w).
- dilated (w, r): j = i − r·t for t = 0..w−1 (w keys spaced r apart); Σᵢ min(w, ⌊i/r⌋ + 1).
- global + local (g, w): the window, plus the first g positions, which every later token
  reads (and which read everything before them, as in Longformer, here causally);
  Σᵢ min(i + 1, w) + Σᵢ max(0, min(g, i − w + 1)).
"""

import numpy as np
from pydantic import Field

from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec, ui

MAX_N = 64  # a 64 × 64 grid of cells is still readable and four masks stay small


class Params(WidgetParams):
    n: int = Field(16, ge=1, le=MAX_N, description=f"Sequence length (1–{MAX_N})",
                   json_schema_extra=ui("Sequence length n"))
    window: int = Field(3, ge=1, le=MAX_N, description="Keys per token in the window, "
                                                      "itself included",
                        json_schema_extra=ui("Window w"))
    dilation: int = Field(2, ge=1, le=16, description="Gap between keys in the dilated pattern",
                          json_schema_extra=ui("Dilation r"))
    global_tokens: int = Field(1, ge=0, le=MAX_N, description="First g positions are global",
                               json_schema_extra=ui("Global tokens g", slider=(0, 16)))


class Pattern(WidgetResult):
    key: str
    name: str
    rule: str
    formula: str
    pairs: int  # counted from the mask
    closed_form: int
    share: float  # pairs / full causal pairs
    keys_last: int  # keys the last query attends to
    reach: int  # how far back the last query sees: i − min allowed j
    runs: list[tuple[int, int, int]]  # (row, first column, length) of allowed cells
    percent: int = Field(0, exclude=True)  # HTML only: share × 100, rounded


class Result(WidgetResult):
    n: int
    window: int
    dilation: int
    global_tokens: int
    patterns: list[Pattern]
    # HTML only: the full causal triangle as runs (row, 0, row + 1), drawn under each mask.
    causal_runs: list[tuple[int, int, int]] = Field(default_factory=list, exclude=True)


def masks(n: int, w: int, r: int, g: int) -> dict[str, np.ndarray]:
    """The four ``(n, n)`` boolean masks."""
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    causal, back = j <= i, i - j
    window = causal & (back < w)
    return {
        "full": causal,
        "sliding": window,
        "dilated": causal & (back % r == 0) & (back // r < w),
        "global": window | (causal & ((j < g) | (i < g))),
    }


def closed_forms(n: int, w: int, r: int, g: int) -> dict[str, int]:
    rows = range(n)
    sliding = sum(min(i + 1, w) for i in rows)
    return {
        "full": n * (n + 1) // 2,
        "sliding": sliding,
        "dilated": sum(min(w, i // r + 1) for i in rows),
        "global": sliding + sum(max(0, min(g, i - w + 1)) for i in rows),
    }


def runs(mask: np.ndarray) -> list[tuple[int, int, int]]:
    """Maximal horizontal runs of True cells, so a grid needs one rectangle per run."""
    out = []
    for row, cells in enumerate(mask):
        padded = np.concatenate([[False], cells, [False]]).astype(np.int8)
        edges = np.flatnonzero(np.diff(padded))
        out += [(row, int(a), int(b - a)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
    return out


def compute(params: Params) -> Result:
    n, w, r, g = params.n, params.window, params.dilation, params.global_tokens
    if g > n:
        raise WidgetInputError(f"global_tokens: at most n = {n} (got {g})")
    found, forms = masks(n, w, r, g), closed_forms(n, w, r, g)
    text = {
        "full": ("Full causal", "always", "n(n+1)/2"),
        "sliding": (f"Sliding window (w = {w})", f"i − j < {w}", "Σ min(i+1, w)"),
        "dilated": (f"Dilated (w = {w}, r = {r})",
                    f"i − j = {r}·t for t = 0…{w - 1}", "Σ min(w, ⌊i/r⌋+1)"),
        "global": (f"Global + window (g = {g}, w = {w})", f"i − j < {w}, or j < {g}",
                   "window + Σ max(0, min(g, i−w+1))"),
    }
    patterns = []
    for key, mask in found.items():
        last = np.flatnonzero(mask[-1])
        name, rule, formula = text[key]
        patterns.append(Pattern(
            key=key, name=name, rule=rule, formula=formula, pairs=int(mask.sum()),
            closed_form=forms[key], share=round(float(mask.sum()) / forms["full"], 6),
            keys_last=int(last.size), reach=int(n - 1 - last.min()), runs=runs(mask),
            percent=round(float(mask.sum()) / forms["full"] * 100)))
    return Result(n=n, window=w, dilation=r, global_tokens=g, patterns=patterns,
                  causal_runs=[(i, 0, i + 1) for i in range(n)])


SPEC = WidgetSpec(
    name="attention-patterns",
    title="Sparse attention patterns",
    summary="Draw sliding-window, dilated and global attention masks and count the query–key "
            "pairs each one scores.",
    params=Params,
    result=Result,
    compute=compute,
)
