"""Narration: spoken maths, script extraction, cues, hashing, staleness, real Piper synthesis."""

import io
import json
import re
import subprocess
import sys

import numpy as np
import pytest
import soundfile

from app.cli import collect_problems
from app.content.loader import parse_lesson
from app.narration.build import narrate
from app.narration.freshness import audio_problems, script_hash
from app.narration.maths import speak_latex
from app.narration.resample import resample
from app.narration.script import (
    CODE_SENTENCE,
    TABLE_SENTENCE,
    build_script,
    speak_code,
    split_sentences,
)
from app.narration.speech import PIPER, synthesize
from app.narration.track import assemble, compression_level, trim
from app.narration.vtt import Cue, block_of, format_vtt, parse_vtt
from app.settings import Settings
from tests.narration_support import LESSON, ROOT, course_voice, write_course

VOICE = course_voice()

# Hand-written expectations: what a listener should hear for each formula.
MATHS = [
    (r"\sqrt{d_k}", "the square root of d k"),
    (r"QK^\top", "Q times K transpose"),
    (r"\frac{a}{b}", "a over b"),
    (r"x_i", "x i"),
    (r"x^2", "x squared"),
    (r"a_{ij}", "a i j"),
    (r"\sum_{j=1}^{n} \exp(x_j)", "the sum over j equals 1 to n of the exponential of x j"),
    (r"\mathrm{softmax}(z)", "softmax of z"),
    (r"\alpha \cdot \beta", "alpha times beta"),
    (r"p \approx 0.5", "p is approximately 0.5"),
    (r"x \le 1", "x is at most 1"),
    (r"x \ge 1", "x is at least 1"),
    (r"e^{-x}", "e to the minus x"),
    (r"W^{-1}", "W inverse"),
    (r"\theta \leftarrow \theta - \eta \nabla L",
     "theta gets theta minus eta times the gradient of L"),
    (r"\begin{bmatrix}1 & 2\\ 3 & 4\end{bmatrix}", "a matrix"),
    (r"\hat{y} = Wx + b", "y hat equals W times x plus b"),
]


@pytest.mark.parametrize(("latex", "spoken"), MATHS)
def test_maths_is_spoken(latex, spoken):
    assert speak_latex(latex) == spoken


@pytest.mark.parametrize(("code", "spoken"), [
    ("log_softmax", "log softmax"), ("axis=-1", "axis equals minus 1"), ("np.tril", "np dot tril"),
    ("1,0;0,-1", "1, 0; 0, minus 1"), ("[CLS]", "CLS"), ("I like strawberry", "I like strawberry"),
    ("Q @ K.T", "the code shown"), ("weights.sum(axis=-1)", "the code shown"),
])
def test_inline_code_is_read_only_when_it_reads_well(code, spoken):
    assert speak_code(code) == spoken


def test_sentence_splitting_keeps_abbreviations():
    text = "Vaswani et al. 2017 built it, e.g. for translation. It works! Does it? Yes."
    assert split_sentences(text) == [
        "Vaswani et al. 2017 built it, for example, for translation.", "It works!", "Does it?",
        "Yes."]


@pytest.fixture(scope="module")
def fixture_lesson(tmp_path_factory):
    lessons, _audio = write_course(tmp_path_factory.mktemp("script"))
    return parse_lesson(lessons / "12-attention.md")


def test_script_reads_the_right_parts(fixture_lesson):
    text = build_script(fixture_lesson).text
    for expected in ["Module 12.", "Attention from first principles.",
                     "A tiny lesson for testing narration.", "Three core ideas.",
                     "Core idea 2: Scale.", "Divide by the square root of d k.",
                     "Attention mixes value vectors.", "Each token looks at every other token.",
                     "The score is Q times K transpose scaled by the square root of d k.",
                     CODE_SENTENCE, TABLE_SENTENCE, "This sentence replaces the next paragraph.",
                     "Practice questions.", "Question 1, easy.", "What do the weights sum to?"]:
        assert expected in text.splitlines(), expected
    for hidden in ["SECRET", "Look at the softmax", "Variance.", "TABLECELL", "never read aloud",
                   "$", "\\", "`"]:
        assert hidden not in text, hidden


