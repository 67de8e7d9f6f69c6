"""Abandoned work: 20 fire-and-forget model requests, then a new learner (issue 23, item 3).

Starts one uvicorn worker, loads both models, then sends 20 logit-lens requests with
distinct 24-token prompts, each from its own loopback address, and closes each connection
right after sending it (a closed tab, a request htmx replaced). A new learner then asks for
next-token. Reports the learner's wait and the CPU the server spent until it went idle.

    python bench/abandon.py --json
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lesson_rush import cpu_seconds  # noqa: E402
from bench.server import uvicorn_server, worker_pids  # noqa: E402

WORDS = ["apple", "river", "stone", "cloud", "music", "paper", "light", "green", "house",
         "table", "window", "garden"]
IDLE_CPU_S = 0.05  # CPU per half second below which the server counts as idle


async def fire_and_forget(port: int, path: str, source: str) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.close()


async def abandon(port: int, count: int) -> None:
    paths = []
    for i in range(count):
        words = [WORDS[(i + k) % len(WORDS)] + ("s" if (i >> (k % 4)) & 1 else "")
                 for k in range(22)]
        paths.append("/api/widgets/logit-lens?" + urlencode({"prompt": " ".join(words)}))
    await asyncio.gather(*(fire_and_forget(port, p, f"127.0.1.{2 + i}")
                           for i, p in enumerate(paths)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with uvicorn_server(workers=1) as (port, proc):
        pids = worker_pids(proc.pid)
        base = f"http://127.0.0.1:{port}"
        for path in ("/api/widgets/attention?sentence=Warm", "/api/widgets/next-token?prompt=Hi"):
            httpx.get(base + path, timeout=120)
        before = cpu_seconds(pids)
        began = time.perf_counter()
        asyncio.run(abandon(port, args.count))
        learner = httpx.get(base + "/api/widgets/next-token",
                            params={"prompt": "A new learner arrives after the flood"},
                            timeout=300)
        waited = time.perf_counter() - began
        last = cpu_seconds(pids)
        while True:  # until the server stops spending CPU
            time.sleep(0.5)
            now = cpu_seconds(pids)
            if now - last < IDLE_CPU_S:
                break
            last = now
        result = {"abandoned": args.count, "learner_status": learner.status_code,
                  "learner_wait_s": round(waited, 2),
                  "server_cpu_s": round(now - before, 2)}
    print(f"{args.count} abandoned logit-lens requests: the new learner got "
          f"{result['learner_status']} after {result['learner_wait_s']} s; the server spent "
          f"{result['server_cpu_s']} CPU-s in all", flush=True)
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
