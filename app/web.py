"""Templates and static assets: Jinja configured once, content-hashed asset URLs."""

import functools
import hashlib
import json
from pathlib import Path

from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup

from app import urls
from app.settings import Settings

HASH_LEN = 10
# htmx: no eval, no inline scripts; a 422 or 503 from a widget is swapped in (the server
# retargets it to the widget's error slot), other errors are not.
HTMX_CONFIG = json.dumps({
    "includeIndicatorStyles": False, "allowEval": False, "allowScriptTags": False,
    "responseHandling": [
        {"code": "204", "swap": False}, {"code": "[23]..", "swap": True},
        {"code": "422", "swap": True, "error": False},
        {"code": "503", "swap": True, "error": False},
        {"code": "[45]..", "swap": False, "error": True}]}, separators=(",", ":"))


def hash_static(static_dir: Path) -> dict[str, str]:
    """Map every static file's relative path to a short hash of its bytes."""
    hashes = {}
    for path in static_dir.rglob("*"):
        if path.is_file():
            rel = path.relative_to(static_dir).as_posix()
            hashes[rel] = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LEN]
    return hashes


def duration(minutes: int) -> str:
    """95 -> "1 h 35 min"; 40 -> "40 min"."""
    hours, rest = divmod(int(minutes), 60)
    return f"{hours} h {rest} min" if hours else f"{rest} min"


def make_templates(settings: Settings, globals_: dict) -> Jinja2Blocks:
    """One Jinja environment: autoescape on, the URL helpers of :mod:`app.urls` (``static()``,
    ``audio_url()``, ``transcript_url()``), shared globals."""
    templates = Jinja2Blocks(directory=str(settings.templates_dir))
    env = templates.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    static = functools.partial(urls.static_url, hash_static(settings.static_dir))
    env.globals.update(static=static, audio_url=urls.audio_url,
                       transcript_url=urls.transcript_url, course_title=settings.course_title,
                       htmx_config=HTMX_CONFIG, **globals_)
    # Chart macros for every template, including a fragment rendered as a single block.
    env.globals["charts"] = env.get_template("_partials/charts.html").module
    env.filters["safe_html"] = Markup  # for HTML the server rendered from trusted lessons
    env.filters["duration"] = duration
    return templates
