"""Practice answers of Part 5 (modules 29–36): every number, shape and choice a lesson's
front matter grades against is recomputed here from the question's own definition (NumPy
and math, never the widget), and every Part 5 generator is drawn for 200 seeds and its
answer recomputed from the values it shows."""

import math

import numpy as np

from app.practice.gen_part5 import GENERATORS
from tests.lesson_support import softmax
from tests.practice_support import answer_of, assert_numbers, assert_shape, variants

GIB, MIB = 2**30, 2**20


def shown(variant) -> dict[str, str]:
    return dict(variant.given)


def numbers(text: str) -> np.ndarray:
    """``"[1, -0.5]"`` (as a variant shows a list) → array."""
    return np.array([float(t) for t in text.strip("[]").split(",")])


def integer(text: str) -> int:
    """``"4,096"`` → 4096."""
    return int(text.split()[0].replace(",", ""))


def kv_bytes(layers: int, kv_heads: int, head_dim: int, tokens: int, size: float) -> float:
    """Keys and values: two tensors of layers × kv_heads × head_dim numbers per token."""
    return 2 * layers * kv_heads * head_dim * tokens * size


# --- 29 decoding -------------------------------------------------------------------------

P29 = np.array([0.5, 0.3, 0.15, 0.05])


def nucleus_size(p: np.ndarray, top_p: float) -> int:
    running = np.cumsum(np.sort(p)[::-1])
    return int(np.flatnonzero(running >= top_p - 1e-12)[0]) + 1


def test_29_top_k_renormalizes_the_two_survivors():
    kept = np.sort(P29)[::-1][:2]
    assert_numbers(answer_of("29", 1), list(kept / kept.sum()))


def test_29_nucleus_sizes():
    assert_numbers(answer_of("29", 2), [nucleus_size(P29, 0.9), nucleus_size(P29, 0.5)])


def test_29_min_p_survivors_and_top_probability():
    second = np.array([0.9, 0.06, 0.03, 0.01])
    kept = P29[0.2 * P29.max() <= P29]
    assert_numbers(answer_of("29", 3), [kept.size, int((second >= 0.2 * second.max()).sum()),
                                        kept.max() / kept.sum()])


def test_29_nucleus_generator():
    for seed, v in variants(GENERATORS["nucleus-size"]):
        g = shown(v)
        logits, temperature, top_p = numbers(g["logits"]), float(g["T"]), float(g["p"])
        assert logits.size == 5 and np.all(np.abs(logits * 2 - np.round(logits * 2)) < 1e-9)
        assert np.unique(logits).size == 5 and logits.min() >= -2 and logits.max() <= 3
        assert temperature in (0.5, 1, 2) and top_p in (0.5, 0.6, 0.7, 0.8, 0.9), seed
        p = np.sort(softmax(logits / temperature))[::-1]
        n = nucleus_size(p, top_p)
        # no running total so close to p that honest rounding could flip the count
        assert np.all(np.abs(np.cumsum(p)[:-1] - top_p) > 0.019), seed
        assert_numbers(v.answer, [n, p[0] / p[:n].sum()])


# --- 30 KV cache -------------------------------------------------------------------------


def test_30_bytes_per_token_mha():
    assert_numbers(answer_of("30", 1), [kv_bytes(24, 16, 64, 1, 2)])


def test_30_qwen_per_token_and_native_context():
    per_token = kv_bytes(28, 4, 128, 1, 2)
    assert_numbers(answer_of("30", 2), [per_token, per_token * 32768 / GIB])


def test_30_positions_with_and_without_cache():
    without = sum(200 + i for i in range(50))
    with_cache = 200 + (50 - 1)  # prefill yields token 1; tokens 2..50 take one step each
    assert_numbers(answer_of("30", 3), [without, with_cache])


