"""Narration files checked against ``audio/manifest.json`` before they are served.

A player URL carries the manifest's version (``?v=<hash>-<bytes>``) and is cached for a
year as immutable, so a truncated or damaged file must never go out under it: each file
is compared with the manifest's size and, when the manifest has one, its SHA-256.
"""

import functools
import hashlib
from pathlib import Path


def audio_file_problem(entry: dict, audio_dir: Path) -> str | None:
    """Why a manifest entry's files cannot be served (missing, truncated, different
    bytes), or None when the audio and cue files are there and match."""
    for key in ("audio", "vtt"):
        if not (audio_dir / entry[key]).is_file():
            return f"{entry[key]} is missing"
    path = audio_dir / entry["audio"]
    stat = path.stat()
    if stat.st_size != int(entry["bytes"]):
        return (f"{entry['audio']} has {stat.st_size} bytes, the manifest says "
                f"{entry['bytes']} (truncated or replaced)")
    expected = entry.get("sha256")
    if expected and file_sha256(path, stat.st_size, stat.st_mtime_ns) != expected:
        return f"{entry['audio']} does not have the manifest's SHA-256 (damaged or replaced)"
    return None


@functools.lru_cache(maxsize=256)
def file_sha256(path: Path, size: int, mtime_ns: int) -> str:
    """SHA-256 of a file, hex; ``size`` and ``mtime_ns`` key the cache, so every app a
    test suite builds does not hash the same unchanged files again."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
