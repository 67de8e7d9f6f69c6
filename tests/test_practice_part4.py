"""Practice answers of Part 4 (modules 22–28), each checked against a computation written
here from the question's definition."""

import math

import numpy as np
import pytest

from app.content.answers import SelfAnswer
from tests.practice_support import (
    answer_of,
    assert_choice,
    check_numbers,
)

GB = 1e9
LLAMA2_7B = 6_738_415_616
SMOLLM2 = 134_515_008


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


@pytest.mark.parametrize("module, number", [("25", 3), ("26", 2)])
def test_explanations_are_self_graded(module, number):
    assert isinstance(answer_of(module, number), SelfAnswer)


# --- Module 22 -----------------------------------------------------------------------------

def test_22_characters_and_bytes():
    characters = 15e12 * 4.49
    check_numbers("22", 1, [characters, characters * 1])  # ASCII: one byte per character


def test_22_jaccard_of_word_trigrams():
    def trigrams(sentence: str) -> set[tuple[str, ...]]:
        words = sentence.split()
        return {tuple(words[i:i + 3]) for i in range(len(words) - 2)}

    a = trigrams("the cat sat on the mat today")
    b = trigrams("a dog slept on the mat today")
    jaccard = len(a & b) / len(a | b)
    assert jaccard < 0.8  # the filter keeps both
    check_numbers("22", 2, [jaccard])


def test_22_wikipedia_epochs():
    check_numbers("22", 3, [0.03 * 300e9 / 3e9])


def test_22_minhash_standard_deviation():
    def sd(j, k):
        return math.sqrt(j * (1 - j) / k)

    base = sd(0.25, 128)
    halving = next(k for k in range(128, 10_000) if sd(0.25, k) <= base / 2 + 1e-15)
    check_numbers("22", 4, [base, halving])


def trigram_jaccard(first: str, second: str) -> float:
    def trigrams(sentence: str) -> set[tuple[str, ...]]:
        words = sentence.split()
        return {tuple(words[i:i + 3]) for i in range(len(words) - 2)}

    a, b = trigrams(first), trigrams(second)
    return len(a & b) / len(a | b)


def test_22_which_pair_a_near_duplicate_filter_flags():
    short, long = "the cat sat on the mat today", ("we walked along the quiet river in the "
                                                   "early morning light today")
    pairs = {  # how each option names its pair -> the two texts
        "'the cat sat on the mat today' and the same sentence ending in 'yesterday'":
            (short, short.replace("today", "yesterday")),
        f"'{long}' and the same sentence ending in 'yesterday'":
            (long, long.replace("today", "yesterday")),
        f"'{long}' and the same sentence with 'calm' for 'quiet'":
            (long, long.replace("quiet", "calm")),
        "'the cat sat on the mat today' and 'the mat sat on the cat today'":
            (short, "the mat sat on the cat today"),
    }
    flagged = [name for name, pair in pairs.items() if trigram_jaccard(*pair) >= 0.8]
    assert len(flagged) == 1
    answer = answer_of("22", 5)
    assert [c.text for c in answer.choices] == list(pairs)
    assert_choice(answer, flagged[0])


# --- Module 23 -----------------------------------------------------------------------------

def test_23_clip_to_norm_one():
    g = np.array([6.0, 8.0])
    check_numbers("23", 1, list(g * min(1.0, 1.0 / np.linalg.norm(g))))


def test_23_cosine_halfway():
    peak, floor, warmup, total, t = 6e-4, 6e-5, 2000, 100_000, 51_000
    progress = (t - warmup) / (total - warmup)
    check_numbers("23", 2, [floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * progress))])


def test_23_adam_on_alternating_gradients():
    b1, b2, m, v, ratios = 0.9, 0.95, 0.0, 0.0, []
    for t, g in enumerate([0.5, -0.5, 0.5], start=1):
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        ratios.append((m / (1 - b1**t)) / math.sqrt(v / (1 - b2**t)))
    check_numbers("23", 3, ratios)


