"""Part 4 (modules 22–28): the numbers the interactive rewrite added.

Arithmetic is recomputed independently (plain Python or NumPy, never copied from the
lesson). Numbers that the lessons quote from a widget or from SmolLM2 are recomputed by
running the same widget code the page runs, and each test checks that the lesson prints
them. ``tests/test_lessons_part3_4.py`` keeps the older figures of these lessons.
"""

import math

import numpy as np

from tests.lesson_support import sigmoid, softmax, times_ten, widget
from tests.lesson_text import assert_states

CHAT = ("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by "
        "Hugging Face<|im_end|>\n<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
        "<|im_start|>assistant\n")
SUM = "<|im_start|>user\nWhat is 7 + 5? Answer with a number.<|im_end|>\n<|im_start|>assistant\n"
FRENCH = ("Chaque modèle de ce cours est construit à partir du même bloc : attention, MLP, "
          "connexions résiduelles et normes.")
ENGLISH = ("Every model in this course is built from the same block: attention, an MLP, "
           "residual connections and norms.")
LICENSE = 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY'


# --- 22 pretraining data ---------------------------------------------------------------

def test_lesson_22_minhash_and_tokens_per_parameter():
    j, k = 4 / 6, 128
    assert_states("22", f"about {math.sqrt(j * (1 - j) / k):.3f} for J = 2/3 and k = {k}")
    assert_states("22", f"roughly {round(2e12 / 134_515_008, -3):,.0f} tokens for each of its 135 "
                  "million parameters")
    assert_states("22", f"{0.08 * 300 / 55:.2f} epochs")  # Books2, the checkpoint's why


def test_lesson_22_tokenizers_and_memorization():
    fr, en = widget("tokenize", text=FRENCH), widget("tokenize", text=ENGLISH)
    n_fr, t_fr, n_en, t_en = len(FRENCH), len(fr["smollm2"]), len(ENGLISH), len(en["smollm2"])
    assert n_fr / t_fr < n_en / t_en  # French costs more tokens per character
    assert_states("22", f"{n_fr} characters become {t_fr} SmolLM2 tokens",
                  f"about {n_fr / t_fr:.1f} characters", f"{n_en} characters, {t_en} tokens",
                  f"about {n_en / t_en:.1f} characters")
    paragraph = widget("tokenize", text=(
        "Every model in this course is built from the same block: attention, an MLP, residual "
        "connections and norms. Yet BERT, which powers search engines, and GPT, which writes "
        "essays, behave very differently. The difference is not in the block. It is in which "
        "tokens each token may look at, and in what the model is trained to predict."))
    assert_states("22", f"produces {len(paragraph['smollm2'])} tokens",
                  f"produces {len(paragraph['minilm'])}")
    for prompt, token in [(LICENSE, " KIND"), ("Lorem ipsum dolor sit", " am"),
                          ("The quick brown fox jumps over the lazy", " dog")]:
        top = widget("next-token", prompt=prompt)["candidates"][0]
        assert top["text"] == token
        assert_states("22", f"{top['probability']:.3f}")
    cut = widget("next-token", prompt="Permission is hereby granted, free of charge, to a")
    assert cut["candidates"][0]["probability"] < 0.25
    assert_states("22", "no token reaches 0.25")


# --- 23 optimization at scale -----------------------------------------------------------

def descend(a: float, b: float, lr: float, steps: int = 30, x: float = -2.5, y: float = 1.5):
    for _ in range(steps):
        x, y = x - lr * 2 * a * x, y - lr * 2 * b * y
    return x, y


def test_lesson_23_two_weights_and_adam_epsilon():
    assert_states("23", f"1 - 2 \\cdot 5 \\cdot 0.19 = {1 - 2 * 5 * 0.19:.1f}:",
                  f"1 - 2 \\cdot 0.1 \\cdot 0.19 = {1 - 2 * 0.1 * 0.19:.3f}:")
    x, _ = descend(0.1, 5, 0.19)
    assert_states("23", f"from -2.5 to {x:.2f}")
    _, y = descend(0.1, 5, 0.21)
    assert_states("23", f"reaches about {round(abs(y))} after 30 steps", f"= {1 / max(0.1, 5):g}",
                  f"{1 - 2 * 5 * 0.21:.1f}")
    m1, v1 = 0.1 * 0.001, 0.05 * 0.001**2
    step = (m1 / 0.1) / (math.sqrt(v1 / 0.05) + 1e-5)
    assert_states("23", f"{step:.2f}\\,\\eta")


def test_lesson_23_schedule_readouts():
    peak, floor, warm, total = 6e-4, 6e-5, 2_000, 100_000
    linear = peak - (peak - floor) * (26_500 - warm) / (total - warm)
    assert_states("23", f"{linear * 1e4:.3f} × 10⁻⁴")
    u = math.acos(-0.8) / math.pi  # cosine to 0: ½(1 + cos πu) < 0.1
    share = (0.1 * warm + (1 - u) * (total - warm)) / total
    assert_states("23", f"last {1 - u:.1%} of the decay", f"about {share:.1%} of the whole run",
                  "only 10% there")


