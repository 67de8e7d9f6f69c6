"""Train a tiny character-level GPT (:mod:`app.engine.tinygpt`) and watch it learn.

The page shows a run in two ways from the same code. ``compute`` is the still view: the
model's size, the uniform-guess baseline, and, for settings the course recorded with
``bench/tinygpt_runs.py``, that run's curve and samples (training is deterministic for a
seed, so a recording is what a live run would show). Pressing Train sets ``run`` and the
result block opens a Server-Sent Events stream (``app/routes/train.py``) that reports the
losses, speed and samples of a real run while it trains.
"""

import hashlib
import math
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Literal
from urllib.parse import urlencode

from pydantic import Field

from app.engine import tinygpt_train as tt
from app.engine.tinygpt import Config
from app.widgets._lineplot import LinePlot
from app.widgets._train_gpt import (
    MAX_SECONDS,
    MAX_STEPS,
    Point,
    SampleOut,
    Summary,
    compare_text,
    parse_compare,
    plot,
    recordings,
    summary_of,
)
from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec, ui

CONTEXT = 32  # characters the model reads; names are ~7, Shakespeare's lines ~36
HEADS = 4
# A run's work is steps × batch × (matrix weights a token meets); this caps it at a few
# times the default run's (~10 s on one core of a 2-core machine) whatever the knobs say.
MAX_WORK_RATIO = 4.0
REPORT_EVERY = 10
SAMPLE_EVERY = 100


class Params(WidgetParams):
    corpus: Literal["names", "shakespeare"] = Field(
        "names", description="What the model learns to write",
        json_schema_extra=ui("Training text", choices={
            "names": "32,000 first names", "shakespeare": "Lines from Shakespeare's plays"}))
    start: Literal["scratch", "pretrained"] = Field(
        "scratch", description="Random weights, or the model already trained on names "
                               "(width 64, depth 2): fine-tuning",
        json_schema_extra=ui("Start from", choices={
            "scratch": "Random weights", "pretrained": "The model pretrained on names"}))
    lr_exp: float = Field(-2.0, ge=-4, le=1.5, description=(
        "The peak learning rate is 10 to this power (−4 to 1.5): −2 is 0.01"),
        json_schema_extra=ui("Learning rate, log₁₀ η", step=0.1))
    optimizer: Literal["adamw", "sgd"] = Field(
        "adamw", description="AdamW, or plain SGD without momentum",
        json_schema_extra=ui("Optimizer", choices={"adamw": "AdamW",
                                                   "sgd": "Plain SGD (no momentum)"}))
    warmup: bool = Field(True, description="Rise linearly to the peak over the first tenth",
                         json_schema_extra=ui("Warm-up"))
    cosine: bool = Field(True, description="After warm-up, decay to a tenth of the peak",
                         json_schema_extra=ui("Cosine decay"))
    clip: bool = Field(True, description="Scale the gradient down when its norm exceeds 1",
                       json_schema_extra=ui("Clip the gradient norm at 1"))
    weight_decay: float = Field(0.01, ge=0, le=0.5, description="λ, 0–0.5 (decoupled)",
                                json_schema_extra=ui("Weight decay λ", step=0.01))
    batch: int = Field(32, ge=1, le=64, description="Windows of 32 characters per step "
                                                    "(1–64)",
                       json_schema_extra=ui("Batch size"))
    width: int = Field(64, ge=16, le=128, multiple_of=16, description=(
        "Residual width C (16–128, a multiple of 16); 4 heads"),
        json_schema_extra=ui("Width C", step=16, show_when={"start": ["scratch"]}))
    depth: int = Field(2, ge=1, le=4, description="Transformer blocks (1–4)",
                       json_schema_extra=ui("Depth (blocks)", show_when={"start": ["scratch"]}))
    steps: int = Field(400, ge=10, le=MAX_STEPS, description=f"Training steps (10–{MAX_STEPS})",
                       json_schema_extra=ui("Steps", step=10))
    seed: int = Field(0, ge=0, le=9999, description="Same seed, same run (0–9999)",
                      json_schema_extra=ui("Seed", control="number"))
    # The Train button's token: "<settings digest>-<n>". It starts a live run only while the
    # digest matches the other settings, so any later change shows the still view again
    # (no run restarts on every slider move), and each press (n + 1) is a new run.
    run: str = Field("", max_length=16, pattern=r"^([0-9a-f]{8}-[0-9]{1,6})?$", description=(
        "HTML: set by the Train button; a token matching these settings streams a live run"),
        json_schema_extra=ui("Run", control="hidden"))
    compare: str = Field("", max_length=4000, description=(
        "An earlier run's validation curve to overlay, as step:loss pairs separated by "
        "commas (at most 200)"), json_schema_extra=ui("Compare with", control="hidden"))
    compare_label: str = Field("", max_length=120, description="What the overlaid run was",
                               json_schema_extra=ui("Compare label", control="hidden"))


