"""Recompute the numbers that lessons 16–28 state, and check the text prints them.

Each test derives a figure independently (from model shapes, a published fit or a
small NumPy computation) and asserts that the formatted value appears in the
lesson. A lesson missing from ``lessons/`` fails its test (never a skip).
"""

import math

import numpy as np

from tests.lesson_support import minilm_weights, models, sigmoid, smollm2_gguf
from tests.lesson_text import assert_states, lesson_text

SMOL = dict(vocab=49_152, d=576, layers=30, kv=192, ff=1_536)
SMOL_TOTAL = 134_515_008
LLAMA2_7B = dict(vocab=32_000, d=4_096, layers=32, ff=11_008)
CHINCHILLA = dict(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)


def commas(n: int) -> str:
    return f"{n:,}"


def gb(x: float) -> str:
    """Bytes as the lessons' tables print gigabytes: one decimal, none when whole."""
    return f"{x / 1e9:.1f}".removesuffix(".0")


def sci(x: float) -> str:
    """A power of ten as the lessons write it in maths: ``10^{-8}``."""
    exponent = round(math.log10(x))
    assert 10.0**exponent == x
    return f"10^{{{exponent}}}"


# --- parameter counts (lessons 17, 19, 20, 28) -----------------------------------

def smol_per_layer() -> int:
    d, kv, ff = SMOL["d"], SMOL["kv"], SMOL["ff"]
    return 2 * d * d + 2 * d * kv + 3 * d * ff + 2 * d


def smol_total() -> int:
    return SMOL["vocab"] * SMOL["d"] + SMOL["layers"] * smol_per_layer() + SMOL["d"]


def gpt2_small_total() -> int:
    vocab, ctx, d, layers = 50_257, 1_024, 768, 12
    per = (3 * d * d + 3 * d) + (d * d + d) + (4 * d * d + 4 * d) + (4 * d * d + d) + 4 * d
    return vocab * d + ctx * d + layers * per + 2 * d


def llama_total() -> int:
    v, d, layers, ff = (LLAMA2_7B[k] for k in ("vocab", "d", "layers", "ff"))
    return 2 * v * d + layers * (4 * d * d + 3 * d * ff + 2 * d) + d


def test_smollm2_count_matches_model_file():
    assert smol_total() == SMOL_TOTAL
    tensors = smollm2_gguf().tensors
    assert len(tensors) == 272
    assert sum(int(t.n_elements) for t in tensors) == SMOL_TOTAL


def test_lesson_20_parameter_counts():
    text = lesson_text("20")
    d = SMOL["d"]
    mha = SMOL_TOTAL + 30 * 2 * d * (d - SMOL["kv"])
    gpt3_full = 50_257 * 12_288 + 2_048 * 12_288 + 96 * (12 * 12_288**2 + 13 * 12_288) + 2 * 12_288
    assert_states("20", *[commas(x) for x in [
          SMOL_TOTAL, smol_per_layer(), 30 * smol_per_layer(), SMOL["vocab"] * d,
          2 * d * d, 2 * d * SMOL["kv"], 3 * d * SMOL["ff"], 12 * 30 * d * d,
          gpt2_small_total(), 12 * 12 * 768**2, llama_total(), 12 * 32 * 4096**2,
          12 * 96 * 12_288**2, mha, 30 * 2 * d * (d - SMOL["kv"]), 5 * SMOL["vocab"],
          12 * 24 * 1024**2, 50_257 * 1024, 4 * 4096**2, 3 * 4096 * 11_008,
          4 * 4096**2 + 3 * 4096 * 11_008 + 2 * 4096, 2 * 32_000 * 4096,
      ]])
    assert gpt2_small_total() == 124_439_808
    assert f"{gpt3_full / 1e9:.1f} billion" in text
    assert f"{SMOL['vocab'] * d / SMOL_TOTAL:.0%}" in text  # 21%
    gpt2_medium = 12 * 24 * 1024**2 + 50_257 * 1024 + 1024**2
    assert f"{gpt2_medium / 1e6:.1f} million" in text


