"""One forward pass of SmolLM2 over many sequences at once (the maths of continuous batching).

Every sequence owns one *slot* of a shared KV-cache pool and brings some new tokens to the
step: one token if it is decoding, a chunk of its prompt if it is being prefilled. All new
tokens are stacked into one ``(N, d)`` matrix, so each weight matrix is read once per step
for everyone (the projections and the feed-forward layers do not care which sequence a row
belongs to). Only attention is per sequence, because each one reads its own cache:

- decoding rows: one query per sequence, all at once over the pool's slots, with each
  slot's unused (future) positions masked out;
- prefill chunks: causal attention over that sequence's cache, as in ``SmolLM2._attention``.

Shapes: ``S`` slots, ``T`` cache capacity, ``B`` decoding sequences, ``K`` key/value heads,
``G`` query heads per key/value head, ``hd`` = 64.
"""

import contextlib
import mmap
from dataclasses import dataclass

import numpy as np

from app.engine.common import LRU, softmax
from app.engine.smollm2 import KVCache, SmolLM2, apply_rope, rms_norm, silu


class SlotCache(KVCache):
    """One slot of the pool seen as an ordinary :class:`KVCache` (views, nothing copied)."""

    def __init__(self, pool: "CachePool", slot: int) -> None:  # views, so no super().__init__
        self.keys = pool.keys[slot]  # (n_layers, K, T, hd)
        self.values = pool.values[slot]
        self.length = 0
        self.slot = slot


def _zeros_in_own_mapping(shape: tuple[int, ...]) -> tuple[np.ndarray, mmap.mmap]:
    """float32 zeros in an anonymous mapping of their own, in small pages: the OS commits a
    page only when it is written, and takes it back on ``MADV_DONTNEED``."""
    buffer = mmap.mmap(-1, int(np.prod(shape)) * 4, flags=mmap.MAP_PRIVATE)
    with contextlib.suppress(AttributeError, OSError):  # not Linux: plain lazy pages
        buffer.madvise(mmap.MADV_NOHUGEPAGE)  # a 2 MB page would commit far more than used
    return np.frombuffer(buffer, dtype=np.float32).reshape(shape), buffer


class CachePool:
    """``slots`` KV caches side by side: ``(S, n_layers, K, T, hd)`` keys and values.

    Memory follows use: a slot's pages are committed as its sequence writes them (about
    46 KB per token of context; a full slot of 128 tokens is ~5.9 MB) and handed back to
    the OS when the sequence leaves, so an idle engine holds next to nothing.
    """

    def __init__(self, model: SmolLM2, slots: int, capacity: int) -> None:
        cfg = model.config
        shape = (slots, cfg.n_layers, cfg.n_kv_heads, capacity, cfg.head_dim)
        self.keys, self._key_pages = _zeros_in_own_mapping(shape)
        self.values, self._value_pages = _zeros_in_own_mapping(shape)
        self.free = list(range(slots))

    @property
    def capacity(self) -> int:
        return self.keys.shape[3]

    def take(self) -> SlotCache:
        """The lowest free slot (so the busy slots stay packed at the front)."""
        self.free.sort()
        return SlotCache(self, self.free.pop(0))

    def give_back(self, cache: SlotCache) -> None:
        slot_bytes = self.keys[0].nbytes  # a whole number of pages (1,440 for 128 tokens)
        for pages in (self._key_pages, self._value_pages):
            with contextlib.suppress(AttributeError, OSError, ValueError):
                pages.madvise(mmap.MADV_DONTNEED, cache.slot * slot_bytes, slot_bytes)
        self.free.append(cache.slot)


class PromptCache:
    """Keys, values and next-token logits of recently prefilled prompts: prefix caching for
    its commonest case here, a whole prompt seen before (a lesson's default prompt, sent by a
    class at once), which then costs a copy instead of a prefill.

    About 46 KB per prompt token (30 layers × 3 heads × 64 × 2 × 4 bytes)."""

    def __init__(self, entries: int) -> None:
        self._entries = LRU(entries)

    def save(self, prompt: list[int], cache: SlotCache, logits: np.ndarray) -> None:
        """Remember ``cache``'s first ``len(prompt)`` positions and the logits after them."""
        n = len(prompt)
        held = (cache.keys[:, :, :n].copy(), cache.values[:, :, :n].copy(), logits.copy())
        for array in held:
            array.flags.writeable = False  # shared by every request that reuses it
        self._entries.put(tuple(prompt), held)

    def load(self, prompt: list[int], cache: SlotCache) -> np.ndarray | None:
        """Fill an empty ``cache`` with ``prompt``'s entries; its next-token logits, or
        None if this prompt is not held."""
        hit = self._entries.get(tuple(prompt))
        if hit is None:
            return None
        keys, values, logits = hit
        n = len(prompt)
        cache.keys[:, :, :n], cache.values[:, :, :n], cache.length = keys, values, n
        return logits


@dataclass(frozen=True)
class Row:
    """What one sequence feeds to a step: its new token ids and its cache."""

    ids: list[int]
    cache: SlotCache
    decoding: bool  # True: one generated token; False: a chunk of the prompt


