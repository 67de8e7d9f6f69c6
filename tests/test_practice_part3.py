"""Practice answers of Part 3 (modules 16–21), each checked against a computation written
here from the question's definition, and the Part 3 generators checked over many seeds."""

import ast
import math
from itertools import product

import numpy as np
import pytest

from app.content.answers import SelfAnswer
from app.practice.gen_part3 import GENERATORS
from tests.lesson_support import softmax
from tests.lesson_text import read_lesson
from tests.practice_support import (
    answer_of,
    assert_numbers,
    assert_shape,
    check_numbers,
    given,
    rejects_mistakes,
    variants,
)

# The worked example of Module 19: a tied vocabulary of five tokens, embeddings (5, 3).
TOKENS_19 = ["Paris", "London", "the", "banana", "."]
EMBEDDINGS_19 = np.array([[2, 1, 0], [1.5, 0, 0.5], [0, 0, 1], [-1, 1, 0], [0, -1, 0.5]])


def silu(z):
    return z / (1 + math.exp(-z))


def rotation(angle: float) -> np.ndarray:
    """The 2×2 matrix that turns a column vector by ``angle`` radians, counterclockwise."""
    return np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])


def numbers(text: str) -> list[float]:
    """``"[1, -0.5]"`` → ``[1.0, -0.5]``."""
    return [float(x) for x in ast.literal_eval(text)]


# --- Module 16 -----------------------------------------------------------------------------

def test_16_rmsnorm_of_three_four():
    x = np.array([3.0, 4.0])
    check_numbers("16", 1, list(x / math.sqrt(np.mean(x**2))))


def test_16_layernorm_ignores_a_shift_rmsnorm_does_not():
    def layer_norm(v):
        return (v - v.mean()) / v.std()

    shifted = np.array([103.0, 104.0])
    rms = shifted / math.sqrt(np.mean(shifted**2))
    check_numbers("16", 2, [layer_norm(np.array([3.0, 4.0]))[0], layer_norm(shifted)[0],
                            rms[0], rms[1]])


def test_16_vanishing_gradient_question_is_self_graded():
    assert isinstance(answer_of("16", 3), SelfAnswer)
    assert f"0.8^{{30}} \\approx {0.8**30:.5f}$" in read_lesson("16")  # the solution's number


def test_16_generator_rmsnorm_entry():
    for seed, v in variants(GENERATORS["rmsnorm-entry"]):
        x = np.array(numbers(given(v)["x"]))
        assert len(x) == 4 and np.all(x == np.round(x)) and np.abs(x).max() <= 5, seed
        assert x[0] != 0 and x.std() > 0, seed
        rms = math.sqrt(float(np.mean(x**2)))
        assert_numbers(v.answer, [rms, x[0] / rms])
        rejects_mistakes(v.answer)


# --- Module 17 -----------------------------------------------------------------------------

def test_17_mlp_and_attention_weights_of_gpt2_small():
    d = 768
    check_numbers("17", 1, [d * 4 * d + 4 * d * d, 4 * d * d])


def test_17_swiglu_worked_example():
    x = np.array([1.0, -1.0])
    gate_keys = np.array([[1, 0], [0, 1], [1, 1], [1, -1]], float)
    up_rows = np.array([[1, 1], [2, 0], [0, 1], [1, 0]], float)
    values = np.array([[1, 0], [0, 1], [1, 1], [-1, 2]], float)  # v_i, one per row
    hidden = np.array([silu(g) for g in gate_keys @ x]) * (up_rows @ x)
    check_numbers("17", 2, list(hidden @ values))


def test_17_swiglu_width_that_matches_a_gelu_mlp():
    d = 4096
    exact = 8 * d * d / (3 * d)
    assert 11_008 % 256 == 0 and 11_008 - 256 < exact < 11_008
    check_numbers("17", 3, [exact, 3 * d * 11_008 - 8 * d * d])


def test_17_generator_swiglu_unit():
    for seed, v in variants(GENERATORS["swiglu-unit"]):
        g, u = float(given(v)["gate score g"]), float(given(v)["up score u"])
        assert g != 0 and u != 0 and abs(g) <= 3 and abs(u) <= 3, seed
        assert 2 * g == round(2 * g) and 2 * u == round(2 * u), seed  # halves
        assert_numbers(v.answer, [silu(g) * u])
        rejects_mistakes(v.answer)


# --- Module 18 -----------------------------------------------------------------------------

def test_18_quarter_and_half_turn():
    e = np.array([1.0, 0.0])
    check_numbers("18", 1, [e @ rotation(math.pi / 2) @ e, e @ rotation(math.pi) @ e])


def test_18_key_ahead_scores_differently():
    q, k, theta = np.array([1.0, 2.0]), np.array([3.0, 1.0]), 0.5

    def score(m, n):
        return (rotation(m * theta) @ q) @ (rotation(n * theta) @ k)

    assert abs(score(5, 2) - (-4.6338)) < 1e-4  # the worked example: key three behind
    check_numbers("18", 2, [score(2, 5)])


