"""Generated questions for Part 5 (inference): each draws round numbers and computes the
answer with the widget function its lesson uses."""

import numpy as np

from app.content.answers import Mistake, NumberAnswer, NumberField
from app.practice.generators import Variant, fmt_list
from app.widgets import (
    attention_patterns,
    kv_cache,
    online_softmax,
    quantize,
    sampling,
    speculative,
)

MIB = 2**20
# A drawn running total closer than this to p (or a value closer to a rounding tie) would
# let a learner's honest rounding flip the answer, so such draws are redrawn.
MARGIN = 0.02
DTYPE_BYTES = {"fp16": 2, "bf16": 2, "fp32": 4, "int8": 1}


def _tex(n: int) -> str:
    """``4{,}096``: a thousands separator inside $…$ that KaTeX does not space out."""
    return f"{n:,}".replace(",", "{,}")


def _field(label: str, value: float, *, tolerance: float | None = None, rel: float | None = None,
           unit: str = "", wrong: tuple[tuple[float, str], ...] = ()) -> NumberField:
    """A number field whose listed mistakes are only those outside its tolerance (and
    distinct), so a generator never lists the right answer as a mistake."""
    slack = tolerance if tolerance is not None else abs(value) * rel
    kept: list[Mistake] = []
    for v, feedback in wrong:
        if abs(v - value) > 2 * slack and all(abs(v - m.value) > 2 * slack for m in kept):
            kept.append(Mistake(value=v, feedback=feedback))
    return NumberField(label=label, value=value, tolerance=tolerance, rel=rel, unit=unit,
                       mistakes=tuple(kept))


def nucleus_size(rng: np.random.Generator) -> Variant:
    """Module 29: temperature, then top-p, over five logits: survivors and the top token's
    final probability."""
    while True:
        logits = np.round(rng.uniform(-2, 3, size=5) * 2) / 2
        temperature = float(rng.choice([0.5, 1.0, 2.0]))
        top_p = float(rng.choice([0.5, 0.6, 0.7, 0.8, 0.9]))
        if np.unique(logits).size < logits.size:
            continue  # ties make "the most likely" ambiguous
        f = sampling.filter_distribution(logits, temperature, 0, top_p)
        running = np.cumsum(f.p_t[f.order])
        if np.all(np.abs(running[:-1] - top_p) > MARGIN):
            break
    result = sampling.compute(sampling.Params(logits=",".join(f"{z:g}" for z in logits),
                                              tokens="", temperature=temperature, top_p=top_p))
    kept = result.kept_after_top_p
    top = result.candidates[0]
    answer = NumberAnswer(kind="number", fields=(
        _field("tokens kept", kept, tolerance=0, wrong=((kept - 1, (
            "One short: the nucleus keeps adding tokens until the running total *reaches* p, "
            "so it includes the token that takes the total past p.")),) if kept > 1 else ()),
        _field("final probability of the most likely token", top.p_final, tolerance=0.005,
               wrong=((top.p_temperature, "That is its probability before the cut: divide by "
                                          "the total of the tokens that survive."),)),
    ))
    sorted_p = [c.p_temperature for c in result.candidates]
    survive = "tokens survive" if kept > 1 else "token survives"
    working = (f"Divide by $T = {temperature:g}$ and softmax; sorted, the probabilities are "
               f"{fmt_list(sorted_p, 3)}, with running totals "
               f"{fmt_list(np.cumsum(sorted_p), 3)}. The first total to reach $p = {top_p:g}$ "
               f"is number {kept}, so **{kept}** {survive}. "
               f"Renormalized, the top one has ${top.p_temperature:.3f} / "
               f"{sum(sorted_p[:kept]):.3f} = {top.p_final:.3f}$.")
    return Variant(given=(("logits", fmt_list(logits)), ("T", f"{temperature:g}"),
                          ("p", f"{top_p:g}")), answer=answer, working=working)


def _config(rng: np.random.Generator) -> tuple[int, int, int, int]:
    """(layers, query heads, KV heads, head dimension) of a plausible model."""
    layers = int(rng.choice([12, 16, 24, 32, 40, 48]))
    heads = int(rng.choice([8, 16, 32]))
    kv = int(rng.choice([k for k in (1, 2, 4, 8) if k <= heads]))
    return layers, heads, kv, int(rng.choice([64, 128]))


