"""Quantize a vector with absmax (symmetric) or min–max (asymmetric) scaling, per group.

absmax, b bits: q_max = 2^(b−1) − 1, s = max|x| / q_max, q = round(x / s), x̂ = s·q.
min–max, b bits: d = (max − min) / (2^b − 1), q = round((x − min) / d), x̂ = d·q + min
(GGUF's Q4_1 is min–max with b = 4 on groups of 32). Rounding is NumPy's (ties to even),
so |x − x̂| ≤ s/2 (or d/2) in every group.

The numbers are either a typed vector (default: the lesson's constructed example) or the 32
weights of one real Q4_1 block of SmolLM2-135M, read with its stored d, m and codes.
"""

from typing import Literal

import numpy as np
from gguf import GGMLQuantizationType
from pydantic import Field

from app.engine.gguf_loader import gguf_tensors, q4_1_block_count, read_q4_1_block
from app.engine.smollm2 import gguf_path
from app.widgets.base import (
    WidgetInputError,
    WidgetParams,
    WidgetResult,
    WidgetSpec,
    parse_vector,
)

MAX_VALUES = 64
ALL_BITS = range(2, 9)
SCALE_BITS = 16  # each group's scale (and minimum, for min–max) is stored as fp16
TENSORS = ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")


class Params(WidgetParams):
    source: Literal["vector", "real"] = Field("vector", description="'real': a SmolLM2 block")
    vector: str = Field("0.42, -1.37, 0.08, 2.54, -0.61, 0.15, -0.03, 0.97", max_length=3000,
                        description=f"1–{MAX_VALUES} numbers, comma-separated")
    tensor: Literal[TENSORS] = Field("attn_q", description="Which weight matrix (real block)")
    layer: int = Field(1, ge=1, le=30, description="Layer, numbered from 1 (GGUF blk.0 = 1)")
    block: int = Field(0, ge=0, description="Block number in storage order (32 weights each)")
    scheme: Literal["absmax", "minmax"] = "absmax"
    bits: int = Field(8, ge=2, le=8, description="Bits per code (2–8)")
    group_size: int = Field(0, ge=0, le=MAX_VALUES,
                            description="Numbers sharing one scale; 0 = all of them")
    outlier: bool = Field(False, description="Multiply one element by outlier_factor")
    outlier_index: int = Field(4, ge=1, le=MAX_VALUES, description="Element number, from 1")
    outlier_factor: float = Field(10.0, ge=-1000, le=1000)


class Group(WidgetResult):
    start: int  # 0-based, inclusive
    stop: int  # exclusive
    scale: float  # s (absmax) or d (min–max)
    minimum: float | None  # m for min–max
    max_abs_error: float


class ByBits(WidgetResult):
    bits: int
    rmse: float
    max_abs_error: float


class Block(WidgetResult):
    gguf_name: str
    layer: int
    block_index: int
    n_blocks: int
    row: int
    first_column: int
    d: float
    m: float
    codes: list[int]  # 32 codes in 0..15
    values: list[float]  # d·code + m, as float32


class Result(WidgetResult):
    source: str
    scheme: str
    scheme_label: str
    bits: int
    q_max: int  # absmax: 2^(b−1) − 1; min–max: 2^b − 1 (the largest code)
    values: list[float]  # what was quantized (after the outlier)
    outlier_position: int | None  # 0-based
    groups: list[Group]
    codes: list[int]
    reconstruction: list[float]
    max_abs_error: float
    rmse: float
    rmse_others: float | None  # RMS error without the outlier
    crushed: int
    crushed_flags: list[bool]  # nonzero x with x̂ = 0
    bits_per_weight: float
    by_bits: list[ByBits]
    block: Block | None


def quantize(x: np.ndarray, bits: int, scheme: str, group: int
             ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int, float, float | None]]]:
    """Quantize ``x`` (``(n,)``) in consecutive groups of ``group`` (0: one group).

    Returns (integer codes ``(n,)``, reconstruction ``(n,)``, [(start, stop, scale, min)]).
    An all-zero absmax group (or a constant min–max group) gets scale 0 and is exact.
    """
    size = group or x.size
    codes, recon, groups = np.zeros(x.size, np.int64), np.zeros(x.size), []
    for start in range(0, x.size, size):
        g = x[start:start + size]
        if scheme == "absmax":
            q_max, amax = 2 ** (bits - 1) - 1, float(np.max(np.abs(g)))
            scale, minimum = amax / q_max, None
            q = np.zeros(g.size) if amax == 0 else np.clip(np.round(g * (q_max / amax)),
                                                           -q_max, q_max)
            r = q * scale
        else:
            levels, lo = 2**bits - 1, float(g.min())
            scale, minimum = (float(g.max()) - lo) / levels, lo
            q = np.zeros(g.size) if scale == 0 else np.clip(np.round((g - lo) / scale), 0, levels)
            r = q * scale + lo
        codes[start:start + g.size], recon[start:start + g.size] = q, r + 0.0  # no −0
        groups.append((start, start + g.size, scale, minimum))
    return codes, recon, groups


