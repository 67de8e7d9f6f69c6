"""Where each lesson's first interactive element sits, as a fraction of the page height.

    python bench/first_piece.py            # all lessons at 1280 px, then a summary
    python bench/first_piece.py 01 12 30   # only these

Opens every lesson in headless Chromium (Debian's, through Playwright), finds the first
inline widget or checkpoint (#lesson .piece) and divides its top by the page's height.
Prints one line per lesson as it goes, then the median and the maximum, and writes
bench/results/first_piece.json.
"""

import json
import statistics
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from bench.server import uvicorn_server  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
MEASURE = """() => {
    const el = document.querySelector('#lesson .piece');
    if (!el) return null;
    return (el.getBoundingClientRect().top + scrollY) / document.documentElement.scrollHeight;
}"""


def lesson_ids() -> list[str]:
    from app.content.loader import load_course
    from app.settings import Settings
    from app.widgets import registry

    settings = Settings()
    index = load_course(settings.lessons_dir, settings.audio_dir, registry())
    return [lesson.id for lesson in index.lessons]


def main(only: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    ids = only or lesson_ids()
    found: dict[str, float | None] = {}
    with uvicorn_server() as (port, _), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                     args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(180_000)
        for n, module in enumerate(ids, start=1):
            page.goto(f"http://127.0.0.1:{port}/modules/{module}")
            found[module] = page.evaluate(MEASURE)
            shown = "none" if found[module] is None else f"{found[module]:.3f}"
            print(f"lesson {n}/{len(ids)} · {module} · first piece at {shown}", flush=True)
        browser.close()
    values = [v for v in found.values() if v is not None]
    summary = {"lessons": len(found), "without_piece": [k for k, v in found.items() if v is None],
               "median": statistics.median(values) if values else None,
               "max": max(values) if values else None,
               "max_lesson": max(found, key=lambda k: found[k] or 0) if values else None,
               "fractions": found}
    (BENCH / "results" / "first_piece.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"median {summary['median']:.3f}, max {summary['max']:.3f} "
          f"({summary['max_lesson']}), {len(summary['without_piece'])} without a piece")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
