"""Record the train-gpt widget's runs, check the lessons' claims on them, and time them.

    OPENBLAS_NUM_THREADS=1 python bench/tinygpt_runs.py            # what is missing, check
    OPENBLAS_NUM_THREADS=1 python bench/tinygpt_runs.py --fresh    # everything (~5 min)
    OPENBLAS_NUM_THREADS=1 python bench/tinygpt_runs.py --bench    # only time the default run

Writes, all under ``app/data/tinygpt/``:

- ``names-pretrained.npz``: the default model trained for 1,000 steps on the names, the
  starting point of the fine-tuning preset (module 26);
- ``recorded.json``: every preset's run and the run it is compared with, as the widget
  streams them (history, samples, summary), keyed by their settings;
- ``sweep.json``: final validation loss of three model sizes trained for the same steps
  (module 24's mini scaling sweep).

Then it checks each preset's claim on the recorded numbers and prints the default run's
wall time and characters (tokens) per second; it exits 1 if a claim does not hold.
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.engine import tinygpt_train as tt  # noqa: E402
from app.widgets import train_gpt  # noqa: E402
from app.widgets._train_gpt import RECORDED  # noqa: E402

PRETRAIN_STEPS = 1000
SWEEP = ({"width": 32, "depth": 1}, {"width": 64, "depth": 2}, {"width": 96, "depth": 3})
SWEEP_STEPS = 400
# Plain SGD's rate in the presets (η = 1, lr_exp 0) is checked against its neighbours.
SGD_NEIGHBOURS = ({"optimizer": "sgd", "lr_exp": -0.5}, {"optimizer": "sgd", "lr_exp": 0.5})


def record(params: train_gpt.Params) -> dict:
    """One run exactly as the SSE route would stream it, without a time limit."""
    out = {"history": [], "samples": []}
    for kind, item in train_gpt.run_events(params, max_seconds=math.inf):
        if kind == "progress":
            out["history"].append(item["point"].model_dump())
        elif kind == "sample":
            out["samples"].append(item["sample"].model_dump())
        else:
            out["summary"] = item["summary"].model_dump()
    return out


def pretrain() -> None:
    params = train_gpt.Params(steps=PRETRAIN_STEPS)
    config = train_gpt.train_config(params, math.inf)
    # The work cap guards the widget; this one-off run may be longer than a learner's.
    *_, finished = tt.train(config)
    tt.save_params(tt.PRETRAINED, config.model, finished.params)
    print(f"pretrained: {PRETRAIN_STEPS} steps, validation loss {finished.val_loss:.3f}, "
          f"{finished.seconds:.1f} s")


def final(run: dict) -> float:
    return run["summary"]["val_loss"] if run["summary"]["val_loss"] is not None else math.inf


def check_claims(runs: dict) -> list[str]:
    """Each preset's claim, checked on its run and the run it is compared with."""
    def pair(key):
        _, _, values, versus = train_gpt.PRESETS[key]
        get = lambda v: runs[train_gpt.recording_key(train_gpt.Params(**v))]  # noqa: E731
        return get(values), get(versus)

    baseline = math.log(len(tt.VOCAB))
    default = runs[train_gpt.recording_key(train_gpt.Params())]
    high, ok = pair("too-high")
    cold, warm = pair("no-warmup")
    big, small = pair("bigger")
    sgd, adamw = pair("sgd")
    tuned, scratch = pair("fine-tune")
    neighbours = [runs[train_gpt.recording_key(train_gpt.Params(**v))] for v in SGD_NEIGHBOURS]
    claims = {
        "default: the loss ends at least 1 nat below ln V":
            final(default) < baseline - 1,
        "too-high: SGD at η = 10 diverges, at η = 1 it finishes":
            high["summary"]["reason"] == "diverged" and ok["summary"]["reason"] == "done",
        "no-warmup: without warm-up ends ≥ 0.1 nats above with warm-up":
            final(cold) > final(warm) + 0.1,
        "bigger: width 96 × 2 blocks ends below width 32 × 1 block":
            final(big) < final(small),
        "sgd: plain SGD ends above AdamW":
            final(sgd) > final(adamw),
        "sgd: η = 1 ends below η = 0.32 and η = 3.2 for plain SGD":
            all(final(sgd) < final(n) for n in neighbours),
        "fine-tune: from the names model ends below from scratch":
            final(tuned) < final(scratch),
    }
    failed = []
    for claim, holds in claims.items():
        print(f"{'ok  ' if holds else 'FAIL'} {claim}")
        if not holds:
            failed.append(claim)
    for name, run in (("default", default), ("too-high", high), ("η = 1 SGD", ok),
                      ("no warm-up", cold), ("warm-up", warm), ("bigger", big),
                      ("smaller", small), ("SGD", sgd), ("SGD η = 0.32", neighbours[0]),
                      ("SGD η = 3.2", neighbours[1]), ("fine-tuned", tuned),
                      ("scratch", scratch)):
        s = run["summary"]
        print(f"     {name:>11}: {s['reason']} at step {s['step']}, validation "
              f"{s['val_loss']}, {s['seconds']:.1f} s")
    return failed


def bench() -> dict:
    params = train_gpt.Params()
    start = time.perf_counter()
    run = record(params)
    seconds = time.perf_counter() - start
    result = {"default_run_s": round(seconds, 2), "steps": params.steps,
              "tokens_per_s": run["summary"]["tokens_per_s"],
              "final_val_loss": run["summary"]["val_loss"]}
    print(f"default run: {params.steps} steps in {seconds:.1f} s (samples included), "
          f"{result['tokens_per_s']:,} characters/s while training, final validation "
          f"loss {result['final_val_loss']:.3f}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", action="store_true", help="only time the default run")
    parser.add_argument("--fresh", action="store_true",
                        help="pretrain and record everything again (default: only what is "
                             "missing)")
    args = parser.parse_args()
    if args.bench:
        bench()
        return 0
    if args.fresh or not tt.PRETRAINED.exists():
        pretrain()
    train_gpt.recordings.cache_clear()
    settings = list(SGD_NEIGHBOURS)
    for _, _, values, versus in train_gpt.PRESETS.values():
        settings += [values] + ([versus] if versus is not None else [])
    runs = {} if args.fresh else dict(train_gpt.recordings())
    for values in settings:
        params = train_gpt.Params(**values)
        key = train_gpt.recording_key(params)
        if key not in runs:
            runs[key] = record(params)
            print(f"recorded {values or 'default'}: {runs[key]['summary']['message']}",
                  flush=True)
    RECORDED.write_text(json.dumps(runs, indent=1) + "\n", encoding="utf-8")
    sweep = []
    for size in SWEEP:
        params = train_gpt.Params(**size, steps=SWEEP_STEPS)
        key = train_gpt.recording_key(params)
        run = runs.get(key) or record(params)
        sweep.append({**size, "parameters": train_gpt.parameter_count(
            train_gpt.model_config(params)), "steps": SWEEP_STEPS,
            "val_loss": run["summary"]["val_loss"]})
        print(f"sweep {size}: {sweep[-1]['parameters']:,} parameters, validation "
              f"{sweep[-1]['val_loss']:.3f}", flush=True)
    (tt.DATA / "sweep.json").write_text(json.dumps(sweep, indent=1) + "\n", encoding="utf-8")
    failed = check_claims(runs)
    bench()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