def test_cues_point_at_rendered_blocks(fixture_lesson):
    """A body cue bN-k reads the element the page renders with data-block="N"."""
    script = build_script(fixture_lesson)
    html = fixture_lesson.html
    by_block = {}
    for cue_id, sentence in zip(script.cue_ids, script.sentences, strict=True):
        if block_of(cue_id) is not None:
            by_block.setdefault(block_of(cue_id), []).append(sentence.text)
    assert by_block[1] == ["First idea."]
    assert by_block[2] == ["Attention mixes value vectors.",
                           "Each token looks at every other token."]
    assert re.search(r'data-block="2">Attention mixes value vectors', html)
    assert re.search(r'data-block="3">The score is', html)
    assert by_block[3][1:] == [CODE_SENTENCE, TABLE_SENTENCE]  # summaries stay with block 3
    assert by_block[4] == ["This sentence replaces the next paragraph."]
    assert re.search(r'data-block="4">This paragraph is never read aloud', html)
    assert len(set(script.cue_ids)) == len(script.cue_ids)


def test_hash_changes_with_spoken_text_only(fixture_lesson, tmp_path):
    base = build_script(fixture_lesson)
    assert base.digest(VOICE.key) == build_script(fixture_lesson).digest(VOICE.key)
    assert base.digest(VOICE.key) != base.digest("another-voice")

    def variant(old, new):
        path = tmp_path / "12-attention.md"
        path.write_text(LESSON.replace(old, new), encoding="utf-8")
        return build_script(parse_lesson(path)).digest(VOICE.key)

    assert variant("SECRET SOLUTION ONE.", "A different solution.") == base.digest(VOICE.key)
    assert variant("SECRET_CODE = 1", "OTHER = 2") == base.digest(VOICE.key)
    assert variant("Attention mixes value", "Attention mixes") != base.digest(VOICE.key)


def test_vtt_round_trip_and_escaping():
    cues = [Cue("title-1", 0.0, 1.25, "Module 12."), Cue("b3-1", 1.25, 3723.5, "a < b & c > d")]
    text = format_vtt(cues, note="test")
    assert text.startswith("WEBVTT\n\nNOTE test\n")
    assert "01:02:03.500" in text and "a &lt; b &amp; c &gt; d" in text
    assert parse_vtt(text) == cues
    assert block_of("b3-1") == 3 and block_of("title-1") is None


def test_resampler_matches_an_ideal_tone():
    """A 1 kHz tone resampled 22.05 -> 24 kHz equals the tone sampled at 24 kHz."""
    t_in = np.arange(PIPER.rate) / PIPER.rate
    out = resample(np.sin(2 * np.pi * 1000 * t_in), PIPER.rate, 24000)
    assert out.shape == (24000,)
    ideal = np.sin(2 * np.pi * 1000 * np.arange(24000) / 24000)
    assert np.max(np.abs(out[100:-100] - ideal[100:-100])) < 1e-3


def test_assembled_spans_tile_the_track():
    rate = 1000
    clips = [np.ones(500, np.float32), np.ones(300, np.float32)]
    track, spans = assemble(clips, [0.2, 0.5], rate)
    assert len(track) == 250 + 500 + 200 + 300 + 500  # lead-in, clip, pause, clip, pause
    assert (spans[0].start_s, spans[0].end_s) == (0.0, spans[1].start_s)
    assert spans[1].start_s == pytest.approx(0.95) and spans[1].end_s == pytest.approx(1.75)
    quiet = np.concatenate([np.zeros(100), np.ones(50), np.zeros(100)]).astype(np.float32)
    assert len(trim(quiet, rate)) == 50 + 2 * 40  # the voice plus EDGE_S either side


def test_compression_level_targets_bitrate():
    assert compression_level(256) == 0.0 and compression_level(6) == 1.0
    assert compression_level(16) == pytest.approx(0.96)