def kv_cache_bytes(rng: np.random.Generator) -> Variant:
    """Module 30: the KV cache of one sequence, in MiB."""
    layers, heads, kv, head_dim = _config(rng)
    tokens = int(rng.choice([1024, 2048, 4096, 8192, 16384]))
    dtype = str(rng.choice(list(DTYPE_BYTES)))
    r = kv_cache.compute(kv_cache.Params(layers=layers, d_model=heads * head_dim, heads=heads,
                                         kv_heads=kv, seq_len=tokens, dtype=dtype))
    mib = r.bytes / MIB
    answer = NumberAnswer(kind="number", fields=(_field("KV cache", mib, rel=0.005, unit="MiB",
                                                        wrong=(
        (r.variants["mha"].bytes / MIB, f"That caches all {heads} query heads: only the {kv} "
                                        "key–value heads are stored."),
        (mib / 2, "Half the answer: the leading 2 counts keys *and* values."),
        (r.bytes / 1e6, "That is megabytes (10⁶ bytes); a MiB is 2²⁰ = 1,048,576 bytes."),
    )),))
    size = DTYPE_BYTES[dtype]
    working = (f"$2 \\cdot {layers} \\cdot {kv} \\cdot {head_dim} \\cdot {_tex(tokens)} \\cdot "
               f"{size} = {_tex(r.bytes)}$ bytes, and ${_tex(r.bytes)} / 1{{,}}048{{,}}576 = "
               f"{mib:g}$ MiB.")
    return Variant(given=(("layers", str(layers)), ("query heads", str(heads)),
                          ("KV heads", str(kv)), ("head dimension", str(head_dim)),
                          ("cached tokens", f"{tokens:,}"),
                          ("stored as", f"{dtype} ({size} byte{'s' if size > 1 else ''})")),
                   answer=answer, working=working)


def gqa_cache_gib(rng: np.random.Generator) -> Variant:
    """Module 31: the same model's cache with multi-head and with grouped-query attention."""
    layers = int(rng.choice([24, 32, 40, 48, 64, 80]))
    heads = int(rng.choice([16, 32, 64]))
    kv = int(rng.choice([2, 4, 8]))
    d_model = heads * 128
    tokens = int(rng.choice([32768, 65536, 131072]))
    r = kv_cache.compute(kv_cache.Params(layers=layers, d_model=d_model, heads=heads,
                                         kv_heads=kv, seq_len=tokens, dtype="fp16"))
    mha, gqa = r.variants["mha"].gib, r.variants["gqa"].gib
    answer = NumberAnswer(kind="number", fields=(
        _field("MHA cache", mha, rel=0.005, unit="GiB", wrong=(
            (mha / 2, "Half the answer: the leading 2 counts keys *and* values."),
            (r.variants["mha"].bytes / 1e9, "That is gigabytes (10⁹ bytes); a GiB is 2³⁰."))),
        _field("GQA cache", gqa, rel=0.005, unit="GiB", wrong=(
            (mha / kv, f"That divides by the {kv} KV heads; the cache shrinks by the group size, "
                       f"{heads} ÷ {kv} = {heads // kv}."),
            (gqa / 2, "Half the answer: the leading 2 counts keys *and* values."))),
    ))
    working = (f"Head dimension ${_tex(d_model)} / {heads} = 128$. MHA: $2 \\cdot {layers} \\cdot "
               f"{heads} \\cdot 128 \\cdot {_tex(tokens)} \\cdot 2$ bytes $=$ **{mha:g} GiB**. GQA "
               f"keeps {kv} of the {heads} key–value heads, so it is {heads // kv} times "
               f"smaller: **{gqa:g} GiB**.")
    return Variant(given=(("layers", str(layers)), ("model width", f"{d_model:,}"),
                          ("query heads", str(heads)), ("KV heads", str(kv)),
                          ("cached tokens", f"{tokens:,}"), ("stored as", "fp16")),
                   answer=answer, working=working)


