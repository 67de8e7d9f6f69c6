"""Memory per GPU for training Ψ parameters with Adam, under ZeRO stages 0–3.

Model state per parameter (Rajbhandari et al. 2019): mixed precision keeps 2 bytes of
16-bit weights, 2 of 16-bit gradients and 12 of optimizer state (fp32 master weights,
momentum and variance, 4 each) = 16; fp32 training keeps 4 + 4 + 8 = 16. Over N_d GPUs,
stage 1 divides the optimizer state by N_d, stage 2 also the gradients, stage 3 also the
weights. Activations per layer (Korthikanti et al. 2022, 16-bit, no tensor parallelism):
s·b·h·(34 + 5·a·s/h) bytes; 34·s·b·h with selective and 2·s·b·h with full recomputation.
"""

from typing import ClassVar, Literal

from pydantic import Field

from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec, ui

GB = 1e9  # decimal gigabytes, as in the ZeRO paper's figures
# Published models for the page's picker (it fills the form's fields in the browser).
PRESETS = {
    "llama2-7b": ("Llama 2 7B (Touvron et al. 2023)", {
        "params_b": 6.738415616, "layers": 32, "hidden": 4096, "heads": 32, "seq_len": 4096}),
    "gpt3-175b": ("GPT-3 175B (Brown et al. 2020)", {
        "params_b": 175, "layers": 96, "hidden": 12288, "heads": 96, "seq_len": 2048}),
    "smollm2-135m": ("SmolLM2-135M", {
        "params_b": 0.134515008, "layers": 30, "hidden": 576, "heads": 9, "seq_len": 2048}),
    "zero-7.5b": ("ZeRO paper's example: 7.5B parameters (shape assumed)", {
        "params_b": 7.5, "layers": 32, "hidden": 4096, "heads": 32, "seq_len": 2048}),
}
BYTES = {"fp16": (2, 2, 12), "bf16": (2, 2, 12), "fp32": (4, 4, 8)}  # weights, grads, Adam
NOTES = {
    "fp16": "16-bit weights and gradients; fp32 master weights, momentum and variance",
    "bf16": "bf16 has the same 2 bytes as fp16, with fp32's range; the totals do not change",
    "fp32": "fp32 weights and gradients; Adam's momentum and variance, no extra master copy",
}


class Params(WidgetParams):
    PRESETS: ClassVar[dict] = PRESETS

    params_b: float = Field(7.5, ge=1e-6, le=10_000, description="Parameters Ψ, in billions",
                            json_schema_extra=ui("Parameters Ψ (billions)", control="number"))
    gpus: int = Field(64, ge=1, le=100_000, description="Data-parallel GPUs N_d",
                      json_schema_extra=ui("GPUs (data-parallel) N_d", control="number"))
    stage: int = Field(0, ge=0, le=3, description=(
        "ZeRO stage shown in the breakdown: 0 plain data parallelism, 1 shards optimizer "
        "states, 2 also gradients, 3 also weights"),
        json_schema_extra=ui("ZeRO stage (for the breakdown)"))
    precision: Literal["fp16", "bf16", "fp32"] = Field(
        "fp16", description="fp16/bf16: mixed precision with fp32 master weights",
        json_schema_extra=ui("Precision", choices={
            "fp16": "Mixed, fp16 + fp32 master weights",
            "bf16": "Mixed, bf16 + fp32 master weights", "fp32": "fp32 throughout"}))
    gpu_memory_gb: float = Field(80.0, ge=1, le=10_000, description="Memory of one GPU, GB",
                                 json_schema_extra=ui("GPU memory (GB)", control="number"))
    layers: int = Field(32, ge=1, le=1000, description="Transformer layers L (for activations)",
                        json_schema_extra=ui("Layers L", control="number"))
    hidden: int = Field(4096, ge=1, le=131_072, description="Hidden size h",
                        json_schema_extra=ui("Hidden size h", control="number"))
    heads: int = Field(32, ge=1, le=1024, description="Attention heads a (must divide h)",
                       json_schema_extra=ui("Attention heads a", control="number"))
    seq_len: int = Field(2048, ge=1, le=1_048_576, description="Sequence length s, tokens",
                         json_schema_extra=ui("Sequence length s", control="number"))
    micro_batch: int = Field(1, ge=1, le=4096, description="Sequences per GPU per step, b",
                             json_schema_extra=ui("Micro-batch b (sequences per GPU)",
                                                  control="number"))
    recompute: Literal["none", "selective", "full"] = Field(
        "none", description="Activation recomputation",
        json_schema_extra=ui("Recomputation", choices={
            "none": "None: keep every activation",
            "selective": "Selective: recompute attention scores",
            "full": "Full: keep only each layer's input"}))


class Stage(WidgetResult):
    stage: int
    formula: str  # bytes per GPU in units of Ψ
    weights: float  # bytes per GPU
    gradients: float
    optimizer: float
    model_state: float
    total: float  # model state + activations
    fits: bool  # total ≤ GPU memory
    texts: dict[str, str] = {}  # weights, gradients, optimizer, model_state, total as "1.2 GB"


