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
    # Require fresh narration for every lesson in `python -m app check`.
    require_audio: bool = True
    # Origins allowed to frame /embed/… pages (CSP frame-ancestors), space-separated,
    # e.g. "https://slides.example.org https://lms.example.edu". Empty: no one. Every
    # other page refuses framing whatever this says.
    embed_origins: str = ""
    # Render every page in the background at start-up, so the first learners of each
    # lesson do not wait for its widgets to compute (serve turns it on).
    warm_pages: bool = False

    @field_validator("embed_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in value.split():
            if origin != "'self'" and not re.match(r"^https?://[A-Za-z0-9.-]+(:\d+)?$", origin):
                raise ValueError(f"'{origin}' is not an origin like https://slides.example.org")
        return " ".join(value.split())

    @field_validator("lessons_dir", "static_dir", "templates_dir")
    @classmethod
    def _must_exist(cls, path: Path) -> Path:
        if not path.is_dir():
            raise ValueError(f"folder does not exist: {path}")
        return path
