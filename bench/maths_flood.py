"""One client floods a pure-maths widget; do everyone else's pages slow down? (issue 23)

One uvicorn worker. First 4 clients load a lesson page for ``--seconds`` alone; then the
same while one more client sends the heaviest pure-maths request it can find (the
positional-encoding heatmap at its largest) back to back on its own connection. Reports
the page latency both times and the flood's rate.

    python bench/maths_flood.py --json
"""

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import run_load  # noqa: E402
from bench.server import uvicorn_server  # noqa: E402

PAGE = "/modules/12"
FLOOD = "/widgets/positional?length=128&d_model=128&p1=5&p2=120"


async def pages_with_flood(port: int, seconds: float) -> tuple[dict, dict]:
    pages, flood = await asyncio.gather(run_load(port, [PAGE], 4, seconds=seconds),
                                        run_load(port, [FLOOD], 1, seconds=seconds))
    return pages.summary(), flood.summary()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with uvicorn_server(workers=1) as (port, _proc):
        asyncio.run(run_load(port, [PAGE, FLOOD], 2, requests=20))  # render, warm up
        alone = asyncio.run(run_load(port, [PAGE], 4, seconds=args.seconds)).summary()
        flooded, flood = asyncio.run(pages_with_flood(port, args.seconds))
    result = {"pages_alone": alone, "pages_during_flood": flooded, "flood": flood}
    print(f"{PAGE}, 4 clients: p50 {alone['p50_ms']} ms, p99 {alone['p99_ms']} ms alone; "
          f"p50 {flooded['p50_ms']} ms, p99 {flooded['p99_ms']} ms while one client sends "
          f"{flood['rps']} maths requests/s", flush=True)
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