def test_lesson_17_mlp_example_and_counts():
    keys = np.array([[1, 0], [0, 1], [1, 1], [1, -1]], float)
    values = np.array([[1, 0], [0, 1], [1, 1], [-1, 2]], float)
    up = np.array([[1, 1], [2, 0], [0, 1], [1, 0]], float)
    x = np.array([1.0, -1.0])
    s = keys @ x
    gelu = np.array([z * 0.5 * (1 + math.erf(z / math.sqrt(2))) for z in s])
    silu = s / (1 + np.exp(-s))
    relu_out = np.maximum(s, 0) @ values
    gelu_out = gelu @ values
    swiglu_out = (silu * (up @ x)) @ values
    assert relu_out.tolist() == [-1.0, 4.0]
    shown = [v for v in [*gelu, *gelu_out, *swiglu_out, *silu] if v != 0]
    assert_states("17", *[f"{v:.4f}" for v in shown])
    assert_states("17", *[commas(x) for x in [
          8 * 768**2, 4 * 768**2, 2 * 512 * 2048, 3 * 4096 * 11_008, 3 * 576 * 1536,
          8 * 4096**2, 3 * 4096 * 11_008 - 8 * 4096**2]])
    blocks = math.ceil(8 / 3 * 4096 / 256)  # Llama's width: the next multiple of 256
    assert_states("17", f"{blocks * 256:,} is {blocks} \\\\cdot 256, the next multiple of 256 "
                  f"above {8 / 3 * 4096:,.2f}")


def test_lesson_19_output_head_example():
    emb = np.array([[2, 1, 0], [1.5, 0, 0.5], [0, 0, 1], [-1, 1, 0], [0, -1, 0.5]])
    h = np.array([1.0, 0.5, -0.5])
    z = emb @ h
    e = np.exp(z)
    p = e / e.sum()
    p2 = np.exp(2 * z) / np.exp(2 * z).sum()
    shown = [*e, *p, e.sum(), -math.log(p[0]), -math.log(p[1]), p2[0]]
    assert_states("19", *[f"{v:.4f}" for v in shown])
    assert_states("19", commas(768 * 50_257), commas(576 * 49_152))
    assert round(576 * 49_152 / smol_per_layer()) == 8


# --- residuals, normalization, positions (16, 18) ----------------------------------

def test_lesson_16_norm_examples():
    text = lesson_text("16")
    eps = 1e-5
    def layer_norm(v):
        return (v - v.mean()) / np.sqrt(v.var() + eps)
    def rms_norm(v):
        return v / np.sqrt((v**2).mean() + eps)
    x = np.array([2.0, -1.0, 0.0, 3.0])
    shown = [*layer_norm(x), *rms_norm(x), *rms_norm(x + 10)]
    assert_states("16", *[f"{v:.4f}" for v in shown])
    assert np.allclose(rms_norm(10 * x), rms_norm(x), atol=1e-6)
    assert np.allclose(layer_norm(x + 10), layer_norm(x))
    v34 = np.array([3.0, 4.0])
    assert_states("16", *[f"{v:.4f}" for v in [*(v34 / np.sqrt((v34**2).mean())),
                                                *(np.array([103.0, 104.0]) / np.sqrt(10_712.5))]])
    assert f"{0.8**30:.5f}" in text  # 0.00124


def rotate(v, angle):
    c, s = math.cos(angle), math.sin(angle)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def test_lesson_18_rope_example():
    q, k, theta = np.array([1.0, 2.0]), np.array([3.0, 1.0]), 0.5
    # query at m, key at n = m - 3 (three tokens back); the distance is m - n
    scores = [rotate(q, m * theta) @ rotate(k, n * theta) for m, n in [(5, 2), (15, 12), (3, 0)]]
    assert np.allclose(scores, scores[0])
    assert np.isclose(rotate(q, 3 * theta) @ k, scores[0])
    table = [q @ rotate(k, -dist * theta) for dist in range(8)]
    shown = [*rotate(q, 2.5), *rotate(k, 1), *rotate(q, 7.5), *rotate(k, 6), *rotate(q, 1.5),
             scores[0], *table, q @ rotate(k, 1.5), *rotate(k, 1.5)]
    assert_states("18", *[f"{v:.4f}" for v in shown])
    thetas = 100_000.0 ** (-np.arange(0, 64, 2) / 64)
    assert len(thetas) == 32
    assert_states("18", commas(int(round(2 * math.pi / thetas[-1], -1))),
                  commas(round(2 * math.pi / (10_000.0 ** (-62 / 64)))),
                  f"{thetas[-1] * 1e5:.3f}")


