"""Modules 33–36, interactive rewrite: every new number these lessons state is recomputed
here, independently (NumPy or plain arithmetic, never copied from the lesson), and its
printed form is looked up in the lesson file. The widget numbers the text quotes are
recomputed by hand and compared with the widget's own compute().
"""

import math

import numpy as np
import pytest

from tests.lesson_support import absmax, assert_prose_figures_described, kv_bytes, widget
from tests.lesson_text import assert_states

GIB = 2**30


# ---- 33 Quantization ----------------------------------------------------------------------

X = np.array([0.42, -1.37, 0.08, 2.54, -0.61, 0.15, -0.03, 0.97])


def rms(a, b) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)))


def test_33_bit_ratio_and_ties():
    assert_states("33", f"127/7 \\approx {127 / 7:.1f}$")
    s8, q8, r8 = absmax(X, 127)
    s4, q4, r4 = absmax(X, 7)
    ties = [v for v in X / s8 if abs(abs(v - np.floor(v)) - 0.5) < 1e-9]
    assert len(ties) == 5
    assert_states("33", f"about {rms(X, r4) / rms(X, r8):.1f}", "five of the eight",
                  "$x/s = " + ", ".join(f"{v:g}" for v in ties) + "$",
                  f"{s8 / math.sqrt(12):.4f}",
                  f"about {rms(X, r8) / (s8 / math.sqrt(12)):.1f} times")
    seven = absmax(X, 63)[2]
    assert_states("33", f"7 bits ({rms(X, seven):.4f})")
    # the hook: 3 of the 7 non-largest values become 0 at 4 bits; the half step is ~0.18
    assert int(((r4 == 0) & (X != 0)).sum()) == 3 and widget("quantize", bits=4)["crushed"] == 3
    assert_states("33", f"2.54 / 7 ≈ {2.54 / 7:.2f}", f"about {s4 / 2:.2f}", f"≈ {s4:.3f}")


def test_33_minmax_and_groups():
    lo, hi = X.min(), X.max()
    d = (hi - lo) / 15
    r = np.round((X - lo) / d) * d + lo
    assert_states("33", f"from {rms(X, absmax(X, 7)[2]):.4f} to {rms(X, r):.4f}")
    assert widget("quantize", bits=4, scheme="minmax")["rmse"] == rms(X, r)
    y = X.copy()
    y[3] *= 10
    s2 = np.abs(y[4:]).max() / 7
    got = widget("quantize", bits=4, outlier=True, group_size=4)["groups"][1]["scale"]
    assert math.isclose(got, s2)
    assert_states("33", f"{np.abs(y[4:]).max()}/7 \\approx {s2:.4f}", f"{y[3] / 7:.6f}")
    out8 = widget("quantize", bits=8, outlier=True)["reconstruction"]
    assert [round(v, 6) for v in (out8[2], out8[6], out8[5])] == [0, 0, 0.2]
    one = widget("quantize", bits=4, outlier=True)
    assert one["crushed"] == 7
    assert_states("33", "seven of the eight values come back as 0")


def fp4_grid() -> np.ndarray:
    """Every E2M1 value: 1 sign, 2 exponent bits (bias 1), 1 mantissa bit."""
    mags = set()
    for e in range(4):
        for m in range(2):
            mags.add(m * 0.5 if e == 0 else (1 + m / 2) * 2.0 ** (e - 1))
    mags = np.array(sorted(mags))
    return np.concatenate([-mags[::-1], mags])


def test_33_float_formats_and_bits_per_weight():
    mags = [f"{v:g}" for v in sorted({abs(v) for v in fp4_grid()})]
    assert_states("33", ", ".join(mags[:-1]) + f" and {mags[-1]}")
    e4m3_max = (1 + 6 / 8) * 2.0 ** (15 - 7)  # mantissa 111 at the top exponent is NaN
    e5m2_max = (1 + 3 / 4) * 2.0 ** (30 - 15)  # exponent 11111 is inf/NaN
    assert_states("33", f"±{e4m3_max:,.0f}", f"±{e5m2_max:,.0f}")
    table = {"GPTQ": 4 + (16 + 4) / 128, "Q4_0": 4 + 16 / 32, "Q4_1": 4 + 32 / 32,
             "MXFP4": 4 + 8 / 32, "NVFP4": 4 + 8 / 16}
    bits = {name: f"{v:.2f}".rstrip("0").rstrip(".") for name, v in table.items()}
    assert_states("33", *(f"| {b} |" for b in bits.values()),
                  f"{math.floor(10 * min(table.values())) / 10} to {max(table.values()):g} bits",
                  f"{bits['GPTQ']} for GPTQ with groups of 128, {bits['MXFP4']} for MXFP4, "
                  f"{bits['Q4_0']} for Q4_0 and NVFP4, {bits['Q4_1']} for Q4_1")