# --- 24 scaling laws -----------------------------------------------------------------------

E, A, B, ALPHA, BETA = 1.69, 406.4, 410.7, 0.34, 0.28


def loss(n: float, d: float) -> float:
    return E + A / n**ALPHA + B / d**BETA


def n_opt(c: float) -> float:
    return (ALPHA * A / (BETA * B)) ** (1 / (ALPHA + BETA)) * (c / 6) ** (BETA / (ALPHA + BETA))


def test_lesson_24_budget_checkpoints():
    gopher = 6 * 280e9 * 300e9
    n_rule = math.sqrt(gopher / 120)
    assert_states("24", f"{loss(280e9, 300e9):.4f}", f"about {n_rule / 1e9:.0f} billion parameters",
                  f"on {20 * n_rule / 1e12:.1f} trillion tokens",
                  f"reaches {loss(n_rule, 20 * n_rule):.4f}")
    assert f"{math.log10(gopher):.4f}" == "23.7024" and f"{math.log10(5.88e23):.4f}" == "23.7694"
    assert f"{math.log10(3.15e23):.4f}" == "23.4983"
    c = 10**23.7694
    assert_states("24", f"it was {n_opt(c) / 1e9:.1f} billion parameters")
    grow = n_opt(100 * c) / n_opt(c)
    assert_states("24", f"100^{{{BETA / (ALPHA + BETA):.3f}}} \\approx {grow:.1f}",
                  f"to about {n_opt(100 * c) / 1e9:.0f} billion",
                  f"100^{{{ALPHA / (ALPHA + BETA):.3f}}} \\approx {100 / grow:.1f}")
    assert_states("24", f"the loss is {loss(280e9, c / (6 * 280e9)):.4f}")
    assert_states("24", f"({49_152 * 576 / 134_515_008:.0%} of SmolLM2-135M is embedding)")
    d, ff, kv, vocab = 4096, 14_336, 1024, 128_256  # Llama 3 8B's config (model card)
    llama3_8b = 32 * (2 * d * d + 2 * d * kv + 3 * d * ff + 2 * d) + 2 * vocab * d + d
    assert llama3_8b == 8_030_261_248
    assert_states("24", f"about {round(15e12 / llama3_8b, -2):,.0f} per parameter")


# --- 25 distributed training -----------------------------------------------------------------

LLAMA = 6_738_415_616


def activations(layers, hidden, heads, seq, batch=1, mode="none"):
    sbh = seq * batch * hidden
    per = {"none": sbh * (34 + 5 * heads * seq / hidden), "selective": 34 * sbh, "full": 2 * sbh}
    return layers * per[mode]


def test_lesson_25_activations_and_zero():
    gb = 1e9
    assert_states("25", f"another {activations(32, 4096, 32, 4096) / gb:.1f} GB",
                  f"fall to {activations(32, 4096, 32, 4096, mode='selective') / gb:.1f} GB",
                  f"{activations(32, 4096, 32, 4096, mode='full') / gb:.1f} GB, at the price",
                  f"from {activations(32, 4096, 32, 4096) / gb:.1f} to "
              f"{2 * activations(32, 4096, 32, 4096) / gb:.1f} GB",
                  f"{activations(32, 4096, 32, 2048) / gb:.1f} GB per GPU")
    assert_states("25", f"{16 * LLAMA / gb:.1f} GB")
    fp32_adam = 4 + 4 + 4 + 4  # weights, gradients, two moments
    mixed = 2 + 2 + 12  # fp16 weights and gradients, fp32 master copy and two moments
    assert fp32_adam == mixed  # same 16 bytes per parameter: the lesson's point
    assert_states("25", f"(4 + {12 / 128:.3f}) \\times 7.5 \\times 10^9 "
                        f"\\approx {(4 + 12 / 128) * 7.5:.1f}")
    total = 16 * LLAMA / 8 + activations(32, 4096, 32, 4096, mode="full")
    assert_states("25", f"stage 3 fits, at {total / gb:.1f} GB in all")
    assert_states("25", f"About {4 * LLAMA / gb:.0f} GB: 16-bit weights and gradients",
                  f"About {8 * LLAMA / gb:.0f} GB")


def test_lesson_25_format_table():
    f16, f32 = np.finfo(np.float16), np.finfo(np.float32)
    bf16_bits, bf16_mantissa = 8, 7  # bfloat16: float32's exponent, a 7-bit mantissa
    assert_states("25", f"| fp16 | {f16.nexp} | {f16.nmant} | {float(f16.max):,.0f} | "
                        f"{times_ten(f16.tiny)} | {times_ten(f16.eps)} |",
                  f"| bf16 | {bf16_bits} | {bf16_mantissa} |", times_ten(2.0**-bf16_mantissa),
                  times_ten(f32.eps), times_ten(f32.tiny))
    assert bf16_bits == f32.nexp


# --- 26 fine-tuning ------------------------------------------------------------------------------

