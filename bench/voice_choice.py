"""Which Kokoro voice, at which Opus bitrate, does Whisper understand best on course text?

One sentence (of at least 8 words) from the middle of each lesson's script is spoken
by each candidate voice and by Piper (clips kept in the narration build's sentence cache,
``.cache/narration/``), encoded to Ogg Opus at 16 and 24 kbit/s, decoded,
and transcribed by Whisper tiny.en (``app.narration.audiocheck``); the word error rate
is pooled over all sentences. Writes ``bench/results/voice_choice.json``.

    python bench/voice_choice.py            # about 10 CPU-minutes
"""

import json
import sys
import tempfile
import time
from pathlib import Path

import soundfile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.content.loader import load_course  # noqa: E402
from app.narration.audiocheck import recogniser, score_clips, words  # noqa: E402
from app.narration.script import build_script  # noqa: E402
from app.narration.speech import synthesize_cached  # noqa: E402
from app.narration.track import encode_opus, trim  # noqa: E402
from app.narration.voices import parse_voice  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.widgets import registry  # noqa: E402

VOICES = ["kokoro:am_michael", "kokoro:af_heart", "piper:en_US-joe-medium"]
BITRATES = [16, 24]


def course_sentences() -> list[tuple[str, str]]:
    settings = Settings()
    index = load_course(settings.lessons_dir, settings.audio_dir, set(registry()))
    picked = []
    for lesson in index.lessons:
        texts = [s.text for s in build_script(lesson).sentences if len(words(s.text)) >= 8]
        picked.append((lesson.id, texts[len(texts) // 2]))
    return picked


def main() -> int:
    sentences = course_sentences()
    model = recogniser()
    results = []
    for setting in VOICES:
        voice = parse_voice(setting)
        t0 = time.monotonic()
        clips = synthesize_cached([t for _, t in sentences], voice, ROOT / ".cache" / "narration",
                           lambda d, n, s=setting: sys.stderr.write(f"\r{s}: {d}/{n} ") or None)
        wall = time.monotonic() - t0
        audio_s = sum(len(c) for c in clips) / voice.rate
        sys.stderr.write(f"\n{setting}: {audio_s:.0f} s of audio in {wall:.0f} s wall\n")
        for kbps in BITRATES:
            coded = []
            with tempfile.TemporaryDirectory() as tmp:
                for k, clip in enumerate(clips):
                    path = Path(tmp) / f"{k}.ogg"
                    encode_opus(trim(clip, voice.rate), voice.rate, path, kbps)
                    audio, rate = soundfile.read(str(path), dtype="float32")
                    coded.append((sentences[k][1], audio, rate))
            score = score_clips(setting, coded, model)
            results.append({"voice": setting, "kbps": kbps, "wer": round(score.wer, 4),
                            "errors": score.errors, "words": score.ref_words,
                            "worst": score.worst, "audio_s": round(audio_s, 1),
                            "synth_wall_s": round(wall, 1)})
            print(f"{setting:26s} {kbps:3d} kbit/s  WER {100 * score.wer:5.2f}% "
                  f"({score.errors}/{score.ref_words})  worst: {score.worst}", flush=True)
    out = ROOT / "bench" / "results" / "voice_choice.json"
    out.write_text(json.dumps({"sentences": len(sentences), "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
