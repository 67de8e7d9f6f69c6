"""Modules 29–32, interactive rewrite: the numbers the text quotes beside its inline widgets
and checkpoints, recomputed independently (NumPy, plain arithmetic, or the model itself).

Complements tests/test_lessons_part5_6.py (worked examples and practice solutions).
"""

import math

import numpy as np

from tests.lesson_support import kv_bytes, models, softmax, widget
from tests.lesson_text import assert_states

GIB, MIB, KIB = 2**30, 2**20, 2**10


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
    assert_states("29", f"{p[0]:.4f}: the single most likely", f"hold {1 - p[0]:.4f}")
    u, tok = inverse_cdf_draw(p, 0)
    assert tok == "floor"
    assert_states("29", f"uniform number is {u:.3f}", f"past mat's {p[0]:.3f}")
    assert inverse_cdf_draw(p, 10)[1] == "roof"
    assert_states("29", f"*roof*, a token with probability {p[4]:.3f}")
    first_moon = next(s for s in range(10_000) if inverse_cdf_draw(p, s)[1] == "moon")
    assert_states("29", f"setup:seed={first_moon}", f"at probability {p[5]:.4f}")


def test_29_temperature_numbers():
    p1, p_half, p_cold, p_hot = (softmax(Z29 / t) for t in (1, 0.5, 0.1, 5))
    assert p_half[5] < p1[5] / 10
    assert_states("29", f"falls to {p_half[5]:.4f}, about {round(p1[5] / p_half[5])} times smaller",
                  f"from {Z29[0] - Z29[5]:g} to {(Z29[0] - Z29[5]) / 0.5:g}")
    entropy = -(p1 * np.log2(p1)).sum()
    assert_states("29", f"with an entropy of {entropy:.2f} bits")
    assert_states("29", f"At 0.1 mat takes {p_cold[0]:.4f}",
                  f"run from {p_hot[0]:.3f} to {p_hot[5]:.3f}")


def test_29_min_p():
    for temp, survivors in ((1, 4), (0.5, 2), (1.5, 5)):
        p = softmax(Z29 / temp)
        keep = p >= 0.1 * p.max()
        assert keep.sum() == survivors and keep[:survivors].all()
    p1, p_half, p_hot = softmax(Z29), softmax(Z29 / 0.5), softmax(Z29 / 1.5)
    assert_states("29", f"$0.1 \\times {p1[0]:.4f} = {0.1 * p1[0]:.4f}$",
                  f"bed ({p1[3]:.4f}) survive and roof ({p1[4]:.4f})",
                  f"mat has {p_half[0]:.4f}, the threshold rises to {0.1 * p_half[0]:.4f}",
                  f"threshold falls to {0.1 * p_hot[0]:.4f} and roof ({p_hot[4]:.4f})")
    # practice: min-p 0.2
    q = np.array([0.5, 0.3, 0.15, 0.05])
    kept = q[q >= 0.2 * q.max()]
    assert len(kept) == 3
    assert_states("29", *(f"{x}/0.95 ≈ {x / kept.sum():.3f}" for x in (0.5, 0.3, 0.15)))
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
    assert model.token_text(int(np.argmax(france))) == " Paris"
    assert model.token_text(int(np.argmax(favorite))) == " the"
    assert_states("29", f'" Paris" {sf[0]:.4f}', f"a nucleus of {nucleus[0]} tokens",
                  f"{nucleus[1]:,} tokens are needed", f'" the\\", has only {sv[0]:.4f}',
                  f"held only {sv[:10].sum():.4f}", f"against {sf[:10].sum():.4f}")
    assert len(favorite) == 49_152


def run_text(**params) -> str:
    """A whole generate run straight from the engine: runs longer than one request may
    compute (20 tokens) stream on the page, and give these same tokens."""
    from app.widgets import generate

    model = models().smollm2()
    steps = generate.steps(generate.Params(**params), model)
    return model.detokenize([s.token.id for s in steps])


def test_29_greedy_loop():
    prompt = "The best way to learn is"
    greedy = widget("generate", prompt=prompt, max_tokens=20, temperature=0)["text"]
    assert greedy.count("the basics") == 2
    assert_states("29", "Within 20 tokens the continuation says \"the basics\" twice",
                  "to start with the basics. The first thing to do is to understand the basics.")
    assert run_text(prompt=prompt, max_tokens=64, temperature=0).count("the basics") > 2
    assert_states("29", "[Generate 64 tokens greedily](setup:max_tokens=64&live=true)")
    sampling = dict(temperature=0.8, top_k=0, top_p=0.9, seed=1, max_tokens=64)
    sampled = run_text(prompt=prompt, **sampling)
    assert sampled.lower().count("when you read, you get to") == 5
    assert_states("29", "in 64 tokens it says \"When you read, you get to…\" five times",
                  "setup:" + "&".join(f"{k}={v}" for k, v in sampling.items()) + "&live=true")


# ---- 30 The KV cache -----------------------------------------------------------------------

