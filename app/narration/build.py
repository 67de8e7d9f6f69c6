"""``python -m app narrate [ids] [--force]``: build narration audio, incrementally.

For each lesson: build the script, skip it if ``audio/manifest.json`` already
holds audio made from the same script hash in the same voice, otherwise synthesise
sentence by sentence (Kokoro or Piper in a child process, :mod:`app.narration.speech`),
join the clips with pauses, encode Ogg Opus, write the WebVTT cues and update the
manifest (after every lesson, so an interrupted run keeps what it finished). Progress
goes to stderr as counted steps: ``lesson 3/8 · 12 · sentence 41/120``.
"""

import hashlib
import resource
import sys
import time
from pathlib import Path
from typing import TextIO

from app.narration.manifest import (
    entry_voice,
    locked_manifest,
    make_entry,
    read_manifest,
    staleness,
    write_atomic,
)
from app.narration.reuse import seed_from_track
from app.narration.script import Script, build_script
from app.narration.speech import SynthesisError, synthesize_cached
from app.narration.track import assemble, encode_opus, trim
from app.narration.voices import UnknownVoice, Voice, parse_voice
from app.narration.vtt import Cue, format_vtt

SENTENCE_CACHE = Path(".cache") / "narration"  # under the project root; not committed
PROGRESS_EVERY = 10  # sentences between progress lines when stderr is not a terminal


class Progress:
    """Counted progress lines on a stream; rewrites one line in place on a terminal."""

    def __init__(self, stream: TextIO, total_lessons: int) -> None:
        self.stream = stream
        self.total = total_lessons
        self.tty = stream.isatty()

    def say(self, text: str) -> None:
        self.stream.write(("\r\033[K" if self.tty else "") + text + "\n")
        self.stream.flush()

    def sentence(self, lesson_no: int, module_id: str, done: int, total: int) -> None:
        line = f"lesson {lesson_no}/{self.total} · {module_id} · sentence {done}/{total}"
        if self.tty:
            self.stream.write("\r\033[K" + line)
            self.stream.flush()
        elif done == total or done % PROGRESS_EVERY == 0:
            self.say(line)


def build_lesson(script: Script, audio_dir: Path, voice: Voice, on_sentence=None,
                 cache_dir: Path | None = None, kbps: float | None = None) -> dict:
    """Synthesise, encode and write one lesson's audio and cues; returns its manifest entry.

    ``cache_dir`` holds clips of sentences already spoken, so a small edit is cheap.
    """
    sentences = script.sentences
    clips = synthesize_cached([s.text for s in sentences], voice, cache_dir, on_sentence)
    clips = [trim(c, voice.rate) for c in clips]
    track, spans = assemble(clips, [s.pause_after_s for s in sentences], voice.rate)
    audio_dir.mkdir(parents=True, exist_ok=True)
    mid = script.module_id
    tmp_audio = audio_dir / f".{mid}.ogg.tmp"
    kbps = kbps or voice.kbps
    duration = encode_opus(track, voice.rate, tmp_audio, kbps)
    # The encoded length is authoritative: stretch the last cue to it.
    cues = [Cue(cid, span.start_s, span.end_s, s.text)
            for cid, span, s in zip(script.cue_ids, spans, sentences, strict=True)]
    cues[-1] = Cue(cues[-1].id, cues[-1].start_s, max(duration, cues[-1].start_s), cues[-1].text)
    note = f"module {mid}; voice {voice.setting}; cue id bN-k = data-block N, sentence k"
    write_atomic(audio_dir / f"{mid}.vtt", format_vtt(cues, note).encode("utf-8"))
    size = tmp_audio.stat().st_size
    sha256 = hashlib.sha256(tmp_audio.read_bytes()).hexdigest()  # checked at start-up
    tmp_audio.replace(audio_dir / f"{mid}.ogg")
    return make_entry(mid, script.digest(voice.key), voice, duration, size, len(sentences),
                      kbps, sha256)


