"""Practice answers of Part 6 (modules 37–41): every number, shape and choice a lesson's
front matter grades against is recomputed here from the question's own definition."""

import math

import numpy as np

from tests.lesson_support import softmax
from tests.practice_support import answer_of, assert_choice, assert_numbers, assert_shape

# --- 37 mixture of experts ---------------------------------------------------------------


def test_37_top2_weights():
    logits = np.array([0.2, 1.5, -0.3, 1.1])
    top = np.argsort(-logits)[:2]
    assert list(top) == [1, 3]  # the experts the question's answer is labeled with
    assert_numbers(answer_of("37", 1), list(softmax(logits[top])))


def test_37_mixtral_expert_parameters():
    one = 3 * 4096 * 14336  # gate, up and down matrices of a SwiGLU expert
    assert_numbers(answer_of("37", 2), [one, one * 8 * 32, one * 2 * 32])


def test_37_expert_combinations():
    assert_numbers(answer_of("37", 3), [math.comb(16, 2), math.comb(64, 8)])


def test_37_balancing_term():
    f, p = np.array([0.7, 0.1, 0.1, 0.1]), np.array([0.6, 0.2, 0.1, 0.1])
    assert len(f) * float(np.full(4, 0.25) @ np.full(4, 0.25)) == 1  # the uniform case
    assert_numbers(answer_of("37", 4), [len(f) * float(f @ p)])


# --- 38 interpretability -----------------------------------------------------------------


def pentagon() -> np.ndarray:
    angles = np.deg2rad(72 * np.arange(5))
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (5, 2) unit vectors


def test_38_induction_head_copies_the_token_after_the_earlier_match():
    tokens = ["Mr", "Dursley", "was", "proud", "of", "his", "drills", ".",
              "Later", "that", "day", ",", "Mr"]
    current = len(tokens) - 1
    earlier = tokens.index(tokens[current])
    assert_choice(answer_of("38", 1), f"'{tokens[earlier + 1]}', attending to the position "
                                      f"right after the first '{tokens[current]}'")


def test_38_superposition_readings():
    w = pentagon()
    alone = np.maximum(0, w @ w[0])
    both = np.maximum(0, w @ (w[0] + w[2]))
    assert_numbers(answer_of("38", 2), [alone[1], alone[2], both[0], both[1]])


def test_38_sparse_dictionary_prefers_the_wrong_explanation():
    w = pentagon()
    h = w[0] + w[2]
    a = float(h @ w[1])
    np.testing.assert_allclose(a * w[1], h, atol=1e-12)  # h lies exactly along w_1
    assert_numbers(answer_of("38", 3), [a, 1 + 1, abs(a)])


# --- 39 retrieval-augmented generation ---------------------------------------------------


def test_39_chunks_and_prompt_tokens():
    size, overlap, length = 512, 64, 10_000
    starts = range(0, length, size - overlap)
    chunks = [s for s in starts if s == 0 or s + overlap < length]  # each adds new tokens
    assert chunks[-1] + size >= length and chunks[-2] + size < length
    assert_numbers(answer_of("39", 1), [len(chunks), 5 * size])


def test_39_ranking_by_cosine():
    q = np.array([0.6, 0.8])
    chunks = {"a": np.array([1.0, 0]), "b": np.array([0.0, 1]), "c": np.array([0.8, 0.6])}
    cosine = {k: float(v @ q / np.linalg.norm(v) / np.linalg.norm(q)) for k, v in chunks.items()}
    ranking = sorted(cosine, key=cosine.get, reverse=True)
    answer = answer_of("39", 2)
    assert answer.choices[answer.right].text == ", ".join(ranking)
    assert_choice(answer, ", ".join(ranking))


def test_39_reciprocal_rank_fusion():
    ranks = {"A": (1, 3), "B": (2, 1)}
    score = {doc: sum(1 / (60 + r) for r in rs) for doc, rs in ranks.items()}
    assert_choice(answer_of("39", 3), f"{max(score, key=score.get)} comes first")


# --- 40 multimodal -----------------------------------------------------------------------


def test_40_patch_tokens_and_patch_size():
    side = 224 // 14
    assert_numbers(answer_of("40", 1), [side * side, 14 * 14 * 3])


def test_40_vit_sequence_shape():
    patches = (224 // 16) ** 2
    assert_shape(answer_of("40", 2), (patches + 1, 768))


def test_40_siglip_pair_losses():
    def loss(s: float, z: int, t: float = 10, b: float = -10) -> float:
        return -math.log(1 / (1 + math.exp(-z * (t * s + b))))

    assert_numbers(answer_of("40", 3), [loss(0.9, 1), loss(0.4, -1)])


def test_40_clip_column_loss():
    column = np.array([0.1, 0.8, 0.4]) / 0.2
    assert_numbers(answer_of("40", 4), [-math.log(softmax(column)[1])])


def test_40_patch_projection_parameters():
    inputs = 16 * 16 * 3
    assert_numbers(answer_of("40", 5), [inputs * 768 + 768])


# --- 41 evaluation -----------------------------------------------------------------------


def test_41_perplexity():
    p = np.array([0.5, 0.25, 0.8, 0.1])
    assert_numbers(answer_of("41", 1), [math.exp(-np.log(p).mean())])


def test_41_margin_of_error():
    def margin(n: int, p: float = 0.7) -> float:
        return 100 * 1.96 * math.sqrt(p * (1 - p) / n)

    assert_numbers(answer_of("41", 2), [margin(100), margin(1000)])


def test_41_pass_at_k():
    n, c = 10, 3

    def unbiased(k: int) -> float:
        return 1 - math.comb(n - c, k) / math.comb(n, k)

    assert_numbers(answer_of("41", 3), [unbiased(1), unbiased(5), 1 - (1 - c / n) ** 5])


def test_41_perplexity_against_bits_per_character():
    nll, chars = 6.0, 24
    assert_numbers(answer_of("41", 4), [math.exp(nll / 4), math.exp(nll / 8),
                                        nll / math.log(2) / chars])
