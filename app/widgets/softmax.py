"""Temperature softmax: logits to probabilities, with entropy in bits."""

import numpy as np
from pydantic import Field

from app.widgets.base import (
    WidgetParams,
    WidgetResult,
    WidgetSpec,
    parse_vector,
    rounded,
    softmax,
    ui,
)

MAX_LOGITS = 64


class Params(WidgetParams):
    logits: str = Field("3.2,1.0,0.2,-1.5", description="1–64 finite numbers, comma-separated",
                        max_length=2000, json_schema_extra=ui("Logits (raw scores)"))
    temperature: float = Field(1.0, ge=0.01, le=100, description="Divides the logits (0.01–100)",
                               json_schema_extra=ui("Temperature", step=0.05, slider=(0.05, 5)))


class Result(WidgetResult):
    logits: list[float]
    temperature: float
    probabilities: list[float]
    entropy_bits: float
    max_entropy_bits: float  # log₂ n: every probability equal
    argmax: int
    labels: list[str]


def compute(params: Params) -> Result:
    """probabilities = softmax(logits / T); entropy H = −Σ p log₂ p (0 log 0 taken as 0)."""
    logits = parse_vector(params.logits, "logits", max_len=MAX_LOGITS, lo=-1e4, hi=1e4)
    probs = softmax(logits / params.temperature)
    nonzero = probs[probs > 0]
    entropy = float(-np.sum(nonzero * np.log2(nonzero)))
    return Result(logits=logits.tolist(), temperature=params.temperature,
                  probabilities=rounded(probs, 9), entropy_bits=round(max(entropy, 0.0), 9),
                  max_entropy_bits=round(float(np.log2(len(logits))), 9),
                  argmax=int(np.argmax(probs)),
                  labels=[f"token {i}" for i in range(1, len(logits) + 1)])


SPEC = WidgetSpec(
    name="softmax",
    title="Temperature softmax",
    summary="Turn logits into probabilities and watch temperature sharpen or flatten them.",
    params=Params,
    result=Result,
    compute=compute,
)