def test_23_decoupled_weight_decay():
    eta, lam = 3e-4, 0.1
    check_numbers("23", 4, [eta * lam, (1 - eta * lam) ** 10_000])


def test_23_second_moment_half_life():
    def half_life(beta2):
        return math.log(0.5) / math.log(beta2)

    steps = 1
    while 0.95**steps > 0.5:
        steps += 1
    assert abs(half_life(0.95) - steps) < 1  # the formula matches a step-by-step count
    assert_choice(answer_of("23", 5), f"About {half_life(0.95):.0f} steps with 0.95, "
                                      f"against about {round(half_life(0.999), -1):.0f} "
                                      "with 0.999")


# --- Module 24 -----------------------------------------------------------------------------

def test_24_gpt3_training_flops():
    check_numbers("24", 1, [6 * 175e9 * 300e9])


def test_24_twenty_tokens_per_parameter():
    n = math.sqrt(1e24 / (6 * 20))
    check_numbers("24", 2, [n, 20 * n])


def test_24_compute_optimal_exponent():
    alpha, beta = 0.34, 0.28
    # Numerically: the N minimizing the fit at budgets C and 10C moves by 10^exponent.
    def n_opt(c):
        ns = np.logspace(8, 13, 20001)
        loss = 406.4 / ns**alpha + 410.7 / (c / (6 * ns)) ** beta
        return ns[np.argmin(loss)]

    slope = math.log10(n_opt(1e25) / n_opt(1e23)) / 2
    assert abs(slope - beta / (alpha + beta)) < 0.001
    check_numbers("24", 3, [beta / (alpha + beta)])


def test_24_chinchilla_fit_for_a_7b_model():
    n, d = 7e9, 140e9
    model, data = 406.4 / n**0.34, 410.7 / d**0.28
    check_numbers("24", 4, [model, data, 1.69 + model + data])


def test_24_best_size_at_chinchillas_budget():
    budget = 5.88e23

    def loss(n):
        return 1.69 + 406.4 / n**0.34 + 410.7 / (budget / (6 * n)) ** 0.28

    sizes = [5e9, 40e9, 150e9, 400e9]
    best = min(sizes, key=loss)
    tokens = budget / (6 * best)
    assert_choice(answer_of("24", 5), f"{best / 1e9:.0f} billion parameters on "
                                      f"{tokens / 1e12:.3g} trillion tokens")


# --- Module 25 -----------------------------------------------------------------------------

def test_25_smollm2_model_state():
    check_numbers("25", 1, [16 * SMOLLM2 / GB, 2 * SMOLLM2 / GB])


def test_25_zero_stages_on_eight_gpus():
    weights, grads, optimizer, gpus = 2, 2, 12, 8
    per_param = [weights + grads + optimizer,
                 weights + grads + optimizer / gpus,
                 weights + (grads + optimizer) / gpus,
                 (weights + grads + optimizer) / gpus]
    check_numbers("25", 2, [b * LLAMA2_7B / GB for b in per_param])


def test_25_activations_of_smollm2():
    s, b, h, a, layers = 2048, 1, 576, 9, 30
    check_numbers("25", 4, [s * b * h * (34 + 5 * a * s / h) * layers / GB,
                            s * b * h * (5 * a * s / h) * layers / GB])


def test_25_mixed_precision_keeps_sixteen_bytes():
    fp32 = {"weights": 4, "gradients": 4, "adam m": 4, "adam v": 4}
    mixed = {"weights": 2, "gradients": 2, "master copy": 4, "adam m": 4, "adam v": 4}
    assert sum(fp32.values()) == sum(mixed.values())
    assert_choice(answer_of("25", 5), f"{sum(mixed.values())} bytes, the same as before")


# --- Module 26 -----------------------------------------------------------------------------

