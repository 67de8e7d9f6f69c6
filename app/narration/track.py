"""Sentence clips -> one track with natural pauses and timed cues -> Ogg Opus file.

Times are exact: each cue starts at the sample where its sentence starts, and
runs until the next sentence starts (the pause belongs to the sentence before
it), so the cues cover the whole track without gaps.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.narration.resample import resample

OPUS_RATE = 24000  # Hz; Opus accepts 8/12/16/24/48 kHz, and 24 kHz keeps all of the voice
TARGET_KBPS = 16  # the encoder's default, mono VBR; each voice has its own (Voice.kbps)
# libsndfile maps compression level c in [0, 1] linearly onto 256 … 6 kbit/s for Opus
# (measured: c = 0.9 gives 31.8 kbit/s on speech); solve for the target.
OPUS_MAX_KBPS, OPUS_MIN_KBPS = 256.0, 6.0
SILENCE = 0.008  # amplitude below which a clip's head and tail count as silence
EDGE_S = 0.04  # silence kept before and after the voice when trimming
LEAD_IN_S = 0.25  # silence at the very start of the track
FADE_S = 0.005  # short fades avoid clicks where a trimmed clip meets silence


@dataclass(frozen=True)
class Span:
    """Where one sentence sits in the track, in seconds."""

    start_s: float
    end_s: float


def trim(clip: np.ndarray, rate: int) -> np.ndarray:
    """Drop leading/trailing near-silence from a clip (shape (n,)), keeping ``EDGE_S``."""
    loud = np.flatnonzero(np.abs(clip) > SILENCE)
    if loud.size == 0:
        return clip
    keep = int(EDGE_S * rate)
    out = clip[max(loud[0] - keep, 0):loud[-1] + keep + 1].copy()
    fade = min(int(FADE_S * rate), len(out) // 2)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        out[:fade] *= ramp
        out[-fade:] *= ramp[::-1]
    return out


def assemble(clips: Sequence[np.ndarray], pauses_s: Sequence[float],
             rate: int) -> tuple[np.ndarray, list[Span]]:
    """Join clips with ``pauses_s[i]`` seconds of silence after clip i.

    Returns the track (float32, shape (n,)) and one span per clip: span i runs
    from the start of clip i to the start of clip i+1; the first starts at 0 and
    the last ends at the end of the track.
    """
    if len(clips) != len(pauses_s):
        raise ValueError("one pause per clip")
    pieces = [np.zeros(int(LEAD_IN_S * rate), np.float32)]
    starts, position = [], len(pieces[0])
    for clip, pause in zip(clips, pauses_s, strict=True):
        starts.append(position)
        silence = np.zeros(int(round(pause * rate)), np.float32)
        pieces += [clip.astype(np.float32), silence]
        position += len(clip) + len(silence)
    track = np.concatenate(pieces)
    bounds = [0, *starts[1:], len(track)]
    spans = [Span(bounds[i] / rate, bounds[i + 1] / rate) for i in range(len(clips))]
    return track, spans


def compression_level(kbps: float) -> float:
    """libsndfile's Opus compression level for a target bitrate in kbit/s (mono)."""
    level = (OPUS_MAX_KBPS - kbps) / (OPUS_MAX_KBPS - OPUS_MIN_KBPS)
    return float(min(max(level, 0.0), 1.0))


def encode_opus(track: np.ndarray, rate: int, path: Path, kbps: float = TARGET_KBPS) -> float:
    """Write ``track`` (mono, ``rate`` Hz) as Ogg Opus at ``OPUS_RATE``; returns duration (s)."""
    import soundfile  # build time only; the server never encodes

    audio = resample(np.clip(track, -1.0, 1.0), rate, OPUS_RATE)
    soundfile.write(str(path), audio, OPUS_RATE, format="OGG", subtype="OPUS",
                    compression_level=compression_level(kbps))
    return soundfile.info(str(path)).duration
