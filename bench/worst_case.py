"""Worst-case CPU time of one widget request, per widget (issue 23: about one CPU-second).

In-process, BLAS on one thread (as the server runs it), every engine cache emptied before
each run: each widget is called with the parameters that make it work hardest within its
bounds (the longest prompt it accepts, the longest sequence, every number at its maximum),
and the CPU time of the call is read with ``resource.getrusage``. The worst of
``--repeat`` runs is reported.

    python bench/worst_case.py              # prints a table
    python bench/worst_case.py --json       # also writes bench/results/worst-case.json
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads OpenBLAS

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import annotated_types  # noqa: E402
from pydantic import ValidationError  # noqa: E402

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from app.engine import Models  # noqa: E402
from app.widgets import registry  # noqa: E402
from app.widgets.base import WidgetInputError  # noqa: E402

BUDGET_S = 1.0


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def text_of_tokens(encode, n: int, word: str) -> str:
    """A text of ``word`` repeated that the tokenizer cuts into exactly ``n`` tokens."""
    for count in range(n, 0, -1):
        text = " ".join([word] * count)
        if len(encode(text)) == n:
            return text
    raise ValueError(f"no repetition of {word!r} gives {n} tokens")


def model_cases(models: Models) -> dict[str, list[tuple[str, dict]]]:
    """The hardest parameters each model widget accepts (its bounds are the widget's own)."""
    from app.widgets import generate, induction, logit_lens
    from app.widgets._smollm2 import MAX_PROMPT_TOKENS

    lm, enc = models.smollm2(), models.minilm()
    longest = text_of_tokens(lm.encode, MAX_PROMPT_TOKENS, "apple")
    lens = text_of_tokens(lm.encode, logit_lens.MAX_LENS_TOKENS, "apple")
    sentence = text_of_tokens(lambda t: enc.tokenizer.encode(t).ids, enc.max_tokens, "cat")
    return {
        "next-token": [("64-token prompt", {"prompt": longest, "top_k": 50})],
        "lm-attention": [("64-token prompt", {"prompt": longest, "layer": 30, "head": 9})],
        "logit-lens": [(f"{logit_lens.MAX_LENS_TOKENS}-token prompt", {"prompt": lens})],
        "induction": [(f"length {induction.MAX_LENGTH}",
                       {"length": induction.MAX_LENGTH, "seed": 1})],
        "sampling": [("model, 64-token prompt", {"source": "model", "prompt": longest})],
        "tokenize": [("1,000 characters", {"text": "naïve café 🤗 12345 " * 50})],
        "attention": [("32-token sentence", {"sentence": sentence})],
        "multi-head": [("32-token sentence", {"sentence": sentence})],
        "causal-mask": [("32-token sentence", {"source": "sentence", "sentence": sentence})],
        "embeddings": [("three 32-token sentences, 20 neighbours",
                        {"word": "cat", "k": 20, "shared_word": "cat", "sentence_1": sentence,
                         "sentence_2": sentence, "sentence_3": sentence})],
        "quantize": [("a real Q4_1 block, last layer", {"source": "real", "layer": 30,
                                                        "tensor": "ffn_down", "block": 0})],
        "generate": [
            (f"KV cache, 64-token prompt + {generate.MAX_WHOLE_RUN_TOKENS} new (whole run)",
             {"prompt": longest, "max_tokens": generate.MAX_WHOLE_RUN_TOKENS,
              "temperature": 0}),
            (f"no KV cache, 1-token prompt + {generate.MAX_WHOLE_RUN_NO_CACHE_TOTAL - 1} new "
             "(whole run)",
             {"prompt": "Once", "max_tokens": generate.MAX_WHOLE_RUN_NO_CACHE_TOTAL - 1,
              "kv_cache": False, "temperature": 0}),
        ],
    }


def maxed(spec) -> dict:
    """Every bounded number of a params model at its maximum."""
    out = {}
    for name, info in spec.params.model_fields.items():
        for m in info.metadata:
            if isinstance(m, annotated_types.Le) and info.annotation in (int, float):
                out[name] = m.le
    return out


def clear(models: Models) -> None:
    """Forget everything the engines hold, so each run computes from scratch."""
    lm, enc = models.smollm2(), models.minilm()
    for cache in (lm.traces, lm.next_logits_cache, lm.results):
        cache.clear()
    enc.clear_cache()


def measure(spec, raw: dict, models: Models, repeat: int) -> float | None:
    try:
        params = spec.parse(raw)
    except ValidationError:
        return None
    worst = 0.0
    for _ in range(repeat):
        clear(models)
        started = cpu_s()
        try:
            spec.run(params, models)
        except WidgetInputError:
            return None
        except Exception as exc:  # noqa: BLE001 - report a broken widget, measure the rest
            print(f"  {spec.name}: {type(exc).__name__}: {exc}", flush=True)
            return None
        worst = max(worst, cpu_s() - started)
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", action="append", metavar="WIDGET",
                        help="measure these widgets again; --json then updates their rows")
    args = parser.parse_args()
    models, specs = Models(), registry()
    cases = model_cases(models)
    # Once per worker, like loading a model (and queued like it): the real-block quantize
    # widget parses the GGUF's tensor index. Measured apart, then not counted per request.
    started = cpu_s()
    models.gguf_tensors()
    once = {"gguf_index_cpu_s": round(cpu_s() - started, 3)}
    print(f"GGUF index, parsed once per worker: {once['gguf_index_cpu_s']} CPU-s", flush=True)
    target = BENCH / "results" / "worst-case.json"
    rows = []
    if args.only and target.exists():
        rows = [r for r in json.loads(target.read_text())["runs"] if r["widget"] not in args.only]
    for name, spec in sorted(specs.items()):
        if args.only and name not in args.only:
            continue
        tried = cases.get(name) or [("defaults", {}), ("every number at its maximum",
                                                      maxed(spec))]
        for label, raw in tried:
            seconds = measure(spec, raw, models, args.repeat)
            if seconds is None:
                continue
            rows.append({"widget": name, "case": label, "cpu_s": round(seconds, 3),
                         "model": spec.uses_model})
            flag = "" if seconds <= BUDGET_S else "  over budget"
            print(f"{name:22s} {label:42s} {seconds:7.3f} CPU-s{flag}", flush=True)
    worst = {}
    for row in rows:
        worst[row["widget"]] = max(worst.get(row["widget"], 0.0), row["cpu_s"])
    if args.json:
        rows.sort(key=lambda r: r["widget"])
        target.write_text(json.dumps({"budget_cpu_s": BUDGET_S, "once_per_worker": once,
                                      "runs": rows, "worst_per_widget": worst},
                                     indent=2) + "\n")
        print(f"wrote {target.relative_to(BENCH.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
