"""Sinusoidal positional encoding (Vaswani et al. 2017): the matrix, and dot products
that depend only on the distance between positions."""

import base64
import struct
import zlib

import numpy as np
from pydantic import Field

from app.widgets._lineplot import LinePlot, line_plot
from app.widgets.base import (
    WidgetInputError,
    WidgetParams,
    WidgetResult,
    WidgetSpec,
    rounded,
    ui,
)

MAX_LEN = 128
MAX_D = 128
BASE = 10000.0


class Params(WidgetParams):
    length: int = Field(48, ge=1, le=MAX_LEN, description="Positions 0…length−1 (1–128)",
                        json_schema_extra=ui("Positions"))
    d_model: int = Field(64, ge=2, le=MAX_D, description="Encoding width, even (2–128)",
                         json_schema_extra=ui("d_model (even)", step=2))
    p1: int = Field(5, ge=0, le=MAX_LEN - 1, description="First position to compare",
                    json_schema_extra=ui("Position p₁"))
    p2: int = Field(12, ge=0, le=MAX_LEN - 1, description="Second position to compare",
                    json_schema_extra=ui("Position p₂"))


class Result(WidgetResult):
    matrix: list[list[float]]  # (length, d_model): PE[pos, 2i] = sin, PE[pos, 2i+1] = cos
    heatmap_png: str  # base64 PNG of the matrix, one pixel per entry: red +, blue −, clear 0
    wavelengths: list[float]  # (d_model/2,) 2π·10000^{2i/d} positions per cycle of pair i
    dot: float  # PE(p1)·PE(p2)
    norm: float  # ‖PE(p)‖ = √(d_model/2) for every p
    distance_dots: list[float]  # PE(p1)·PE(p1+k) for k = 0…length−1; = Σ_i cos(k ω_i)
    distance: int  # |p2 − p1|
    cosine: float  # PE(p1)·PE(p2) / ‖PE‖², the cosine similarity
    distance_plot: LinePlot  # distance_dots against k, with PE(p1)·PE(p2) marked


def encoding(positions: np.ndarray, d_model: int) -> np.ndarray:
    """PE(pos, 2i) = sin(pos/10000^{2i/d}), PE(pos, 2i+1) = cos(…); (n, d_model)."""
    i = np.arange(d_model // 2)
    omega = 1.0 / BASE ** (2 * i / d_model)  # (d/2,) radians per position
    angles = positions[:, None].astype(float) * omega[None, :]
    pe = np.empty((len(positions), d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe


def png_rgba(matrix: np.ndarray) -> str:
    """Values in [−1, 1] to a base64 RGBA PNG: red for +, blue for −, opacity |v|, so the
    page background shows through at 0 in light and dark themes alike."""
    v = np.clip(matrix, -1, 1)
    h, w = v.shape
    rgba = np.zeros((h, w, 4), dtype=np.uint8)
    rgba[..., 0] = np.where(v > 0, 220, 37)
    rgba[..., 1] = np.where(v > 0, 38, 99)
    rgba[..., 2] = np.where(v > 0, 38, 235)
    rgba[..., 3] = np.round(np.abs(v) * 255).astype(np.uint8)
    raw = b"".join(b"\x00" + rgba[row].tobytes() for row in range(h))  # filter 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    return base64.b64encode(png).decode("ascii")


def compute(params: Params) -> Result:
    """The (length, d_model) encoding, one pair's dot product, and the dot product as a
    function of distance k from p1 (positions past the matrix are computed the same way)."""
    if params.d_model % 2:
        raise WidgetInputError(f"d_model must be even (sin/cos pairs), got {params.d_model}")
    for name, p in (("p1", params.p1), ("p2", params.p2)):
        if p >= params.length:
            raise WidgetInputError(f"{name} = {p} is past the last position ({params.length - 1})")
    pe = encoding(np.arange(params.length), params.d_model)
    shifted = encoding(params.p1 + np.arange(params.length), params.d_model)
    i = np.arange(params.d_model // 2)
    dot = float(pe[params.p1] @ pe[params.p2])
    norm = float(np.linalg.norm(pe[0]))
    dists = shifted @ pe[params.p1]
    k = params.p2 - params.p1
    plot = line_plot(
        list(range(params.length)),
        [{"key": "dots", "label": "PE(p₁)·PE(p₁+k)", "cls": "lp-c1", "y": dists.tolist()}],
        title=f"Dot product PE(p₁)·PE(p₁+k) for distance k from 0 to {params.length - 1}",
        desc=f"Starts at d/2 = {dists[0]:.0f} at k = 0 and falls with distance; "
             f"at k = {abs(k)} it is {dot:.3f}.",
        x_label="distance k (positions)", y_label="dot product",
        markers=[(f"p₂ − p₁ = {k}: {dot:.3f}", "lp-c3", k, dot)],
        y_range=(min(float(dists.min()), 0.0) - 0.04 * float(dists[0]),
                 float(dists[0]) * 1.04),
        x_range=(0, max(params.length - 1, 1)))
    return Result(
        matrix=rounded(pe, 6), heatmap_png=png_rgba(pe),
        wavelengths=rounded(2 * np.pi * BASE ** (2 * i / params.d_model), 6),
        dot=round(dot, 9), norm=round(norm, 9), distance_dots=rounded(dists, 9),
        distance=abs(k), cosine=round(dot / norm**2, 9), distance_plot=plot,
    )


SPEC = WidgetSpec(
    name="positional",
    title="Sinusoidal positional encoding",
    summary="See the sine/cosine position code as a heatmap, and how the dot product of two "
            "positions depends only on their distance.",
    params=Params,
    result=Result,
    compute=compute,
)
