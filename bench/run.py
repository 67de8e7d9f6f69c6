"""`make bench`: page and widget latency on this machine, then the engine benchmarks.

Prints counted steps as it goes and writes bench/results/latest.json.
    python bench/run.py                 # pages + widgets + engines
    python bench/run.py --only pages    # one section: pages, widgets, load, engines, lighthouse
"""

import argparse
import asyncio
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from bench.loadgen import run_load  # noqa: E402
from bench.server import rss_mib, running_server  # noqa: E402
from bench.static_baseline import serve_static_copy  # noqa: E402

PAGE_PATHS = ["/", "/modules/12"]
# Widget endpoints with their budgets (p99 server time, ms) from the issues.
WIDGETS = [
    ("/api/widgets/softmax?logits=3.2,1.0,0.2,-1.5&temperature=0.5", 5),
    ("/api/widgets/qkv?q=0.5,1,0,0&k=1,0.5,0,0", 5),
    ("/api/widgets/causal-mask?scores=2,1,0;0,3,4;1,1,1&causal=true", 5),
    ("/api/widgets/kv-cache?layers=32&d_model=4096&heads=32&kv_heads=8&seq_len=131072&batch=1"
     "&dtype=fp16", 5),
    ("/api/widgets/attention?sentence=The%20animal%20didn%27t%20cross%20the%20street%20because"
     "%20it%20was%20tired%20and%20the%20road%20was%20wide%20and%20full%20of%20cars%20and%20trucks"
     "%20at%20noon&layer=2&head=5", 30),
    ("/api/widgets/next-token?prompt=The%20capital%20of%20France%20is&top_k=10", 300),
]
ENGINE_SCRIPTS = ["engine_minilm.py", "engine_smollm2.py"]


def bench_pages(workers: int) -> dict:
    results = {}
    with running_server(workers=workers) as (port, _pids):
        for i, path in enumerate(PAGE_PATHS, 1):
            print(f"[pages {i}/{len(PAGE_PATHS)}] {path}: 50 clients for 10 s", flush=True)
            stats = asyncio.run(run_load(port, [path], concurrency=50, seconds=10))
            results[path] = stats.summary()
            print(f"  {results[path]}", flush=True)
        html = httpx.get(f"http://127.0.0.1:{port}/modules/12").content
    print("[pages 3/3] the same page as a static file from nginx: 50 clients for 10 s",
          flush=True)
    static = serve_static_copy(html)
    if static is None:
        print("  nginx is not installed (apt-get install nginx): skipped", flush=True)
        return results
    proc, port, _tmp = static
    try:
        stats = asyncio.run(run_load(port, ["/modules/12/"], concurrency=50, seconds=10))
    finally:
        proc.terminate()
    results["nginx_static_/modules/12"] = stats.summary()
    ratio = results["/modules/12"]["rps"] / max(stats.summary()["rps"], 1e-9)
    results["app_to_static_ratio"] = round(ratio, 3)
    print(f"  {stats.summary()}\n  the app serves {ratio:.0%} of nginx's requests/s", flush=True)
    return results


def bench_widgets() -> dict:
    results = {}
    with running_server(workers=1, warm=tuple(u for u, _ in WIDGETS)) as (port, _pids):
        for i, (url, budget) in enumerate(WIDGETS, 1):
            name = url.split("?")[0].rsplit("/", 1)[1]
            print(f"[widgets {i}/{len(WIDGETS)}] {name}: 300 sequential requests", flush=True)
            stats = asyncio.run(run_load(port, [url], concurrency=1, seconds=60, requests=300))
            summary = stats.summary()
            summary["budget_p99_ms"] = budget
            results[name] = summary
            print(f"  server p50 {summary['server_p50_ms']} ms, p99 {summary['server_p99_ms']} ms"
                  f" (budget {budget} ms), status {dict(stats.statuses)}", flush=True)
        # Both models are loaded now (attention: MiniLM, next-token: SmolLM2).
        results["rss_mib_with_both_models"] = rss_mib(_pids)
        print(f"  resident memory with both models loaded (MiB): "
              f"{results['rss_mib_with_both_models']}", flush=True)
    return results


def bench_load(workers: int) -> dict:
    """Issue 9's load: mixed pages, assets and widgets at 50 and 200 clients, 30 s each."""
    mix = PAGE_PATHS + ["/static/css/site.css", "/api/modules"] + [u for u, _ in WIDGETS[:4]]
    results = {}
    with running_server(workers=workers, warm=tuple(mix)) as (port, pids):
        before = rss_mib(pids)
        for i, clients in enumerate((50, 200), 1):
            print(f"[load {i}/2] {clients} clients, mixed, 30 s", flush=True)
            results[f"c{clients}"] = asyncio.run(run_load(port, mix, clients, seconds=30)).summary()
            print(f"  {results[f'c{clients}']}", flush=True)
        results["rss_mib_before"] = before
        results["rss_mib_after"] = rss_mib(pids)
    return results


def bench_engines() -> dict:
    results = {}
    for i, script in enumerate(ENGINE_SCRIPTS, 1):
        path = BENCH / script
        print(f"[engines {i}/{len(ENGINE_SCRIPTS)}] {script}", flush=True)
        if not path.exists():
            print("  (not present)")
            continue
        proc = subprocess.run([sys.executable, str(path), "--json"], capture_output=True,
                              text=True, cwd=BENCH.parent)
        sys.stdout.write(proc.stderr)
        lines = [x for x in proc.stdout.strip().splitlines() if x.startswith("{")]
        results[script] = json.loads(lines[-1]) if lines else {"error": proc.stdout[-500:]}
        print(f"  {results[script]}", flush=True)
    return results


def bench_lighthouse() -> dict:
    from bench.lighthouse import run

    return run()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=["pages", "widgets", "engines", "load", "lighthouse"])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sections = {"pages": lambda: bench_pages(args.workers), "widgets": bench_widgets,
                "load": lambda: bench_load(args.workers), "engines": bench_engines,
                "lighthouse": bench_lighthouse}
    chosen = [args.only] if args.only else ["pages", "widgets", "load", "engines", "lighthouse"]
    out = {"machine": f"{platform.machine()}, {platform.python_version()}",
           "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    for name in chosen:
        out[name] = sections[name]()
    target = BENCH / "results" / ("latest.json" if not args.only else f"latest-{args.only}.json")
    target.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {target.relative_to(BENCH.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