def attend(q, keys, values, scaled=True):
    q, keys, values = (np.asarray(a, dtype=np.float64) for a in (q, keys, values))
    w = softmax(keys @ q / (math.sqrt(q.size) if scaled else 1))
    return w, w @ values


def test_30_decode_step_widget_numbers():
    # the explorer lists the new key first: k3, then the cached k1, k2
    w, out = attend([2, 1], [[1, 1], [1, 0], [0, 1]], [[5, 6], [1, 2], [3, 4]])
    assert_states("30", f"weight of the new token is {w[0]:.3f}", f"$[{out[0]:.3f}, {out[1]:.3f}]$")
    w_raw, _ = attend([2, 1], [[1, 1], [1, 0], [0, 1]], [[5, 6], [1, 2], [3, 4]], scaled=False)
    assert_states("30", f"rises from {w[0]:.3f} to {w_raw[0]:.3f}")
    w2, _ = attend([2, 1], [[1, 1], [2, 1], [0, 1]], [[5, 6], [1, 2], [3, 4]])
    assert_states("30", f"takes {w2[1]:.3f} of the weight and the new one only {w2[0]:.3f}")
    # the checkpoint: attending before appending k3, v3
    w3, out3 = attend([2, 1], [[1, 0], [0, 1]], [[1, 2], [3, 4]])
    assert out3[0] < 2
    assert_states("30", f"weights {w3[0]:.3f} and {w3[1]:.3f}: "
                        f"output $[{out3[0]:.3f}, {out3[1]:.3f}]$")


def test_30_memory_rows_and_checkpoint():
    def row(per_token, tokens):  # a row of the lesson's table
        return (f"{per_token:,} bytes = {per_token / KIB:g} KiB | "
                f"{tokens:,} tokens: {per_token * tokens / GIB:g} GiB")

    llama3_8b, qwen = kv_bytes(32, 8, 128, 1), kv_bytes(28, 4, 128, 1)  # Qwen2.5-7B: 28 × 4
    native, yarn = 32_768, 131_072  # Qwen2.5-7B's window, and with YaRN (model card)
    assert_states("30", row(llama3_8b, 8192), row(qwen, native))
    full = kv_bytes(28, 28, 128, 1)  # the same model without GQA
    assert_states("30", f"{qwen:,} bytes = {qwen / KIB:g} KiB per token",
                  f"{qwen * native:,} bytes = {qwen * native / GIB:g} GiB",
                  f"{full / KIB:g} KiB per token and {full * native / GIB:g} GiB")
    assert_states("30", f"native {native:,}-token context",
                  f"{qwen * yarn / GIB:g} GiB, at the {yarn:,} tokens",
                  f"gives {yarn:,}, which needs {qwen * yarn / GIB:g} GiB")
    batch8, weights = kv_bytes(32, 32, 128, 4096, batch=8), 13.5e9
    assert batch8 > weights
    assert_states("30", f"about {batch8 / 1e9:.1f} × 10⁹ bytes", f"> {weights:.0f}")
    assert kv_bytes(32, 32, 128, 1) == 4 * kv_bytes(32, 8, 128, 1)  # "a quarter of that"


def test_30_decode_is_memory_bound():
    peak, bandwidth = 312e12, 2e12  # A100: dense fp16 FLOP/s, HBM bytes/s (datasheet)
    flops_per_byte_needed = peak / bandwidth
    assert 150 <= flops_per_byte_needed < 160
    decode = 2 / 2  # 2 FLOPs per parameter, 2 bytes per fp16 parameter
    assert 1 - decode / flops_per_byte_needed > 0.99
    assert_states("30", f"{peak / 1e12:.0f} TFLOP/s", f"about {bandwidth / 1e12:.0f} TB/s",
                  "roughly 150 floating-point operations", "more than 99% idle")


# ---- 31 MQA, GQA and MLA -------------------------------------------------------------------

