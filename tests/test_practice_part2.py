"""Practice answers of Part 2 (modules 09–15 and 12a), each checked against a computation
written here from the question's definition, and the Part 2 generators over many seeds."""

import ast
import math
import re

import numpy as np
import pytest

from app.practice.gen_part2 import GENERATORS
from tests.lesson_support import softmax
from tests.practice_support import (
    answer_of,
    assert_choice,
    assert_numbers,
    assert_shape,
    generators_in,
    given,
    rejects_mistakes,
    rejects_wrong_choices,
    variants,
)

MODULES = ("09", "10", "11", "12", "12a", "13", "14", "15")


def pe4(p: float) -> np.ndarray:
    return np.array([math.sin(p), math.cos(p), math.sin(0.01 * p), math.cos(0.01 * p)])


# --- Module 09 -----------------------------------------------------------------------------

def test_09_position_tables():
    assert_numbers(answer_of("09", 1), [np.zeros((512, 384)).size, np.zeros((1024, 768)).size])
    rejects_mistakes(answer_of("09", 1))


def test_09_sinusoid_dot_products():
    assert_numbers(answer_of("09", 2), [pe4(1) @ pe4(2), pe4(2) @ pe4(3), pe4(0) @ pe4(3)])
    rejects_mistakes(answer_of("09", 2))


# --- Module 10 -----------------------------------------------------------------------------

def test_10_shapes_choice():
    n, d, vocab = 10, 768, 50257
    ids = np.zeros(n, dtype=int)
    hidden = np.zeros((n, d))  # the blocks keep the width
    logits = hidden[:, :1] @ np.zeros((1, vocab))  # the head: one score per entry, per row
    answer = answer_of("10", 1)
    assert_choice(answer, f"ids $({ids.shape[0]},)$")
    assert_choice(answer, f"logits $({logits.shape[0]}, {logits.shape[1]})$; the last row")
    rejects_wrong_choices(answer)


def test_10_attention_weights():
    assert_numbers(answer_of("10", 2), [12 * 12 * 1024 * 1024, 12 * 12 * 2048 * 2048])
    rejects_mistakes(answer_of("10", 2))


def test_10_smollm2_parameters():
    d, kv, ff, vocab = 576, 192, 1536, 49_152
    block = 2 * d * d + 2 * d * kv + 3 * d * ff + 2 * d
    assert_numbers(answer_of("10", 3), [30 * block + vocab * d + d])
    rejects_mistakes(answer_of("10", 3))


# --- Module 11 -----------------------------------------------------------------------------

def test_11_projection_sizes():
    w_q = np.zeros((512, 64))
    assert_numbers(answer_of("11", 1), [w_q.size, 3 * w_q.size, 8 * 3 * w_q.size])
    rejects_mistakes(answer_of("11", 1))


def test_11_animal_scores():
    q_animal = np.array([0, -1])
    keys = np.array([[1, -2], [1, 0], [2, 0], [1, -1]])  # animal, street, it, tired
    assert_numbers(answer_of("11", 2), list(keys @ q_animal))
    rejects_mistakes(answer_of("11", 2))


def test_11_it_output():
    weights = softmax(np.array([3, -1, -2, 1]) / math.sqrt(2))
    values = np.array([[2, 1], [1, 2], [1, 1], [1, 0]])
    assert_numbers(answer_of("11", 3), list(weights @ values))
    rejects_mistakes(answer_of("11", 3))


# --- Module 12 -----------------------------------------------------------------------------

def test_12_shapes_choice():
    q = k = v = np.zeros((10, 64))
    scores = q @ k.T
    out = scores @ v
    answer = answer_of("12", 1)
    assert_choice(answer, f"$A$ $({scores.shape[0]}, {scores.shape[1]})$")
    assert_choice(answer, f"output $({out.shape[0]}, {out.shape[1]})$; {scores.size} dot")
    rejects_wrong_choices(answer)


