"""Peak resident memory of a worker under mixed load with both models warm (issue 23).

Starts the server the production way (uvicorn, BLAS on one thread, no per-client limit:
every bench connection comes from 127.0.0.1), loads both models, then drives a mix of
pages, maths widgets and model widgets for ``--seconds``. The model requests use
distinct prompts of the largest size each widget accepts, so every engine cache fills
to its bound, which is the worst case for memory. Reports each worker's peak RSS
(``VmHWM`` in /proc) and its RSS at the end.

    python bench/peak_memory.py --seconds 60 --workers 1
"""

import argparse
import asyncio
import json
import random
import sys
from pathlib import Path
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import run_load  # noqa: E402
from bench.server import uvicorn_server, worker_pids  # noqa: E402

WORDS = ["apple", "river", "stone", "cloud", "music", "paper", "light", "green", "house",
         "table", "window", "garden", "winter", "summer", "mountain", "ocean", "letter",
         "bridge", "forest", "candle"]
MIB = 1024


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def mixed_paths(count: int, seed: int = 0) -> list[str]:
    """Pages, maths widgets and model widgets with distinct largest-size inputs."""
    rng = random.Random(seed)
    fixed = ["/", "/modules/12", "/modules/38", "/static/css/site.css", "/api/modules",
             "/api/widgets/softmax?logits=3.2,1.0,0.2,-1.5&temperature=0.5",
             "/api/widgets/kv-cache?layers=32&d_model=4096&heads=32&kv_heads=8"
             "&seq_len=131072&batch=1&dtype=fp16"]
    paths = []
    for i in range(count):
        model = [
            ("next-token", {"prompt": sentence(rng, 60)}),
            ("lm-attention", {"prompt": sentence(rng, 60), "layer": rng.randint(1, 30)}),
            ("logit-lens", {"prompt": sentence(rng, 22)}),
            ("induction", {"length": 31, "seed": i}),
            ("attention", {"sentence": sentence(rng, 28)}),
            ("multi-head", {"sentence": sentence(rng, 28)}),
            ("sampling", {"source": "model", "prompt": sentence(rng, 60)}),
        ]
        paths += [f"/widgets/{name}?{urlencode(p)}" for name, p in model]
        paths.append(fixed[i % len(fixed)])
    rng.shuffle(paths)
    return paths


def memory_mib(pid: int) -> dict:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            fields[key] = round(int(value.split()[0]) / MIB, 1)
    return {"peak_rss_mib": fields["VmHWM"], "rss_mib": fields["VmRSS"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    env = {"COURSE_MODEL_PER_CLIENT": "0"}
    with uvicorn_server(workers=args.workers, env=env) as (port, proc):
        pids = worker_pids(proc.pid)
        workers = pids[1:] or pids
        for _ in range(args.workers * 3):  # both models, in every worker
            for path in ("/api/widgets/attention?sentence=Warm%20up",
                         "/api/widgets/next-token?prompt=Warm%20up"):
                httpx.get(f"http://127.0.0.1:{port}{path}", timeout=120)
        warm = {pid: memory_mib(pid) for pid in workers}
        print(f"both models loaded (peak = while loading): {warm}", flush=True)
        for pid in workers:  # from here VmHWM is the peak under load (Linux: clear_refs 5)
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        paths = mixed_paths(200)
        stats = asyncio.run(run_load(port, paths, args.clients, seconds=args.seconds))
        after = {pid: memory_mib(pid) for pid in workers}
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30).json()
        summary = stats.summary()
        print(f"{args.clients} clients, {args.seconds:.0f} s mixed load: {summary}, "
              f"statuses {dict(stats.statuses)}", flush=True)
        print(f"per worker after: {after}", flush=True)
    result = {"workers": args.workers, "clients": args.clients, "seconds": args.seconds,
              "warm": warm, "after": after, "load": summary,
              "statuses": {str(k): v for k, v in stats.statuses.items()},
              "loading_peak_rss_mib": max(m["peak_rss_mib"] for m in warm.values()),
              "load_peak_rss_mib": max(m["peak_rss_mib"] for m in after.values()),
              "model_cache_mib": health["model_cache_mib"],
              "model_cache_budget_mib": health["model_cache_budget_mib"]}
    # The caches may not have filled in the time given: what they could still add.
    headroom = health["model_cache_budget_mib"] - health["model_cache_mib"]
    result["load_peak_bound_mib"] = round(result["load_peak_rss_mib"] + headroom, 1)
    print(f"peak RSS per worker: {result['loading_peak_rss_mib']} MiB while loading the "
          f"models, {result['load_peak_rss_mib']} MiB under load with the model caches "
          f"holding {health['model_cache_mib']} of at most {health['model_cache_budget_mib']} "
          f"MiB (one worker answered /healthz); with every cache full at most "
          f"{result['load_peak_bound_mib']} MiB", flush=True)
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