def test_31_checkpoint_and_llama31():
    mha, gqa = (kv_bytes(32, h, 128, 131_072) / GIB for h in (32, 8))
    assert gqa == mha * 8 / 32
    assert_states("31", f"{mha:g} GiB × 8/32 = {gqa:g} GiB")
    assert kv_bytes(80, 8, 128, 131_072) / GIB == 40 and kv_bytes(80, 64, 128, 131_072) / GIB == 320
    smol = [f"{kv_bytes(30, h, 64, 8192) / GIB:.3f}" for h in (9, 3, 1)]
    assert_states("31", f"({smol[0]}, {smol[1]} and {smol[2]} GiB)")
    # contiguous groups: 1-based query head h reads KV head ceil(h / 3)
    assert [math.ceil(h / 3) for h in range(1, 10)] == [1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_31_mla_numbers():
    layers, heads, d_h, d_c, d_rope = 60, 128, 128, 512, 64
    mla = layers * (d_c + d_rope) * 2
    mha = 2 * layers * heads * d_h * 2
    mla_text, mha_text = f"{mla:,} bytes ({mla / KIB:g} KiB)", f"{mha:,} bytes ({mha / MIB:g} MiB)"
    assert_states("31", f"= {mla_text}", f"= {mha_text}", mla_text, mha_text,
                  f"about {round(mha / mla)} times more",
                  f"{mla * 131_072 / GIB:g} GiB for MLA against {mha * 131_072 / GIB:g} GiB",
                  f"GQA with {(d_c + d_rope) / (2 * d_h):g} groups")
    # the calculator's MLA setting, loaded by the lesson's set-up link, gives the same figures
    setup = dict(layers=layers, d_model=heads * d_h, heads=heads, kv_heads=heads,
                 latent_dim=d_c + d_rope, dtype="bf16")
    link = "setup:#bill?" + "&".join(f"{k}={v}" for k, v in setup.items())
    assert_states("31", link, f"{mla:,} bytes per token")
    result = widget("kv-cache", **setup, seq_len=131_072)
    assert result["per_token_bytes"] == mla and result["gib"] == mla * 131_072 / GIB
    assert result["variants"]["mha"]["gib"] == mha * 131_072 / GIB


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
    assert more_alike > att.shape[0] / 2  # "they are, but only slightly"
    assert_states("31", f"in {more_alike} of the {att.shape[0]} layers")


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
    n, d, sram_kib = 4096, 64, 192
    b_c, b_r, t_c, standard, flash = hbm_traffic(n, d, sram_kib)
    assert (b_c, b_r, t_c) == (384, 64, 11)  # Dao et al.'s block sizes, worked by hand
    assert_states("32", f"{standard:,} bytes", f"{flash:,}", f"{standard / flash:.1f} times less")
    assert_states("32", f"$B_c = {b_c}$ and $B_r = {b_r}$", f"is $({b_r}, {b_c})$",
                  f"{4 * b_r * b_c:,} fp16 numbers")
    m = sram_kib * 1024 // 2
    assert_states("32", f"\\lceil {m:,} / {4 * d} \\rceil = {b_c}", f"= {t_c}$ times",
                  f"{b_r * b_c:,} numbers")
    ratio = {(d, kib): hbm_traffic(n, d, kib)[3] / hbm_traffic(n, d, kib)[4]
             for d in (64, 128) for kib in (192, 228)}
    link = "228 KiB of SRAM](setup:#traffic?head_dim=128&sram_kib=228)"
    assert_states("32", f"from {ratio[64, 192]:.1f}× to {ratio[128, 192]:.1f}×",
                  f"{link}: {ratio[128, 228]:.1f}×", f"{ratio[64, 228]:.1f}×",
                  f"falls from {ratio[64, 192]:.1f} to {ratio[128, 192]:.1f}")
    wide_b_c, _, wide_t_c, *_ = hbm_traffic(n, 128, sram_kib)
    assert_states("32", f"{wide_b_c} rows instead of {b_c}", f"{wide_t_c} times instead of {t_c}")


def test_32_stepper_checkpoints():
    def rescales(scores):
        m, count = -math.inf, 0
        for i, x in enumerate(scores):
            if i and x > m:
                count += 1
            m = max(m, x)
        return count

    assert [rescales(s) for s in ([1, 3, 2, 5], [5, 3, 2, 1], [1, 2, 3, 5])] == [2, 0, 3]
    assert_states("32", "Largest first never rescales, largest last rescales three times",
                  f"$c = e^{{-2}} = {math.exp(-2):.4f}$")
    x, v = np.array([1.0, 3, 2, 5]), np.array([10.0, 20, 30, 40])
    assert_states("32", f"both give {softmax(x) @ v:.4f}")


def test_32_blackwell_row_and_flashattention4():
    # B200 (NVIDIA datasheets): 180 GB HBM3e, about 8 TB/s, 148 SMs, 228 KB shared memory per SM
    assert_states("32", "| B200 (2024) | 180 GB | about 8 TB/s | up to 228 KB per streaming "
                  "multiprocessor, 148 of them |", "H100, H200 and B200 rows")
    # FlashAttention-4 (Zadouri et al. 2026, arXiv 2603.05451): 1,613 TFLOP/s BF16 on a B200,
    # 71% of the 2.25 PFLOP/s dense BF16 peak; up to 1.3x cuDNN 9.13
    assert_states("32", "Zadouri et al. 2026", '"2603.05451"',
                  "about 1,600 TFLOP/s in BF16 on a B200, "
                  f"{math.floor(100 * 1613 / 2250)}% of its peak",  # truncated, as the paper has
                  "up to 1.3 times the speed of NVIDIA's cuDNN")
    # a stale (smaller) running maximum leaves o / l unchanged: both carry the same factor
    x, v = np.array([1.0, 3, 2, 5]), np.array([10.0, 20, 30, 40])
    stale = np.exp(x - 3.0)  # keeps the maximum 3 after 5 arrives
    assert math.isclose(stale @ v / stale.sum(), softmax(x) @ v)
