"""Benchmark the forward-pass explorer (/widgets/explore) on a real server.

    python bench/explore.py            # figures as readable lines
    python bench/explore.py --json     # one JSON line on stdout

Targets from issue 19 (a benchmark, not a timed test): the overview for a new 32-token
prompt under 300 ms of server time, a detail panel under 50 ms from the cached trace.
Server time is the app's own ``Server-Timing`` (time to the response's first byte), from a
real server. On a machine shared with other work that also counts waiting for a core, so
the same requests are measured once more in this process as CPU time of the computing
thread (compute and HTML; BLAS runs one thread, in that thread).
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.server import uvicorn_server  # noqa: E402

STAGES = ["tokens", "embed", "rope", "attn", "ffn", "residual", "lens", "output"]
WORDS = ["river", "stone", "cloud", "lamp", "music", "garden", "window", "paper", "forest",
         "bridge", "candle", "winter", "harbor", "meadow", "silver", "engine"]
PROMPTS = 5  # new prompts, each traced once


def prompt(k: int) -> str:
    """A new prompt of 32 tokens for SmolLM2 (1 + 31 one-token words, rotated by k)."""
    words = [WORDS[(k + i) % len(WORDS)] for i in range(31)]
    return "The " + " ".join(words)


def server_ms(response: httpx.Response) -> float:
    timing = response.headers["server-timing"]
    return float(timing.split("dur=")[1])


def run() -> dict:
    with uvicorn_server(env={"COURSE_WARM_PAGES": "false"}) as (port, _):
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=120) as client:
            client.get("/widgets/explore").raise_for_status()  # load the model once
            overview, panels = [], {s: [] for s in STAGES}
            for k in range(PROMPTS):
                text = prompt(k)
                r = client.get("/widgets/explore", params={"prompt": text})
                r.raise_for_status()
                overview.append(server_ms(r))
                for stage in STAGES:
                    r = client.get("/widgets/explore", params={"prompt": text, "stage": stage})
                    r.raise_for_status()
                    panels[stage].append(server_ms(r))
            tokens = client.get("/api/widgets/explore", params={"prompt": prompt(0)}).json()
    return {"prompt_tokens": len(tokens["tokens"]),
            "overview_new_prompt_ms": round(statistics.median(overview), 1),
            "overview_worst_ms": round(max(overview), 1),
            "panel_cached_ms": {s: round(statistics.median(v), 1) for s, v in panels.items()},
            "targets": {"overview_ms": 300, "panel_ms": 50}}


def cpu_ms() -> dict:
    """The same requests in this process: thread CPU time per overview and per panel."""
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # before NumPy loads BLAS, as in production
    from app.main import create_app
    from app.routes.render import result_html
    from app.settings import Settings

    app = create_app(Settings(warm_pages=False))
    spec, env, models = app.state.widgets["explore"], app.state.templates.env, app.state.models

    def once(params: dict) -> float:
        start = time.thread_time()
        parsed = spec.parse(params)
        result_html(env, spec, parsed, spec.run(parsed, models), "w-explore")
        return (time.thread_time() - start) * 1000

    once({})  # load the model, compile the templates
    overview, panels = [], {s: [] for s in STAGES}
    for k in range(PROMPTS):
        text = prompt(100 + k)  # prompts the server part did not see
        overview.append(once({"prompt": text}))
        for stage in STAGES:
            panels[stage].append(once({"prompt": text, "stage": stage}))
    return {"overview_new_prompt_cpu_ms": round(statistics.median(overview), 1),
            "panel_cached_cpu_ms": {s: round(statistics.median(v), 1)
                                    for s, v in panels.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    figures = {**run(), **cpu_ms(), "load_average": os.getloadavg()[0]}
    if parser.parse_args().json:
        print(json.dumps(figures))
        return
    print(f"overview, new {figures['prompt_tokens']}-token prompt: "
          f"{figures['overview_new_prompt_ms']} ms median, {figures['overview_worst_ms']} ms worst"
          f" (target < 300)")
    for stage, ms in figures["panel_cached_ms"].items():
        print(f"panel {stage:<9} from the cached trace: {ms} ms (target < 50), "
              f"{figures['panel_cached_cpu_ms'][stage]} ms CPU")
    print(f"overview, new prompt, CPU time: {figures['overview_new_prompt_cpu_ms']} ms; "
          f"load average during the run: {figures['load_average']:.1f}")


if __name__ == "__main__":
    main()
