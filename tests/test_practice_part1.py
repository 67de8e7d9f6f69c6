"""Practice answers of Part 1 (modules 01–08), each checked against a computation written
here from the question's definition, and the Part 1 generators checked over many seeds."""

import ast
import math
import re
from collections import Counter

import numpy as np
import pytest

from app.content.answers import NumberAnswer
from app.practice.gen_part1 import GENERATORS
from tests.lesson_support import softmax
from tests.practice_support import (
    answer_of,
    assert_choice,
    assert_numbers,
    generators_in,
    given,
    rejects_mistakes,
    rejects_wrong_choices,
    variants,
)


def gelu(x):
    return x * 0.5 * (1 + math.erf(x / math.sqrt(2)))


def values(answer: NumberAnswer) -> list[float]:
    return [f.value for f in answer.fields]


# --- Module 01 -----------------------------------------------------------------------------

def test_01_three_token_softmax():
    assert_numbers(answer_of("01", 1), list(softmax([1, 0, -1])))
    rejects_mistakes(answer_of("01", 1))


def test_01_continuation_probability_and_bits():
    p = 0.5 * 0.25 * 0.125
    assert_numbers(answer_of("01", 2), [p, -math.log2(p)])
    rejects_mistakes(answer_of("01", 2))


# --- Module 02 -----------------------------------------------------------------------------

def test_02_tied_pairs_after_ten_merges():
    corpus = {("low</w>",): 5, ("low", "e", "r", "</w>"): 2, ("newest</w>",): 6,
              ("wi", "d", "est</w>"): 3}
    pairs: Counter = Counter()
    for symbols, n in corpus.items():
        for pair in zip(symbols, symbols[1:], strict=False):
            pairs[pair] += n
    best = max(pairs.values())
    tied = [p for p, n in pairs.items() if n == best]
    assert tied == [("wi", "d"), ("d", "est</w>")]
    assert_choice(answer_of("02", 1), f"`({tied[0][0]}, {tied[0][1]})`")
    assert_choice(answer_of("02", 1), f"{best} times each")
    rejects_wrong_choices(answer_of("02", 1))


def test_02_embedding_share():
    params = 49_152 * 576
    assert_numbers(answer_of("02", 2), [params, 100 * params / 134_515_008])
    rejects_mistakes(answer_of("02", 2))


# --- Module 03 -----------------------------------------------------------------------------

def test_03_dot_and_cosine():
    a, b = np.array([1, 2, 2]), np.array([2, 0, 1])
    assert_numbers(answer_of("03", 1), [a @ b, a @ b / np.linalg.norm(a) / np.linalg.norm(b)])
    rejects_mistakes(answer_of("03", 1))


def test_03_matmul_sizes():
    a, b = np.ones((4, 3)), np.ones((3, 5))
    product = a @ b
    multiplications = product.size * a.shape[1]
    assert_numbers(answer_of("03", 2), [*product.shape, product.size, multiplications])
    rejects_mistakes(answer_of("03", 2))


# --- Module 04 (the worked example) --------------------------------------------------------

def test_04_softmax_and_ratios():
    assert_numbers(answer_of("04", 1), [softmax([2, 0])[0], softmax([102, 100])[0]])
    gap = 3.2 - (-1.5)
    assert_numbers(answer_of("04", 2), [math.exp(gap), math.exp(gap / 2)])
    rejects_mistakes(answer_of("04", 1))
    rejects_mistakes(answer_of("04", 2))


# --- Module 05 -----------------------------------------------------------------------------

def test_05_table_and_lookup_shape():
    table = np.zeros((32_000, 4_096), dtype=np.int8)
    ids = np.zeros((8, 512), dtype=np.int64)
    assert_numbers(answer_of("05", 1), [table.size, *table[ids].shape])
    rejects_mistakes(answer_of("05", 1))


def test_05_position_explains_layer0():
    sentences = ["[CLS] the mole", "[CLS] a mole", "[CLS] the doctor checked the mole"]
    positions = [s.split().index("mole") for s in sentences]
    assert positions[0] == positions[1] != positions[2]
    assert_choice(answer_of("05", 3), f"position {positions[0]}")
    assert_choice(answer_of("05", 3), f"position {positions[2]}")
    rejects_wrong_choices(answer_of("05", 3))


# --- Module 06 -----------------------------------------------------------------------------

def test_06_mlp_parameters():
    params = (384 * 1536 + 1536) + (1536 * 384 + 384)
    out = np.zeros((32, 384)) @ np.zeros((384, 1536)) @ np.zeros((1536, 384))
    assert_numbers(answer_of("06", 1), [params, *out.shape])
    rejects_mistakes(answer_of("06", 1))


def test_06_xor_with_gelu():
    z = {(0, 0): (0, -1), (0, 1): (1, 0), (1, 0): (1, 0), (1, 1): (2, 1)}
    outputs = [gelu(z1) - 2 * gelu(z2) for z1, z2 in z.values()]
    assert_numbers(answer_of("06", 2), outputs)
    assert [y > 0.5 for y in outputs] == [False, True, True, False]  # still XOR
    rejects_mistakes(answer_of("06", 2))


# --- Module 07 -----------------------------------------------------------------------------

def test_07_loss_bits_perplexity():
    nats = -math.log(0.25)
    assert_numbers(answer_of("07", 1), [nats, -math.log2(0.25), math.exp(nats)])
    rejects_mistakes(answer_of("07", 1))