class Result(WidgetResult):
    params: int
    gpus: int
    stage: int
    precision: str
    precision_note: str
    bytes_weights: int  # per parameter
    bytes_grads: int
    bytes_optimizer: int
    gpu_memory_gb: float
    layers: int
    hidden: int
    heads: int
    seq_len: int
    micro_batch: int
    recompute: str
    activation_formula: str
    activations: float  # bytes per GPU
    stages: list[Stage]  # ZeRO 0, 1, 2, 3
    bytes_per_param: int = 0  # weights + gradients + optimizer
    activations_text: str = ""
    gpu_memory_text: str = ""  # "80"
    stage_labels: list[str] = []  # "ZeRO 0" … for the chart
    stage_totals_gb: list[float] = []  # model state + activations per stage, GB
    totals_max_gb: float = 0.0  # the chart's scale: the largest total or the GPU's memory
    parts_gb: list[float] = []  # weights, gradients, optimizer, activations of the shown stage
    parts_max_gb: float = 0.0


def gb_text(x: float) -> str:
    """Bytes as the table shows them: TB from 10¹², GB with 1 decimal from 10⁸, else 3."""
    if x >= 1e12:
        return f"{x / 1e12:,.2f} TB"
    if x >= 1e8:
        return f"{x / 1e9:,.1f} GB"
    return f"{x / 1e9:,.3f} GB"


def activation_bytes(layers: int, hidden: int, heads: int, seq_len: int, micro_batch: int,
                     recompute: str) -> float:
    """Bytes of stored activations for L layers, 16-bit (Korthikanti et al. 2022, eq. 1)."""
    sbh = float(seq_len) * micro_batch * hidden
    per_layer = {"none": sbh * (34 + 5 * heads * seq_len / hidden),
                 "selective": 34 * sbh, "full": 2 * sbh}[recompute]
    return layers * per_layer


def zero_stage(stage: int, params: int, gpus: int, k_w: int, k_g: int, k_os: int
               ) -> tuple[float, float, float, str]:
    """(weights, gradients, optimizer) bytes per GPU and the formula in units of Ψ."""
    w, g, o = float(k_w * params), float(k_g * params), float(k_os * params)
    if stage >= 1:
        o /= gpus
    if stage >= 2:
        g /= gpus
    if stage >= 3:
        w /= gpus
    formulas = [f"{k_w + k_g + k_os}Ψ", f"({k_w + k_g} + {k_os}/N)Ψ",
                f"({k_w} + {k_g + k_os}/N)Ψ", f"{k_w + k_g + k_os}Ψ/N"]
    return w, g, o, formulas[stage]


def compute(params: Params) -> Result:
    n_params = round(params.params_b * 1e9)
    layers, hidden, heads, seq_len = params.layers, params.hidden, params.heads, params.seq_len
    if hidden % heads:
        raise WidgetInputError(f"heads ({heads}) must divide the hidden size ({hidden}) exactly")
    k_w, k_g, k_os = BYTES[params.precision]
    activations = activation_bytes(layers, hidden, heads, seq_len, params.micro_batch,
                                   params.recompute)
    if params.precision == "fp32":
        activations *= 2  # the published formula counts 16-bit activations; rough doubling
    budget = params.gpu_memory_gb * GB
    stages = []
    for stage in range(4):
        w, g, o, formula = zero_stage(stage, n_params, params.gpus, k_w, k_g, k_os)
        state = w + g + o
        stages.append(Stage(stage=stage, formula=formula, weights=w, gradients=g, optimizer=o,
                            model_state=state, total=state + activations,
                            fits=state + activations <= budget,
                            texts={k: gb_text(v) for k, v in (
                                ("weights", w), ("gradients", g), ("optimizer", o),
                                ("model_state", state), ("total", state + activations))}))
    shown = stages[params.stage]
    parts = [shown.weights / GB, shown.gradients / GB, shown.optimizer / GB, activations / GB]
    formula = {"none": "s·b·h·(34 + 5·a·s/h)", "selective": "34·s·b·h",
               "full": "2·s·b·h"}[params.recompute]
    return Result(
        params=n_params, gpus=params.gpus, stage=params.stage, precision=params.precision,
        precision_note=NOTES[params.precision], bytes_weights=k_w, bytes_grads=k_g,
        bytes_optimizer=k_os, gpu_memory_gb=params.gpu_memory_gb, layers=layers,
        hidden=hidden, heads=heads, seq_len=seq_len, micro_batch=params.micro_batch,
        recompute=params.recompute,
        activation_formula=formula + (" × 2 (fp32)" if params.precision == "fp32" else ""),
        activations=activations, stages=stages, bytes_per_param=k_w + k_g + k_os,
        activations_text=gb_text(activations), gpu_memory_text=f"{params.gpu_memory_gb:g}",
        stage_labels=[f"ZeRO {st.stage}" for st in stages],
        stage_totals_gb=[st.total / GB for st in stages],
        totals_max_gb=max(max(st.total for st in stages), budget) / GB,
        parts_gb=parts, parts_max_gb=max(max(parts), 1e-12))


SPEC = WidgetSpec(
    name="training-memory",
    title="Training memory per GPU",
    summary="Add up weights, gradients, Adam states and activations per GPU under ZeRO 0–3.",
    params=Params,
    result=Result,
    compute=compute,
    presets=PRESETS,
)
