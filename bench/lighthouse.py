"""Lighthouse (npm, headless Debian Chromium) on `/` and `/modules/12`.

Saves a JSON summary per page under bench/results/ and prints the four scores.
    python bench/lighthouse.py
"""

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from bench.server import running_server  # noqa: E402

LIGHTHOUSE = BENCH / "node_modules" / ".bin" / "lighthouse"
PAGES = {"home": "/", "module-12": "/modules/12"}
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run --disable-quic")
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]


def ensure_lighthouse() -> None:
    if not LIGHTHOUSE.exists():
        print("installing lighthouse from npm (bench/package.json)…", flush=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(BENCH)],
                       check=True)


def run() -> dict:
    ensure_lighthouse()
    scores = {}
    with running_server(workers=2) as (port, _):
        for i, (name, path) in enumerate(PAGES.items(), 1):
            print(f"[lighthouse {i}/{len(PAGES)}] {path}", flush=True)
            raw = BENCH / "results" / f"lighthouse-{name}.full.json"
            subprocess.run(
                [str(LIGHTHOUSE), f"http://127.0.0.1:{port}{path}", "--quiet",
                 "--output=json", f"--output-path={raw}", f"--chrome-flags={CHROME_FLAGS}",
                 f"--only-categories={','.join(CATEGORIES)}"],
                check=True, env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"})
            report = json.loads(raw.read_text())
            raw.unlink()
            summary = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
            summary["failed_audits"] = sorted(
                a["id"] for a in report["audits"].values()
                if a.get("score") is not None and a["score"] < 1
                and a.get("scoreDisplayMode") == "binary")
            (BENCH / "results" / f"lighthouse-{name}.json").write_text(
                json.dumps(summary, indent=2) + "\n")
            scores[path] = summary
            print(f"  {summary}", flush=True)
    return scores


if __name__ == "__main__":
    print(json.dumps(run()))
