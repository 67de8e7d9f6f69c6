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

from app.engine.gguf_loader import q4_1_block_count, read_q4_1_block
from app.widgets.base import (
    WidgetInputError,
    WidgetParams,
    WidgetResult,
    WidgetSpec,
    parse_vector,
    ui,
)

MAX_VALUES = 64
ALL_BITS = range(2, 9)
SCALE_BITS = 16  # each group's scale (and minimum, for min–max) is stored as fp16
TENSORS = ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")


TYPED = {"source": ["vector"]}
REAL = {"source": ["real"]}
TENSOR_LABELS = {"attn_q": "attention query W_Q", "attn_k": "attention key W_K",
                 "attn_v": "attention value W_V", "attn_output": "attention output W_O",
                 "ffn_gate": "feed-forward gate", "ffn_up": "feed-forward up",
                 "ffn_down": "feed-forward down"}


class Params(WidgetParams):
    source: Literal["vector", "real"] = Field(
        "vector", description="'real': a SmolLM2 block",
        json_schema_extra=ui("Numbers to quantize", control="radio", choices={
            "vector": "the vector I type",
            "real": "a real Q4_1 block of SmolLM2-135M (32 weights)"}))
    vector: str = Field("0.42, -1.37, 0.08, 2.54, -0.61, 0.15, -0.03, 0.97", max_length=3000,
                        description=f"1–{MAX_VALUES} numbers, comma-separated",
                        json_schema_extra=ui("Vector", show_when=TYPED))
    tensor: Literal[TENSORS] = Field("attn_q", description="Which weight matrix (real block)",
                                     json_schema_extra=ui("Weight matrix", show_when=REAL,
                                                          choices=TENSOR_LABELS))
    layer: int = Field(1, ge=1, le=30, description="Layer, numbered from 1 (GGUF blk.0 = 1)",
                       json_schema_extra=ui("Layer", show_when=REAL))
    block: int = Field(0, ge=0, description="Block number in storage order (32 weights each; "
                                            "0 = the first 32 weights of row 0)",
                       json_schema_extra=ui("Block number", control="number", show_when=REAL))
    scheme: Literal["absmax", "minmax"] = Field(
        "absmax", description="absmax: x̂ = s·q, q in −q_max…q_max; min–max: x̂ = d·q + m, "
        "q in 0…2^b − 1", json_schema_extra=ui("Scheme", choices={
            "absmax": "absmax (symmetric)", "minmax": "min–max (asymmetric, like Q4_1)"}))
    bits: int = Field(8, ge=2, le=8, description="Bits per code (2–8)",
                      json_schema_extra=ui("Bits"))
    group_size: int = Field(0, ge=0, le=MAX_VALUES,
                            description="Numbers sharing one scale; 0 = all of them",
                            json_schema_extra=ui("Group size (0 = one scale for everything)",
                                                 slider=(0, 32)))
    outlier: bool = Field(False, description="Multiply one element by outlier_factor",
                          json_schema_extra=ui("Add an outlier: multiply one element"))
    outlier_index: int = Field(4, ge=1, le=MAX_VALUES, description="Element number, from 1",
                               json_schema_extra=ui("Outlier: element number",
                                                    control="number",
                                                    show_when={"outlier": [True]}))
    outlier_factor: float = Field(10.0, ge=-1000, le=1000, description="Multiplies that element",
                                  json_schema_extra=ui("Outlier: multiply by",
                                                       control="number",
                                                       show_when={"outlier": [True]}))


class Group(WidgetResult):
    start: int  # 0-based, inclusive
    stop: int  # exclusive
    scale: float  # s (absmax) or d (min–max)
    minimum: float | None  # m for min–max
    max_abs_error: float
    bound: float = 0.0  # half a step: scale / 2, the most rounding can move a value
    first: int = 0  # 1-based number of the group's first element


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
    last_column: int = 0  # first_column + 31
    top_value: float = 0.0  # code 15: m + 15·d
    half_step: float = 0.0  # d / 2


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
    errors: list[float] = []  # x̂ − x per element
    rmse_max: float = 0.0  # the largest RMS error over by_bits: the chart's scale
    bits_labels: list[str] = []  # "2 bits" … "8 bits", for the chart
    rmse_percent: list[float] = []  # by_bits' RMS errors in % of the numbers' RMS size
    bits_index: int = 0  # position of the chosen bit width in by_bits


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


def read_block(models, tensor: str, layer: int, index: int) -> Block:
    """One stored Q4_1 block of layer ``layer``'s ``tensor``, decoded by the engine's reader
    from the GGUF index ``models`` keeps (its first use parses the file: it queues for a
    model slot like a model load). ``index`` counts blocks row by row, ``n_in / 32``
    blocks per row."""
    name = f"blk.{layer - 1}.{tensor}.weight"
    tensors = models.gguf_tensors()
    t = tensors.get(name)
    if t is None or t.tensor_type != GGMLQuantizationType.Q4_1:
        raise WidgetInputError(f"layer: no Q4_1 tensor {name} in the model")
    n_blocks = q4_1_block_count(t)
    if not 0 <= index < n_blocks:
        raise WidgetInputError(f"block: choose 0–{n_blocks - 1} ({name} has {n_blocks:,} "
                               "blocks of 32 weights)")
    block = read_q4_1_block(tensors, name, index)
    return Block(gguf_name=name, layer=layer, block_index=index, n_blocks=n_blocks,
                 row=block["row"], first_column=block["first_column"], d=block["d"],
                 m=block["m"], codes=block["codes"], values=block["values"],
                 last_column=block["first_column"] + 31, top_value=block["m"] + 15 * block["d"],
                 half_step=block["d"] / 2)


def errors(x: np.ndarray, recon: np.ndarray) -> tuple[float, float]:
    """(largest |x − x̂|, root-mean-square error)."""
    err = recon - x
    return float(np.max(np.abs(err))), float(np.sqrt(np.mean(err * err)))


def compute(params: Params, models=None) -> Result:
    """``models`` (:class:`app.engine.Models`) is needed for a real block only: it keeps
    the GGUF file's index the block is read from (not the loaded model)."""
    block = None
    if params.source == "real":
        block = read_block(models, params.tensor, params.layer, params.block)
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
    size_rms = float(np.sqrt(np.mean(x * x)))
    return Result(
        source=params.source, scheme=params.scheme, bits=params.bits,
        scheme_label="absmax (symmetric)" if absmax else "min–max (asymmetric)",
        q_max=2 ** (params.bits - 1) - 1 if absmax else 2**params.bits - 1,
        values=x.tolist(), outlier_position=position,
        groups=[Group(start=a, stop=b, scale=s, minimum=m,
                      max_abs_error=errors(x[a:b], recon[a:b])[0], bound=s / 2,
                      first=a + 1)
                for a, b, s, m in groups],
        codes=codes.tolist(), reconstruction=recon.tolist(), max_abs_error=max_err, rmse=rmse,
        rmse_others=rmse_others, crushed=int(crushed.sum()), crushed_flags=crushed.tolist(),
        bits_per_weight=params.bits + per_group / size, by_bits=by_bits, block=block,
        errors=(recon - x).tolist(), rmse_max=max(r.rmse for r in by_bits),
        bits_labels=[f"{b} bits" for b in ALL_BITS],
        rmse_percent=[100 * r.rmse / size_rms if size_rms else 0.0 for r in by_bits],
        bits_index=list(ALL_BITS).index(params.bits),
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