def test_18_smollm2_rope_frequencies():
    d, base, context = 64, 100_000, 8192
    thetas = [base ** (-2 * i / d) for i in range(d // 2)]
    wavelengths = [2 * math.pi / t for t in thetas]
    slow = sum(w > context for w in wavelengths)
    slow_10k = sum(2 * math.pi / 10_000 ** (-2 * i / d) > context for i in range(d // 2))
    assert (slow, slow_10k) == (12, 7)
    check_numbers("18", 3, [len(thetas), min(wavelengths), max(wavelengths), slow])


def test_18_generator_rope_score():
    for seed, v in variants(GENERATORS["rope-score"]):
        g = given(v)
        q, k = np.array(numbers(g["q"])), np.array(numbers(g["k"]))
        theta, m, n = float(g["θ"]), int(g["query position m"]), int(g["key position n"])
        assert len(q) == len(k) == 2 and q.any() and k.any(), seed
        assert np.abs(np.concatenate([q, k])).max() <= 3 and theta in (0.25, 0.5, 1.0), seed
        assert n >= 0 and 1 <= m - n <= 6, seed
        assert_numbers(v.answer, [(rotation(m * theta) @ q) @ (rotation(n * theta) @ k)])
        rejects_mistakes(v.answer)


# --- Module 19 -----------------------------------------------------------------------------

def test_19_tying_saves_one_matrix():
    check_numbers("19", 1, [768 * 50_257])


def test_19_shift_and_double_the_logits():
    h = np.array([1.0, 0.5, -0.5])
    z = EMBEDDINGS_19 @ h
    assert np.allclose(z, [2.5, 1.25, -0.5, -0.5, -0.75])
    check_numbers("19", 2, [-math.log(softmax(z + 10)[0]), softmax(2 * z)[0]])


def test_19_repeat_question_is_self_graded():
    assert isinstance(answer_of("19", 3), SelfAnswer)


def test_19_logits_shape_for_seven_tokens():
    hidden, w_u = np.zeros((7, 576)), np.zeros((576, 49_152))
    assert_shape(answer_of("19", 5), (hidden @ w_u).shape)


def test_19_generator_output_head_prob():
    for seed, v in variants(GENERATORS["output-head-prob"]):
        h = np.array(numbers(given(v)["h"]))
        target = given(v)["next token"]
        assert len(h) == 3 and np.all(2 * h == np.round(2 * h)), seed
        assert h.min() >= -1.5 and h.max() <= 2 and target in TOKENS_19, seed
        p = softmax(EMBEDDINGS_19 @ h)[TOKENS_19.index(target)]
        assert p >= 0.05, seed
        assert_numbers(v.answer, [p, -math.log(p)])
        rejects_mistakes(v.answer)


# --- Module 20 -----------------------------------------------------------------------------

def test_20_twelve_l_d_squared_for_gpt2_medium():
    check_numbers("20", 1, [12 * 24 * 1024**2])


def test_20_grouped_query_saving_in_smollm2():
    per_layer = 2 * 576 * (9 * 64 - 3 * 64)  # W_K and W_V lose 6 of their 9 heads
    assert 134_515_008 + 30 * per_layer == 147_786_048  # the solution's full-MHA total
    check_numbers("20", 2, [per_layer, 30 * per_layer])


def test_20_llama2_7b_exact_count():
    d, layers, ff, vocab = 4096, 32, 11_008, 32_000
    block = 4 * d * d + 3 * d * ff + 2 * d
    check_numbers("20", 3, [layers * block + 2 * vocab * d + d])


def test_20_generator_llama_block_params():
    for seed, v in variants(GENERATORS["llama-block-params"]):
        g = {k: int(x) for k, x in given(v).items()}
        d, heads, kv, size, ff = (g["width d"], g["query heads"], g["key–value heads"],
                                  g["head size"], g["MLP width"])
        assert heads * size == d and heads % kv == 0 and size == 64, seed
        assert ff in (2 * d, 3 * d, 4 * d) and d <= 2048, seed
        attention = d * d + d * (kv * size) * 2 + d * d  # W_Q, W_K, W_V, W_O
        assert_numbers(v.answer, [attention + 3 * d * ff + 2 * d])
        rejects_mistakes(v.answer)


# --- Module 21 -----------------------------------------------------------------------------

def pairs(n: int, causal: bool) -> int:
    return sum(1 for i, j in product(range(n), repeat=2) if not causal or j <= i)


def test_21_pairs_for_six_tokens():
    check_numbers("21", 1, [pairs(6, causal=False), pairs(6, causal=True)])


@pytest.mark.parametrize("number", [2, 3])
def test_21_architecture_questions_are_self_graded(number):
    assert isinstance(answer_of("21", number), SelfAnswer)


def test_21_bert_masking_split():
    chosen = 0.15 * 200
    check_numbers("21", 4, [0.8 * chosen, 0.1 * chosen, 0.1 * chosen])


def test_21_generator_attention_pairs():
    for seed, v in variants(GENERATORS["attention-pairs"]):
        n = int(given(v)["n"])
        assert 4 <= n <= 30, seed
        assert_numbers(v.answer, [pairs(n, causal=False), pairs(n, causal=True)])
        rejects_mistakes(v.answer)


def test_every_part3_generator_is_used_by_a_lesson():
    """A generator no lesson names would never be drawn."""
    used = {answer_of(m, n).generator for m, n in
            [("16", 4), ("17", 4), ("18", 4), ("19", 4), ("20", 4), ("21", 5)]}
    assert used == set(GENERATORS)
