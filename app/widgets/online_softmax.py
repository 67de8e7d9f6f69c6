"""The online softmax (Milakov & Gimelshein 2018) as FlashAttention uses it, tile by tile.

One query row of scores x (shape ``(n,)``) and optional one-dimensional values v (``(n,)``)
are read a tile of keys at a time, keeping only a running maximum m, a running sum
ℓ = Σ e^(x − m) and a running unnormalized output o = Σ e^(x − m)·v. When a tile raises the
maximum, what was summed so far is rescaled by c = e^(m_old − m_new). The result equals the
ordinary softmax up to rounding.

A second part estimates the HBM (GPU main-memory) traffic of one attention head, in fp16
numbers and bytes, following Dao et al. (2022): Algorithm 0 (standard attention writes and
reads back S and P, each N × N) and Algorithm 1 (FlashAttention, key/value tiles of
B_c = ⌈M/4d⌉ rows), whose order is Theorem 2's Θ(N²d²/M).
"""

import math

import numpy as np
from pydantic import Field

from app.widgets.base import (
    WidgetInputError,
    WidgetParams,
    WidgetResult,
    WidgetSpec,
    parse_vector,
    softmax,
    ui,
)

MAX_SCORES = 64
BYTES_PER_NUMBER = 2  # fp16


class Params(WidgetParams):
    scores: str = Field("1, 3, 2, 5", max_length=2000,
                        description=f"One query's scores over 1–{MAX_SCORES} keys",
                        json_schema_extra=ui("Scores of one query row (comma-separated)"))
    values: str = Field("10, 20, 30, 40", max_length=2000,
                        description="One value per key (blank: probabilities only)",
                        json_schema_extra=ui("Values, one number per key"))
    tile: int = Field(2, ge=1, le=MAX_SCORES, description="Keys per tile (block)",
                      json_schema_extra=ui("Tile size (keys per block)", slider=(1, 16)))
    n_tokens: int = Field(4096, ge=1, le=1_048_576, description=(
        "Sequence length N, for the memory traffic of one attention head (fp16)"),
        json_schema_extra=ui("Traffic: sequence length N", control="number"))
    head_dim: int = Field(64, ge=1, le=1024, description="Head dimension d",
                          json_schema_extra=ui("Traffic: head dimension d", control="number"))
    sram_kib: int = Field(192, ge=1, le=65536,
                          description="On-chip SRAM M in KiB (A100: 192 KiB per SM)",
                          json_schema_extra=ui("Traffic: on-chip SRAM M (KiB)",
                                               control="number"))


def size_text(b: int) -> str:
    """Bytes in binary units: GiB and MiB with 2 decimals, KiB with 1, else bytes."""
    if b >= 2**30:
        return f"{b / 2**30:.2f} GiB"
    if b >= 2**20:
        return f"{b / 2**20:.2f} MiB"
    if b >= 2**10:
        return f"{b / 2**10:.1f} KiB"
    return f"{b} bytes"


class Step(WidgetResult):
    tile: int  # 1-based
    scores: list[float]
    m: float  # running maximum after this tile
    correction: float | None  # e^(m_old − m_new); None for the first tile (m_old = −∞)
    rescaled: bool  # the maximum grew (after the first tile)
    tile_sum: float  # Σ e^(x − m_new) over the tile
    ell: float  # the running sum ℓ
    o: float | None
    output_so_far: float | None = None  # o / ℓ after this tile
    scores_text: str = ""  # "1, 3"


class Traffic(WidgetResult):
    n_tokens: int
    head_dim: int
    sram_kib: int
    sram_elements: int  # M in fp16 numbers
    block_cols: int  # B_c = ⌈M / 4d⌉
    outer_steps: int  # T_c = ⌈N / B_c⌉
    standard_elements: int
    flash_elements: int
    theorem_elements: int
    standard_bytes: int
    flash_bytes: int
    theorem_bytes: int
    scores_bytes: int  # one N × N matrix
    ratio: float  # standard / flash
    sizes: dict[str, str] = {}  # standard, flash, theorem, scores as "32.02 MiB"
    chart_labels: list[str] = []
    chart_mib: list[float] = []  # standard and FlashAttention bytes, in MiB


class Result(WidgetResult):
    scores: list[float]
    has_values: bool
    steps: list[Step]
    rescales: int
    online: list[float]
    direct: list[float]
    max_abs_diff: float
    output_online: float | None
    output_direct: float | None
    traffic: Traffic
    key_labels: list[str] = []  # "key 1" …