def read_block(tensor: str, layer: int, index: int) -> Block:
    """One stored Q4_1 block of layer ``layer``'s ``tensor``, decoded by the engine's reader.
    ``index`` counts blocks row by row, ``n_in / 32`` blocks per row."""
    name = f"blk.{layer - 1}.{tensor}.weight"
    t = gguf_tensors(gguf_path()).get(name)
    if t is None or t.tensor_type != GGMLQuantizationType.Q4_1:
        raise WidgetInputError(f"layer: no Q4_1 tensor {name} in the model")
    n_blocks = q4_1_block_count(t)
    if not 0 <= index < n_blocks:
        raise WidgetInputError(f"block: choose 0–{n_blocks - 1} ({name} has {n_blocks:,} "
                               "blocks of 32 weights)")
    block = read_q4_1_block(gguf_path(), name, index)
    return Block(gguf_name=name, layer=layer, block_index=index, n_blocks=n_blocks,
                 row=block["row"], first_column=block["first_column"], d=block["d"],
                 m=block["m"], codes=block["codes"], values=block["values"])


def errors(x: np.ndarray, recon: np.ndarray) -> tuple[float, float]:
    """(largest |x − x̂|, root-mean-square error)."""
    err = recon - x
    return float(np.max(np.abs(err))), float(np.sqrt(np.mean(err * err)))


def compute(params: Params, models=None) -> Result:
    """``models`` is unused: a real block is read from the GGUF file, not the loaded model."""
    block = None
    if params.source == "real":
        block = read_block(params.tensor, params.layer, params.block)
        x = np.array(block.values, dtype=np.float64)
    else:
        x = parse_vector(params.vector, "vector", max_len=MAX_VALUES, lo=-1e6, hi=1e6)
    position = None
    if params.outlier:
        position = params.outlier_index - 1
        if position >= x.size:
            raise WidgetInputError(f"outlier_index: choose 1–{x.size} (there are {x.size} "
                                   "numbers)")
        x = x.copy()
        x[position] *= params.outlier_factor
    codes, recon, groups = quantize(x, params.bits, params.scheme, params.group_size)
    max_err, rmse = errors(x, recon)
    rmse_others = None
    if position is not None and x.size > 1:
        keep = np.arange(x.size) != position
        rmse_others = errors(x[keep], recon[keep])[1]
    crushed = (recon == 0) & (x != 0)
    size = min(params.group_size or x.size, x.size)
    per_group = SCALE_BITS * (1 if params.scheme == "absmax" else 2)
    by_bits = [ByBits(bits=b, rmse=e[1], max_abs_error=e[0]) for b in ALL_BITS
               for e in [errors(x, quantize(x, b, params.scheme, params.group_size)[1])]]
    absmax = params.scheme == "absmax"
    return Result(
        source=params.source, scheme=params.scheme, bits=params.bits,
        scheme_label="absmax (symmetric)" if absmax else "min–max (asymmetric)",
        q_max=2 ** (params.bits - 1) - 1 if absmax else 2**params.bits - 1,
        values=x.tolist(), outlier_position=position,
        groups=[Group(start=a, stop=b, scale=s, minimum=m,
                      max_abs_error=errors(x[a:b], recon[a:b])[0]) for a, b, s, m in groups],
        codes=codes.tolist(), reconstruction=recon.tolist(), max_abs_error=max_err, rmse=rmse,
        rmse_others=rmse_others, crushed=int(crushed.sum()), crushed_flags=crushed.tolist(),
        bits_per_weight=params.bits + per_group / size, by_bits=by_bits, block=block,
    )


SPEC = WidgetSpec(
    name="quantize",
    title="Quantization explorer",
    summary="Round numbers to 8 or 4 bits with absmax or min–max scales, per group, and see "
            "the error, the damage one outlier does, and a real Q4_1 block of SmolLM2.",
    params=Params,
    result=Result,
    compute=compute,
    uses_model=True,
    needs_model=lambda p: p.source == "real",
)
