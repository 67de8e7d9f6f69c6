"""LoRA (Hu et al. 2021): trainable parameters versus full fine-tuning.

An adapter on a frozen d_in × d_out matrix W₀ learns ΔW = B·A with B (d_out × r) and
A (r × d_in): r·(d_in + d_out) parameters instead of d_in·d_out. Summed over the chosen
matrices and every layer. Model shapes and totals come from the parameter counter's
published configurations (:mod:`app.widgets.param_count`).
"""

from typing import Literal

from pydantic import Field

from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec, ui
from app.widgets.param_count import PRESETS, count

MAX_RANK = 1024
MATRICES = {  # name: label
    "q": "W_Q (query)", "k": "W_K (key)", "v": "W_V (value)", "o": "W_O (attention output)",
    "gate": "MLP gate", "up": "MLP up", "down": "MLP down",
}
SHORT = {"q": "W_Q", "k": "W_K", "v": "W_V", "o": "W_O", "gate": "MLP gate", "up": "MLP up",
         "down": "MLP down"}
BYTES_FP16 = 2
BYTES_TRAINING = 16  # weights, gradients, Adam momentum and variance (mixed precision)


MODEL_LABELS = {"llama2-7b": "Llama 2 7B: 32 layers, d = 4096, MLP 11,008",
                "gpt3-175b": "GPT-3 175B: 96 layers, d = 12,288",
                "smollm2-135m": "SmolLM2-135M: 30 layers, d = 576, grouped K/V",
                "gpt2-small": "GPT-2 small: 12 layers, d = 768"}
MAX_ITEMS = len(MATRICES) + 1  # repeated or comma-separated matrix names
MAX_NAME = 20


class Params(WidgetParams):
    model: Literal["llama2-7b", "gpt3-175b", "smollm2-135m", "gpt2-small"] = Field(
        "llama2-7b", description="A published configuration",
        json_schema_extra=ui("Model", choices=MODEL_LABELS))
    rank: int = Field(8, ge=1, le=MAX_RANK, description="LoRA rank r",
                      json_schema_extra=ui("Rank r", slider=(1, 64)))
    matrices: list[str] = Field(["q", "v"], description=(
        "Matrices to adapt in every layer, comma-separated (or the parameter repeated): "
        + ", ".join(MATRICES) + "; the buttons above toggle them"),
        json_schema_extra=ui("Matrices to adapt", control="text"))


class Adapted(WidgetResult):
    name: str
    label: str
    d_in: int
    d_out: int
    full: int  # d_in·d_out, one layer
    adapter: int  # r·(d_in + d_out), one layer
    percent: float = 0.0  # 100 · adapter / full
    all_layers: int = 0  # adapter · layers


class Toggle(WidgetResult):
    """A button that adds or removes one matrix: ``value`` is the whole new list."""
    name: str
    label: str
    on: bool
    value: str  # comma-separated matrices after the toggle
    available: bool  # the model has this matrix (GPT-style MLPs have no gate)


class Result(WidgetResult):
    model: str
    rank: int
    layers: int
    adapted: list[Adapted]
    skipped: list[str]  # chosen matrices this model does not have
    per_layer: int
    trainable: int
    adapted_full: int  # parameters of the adapted matrices, all layers
    model_params: int
    share_of_model: float  # trainable / model_params
    adapter_fp16_bytes: int
    adapter_training_bytes: int
    base_fp16_bytes: int
    full_finetune_bytes: int
    chosen: str = ""  # the chosen matrices, comma-separated
    toggles: list[Toggle] = []
    sizes: dict[str, str] = {}  # the four byte counts above as "8.4 MB" / "13.5 GB"
    base_over_adapter: float = 0.0  # frozen base in fp16 / adapter in fp16
    chart_labels: list[str] = []
    chart_percent: list[float] = []  # adapter / matrix, % per adapted matrix


def size_text(x: float) -> str:
    """GB from 10⁹ bytes, else MB, one decimal."""
    return f"{x / 1e9:,.1f} GB" if x >= 1e9 else f"{x / 1e6:,.1f} MB"