def narrate(lessons: list, audio_dir: Path, force: bool, stream: TextIO, voice: Voice,
            cache_dir: Path | None = None, reuse_audio: bool = False,
            kbps: float | None = None) -> int:
    """Build every lesson that needs it; returns how many were built. With
    ``reuse_audio``, sentences the committed track already speaks are cut from it
    (:mod:`app.narration.reuse`) instead of being synthesised again."""
    progress = Progress(stream, len(lessons))
    built = 0
    for n, lesson in enumerate(lessons, start=1):
        script = build_script(lesson)
        digest = script.digest(voice.key)
        current = read_manifest(audio_dir)["modules"].get(lesson.id)  # another builder may have
        if not force and staleness(current, digest, audio_dir, voice) is None:  # built it meanwhile
            progress.say(f"lesson {n}/{len(lessons)} · {lesson.id} · unchanged, skipped")
            continue
        started, cpu_before = time.monotonic(), cpu_seconds()
        if reuse_audio and cache_dir and current and entry_voice(current) == voice.setting:
            reused = seed_from_track(audio_dir / f"{lesson.id}.ogg", audio_dir / f"{lesson.id}.vtt",
                                     cache_dir, {s.text for s in script.sentences}, voice)
            progress.say(f"lesson {n}/{len(lessons)} · {lesson.id} · {reused} sentences reused "
                         "from the committed track")
        entry = build_lesson(script, audio_dir, voice,
                             lambda done, total, n=n, mid=lesson.id:
                             progress.sentence(n, mid, done, total), cache_dir, kbps)
        with locked_manifest(audio_dir) as manifest:
            manifest["modules"][lesson.id] = entry
        built += 1
        took = max(time.monotonic() - started, 1e-9)
        audio_s = entry["duration_s"]
        progress.say(f"lesson {n}/{len(lessons)} · {lesson.id} · {entry['sentences']} sentences, "
                     f"{audio_s / 60:.1f} min of audio, {entry['bytes'] / 1e3:.0f} KB, "
                     f"built in {took:.0f} s ({audio_s / took:.1f}x real time, "
                     f"{cpu_seconds() - cpu_before:.0f} CPU-s)")
    return built


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the synthesizer), in seconds."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), \
        resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_narrate(ids: list[str], force: bool = False, reuse_audio: bool = False,
                voice: str | None = None, audio_dir: Path | None = None,
                kbps: float | None = None) -> int:
    """The command: 0 on success, 1 if lessons are broken or synthesis fails, 2 on a bad
    id or voice. ``voice`` and ``audio_dir`` default to the settings'."""
    from app.content.loader import load_course
    from app.content.problems import LessonError
    from app.settings import Settings
    from app.widgets import registry

    settings = Settings()
    try:
        chosen = parse_voice(voice or settings.narration_voice)
    except UnknownVoice as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    try:
        index = load_course(settings.lessons_dir, settings.audio_dir, set(registry()))
    except LessonError as exc:
        sys.stderr.write(f"{exc}\nFix the lessons first (python -m app check --no-audio).\n")
        return 1
    unknown = [i for i in ids if index.get(i) is None]
    if unknown:
        sys.stderr.write(f"no written lesson with id: {', '.join(unknown)}\n")
        return 2
    lessons = [index.get(i).lesson for i in ids] if ids else index.lessons
    try:
        built = narrate(lessons, audio_dir or settings.audio_dir, force, sys.stderr, chosen,
                        cache_dir=settings.lessons_dir.parent / SENTENCE_CACHE,
                        reuse_audio=reuse_audio, kbps=kbps)
    except SynthesisError as exc:
        sys.stderr.write(f"\nnarration failed: {exc}\n")
        return 1
    sys.stderr.write(f"{built} lesson(s) built, {len(lessons) - built} up to date.\n")
    return 0
