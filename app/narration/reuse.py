"""Seed the sentence cache from a lesson's committed track, so that after an edit a
fresh checkout re-speaks only the sentences whose text changed.

The per-sentence cache (``.cache/narration/``) is not committed, so on a new machine
any edit to a lesson used to re-synthesise all of it. The committed track and its cues
already hold every sentence: each cue's span, cut from the decoded track, resampled to
the voice's rate and trimmed, becomes that sentence's cached clip. The price is one
more Opus generation for a reused sentence, so it is opt-in
(``python -m app narrate --reuse-audio``) and meant for small edits between full builds.
"""

from pathlib import Path

import numpy as np

from app.narration.resample import resample
from app.narration.speech import cache_key
from app.narration.track import trim
from app.narration.voices import Voice
from app.narration.vtt import parse_vtt


def seed_from_track(ogg: Path, vtt: Path, cache_dir: Path, wanted: set[str],
                    voice: Voice) -> int:
    """Cache the clip of every cue whose text is in ``wanted`` and not cached yet;
    returns how many clips were added. A missing or unreadable track adds none."""
    import soundfile  # build time only, like the encoder

    try:
        cues = parse_vtt(vtt.read_text(encoding="utf-8"))
        audio, rate = soundfile.read(str(ogg), dtype="float32")
    except (OSError, ValueError, RuntimeError):
        return 0
    if audio.ndim > 1:
        audio = audio.mean(axis=1)
    cache_dir.mkdir(parents=True, exist_ok=True)
    added = 0
    for cue in cues:
        path = cache_dir / cache_key(cue.text, voice)
        if cue.text not in wanted or path.is_file():
            continue
        piece = audio[int(cue.start_s * rate): int(cue.end_s * rate)]
        clip = trim(resample(piece, rate, voice.rate).astype(np.float32), voice.rate)
        np.save(path, clip)
        added += 1
    return added
