"""Next-token prediction: SmolLM2-135M's probability for every possible next token."""

import numpy as np
from pydantic import Field

from app.engine.smollm2 import MODEL_NAME
from app.widgets._smollm2 import TokenOut, probabilities, prompt_field, prompt_ids, token_list
from app.widgets.base import WidgetParams, WidgetResult, WidgetSpec

MAX_TOP_K = 50


class Params(WidgetParams):
    prompt: str = prompt_field()
    top_k: int = Field(10, ge=1, le=MAX_TOP_K,
                       description=f"How many candidates to list (1–{MAX_TOP_K})")
    temperature: float = Field(1.0, ge=0.05, le=10, description="Divides the logits before the "
                                                              "softmax (0.05–10)")


class Candidate(TokenOut):
    logit: float
    probability: float


class Result(WidgetResult):
    model: str
    prompt_tokens: list[TokenOut]
    candidates: list[Candidate]  # most probable first


def compute(params: Params, models) -> Result:
    """probability = softmax(logits / T) over all 49,152 tokens; the top k are listed.

    The probabilities are not renormalised over the k shown, so they sum to less than 1:
    the rest of the mass is spread over the tokens not listed.
    """
    model = models.smollm2()
    ids = prompt_ids(model, params.prompt)
    logits = model.next_logits(ids)
    probs = probabilities(logits, params.temperature)
    # argsort on −logits (not on probs) so ties far down the tail cannot reorder the top.
    top = np.argsort(-logits, kind="stable")[:params.top_k]
    candidates = [Candidate(id=int(i), text=model.token_text(i), logit=float(logits[i]),
                            probability=float(probs[i])) for i in top]
    return Result(model=MODEL_NAME, prompt_tokens=token_list(model, ids), candidates=candidates)


SPEC = WidgetSpec(
    name="next-token",
    title="Next-token prediction (SmolLM2-135M)",
    summary="Ask a real 135M-parameter language model what comes next, and build a sentence "
            "one token at a time.",
    params=Params,
    result=Result,
    compute=compute,
    uses_model=True,
)
