"""A tiny character-level GPT in NumPy, with its backward pass written out by hand.

Read it next to the lessons. For a batch of B windows of T characters (ids in 0…V-1)::

    x = wte[ids] + wpe[0:T]                                        # (B, T, C) embeddings
    repeat `depth` times:
        h = RMSNorm(x) · g1                                        # (B, T, C)
        q, k, v = split(h W_qkv) into H heads of D = C/H dims      # (B, H, T, D) each
        p = softmax(q kᵀ / √D, future positions masked)            # (B, H, T, T)
        x = x + concat(p v) W_o                                    # attention, residual add
        x = x + GELU(RMSNorm(x) · g2 W_1) W_2                      # MLP (C → 4C → C), residual
    logits = RMSNorm(x) · g_f W_head                               # (B, T, V)
    loss = mean over positions of −log softmax(logits)[next character]

:func:`loss_and_grads` runs that forward pass, keeps what the backward pass needs, then
walks the same steps in reverse with the chain rule, giving ∂loss/∂(every parameter).
Matrices are stored (in, out) so that ``x @ W`` applies them. No biases: the norms'
gains and the matrices are all the parameters there are.
"""

import math
from dataclasses import dataclass

import numpy as np

NORM_EPS = 1e-5
GELU_C = math.sqrt(2 / math.pi)


@dataclass(frozen=True)
class Config:
    vocab: int  # V, characters the model knows
    context: int = 32  # T, the longest window it reads
    width: int = 64  # C, the residual stream's size
    depth: int = 2  # transformer blocks
    heads: int = 4  # H; the width must divide into heads

    @property
    def head_size(self) -> int:
        return self.width // self.heads


Params = dict[str, np.ndarray]


def block_names(i: int) -> tuple[str, ...]:
    return tuple(f"b{i}.{n}" for n in ("g1", "w_qkv", "w_o", "g2", "w_1", "w_2"))


def init_params(cfg: Config, rng: np.random.Generator, dtype=np.float32) -> Params:
    """Random weights: matrices N(0, 1/fan_in), the residual outputs scaled down by
    √(2·depth) so the stream does not grow with depth, and a small output head so the first
    predictions are close to uniform (loss ≈ ln V)."""
    C, V = cfg.width, cfg.vocab

    def normal(shape, std):
        return (rng.standard_normal(shape) * std).astype(dtype)

    p: Params = {"wte": normal((V, C), 1.0), "wpe": normal((cfg.context, C), 0.5)}
    residual = 1 / math.sqrt(2 * cfg.depth)
    for i in range(cfg.depth):
        g1, w_qkv, w_o, g2, w_1, w_2 = block_names(i)
        p[g1] = np.ones(C, dtype)
        p[w_qkv] = normal((C, 3 * C), C ** -0.5)
        p[w_o] = normal((C, C), C ** -0.5 * residual)
        p[g2] = np.ones(C, dtype)
        p[w_1] = normal((C, 4 * C), C ** -0.5)
        p[w_2] = normal((4 * C, C), (4 * C) ** -0.5 * residual)
    p["g_f"] = np.ones(C, dtype)
    p["w_head"] = normal((C, V), 0.02)
    return p


def count_params(params: Params) -> int:
    return int(sum(a.size for a in params.values()))


# ---- the pieces, each with its backward -------------------------------------------------

def rmsnorm(x: np.ndarray, g: np.ndarray):
    """x / rms(x) · g over the last axis; returns the output and what backward needs."""
    r = 1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + NORM_EPS)
    xhat = x * r
    return xhat * g, (xhat, r, g)


def rmsnorm_backward(dy: np.ndarray, cache):
    """(dx, dg). Each x_j also moves the rms, hence the second term."""
    xhat, r, g = cache
    dg = np.sum(dy * xhat, axis=tuple(range(dy.ndim - 1)))
    dxhat = dy * g
    dx = r * (dxhat - xhat * np.mean(dxhat * xhat, axis=-1, keepdims=True))
    return dx, dg


