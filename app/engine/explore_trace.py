"""One traced forward pass per prompt, kept for the forward-pass explorer and sliced by it.

The engine's trace holds the attention weights ``(30, 9, n, n)`` and the residual stream
``(31, n, 576)``. What it does not keep (a block's queries and keys before and after RoPE,
the stream between attention and feed-forward, the SwiGLU gate) is recomputed here for
one block from the stream entering it and that block's own attention weights, with the
model's own pieces (:func:`rms_norm`, :func:`apply_rope`, :func:`silu`): one layer's
work, a few milliseconds, and the same float32 arithmetic as the pass itself, so the
untraced path is untouched.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass, fields

import numpy as np

from app.engine import work
from app.engine.smollm2 import apply_rope, rms_norm, silu

# A 64-token pass holds ~4.4 MB of attention, ~4.6 MB of residuals and ~0.2 MB of
# summaries: 64 MB keeps the last seven such prompts, or dozens of short ones.
CACHE_BYTES = 64 * 2**20
LENS_TOP = 5  # candidates kept per depth for the "why this token?" trail


@dataclass(frozen=True)
class Pass:
    """What the explorer needs from one prompt's forward pass (``n`` tokens, ``D`` = 31
    depths: the embeddings, then the stream after each of the 30 blocks)."""

    ids: tuple[int, ...]
    attention: np.ndarray  # (30, 9, n, n) float32, the engine's own weights
    residuals: np.ndarray  # (31, n, 576) float32
    next_logits: np.ndarray  # (vocab,) the last position's logits: the real prediction
    norms: np.ndarray  # (31, n) ‖residual‖₂ per depth and token
    lens_ids: np.ndarray  # (31, LENS_TOP) logit lens at the last position: best tokens
    lens_probs: np.ndarray  # (31, LENS_TOP) their probabilities
    final_ranks: np.ndarray  # (31,) rank (1 = top) of the final prediction at each depth
    final_probs: np.ndarray  # (31,) its logit-lens probability at each depth

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, f.name).nbytes for f in fields(self) if f.name != "ids")

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.next_logits))


def run_pass(model, ids) -> Pass:
    """Trace ``ids`` once and summarise it: the logit lens at the last position for every
    depth (49,152 logits each, compared in float32; only the kept probabilities are
    normalised) and the norm of every residual."""
    work.must_compute()  # a request that may only read caches queues for a model slot
    key = tuple(int(i) for i in ids)
    held = model.traces.get(key)  # the lm-attention or logit-lens widget traced it already
    if held is not None:
        last, trace = held[0][-1], held[1]
    else:  # prefill: the last row's logits only, the very ones the next-token widget reads
        last, _, trace = model.prefill(key, trace=True)
    predicted = int(np.argmax(last))
    lens = model.unembed(trace.residuals[:, -1])  # (31, vocab) float32
    shifted = np.exp(lens - lens.max(axis=-1, keepdims=True))
    total = shifted.sum(axis=-1, dtype=np.float64)
    # The best LENS_TOP of 49,152 per depth without sorting the whole vocabulary.
    top = np.argpartition(-lens, LENS_TOP, axis=-1)[:, :LENS_TOP]
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(lens, top, axis=-1),
                                             axis=-1, kind="stable"), axis=-1)
    ranks = 1 + (lens > lens[:, [predicted]]).sum(axis=-1)
    for shared in (last, trace.attention, trace.residuals):
        shared.flags.writeable = False  # one copy serves every request
    return Pass(ids=key, attention=trace.attention, residuals=trace.residuals,
                next_logits=last,
                norms=np.linalg.norm(trace.residuals.astype(np.float64), axis=-1),
                lens_ids=top, lens_probs=np.take_along_axis(shifted, top, axis=-1) / total[:, None],
                final_ranks=ranks, final_probs=shifted[:, predicted] / total)


class PassCache:
    """Passes by token ids, least recently used forgotten beyond ``max_bytes``. The app's
    one instance belongs to :class:`app.engine.Models` (``explore_passes()``), which counts
    it in its memory budget."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._data: OrderedDict[tuple, Pass] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        with self._lock:
            return sum(p.nbytes for p in self._data.values())

    def get(self, model, ids) -> Pass:
        key = tuple(int(i) for i in ids)
        with self._lock:
            hit = self._data.get(key)
            if hit is not None:
                self._data.move_to_end(key)
                return hit
        made = run_pass(model, key)  # outside the lock: other prompts need not wait
        with self._lock:
            self._data[key] = made
            total = sum(p.nbytes for p in self._data.values())
            while total > self.max_bytes and len(self._data) > 1:
                _, gone = self._data.popitem(last=False)
                total -= gone.nbytes
        return made


