"""Benchmark the NumPy SmolLM2-135M engine (and llama.cpp on the same GGUF, if available).

    python bench/engine_smollm2.py                  # figures as readable lines
    python bench/engine_smollm2.py --json           # progress on stderr, one JSON line on stdout
    python bench/engine_smollm2.py --blas-threads 2 # OpenBLAS threads (default 1, see below)

Targets from the issue: load < 10 s, 32-token prefill < 100 ms, decode ≥ 25 tokens/s.
OpenBLAS defaults to one thread per core, which on a small shared machine spins against
other processes; one thread per process (parallelism from concurrent requests) is steadier.
llama.cpp is measured only if /tmp/llamacpp exists (see bench/make_smollm2_reference.py).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LLAMACPP_PYTHON = Path("/tmp/llamacpp/bin/python")
PROMPT = ("The history of the printing press begins in the fifteenth century, when a goldsmith "
          "in Mainz combined movable metal type, oil-based ink and a screw press to")
PREFILL_TOKENS = 32
NEW_TOKENS = 64
REPEATS = 5
STEPS = 6

LLAMACPP_SCRIPT = """
import json, sys, time
import llama_cpp
path, ids, new, threads = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t0 = time.perf_counter()
llm = llama_cpp.Llama(model_path=path, n_ctx=256, n_threads=threads, verbose=False)
load_s = time.perf_counter() - t0
prefill = []
for _ in range(5):
    llm.reset(); t = time.perf_counter(); llm.eval(ids); prefill.append(time.perf_counter() - t)
llm.reset(); llm.eval(ids); t = time.perf_counter()
for _ in range(new):
    tok = llm.sample(temp=0.0); llm.eval([tok])
decode_s = time.perf_counter() - t
prefill.sort()
print(json.dumps({"load_s": round(load_s, 3), "prefill_ms": round(prefill[2] * 1000, 1),
                  "decode_tok_s": round(new / decode_s, 1), "threads": threads}))
"""


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="one JSON line on stdout")
    parser.add_argument("--blas-threads", type=int, default=1)
    args = parser.parse_args()
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)  # before NumPy loads BLAS
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from app.engine.smollm2 import gguf_path, load_smollm2

    out = sys.stderr if args.json else sys.stdout

    def step(i: int, text: str) -> None:
        print(f"[{i}/{STEPS}] {text}", file=out, flush=True)

    results: dict = {"blas_threads": args.blas_threads}
    step(1, "load: read the GGUF, dequantize to float32, build the tokenizer")
    rss_before = rss_mib()
    t = time.perf_counter()
    model = load_smollm2()
    results["load_s"] = round(time.perf_counter() - t, 2)
    results["rss_mib_after_load"] = rss_mib()
    results["rss_mib_model"] = round(results["rss_mib_after_load"] - rss_before, 1)
    print(f"  {results['load_s']} s (target < 10 s), RSS {results['rss_mib_after_load']} MiB "
          f"({results['rss_mib_model']} MiB for the model)", file=out)

    ids = model.encode(PROMPT)[:PREFILL_TOKENS]
    assert len(ids) == PREFILL_TOKENS, "prompt too short for the prefill benchmark"
    step(2, f"prefill of {PREFILL_TOKENS} tokens, median of {REPEATS}")
    model.prefill(ids)  # warm-up: first touches of every weight page
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        model.prefill(ids)
        times.append(time.perf_counter() - t)
    results["prefill_32_ms"] = round(statistics.median(times) * 1000, 1)
    print(f"  {results['prefill_32_ms']} ms (target < 100 ms)", file=out)

    step(3, f"decode {NEW_TOKENS} tokens with the KV cache (greedy)")
    logits, cache, _ = model.prefill(ids, len(ids) + NEW_TOKENS)
    generated = []
    t = time.perf_counter()
    for _ in range(NEW_TOKENS):
        token = int(np.argmax(logits))
        generated.append(token)
        logits, _ = model.decode(token, cache)
    cached_s = time.perf_counter() - t
    results["decode_tok_s"] = round(NEW_TOKENS / cached_s, 1)
    print(f"  {results['decode_tok_s']} tokens/s (target ≥ 25)", file=out)

    step(4, f"the same {NEW_TOKENS} tokens without the cache (whole prefix every step)")
    prefix = list(ids)
    t = time.perf_counter()
    for token in generated:
        model.prefill(prefix)
        prefix.append(token)
    no_cache_s = time.perf_counter() - t
    results["no_cache_tok_s"] = round(NEW_TOKENS / no_cache_s, 1)
    results["kv_cache_speedup"] = round(no_cache_s / cached_s, 1)
    print(f"  {results['no_cache_tok_s']} tokens/s: the cache is "
          f"{results['kv_cache_speedup']}× faster at {PREFILL_TOKENS}+{NEW_TOKENS} tokens",
          file=out)

    step(5, "parameter count from the GGUF tensor shapes")
    results["parameters"] = model.parameter_count
    print(f"  {model.parameter_count:,}", file=out)

    step(6, "llama.cpp on the same GGUF")
    if LLAMACPP_PYTHON.exists():
        proc = subprocess.run(
            [str(LLAMACPP_PYTHON), "-c", LLAMACPP_SCRIPT, str(gguf_path()), json.dumps(ids),
             str(NEW_TOKENS), str(args.blas_threads)], capture_output=True, text=True)
        lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
        results["llama_cpp"] = json.loads(lines[-1]) if lines else {"error": proc.stderr[-300:]}
        print(f"  {results['llama_cpp']}", file=out)
    else:
        results["llama_cpp"] = None
        print(f"  skipped: {LLAMACPP_PYTHON} not found (optional)", file=out)

    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