def test_12_doubled_query():
    q = np.array([2, 0, 2, 0])
    keys = np.array([[1, 1, 1, 0], [0, 1, 0, 1], [1, 0, 0, 1]])
    values = np.array([[1, 0], [0, 1], [1, 1]])
    w = softmax(keys @ q / 2)
    assert_numbers(answer_of("12", 2), [w[0], w[1], *(w @ values)])
    rejects_mistakes(answer_of("12", 2))


def test_12_batched_score_shape():
    q = np.zeros((2, 4, 5, 16))
    k = np.zeros((2, 4, 7, 16))
    assert_shape(answer_of("12", 3), (q @ np.swapaxes(k, -1, -2)).shape)


def test_12_equal_keys_give_uniform_weights():
    m = 5
    w = softmax(np.full(m, 2.7))
    assert np.allclose(w, 1 / m)
    answer = answer_of("12", 4)
    assert_choice(answer, "$1/m$")
    rejects_wrong_choices(answer)


def test_12_score_spread():
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((2, 4_000, 128))
    assert abs(np.std(np.sum(q * k, axis=1)) - math.sqrt(128)) < 0.5  # the claim, sampled
    assert_numbers(answer_of("12", 5), [math.sqrt(128)])
    rejects_mistakes(answer_of("12", 5))


# --- Module 12a ----------------------------------------------------------------------------

def test_12a_additive_and_dot():
    q, k, v = np.array([0.5, -1]), np.array([1, 0.5]), np.array([2, 1])
    assert_numbers(answer_of("12a", 1), [v @ np.tanh(q + k), q @ k])
    rejects_mistakes(answer_of("12a", 1))


def test_12a_tanh_tensor_size():
    numbers = 1024 * 1024 * 64
    assert_numbers(answer_of("12a", 2), [numbers, numbers * 4 / 2**20])
    rejects_mistakes(answer_of("12a", 2))


# --- Module 13 -----------------------------------------------------------------------------

def test_13_mask_count():
    allowed = np.tril(np.ones((4, 4), dtype=bool))
    first = softmax(np.where(allowed[0], np.array([3.0, 1, 4, 1]), -np.inf))
    assert_numbers(answer_of("13", 1), [allowed.sum(), first[0]])
    rejects_mistakes(answer_of("13", 1))


def test_13_masked_rows():
    s = np.array([[1, 3, 0], [2, 0, 5], [0, 1, 1]], float)
    rows = [softmax(s[i, : i + 1]) for i in range(3)]
    assert_numbers(answer_of("13", 2), [rows[1][0], rows[1][1], rows[2][0], rows[2][1]])
    rejects_mistakes(answer_of("13", 2))


# --- Module 14 -----------------------------------------------------------------------------

