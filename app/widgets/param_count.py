"""Parameter count of a decoder-only transformer from its configuration, by part.

Two block styles: ``gpt`` (GPT-2/GPT-3: learned positions, LayerNorm with bias, biased
projections, a 2-matrix GELU MLP) and ``llama`` (Llama/SmolLM2: RoPE so no position
table, RMSNorm, no biases, a 3-matrix SwiGLU MLP, optional grouped-query K/V heads).
"""

from typing import Literal

from pydantic import Field

from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec, ui

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


NAMES = {"gpt2-small": "GPT-2 small", "gpt3-175b": "GPT-3 175B", "llama2-7b": "Llama 2 7B",
         "smollm2-135m": "SmolLM2-135M"}
CONFIG_FIELDS = ("style", "vocab", "context", "d_model", "layers", "heads", "kv_heads", "d_ff",
                 "tied")
CUSTOM = {"preset": ["custom"]}

# The shell's "Published model" picker: it fills every field (and switches to custom, so
# the fields apply), after which each edit takes effect.
PICKER = {key: (NAMES[key], {"preset": "custom",
                             **{f: PRESETS[key][f] for f in CONFIG_FIELDS}})
          for key in PRESETS}


class Params(WidgetParams):
    preset: Literal["custom", "gpt2-small", "gpt3-175b", "llama2-7b", "smollm2-135m"] = Field(
        "custom", description="A published configuration as its source states it (the fields "
        "below are then ignored), or custom: the fields below",
        json_schema_extra=ui("Configuration", control="hidden"))
    style: Literal["gpt", "llama"] = Field("gpt", description=(
        "gpt: learned positions, LayerNorm with bias, biased projections, 2-matrix GELU MLP; "
        "llama: RoPE, RMSNorm, no biases, 3-matrix SwiGLU MLP, grouped K/V heads"),
        json_schema_extra=ui("Block style", show_when=CUSTOM, choices={
            "gpt": "GPT (LayerNorm, GELU MLP, biases, learned positions)",
            "llama": "Llama (RMSNorm, SwiGLU, no biases, RoPE, GQA)"}))
    vocab: int = Field(50257, ge=1, le=1_000_000, description="Tokens in the vocabulary",
                       json_schema_extra=ui("Vocabulary", control="number", show_when=CUSTOM))
    context: int = Field(1024, ge=1, le=10_000_000, description=(
        "Rows of the learned position table (GPT style only)"),
        json_schema_extra=ui("Context length", control="number",
                             show_when={**CUSTOM, "style": ["gpt"]}))
    d_model: int = Field(768, ge=1, le=65536, description="Model width",
                         json_schema_extra=ui("Model width d_model", control="number",
                                              show_when=CUSTOM))
    layers: int = Field(12, ge=1, le=1000, description="Transformer blocks",
                        json_schema_extra=ui("Layers", control="number", show_when=CUSTOM))
    heads: int = Field(12, ge=1, le=1024, description="Query heads; must divide d_model",
                       json_schema_extra=ui("Heads", control="number", show_when=CUSTOM))
    kv_heads: int = Field(12, ge=1, le=1024, description=(
        "Key/value heads (GQA, Llama style); must divide heads"),
        json_schema_extra=ui("K/V heads", control="number",
                             show_when={**CUSTOM, "style": ["llama"]}))
    d_ff: int = Field(3072, ge=1, le=1_000_000, description="Hidden width of the MLP",
                      json_schema_extra=ui("MLP width d_ff", control="number", show_when=CUSTOM))
    tied: bool = Field(True, description="Output head shares the token embedding matrix",
                       json_schema_extra=ui("Tied embeddings: the output head reuses the "
                                            "token embedding matrix", show_when=CUSTOM))


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
    preset_name: str | None = None  # "SmolLM2-135M" when a published preset is shown
    total_text: str = ""  # "124,439,808"
    blocks: int = 0  # attention + feed-forward + norms: what 12·L·d² approximates
    approx_ratio: float = 0.0  # approx_12ld2 / blocks
    max_share: float = 0.0  # the largest part's share: the bars' scale
    bar_labels: list[str] = []  # short part names for the chart
    bar_percent: list[float] = []  # each part's share in %


# Chart labels short enough for the bar chart's label column on a 360 px phone.
SHORT = {"token embeddings": "tok. embed", "position embeddings": "pos. embed",
         "attention (all layers)": "attention", "feed-forward (all layers)": "MLP",
         "norms": "norms", "output head": "output"}


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
    blocks = sum(v for k, v in parts.items() if "all layers" in k or k == "norms")
    approx = 12 * config["layers"] * config["d_model"] ** 2
    return Result(
        config=config,
        parts=[Part(name=k, params=v, share=round(v / total, 6)) for k, v in parts.items()],
        per_layer=per_layer, total=total, total_label=humanize(total),
        approx_12ld2=approx,
        source=source, paper_total=paper_total,
        preset_name=NAMES.get(params.preset), total_text=f"{total:,}", blocks=blocks,
        approx_ratio=round(approx / blocks, 6) if blocks else 0.0,
        max_share=max(v for v in parts.values()) / total,
        bar_labels=[SHORT[k] for k in parts],
        bar_percent=[round(100 * v / total, 4) for v in parts.values()],
    )


SPEC = WidgetSpec(
    name="param-count",
    title="Parameter counter",
    summary="Count a decoder-only model's parameters from its config, part by part.",
    params=Params,
    result=Result,
    compute=compute,
    presets=PICKER,
)
