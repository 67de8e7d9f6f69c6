"""Command line: ``python -m app check | serve | narrate``."""

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description="How LLMs Work course tools")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate every lesson (and its narration)")
    check.add_argument("--no-audio", action="store_true", help="skip the narration freshness check")
    serve = sub.add_parser("serve", help="run the course server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    narrate = sub.add_parser("narrate", help="build narration audio for lessons")
    narrate.add_argument("ids", nargs="*", help="module ids (default: all)")
    narrate.add_argument("--force", action="store_true", help="rebuild even if unchanged")
    args = parser.parse_args(argv)

    if args.command == "check":
        from app.cli import run_check

        return run_check(require_audio=not args.no_audio)
    if args.command == "serve":
        import os

        import uvicorn

        # A served course renders its pages in the background at start-up.
        os.environ.setdefault("COURSE_WARM_PAGES", "true")
        uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port,
                    workers=args.workers, proxy_headers=True)
        return 0
    if args.command == "narrate":
        from app.narration.build import run_narrate

        return run_narrate(args.ids, force=args.force)
    return 2


if __name__ == "__main__":
    sys.exit(main())