def test_33_fp4_worked_example():
    g = X[4:]
    s = np.abs(g).max() / 6
    grid = fp4_grid()
    q = grid[np.abs((g / s)[:, None] - grid[None, :]).argmin(axis=1)]
    back = q * s
    assert np.abs(q).max() == 6  # the largest value lands on the grid's top
    int4 = absmax(g, 7)[2]
    assert_states("33", f"{s:.6f}", "[" + ", ".join(f"{v:.3f}".rstrip("0").rstrip(".")
                                                     for v in g / s) + "]",
                  "[" + ", ".join(f"{v + 0.0:.4f}".rstrip("0").rstrip(".") for v in back) + "]",
                  f"{np.abs(back - g).max():.4f}", f"{np.abs(int4 - g).max():.4f}")


def test_33_kv_cache_in_low_precision():
    per_token = 2 * 32 * 8 * 128  # K and V, 32 layers, 8 KV heads of 128
    for dtype, nbytes in (("fp16", 2), ("fp8", 1), ("int4", 0.5)):
        gib = per_token * 131_072 * nbytes / GIB
        assert widget("kv-cache", dtype=dtype)["gib"] == gib
        assert_states("33", f"{gib:g} GiB")
    assert widget("quantize", source="real", scheme="minmax", bits=4, group_size=32)["rmse"] == 0


# ---- 34 Serving ---------------------------------------------------------------------------


def test_34_batch_cache_and_slowdown():
    per_seq = kv_bytes(32, 32, 128, 1000)
    step = {b: (13.5e9 + b * per_seq) / 2e12 for b in (1, 32)}
    assert_states("34", f"{13.5 + per_seq / 1e9:.1f} GB at batch 1",
                  f"{(13.5e9 + 32 * per_seq) / 1e9:.1f} GB at batch 32",
                  f"about {step[32] / step[1]:.1f} times as long")
    assert_states("34", f"{32 * per_seq:,} bytes", f"{32 * per_seq / 1e9:.2f} GB")
    first = next(b for b in range(1, 500) if b * per_seq > 13.5e9)
    assert_states("34", f"({(first - 1) * per_seq / 1e9:.2f} GB)",
                  f"({first * per_seq / 1e9:.2f} GB)",
                  f"from {first} sequences on")
    gqa_seq = kv_bytes(32, 8, 128, 1000)
    first_gqa = next(b for b in range(1, 500) if b * gqa_seq > 13.5e9)
    assert_states("34", f"batch of {first_gqa}", f"{first_gqa * gqa_seq:,} bytes",
                  f"from {first_gqa} sequences on", f"{kv_bytes(32, 8, 128, 1):,} bytes")
    spec = dict(layers=32, d_model=4096, heads=32, kv_heads=32, seq_len=1000)
    assert widget("kv-cache", batch=32, **spec)["bytes"] == 32 * per_seq
    gqa_token = widget("kv-cache", **{**spec, "kv_heads": 8})["per_token_bytes"]
    assert gqa_token == kv_bytes(32, 8, 128, 1)


def test_34_prefix_cache_memory():
    one = kv_bytes(32, 8, 128, 1500)
    assert_states("34", f"{100 * one / GIB:.2f} GiB", f"{one:,} bytes ({one / 2**20:.1f} MiB)")
    assert widget("kv-cache", seq_len=1500, batch=100)["bytes"] == 100 * one