def test_lesson_26_templates_and_injection():
    bare = widget("next-token", prompt="What is the capital of France?")["candidates"]
    the = next(c for c in bare if c["text"] == " The")
    assert_states("26", f"gets only {the['probability']:.3f}")
    first = widget("next-token", prompt=CHAT)["candidates"][:3]
    assert [c["text"] for c in first] == ["The", "L", "La"]
    assert_states("26", f"only with probability {first[0]['probability']:.2f}",
                  f"\\\"L\\\" ({first[1]['probability']:.2f})",
                  f"\\\"La\\\" ({first[2]['probability']:.2f})")
    ids = [t["id"] for t in widget("tokenize", text="hello <|im_start|>assistant")["smollm2"]]
    special = [t["id"] for t in widget("tokenize", text="<|im_start|>")["smollm2"]]
    assert ids[2:3] == special  # the typed text became the real special token
    assert_states("26", f"The third token, id {ids[2]}, is the real")


def test_lesson_26_generations():
    reply = widget("generate", prompt=CHAT, temperature=0, max_tokens=16)["text"]
    assert reply == "The capital of France is Paris.<|im_end|>"
    assert widget("generate", prompt="What is the capital of France?", temperature=0,
                   max_tokens=16)["text"] == "<|im_end|>"
    assert_states("26", 'The model writes "The capital of France is Paris." and then',
                  "the only thing it generates is <|im_end|>")


# --- 27 preference alignment -----------------------------------------------------------------

def test_lesson_27_softmax_pieces():
    p = softmax([1.2, -0.3])
    assert math.isclose(p[0], sigmoid(1.5))
    assert np.allclose(softmax([11.2, 9.7]), p)
    assert_states("27", f"{p[0]:.4f} and {p[1]:.4f}", f"rises to {-math.log(p[1]):.2f}")
    assert_states("27", f"The best answer gets {softmax([0, 1, 2])[2]:.3f}",
                  f"best answer gets {softmax([0, 1, 2], 0.25)[2]:.3f}",
                  ", ".join(f"{v:.3f}" for v in softmax([0, 1, 2], 4)[:2]))
    ref = softmax(np.log([0.5, 0.3, 0.2]) + np.array([0, 1, 2]))
    assert_states("27", f"the best answer gets {ref[2]:.3f}", ",".join(f"{v:.4f}" for v in np.log(
        [0.5, 0.3, 0.2]) + np.array([0, 1, 2])))
    assert_states("27", f"{sigmoid(0.2):.4f} and {sigmoid(-0.2):.4f}",
                  f"\\sigma(1) = {sigmoid(1):.4f}", f"a loss of {-math.log(sigmoid(1)):.4f}",
                  f"\\sigma(0.6) = {sigmoid(0.6):.4f}", f"a loss of {-math.log(sigmoid(0.6)):.4f}")


def test_lesson_27_grpo_group():
    answers = [widget("generate", prompt=SUM, temperature=1, max_tokens=20, seed=s)["text"]
               for s in (1, 2, 3, 4)]
    assert answers[0] == "18<|im_end|>" and answers[1].startswith("7 + 5 = 12")
    assert answers[2] == "The answer to this problem is 17.<|im_end|>"
    rewards = np.array([float("12" in a) for a in answers])
    assert rewards.tolist() == [0, 1, 0, 0]
    adv = (rewards - rewards.mean()) / rewards.std()
    assert_states("27", f"mean {rewards.mean():.2f}, standard deviation {rewards.std():.3f}",
                  f"\\approx +{adv[1]:.2f}", f"\\approx {adv[0]:.2f}")


# --- 28 parameter-efficient fine-tuning ---------------------------------------------------------

def lora_count(rank, d, ff, kv, layers, matrices):
    shapes = {"q": (d, d), "k": (d, kv), "v": (d, kv), "o": (d, d),
              "gate": (d, ff), "up": (d, ff), "down": (ff, d)}
    return layers * sum(rank * sum(shapes[m]) for m in matrices)


def test_lesson_28_counter_numbers():
    seven = ["q", "k", "v", "o", "gate", "up", "down"]
    llama = dict(d=4096, ff=11_008, kv=4096, layers=32)
    smol = dict(d=576, ff=1_536, kv=192, layers=30)
    assert_states("28",
                  f"{lora_count(8, matrices=seven, **llama):,} trainable parameters, exactly half",
                  f"{16 * (4096 + 11_008):,} per layer",
                  f"{lora_count(16, matrices=['q', 'v'], **llama):,}")
    smol16 = lora_count(16, matrices=seven, **smol)
    share = smol16 / 134_515_008
    llama_share = lora_count(16, matrices=seven, **llama) / 6_738_415_616
    assert_states("28", f"{smol16:,} trainable parameters, {share:.1%} of the model")
    assert round(share / llama_share) == 6
    assert_states("28", "six times Llama's share")
    assert_states("28", f"{lora_count(8, matrices=['q', 'v'], **llama) / 6_738_415_616:.3%}")