# --- training (23, 24, 25, 28) ------------------------------------------------------

def cosine_lr(t, peak=6e-4, floor=6e-5, warm=2_000, total=100_000):
    if t < warm:
        return peak * t / warm
    return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * (t - warm) / (total - warm)))


def test_lesson_23_schedule_and_adam():
    text = lesson_text("23")
    assert_states("23", f"{cosine_lr(26_500) * 1e4:.3f}", f"{cosine_lr(75_500) * 1e4:.3f}")
    assert math.isclose(cosine_lr(51_000), 3.3e-4)
    ratios, m, v = [], 0.0, 0.0
    for t, g in enumerate([0.5, -0.5, 0.5], start=1):
        m, v = 0.9 * m + 0.1 * g, 0.95 * v + 0.05 * g * g
        ratios.append((m / (1 - 0.9**t)) / math.sqrt(v / (1 - 0.95**t)))
    assert math.isclose(ratios[0], 1.0)
    assert_states("23", *[f"{r:.4f}" for r in ratios[1:]])
    assert f"{2 * 4 * 7e9 / 1e9:.0f} GB" in text  # Adam's m and v for 7B in fp32


def chinchilla_loss(n, d):
    c = CHINCHILLA
    return c["E"] + c["A"] / n ** c["alpha"] + c["B"] / d ** c["beta"]


def test_lesson_24_chinchilla_predictions():
    text = lesson_text("24")
    c = CHINCHILLA
    rows = [(280e9, 300e9), (70e9, 1.4e12), (175e9, 300e9)]
    shown = []
    for n, d in rows:
        shown += [f"{chinchilla_loss(n, d):.4f}", f"{c['A'] / n ** c['alpha']:.4f}",
                  f"{c['B'] / d ** c['beta']:.4f}"]
    budget = 6 * 70e9 * 1.4e12
    for n in [10e9, 30e9, 100e9, 200e9, 500e9]:
        shown.append(f"{chinchilla_loss(n, budget / (6 * n)):.4f}")
    shown += [f"{chinchilla_loss(7e9, 1.4e11):.4f}", f"{chinchilla_loss(7e9, 2e12):.4f}",
              f"{chinchilla_loss(134.5e6, 2e12) - c['E'] - c['B'] / 2e12 ** c['beta']:.4f}"]
    assert_states("24", *shown)
    g = (c["alpha"] * c["A"] / (c["beta"] * c["B"])) ** (1 / (c["alpha"] + c["beta"]))
    n_opt = g * (budget / 6) ** (c["beta"] / (c["alpha"] + c["beta"]))
    assert f"near {n_opt / 1e9:.0f}B parameters" in text
    assert f"{budget / 6 / n_opt / n_opt:.0f} tokens per parameter" in text
    n_rule = math.sqrt(1e24 / 120)
    assert f"{chinchilla_loss(n_rule, 20 * n_rule):.3f}" in text
    superscript = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
    for n, d in rows:  # compute as the table prints it: 6ND, e.g. "5.88 × 10²³"
        mantissa, exponent = f"{6 * n * d:.2e}".split("e")
        assert f"{mantissa} × 10{str(int(exponent)).translate(superscript)}" in text


