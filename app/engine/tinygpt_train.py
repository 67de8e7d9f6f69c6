"""Training the tiny GPT (:mod:`app.engine.tinygpt`): corpora, optimizers, the schedule,
and a training loop that reports as it goes.

One step: take B random windows of T+1 characters from the training text, compute the
loss and its gradients, optionally clip the gradients' global norm to 1, and move every
parameter with AdamW or plain SGD at this step's learning rate (linear warm-up, then
cosine decay to a tenth of the peak, each switchable). Everything is seeded: the same
settings give the same run.
"""

import functools
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.engine import tinygpt
from app.engine.tinygpt import Config, Params

DATA = Path(__file__).resolve().parent.parent / "data" / "tinygpt"
VOCAB = "\n abcdefghijklmnopqrstuvwxyz"  # newline ends a name or a line
CORPORA = {"names": "names.txt", "shakespeare": "shakespeare.txt"}
PRETRAINED = DATA / "names-pretrained.npz"  # made by bench/tinygpt_runs.py
VAL_FRACTION = 0.1
SPLIT_SEED = 1234  # the train/validation split is the same for every run
VAL_WINDOWS = 32  # fixed validation windows, scored at every report
WARMUP_FRACTION = 0.1  # of the run's steps
MIN_LR_RATIO = 0.1  # cosine decays to this fraction of the peak
CLIP_NORM = 1.0
ADAM_BETAS = (0.9, 0.99)
ADAM_EPS = 1e-8
SAMPLE_COUNT = 4  # names or lines per sample report
SAMPLE_CHARS = 48
SAMPLE_TEMPERATURE = 0.8
# A run has diverged when its loss is not finite or stays far above a uniform guess
# (ln V): a model that has learned anything sits below ln V.
DIVERGE_MARGIN = 1.0
DIVERGE_PATIENCE = 10  # consecutive steps above ln V + margin


@functools.lru_cache(maxsize=len(CORPORA))
def corpus(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(train ids, validation ids) of a corpus: its lines shuffled once with a fixed seed,
    the last tenth held out, each part one long stream of character ids."""
    lines = (DATA / CORPORA[name]).read_text(encoding="utf-8").splitlines()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(lines))
    cut = int(len(lines) * (1 - VAL_FRACTION))
    lookup = {c: i for i, c in enumerate(VOCAB)}

    def ids(part) -> np.ndarray:
        text = "".join(lines[i] + "\n" for i in part)
        return np.array([lookup[c] for c in text], dtype=np.int64)

    return ids(order[:cut]), ids(order[cut:])


def decode(ids) -> str:
    return "".join(VOCAB[int(i)] for i in ids)


def windows(stream: np.ndarray, starts: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-character targets, both (len(starts), length)."""
    rows = stream[starts[:, None] + np.arange(length + 1)]
    return rows[:, :-1], rows[:, 1:]


def learning_rate(step: int, total: int, peak: float, warmup: bool, cosine: bool) -> float:
    """η for step 0…total−1: linear warm-up over the first tenth, then cosine to a tenth."""
    w = max(1, int(total * WARMUP_FRACTION)) if warmup else 0
    if step < w:
        return peak * (step + 1) / w
    if not cosine:
        return peak
    progress = (step - w) / max(1, total - w - 1)
    return peak * (MIN_LR_RATIO + (1 - MIN_LR_RATIO) * 0.5 * (1 + math.cos(math.pi * progress)))


def clip(grads: Params, max_norm: float) -> float:
    """Scale all gradients together so their global L2 norm is at most max_norm; return
    the norm before clipping."""
    norm = math.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads.values()))
    if norm > max_norm:
        for g in grads.values():
            g *= max_norm / norm
    return norm


def decays(name: str) -> bool:
    """Weight decay applies to matrices and embeddings, not to the norms' gains."""
    return not name.split(".")[-1].startswith("g")


class SGD:
    """Plain gradient descent, no momentum: p ← p − η(∇p + λp)."""

    def __init__(self, weight_decay: float) -> None:
        self.weight_decay = weight_decay

    def step(self, params: Params, grads: Params, lr: float) -> None:
        for name, p in params.items():
            if decays(name):
                p -= lr * self.weight_decay * p
            p -= lr * grads[name]


class AdamW:
    """Adam with decoupled weight decay: running means of the gradient (m) and of its
    square (v), bias-corrected; p ← p − η(m̂/(√v̂ + ε) + λp)."""

    def __init__(self, params: Params, weight_decay: float) -> None:
        self.weight_decay = weight_decay
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self.t = 0

    def step(self, params: Params, grads: Params, lr: float) -> None:
        b1, b2 = ADAM_BETAS
        self.t += 1
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for name, p in params.items():
            g = grads[name]
            m, v = self.m[name], self.v[name]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            if decays(name):
                p -= lr * self.weight_decay * p
            p -= lr * (m / c1) / (np.sqrt(v / c2) + ADAM_EPS)


@dataclass(frozen=True)
class TrainConfig:
    model: Config
    steps: int = 300
    batch: int = 16
    lr: float = 3e-3
    warmup: bool = True
    cosine: bool = True
    optimizer: str = "adamw"  # or "sgd"
    clip: bool = True
    weight_decay: float = 0.01
    corpus: str = "names"
    pretrained: bool = False  # start from PRETRAINED (names) instead of random weights
    seed: int = 0
    report_every: int = 10
    sample_every: int = 100
    max_seconds: float = 60.0