def schedule(lengths: dict[str, int], slots: int, continuous: bool) -> int:
    """Iterations to finish every request, admitted in order of arrival."""
    queue, running, t = list(lengths.items()), [], 0
    while queue or running:
        if continuous or not running:
            while queue and len(running) < slots:
                name, n = queue.pop(0)
                running.append([name, n])
        t += 1
        for r in running:
            r[1] -= 1
        running = [r for r in running if r[1] > 0]
    return t


def test_34_request_e():
    four = {"A": 2, "B": 8, "C": 3, "D": 3}
    assert (schedule(four, 2, False), schedule(four, 2, True)) == (11, 8)  # worked by hand
    five = {**four, "E": 4}
    static, continuous = schedule(five, 2, False), schedule(five, 2, True)
    assert_states("34", f'"{continuous}"\n    correct: true', f"ends at {continuous}",
                  f"{schedule(four, 2, False) - 3} + 3 + {five['E']} = {static}")


# ---- 35 Speculative decoding --------------------------------------------------------------

def tokens_per_pass(alpha: float, gamma: int) -> float:
    """1 + expected accepted drafts, summed over outcomes (not the closed form)."""
    return sum(alpha**k for k in range(gamma + 1))


def test_35_acceptance_is_one_minus_tv():
    p, q = np.array([0.6, 0.3, 0.1]), np.array([0.3, 0.5, 0.2])
    alpha = np.minimum(p, q).sum()
    tv = 0.5 * np.abs(p - q).sum()
    assert math.isclose(alpha, 1 - tv)
    rng = np.random.default_rng(0)
    for _ in range(100):
        a, b = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
        assert math.isclose(np.minimum(a, b).sum(), 1 - 0.5 * np.abs(a - b).sum())
    gaps = " + ".join(f"{g:g}" for g in np.abs(p - q).round(12))
    assert_states("35", f"1 - \\frac{{1}}{{2}}({gaps}) = 1 - {tv:g}", "\\mathrm{TV}(p, q)")
    assert_states("35", f"$P(C) = {q[2]:g} \\cdot {p[2] / q[2]:g} = {p[2]:g}$")


def test_35_calculator_numbers():
    assert_states("35", f"reach {tokens_per_pass(0.8, 20):.4f}",
                  f"γ = 8 ({tokens_per_pass(0.8, 8):.4f})", f"{1 / (1 - 0.8):.0f}$",
                  f"only {0.8**8:.0%} of the time",
                  f"yields only {tokens_per_pass(0.8, 2):.2f} tokens")
    best = {c: max(range(1, 21), key=lambda g: tokens_per_pass(0.8, g) / (g * c + 1))
            for c in (0.2, 0.02, 0.05)}
    assert best == {0.2: 4, 0.02: 11, 0.05: 8}
    speed = tokens_per_pass(0.8, 4) / (4 * 0.2 + 1)
    assert_states("35", f"({best[0.2]}, at {speed:.4f}×)", f"moves up to {best[0.02]}",
                  f"about {speed:.2f}×")
    for c, g in best.items():
        assert widget("speculative", alpha=0.8, gamma=4, cost=c)["best_gamma"] == g
    deepseek = dict(gamma=1, alpha=0.85, cost=0)  # one drafted token (MTP), 85% accepted
    assert_states("35", f"1 + \\alpha = {tokens_per_pass(0.85, 1):g}",
                  "setup:#spec?" + "&".join(f"{k}={v}" for k, v in deepseek.items()))
    assert widget("speculative", alpha=0.8, gamma=20)["limit"] == 1 / (1 - 0.8)
    assert_states("35", "SmolLM2-135M, which has about a five-hundredth of the parameters")


def test_35_smollm2_easy_tokens():
    for prompt, token in (("The United States of", " America"), ("import numpy as", " np"),
                          ("Once upon a", " time")):
        top = widget("next-token", prompt=prompt, top_k=5)["candidates"]
        assert top[0]["text"] == token
        assert_states("35", f"{top[0]['probability']:.4f}")
    second = widget("next-token", prompt="The United States of", top_k=5)["candidates"][1]
    assert second["text"] == " North"
    assert_states("35", f"{second['probability']:.4f}")


# ---- 36 Long context ----------------------------------------------------------------------

def causal_pairs(n: int) -> int:
    return sum(i + 1 for i in range(n))


