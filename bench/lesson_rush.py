"""A classroom opens one lesson at once: N learners request every widget of the lesson.

Starts the server the production way (one uvicorn worker, BLAS on one thread), opens the
lesson once (as the teacher does before class: that renders its widgets and warms the
model caches), then N clients at the same moment each request the lesson page and every
widget instance's fragment with the instance's own parameters, as the page's forms send
them. A second round does the same with the lesson's set-up links ("try this prompt"),
which are not precomputed. Reports, per round, status counts per widget and latency.

    python bench/lesson_rush.py                  # lesson 38, 30 learners
    python bench/lesson_rush.py --lesson 22 --clients 30 --json
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.content.directives import query_string  # noqa: E402
from app.content.loader import load_course  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.widgets import registry  # noqa: E402
from bench.server import uvicorn_server, worker_pids  # noqa: E402

REQUEST_TIMEOUT_S = 120


def lesson_requests(lesson_id: str) -> tuple[str, list[tuple[str, str, str]], list]:
    """The lesson's URL, its widget instances' requests and its set-up links' requests:
    ``(label, url, htmx target)`` each, the URL as the instance's form would send it."""
    settings, specs = Settings(), registry()
    course = load_course(settings.lessons_dir, settings.audio_dir, specs)
    lesson = course.get(lesson_id).lesson

    def request(name: str, anchor: str, raw: dict) -> tuple[str, str, str]:
        spec = specs[name]
        state = spec.state(spec.parse(raw))
        return f"{name}#{anchor}", f"/widgets/{name}?{query_string(state)}", f"{anchor}-result"

    opened = [request(u.name, u.anchor, u.params) for u in lesson.widget_uses]
    by_anchor = {u.anchor: u.name for u in lesson.widget_uses}
    setups = [request(by_anchor[s.target], s.target, s.params) for s in lesson.setups
              if s.target in by_anchor]
    return lesson.url, opened, setups


async def learner(client: httpx.AsyncClient, page: str, requests: list, start: asyncio.Event,
                  out: list) -> None:
    """One learner: the page, then every widget request at once (as htmx would)."""
    await start.wait()

    async def one(label: str, url: str, target: str | None) -> None:
        headers = {"HX-Request": "true", "HX-Target": target} if target else {}
        began = time.perf_counter()
        try:
            r = await client.get(url, headers=headers, timeout=REQUEST_TIMEOUT_S)
            status = r.status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        out.append((label, status, (time.perf_counter() - began) * 1000))

    await one("page", page, None)
    await asyncio.gather(*(one(*r) for r in requests))


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the server processes so far (from /proc, in seconds)."""
    total = 0
    for pid in pids:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(stat[11]) + int(stat[12])  # utime, stime in clock ticks
    return total / 100


async def rush(port: int, page: str, requests: list, clients: int) -> dict:
    start, out = asyncio.Event(), []
    limits = httpx.Limits(max_connections=len(requests) + 1)
    # Each learner from an address of its own (any 127.x.y.z reaches loopback), as
    # learners on their own machines would be: per-client limits apply per learner.
    sessions = [httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits,
        transport=httpx.AsyncHTTPTransport(local_address=f"127.0.{1 + i // 250}.{2 + i % 250}",
                                           limits=limits))
        for i in range(clients)]
    try:
        tasks = [asyncio.create_task(learner(s, page, requests, start, out)) for s in sessions]
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - began
    finally:
        await asyncio.gather(*(s.aclose() for s in sessions))
    report: dict = {"wall_s": round(wall, 2), "widgets": {}}
    for label in dict.fromkeys(label for label, _, _ in out):
        rows = [(s, ms) for lab, s, ms in out if lab == label]
        statuses: dict = {}
        for s, _ in rows:
            statuses[str(s)] = statuses.get(str(s), 0) + 1
        ms = np.array([m for _, m in rows])
        report["widgets"][label] = {
            "statuses": statuses, "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1)}
    model_rows = [s for lab, s, _ in out if lab != "page"]
    report["widget_requests"] = len(model_rows)
    report["not_200"] = sum(1 for s in model_rows if s != 200)
    report["503"] = sum(1 for s in model_rows if s == 503)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lesson", default="38")
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print one JSON line at the end")
    args = parser.parse_args()
    page, opened, setups = lesson_requests(args.lesson)
    results: dict = {"lesson": args.lesson, "clients": args.clients}
    with uvicorn_server(workers=1) as (port, proc):
        pids = worker_pids(proc.pid)
        began = time.perf_counter()
        httpx.get(f"http://127.0.0.1:{port}{page}", timeout=REQUEST_TIMEOUT_S)
        print(f"teacher opened {page} in {time.perf_counter() - began:.1f} s "
              "(renders its widgets, loads the models)", flush=True)
        for name, requests in (("open the lesson", opened), ("click the set-up links", setups)):
            if not requests:
                continue
            cpu = cpu_seconds(pids)
            print(f"[{name}] {args.clients} learners × {len(requests)} widget requests",
                  flush=True)
            report = asyncio.run(rush(port, page, requests, args.clients))
            report["server_cpu_s"] = round(cpu_seconds(pids) - cpu, 2)
            results[name] = report
            for label, row in report["widgets"].items():
                print(f"  {label:40s} {row}", flush=True)
            print(f"  {report['not_200']} of {report['widget_requests']} widget requests not "
                  f"200 ({report['503']} × 503); {report['wall_s']} s wall, "
                  f"{report['server_cpu_s']} CPU-s on the server", flush=True)
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
