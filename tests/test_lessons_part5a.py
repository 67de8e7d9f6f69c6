"""Modules 29–32, interactive rewrite: the numbers the text quotes beside its inline widgets
and checkpoints, recomputed independently (NumPy, plain arithmetic, or the model itself).

Complements tests/test_lessons_part5_6.py (worked examples and practice solutions).
"""

import math

import numpy as np

from tests.lesson_text import assert_states as assert_in

GIB, MIB, KIB = 2**30, 2**20, 2**10


def softmax(z) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


def kv_bytes(layers, kv_heads, head_dim, seq, batch=1, bytes_per=2) -> int:
    return 2 * layers * kv_heads * head_dim * seq * batch * bytes_per


# ---- 29 Decoding ---------------------------------------------------------------------------

Z29 = np.array([3.0, 2.2, 1.8, 1.5, 0.4, -1.0])
NAMES29 = ["mat", "floor", "sofa", "bed", "roof", "moon"]


def inverse_cdf_draw(p: np.ndarray, seed: int) -> tuple[float, str]:
    """A seeded inverse-CDF draw over tokens in rank order (the explorer's rule)."""
    u = float(np.random.default_rng(seed).random())
    running = np.cumsum(p)
    return u, NAMES29[min(int(np.searchsorted(running, u, side="right")), len(p) - 1)]


def test_29_puzzle_and_seeded_draws():
    p = softmax(Z29)
    assert p[0] < 0.5
    assert_in("29", f"{p[0]:.4f}: the single most likely", f"hold {1 - p[0]:.4f}")
    u, tok = inverse_cdf_draw(p, 0)
    assert tok == "floor"
    assert_in("29", f"uniform number is {u:.3f}", f"past mat's {p[0]:.3f}")
    assert inverse_cdf_draw(p, 10)[1] == "roof"
    assert_in("29", f"*roof*, a token with probability {p[4]:.3f}")
    first_moon = next(s for s in range(10_000) if inverse_cdf_draw(p, s)[1] == "moon")
    assert first_moon == 82
    assert_in("29", "setup:seed=82", f"at probability {p[5]:.4f}")


def test_29_temperature_numbers():
    p1, p_half, p_cold, p_hot = (softmax(Z29 / t) for t in (1, 0.5, 0.1, 5))
    assert p_half[5] < p1[5] / 10
    assert_in("29", f"falls to {p_half[5]:.4f}, about {round(p1[5] / p_half[5])} times smaller",
              "from 4 to 8")
    entropy = -(p1 * np.log2(p1)).sum()
    assert_in("29", f"with an entropy of {entropy:.2f} bits")
    assert_in("29", f"At 0.1 mat takes {p_cold[0]:.4f}",
              f"run from {p_hot[0]:.3f} to {p_hot[5]:.3f}")


def test_29_min_p():
    for temp, survivors in ((1, 4), (0.5, 2), (1.5, 5)):
        p = softmax(Z29 / temp)
        keep = p >= 0.1 * p.max()
        assert keep.sum() == survivors and keep[:survivors].all()
    p1, p_half, p_hot = softmax(Z29), softmax(Z29 / 0.5), softmax(Z29 / 1.5)
    assert_in("29", f"$0.1 \\times {p1[0]:.4f} = {0.1 * p1[0]:.4f}$",
              f"bed ({p1[3]:.4f}) survive and roof ({p1[4]:.4f})",
              f"mat has {p_half[0]:.4f}, the threshold rises to {0.1 * p_half[0]:.4f}",
              f"threshold falls to {0.1 * p_hot[0]:.4f} and roof ({p_hot[4]:.4f})")
    # practice: min-p 0.2
    q = np.array([0.5, 0.3, 0.15, 0.05])
    kept = q[q >= 0.2 * q.max()]
    assert len(kept) == 3
    assert_in("29", *(f"{x}/0.95 ≈ {x / kept.sum():.3f}" for x in (0.5, 0.3, 0.15)))
    r = np.array([0.9, 0.06, 0.03, 0.01])
    assert (r >= 0.2 * r.max()).sum() == 1
    # top-p at T = 0.5 keeps three tokens instead of four
    for temp, n in ((1, 4), (0.5, 3)):
        assert int(np.searchsorted(np.cumsum(softmax(Z29 / temp)), 0.9)) + 1 == n