def window_pairs(n: int, w: int) -> int:
    return sum(min(i + 1, w) for i in range(n))


def test_36_pair_counts():
    assert causal_pairs(64) == 64 * 65 // 2 and round(causal_pairs(64) / causal_pairs(32)) == 4
    assert_states("36", f"scores {causal_pairs(32)} query–key pairs",
                  f"{causal_pairs(64):,}: about four times",
                  f"64 \\cdot 65/2 = {causal_pairs(64):,}",
                  f"{causal_pairs(131_072) / 1e9:.1f} \\times 10^{{9}}")
    assert widget("attention-patterns", n=64)["patterns"][0]["pairs"] == causal_pairs(64)
    n16 = {p["key"]: p["pairs"] for p in widget("attention-patterns")["patterns"]}
    assert (n16["full"], n16["sliding"]) == (causal_pairs(16), window_pairs(16, 3)) == (136, 45)
    dilated = sum(min(3, i // 2 + 1) for i in range(16))
    glob = window_pairs(16, 3) + sum(max(0, min(1, i - 3 + 1)) for i in range(16))
    assert (n16["dilated"], n16["global"]) == (dilated, glob)
    assert_states("36", f"full causal ({causal_pairs(16)} pairs)",
                  f"a window of 3 ({window_pairs(16, 3)} pairs)",
                  f"the dilated window ({dilated})", f"one global token ({glob})",
                  f"from {causal_pairs(16)} to {causal_pairs(32)} pairs",
                  f"from {window_pairs(16, 3)} to {window_pairs(32, 3)}")
    window, first = 8, 4
    sink = widget("attention-patterns", n=32, window=window, global_tokens=first)["patterns"][3]
    assert_states("36", f"a window of {window} plus the first {first} tokens, "
                        f"{sink['keys_last']} keys")


def test_36_local_global_cache():
    per_layer_token = 2 * 8 * 128 * 2  # K and V, 8 KV heads of 128, fp16
    full = 32 * per_layer_token * 131_072
    eight = 8 * per_layer_token * 131_072
    local = 24 * per_layer_token * 4096
    assert_states("36", f"{full / GIB:g} GiB", f"{eight / GIB:g} GiB", f"{local / GIB:g} GiB",
                  f"{(eight + local) / GIB:.3f} GiB")
    assert widget("kv-cache", seq_len=131072, layers=8)["gib"] == eight / GIB


def test_36_rope_angles_and_yarn_bands():
    theta = 10000 ** (-np.arange(0, 64, 2) / 64)
    wavelength = 2 * math.pi / theta
    turns = 2048 / wavelength
    untouched = np.flatnonzero(turns > 32)
    interpolated = np.flatnonzero(turns < 1)
    assert untouched.min() == 0 and interpolated.max() == 31  # fastest and slowest pairs
    assert_states("36", f"pairs 0 to {untouched.max()}", f"pairs {interpolated.min()} to 31",
                  f"every {wavelength[0]:.2f} tokens",
                  f"{turns[0]:.0f} full turns", f"every {wavelength[31]:,.0f} tokens",
                  f"only {turns[31]:.3f} of a turn")
    assert_states("36", f"{2047 * theta[31]:.3f} radians", f"\\\\approx {8191 * theta[31]:.3f}")
    got = widget("rope", d=64, base=10000, m=0, n=8191)["pairs"][31]["angle"]
    assert math.isclose(got, 8191 * theta[31])
    slow = 500_000 ** (-62 / 64)
    assert_states("36", f"only {8191 * slow:.4f} radians")
    assert math.isclose(widget("rope", d=64, base=500000, m=0, n=8191)["pairs"][31]["angle"],
                        8191 * slow)
    layers, reach = 32, 4096 - 1  # Mistral 7B: a window of 4,096 tokens, itself included
    assert_states("36", f"{layers} × {reach:,} ≈ {round(layers * reach, -3):,}")


# ---- 33–36 pages --------------------------------------------------------------------------

@pytest.mark.parametrize(("module_id", "figures"), [("33", 0), ("34", 1), ("35", 0), ("36", 1)])
def test_lesson_page_renders(client, module_id, figures):
    assert_prose_figures_described(client, module_id, figures)
