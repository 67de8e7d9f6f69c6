"""Typed settings, read from the environment (prefix ``COURSE_``) and validated once."""

import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything configurable about one running course.

    Each test builds its own ``Settings`` (for example with a temporary lessons
    folder) and passes it to ``create_app``; nothing is read at import time.
    """

    model_config = SettingsConfigDict(env_prefix="COURSE_", frozen=True)

    lessons_dir: Path = ROOT / "lessons"
    audio_dir: Path = ROOT / "audio"
    static_dir: Path = ROOT / "static"
    templates_dir: Path = ROOT / "templates"
    course_title: str = "How LLMs Work"
    # Model work (the MiniLM encoder, the SmolLM2 decoder) runs in a thread pool;
    # at most this many requests compute at once per worker, the rest get 503.
    model_concurrency: int = Field(default=2, ge=1, le=64)
    # Beyond that, up to this many wait (a lesson page loads a few model widgets at
    # once) for at most model_queue_timeout_s; more than that get 503 immediately.
    model_queue: int = Field(default=6, ge=0, le=256)
    model_queue_timeout_s: float = Field(default=20.0, gt=0, le=300)
    # Live training runs (the train-gpt widget): at most this many per worker, each also
    # holding one model slot (so keep it below model_concurrency); a run stops after
    # train_max_seconds; a request waits up to train_wait_s for a free training slot.
    train_concurrency: int = Field(default=1, ge=1, le=16)
    train_max_seconds: float = Field(default=60.0, gt=0, le=600)
    train_wait_s: float = Field(default=5.0, ge=0, le=60)
    # Model requests one client (see app/clients.py) may have computing or waiting at
    # once; more get 429. 0: no limit (e.g. a classroom behind one NAT address and no
    # proxy header to tell learners apart). Answers already held never count.
    model_per_client: int = Field(default=4, ge=0, le=256)
    # Threads for pure-maths widgets, answers already held, and fragment rendering, so
    # none of that runs on the event loop that serves every page.
    widget_threads: int = Field(default=2, ge=1, le=32)
    # Require fresh narration for every lesson in `python -m app check`.
    require_audio: bool = True
    # The voice that reads the course, "engine:voice" (app/narration/voices.py): the
    # narration builder speaks with it, and `check` calls a track spoken by another stale.
    narration_voice: str = "piper:en_US-joe-medium"
    # Origins allowed to frame /embed/… pages (CSP frame-ancestors), space-separated,
    # e.g. "https://slides.example.org https://lms.example.edu". Empty: no one. Every
    # other page refuses framing whatever this says.
    embed_origins: str = ""
    # Render every page in the background at start-up, so the first learners of each
    # lesson do not wait for its widgets to compute (serve turns it on).
    warm_pages: bool = False
    # Load both models before the worker reports ready (`make run` and the Dockerfile turn
    # it on), so twenty first visitors do not each wait seconds for the load.
    warm_models: bool = False
    # BLAS threads per worker process, set at start-up however the server was launched:
    # multi-threaded BLAS collapses when workers share the cores (issue 18).
    blas_threads: int = Field(default=1, ge=1, le=64)
    # `python -m app serve` only (the HTTP server, before the app): the addresses whose
    # X-Forwarded-For/-Proto are believed (comma-separated IPs or networks; "*": anyone,
    # which lets any client claim any address), ...
    forwarded_allow_ips: str = "127.0.0.1"
    # ... how long a client may take to send a request's headers, and how large they may be.
    header_timeout_s: float = Field(default=10.0, gt=0, le=300)
    max_header_bytes: int = Field(default=16384, ge=1024, le=1 << 20)
    max_headers: int = Field(default=100, ge=8, le=1000)
    # Generation streams (the generate widget, live) share decode steps: up to
    # generate_batch_size run together in one batch per worker (continuous batching,
    # app/engine/batching.py), up to generate_queue more wait and are told their place in
    # line, and beyond that a stream gets 503. Each slot's KV cache takes up to ~5.9 MB.
    # false: every stream runs alone under the model gate (the old path, for comparison).
    generate_batching: bool = True
    generate_batch_size: int = Field(default=32, ge=1, le=64)
    generate_queue: int = Field(default=32, ge=0, le=256)
    # Prompt tokens of newcomers processed per decode step (longer prompts take several
    # steps), so a newcomer's prefill never stalls the running streams for long.
    generate_prefill_chunk: int = Field(default=64, ge=1, le=512)
    # Streams one client (see app/clients.py) may have running or waiting at once; more
    # get 429. 0: no limit (a classroom sharing one address, with no proxy header).
    generate_per_client: int = Field(default=4, ge=0, le=64)
    # Behind a trusted reverse proxy: the header carrying the learner's address
    # (e.g. X-Forwarded-For; its last entry is used). Empty: the connection's address.
    client_ip_header: str = ""

    @field_validator("embed_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in value.split():
            if origin != "'self'" and not re.match(r"^https?://[A-Za-z0-9.-]+(:\d+)?$", origin):
                raise ValueError(f"'{origin}' is not an origin like https://slides.example.org")
        return " ".join(value.split())

    @field_validator("narration_voice")
    @classmethod
    def _voice(cls, value: str) -> str:
        from app.narration.voices import parse_voice

        return parse_voice(value).setting

    @field_validator("lessons_dir", "static_dir", "templates_dir")
    @classmethod
    def _must_exist(cls, path: Path) -> Path:
        if not path.is_dir():
            raise ValueError(f"folder does not exist: {path}")
        return path
