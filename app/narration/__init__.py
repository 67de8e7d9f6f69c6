"""Narration: lesson text -> spoken script -> Piper speech -> Ogg Opus + WebVTT cues.

Build time only (``python -m app narrate``), except :mod:`app.narration.freshness`
(used by ``python -m app check``). The server reads the manifest through
``app.content.loader`` and serves files through ``app.routes.audio``; it never
imports Piper or the builder.
"""