def online_softmax(x: np.ndarray, tile: int, v: np.ndarray | None = None
                   ) -> tuple[np.ndarray, list[Step], float | None]:
    """One pass over ``x`` (``(n,)``) in tiles of ``tile`` keys.

    Returns (probabilities e^(x − m)/ℓ, the per-tile steps, o/ℓ or None without values).
    """
    m, l_sum, o = -math.inf, 0.0, 0.0
    steps = []
    for t, start in enumerate(range(0, x.size, tile), start=1):
        xb = x[start:start + tile]
        m_new = max(m, float(xb.max()))
        c = math.exp(m - m_new)  # exp(−inf) = 0 on the first tile, where ℓ = o = 0 anyway
        e = np.exp(xb - m_new)
        l_sum = c * l_sum + float(e.sum())
        if v is not None:
            o = c * o + float(e @ v[start:start + tile])
        steps.append(Step(tile=t, scores=xb.tolist(), m=m_new,
                          correction=None if t == 1 else c, rescaled=t > 1 and m_new > m,
                          tile_sum=float(e.sum()), ell=l_sum, o=o if v is not None else None,
                          output_so_far=o / l_sum if v is not None else None,
                          scores_text=", ".join(f"{a:g}" for a in xb)))
        m = m_new
    return np.exp(x - m) / l_sum, steps, (o / l_sum if v is not None else None)


def traffic(n: int, d: int, sram_kib: int) -> Traffic:
    """HBM reads + writes for one head (Dao et al. 2022), counted in numbers and fp16 bytes.

    Standard (Algorithm 0): read Q, K (2Nd); write S, read S, write P, read P (4N²);
    read V (Nd); write O (Nd). FlashAttention (Algorithm 1): read K, V once (2Nd); for each of
    T_c outer steps read Q and O and write O (3Nd) and read and write ℓ and m (4N).
    """
    m_el = sram_kib * 1024 // BYTES_PER_NUMBER
    if m_el < 4 * d:
        raise WidgetInputError(f"sram_kib: {sram_kib} KiB holds {m_el} fp16 numbers, fewer "
                               f"than 4·d = {4 * d}; one tile row of Q, K, V and O must fit")
    block_cols = math.ceil(m_el / (4 * d))
    outer = math.ceil(n / block_cols)
    standard = 4 * n * d + 4 * n * n
    flash = 2 * n * d + outer * (3 * n * d + 4 * n)
    theorem = math.ceil(n * n * d * d / m_el)
    b = BYTES_PER_NUMBER
    return Traffic(n_tokens=n, head_dim=d, sram_kib=sram_kib, sram_elements=m_el,
                   block_cols=block_cols, outer_steps=outer, standard_elements=standard,
                   flash_elements=flash, theorem_elements=theorem, standard_bytes=standard * b,
                   flash_bytes=flash * b, theorem_bytes=theorem * b, scores_bytes=n * n * b,
                   ratio=round(standard / flash, 4),
                   sizes={"standard": size_text(standard * b), "flash": size_text(flash * b),
                          "theorem": size_text(theorem * b), "scores": size_text(n * n * b)},
                   chart_labels=["standard", "FlashAttention"],
                   chart_mib=[standard * b / 2**20, flash * b / 2**20])


def compute(params: Params) -> Result:
    x = parse_vector(params.scores, "scores", max_len=MAX_SCORES, lo=-1e4, hi=1e4)
    v = None
    if params.values.strip():
        v = parse_vector(params.values, "values", max_len=MAX_SCORES, lo=-1e6, hi=1e6)
        if v.size != x.size:
            raise WidgetInputError(f"values: {v.size} values for {x.size} scores; give one "
                                   "value per score (or leave values blank)")
    online, steps, out = online_softmax(x, params.tile, v)
    direct = softmax(x)
    return Result(
        scores=x.tolist(), has_values=v is not None, steps=steps,
        rescales=sum(s.rescaled for s in steps), online=online.tolist(), direct=direct.tolist(),
        max_abs_diff=float(np.max(np.abs(online - direct))), output_online=out,
        output_direct=float(direct @ v) if v is not None else None,
        traffic=traffic(params.n_tokens, params.head_dim, params.sram_kib),
        key_labels=[f"key {i}" for i in range(1, x.size + 1)],
    )


SPEC = WidgetSpec(
    name="online-softmax",
    title="Online softmax and FlashAttention's memory traffic",
    summary="Compute a softmax one tile at a time with a running max and sum, and estimate "
            "how many bytes tiling saves.",
    params=Params,
    result=Result,
    compute=compute,
)