def test_29_smollm2_nucleus():
    from app.engine.smollm2 import load_smollm2

    model = load_smollm2()

    def dist(prompt):
        return softmax(model.next_logits(model.encode(prompt)))

    france, favorite = dist("The capital of France is"), dist("My favorite thing about")
    sf, sv = np.sort(france)[::-1], np.sort(favorite)[::-1]
    nucleus = [int(np.argmax(np.cumsum(s) >= 0.9)) + 1 for s in (sf, sv)]
    assert nucleus == [10, 1950]
    assert model.token_text(int(np.argmax(france))) == " Paris"
    assert model.token_text(int(np.argmax(favorite))) == " the"
    assert_in("29", f'" Paris" {sf[0]:.4f}', "a nucleus of 10 tokens",
              f"{nucleus[1]:,} tokens are needed", f'" the\\", has only {sv[0]:.4f}',
              f"held only {sv[:10].sum():.4f}", f"against {sf[:10].sum():.4f}")
    assert len(favorite) == 49_152


def test_29_greedy_loop():
    from app.engine import Models
    from app.widgets import generate

    result = generate.compute(generate.Params(prompt="The best way to learn is", max_tokens=40,
                                              temperature=0), Models())
    assert result.text.count("the basics") == 3
    assert_in("29", "says \"the basics\" three times",
              "to start with the basics. The first thing to do is to understand the basics.")
    sampled = generate.compute(generate.Params(
        prompt="The best way to learn is", max_tokens=40, temperature=0.8, top_k=0, top_p=0.9,
        seed=1), Models())
    assert sampled.text.lower().count("when you read, you get to") == 3
    assert_in("29", "setup:temperature=0.8&top_k=0&top_p=0.9&seed=1")


# ---- 30 The KV cache -----------------------------------------------------------------------

def attend(q, keys, values, scaled=True):
    q, keys, values = (np.asarray(a, dtype=np.float64) for a in (q, keys, values))
    w = softmax(keys @ q / (math.sqrt(q.size) if scaled else 1))
    return w, w @ values


def test_30_decode_step_widget_numbers():
    # the explorer lists the new key first: k3, then the cached k1, k2
    w, out = attend([2, 1], [[1, 1], [1, 0], [0, 1]], [[5, 6], [1, 2], [3, 4]])
    assert_in("30", f"weight of the new token is {w[0]:.3f}", f"$[{out[0]:.3f}, {out[1]:.3f}]$")
    w_raw, _ = attend([2, 1], [[1, 1], [1, 0], [0, 1]], [[5, 6], [1, 2], [3, 4]], scaled=False)
    assert_in("30", f"rises from {w[0]:.3f} to {w_raw[0]:.3f}")
    w2, _ = attend([2, 1], [[1, 1], [2, 1], [0, 1]], [[5, 6], [1, 2], [3, 4]])
    assert_in("30", f"takes {w2[1]:.3f} of the weight and the new one only {w2[0]:.3f}")
    # the checkpoint: attending before appending k3, v3
    w3, out3 = attend([2, 1], [[1, 0], [0, 1]], [[1, 2], [3, 4]])
    assert out3[0] < 2
    assert_in("30", f"weights {w3[0]:.3f} and {w3[1]:.3f}: output $[{out3[0]:.3f}, {out3[1]:.3f}]$")


def test_30_memory_rows_and_checkpoint():
    assert kv_bytes(32, 8, 128, 1) == 131_072 and kv_bytes(32, 8, 128, 8192) / GIB == 1
    assert kv_bytes(28, 4, 128, 1) == 57_344 and kv_bytes(28, 4, 128, 32_768) / GIB == 1.75
    assert_in("30", "131,072 bytes = 128 KiB | 8,192 tokens: 1 GiB",
              "57,344 bytes = 56 KiB | 32,768 tokens: 1.75 GiB")
    assert kv_bytes(28, 4, 128, 32_768) == 1_879_048_192
    assert kv_bytes(28, 28, 128, 1) / KIB == 392 and kv_bytes(28, 28, 128, 32_768) / GIB == 12.25
    assert_in("30", "57,344 bytes = 56 KiB per token", "1,879,048,192 bytes = 1.75 GiB",
              "392 KiB per token and 12.25 GiB")
    # native window 32,768; 131,072 with YaRN (model card)
    assert kv_bytes(28, 4, 128, 131_072) / GIB == 7 == 4 * 1.75
    assert_in("30", "native 32,768-token context", "7 GiB, at the 131,072 tokens",
              "gives 131,072, which needs 7 GiB")
    batch8 = kv_bytes(32, 32, 128, 4096, batch=8)
    assert batch8 > 13.5e9 and round(batch8 / 1e9, 1) == 17.2
    assert_in("30", "about 17.2 × 10⁹ bytes", "> 13500000000")
    assert kv_bytes(32, 32, 128, 1) == 4 * kv_bytes(32, 8, 128, 1)  # "a quarter of that"