def test_lesson_25_memory():
    text = lesson_text("25")
    psi, n_d = 7.5e9, 64  # the ZeRO paper's example, as the lesson states it
    assert f"a {psi / 1e9:g}-billion-parameter model on {n_d} GPUs" in text
    table = {"16\\Psi": 16 * psi, f"(4 + 12/{n_d})\\Psi": (4 + 12 / n_d) * psi,
             f"(2 + 14/{n_d})\\Psi": (2 + 14 / n_d) * psi, f"16\\Psi/{n_d}": 16 * psi / n_d}
    assert_states("25", *[f"| {formula} | {gb(x)} GB |" for formula, x in table.items()])
    llama = llama_total()
    per_gpu = [16 * llama, (4 + 12 / 8) * llama, (2 + 14 / 8) * llama, 2 * llama]
    assert_states("25", *[f"{x / 1e9:.1f} GB" for x in per_gpu] + [commas(16 * SMOL_TOTAL)])
    tiny, scale = 1e-8, 65_536
    assert float(np.float16(tiny)) == 0.0
    assert f"{sci(tiny)} stored in fp16 is exactly 0" in text
    assert f"S = {commas(scale)}" in text
    assert f"{float(np.float16(tiny * scale)) / scale * 1e9:.3f}" in text
    update = 1e-4
    assert np.float16(1.0) + np.float16(update) == np.float16(1.0)
    assert f"Add an update of {sci(update)} to a weight of 1.0 in fp16" in text
    stages, micro = 4, 16
    bubble = f"{stages - 1}/{micro + stages - 1} \\approx {(stages - 1) / (micro + stages - 1):.0%}"
    assert f"{bubble} with {stages} stages and {micro} micro-batches" in text


def test_lesson_28_lora_counts():
    text = lesson_text("28")
    d, ff, layers = 4096, 11_008, 32
    qv = layers * 2 * 8 * (d + d)
    every = 16 * (4 * (d + d) + 3 * (d + ff))
    smol = 30 * 8 * ((576 + 576) + (576 + 192))
    assert_states("28", *[commas(x) for x in [qv, every, every * layers, smol, 9_216, 6_144,
                                               *(r * (d + d) for r in (1, 2, 4, 8, 16, 64))]])
    assert_states("28", f"{qv / llama_total():.3%}", f"{every * layers / llama_total():.2%}",
                  f"{smol / SMOL_TOTAL:.2%}")
    saved = 32 / 64 - (8 / 64 + 32 / (64 * 256))
    assert f"{saved:.3f}" in text and f"{8 / 64 + 32 / (64 * 256):.3f}" in text
    assert f"{65e9 * 0.5 / 1e9:.1f} GB" in text
    delta = np.array([[0.5], [0], [0], [-0.5]]) @ np.array([[1, 0, -1, 2.0]])
    assert (delta @ np.ones(4)).tolist() == [1.0, 0.0, 0.0, -1.0]


