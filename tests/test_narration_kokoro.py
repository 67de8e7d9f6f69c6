"""The Kokoro narrator: voice setting, model file check, phoneme splitting, real speech
that Whisper can understand, staleness on a change of voice, and the word error rate."""

import hashlib

import numpy as np
import pytest
from pydantic import ValidationError

import app.narration.kokoro as kokoro_files
from app.narration.audiocheck import compare, edit_distance, recogniser, transcribe, words
from app.narration.kokoro.__main__ import MAX_PHONEMES, split_phonemes, spoken_numbers
from app.narration.manifest import make_entry, staleness
from app.narration.speech import PIPER, SynthesisError, synthesize
from app.narration.voices import KOKORO_MODEL_SHA256, UnknownVoice, Voice, parse_voice
from app.settings import Settings

KOKORO = Voice("kokoro", "am_michael")


def test_voice_setting_is_checked():
    assert parse_voice(" kokoro:af_heart ") == Voice("kokoro", "af_heart")
    assert parse_voice("piper:en_US-joe-medium") == PIPER
    with pytest.raises(UnknownVoice, match="choose one of kokoro:am_michael"):
        parse_voice("kokoro:nobody")
    with pytest.raises(ValidationError, match="unknown narration voice 'espeak:x'"):
        Settings(narration_voice="espeak:x")
    # The model's hash is part of a Kokoro voice's identity; Piper keeps its old key.
    assert KOKORO.model == KOKORO_MODEL_SHA256[:16] and KOKORO.model in KOKORO.key
    assert PIPER.key == "en_US-joe-medium" and KOKORO.rate == 24000


def test_joined_model_is_verified(tmp_path, monkeypatch):
    path = kokoro_files.model_path(tmp_path)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    assert digest.hexdigest() == KOKORO_MODEL_SHA256

    monkeypatch.setattr(kokoro_files, "_part", lambda i: b"not the model")
    with pytest.raises(kokoro_files.KokoroFilesError, match="expected 6e742170.*reinstall"):
        kokoro_files.model_path(tmp_path / "damaged")
    assert not list((tmp_path / "damaged").iterdir())  # nothing half-written is left


def test_long_phoneme_strings_split_at_clause_marks():
    clause = "ðə mˈɑdᵊl ɹˈidz ðə pɹˈɑmpt, "
    text = clause * 40
    pieces = split_phonemes(text)
    assert len(pieces) > 1 and all(len(p) <= MAX_PHONEMES for p in pieces)
    assert all(p.endswith(",") for p in pieces[:-1])
    assert " ".join(pieces).split() == text.split()  # nothing lost or reordered
    no_marks = "a" * (2 * MAX_PHONEMES + 7)
    assert [len(p) for p in split_phonemes(no_marks)] == [MAX_PHONEMES, MAX_PHONEMES, 7]
    assert split_phonemes("  short one ") == ["short one"]


def test_four_digit_counts_are_read_as_counts_and_years_as_years():
    said = spoken_numbers("A 4096-wide layer, 2048 tokens (Radford et al. 2019), 3.1416, "
                          "131,072 and 1000.")
    assert said == ("A four thousand ninety-six-wide layer, two thousand forty-eight tokens "
                    "(Radford et al. 2019), 3.1416, 131,072 and one thousand.")


def test_word_error_rate_parts():
    assert words("3 of 1,000 tokens: 50%!") == ["three", "of", "one", "thousand", "tokens",
                                               "fifty", "percent"]
    assert words("Soft-max, Q·K") == ["soft", "max", "q", "k"]
    assert words("divide by d k, then W Q") == words("Divide by DK then WQ.")  # letters
    said, heard = words("the cat sat on the mat"), words("the cat sat on a mat today")
    assert edit_distance(said, heard) == 2  # one substitution, one insertion
    assert edit_distance([], heard) == len(heard) and edit_distance(said, []) == len(said)
    assert edit_distance(said, said) == 0
    # Where a word boundary is written is spelling; a misheard word still counts.
    assert edit_distance(*compare("LayerNorm and MiniLM", "Layer norm and Mini LM")) == 0
    assert edit_distance(*compare("Split W O into blocks", "Split W-O into blocks")) == 0
    assert edit_distance(*compare("rows of scores", "rose of scores")) == 1


@pytest.fixture(scope="module")
def spoken():
    sentence = "The softmax turns each row of scores into weights that add up to one."
    [clip] = synthesize([sentence], KOKORO)
    return sentence, clip


def test_kokoro_speaks_a_sentence_whisper_understands(spoken):
    """Real synthesis in the child process, then Whisper tiny.en hears the same words."""
    sentence, clip = spoken
    seconds = len(clip) / KOKORO.rate
    assert 2.0 < seconds < 8.0
    assert np.sqrt(np.mean(clip ** 2)) > 0.02  # speech, not silence
    heard = transcribe(recogniser(), clip, KOKORO.rate)
    errors = edit_distance(words(sentence), words(heard))
    assert errors <= 1, heard


def test_a_missing_voice_file_fails_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(kokoro_files, "HERE", tmp_path)
    with pytest.raises(kokoro_files.KokoroFilesError, match="make kokoro-voices"):
        kokoro_files.voice_path("am_michael")
    with pytest.raises(SynthesisError, match="empty sentence"):
        synthesize(["  "], KOKORO)


def test_a_track_in_another_voice_is_stale(tmp_path):
    (tmp_path / "12.ogg").write_bytes(b"x" * 10)
    (tmp_path / "12.vtt").write_text("WEBVTT\n")
    piper_entry = make_entry("12", "h", PIPER, 1.0, 10, 1, 16)
    assert staleness(piper_entry, "h", tmp_path, PIPER) is None
    reason = staleness(piper_entry, "h", tmp_path, KOKORO)
    assert "another voice (piper:en_US-joe-medium" in reason and "kokoro:am_michael" in reason
    kokoro_entry = make_entry("12", "h", KOKORO, 1.0, 10, 1, 24)
    assert kokoro_entry["engine"] == "kokoro" and kokoro_entry["model"] == KOKORO.model
    assert staleness(kokoro_entry, "h", tmp_path, KOKORO) is None
    assert "another voice" in staleness({**kokoro_entry, "model": "0" * 16}, "h", tmp_path,
                                        KOKORO)
