"""NumPy engines for the course's two real models, loaded lazily once per process."""

import threading
from typing import Any


class Models:
    """Holds each model after its first use; one instance per app (per worker).

    Loading happens on first request (or on ``warm()`` at start-up), never at
    import time, and the lock makes concurrent first requests load once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[str, Any] = {}

    def _get(self, name: str, loader) -> Any:
        model = self._loaded.get(name)
        if model is None:
            with self._lock:
                model = self._loaded.get(name)
                if model is None:
                    model = loader()
                    self._loaded[name] = model
        return model

    def minilm(self):
        """The all-MiniLM-L6-v2 encoder (:class:`app.engine.minilm.MiniLM`)."""
        from app.engine.minilm import load_minilm

        return self._get("minilm", load_minilm)

    def smollm2(self):
        """The SmolLM2-135M decoder (:class:`app.engine.smollm2.SmolLM2`)."""
        from app.engine.smollm2 import load_smollm2

        return self._get("smollm2", load_smollm2)

    def loaded(self) -> list[str]:
        return sorted(self._loaded)
