"""URLs that carry a version, built in one place for the templates and the routes.

A versioned URL may be cached for a year as immutable, so whatever writes it (a template)
and whatever recognises it (a route) must agree on the version to the character:
both call the functions here. :func:`app.web.make_templates` registers them as Jinja
globals (``static()``, ``audio_url()``, ``transcript_url()``); no template builds a
version itself.
"""

from app.content.index import Narration

# The script hash prefix in a narration's version: enough to tell two scripts apart.
AUDIO_HASH_CHARS = 12


def static_url(hashes: dict[str, str], rel: str) -> str:
    """``/static/<rel>?v=<hash>`` for a file under ``static/`` (``hashes``: relative path
    -> short hash of its bytes, from :func:`app.web.hash_static`); ValueError for a file
    that is not there, so a typo fails the render instead of shipping a broken link."""
    digest = hashes.get(rel)
    if digest is None:
        raise ValueError(f"static file not found: {rel}")
    return f"/static/{rel}?v={digest}"


def audio_version(narration: Narration) -> str:
    """The version in a narration's URLs: ``<script hash prefix>-<audio bytes>``, so a
    new script or a rebuilt file gets a new URL."""
    return f"{narration.script_hash[:AUDIO_HASH_CHARS]}-{narration.bytes}"


def audio_url(narration: Narration) -> str:
    """The narration's audio (Ogg Opus), versioned: ``/audio/12.ogg?v=…``."""
    return f"/audio/{narration.audio}?v={audio_version(narration)}"


def transcript_url(narration: Narration) -> str:
    """The narration's cues (WebVTT), with the same version as its audio."""
    return f"/audio/{narration.vtt}?v={audio_version(narration)}"