# The lessons' claims as runs: (label, claim, settings, the settings it is compared with).
# bench/tinygpt_runs.py records every one of these runs and checks each claim on them.
PRESETS = {
    "default": ("The default run", "AdamW at η = 0.01 with warm-up, cosine decay and "
                "clipping: the loss falls well below the uniform guess", {}, None),
    "too-high": ("A learning rate 10× too high", "plain SGD learns at η = 1 and diverges "
                 "at η = 10", {"optimizer": "sgd", "lr_exp": 1.0},
                 {"optimizer": "sgd", "lr_exp": 0.0}),
    "no-warmup": ("No warm-up at a high rate", "at η = 0.05 the first full-size steps "
                  "throw the model off, and it ends far above the same run with warm-up",
                  {"lr_exp": -1.3, "warmup": False}, {"lr_exp": -1.3}),
    "bigger": ("A bigger model, same steps", "width 96 and 2 blocks (230k parameters) "
               "ends lower than width 32 and 1 block (15k)", {"width": 96},
               {"width": 32, "depth": 1}),
    "sgd": ("Plain SGD against AdamW", "SGD without momentum at a well-tuned rate "
            "(η = 1 beat 0.3 and 3) is slower than AdamW", {"optimizer": "sgd", "lr_exp": 0.0}, {}),
    "fine-tune": ("Fine-tune the names model on Shakespeare", "the pretrained model "
                  "switches style within 200 steps and ends below the same run from random "
                  "weights",
                  {"corpus": "shakespeare", "start": "pretrained", "steps": 200,
                   "lr_exp": -2.5},
                  {"corpus": "shakespeare", "steps": 200, "lr_exp": -2.5}),
}


class Result(WidgetResult):
    parameters: int
    baseline: float  # ln V: the loss of a uniform guess over V characters
    vocab: int
    tokens_per_step: int
    work_ratio: float  # this run's work over the default run's
    lr: float
    recorded: bool  # the history below is the course's recording of these settings
    history: list[Point]
    samples: list[SampleOut]
    summary: Summary | None
    plot: LinePlot
    label: str  # a short description of the settings
    # HTML only:
    live: bool = Field(False, exclude=True)  # the page streams a run (run token matches)
    next_run: str = Field("", exclude=True)  # the token the Train button sets
    stream_url: str = Field("", exclude=True)
    presets: list = Field(default_factory=list, exclude=True)  # (label, claim, setup values)


def model_config(params: Params) -> Config:
    if params.start == "pretrained":
        return pretrained_config()
    return Config(vocab=len(tt.VOCAB), context=CONTEXT, width=params.width,
                  depth=params.depth, heads=HEADS)


@lru_cache(maxsize=1)
def pretrained_config() -> Config:
    return tt.load_pretrained()[0]


def work(cfg: Config, steps: int, batch: int) -> float:
    """Weights met per token (attention, MLP, head) × tokens: proportional to the FLOPs."""
    return steps * batch * cfg.context * (12 * cfg.width ** 2 * cfg.depth + cfg.width * cfg.vocab)


