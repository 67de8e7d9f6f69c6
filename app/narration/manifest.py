"""``audio/manifest.json``: which script text produced which audio.

Shape (the site reads ``modules``; see ``app.content.loader.narration_for``)::

    {"version": 1,
     "modules": {"12": {"audio": "12.ogg", "vtt": "12.vtt", "duration_s": 612.4,
                        "bytes": 1255000, "script_hash": "<sha256>", "voice": "en_US-joe-medium",
                        "sentences": 172, "kbps": 16, "sha256": "<sha256 of 12.ogg>",
                        "engine": "kokoro", "model": "<sha256 prefix of the model file>"}}}

``engine`` and ``model`` are absent from tracks built before Kokoro (engine Piper).

``kbps`` is the target the encoder was given (the voice's, ``Voice.kbps``); the
file's real rate, ``bytes`` · 8 / ``duration_s``, comes out within a few percent of it.
"""

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

from app.content.audio_files import audio_file_problem
from app.content.loader import MANIFEST_FILE, load_manifest
from app.narration.voices import Voice

MANIFEST_VERSION = 1


def read_manifest(audio_dir: Path) -> dict:
    """The manifest, or an empty one if it is missing or unreadable."""
    manifest = load_manifest(audio_dir)
    manifest.setdefault("modules", {})
    manifest["version"] = MANIFEST_VERSION
    return manifest


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_manifest(audio_dir: Path, manifest: dict) -> None:
    modules = dict(sorted(manifest.get("modules", {}).items()))
    text = json.dumps({"version": MANIFEST_VERSION, "modules": modules}, indent=2) + "\n"
    write_atomic(audio_dir / MANIFEST_FILE, text.encode("utf-8"))


@contextlib.contextmanager
def locked_manifest(audio_dir: Path) -> Iterator[dict]:
    """Read, let the caller change, and write the manifest under an exclusive file lock,
    so two builders working on different lessons at once never lose each other's entries."""
    audio_dir.mkdir(parents=True, exist_ok=True)
    with open(audio_dir / ".manifest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = read_manifest(audio_dir)
        yield manifest
        write_manifest(audio_dir, manifest)


def make_entry(module_id: str, script_hash: str, voice: Voice, duration_s: float,
               size: int, sentences: int, kbps: float, sha256: str = "") -> dict:
    """One lesson's entry; ``sha256`` is the audio file's own hash, checked at start-up."""
    entry = {"audio": f"{module_id}.ogg", "vtt": f"{module_id}.vtt",
             "duration_s": round(duration_s, 3), "bytes": size, "script_hash": script_hash,
             "voice": voice.name, "sentences": sentences, "kbps": kbps,
             "engine": voice.engine}
    if voice.model:
        entry["model"] = voice.model
    return {**entry, "sha256": sha256} if sha256 else entry


def entry_voice(entry: dict) -> str:
    """``engine:voice`` of a manifest entry (entries without ``engine`` are Piper's)."""
    return f"{entry.get('engine', 'piper')}:{entry.get('voice', '?')}"


def staleness(entry: dict | None, script_hash: str, audio_dir: Path,
              voice: Voice) -> str | None:
    """Why a lesson's audio must be rebuilt, or None if it is current."""
    if not entry:
        return "has no narration audio"
    if entry_voice(entry) != voice.setting or entry.get("model", "") != voice.model:
        return (f"narration audio is in another voice ({entry_voice(entry)}, model "
                f"{entry.get('model') or '-'}; the course is set to {voice.setting})")
    if entry.get("script_hash") != script_hash:
        return "narration audio is stale (the script text changed)"
    for key in ("audio", "vtt"):
        name = entry.get(key)
        if not name or not (audio_dir / name).is_file():
            return f"narration {key} file {name!r} is missing"
    if (audio_dir / entry["audio"]).stat().st_size != entry.get("bytes"):
        return "narration audio file does not match the manifest (size differs)"
    problem = audio_file_problem(entry, audio_dir)  # its SHA-256, when the manifest has one
    return f"narration audio file does not match the manifest ({problem})" if problem else None