def test_30_decode_is_memory_bound():
    flops_per_byte_needed = 312e12 / 2e12
    assert 150 <= flops_per_byte_needed < 160
    decode = 2 / 2  # 2 FLOPs per parameter, 2 bytes per fp16 parameter
    assert 1 - decode / flops_per_byte_needed > 0.99
    assert_in("30", "312 TFLOP/s", "about 2 TB/s", "roughly 150 floating-point operations",
              "more than 99% idle")


# ---- 31 MQA, GQA and MLA -------------------------------------------------------------------

def test_31_checkpoint_and_llama31():
    assert kv_bytes(32, 8, 128, 131_072) / GIB == 16 == 64 * 8 / 32
    assert_in("31", "64 GiB × 8/32 = 16 GiB")
    assert kv_bytes(80, 8, 128, 131_072) / GIB == 40 and kv_bytes(80, 64, 128, 131_072) / GIB == 320
    assert [round(kv_bytes(30, h, 64, 8192) / GIB, 3) for h in (9, 3, 1)] == [0.527, 0.176, 0.059]
    assert_in("31", "(0.527, 0.176 and 0.059 GiB)")
    # contiguous groups: 1-based query head h reads KV head ceil(h / 3)
    assert [math.ceil(h / 3) for h in range(1, 10)] == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert (7 - 1) % 3 == 0  # the interleaved mapping would send head 7 to the first KV head


def test_31_mla_numbers():
    layers, heads, d_h, d_c, d_rope = 60, 128, 128, 512, 64
    mla = layers * (d_c + d_rope) * 2
    mha = 2 * layers * heads * d_h * 2
    assert (mla, mla / KIB, mha, mha / MIB) == (69_120, 67.5, 3_932_160, 3.75)
    assert round(mha / mla) == 57 and (d_c + d_rope) / (2 * d_h) == 2.25
    assert mla * 131_072 / GIB == 8.4375 and mha * 131_072 / GIB == 480
    assert_in("31", "= 69{,}120$ bytes (67.5 KiB)", "= 3{,}932{,}160$ bytes (3.75 MiB)",
              "about 57 times more", "8.4375 GiB for MLA against 480 GiB",
              "GQA with 2.25 groups", "69,120 bytes (67.5 KiB)", "3,932,160 bytes (3.75 MiB)")
    # the calculator's MLA setting, loaded by the lesson's set-up link, gives the same figures
    from app.widgets import registry

    spec = registry()["kv-cache"]
    link = "setup:#bill?layers=60&d_model=16384&heads=128&kv_heads=128&latent_dim=576&dtype=bf16"
    assert_in("31", link, f"{mla:,} bytes per token")
    result = spec.run(spec.parse(dict(layers=60, d_model=16_384, heads=128, kv_heads=128,
                                      latent_dim=d_c + d_rope, dtype="bf16", seq_len=131_072)))
    assert result.per_token_bytes == mla and result.gib == 8.4375
    assert result.variants["mha"].gib == 480 and d_h == 16_384 // 128