def test_26_masked_positions():
    prompt, response = 37, 8
    predicted = range(1, prompt + response)  # token i is predicted from tokens before it
    check_numbers("26", 1, [sum(i >= prompt for i in predicted), len(predicted)])


def test_26_fine_tuning_compute():
    tokens = 10_000 * 500 * 3
    check_numbers("26", 3, [6 * 7e9 * tokens, 100 * tokens / 2e12])


def test_26_prompt_loss_from_the_table():
    losses = [1.88, 0.02, 0.01, 0.01, 0.04, 0.05, 0.57, 0.26]
    assert round(np.mean(losses), 2) in (0.35, 0.36)  # the lesson's 0.35 (mean 0.355)
    check_numbers("26", 4, [sum(losses), (44 * 3.60 - sum(losses)) / 36])


# --- Module 27 -----------------------------------------------------------------------------

def test_27_bradley_terry():
    p = sigmoid(0.5 - 2.5)
    check_numbers("27", 1, [p, -math.log(p)])


def test_27_pairs_from_a_ranking():
    def pairs(k):
        return sum(1 for i in range(k) for j in range(k) if i < j)

    check_numbers("27", 2, [pairs(4), pairs(9)])


def test_27_dpo_loss_and_weight():
    check_numbers("27", 3, [-math.log(sigmoid(0)), sigmoid(0), -math.log(sigmoid(0.7)),
                            sigmoid(-0.7)])


def test_27_dpo_margin_from_log_probabilities():
    beta = 0.1
    margin = beta * ((-20 - -22) - (-25 - -21))
    check_numbers("27", 4, [margin, -math.log(sigmoid(margin)), sigmoid(-margin)])


def test_27_largest_dpo_weight():
    beta = 0.1
    pairs = [(1, -1), (0, 0), (-2, 3), (10, -10)]  # the options' (preferred, rejected)
    weights = [sigmoid(-beta * (w - lose)) for w, lose in pairs]
    w, lose = pairs[int(np.argmax(weights))]
    assert_choice(answer_of("27", 5), f"log-ratios ${w:+d}$ for the preferred answer and "
                                      f"${lose:+d}$ for the rejected one")


# --- Module 28 -----------------------------------------------------------------------------

def test_28_rank4_adapter_on_a_square_matrix():
    r, d = 4, 4096
    a, b = np.zeros((r, d)), np.zeros((d, r))
    check_numbers("28", 1, [a.size + b.size, 100 * (a.size + b.size) / d**2])


def test_28_smollm2_query_value_adapter():
    r, layers = 8, 30
    per_layer = r * (576 + 576) + r * (576 + 192)
    check_numbers("28", 2, [layers * per_layer, 100 * layers * per_layer / SMOLLM2])


def test_28_double_quantization():
    before, after = 32 / 64, 8 / 64 + 32 / (64 * 256)
    check_numbers("28", 3, [after, 65e9 * (before - after) / 8 / GB])


def test_28_rank1_update_by_hand():
    a = np.array([1.0, 0.0, -1.0, 2.0])  # a row
    b = np.array([0.5, 0.0, 0.0, -0.5])  # a column
    x = np.array([2.0, 0.0, 1.0, -1.0])
    delta = np.outer(b, a) @ x  # ΔW x, formed in full to check the shortcut B(Ax)
    assert np.allclose(delta, b * (a @ x))
    check_numbers("28", 4, [a @ x, delta[0], delta[-1]])


def test_28_which_adapter_trains_most():
    d, ff = 4096, 11_008
    options = {"Rank 16 on $W_Q$": 16 * (d + d),
               "Rank 8 on the up projection": 8 * (d + ff),
               "Rank 4 on the gate, up and down projections": 3 * 4 * (d + ff),
               "Rank 64 on a $576 \\times 576$ matrix": 64 * (576 + 576)}
    assert_choice(answer_of("28", 5), max(options, key=options.get))
