"""Parameter count of a decoder-only transformer from its configuration, by part.

Two block styles: ``gpt`` (GPT-2/GPT-3: learned positions, LayerNorm with bias, biased
projections, a 2-matrix GELU MLP) and ``llama`` (Llama/SmolLM2: RoPE so no position
table, RMSNorm, no biases, a 3-matrix SwiGLU MLP, optional grouped-query K/V heads).
"""

from typing import Literal

from pydantic import Field

from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec

# Published configurations. ``paper_total`` is the total as the source states it.
PRESETS: dict[str, dict] = {
    "gpt2-small": dict(style="gpt", vocab=50257, context=1024, d_model=768, layers=12,
                       heads=12, kv_heads=12, d_ff=3072, tied=True,
                       source="Radford et al. 2019 (GPT-2); released as 124M",
                       paper_total="124M"),
    "gpt3-175b": dict(style="gpt", vocab=50257, context=2048, d_model=12288, layers=96,
                      heads=96, kv_heads=96, d_ff=49152, tied=True,
                      source="Brown et al. 2020, Table 2.1", paper_total="175.0B"),
    "llama2-7b": dict(style="llama", vocab=32000, context=4096, d_model=4096, layers=32,
                      heads=32, kv_heads=32, d_ff=11008, tied=False,
                      source="Touvron et al. 2023 (Llama 2)", paper_total="7B"),
    "smollm2-135m": dict(style="llama", vocab=49152, context=8192, d_model=576, layers=30,
                         heads=9, kv_heads=3, d_ff=1536, tied=True,
                         source="SmolLM2-135M GGUF metadata", paper_total="135M"),
}


class Params(WidgetParams):
    preset: Literal["custom", "gpt2-small", "gpt3-175b", "llama2-7b", "smollm2-135m"] = Field(
        "custom", description="A published configuration; overrides the other fields")
    style: Literal["gpt", "llama"] = "gpt"
    vocab: int = Field(50257, ge=1, le=1_000_000)
    context: int = Field(1024, ge=1, le=10_000_000, description="Only used for learned positions")
    d_model: int = Field(768, ge=1, le=65536)
    layers: int = Field(12, ge=1, le=1000)
    heads: int = Field(12, ge=1, le=1024)
    kv_heads: int = Field(12, ge=1, le=1024, description="Key/value heads (GQA); llama style")
    d_ff: int = Field(3072, ge=1, le=1_000_000)
    tied: bool = Field(True, description="Output head shares the token embedding matrix")


class Part(WidgetResult):
    name: str
    params: int
    share: float


class Result(WidgetResult):
    config: dict
    parts: list[Part]
    per_layer: int
    total: int
    total_label: str
    approx_12ld2: int
    source: str | None
    paper_total: str | None


def humanize(n: int) -> str:
    """124439808 -> '124.4M'."""
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)


def count(style: str, vocab: int, context: int, d_model: int, layers: int, heads: int,
          kv_heads: int, d_ff: int, tied: bool) -> dict[str, int]:
    """Parameters by part; every weight matrix and bias counted once."""
    d = d_model
    if style == "gpt":
        attention = (d * 3 * d + 3 * d) + (d * d + d)  # fused QKV and output, with biases
        mlp = (d * d_ff + d_ff) + (d_ff * d + d)
        norms = 2 * 2 * d  # two LayerNorms, gain and bias
        positions, final_norm = context * d, 2 * d
    else:
        head_dim = d // heads
        attention = 2 * d * d + 2 * d * kv_heads * head_dim  # W_Q, W_O; W_K, W_V (GQA)
        mlp = 3 * d * d_ff  # gate, up, down (SwiGLU)
        norms = 2 * d  # two RMSNorm gains
        positions, final_norm = 0, d
    parts = {
        "token embeddings": vocab * d,
        "position embeddings": positions,
        "attention (all layers)": layers * attention,
        "feed-forward (all layers)": layers * mlp,
        "norms": layers * norms + final_norm,
        "output head": 0 if tied else vocab * d,
    }
    parts["_per_layer"] = attention + mlp + norms
    return parts


def compute(params: Params) -> Result:
    config = params.model_dump(exclude={"preset"})
    source = paper_total = None
    if params.preset != "custom":
        preset = dict(PRESETS[params.preset])
        source, paper_total = preset.pop("source"), preset.pop("paper_total")
        config = preset
    if config["d_model"] % config["heads"]:
        raise WidgetInputError(f"heads ({config['heads']}) must divide d_model "
                               f"({config['d_model']}) exactly")
    if config["style"] == "llama" and config["heads"] % config["kv_heads"]:
        raise WidgetInputError(f"kv_heads ({config['kv_heads']}) must divide heads "
                               f"({config['heads']}) exactly")
    parts = count(**config)
    per_layer = parts.pop("_per_layer")
    total = sum(parts.values())
    return Result(
        config=config,
        parts=[Part(name=k, params=v, share=round(v / total, 6)) for k, v in parts.items()],
        per_layer=per_layer, total=total, total_label=humanize(total),
        approx_12ld2=12 * config["layers"] * config["d_model"] ** 2,
        source=source, paper_total=paper_total,
    )


SPEC = WidgetSpec(
    name="param-count",
    title="Parameter counter",
    summary="Count a decoder-only model's parameters from its config, part by part.",
    params=Params,
    result=Result,
    compute=compute,
)