def test_30_conversations_that_fit():
    free = 80e9 - 13.5e9
    assert_numbers(answer_of("30", 4), [math.floor(free / kv_bytes(32, heads, 128, 4096, 2))
                                        for heads in (32, 8)])


DTYPE_SIZE = {"fp16": 2, "bf16": 2, "fp32": 4, "int8": 1}


def test_30_kv_cache_bytes_generator():
    for seed, v in variants(GENERATORS["kv-cache-bytes"]):
        g = shown(v)
        layers, heads, kv = integer(g["layers"]), integer(g["query heads"]), integer(g["KV heads"])
        head_dim, tokens = integer(g["head dimension"]), integer(g["cached tokens"])
        dtype = g["stored as"].split()[0]
        assert layers in (12, 16, 24, 32, 40, 48) and heads in (8, 16, 32), seed
        assert kv in (1, 2, 4, 8) and heads % kv == 0 and head_dim in (64, 128), seed
        assert tokens in (1024, 2048, 4096, 8192, 16384) and dtype in DTYPE_SIZE, seed
        assert f"({DTYPE_SIZE[dtype]} byte" in g["stored as"]
        assert_numbers(v.answer, [kv_bytes(layers, kv, head_dim, tokens, DTYPE_SIZE[dtype]) / MIB])


# --- 31 MQA and GQA ----------------------------------------------------------------------


