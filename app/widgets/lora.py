"""LoRA (Hu et al. 2021): trainable parameters versus full fine-tuning.

An adapter on a frozen d_in × d_out matrix W₀ learns ΔW = B·A with B (d_out × r) and
A (r × d_in): r·(d_in + d_out) parameters instead of d_in·d_out. Summed over the chosen
matrices and every layer. Model shapes and totals come from the parameter counter's
published configurations (:mod:`app.widgets.param_count`).
"""

from typing import Literal

from pydantic import Field

from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec
from app.widgets.param_count import PRESETS, count

MAX_RANK = 1024
MATRICES = {  # name: label
    "q": "W_Q (query)", "k": "W_K (key)", "v": "W_V (value)", "o": "W_O (attention output)",
    "gate": "MLP gate", "up": "MLP up", "down": "MLP down",
}
BYTES_FP16 = 2
BYTES_TRAINING = 16  # weights, gradients, Adam momentum and variance (mixed precision)


class Params(WidgetParams):
    model: Literal["llama2-7b", "gpt3-175b", "smollm2-135m", "gpt2-small"] = Field(
        "llama2-7b", description="A published configuration")
    rank: int = Field(8, ge=1, le=MAX_RANK, description="LoRA rank r")
    matrices: list[str] = Field(["q", "v"], max_length=len(MATRICES) + 1,
                                description="Matrices to adapt (repeat the parameter): "
                                            + ", ".join(MATRICES) + "; empty items are ignored")


class Adapted(WidgetResult):
    name: str
    label: str
    d_in: int
    d_out: int
    full: int  # d_in·d_out, one layer
    adapter: int  # r·(d_in + d_out), one layer


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
    chosen = [n for n in dict.fromkeys(params.matrices) if n]
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
                               full=d_in * d_out, adapter=r * (d_in + d_out)))
    if not adapted:
        raise WidgetInputError(f"matrices: this model has no {', '.join(skipped)}; "
                               "tick another matrix")
    per_layer = sum(a.adapter for a in adapted)
    trainable = layers * per_layer
    model_params = sum(v for k, v in count(**config).items() if not k.startswith("_"))
    return Result(
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