@dataclass(frozen=True)
class Progress:
    step: int  # steps done
    train_loss: float  # mean over the steps since the last report
    val_loss: float  # on the fixed validation windows, now
    lr: float
    grad_norm: float  # before clipping, at the last step
    tokens_per_s: float  # training tokens processed per second of wall time so far
    seconds: float


@dataclass(frozen=True)
class Sample:
    step: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Finished:
    step: int
    reason: str  # done | diverged | time | stopped
    train_loss: float | None
    val_loss: float | None
    seconds: float
    tokens_per_s: float
    params: Params = field(default_factory=dict, repr=False)  # the weights at the end


def load_pretrained() -> tuple[Config, Params]:
    with np.load(PRETRAINED) as data:
        shape = data["config"]
        cfg = Config(vocab=len(VOCAB), context=int(shape[0]), width=int(shape[1]),
                     depth=int(shape[2]), heads=int(shape[3]))
        return cfg, {k: data[k].astype(np.float32) for k in data.files if k != "config"}


def save_params(path: Path, cfg: Config, params: Params) -> None:
    np.savez_compressed(path, config=np.array([cfg.context, cfg.width, cfg.depth, cfg.heads]),
                        **{k: v.astype(np.float32) for k, v in params.items()})


def samples(params: Params, cfg: Config, rng: np.random.Generator) -> tuple[str, ...]:
    """A few lines the model writes after a newline, at temperature 0.8."""
    start = np.zeros((SAMPLE_COUNT, 1), dtype=np.int64)  # id 0 is the newline
    ids = tinygpt.sample(params, cfg, start, SAMPLE_CHARS, rng, SAMPLE_TEMPERATURE)
    return tuple(decode(row).split("\n")[0] or "(an empty line)" for row in ids)


def train(tc: TrainConfig, should_stop: Callable[[], bool] = lambda: False,
          clock: Callable[[], float] = time.perf_counter
          ) -> Iterator[Progress | Sample | Finished]:
    """Run ``tc``: a Progress every ``report_every`` steps, a Sample at the start and every
    ``sample_every`` steps, then one Finished. Stops early (reason "diverged", "time" or
    "stopped") when the loss blows up, ``max_seconds`` pass, or ``should_stop()``."""
    rng = np.random.default_rng(tc.seed)
    cfg = tc.model
    if tc.pretrained:
        cfg, params = load_pretrained()
    else:
        params = tinygpt.init_params(cfg, rng)
    train_ids, val_ids = corpus(tc.corpus)
    val_starts = np.random.default_rng(SPLIT_SEED).integers(
        0, len(val_ids) - cfg.context - 1, VAL_WINDOWS)
    val_x, val_y = windows(val_ids, val_starts, cfg.context)
    opt = AdamW(params, tc.weight_decay) if tc.optimizer == "adamw" else SGD(tc.weight_decay)
    sample_rng = np.random.default_rng(tc.seed + 1)
    ceiling = math.log(cfg.vocab) + DIVERGE_MARGIN
    start = clock()
    recent: list[float] = []
    above, step, last = 0, 0, (None, None)
    yield Sample(0, samples(params, cfg, sample_rng))
    reason = "done"
    while step < tc.steps:
        if should_stop():
            reason = "stopped"
            break
        if clock() - start > tc.max_seconds:
            reason = "time"
            break
        x, y = windows(train_ids, rng.integers(0, len(train_ids) - cfg.context - 1, tc.batch),
                       cfg.context)
        with np.errstate(all="ignore"):  # an overflow is caught below as divergence
            loss, grads = tinygpt.loss_and_grads(params, cfg, x, y)
            norm = clip(grads, CLIP_NORM) if tc.clip else clip(grads, math.inf)
            lr = learning_rate(step, tc.steps, tc.lr, tc.warmup, tc.cosine)
            if math.isfinite(loss) and math.isfinite(norm):
                opt.step(params, grads, lr)
        step += 1
        above = above + 1 if not loss < ceiling else 0
        if not math.isfinite(loss) or above >= DIVERGE_PATIENCE:
            reason = "diverged"
            break
        recent.append(loss)
        if step % tc.report_every == 0 or step == tc.steps:
            with np.errstate(all="ignore"):
                val = tinygpt.loss_only(params, cfg, val_x, val_y)
            if not math.isfinite(val):
                reason = "diverged"
                break
            seconds = clock() - start
            last = (float(np.mean(recent)), val)
            yield Progress(step, last[0], val, lr, norm,
                           step * tc.batch * cfg.context / max(seconds, 1e-9), seconds)
            recent = []
        if step % tc.sample_every == 0 and step < tc.steps:
            yield Sample(step, samples(params, cfg, sample_rng))
    seconds = clock() - start
    if reason in ("done", "time") and step > 0:
        yield Sample(step, samples(params, cfg, sample_rng))
    yield Finished(step, reason, last[0], last[1], seconds,
                   step * tc.batch * cfg.context / max(seconds, 1e-9), params)
