"""Command line: ``python -m app check | serve | narrate``."""

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description="How LLMs Work course tools")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate every lesson (and its narration)")
    check.add_argument("--no-audio", action="store_true", help="skip the narration freshness check")
    serve = sub.add_parser("serve", help="run the course server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-access-log", action="store_true", help="log no line per request")
    narrate = sub.add_parser("narrate", help="build narration audio for lessons")
    narrate.add_argument("ids", nargs="*", help="module ids (default: all)")
    narrate.add_argument("--force", action="store_true", help="rebuild even if unchanged")
    narrate.add_argument("--reuse-audio", action="store_true",
                         help="cut unchanged sentences from the committed tracks instead of "
                              "speaking them again (one more Opus generation)")
    narrate.add_argument("--voice", help="engine:voice, e.g. kokoro:am_michael (default: the "
                                         "COURSE_NARRATION_VOICE setting)")
    narrate.add_argument("--audio-dir", type=Path,
                         help="build into this folder instead of audio/ (a staging folder)")
    narrate.add_argument("--kbps", type=float,
                         help="Opus target bitrate in kbit/s (default: the voice's, 20 for "
                              "Kokoro, 16 for Piper)")
    args = parser.parse_args(argv)

    if args.command == "check":
        from app.cli import run_check

        return run_check(require_audio=not args.no_audio)
    if args.command == "serve":
        from app.server import run_server

        run_server(args.host, args.port, args.workers, access_log=not args.no_access_log)
        return 0
    if args.command == "narrate":
        from app.narration.build import run_narrate

        return run_narrate(args.ids, force=args.force, reuse_audio=args.reuse_audio,
                           voice=args.voice, audio_dir=args.audio_dir, kbps=args.kbps)
    return 2


if __name__ == "__main__":
    sys.exit(main())