def online_softmax_output(rng: np.random.Generator) -> Variant:
    """Module 32: run the online softmax over a few scores and values."""
    n = int(rng.choice([3, 4]))
    scores = rng.integers(-2, 6, size=n).astype(float)
    values = rng.integers(-3, 10, size=n).astype(float)
    _, steps, out = online_softmax.online_softmax(scores, 1, values)
    last = steps[-1]
    answer = NumberAnswer(kind="number", fields=(
        _field("final m", last.m, tolerance=0.001),
        _field("final ℓ", last.ell, tolerance=0.003),
        _field("output o / ℓ", out, tolerance=0.003, wrong=(
            (last.o, "That is the unnormalized output $o$: divide it by $\\ell$."),
            (float(values.mean()), "That is the plain average of the values; softmax weights "
                                   "them by $e^{x - m}$."))),
    ))
    rows = "; ".join(f"after score {s.scores_text}: $m = {s.m:g}$, $\\ell = {s.ell:.4f}$, "
                     f"$o = {s.o:.4f}$" for s in steps)
    working = f"{rows}. Output $o / \\ell = {last.o:.4f} / {last.ell:.4f} = {out:.4f}$."
    return Variant(given=(("scores", fmt_list(scores)), ("values", fmt_list(values))),
                   answer=answer, working=working)


def absmax_max_error(rng: np.random.Generator) -> Variant:
    """Module 33: absmax-quantize four numbers with one scale; the scale and worst error."""
    bits = int(rng.choice([3, 4]))
    q_max = 2 ** (bits - 1) - 1
    scale = float(rng.choice([0.1, 0.2, 0.5]))
    while True:
        x = np.round(rng.uniform(-q_max * scale, q_max * scale, size=4), 2)
        x[rng.integers(4)] = round(q_max * scale, 2) * rng.choice([-1, 1])  # sets the scale
        frac = np.abs(x / scale) % 1
        if np.all(np.abs(frac - 0.5) > MARGIN) and np.unique(np.abs(x)).size == 4:
            break  # no value near a rounding tie, one largest magnitude
    codes, recon, groups = quantize.quantize(x, bits, "absmax", 0)
    scale = groups[0][2]
    worst = float(np.max(np.abs(recon - x)))
    answer = NumberAnswer(kind="number", fields=(
        _field("scale s", scale, tolerance=0.0005, wrong=(
            (float(np.max(np.abs(x))) / 2 ** (bits - 1), f"That divides by $2^{{{bits - 1}}}$; "
             f"absmax uses $q_{{\\max}} = 2^{{{bits - 1}}} - 1 = {q_max}$."),)),
        _field("largest error", worst, tolerance=0.002, wrong=(
            (scale / 2, "$s/2$ is the most rounding *can* move a value; here no number lands "
                        "exactly halfway between two levels, so check each one."),)),
    ))
    working = (f"$q_{{\\max}} = {q_max}$, so $s = {np.max(np.abs(x)):g} / {q_max} = {scale:g}$. "
               f"$x / s$ rounds to {fmt_list(codes)}, which comes back as "
               f"{fmt_list(recon, 3)}; the errors are {fmt_list(np.abs(recon - x), 3)}, "
               f"the largest **{worst:.3f}**.")
    return Variant(given=(("numbers", fmt_list(x)), ("bits", str(bits))),
                   answer=answer, working=working)


def kv_cache_batch(rng: np.random.Generator) -> Variant:
    """Module 34: how many sequences' caches fit in the memory left after the weights."""
    layers, heads, kv, head_dim = _config(rng)
    tokens = int(rng.choice([2048, 4096, 8192, 16384]))
    free_gib = int(rng.choice([10, 20, 30, 40, 50, 60]))
    r = kv_cache.compute(kv_cache.Params(layers=layers, d_model=heads * head_dim, heads=heads,
                                         kv_heads=kv, seq_len=tokens, dtype="fp16"))
    fit = free_gib * 2**30 // r.bytes
    mha_fit = free_gib * 2**30 // r.variants["mha"].bytes
    exact = free_gib * 2**30 % r.bytes == 0
    answer = NumberAnswer(kind="number", fields=(_field("sequences", fit, tolerance=0, wrong=(
        *(() if exact else ((fit + 1, "A part of a sequence is no use: round the division "
                                      "down."),)),
        (mha_fit, f"That caches all {heads} query heads: only the {kv} key–value heads are "
                  "stored."),
    )),))
    working = (f"One sequence: $2 \\cdot {layers} \\cdot {kv} \\cdot {head_dim} \\cdot "
               f"{_tex(tokens)} \\cdot 2 = {_tex(r.bytes)}$ bytes ({r.bytes / MIB:g} MiB). "
               f"${free_gib} \\cdot 2^{{30}} / {_tex(r.bytes)} = "
               f"{free_gib * 2**30 / r.bytes:.2f}$, so **{fit}** sequences fit.")
    return Variant(given=(("layers", str(layers)), ("query heads", str(heads)),
                          ("KV heads", str(kv)), ("head dimension", str(head_dim)),
                          ("tokens per sequence", f"{tokens:,}"),
                          ("free memory", f"{free_gib} GiB (fp16 cache)")),
                   answer=answer, working=working)