def parameter_count(cfg: Config) -> int:
    C, V = cfg.width, cfg.vocab
    return V * C + cfg.context * C + cfg.depth * (12 * C * C + 2 * C) + C + C * V


def check(params: Params) -> Config:
    """The model's shape, or a WidgetInputError naming the limit a run would break."""
    parse_compare(params.compare)
    default = Params()
    if params.start == "pretrained" and (params.width, params.depth) != (default.width,
                                                                           default.depth):
        raise WidgetInputError(
            f"fine-tuning starts from the pretrained model (width {default.width}, depth "
            f"{default.depth}); leave width and depth at those values or start from scratch")
    cfg = model_config(params)
    ratio = work(cfg, params.steps, params.batch) / default_work()
    if ratio > MAX_WORK_RATIO:
        raise WidgetInputError(
            f"this run would do {ratio:.1f}× the work of the default run; the limit is "
            f"{MAX_WORK_RATIO:g}×. Lower the steps, batch size, width or depth")
    return cfg


def default_work() -> float:
    d = Params()
    return work(model_config(d), d.steps, d.batch)


def train_config(params: Params, max_seconds: float = MAX_SECONDS) -> tt.TrainConfig:
    return tt.TrainConfig(
        model=model_config(params), steps=params.steps, batch=params.batch,
        lr=10 ** params.lr_exp, warmup=params.warmup, cosine=params.cosine,
        optimizer=params.optimizer, clip=params.clip, weight_decay=params.weight_decay,
        corpus=params.corpus, pretrained=params.start == "pretrained", seed=params.seed,
        report_every=REPORT_EVERY, sample_every=SAMPLE_EVERY, max_seconds=max_seconds)


def run_label(params: Params) -> str:
    model = ("pretrained on names" if params.start == "pretrained"
             else f"width {params.width}, depth {params.depth}")
    extras = [name for name, on in (("warm-up", params.warmup), ("cosine", params.cosine),
                                    ("clip", params.clip)) if on]
    return (f"{params.optimizer.replace('adamw', 'AdamW').replace('sgd', 'SGD')} η = "
            f"{10 ** params.lr_exp:.3g}, {model}, batch {params.batch}"
            + (f", {' + '.join(extras)}" if extras else ", no warm-up, cosine or clipping"))


def recording_key(params: Params) -> str:
    """The settings that decide a run (not how the page shows it)."""
    return urlencode(params.model_dump(exclude={"run", "compare", "compare_label"}))


def preset_params(values: dict) -> Params:
    return Params(**values)


def preset_links() -> list[tuple[str, str, dict]]:
    """(label, claim, setup values) per preset: every setting, plus the recorded curve of
    the run it is compared with when the course has one."""
    links = []
    for label, claim, values, versus in PRESETS.values():
        setup = {k: v for k, v in preset_params(values).model_dump().items() if k != "run"}
        if versus is not None:
            other = preset_params(versus)
            recorded = recordings().get(recording_key(other))
            if recorded:
                setup["compare"] = compare_text([Point(**p) for p in recorded["history"]])
                setup["compare_label"] = run_label(other)
        links.append((label, claim, setup))
    return links


def stream_url(params: Params) -> str:
    return "/api/stream/train-gpt?" + urlencode(params.model_dump())


def settings_digest(params: Params) -> str:
    return hashlib.sha256(urlencode(params.model_dump(exclude={"run"})).encode()).hexdigest()[:8]


def run_number(params: Params) -> int:
    return int(params.run.split("-")[1]) if params.run else 0


def is_live(params: Params) -> bool:
    return params.run.startswith(settings_digest(params) + "-")


