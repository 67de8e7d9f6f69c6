"""Pieces of the train-gpt widget (:mod:`app.widgets.train_gpt`) that do not depend on its
parameters: the result models of a run, the loss chart, the ``compare`` curve format and the
course's recorded runs."""

import json
import math
from functools import lru_cache

from app.engine import tinygpt_train as tt
from app.widgets._lineplot import LinePlot, line_plot
from app.widgets.base import WidgetInputError, WidgetResult

MAX_STEPS = 1000
MAX_SECONDS = 60.0  # wall-time cap of one run, checked every step
Y_RANGE = (1.4, 4.2)  # nats: a fixed axis, so a live curve never rescales under the eye
MAX_COMPARE_POINTS = 200
RECORDED = tt.DATA / "recorded.json"


class Point(WidgetResult):
    step: int
    train_loss: float
    val_loss: float


class SampleOut(WidgetResult):
    step: int
    lines: list[str]


class Summary(WidgetResult):
    step: int
    reason: str  # done | diverged | time | stopped
    train_loss: float | None
    val_loss: float | None
    seconds: float
    tokens_per_s: float
    message: str


def parse_compare(text: str) -> list[tuple[int, float]]:
    """``"10:3.21,20:3.05"`` -> [(10, 3.21), (20, 3.05)], or a readable WidgetInputError."""
    if not text.strip():
        return []
    points = []
    for i, item in enumerate(text.split(","), start=1):
        step_text, _, loss_text = item.partition(":")
        try:
            step, loss = int(step_text), float(loss_text)
        except ValueError:
            raise WidgetInputError(f"compare: item {i} ('{item[:20]}') is not step:loss, "
                                   "e.g. 10:3.21") from None
        if not (0 <= step <= MAX_STEPS and math.isfinite(loss) and 0 <= loss <= 100):
            raise WidgetInputError(f"compare: item {i} needs a step 0–{MAX_STEPS} and a "
                                   "loss 0–100")
        points.append((step, loss))
    if len(points) > MAX_COMPARE_POINTS:
        raise WidgetInputError(f"compare: at most {MAX_COMPARE_POINTS} points, "
                               f"got {len(points)}")
    return points


def compare_text(history: list[Point]) -> str:
    """This run's validation curve in the ``compare`` format, for overlaying on the next."""
    return ",".join(f"{p.step}:{p.val_loss:.3f}" for p in history[-MAX_COMPARE_POINTS:])


@lru_cache(maxsize=1)
def recordings() -> dict:
    return json.loads(RECORDED.read_text(encoding="utf-8")) if RECORDED.exists() else {}


def message(s: tt.Finished, max_seconds: float) -> str:
    if s.reason == "diverged":
        return (f"Diverged at step {s.step}: the loss blew up (it went far above a uniform "
                "guess or stopped being a number), so the run stopped there.")
    if s.reason == "time":
        return f"Stopped at step {s.step}: a run may take at most {max_seconds:g} s here."
    if s.reason == "stopped":
        return f"Stopped at step {s.step}."
    return f"Finished {s.step} steps."


def summary_of(s: tt.Finished, max_seconds: float = MAX_SECONDS) -> Summary:
    return Summary(step=s.step, reason=s.reason, train_loss=s.train_loss, val_loss=s.val_loss,
                   seconds=round(s.seconds, 2), tokens_per_s=round(s.tokens_per_s),
                   message=message(s, max_seconds))


def plot(steps: int, history: list[Point], compare: str = "", compare_label: str = "",
         diverged_at: int | None = None) -> LinePlot:
    """Train and validation loss against step on a fixed axis, ln V as a reference line,
    and the overlaid earlier run (dashed) when there is one."""
    baseline = math.log(len(tt.VOCAB))
    done = [p.step for p in history]
    series = [
        {"key": "train", "label": "Training loss (mean since the last point)", "cls": "lp-c1",
         "x": done, "y": [p.train_loss for p in history]},
        {"key": "val", "label": "Validation loss (held-out text)", "cls": "lp-c2",
         "x": done, "y": [p.val_loss for p in history]},
    ]
    earlier = parse_compare(compare)
    if earlier:
        series.append({"key": "compare", "label": f"Earlier run, validation: "
                       f"{compare_label or 'unlabelled'}", "cls": "lp-c5",
                       "x": [s for s, _ in earlier], "y": [v for _, v in earlier],
                       "dashed": True})
    last = history[-1] if history else None
    desc = (f"After {last.step} of {steps} steps the training loss is "
            f"{last.train_loss:.3f} and the validation loss {last.val_loss:.3f} nats"
            if last else "No steps yet") + f"; a uniform guess scores {baseline:.3f}."
    vlines = [("Diverged here", "lp-now", diverged_at)] if diverged_at else []
    return line_plot([0], series, title="Loss while training", desc=desc, x_label="step",
                     y_label="loss (nats per character)", x_range=(0, steps),
                     y_range=Y_RANGE, hlines=[(f"Uniform guess, ln {len(tt.VOCAB)} = "
                                               f"{baseline:.2f}", "lp-guide", baseline)],
                     vlines=vlines, height=280, zero_line=False)