def test_lesson_16_17_19_28_extra_figures():
    x = np.array([2.0, -1.0, 0.0, 3.0])
    gained = np.array([2, 1, 1, 0.5]) * x / np.sqrt((x**2).mean() + 1e-5)
    assert_states("16", *[f"{v:.4f}" for v in gained if v != 0] + [commas(61 * 576)])
    mlp_flops = 2 * 3 * 576 * 1536
    assert_states("17", commas(mlp_flops), commas(mlp_flops // (4 * 576)))
    assert_states("19", commas(4096 * 32_000), commas(4 * 4096**2 + 3 * 4096 * 11_008
                                                                     + 2 * 4096))
    adapter_bytes = 32 * 2 * 8 * (4096 + 4096) * 2
    assert commas(adapter_bytes) in lesson_text("28")
    assert round(2 * llama_total() / adapter_bytes, -2) == 1_600


# --- encoders, data, fine-tuning, preferences (21, 22, 26, 27) ----------------------

def cosine(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_lesson_21_pooling_and_pairs():
    a = np.array([[1, 2], [3, 0], [2, 1]], float).mean(0)
    b = np.array([[2, 2], [1, 0]], float).mean(0)
    c = np.array([[-1, 2], [0, 1]], float).mean(0)
    assert_states("21", *[f"{v:.4f}" for v in [cosine(a, b), cosine(a, c), cosine(b, c),
                                                math.sqrt(5) * math.sqrt(3.25)]])
    n, grid = 6, 4  # the practice question's tokens; the figure's 4 × 4 grid
    assert_states("21", f"= {n * n}", f"= {n * (n + 1) // 2}",
                  f"encoder: {grid * grid} of {grid * grid} pairs",
                  f"decoder: {grid * (grid + 1) // 2} of {grid * grid} pairs",
                  f"{round(512 * 0.15)} positions")


def test_lesson_21_minilm_size():
    text = lesson_text("21")
    weights = minilm_weights()
    total = sum(w.size for w in weights.values())
    assert f"{total / 1e6:.1f} million" in text
    assert weights["embeddings.word_embeddings.weight"].shape == (30_522, 384)


def shingles(sentence: str, n: int = 3) -> set[str]:
    words = sentence.split()
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b)


def test_lesson_22_dedup_and_token_counts():
    text = lesson_text("22")
    a = shingles("the cat sat on the mat today")
    b = shingles("the cat sat on the mat yesterday")
    c = shingles("a dog slept on the mat today")
    assert (len(a & b), len(a | b), len(a & c), len(a | c)) == (4, 6, 2, 8)
    assert_states("22", f"{jaccard(a, b):.3f}", f"{jaccard(a, c):.2f}")
    chars, words, tokens = 328, 58, 73  # the paragraph tokenized in test_smollm2_examples
    assert_states("22", f"{chars / tokens:.2f}", f"{words / tokens:.2f}")
    years = 15e12 * words / tokens / 200 / 60 / 24 / 365
    assert f"{round(years, -3):,.0f} years" in text
    assert f"{15e12 * chars / tokens / 1e12:.0f} terabytes" in text


def test_lesson_27_preference_losses():
    margin = 0.1 * ((-12 + 13) - (-15 + 14))
    values = [sigmoid(1.5), -math.log(sigmoid(1.5)), -math.log(sigmoid(margin)), math.log(2),
              sigmoid(-margin), sigmoid(-2), -math.log(sigmoid(-2)), -math.log(sigmoid(0.7)),
              sigmoid(-0.7)]
    assert_states("27", *[f"{v:.4f}" for v in values])
    assert (math.comb(4, 2), math.comb(9, 2)) == (6, 36)


CHAT_PROMPT = ("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by "
               "Hugging Face<|im_end|>\n<|im_start|>user\n"
               "What is the capital of France?<|im_end|>\n<|im_start|>assistant\n")
CHAT_REPLY = "The capital of France is Paris.<|im_end|>"
SAMPLE = ("Every model in this course is built from the same block: attention, an MLP, residual "
          "connections and norms. Yet BERT, which powers search engines, and GPT, which writes "
          "essays, behave very differently. The difference is not in the block. It is in which "
          "tokens each token may look at, and in what the model is trained to predict.")


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def test_smollm2_examples():
    """Lesson 22's token counts and lesson 26's SFT loss, recomputed on the real model."""
    smollm2 = models().smollm2()
    assert (len(SAMPLE), len(SAMPLE.split()), len(smollm2.encode(SAMPLE))) == (328, 58, 73)
    text = lesson_text("26")
    prompt, reply = smollm2.encode(CHAT_PROMPT), smollm2.encode(CHAT_REPLY)
    assert (len(prompt), len(reply)) == (37, 8)
    logits, _ = smollm2.forward(prompt + reply)
    lp = log_softmax(np.asarray(logits, dtype=np.float64))
    ids = prompt + reply
    nll = [-lp[i - 1, ids[i]] for i in range(1, len(ids))]
    reply_nll = nll[len(prompt) - 1:]
    row = " | ".join(f"{math.exp(-v):.2f}" for v in reply_nll)
    assert row in text
    assert f"{np.mean(reply_nll):.2f} nats" in text and f"would be {np.mean(nll):.2f}" in text
    bare = np.exp(log_softmax(np.asarray(smollm2.next_logits(smollm2.encode(
        "What is the capital of France?")), dtype=np.float64)))
    top = np.argsort(-bare)[:2]
    assert smollm2.token_text(int(top[0])) == "<|im_end|>"
    assert_states("26", f"probability {bare[top[0]]:.2f}", f"newline ({bare[top[1]]:.2f})")