def compute(params: Params) -> Result:
    """The still view: size, baseline and, when the course recorded these settings, the
    recorded run (JSON and page alike). When the run token is live, the chart starts empty
    (but for the overlaid earlier run): the stream fills it."""
    cfg = check(params)
    live = is_live(params)
    run = recorded(params)
    history = [Point(**p) for p in run["history"]] if run else []
    summary = Summary(**run["summary"]) if run else None
    shown = [] if live else history
    return Result(
        parameters=parameter_count(cfg), baseline=math.log(cfg.vocab), vocab=cfg.vocab,
        tokens_per_step=params.batch * cfg.context,
        work_ratio=round(work(cfg, params.steps, params.batch) / default_work(), 3),
        lr=10 ** params.lr_exp, recorded=bool(run), history=history,
        samples=[SampleOut(**s) for s in run["samples"]] if run else [],
        summary=summary,
        plot=plot(params.steps, shown, params.compare, params.compare_label,
                  summary.step if shown and summary.reason == "diverged" else None),
        label=run_label(params), live=live, stream_url=stream_url(params),
        next_run=f"{settings_digest(params)}-{run_number(params) + 1}",
        presets=preset_links())


def run_events(params: Params, should_stop: Callable[[], bool] = lambda: False,
               max_seconds: float = MAX_SECONDS) -> Iterator[tuple[str, dict]]:
    """A live run as ("progress" | "sample" | "done", context) pairs for the SSE route,
    which only renders them; the progress context carries the whole curve so far."""
    check(params)
    history: list[Point] = []
    for event in tt.train(train_config(params, max_seconds), should_stop):
        if isinstance(event, tt.Progress):
            history.append(Point(step=event.step, train_loss=round(event.train_loss, 4),
                                 val_loss=round(event.val_loss, 4)))
            chart = plot(params.steps, history, params.compare, params.compare_label)
            yield "progress", {"point": history[-1], "lr": event.lr, "plot": chart,
                               "tokens_per_s": event.tokens_per_s, "seconds": event.seconds,
                               "steps": params.steps}
        elif isinstance(event, tt.Sample):
            yield "sample", {"sample": SampleOut(step=event.step, lines=list(event.lines))}
        else:
            summary = summary_of(event, max_seconds)
            yield "done", {"summary": summary, "history": history,
                           "compare": compare_text(history), "label": run_label(params)}


def recorded(params: Params) -> dict | None:
    return recordings().get(recording_key(params))


def replay_events(params: Params) -> Iterator[tuple[str, dict]]:
    """The course's recording of these settings, in the order and shape of
    :func:`run_events`: what the route streams when every training slot is taken (a seed
    fixes the run, so this is the run the learner asked for, computed earlier)."""
    run = recorded(params)
    if run is None:
        raise WidgetInputError("no recording of these settings")
    samples = {s["step"]: SampleOut(**s) for s in run["samples"]}
    history: list[Point] = []
    if 0 in samples:
        yield "sample", {"sample": samples[0]}
    for p in run["history"]:
        history.append(Point(**p))
        lr = tt.learning_rate(p["step"] - 1, params.steps, 10 ** params.lr_exp,
                              params.warmup, params.cosine)
        yield "progress", {"point": history[-1], "lr": lr, "replayed": True,
                           "plot": plot(params.steps, history, params.compare,
                                        params.compare_label), "steps": params.steps,
                           "tokens_per_s": 0.0, "seconds": 0.0}
        if p["step"] in samples and p["step"] > 0:
            yield "sample", {"sample": samples[p["step"]]}
    summary = Summary(**run["summary"])
    yield "done", {"summary": summary.model_copy(update={"message": (
        "Every training slot on the server was busy, so this is the course's recording "
        "of exactly these settings, replayed. " + summary.message)}), "replayed": True,
        "history": history, "compare": compare_text(history), "label": run_label(params)}


SPEC = WidgetSpec(
    name="train-gpt",
    title="Train a tiny GPT, live",
    summary="Train a small character-level transformer on the server and watch its loss "
            "fall and its samples turn from gibberish into names or Shakespeare.",
    params=Params,
    result=Result,
    compute=compute,
    full_width=True,
)