def test_31_heads_within_a_group_are_more_alike():
    from app.engine.smollm2 import load_smollm2
    from app.widgets._smollm2 import prompt_ids

    model = load_smollm2()
    _, trace = model.traced(prompt_ids(model, "The cat sat on the mat because the cat was tired"))
    att = np.asarray(trace.attention, dtype=np.float64)  # (layers, heads, n, n)

    def distance(a, b):  # mean total-variation distance between rows
        return np.abs(a - b).sum(-1).mean() / 2

    more_alike = 0
    for layer in att:
        same = [distance(layer[i], layer[j]) for i in range(9) for j in range(i + 1, 9)
                if i // 3 == j // 3]
        other = [distance(layer[i], layer[j]) for i in range(9) for j in range(i + 1, 9)
                 if i // 3 != j // 3]
        more_alike += np.mean(same) < np.mean(other)
    assert (att.shape[0], more_alike) == (30, 26)
    assert_in("31", "in 26 of the 30 layers")


# ---- 32 FlashAttention ---------------------------------------------------------------------

def hbm_traffic(n, d, sram_kib):
    """Bytes one head moves through HBM in fp16 (Dao et al. 2022): Algorithm 0 reads Q, K, V,
    writes and reads S and P, writes O; Algorithm 1 reads K, V once and, on each of the T_c
    outer steps, reads Q and O, writes O, and reads and writes ℓ and m."""
    m = sram_kib * 1024 // 2
    b_c = math.ceil(m / (4 * d))
    t_c = math.ceil(n / b_c)
    standard = (4 * n * d + 4 * n * n) * 2
    flash = (2 * n * d + t_c * (3 * n * d + 4 * n)) * 2
    return b_c, min(b_c, d), t_c, standard, flash


def test_32_traffic_numbers():
    b_c, b_r, t_c, standard, flash = hbm_traffic(4096, 64, 192)
    assert (b_c, b_r, t_c) == (384, 64, 11)
    assert (standard, flash) == (136_314_880, 18_710_528)
    assert_in("32", "136,314,880 bytes", "18,710,528", f"{standard / flash:.1f} times less")
    assert_in("32", "$B_c = 384$ and $B_r = 64$", "is $(64, 384)$", "98,304 fp16 numbers")
    assert_in("32", "\\lceil 98{,}304 / 256 \\rceil = 384", "= 11$ times", "24,576 numbers")
    assert 64 * 384 == 24_576 and 24_576 * 4 == 98_304
    ratios = {}
    for d, kib in ((64, 192), (128, 192), (128, 228), (64, 228)):
        *_, s, f_ = hbm_traffic(4096, d, kib)
        ratios[d, kib] = s / f_
    assert [f"{ratios[k]:.1f}" for k in ((64, 192), (128, 192), (128, 228), (64, 228))] == \
        ["7.3", "1.9", "2.3", "8.8"]
    assert_in("32", "from 7.3× to 1.9×",
              "228 KiB of SRAM](setup:#traffic?head_dim=128&sram_kib=228): 2.3×",
              "8.8×", "falls from 7.3 to 1.9")
    assert hbm_traffic(4096, 128, 192)[:3] == (192, 128, 22)
    assert_in("32", "192 rows instead of 384", "22 times instead of 11")


def test_32_stepper_checkpoints():
    def rescales(scores):
        m, count = -math.inf, 0
        for i, x in enumerate(scores):
            if i and x > m:
                count += 1
            m = max(m, x)
        return count

    assert [rescales(s) for s in ([1, 3, 2, 5], [5, 3, 2, 1], [1, 2, 3, 5])] == [2, 0, 3]
    assert_in("32", "Largest first never rescales, largest last rescales three times",
              f"$c = e^{{-2}} = {math.exp(-2):.4f}$")
    x, v = np.array([1.0, 3, 2, 5]), np.array([10.0, 20, 30, 40])
    assert_in("32", f"both give {softmax(x) @ v:.4f}")


def test_32_blackwell_row_and_flashattention4():
    # B200 (NVIDIA datasheets): 180 GB HBM3e, about 8 TB/s, 148 SMs, 228 KB shared memory per SM
    assert_in("32", "| B200 (2024) | 180 GB | about 8 TB/s | up to 228 KB per streaming "
              "multiprocessor, 148 of them |", "H100, H200 and B200 rows")
    # FlashAttention-4 (Zadouri et al. 2026, arXiv 2603.05451): 1,613 TFLOP/s BF16 on a B200,
    # 71% of the 2.25 PFLOP/s dense BF16 peak; up to 1.3x cuDNN 9.13
    assert 0.71 <= 1613 / 2250 < 0.72
    assert_in("32", "Zadouri et al. 2026", '"2603.05451"', "about 1,600 TFLOP/s in BF16 on a B200, "
              "71% of its peak", "up to 1.3 times the speed of NVIDIA's cuDNN")
    # a stale (smaller) running maximum leaves o / l unchanged: both carry the same factor
    x, v = np.array([1.0, 3, 2, 5]), np.array([10.0, 20, 30, 40])
    stale = np.exp(x - 3.0)  # keeps the maximum 3 after 5 arrives
    assert math.isclose(stale @ v / stale.sum(), softmax(x) @ v)