def test_31_group_size_and_cache_factor():
    heads, kv = 32, 4
    mha, gqa = kv_bytes(32, heads, 128, 1, 2), kv_bytes(32, kv, 128, 1, 2)
    assert_numbers(answer_of("31", 1), [heads // kv, mha / gqa])


def test_31_smollm2_attention_parameters_saved():
    width, head_dim = 576, 64

    def attention(kv_heads: int) -> int:  # W_Q, W_K, W_V, W_O
        return width * 9 * head_dim + 2 * width * kv_heads * head_dim + 9 * head_dim * width

    saved = attention(9) - attention(3)
    assert_numbers(answer_of("31", 2), [saved, 30 * saved])


def test_31_deepseek_mla_against_mha():
    mla = 60 * (512 + 64) * 2
    mha = kv_bytes(60, 128, 128, 1, 2)
    groups = (512 + 64) / (2 * 128)  # 2 · G · 128 numbers per layer = 576
    assert_numbers(answer_of("31", 3), [mla, mha, groups])


def test_31_gqa_cache_generator():
    for seed, v in variants(GENERATORS["gqa-cache-gib"]):
        g = shown(v)
        layers, width = integer(g["layers"]), integer(g["model width"])
        heads, kv, tokens = integer(g["query heads"]), integer(g["KV heads"]), integer(
            g["cached tokens"])
        assert layers in (24, 32, 40, 48, 64, 80) and heads in (16, 32, 64), seed
        assert kv in (2, 4, 8) and tokens in (32768, 65536, 131072) and g["stored as"] == "fp16"
        head_dim = width // heads
        assert head_dim * heads == width
        assert_numbers(v.answer, [kv_bytes(layers, n, head_dim, tokens, 2) / GIB
                                  for n in (heads, kv)])


def test_31_shape_of_w_k():
    width, kv_heads, head_dim = 576, 3, 64
    assert_shape(answer_of("31", 6), (width, kv_heads * head_dim))


# --- 32 FlashAttention -------------------------------------------------------------------


def test_32_probability_matrix_size():
    one_head = 8192**2 * 2
    assert_numbers(answer_of("32", 1), [one_head / MIB, 32 * one_head / GIB])


def test_32_block_sizes_and_outer_steps():
    numbers_in_sram = 192 * 1024 // 2
    d, n = 64, 4096
    b_c = math.ceil(numbers_in_sram / (4 * d))
    assert_numbers(answer_of("32", 2), [b_c, min(b_c, d), math.ceil(n / b_c)])


def test_32_online_softmax_by_hand_matches_the_direct_sums():
    x, v = np.array([2.0, 4, 1]), np.array([1.0, 2, 3])
    weights = np.exp(x - x.max())  # what ℓ and o sum once everything is on the final max
    assert_numbers(answer_of("32", 3), [weights.sum(), weights @ v, softmax(x) @ v])


def test_32_online_softmax_generator():
    for seed, v in variants(GENERATORS["online-softmax-output"]):
        g = shown(v)
        x, values = numbers(g["scores"]), numbers(g["values"])
        assert x.size == values.size and x.size in (3, 4), seed
        assert np.all(x == np.round(x)) and x.min() >= -2 and x.max() <= 5, seed
        assert np.all(values == np.round(values)) and values.min() >= -3 and values.max() <= 9
        weights = np.exp(x - x.max())
        assert_numbers(v.answer, [x.max(), weights.sum(), weights @ values / weights.sum()])


def test_32_score_tile_shape():
    b_r, b_c = 64, 384  # one row per query of the tile, one column per key
    assert_shape(answer_of("32", 6), (b_r, b_c))


# --- 33 quantization ---------------------------------------------------------------------


def absmax(x: np.ndarray, bits: int) -> tuple[float, np.ndarray]:
    """(scale, integers) of symmetric quantization with one scale: s = max|x| / (2^(b−1) − 1)."""
    s = np.abs(x).max() / (2 ** (bits - 1) - 1)
    return float(s), np.round(x / s)


def test_33_int8_absmax_by_hand():
    s, q = absmax(np.array([0.5, -1.0, 0.25]), 8)
    assert_numbers(answer_of("33", 1), [s, *q])


def test_33_q4_1_bits_and_model_sizes():
    bits = (32 * 4 + 2 * 16) / 32
    weights = 7e9
    assert_numbers(answer_of("33", 2), [bits, weights * 2 / 1e9, weights / 1e9,
                                        weights * bits / 8 / 1e9])


def test_33_absmax_error_generator():
    for seed, v in variants(GENERATORS["absmax-max-error"]):
        g = shown(v)
        x, bits = numbers(g["numbers"]), int(g["bits"])
        assert x.size == 4 and bits in (3, 4) and np.unique(np.abs(x)).size == 4, seed
        s, q = absmax(x, bits)
        assert round(s, 9) in (0.1, 0.2, 0.5), seed  # round scales, promised by the question
        assert np.all(np.abs(np.abs(x / s) % 1 - 0.5) > 0.019), seed  # no tie to round
        assert_numbers(v.answer, [s, float(np.max(np.abs(q * s - x)))])


def test_33_outlier_crushes_its_group():
    x = np.array([0.12, -0.2, 0.15, 8.0])

    def zeros(groups) -> int:
        return sum(int(np.sum((absmax(g, 4)[1] == 0) & (g != 0))) for g in groups)

    assert_numbers(answer_of("33", 5), [zeros([x]), zeros([x[:2], x[2:]])])


# --- 34 serving --------------------------------------------------------------------------


def test_34_blocks_for_one_sequence():
    blocks = -(-1000 // 16)
    assert_numbers(answer_of("34", 1), [blocks, blocks * 16 - 1000])


def test_34_batched_step_time_and_throughput():
    bandwidth, weights, per_token = 2e12, 13.5e9, 512 * 1024
    step = (weights + 16 * 1000 * per_token) / bandwidth
    assert_numbers(answer_of("34", 2), [step * 1000, 16 / step])


def test_34_kv_cache_batch_generator():
    for seed, v in variants(GENERATORS["kv-cache-batch"]):
        g = shown(v)
        layers, heads, kv = integer(g["layers"]), integer(g["query heads"]), integer(g["KV heads"])
        head_dim, tokens = integer(g["head dimension"]), integer(g["tokens per sequence"])
        free = integer(g["free memory"])
        assert g["free memory"] == f"{free} GiB (fp16 cache)" and free in range(10, 61, 10)
        assert heads % kv == 0 and tokens in (2048, 4096, 8192, 16384), seed
        fit = math.floor(free * GIB / kv_bytes(layers, kv, head_dim, tokens, 2))
        assert fit >= 1, seed
        assert_numbers(v.answer, [fit])


def test_34_paged_blocks_for_three_requests():
    lengths = [100, 250, 37]
    blocks = [math.ceil(n / 16) for n in lengths]
    assert_numbers(answer_of("34", 5), [sum(blocks), 16 * sum(blocks) - sum(lengths)])


# --- 35 speculative decoding -------------------------------------------------------------


def tokens_per_pass(alpha: float, gamma: int) -> float:
    """Σ k · P(k): a round yields k ≤ γ tokens when draft k is the first rejected (its slot
    filled by the target's correction), γ + 1 when every draft is accepted."""
    probs = [alpha ** (k - 1) * (1 - alpha) for k in range(1, gamma + 1)] + [alpha**gamma]
    return sum(k * p for k, p in enumerate(probs, start=1))


def test_35_tokens_per_target_pass():
    assert_numbers(answer_of("35", 1), [tokens_per_pass(0.6, 4)])


def test_35_acceptance_probabilities_and_rate():
    p, q = np.array([0.6, 0.3, 0.1]), np.array([0.3, 0.5, 0.2])
    accept = np.minimum(1, p / q)
    residual = np.maximum(0, p - q) / np.maximum(0, p - q).sum()
    alpha = float(q @ accept)
    np.testing.assert_allclose(q * accept + (1 - alpha) * residual, p)  # the solution's claim
    assert_numbers(answer_of("35", 2), [*accept, alpha])


def test_35_best_draft_length():
    gains = {g: tokens_per_pass(0.8, g) / (g * 0.2 + 1) for g in range(1, 9)}
    best = max(gains, key=gains.get)
    assert_numbers(answer_of("35", 3), [best, gains[best]])


def test_35_speculative_generator():
    for seed, v in variants(GENERATORS["speculative-speedup"]):
        g = shown(v)
        alpha, gamma, cost = float(g["α"]), int(g["γ"]), float(g["c"])
        assert alpha in (0.5, 0.6, 0.7, 0.8, 0.9) and 2 <= gamma <= 6, seed
        assert cost in (0.05, 0.1, 0.2), seed
        tokens = tokens_per_pass(alpha, gamma)
        assert_numbers(v.answer, [tokens, tokens / (gamma * cost + 1)])


# --- 36 long context ---------------------------------------------------------------------


def window_pairs(n: int, w: int) -> int:
    """Count (query i, key j) with j ≤ i and i − j < w, by brute force."""
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return int(np.sum((j <= i) & (i - j < w)))


def test_36_stacked_window_reach():
    assert_numbers(answer_of("36", 1), [32 * (4096 - 1)])


def test_36_full_and_window_pairs():
    n, w = 4096, 512
    full = n * (n + 1) // 2
    window = sum(min(i + 1, w) for i in range(n))
    assert sum(min(i + 1, 8) for i in range(64)) == window_pairs(64, 8)  # the sum is right
    assert_numbers(answer_of("36", 2), [full, window, full / window])


def test_36_position_interpolation_angles():
    theta = 10000 ** (-62 / 64)  # the slowest of the 32 pairs of a 64-dim head
    scale = 2048 / 8192
    assert_numbers(answer_of("36", 3), [scale, 8191 * scale * theta, 8191 * theta])


def test_36_sliding_window_generator():
    for seed, v in variants(GENERATORS["sliding-window-pairs"]):
        n, w = int(shown(v)["n"]), int(shown(v)["w"])
        assert n in (16, 20, 24, 32, 40, 48, 64) and 3 <= w <= 8, seed
        assert_numbers(v.answer, [window_pairs(n, n), window_pairs(n, w)])
