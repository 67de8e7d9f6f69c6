"""A checkpoint's answer, computed by its widget's own code (the model, for model widgets).

A lesson's ``checkpoint`` block names a widget, its parameters and a path into the
result (see :mod:`app.content.directives`); :func:`evaluate` runs the widget and says
which choice is right. Conceptual checkpoints (no widget) carry their answer.
"""

from dataclasses import dataclass
from typing import Any

from app.content.directives import Checkpoint, follow, holds


class CheckpointError(ValueError):
    """The checkpoint cannot be answered as written (bad widget, params, path or choices)."""


@dataclass(frozen=True)
class Answer:
    value: Any  # the computed answer (None for a conceptual checkpoint)
    shown: str  # the answer as the reveal shows it
    correct: int | None  # index of the right choice (None: a number question)


def _format(value: Any, fmt: str | None) -> str:
    if fmt and isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return fmt % value
        except (TypeError, ValueError):
            raise CheckpointError(f"format '{fmt}' does not fit {value!r}") from None
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def evaluate(cp: Checkpoint, specs: dict, models: Any) -> Answer:
    """Compute the answer of ``cp``; raise :class:`CheckpointError` when it cannot."""
    if cp.widget is None:
        right = [i for i, c in enumerate(cp.choices) if c.correct]
        if not cp.choices or len(right) != 1:
            raise CheckpointError("a checkpoint without a widget needs choices with exactly "
                                  "one 'correct: true'")
        return Answer(None, "", right[0])
    spec = specs.get(cp.widget)
    if spec is None:
        raise CheckpointError(f"unknown widget '{cp.widget}'")
    if not cp.answer:
        raise CheckpointError("'answer' (a path into the widget's result) is missing")
    try:
        params = spec.parse(cp.params)
        result = spec.run(params, models).model_dump(mode="json")
        value = follow(result, cp.answer)
    except ValueError as exc:  # pydantic's ValidationError and WidgetInputError included
        raise CheckpointError(f"widget '{cp.widget}': {exc}") from None
    if not cp.choices:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CheckpointError(f"a number checkpoint needs a number, '{cp.answer}' is "
                                  f"{value!r}")
        if cp.tolerance is None:
            raise CheckpointError("a number checkpoint needs a 'tolerance'")
        return Answer(value, _format(value, cp.fmt), None)
    try:
        right = [i for i, c in enumerate(cp.choices)
                 if c.when is not None and holds(c.when, value, cp.tolerance or 1e-9)]
    except ValueError as exc:
        raise CheckpointError(str(exc)) from None
    if any(c.when is None for c in cp.choices):
        raise CheckpointError("every choice of a computed checkpoint needs a 'when'")
    if len(right) != 1:
        shown = ", ".join(f"'{cp.choices[i].text}'" for i in right) or "none"
        raise CheckpointError(f"exactly one choice must hold for the computed answer "
                              f"{value!r}; holding: {shown}")
    return Answer(value, _format(value, cp.fmt), right[0])