def project(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``x @ w.T`` for ``(n, d_in)`` rows and an ``(d_out, d_in)`` matrix, computed as
    ``(w @ x.T).T``: for a few rows OpenBLAS runs this shape about 1.5× faster (measured)."""
    return (w @ x.T).T


def _decode_attention(model: SmolLM2, layer: int, q, k, v, caches: list[SlotCache],
                      pool: CachePool) -> np.ndarray:
    """Attention for ``B`` decoding sequences at once: ``q`` ``(B, H, hd)``, ``k``/``v``
    ``(B, K, hd)`` → ``(B, H·hd)``. Each sequence's query reads only its own slot."""
    cfg = model.config
    slots = np.array([c.slot for c in caches])
    positions = np.array([c.length for c in caches])  # where each new token goes
    cos, sin = model.cos[positions][:, None], model.sin[positions][:, None]  # (B, 1, hd/2)
    q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
    pool.keys[slots, layer, :, positions] = k  # (B, K, hd) into each slot at its position
    pool.values[slots, layer, :, positions] = v
    # Every slot up to the highest busy one, as views of the pool (no copy); slots with no
    # decoding sequence get a zero query and are ignored afterwards.
    n_slots, t = slots.max() + 1, positions.max() + 1
    keys, values = pool.keys[:n_slots, layer, :, :t], pool.values[:n_slots, layer, :, :t]
    queries = np.zeros((n_slots, cfg.n_kv_heads, cfg.group_size, cfg.head_dim), np.float32)
    queries[slots] = q.reshape(len(caches), cfg.n_kv_heads, cfg.group_size, cfg.head_dim)
    scores = (queries @ keys.transpose(0, 1, 3, 2)) * model.scale  # (S, K, G, t)
    lengths = np.zeros(n_slots, dtype=np.int64)
    lengths[slots] = positions + 1
    # A slot's unused positions (and idle slots but for position 0) get exactly zero weight.
    unused = np.arange(t)[None, :] >= np.maximum(lengths, 1)[:, None]  # (S, t)
    scores = np.where(unused[:, None, None, :], np.float32(-np.inf), scores)
    out = softmax(scores, axis=-1) @ values  # (S, K, G, hd)
    return out[slots].reshape(len(caches), cfg.n_heads * cfg.head_dim)


def _chunk_attention(model: SmolLM2, layer: int, q, k, v, cache: SlotCache) -> np.ndarray:
    """Causal attention for ``n`` prompt tokens of one sequence after what its cache holds:
    ``q`` ``(n, H, hd)``, ``k``/``v`` ``(n, K, hd)`` → ``(n, H·hd)`` (as ``SmolLM2._attention``)."""
    cfg = model.config
    n, start = q.shape[0], cache.length
    end = start + n
    cos, sin = model.cos[start:end][:, None], model.sin[start:end][:, None]  # (n, 1, hd/2)
    q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
    cache.keys[layer, :, start:end] = k.transpose(1, 0, 2)
    cache.values[layer, :, start:end] = v.transpose(1, 0, 2)
    keys, values = cache.keys[layer, :, :end], cache.values[layer, :, :end]  # (K, t, hd)
    qg = q.transpose(1, 0, 2).reshape(cfg.n_kv_heads, cfg.group_size, n, cfg.head_dim)
    scores = (qg @ keys[:, None].transpose(0, 1, 3, 2)) * model.scale  # (K, G, n, t)
    scores[..., np.arange(end)[None, :] > np.arange(start, end)[:, None]] = -np.inf
    out = (softmax(scores, axis=-1) @ values[:, None]).reshape(cfg.n_heads, n, cfg.head_dim)
    return out.transpose(1, 0, 2).reshape(n, cfg.n_heads * cfg.head_dim)


def forward_step(model: SmolLM2, pool: CachePool, rows: list[Row]) -> np.ndarray:
    """Run every row's new tokens through the model in one pass; returns the logits after
    each row's last token, ``(len(rows), vocab)``, and advances each row's cache.

    Decoding rows must come first (they are attended to together)."""
    cfg = model.config
    n_decode = sum(r.decoding for r in rows)
    if any(r.decoding for r in rows[n_decode:]):
        raise ValueError("decoding rows must come before prefill chunks")
    for r in rows:
        if r.cache.length + len(r.ids) > r.cache.keys.shape[2]:
            raise ValueError(f"slot {r.cache.slot} is full")
    sizes = [len(r.ids) for r in rows]
    bounds = np.cumsum([0, *sizes])
    x = model.embeddings[np.concatenate([r.ids for r in rows])]  # (N, d)
    q_end, k_end = cfg.n_heads * cfg.head_dim, (cfg.n_heads + cfg.n_kv_heads) * cfg.head_dim
    for layer, w in enumerate(model.layers):
        qkv = project(rms_norm(x, w.attn_norm, model.eps), w.wqkv)  # (N, (H + 2K)·hd)
        q = qkv[:, :q_end].reshape(-1, cfg.n_heads, cfg.head_dim)
        k = qkv[:, q_end:k_end].reshape(-1, cfg.n_kv_heads, cfg.head_dim)
        v = qkv[:, k_end:].reshape(-1, cfg.n_kv_heads, cfg.head_dim)
        parts = []
        if n_decode:
            parts.append(_decode_attention(model, layer, q[:n_decode], k[:n_decode],
                                           v[:n_decode], [r.cache for r in rows[:n_decode]],
                                           pool))
        for i in range(n_decode, len(rows)):
            a, b = bounds[i], bounds[i + 1]
            parts.append(_chunk_attention(model, layer, q[a:b], k[a:b], v[a:b], rows[i].cache))
        h = x + project(np.concatenate(parts), w.wo)
        gate_up = project(rms_norm(h, w.ffn_norm, model.eps), w.w_gate_up)  # (N, 2·d_ff)
        x = h + project(silu(gate_up[:, :cfg.d_ff]) * gate_up[:, cfg.d_ff:], w.w_down)
    for r in rows:
        r.cache.length += len(r.ids)
    last = x[bounds[1:] - 1]  # each row's last token
    return project(rms_norm(last, model.final_norm, model.eps), model.head)