def gelu(u: np.ndarray):
    """GELU, tanh approximation (as in GPT-2): ½u(1 + t) with t = tanh(c(u + 0.044715u³)).
    Returns the output and t, which the backward pass reuses."""
    # u * u * u, not u ** 3: NumPy's float32 power is ~200× slower than two products.
    t = np.tanh(GELU_C * (u + 0.044715 * u * u * u))
    return 0.5 * u * (1 + t), t


def gelu_backward(dout: np.ndarray, u: np.ndarray, t: np.ndarray) -> np.ndarray:
    """dout · GELU'(u), where GELU'(u) = ½(1 + t) + ½u(1 − t²)·c(1 + 3·0.044715u²).
    Computed in place: on arrays this size a fresh temporary per operation costs more
    than the arithmetic (it was 12× slower written as one expression)."""
    slope = u * u
    slope *= 3 * 0.044715
    slope += 1
    slope *= u
    slope *= 1 - t * t
    slope *= 0.5 * GELU_C
    slope += 0.5 * (1 + t)
    return dout * slope


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def attention(h, w_qkv, w_o, heads: int):
    """Causal multi-head self-attention. h: (B, T, C) -> (B, T, C), plus a cache."""
    B, T, C = h.shape
    D = C // heads
    q, k, v = np.split(h @ w_qkv, 3, axis=-1)
    q, k, v = (a.reshape(B, T, heads, D).transpose(0, 2, 1, 3) for a in (q, k, v))
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(D)  # (B, H, T, T)
    # −inf, not a large negative number: exp gives exactly 0, and every row keeps its own
    # position (the diagonal), so no row is all −inf.
    future = np.triu(np.ones((T, T), dtype=bool), k=1)
    p = softmax(np.where(future, -np.inf, scores))
    y = (p @ v).transpose(0, 2, 1, 3).reshape(B, T, C)  # heads side by side again
    return y @ w_o, (h, q, k, v, p, y)


def attention_backward(dout, cache, w_qkv, w_o, heads: int):
    """(dh, dw_qkv, dw_o) for :func:`attention`."""
    h, q, k, v, p, y = cache
    B, T, C = h.shape
    D = C // heads
    dw_o = y.reshape(-1, C).T @ dout.reshape(-1, C)
    dy = (dout @ w_o.T).reshape(B, T, heads, D).transpose(0, 2, 1, 3)  # (B, H, T, D)
    dp = dy @ v.transpose(0, 1, 3, 2)  # (B, H, T, T)
    dv = p.transpose(0, 1, 3, 2) @ dy
    dscores = p * (dp - np.sum(dp * p, axis=-1, keepdims=True)) / math.sqrt(D)  # softmax'
    dq = dscores @ k
    dk = dscores.transpose(0, 1, 3, 2) @ q
    dqkv = np.concatenate([a.transpose(0, 2, 1, 3).reshape(B, T, C) for a in (dq, dk, dv)],
                          axis=-1)
    dw_qkv = h.reshape(-1, C).T @ dqkv.reshape(-1, 3 * C)
    return dqkv @ w_qkv.T, dw_qkv, dw_o


def mlp(h, w_1, w_2):
    u = h @ w_1
    a, t = gelu(u)
    return a @ w_2, (h, u, a, t)


def mlp_backward(dout, cache, w_1, w_2):
    h, u, a, t = cache
    dw_2 = a.reshape(-1, a.shape[-1]).T @ dout.reshape(-1, dout.shape[-1])
    du = gelu_backward(dout @ w_2.T, u, t)
    dw_1 = h.reshape(-1, h.shape[-1]).T @ du.reshape(-1, du.shape[-1])
    return du @ w_1.T, dw_1, dw_2


# ---- the whole model -------------------------------------------------------------------