@dataclass(frozen=True)
class Inside:
    """One block recomputed from the stream entering it (0-based ``layer``)."""

    q_raw: np.ndarray  # (9, n, 64) queries before RoPE
    q: np.ndarray  # (9, n, 64) after RoPE
    k_raw: np.ndarray  # (3, n, 64) keys before RoPE
    k: np.ndarray  # (3, n, 64) after RoPE
    mid: np.ndarray  # (n, 576) the stream after attention, before the feed-forward network
    gate: np.ndarray  # (n, 1536) silu(W_gate · rms(mid)): the SwiGLU gate's activations
    out: np.ndarray  # (n, 576) the stream leaving the block (equals the trace's)


def block_inside(model, p: Pass, layer: int) -> Inside:
    """Recompute block ``layer`` (0-based) with the engine's weights and pieces."""
    cfg, w = model.config, model.layers[layer]
    x = p.residuals[layer]
    n, hd, heads, kv = x.shape[0], cfg.head_dim, cfg.n_heads, cfg.n_kv_heads
    qkv = rms_norm(x, w.attn_norm, model.eps) @ w.wqkv.T
    q_raw = qkv[:, :heads * hd].reshape(n, heads, hd).transpose(1, 0, 2)
    k_raw = qkv[:, heads * hd:(heads + kv) * hd].reshape(n, kv, hd).transpose(1, 0, 2)
    v = qkv[:, (heads + kv) * hd:].reshape(n, kv, hd).transpose(1, 0, 2)
    cos, sin = model.cos[:n], model.sin[:n]
    weights = p.attention[layer].reshape(kv, cfg.group_size, n, n)
    mixed = (weights @ v[:, None]).reshape(heads, n, hd).transpose(1, 0, 2).reshape(n, -1)
    mid = x + mixed @ w.wo.T
    gate_up = rms_norm(mid, w.ffn_norm, model.eps) @ w.w_gate_up.T
    gate, up = silu(gate_up[:, :cfg.d_ff]), gate_up[:, cfg.d_ff:]
    out = mid + (gate * up) @ w.w_down.T
    return Inside(q_raw=q_raw, q=apply_rope(q_raw, cos, sin), k_raw=k_raw,
                  k=apply_rope(k_raw, cos, sin), mid=mid, gate=gate, out=out)


def first_and_settled(ranks) -> tuple[int | None, int | None]:
    """The first depth where rank is 1, and the depth from which it stays 1 to the end."""
    top = [int(r) == 1 for r in ranks]
    first = next((d for d, t in enumerate(top) if t), None)
    settled = None
    for d in range(len(top) - 1, -1, -1):
        if not top[d]:
            break
        settled = d
    return first, settled


def strongest_heads(attention: np.ndarray, count: int) -> list[tuple[int, int, int, float]]:
    """The (layer, head, key, weight) triples, 0-based, where the last token's attention
    to one earlier token is largest. The first token (where many heads park weight they
    do not need, an attention sink) and the token itself are left out while any other
    earlier token exists."""
    n = attention.shape[-1]
    rows = attention[:, :, -1, :].astype(np.float64)  # (30, 9, n)
    keys = list(range(1, n - 1)) or list(range(n - 1))
    if not keys:
        return []
    sub = rows[:, :, keys]
    order = np.argsort(-sub, axis=None, kind="stable")[:count]
    out = []
    for flat in order:
        layer, head, j = np.unravel_index(flat, sub.shape)
        out.append((int(layer), int(head), keys[int(j)], float(sub[layer, head, j])))
    return out