def speculative_speedup(rng: np.random.Generator) -> Variant:
    """Module 35: expected tokens per target pass and the wall-time speed-up."""
    alpha = float(rng.choice([0.5, 0.6, 0.7, 0.8, 0.9]))
    gamma = int(rng.integers(2, 7))
    cost = float(rng.choice([0.05, 0.1, 0.2]))
    tokens = speculative.expected_tokens(alpha, gamma)
    gain = speculative.speedup(alpha, gamma, cost)
    answer = NumberAnswer(kind="number", fields=(
        _field("expected tokens per target pass", tokens, tolerance=0.003, wrong=(
            (gamma + 1, "That is the best case, when every draft is accepted."),
            (1 / (1 - alpha), "That is the limit for endless drafts, $1/(1 - \\alpha)$; "
                              "γ caps the run."),
            ((1 - alpha**gamma) / (1 - alpha), "The exponent is γ + 1, not γ: a round also "
                                              "yields the target's own token."))),
        _field("speed-up", gain, tolerance=0.003, wrong=(
            (tokens, "That leaves out the draft's cost: divide by γc + 1."),)),
    ))
    working = (f"$E = (1 - {alpha:g}^{{{gamma + 1}}}) / (1 - {alpha:g}) = "
               f"{tokens:.4f}$; a round costs ${gamma} \\cdot {cost:g} + 1 = "
               f"{gamma * cost + 1:g}$ target passes, so the speed-up is "
               f"${tokens:.4f} / {gamma * cost + 1:g} = {gain:.4f}$.")
    return Variant(given=(("α", f"{alpha:g}"), ("γ", str(gamma)), ("c", f"{cost:g}")),
                   answer=answer, working=working)


def sliding_window_pairs(rng: np.random.Generator) -> Variant:
    """Module 36: query–key pairs of full causal attention and of a sliding window."""
    n = int(rng.choice([16, 20, 24, 32, 40, 48, 64]))
    w = int(rng.integers(3, 9))
    found = attention_patterns.masks(n, w, 1, 0)  # dilation 1, no global tokens: unused here
    full, window = int(found["full"].sum()), int(found["sliding"].sum())
    answer = NumberAnswer(kind="number", fields=(
        _field("full causal pairs", full, tolerance=0, wrong=(
            (n * n, "That is every pair; a causal query only scores keys at or before it."),
            (n * (n - 1) // 2, "Each token also attends to itself: $n(n + 1)/2$."))),
        _field("sliding-window pairs", window, tolerance=0, wrong=(
            (n * w, f"The first {w - 1} tokens have fewer than {w} keys before them."),)),
    ))
    working = (f"Full: ${n} \\cdot {n + 1} / 2 = {full}$. Window: the first {w} tokens score "
               f"$1 + \\dots + {w} = {w * (w + 1) // 2}$ pairs, the other {n - w} score {w} "
               f"each: ${w * (w + 1) // 2} + {(n - w) * w} = {window}$.")
    return Variant(given=(("n", str(n)), ("w", str(w))), answer=answer, working=working)


GENERATORS = {
    "nucleus-size": nucleus_size,
    "kv-cache-bytes": kv_cache_bytes,
    "gqa-cache-gib": gqa_cache_gib,
    "online-softmax-output": online_softmax_output,
    "absmax-max-error": absmax_max_error,
    "kv-cache-batch": kv_cache_batch,
    "speculative-speedup": speculative_speedup,
    "sliding-window-pairs": sliding_window_pairs,
}