def test_07_gradient_is_p_minus_y():
    z, t = np.array([2, 1, 0.5, 0, -1]), 0
    # central differences of L(z) = −ln softmax(z)_t, not the p − y formula
    loss = lambda v: -math.log(softmax(v)[t])  # noqa: E731
    grad = [(loss(z + h) - loss(z - h)) / 2e-6 for h in np.eye(5) * 1e-6]
    assert_numbers(answer_of("07", 2), grad[:2])
    rejects_mistakes(answer_of("07", 2))


# --- Module 08 -----------------------------------------------------------------------------

def test_08_rnn_size():
    w_x, w_h, b = np.zeros((300, 512)), np.zeros((512, 512)), np.zeros(512)
    states = np.zeros((20, 512))
    assert_numbers(answer_of("08", 1), [w_x.size + w_h.size + b.size, *states.shape])
    rejects_mistakes(answer_of("08", 1))


def test_08_vanishing_and_exploding():
    assert_numbers(answer_of("08", 2), [0.9**10, 0.9**100, 1.1**10, 1.1**100])
    rejects_mistakes(answer_of("08", 2))


# --- Generators ----------------------------------------------------------------------------

def test_every_part1_generator_is_used_by_a_lesson():
    used = {g for m in ("01", "02", "03", "04", "05", "06", "07", "08")
            for g in generators_in(m)}
    assert used == set(GENERATORS)


def nums(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", text.replace(",", ""))]


def test_softmax_top():
    for _, v in variants(GENERATORS["softmax-top"]):
        g = given(v)
        logits, t = nums(g["logits"]), float(g["T"])
        assert len(logits) == 4 and all(-3 <= z <= 3 and (2 * z).is_integer() for z in logits)
        assert_numbers(v.answer, [max(softmax(logits, t))])


def test_token_probability():
    for _, v in variants(GENERATORS["token-probability"]):
        logits, token = nums(given(v)["logits"]), int(given(v)["token"])
        assert len(logits) == 3 and all(z.is_integer() and -3 <= z <= 3 for z in logits)
        assert 1 <= token <= 3
        e = [math.exp(z) for z in logits]
        assert_numbers(v.answer, [e[token - 1] / sum(e)])


def test_bpe_first_merge():
    for _, v in variants(GENERATORS["bpe-first-merge"]):
        entries = [w.split(" ×") for w in given(v)["corpus"].split(", ")]
        assert len(entries) == 3 and len({w for w, _ in entries}) == 3
        pairs: Counter = Counter()
        for word, n in entries:
            assert 1 <= int(n) <= 6
            symbols = [*word, "</w>"]
            for pair in zip(symbols, symbols[1:], strict=False):
                pairs[pair] += int(n)
        assert_numbers(v.answer, [max(pairs.values())])


def test_cosine_2d():
    for _, v in variants(GENERATORS["cosine-2d"]):
        a, b = np.array(nums(given(v)["a"])), np.array(nums(given(v)["b"]))
        assert a.shape == b.shape == (2,) and a.any() and b.any()
        assert np.all(np.abs(np.r_[a, b]) <= 4) and np.all(np.r_[a, b] % 1 == 0)
        assert_numbers(v.answer, [a @ b, a @ b / math.hypot(*a) / math.hypot(*b)])


def test_embedding_size():
    for _, v in variants(GENERATORS["embedding-size"]):
        g = {k: int(s.replace(",", "")) for k, s in given(v).items()}
        vocab, d = g["vocabulary"], g["width d"]
        assert vocab % 1000 == 0 and d % 256 == 0
        assert_numbers(v.answer, [vocab * d, g["batch"] * g["tokens per sequence"] * d])


def test_relu_network():
    for _, v in variants(GENERATORS["relu-network"]):
        g = given(v)
        x, w1 = np.array(nums(g["x"])), np.array(ast.literal_eval(g["W₁ (rows)"]), float)
        b1, w2 = np.array(nums(g["b₁"])), np.array(nums(g["w₂"]))
        assert x.shape == (2,) and w1.shape == (2, 2) and b1.shape == w2.shape == (2,)
        assert np.all(np.abs(w1) <= 2) and np.all((x >= 0) & (x <= 2))
        hidden = np.array([max(0.0, x[0] * w1[0, j] + x[1] * w1[1, j] + b1[j]) for j in (0, 1)])
        assert_numbers(v.answer, [hidden @ w2])
        assert (hidden * w2).any()  # a hidden unit fires and counts


def test_cross_entropy_loss():
    for _, v in variants(GENERATORS["cross-entropy-loss"]):
        logits, t = nums(given(v)["logits"]), int(given(v)["correct token"])
        assert len(logits) == 4 and 1 <= t <= 4
        e = [math.exp(z) for z in logits]
        p = e[t - 1] / sum(e)
        assert p >= 0.1
        assert_numbers(v.answer, [p, -(logits[t - 1] - math.log(sum(e)))])


def test_rnn_steps():
    for _, v in variants(GENERATORS["rnn-steps"]):
        (x1, x2), g = nums(given(v)["inputs x₁, x₂"]), given(v)
        w_x, w_h = float(g["w_x"]), float(g["w_h"])
        assert x1 != 0 and abs(x1) <= 2 and abs(x2) <= 2
        h1 = math.tanh(w_x * x1)
        assert_numbers(v.answer, [math.tanh(w_x * x2 + w_h * h1)])


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_same_seed_same_variant(name):
    a, b = variants(GENERATORS[name], [7, 7])
    assert a[1] == b[1]