def chosen_names(items: list[str]) -> list[str]:
    """``["q,v", "o"]`` → ``["q", "v", "o"]``: repeated and comma-separated both work."""
    if len(items) > MAX_ITEMS:
        raise WidgetInputError(f"matrices: at most {MAX_ITEMS} items")
    names = [n.strip() for item in items for n in item.split(",")]
    if len(names) > MAX_ITEMS or any(len(n) > MAX_NAME for n in names):
        raise WidgetInputError(f"matrices: at most {MAX_ITEMS} names from "
                               f"{', '.join(MATRICES)}")
    return [n for n in dict.fromkeys(names) if n]


def shapes(config: dict) -> dict[str, tuple[int, int]]:
    """(d_in, d_out) of each matrix of one layer; GPT-style MLPs have no gate."""
    d, d_ff = config["d_model"], config["d_ff"]
    kv = config["kv_heads"] * d // config["heads"]  # grouped-query K/V width
    result = {"q": (d, d), "k": (d, kv), "v": (d, kv), "o": (d, d),
              "gate": (d, d_ff), "up": (d, d_ff), "down": (d_ff, d)}
    if config["style"] == "gpt":
        del result["gate"]
    return result


def compute(params: Params) -> Result:
    chosen = chosen_names(params.matrices)
    unknown = [n for n in chosen if n not in MATRICES]
    if unknown:
        raise WidgetInputError(f"matrices: unknown matrix '{unknown[0][:20]}'; choose from "
                               f"{', '.join(MATRICES)}")
    if not chosen:
        raise WidgetInputError("matrices: tick at least one matrix to adapt")
    config = {k: v for k, v in PRESETS[params.model].items()
              if k not in ("source", "paper_total")}
    per_matrix = shapes(config)
    r, layers = params.rank, config["layers"]
    adapted, skipped = [], []
    for name in chosen:
        if name not in per_matrix:
            skipped.append(MATRICES[name])
            continue
        d_in, d_out = per_matrix[name]
        if r > min(d_in, d_out):
            raise WidgetInputError(f"rank {r} is larger than {MATRICES[name]}'s smaller side "
                                   f"({min(d_in, d_out)}): a low-rank update needs r ≤ "
                                   f"min(d_in, d_out)")
        adapted.append(Adapted(name=name, label=MATRICES[name], d_in=d_in, d_out=d_out,
                               full=d_in * d_out, adapter=r * (d_in + d_out),
                               percent=100 * r * (d_in + d_out) / (d_in * d_out),
                               all_layers=layers * r * (d_in + d_out)))
    if not adapted:
        raise WidgetInputError(f"matrices: this model has no {', '.join(skipped)}; "
                               "tick another matrix")
    per_layer = sum(a.adapter for a in adapted)
    trainable = layers * per_layer
    model_params = sum(v for k, v in count(**config).items() if not k.startswith("_"))
    sizes = {"adapter_fp16": BYTES_FP16 * trainable, "adapter_training": BYTES_TRAINING * trainable,
             "base_fp16": BYTES_FP16 * model_params, "full_finetune": BYTES_TRAINING * model_params}
    in_order = [n for n in MATRICES if n in chosen]
    toggles = [Toggle(name=n, label=label, on=n in chosen, available=n in per_matrix,
                      value=",".join(m for m in MATRICES
                                     if (m in chosen) != (m == n)))
               for n, label in MATRICES.items()]
    return Result(
        chosen=",".join(in_order), toggles=toggles,
        sizes={k: size_text(v) for k, v in sizes.items()},
        base_over_adapter=sizes["base_fp16"] / sizes["adapter_fp16"],
        chart_labels=[SHORT[a.name] for a in adapted], chart_percent=[a.percent for a in adapted],
        model=params.model, rank=r, layers=layers, adapted=adapted, skipped=skipped,
        per_layer=per_layer, trainable=trainable,
        adapted_full=layers * sum(a.full for a in adapted), model_params=model_params,
        share_of_model=trainable / model_params, adapter_fp16_bytes=BYTES_FP16 * trainable,
        adapter_training_bytes=BYTES_TRAINING * trainable,
        base_fp16_bytes=BYTES_FP16 * model_params,
        full_finetune_bytes=BYTES_TRAINING * model_params,
    )


SPEC = WidgetSpec(
    name="lora",
    title="LoRA parameter counter",
    summary="Count LoRA's trainable parameters for a model, a rank and a choice of matrices.",
    params=Params,
    result=Result,
    compute=compute,
)
