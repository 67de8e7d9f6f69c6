"""WebVTT: one cue per spoken sentence; the cue id says which part of the page it reads.

Cue ids are ``<anchor>-<k>``: ``b12-3`` is the third sentence of body block 12
(the element with ``data-block="12"``); other anchors are ``title``,
``tagline``, ``ideas``, ``idea1``…, ``practice``, ``q1``…, ``lesson``.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

CUE_ID = re.compile(r"^[a-z]+\d*-\d+$")
BLOCK_CUE = re.compile(r"^b(\d+)-\d+$")
TIMING = re.compile(r"^(\d{2,}):(\d{2}):(\d{2})\.(\d{3}) --> (\d{2,}):(\d{2}):(\d{2})\.(\d{3})")


@dataclass(frozen=True)
class Cue:
    """One cue: id, start and end in seconds, and the sentence spoken."""

    id: str
    start_s: float
    end_s: float
    text: str


def timestamp(seconds: float) -> str:
    """``HH:MM:SS.mmm`` (WebVTT), rounded to the millisecond."""
    ms = int(round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _escape(text: str) -> str:
    text = " ".join(text.split())  # a blank line would end the cue
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def format_vtt(cues: Iterable[Cue], note: str | None = None) -> str:
    """A WebVTT file; ``note`` (one line) becomes a NOTE block after the header."""
    out = ["WEBVTT", ""]
    if note:
        out += [f"NOTE {' '.join(note.split())}", ""]
    for cue in cues:
        if not CUE_ID.match(cue.id):
            raise ValueError(f"bad cue id {cue.id!r}")
        out += [cue.id, f"{timestamp(cue.start_s)} --> {timestamp(cue.end_s)}",
                _escape(cue.text), ""]
    return "\n".join(out)


def parse_vtt(text: str) -> list[Cue]:
    """Read back the cues of a file written by :func:`format_vtt` (ids, times, text)."""
    if not text.startswith("WEBVTT"):
        raise ValueError("not a WebVTT file")
    cues = []
    for block in re.split(r"\n\s*\n", text.strip())[1:]:
        lines = block.splitlines()
        if lines[0].startswith("NOTE"):
            continue
        cue_id = lines[0] if "-->" not in lines[0] else ""
        timing_line = lines[1] if cue_id else lines[0]
        m = TIMING.match(timing_line)
        if not m:
            raise ValueError(f"bad cue timing: {timing_line!r}")
        t = [int(g) for g in m.groups()]
        start = t[0] * 3600 + t[1] * 60 + t[2] + t[3] / 1000
        end = t[4] * 3600 + t[5] * 60 + t[6] + t[7] / 1000
        body = lines[2:] if cue_id else lines[1:]
        cues.append(Cue(cue_id, start, end, _unescape(" ".join(body))))
    return cues


def block_of(cue_id: str) -> int | None:
    """The ``data-block`` number a cue reads (``b12-3`` -> 12), or None."""
    m = BLOCK_CUE.match(cue_id)
    return int(m.group(1)) if m else None