def test_14_head_width_and_weights():
    d = 512
    assert_numbers(answer_of("14", 1), [d // 8, 4 * d * d, 4 * (16 * d * (d // 16))])
    rejects_mistakes(answer_of("14", 1))


def test_14_gpt3_attention_share():
    layer = 4 * 12_288**2
    assert_numbers(answer_of("14", 2), [layer, 96 * layer, 100 * 96 * layer / 175e9])
    rejects_mistakes(answer_of("14", 2))


# --- Module 15 -----------------------------------------------------------------------------

def test_15_cross_attention_shapes():
    q, k = np.zeros((5, 64)), np.zeros((7, 64))
    w = q @ k.T
    layer = np.concatenate([w @ k] * 8, axis=1) @ np.zeros((512, 512))
    answer = answer_of("15", 1)
    assert_choice(answer, f"weights $({w.shape[0]}, {w.shape[1]})$")
    assert_choice(answer, f"layer output $({layer.shape[0]}, {layer.shape[1]})$")
    rejects_wrong_choices(answer)


def test_15_padding_mask():
    free, masked = softmax([1, 2, 0, 0]), softmax([1, 2])
    assert_numbers(answer_of("15", 2), [free[0], free[1], masked[0], free[2:].sum()])
    rejects_mistakes(answer_of("15", 2))


# --- Generators ----------------------------------------------------------------------------

def nums(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", text.replace(",", ""))]


def matrix(text: str) -> np.ndarray:
    return np.array(ast.literal_eval(text), float)


def test_every_part2_generator_is_used_by_a_lesson():
    used = {g for m in MODULES for g in generators_in(m)}
    assert used == set(GENERATORS)


def test_sinusoid_dot():
    for _, v in variants(GENERATORS["sinusoid-dot"]):
        d = int(given(v)["d_model"])
        p1, p2 = nums(given(v)["positions"])
        assert d in (4, 8) and 0 <= p1 < p2 <= 20
        omegas = [10000 ** (-2 * i / d) for i in range(d // 2)]
        pe = [np.ravel([[math.sin(w * p), math.cos(w * p)] for w in omegas]) for p in (p1, p2)]
        assert_numbers(v.answer, [pe[0] @ pe[1]])


def test_block_params():
    for _, v in variants(GENERATORS["block-params"]):
        d, ff = int(given(v)["d_model"]), int(given(v)["feed-forward width"])
        assert ff == 4 * d and d in (128, 256, 512, 768, 1024)
        attention = 4 * (d * d + d)
        mlp = d * ff + ff + ff * d + d
        assert_numbers(v.answer, [attention, mlp, attention + mlp + 2 * 2 * d])


def test_attention_weight():
    for _, v in variants(GENERATORS["attention-weight"]):
        q, keys = np.array(nums(given(v)["q"])), matrix(given(v)["k₁, k₂, k₃"])
        assert q.shape == (4,) and keys.shape == (3, 4) and q.any()
        assert len({tuple(k) for k in keys}) == 3 and np.all(np.abs(keys) <= 1)
        scores = np.array([sum(a * b for a, b in zip(q, k, strict=True)) for k in keys]) / 2
        assert_numbers(v.answer, [scores[0], math.exp(scores[0]) / np.exp(scores).sum()])


def test_attention_output():
    for _, v in variants(GENERATORS["attention-output"]):
        g = given(v)
        q, keys, values = np.array(nums(g["q"])), matrix(g["keys k₁, k₂, k₃"]), \
            matrix(g["values v₁, v₂, v₃"])
        assert q.shape == (4,) and keys.shape == (3, 4) and values.shape == (3, 2)
        e = np.exp(keys @ q / 2)
        out = sum(e[j] * values[j] for j in range(3)) / e.sum()
        assert_numbers(v.answer, list(out))


def test_additive_score():
    for _, v in variants(GENERATORS["additive-score"]):
        g = given(v)
        q, k, vec = (np.array(nums(g[name])) for name in ("q", "k", "v"))
        wq, wk = matrix(g["W_q (rows)"]), matrix(g["W_k (rows)"])
        assert wq.shape == wk.shape == (2, 2) and np.all(np.abs(np.r_[q, k]) <= 2)
        hidden = [math.tanh(wq[i] @ q + wk[i] @ k) for i in range(2)]
        assert_numbers(v.answer, [vec[0] * hidden[0] + vec[1] * hidden[1]])


def test_causal_weights():
    for _, v in variants(GENERATORS["causal-weights"]):
        s = matrix(given(v)["scores (rows)"])
        assert s.shape == (3, 3) and np.all((s >= 0) & (s <= 4))
        row2 = math.exp(s[1, 0]) / (math.exp(s[1, 0]) + math.exp(s[1, 1]))
        row3 = math.exp(s[2, 2]) / sum(math.exp(x) for x in s[2])
        assert_numbers(v.answer, [row2, row3])


def test_head_split():
    for _, v in variants(GENERATORS["head-split"]):
        d, h = int(given(v)["d_model"]), int(given(v)["heads"])
        assert d % h == 0
        assert_numbers(v.answer, [d / h, d * (d / h), 4 * d * d])


def test_padding_share():
    for _, v in variants(GENERATORS["padding-share"]):
        scores, pads = nums(given(v)["scores"]), int(given(v)["padding tokens"])
        assert 1 <= pads <= 3 and len(scores) == 2 + pads and scores[2:] == [0] * pads
        e = [math.exp(s) for s in scores]
        share = sum(e[2:]) / sum(e)
        assert_numbers(v.answer, [share, e[0] / (e[0] + e[1])])


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_same_seed_same_variant(name):
    a, b = variants(GENERATORS[name], [11, 11])
    assert a[1] == b[1]