def test_piper_speaks_one_sentence():
    """A real synthesis through Piper's CLI in a child process."""
    done = []
    clips = synthesize(["Attention is all you need."], PIPER, lambda k, n: done.append((k, n)))
    assert done == [(1, 1)] and len(clips) == 1
    seconds = len(clips[0]) / PIPER.rate
    assert 0.5 < seconds < 4.0
    assert np.sqrt(np.mean(clips[0] ** 2)) > 0.02  # it is speech, not silence


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture course with its narration built by real Piper; also the progress log."""
    lessons, audio = write_course(tmp_path_factory.mktemp("built"))
    log = io.StringIO()
    narrate([parse_lesson(lessons / "12-attention.md")], audio, force=False, stream=log,
            voice=VOICE)
    return lessons, audio, log.getvalue()


def test_build_writes_track_cues_and_manifest(built):
    lessons, audio, log = built
    lesson = parse_lesson(lessons / "12-attention.md")
    script = build_script(lesson)
    entry = json.loads((audio / "manifest.json").read_text())["modules"]["12"]
    assert entry["audio"] == "12.ogg" and entry["vtt"] == "12.vtt" and entry["voice"] == VOICE.name
    assert entry["engine"] == VOICE.engine and entry["kbps"] == VOICE.kbps
    assert entry["script_hash"] == script.digest(VOICE.key) == script_hash(lesson, VOICE)
    assert entry["bytes"] == (audio / "12.ogg").stat().st_size
    info = soundfile.info(str(audio / "12.ogg"))
    assert (info.format, info.subtype, info.channels, info.samplerate) == ("OGG", "OPUS", 1, 24000)
    assert entry["duration_s"] == pytest.approx(info.duration, abs=1e-3)
    assert entry["bytes"] / (info.duration / 60) < 200_000  # at most 200 KB per minute
    assert f"lesson 1/1 · 12 · sentence {len(script.sentences)}/{len(script.sentences)}" in log

    cues = parse_vtt((audio / "12.vtt").read_text())
    assert [c.id for c in cues] == script.cue_ids
    assert [c.text for c in cues] == [s.text for s in script.sentences]
    assert cues[0].start_s == 0.0
    assert cues[-1].end_s == pytest.approx(info.duration, abs=1e-3)
    for a, b in zip(cues, cues[1:], strict=False):
        assert a.start_s < a.end_s == b.start_s  # monotonic, no gaps: the cues cover the track


def test_cue_starts_line_up_with_speech(built):
    """A highlighted sentence is heard at once: speech starts within 0.1 s of each cue's
    start (the trimmed clip keeps 40 ms of lead-in), the first after the track's lead-in."""
    from app.narration.audiocheck import cue_onsets_ms

    _, audio, _ = built
    onsets = cue_onsets_ms(audio / "12.ogg", audio / "12.vtt")
    assert len(onsets) == len(parse_vtt((audio / "12.vtt").read_text()))  # none silent
    assert 250 <= onsets[0] < 350  # LEAD_IN_S of silence, then the first sentence
    assert max(onsets[1:]) < 100, onsets


def test_rebuild_is_incremental(built):
    lessons, audio, _ = built
    before = (audio / "12.ogg").stat().st_mtime_ns
    log = io.StringIO()
    assert narrate([parse_lesson(lessons / "12-attention.md")], audio, False, log, VOICE) == 0
    assert "unchanged, skipped" in log.getvalue()
    assert (audio / "12.ogg").stat().st_mtime_ns == before


def test_check_reports_missing_and_stale_audio(built, tmp_path):
    lessons, audio, _ = built
    settings = Settings(lessons_dir=lessons, audio_dir=audio)

    def narration(problems):  # the tiny test lesson is not an interactive one: ignore that
        return [p for p in problems if p.field == "narration"]

    assert narration(collect_problems(settings, require_audio=True)) == []

    edited = tmp_path / "lessons"
    edited.mkdir()
    (edited / "course.yaml").write_text((lessons / "course.yaml").read_text())
    (edited / "12-attention.md").write_text(LESSON.replace("every other token", "all tokens"))
    problems = narration(collect_problems(Settings(lessons_dir=edited, audio_dir=audio), True))
    assert len(problems) == 1
    assert problems[0].file.endswith("12-attention.md") and "stale" in problems[0].problem
    assert "python -m app narrate 12" in problems[0].problem

    from app.content.loader import load_course

    index = load_course(lessons, tmp_path / "no-audio", set())
    [missing] = audio_problems(index, tmp_path / "no-audio", VOICE)
    assert "has no narration audio" in missing.problem


def test_server_never_imports_piper(built):
    """Piper and espeak-ng are GPL-3.0: the server (and the check) must not load them, nor
    anything else of the synthesizers, into their process."""
    lessons, audio, _ = built
    code = ("import sys\n"
            "from app.main import create_app\n"
            "import app.narration.freshness, app.narration.build, app.routes.audio\n"
            "from app.cli import run_check\n"
            "create_app()\n"
            "run_check()\n"
            "gpl = ('piper', 'phonemizer', 'espeakng_loader', 'misaki', 'onnxruntime')\n"
            "assert not [m for m in sys.modules if m.split('.')[0] in gpl], 'synthesizer'\n")
    env = {"COURSE_LESSONS_DIR": str(lessons), "COURSE_AUDIO_DIR": str(audio), "PATH": "/usr/bin"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