def forward(params: Params, cfg: Config, ids: np.ndarray):
    """Logits (B, T, V) for ids (B, T), and the caches of every layer."""
    T = ids.shape[1]
    x = params["wte"][ids] + params["wpe"][:T]
    caches = []
    for i in range(cfg.depth):
        g1, w_qkv, w_o, g2, w_1, w_2 = block_names(i)
        h, n1 = rmsnorm(x, params[g1])
        a, att = attention(h, params[w_qkv], params[w_o], cfg.heads)
        x = x + a
        h2, n2 = rmsnorm(x, params[g2])
        m, ff = mlp(h2, params[w_1], params[w_2])
        x = x + m
        caches.append((n1, att, n2, ff))
    hf, nf = rmsnorm(x, params["g_f"])
    return hf @ params["w_head"], (caches, nf, hf)


def cross_entropy(logits: np.ndarray, targets: np.ndarray):
    """Mean −log p(target) and its gradient with respect to the logits: (p − one_hot)/N."""
    z = logits - np.max(logits, axis=-1, keepdims=True)
    log_p = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    n = targets.size
    picked = np.take_along_axis(log_p, targets[..., None], axis=-1)
    dlogits = np.exp(log_p)
    np.put_along_axis(dlogits, targets[..., None],
                      np.take_along_axis(dlogits, targets[..., None], axis=-1) - 1, axis=-1)
    return float(-picked.sum() / n), dlogits / n


def loss_only(params: Params, cfg: Config, ids: np.ndarray, targets: np.ndarray) -> float:
    return cross_entropy(forward(params, cfg, ids)[0], targets)[0]


def loss_and_grads(params: Params, cfg: Config, ids: np.ndarray, targets: np.ndarray):
    """The loss and ∂loss/∂p for every parameter p (same keys and shapes as ``params``)."""
    logits, (caches, nf, hf) = forward(params, cfg, ids)
    loss, dlogits = cross_entropy(logits, targets)
    V = cfg.vocab
    grads: Params = {"w_head": hf.reshape(-1, hf.shape[-1]).T @ dlogits.reshape(-1, V)}
    dx, grads["g_f"] = rmsnorm_backward(dlogits @ params["w_head"].T, nf)
    for i in reversed(range(cfg.depth)):
        g1, w_qkv, w_o, g2, w_1, w_2 = block_names(i)
        n1, att, n2, ff = caches[i]
        # x = x + m: the gradient reaches x directly and through the MLP branch.
        dh2, grads[w_1], grads[w_2] = mlp_backward(dx, ff, params[w_1], params[w_2])
        dx_branch, grads[g2] = rmsnorm_backward(dh2, n2)
        dx = dx + dx_branch
        dh, grads[w_qkv], grads[w_o] = attention_backward(dx, att, params[w_qkv],
                                                          params[w_o], cfg.heads)
        dx_branch, grads[g1] = rmsnorm_backward(dh, n1)
        dx = dx + dx_branch
    T = ids.shape[1]
    grads["wpe"] = np.zeros_like(params["wpe"])
    grads["wpe"][:T] = dx.sum(axis=0)
    grads["wte"] = np.zeros_like(params["wte"])
    np.add.at(grads["wte"], ids, dx)  # a character used twice gets both gradients
    return loss, {name: grads[name].astype(params[name].dtype, copy=False) for name in params}


def sample(params: Params, cfg: Config, start: np.ndarray, length: int,
           rng: np.random.Generator, temperature: float = 1.0) -> np.ndarray:
    """Continue each row of ``start`` (B, ≥1 ids) by ``length`` sampled characters,
    reading at most the last ``context`` characters each time. Returns (B, length) ids."""
    seq = np.array(start, dtype=np.int64)
    out = np.zeros((seq.shape[0], length), dtype=np.int64)
    for t in range(length):
        logits = forward(params, cfg, seq[:, -cfg.context:])[0][:, -1, :]
        p = softmax(logits.astype(np.float64) / temperature)
        u = rng.random((p.shape[0], 1))
        nxt = np.minimum((np.cumsum(p, axis=-1) < u).sum(axis=-1), cfg.vocab - 1)
        out[:, t] = nxt
        seq = np.concatenate([seq, nxt[:, None]], axis=1)
    return out
