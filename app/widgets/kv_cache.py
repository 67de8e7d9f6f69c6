"""KV-cache memory: how many bytes the keys and values of every past token occupy."""

from typing import ClassVar, Literal

from pydantic import Field

from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec, ui

GIB = 2**30
# Bits per stored number; int4 packs two values in a byte.
BITS = {"fp32": 32, "fp16": 16, "bf16": 16, "fp8": 8, "int8": 8, "int4": 4}

# Published architectures (config.json / papers). Only the shape fields a preset fills.
PRESETS = {
    "llama3-8b": ("Llama 3 8B", {"layers": 32, "d_model": 4096, "heads": 32, "kv_heads": 8}),
    "llama3-70b": ("Llama 3 70B", {"layers": 80, "d_model": 8192, "heads": 64, "kv_heads": 8}),
    "mistral-7b": ("Mistral 7B", {"layers": 32, "d_model": 4096, "heads": 32, "kv_heads": 8}),
    "gpt3-175b": ("GPT-3 175B (MHA)",
                  {"layers": 96, "d_model": 12288, "heads": 96, "kv_heads": 96}),
    "smollm2-135m": ("SmolLM2-135M", {"layers": 30, "d_model": 576, "heads": 9, "kv_heads": 3}),
    # DeepSeek-V3 (arXiv 2412.19437): 61 layers, 128 heads of 128; MLA caches a 512-number
    # latent plus a 64-number decoupled RoPE key per token and layer. Its model width is
    # 7,168, but its heads are 128 wide, so "width" here is the attention width 128 × 128:
    # the MHA bar is what full multi-head attention with those heads would cache.
    "deepseek-v3": ("DeepSeek-V3 (MLA; attention width 128 × 128)",
                    {"layers": 61, "d_model": 16384, "heads": 128, "kv_heads": 128,
                     "latent_dim": 576}),
}


class Params(WidgetParams):
    PRESETS: ClassVar[dict] = PRESETS

    layers: int = Field(32, ge=1, le=1000, description="Transformer blocks (1–1000)",
                        json_schema_extra=ui("Layers", control="number"))
    d_model: int = Field(4096, ge=1, le=65536, description="Model width (1–65536)",
                         json_schema_extra=ui("Model width d_model", control="number"))
    heads: int = Field(32, ge=1, le=1024, description="Query heads; must divide d_model",
                       json_schema_extra=ui("Query heads", control="number"))
    kv_heads: int = Field(8, ge=1, le=1024,
                          description="Key/value heads; must divide heads (= heads: MHA, 1: MQA)",
                          json_schema_extra=ui("KV heads (GQA)", control="number"))
    seq_len: int = Field(131072, ge=1, le=10_000_000, description="Cached tokens per sequence",
                         json_schema_extra=ui("Context length (tokens)", control="number"))
    batch: int = Field(1, ge=1, le=4096, description="Sequences cached at once",
                       json_schema_extra=ui("Batch (sequences)", control="number"))
    latent_dim: int = Field(0, ge=0, le=65536, description=(
        "Multi-head latent attention (DeepSeek-V2/V3): numbers cached per token and layer, "
        "shared by keys and values (512 latent + 64 RoPE = 576). 0: no MLA"),
        json_schema_extra=ui("MLA latent per token (0 = off)", control="number"))
    dtype: Literal["fp32", "fp16", "bf16", "fp8", "int8", "int4"] = Field(
        "fp16", description="Storage type: fp32 4 B, fp16/bf16 2 B, fp8/int8 1 B, int4 0.5 B",
        json_schema_extra=ui("Stored as", choices={
            "fp32": "fp32 (4 bytes)", "fp16": "fp16 (2 bytes)", "bf16": "bf16 (2 bytes)",
            "fp8": "fp8 (1 byte)", "int8": "int8 (1 byte)", "int4": "int4 (½ byte)"}))


class Variant(WidgetResult):
    kv_heads: int
    bytes: int
    gib: float


class Result(WidgetResult):
    bytes: int
    gib: float
    per_token_bytes: int
    head_dim: int
    variants: dict[str, Variant]  # mha, gqa, mqa, and mla when latent_dim > 0
    bytes_per_value: str  # "4", "2", "1" or "½", as the formula line shows it
    mla: bool  # the headline figures are MLA's (latent_dim > 0)
    chart_labels: list[str]
    chart_gib: list[float]
    chart_highlight: int


def cache_bytes(layers: int, kv_heads: int, head_dim: int, tokens: int, bits: int) -> int:
    """2 (K and V) · layers · kv_heads · head_dim · tokens · bits/8, exact in integers."""
    return 2 * layers * kv_heads * head_dim * tokens * bits // 8


def compute(params: Params) -> Result:
    """Bytes of the cache for ``batch`` sequences of ``seq_len`` tokens, and MHA/GQA/MQA."""
    if params.d_model % params.heads:
        raise WidgetInputError(
            f"heads ({params.heads}) must divide d_model ({params.d_model}) exactly")
    if params.kv_heads > params.heads or params.heads % params.kv_heads:
        raise WidgetInputError(
            f"kv_heads ({params.kv_heads}) must divide heads ({params.heads}) exactly")
    head_dim = params.d_model // params.heads
    bits = BITS[params.dtype]
    tokens = params.seq_len * params.batch

    def variant(kv: int) -> Variant:
        n = cache_bytes(params.layers, kv, head_dim, tokens, bits)
        return Variant(kv_heads=kv, bytes=n, gib=n / GIB)

    variants = {"mha": variant(params.heads), "gqa": variant(params.kv_heads), "mqa": variant(1)}
    if params.latent_dim:
        # One latent vector per token and layer replaces both K and V: no factor 2.
        n = params.layers * params.latent_dim * tokens * bits // 8
        variants["mla"] = Variant(kv_heads=0, bytes=n, gib=n / GIB)
    mla = params.latent_dim > 0
    total = variants["mla" if mla else "gqa"].bytes
    per_token = (params.layers * params.latent_dim * bits // 8 if mla
                 else cache_bytes(params.layers, params.kv_heads, head_dim, 1, bits))
    labels = [f"MHA ({params.heads} KV)", f"GQA ({params.kv_heads} KV)", "MQA (1 KV)"]
    gibs = [variants[k].gib for k in ("mha", "gqa", "mqa")]
    if mla:
        labels.append(f"MLA ({params.latent_dim}/token)")
        gibs.append(variants["mla"].gib)
    return Result(bytes=total, gib=total / GIB, per_token_bytes=per_token,
                  head_dim=head_dim, variants=variants,
                  bytes_per_value="½" if bits == 4 else str(bits // 8), mla=mla,
                  chart_labels=labels, chart_gib=gibs, chart_highlight=3 if mla else 1)


SPEC = WidgetSpec(
    name="kv-cache",
    title="KV-cache memory",
    summary="How much memory the cached keys and values take, and how GQA and MQA shrink it.",
    params=Params,
    result=Result,
    compute=compute,
    presets=PRESETS,
)
