"""Part 1 lessons (01–08): every worked example is recomputed here with NumPy.

Each test recomputes a number from the inputs the lesson states and asserts that
the lesson prints it, formatted as the lesson formats it. Real-model figures are
recomputed with the course's own engines (MiniLM, SmolLM2-135M).
"""

import math

import numpy as np
import pytest

from tests.lesson_support import minilm_weights, models, smollm2_gguf, softmax, vector
from tests.lesson_text import assert_states, lesson_text, parsed_lesson

PART1 = ["01", "02", "03", "04", "05", "06", "07", "08"]


def entropy_bits(p) -> float:
    p = np.asarray(p)[np.asarray(p) > 0]
    return float(-(p * np.log2(p)).sum())


@pytest.mark.parametrize("module_id", PART1)
def test_lesson_exists_and_parses(module_id):
    parsed = parsed_lesson(module_id)
    assert 1000 <= parsed.word_count <= 2500
    assert len(parsed.meta.practice) >= 3
    assert {p.level for p in parsed.meta.practice} >= {"easy", "medium", "hard"}
    assert parsed.html.count('class="callout callout-try"') >= 2


# --- 01 What a language model does ---------------------------------------------


def test_01_toy_next_token_distribution():
    z = [2.0, 1.0, 0.5, 0.0, -1.0]
    p = softmax(z)
    assert_states("01", vector(np.exp(z), 4), f"sum ${np.exp(z).sum():.4f}$", vector(p, 4))
    cum = np.cumsum(p)
    assert_states("01", f"$[0, {cum[0]:.4f})$", f"$[{cum[0]:.4f}, {cum[1]:.4f})$")
    assert cum[0] <= 0.70 < cum[1]  # u = 0.70 picks "floor"
    surprise = -np.log2(p)
    assert_states("01", *(f"{s:.3f}" for s in surprise))
    assert_states("01", f"{entropy_bits(p):.3f}$ bits", f"{math.log2(5):.3f}$ bits")
    two = p[0] * 0.80
    assert_states("01", f"= {two:.4f}$", f"{-math.log2(0.8):.3f} = {-math.log2(two):.3f}$ bits")


def test_01_practice():
    assert_states("01", vector(softmax([1, 0, -1]), 3), f"${np.exp([1, 0, -1]).sum():.4f}$")
    probs = [0.5, 0.25, 0.125]
    bits = [-math.log2(q) for q in probs]
    assert_states("01", " + ".join(f"(-\\log_2 {q:g})" for q in probs[1:]),
                  f"= {' + '.join(f'{b:g}' for b in bits)} = {sum(bits):g}$ bits",
                  f"-\\log_2(1/{round(1 / math.prod(probs))}) = {-math.log2(math.prod(probs)):g}$")
    ordered, swapped = 0.6 * 0.4, 0.4 * 0.9
    assert ordered < swapped
    assert_states("01", f"0.6 \\times 0.4 = {ordered:.2f}", f"0.4 \\times 0.9 = {swapped:.2f}")
    assert_states("01", f"about {math.log2(49152):.1f} bits")


def test_01_real_model_table():
    text = lesson_text("01")
    model = models().smollm2()
    for prompt in ("The capital of France is", "Once upon a time, there was a little"):
        logits, _ = model.forward(model.encode(prompt))
        p = softmax(np.asarray(logits[-1], dtype=np.float64))
        row = next(line for line in text.splitlines() if line.startswith(f"| {prompt} |"))
        top = np.argsort(-p)[:5]
        for i in top:
            cell = f"␣{model.token_text(int(i)).lstrip()} {100 * p[i]:.1f}%"
            assert cell in row, f"{cell!r} not in {row!r}"
        assert_states("01", f"{100 * (1 - p[top].sum()):.1f}%")


def test_01_inline_widget_numbers():
    """The numbers the text quotes next to the inline next-token and softmax widgets."""
    model = models().smollm2()

    def dist(prompt):
        logits, _ = model.forward(model.encode(prompt))
        return np.asarray(logits[-1], dtype=np.float64)

    z = dist("The capital of France is Paris")
    p = softmax(z)
    top = np.argsort(-p)[:2]
    assert [model.token_text(int(i)) for i in top] == [".", ","]
    assert_states("01", f'"." {100 * p[top[0]]:.1f}% and "," {100 * p[top[1]]:.1f}%')
    z = dist("Once upon a time, there was a little")
    cold = softmax(z, 0.5)
    assert_states("01", f"␣girl rises to {100 * np.sort(cold)[-1]:.1f}% and ␣town to "
                  f"{100 * np.sort(cold)[-2]:.1f}%")
    hot = softmax(z, 2)
    assert np.sort(hot)[-1] < 0.03  # "every probability in the top five falls below 3%"
    assert_states("01", f"␣girl drops to about {100 * np.sort(hot)[-1]:.1f}%")
    z = dist("The cat sat on the")
    p = softmax(z)
    top12 = [model.token_text(int(i)) for i in np.argsort(-p)[:12]]
    assert top12[0] == " cat" and " mat" not in top12
    assert_states("01", f"␣cat with only {100 * p.max():.1f}%")
    # softmax widget set-ups: shifting every logit by 10 changes nothing; equal logits
    assert np.allclose(softmax([12, 11, 10.5, 10, 9]), softmax([2, 1, 0.5, 0, -1]))
    assert_states("01", f"{softmax([2, 1, 0.5, 0, -1])[0]:.3f}", f"{math.log2(5):.3f}$ bits")


# --- 03 Vectors ----------------------------------------------------------------


def test_03_worked_example():
    a, b, c = np.array([3.0, 4.0]), np.array([4.0, 3.0]), np.array([-4.0, 3.0])
    cos_ab = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    assert (a @ b, a @ c, a @ -a, (2 * a) @ b) == (24, 0, -25, 48)
    assert_states("03", f"{cos_ab:.2f}", f"{math.degrees(math.acos(cos_ab)):.2f}°")
    e = np.array([[2.0, 1, 0], [1, 2, 0], [0, 1, 3]])
    gram = e @ e.T
    assert gram.tolist() == [[5, 4, 1], [4, 5, 2], [1, 2, 10]]
    norms = np.linalg.norm(e, axis=1)
    assert_states("03", *(f"{n:.4f}" for n in norms))
    cos = gram / np.outer(norms, norms)
    assert_states("03", f"cat–kitten {cos[0, 1]:.3f}", f"cat–car {cos[0, 2]:.3f}",
                  f"kitten–car {cos[1, 2]:.3f}")
    stretched = np.array([0.0, 3, 9])
    assert e[1] @ stretched == 6
    assert math.isclose(e[1] @ stretched / (norms[1] * np.linalg.norm(stretched)), cos[1, 2])


def test_03_random_dot_products_scale_with_sqrt_d():
    rng = np.random.default_rng(0)
    for d in (2, 64, 384):
        x, y = rng.standard_normal((20000, d)), rng.standard_normal((20000, d))
        assert_states("03", f"{(x * y).sum(axis=1).std():.2f}")
    assert_states("03", f"{math.sqrt(384):.2f}", f"$\\sqrt{{d}} = {math.sqrt(2):.2f}$")


def test_03_practice():
    a, b = np.array([1.0, 2, 2]), np.array([2.0, 0, 1])
    cos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    assert_states("03", f"{cos:.3f}", f"{math.degrees(math.acos(cos)):.1f}°")
    assert_states("03", f"{math.sqrt(384):.1f}")


def test_03_minilm_sentence_similarity():
    model = models().minilm()
    sentences = ["The cat sat on the mat.", "A kitten rested on the rug.",
                 "Stock prices fell sharply today."]
    e = np.stack([model.encode(s).sentence_embedding() for s in sentences])
    sims = e @ e.T
    assert_states("03", f"score {sims[0, 1]:.3f}", f"score {sims[0, 2]:.3f}")


def test_03_inline_widget_numbers():
    """The cosines quoted next to the embeddings widget, and the half-length checkpoint."""
    from app.widgets.embeddings import VOCABULARY

    text = lesson_text("03")
    a, b = np.array([1.5, 2.0]), np.array([4.0, 3.0])
    assert a @ b == 12 and a @ b / (np.linalg.norm(a) * np.linalg.norm(b)) == pytest.approx(0.96)
    model = models().minilm()
    table = np.asarray(model.word_embeddings, dtype=np.float64)
    words = [w for w in VOCABULARY if w != "cat"]
    assert len(VOCABULARY) == 341 and "among 341 common words" in text
    cat = table[model.vocab_id("cat")]
    rows = table[[model.vocab_id(w) for w in words]]
    cos = rows @ cat / (np.linalg.norm(rows, axis=1) * np.linalg.norm(cat))
    score = dict(zip(words, cos, strict=True))
    assert words[int(np.argmax(cos))] == "dog"
    assert_states("03", f"*dog* comes first with {score['dog']:.3f}", f"*car* ({score['car']:.3f})",
                  f"*coffee* ({score['coffee']:.3f})", f"*taxi* ({score['taxi']:.3f})",
                  f"*cat* and *coffee* score {score['coffee']:.3f}")


# --- 04 Softmax and temperature ------------------------------------------------


def test_04_worked_example():
    z = np.array([3.2, 1.0, 0.2, -1.5])
    assert_states("04", vector(np.exp(z), 4), f"{np.exp(z).sum():.4f}")
    for temperature, digits in ((1, 4), (0.5, 4), (2, 4)):
        p = softmax(z, temperature)
        assert_states("04", vector(p, digits), f"{entropy_bits(p):.3f}$ bits")
    assert_states("04", f"{math.exp(4.7):.1f}", f"{math.exp(2.35):.1f}")
    e = np.exp([0, -1, -2])
    assert_states("04", vector(softmax([1000, 999, 998]), 4), f"[1, {e[1]:.4f}, {e[2]:.4f}]")
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp([1000.0, 999, 998]) / np.exp([1000.0, 999, 998]).sum()
    assert np.isnan(naive).all()


def test_04_overflow_limits():
    assert_states("04", f"{math.log(np.finfo(np.float64).max):.1f}",
                  f"{math.log(np.finfo(np.float32).max):.1f}",
                  f"{math.log(float(np.finfo(np.float16).max)):.1f}")
    bfloat16_max = (2 - 2**-7) * 2**127  # 8 exponent bits, like float32
    assert f"{math.log(bfloat16_max):.1f}" == f"{math.log(np.finfo(np.float32).max):.1f}"
    assert_states("04", "bfloat16 keeps the 32-bit range")


def test_04_temperature_limits_and_practice():
    z = np.array([3.2, 1.0, 0.2, -1.5])
    assert softmax(z, 0.1)[-1] == pytest.approx(math.exp(-47), rel=1e-6)
    assert entropy_bits(softmax(z, 100)) < 2 and entropy_bits(softmax(z, 5)) > 1.9
    sigma = 1 / (1 + math.exp(-2))
    assert_states("04", vector(softmax([2, 0]), 3), f"\\sigma(2) = 1/(1 + e^{{-2}}) = {sigma:.3f}")
    assert np.allclose(softmax([102, 100]), softmax([2, 0]))
    assert np.allclose(softmax([5, 5, 1], 0.01), [0.5, 0.5, 0])


def test_04_real_model_temperature_table():
    model = models().smollm2()
    logits, _ = model.forward(model.encode("The capital of France is"))
    z = np.asarray(logits[-1], dtype=np.float64)
    assert_states("04", f"about {z.max():.1f}")
    for temperature in (0.5, 1, 2):
        p = softmax(z, temperature)
        top = np.sort(p)[::-1]
        row = f"| {temperature:g} | {100 * top[0]:.1f}% | {100 * top[1]:.1f}% | " \
              f"{100 * top[:10].sum():.1f}% | {entropy_bits(p):.2f} bits |"
        assert_states("04", row)


def test_04_inline_widget_numbers():
    """Numbers quoted next to the inline softmax and next-token widgets and checkpoints."""
    z = np.array([3.2, 1.0, 0.2, -1.5])
    p = softmax(z)
    assert_states("04", f"takes {p[0]:.3f} of the probability", f"still keeps {p[-1]:.3f}",
                  f"$e^{{4.7}} \\approx {math.exp(4.7):.0f}$")
    hot = softmax(z, 5)
    assert_states("04", vector(hot, 3), f"entropy is {entropy_bits(hot):.3f} bits")
    assert np.allclose(softmax(z + 100), p)
    assert_states("04", vector(softmax([1000, 999, 998]), 3))
    doubled = softmax(2 * z)
    assert doubled[0] > 0.86 and np.allclose(doubled, softmax(z, 0.5))
    assert_states("04", f"rises to {doubled[0]:.4f}", f"from {p[0]:.3f} to {softmax(z, 2)[0]:.3f}")
    model = models().smollm2()
    logits, _ = model.forward(model.encode("The capital of France is"))
    zz = np.asarray(logits[-1], dtype=np.float64)
    assert_states("04", f"␣Paris gets {softmax(zz).max():.3f}",
                  f"␣Paris falls to {softmax(zz, 2).max():.3f}")
    gap = np.sort(zz)[-1] - np.sort(zz)[-2]
    assert_states("04", f"$e^{{{gap:.1f}}} \\approx {round(math.exp(gap))}$")


# --- 02 Tokenization -----------------------------------------------------------


def bpe_merges(word_counts: dict[str, int], n: int) -> list[tuple[tuple[str, str], int]]:
    """Sennrich et al.'s Algorithm 1, written independently of app.widgets.bpe."""
    vocab = {tuple(w) + ("</w>",): c for w, c in word_counts.items()}
    merges = []
    for _ in range(n):
        pairs: dict[tuple[str, str], int] = {}
        for symbols, count in vocab.items():
            for pair in zip(symbols, symbols[1:], strict=False):
                pairs[pair] = pairs.get(pair, 0) + count
        best = max(pairs, key=pairs.__getitem__)
        merges.append((best, pairs[best]))
        new = {}
        for symbols, count in vocab.items():
            out, i = [], 0
            while i < len(symbols):
                if symbols[i:i + 2] == best:
                    out.append(best[0] + best[1])
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            new[tuple(out)] = count
        vocab = new
    return merges


def test_02_bpe_merges_table():
    text = lesson_text("02")
    merges = bpe_merges({"low": 5, "lower": 2, "newest": 6, "widest": 3}, 12)
    for step, ((a, b), count) in enumerate(merges[:10], start=1):
        assert f"| {step} | {a} + {b} | {count}" in text, (step, a, b, count)
    (a11, b11), (a12, b12) = (m for m, _ in merges[10:])
    assert_states("02", f"merge 11 is {a11} + {b11} → {a11 + b11}", f"merge 12 is `{a12} + {b12}`")


def test_02_real_tokenizers_and_sizes():
    from app.engine.minilm import load_tokenizer as minilm_tokenizer
    text = lesson_text("02")
    smol, wordpiece = models().smollm2(), minilm_tokenizer()
    assert smol.encode("strawberry") != smol.encode(" strawberry")
    assert smol.encode(" strawberry") == [35199] and "token 35199" in text
    cases = {"strawberry": "st · raw · berry (3)", "unbelievably": "un · belie · v · ably (4)",
             "2024": "2 · 0 · 2 · 4 (4)", "lowest": None}
    for word, cell in cases.items():
        pieces = [smol.token_text(i) for i in smol.encode(word)]
        if cell:
            assert " · ".join(pieces) + f" ({len(pieces)})" == cell and cell in text
    assert [smol.token_text(i) for i in smol.encode("lowest")] == ["low", "est"]
    rows = {"Strawberry": ("St · raw · berry (3)", "strawberry (1)"),
            "Tokenization is fun.": ("Token · ization · ␣is · ␣fun · . (5)",
                                     "token · ##ization · is · fun · . (5)"),
            "naïve café": ("na · ïve · ␣café (3)", "naive · cafe (2)")}
    for source, (bpe_cell, wp_cell) in rows.items():
        pieces = [smol.token_text(i).replace(" ", "␣") for i in smol.encode(source)]
        wp = wordpiece.encode(source).tokens[1:-1]
        assert (" · ".join(pieces) + f" ({len(pieces)})", " · ".join(wp) + f" ({len(wp)})") \
            == (bpe_cell, wp_cell)
        assert f"| `{source}` | {bpe_cell} | {wp_cell} |" in text
    assert len(smol.encode("🙂")) == 2
    assert wordpiece.encode("unbelievably").tokens[1:-1] == ["un", "##bel", "##ie", "##va", "##bly"]
    assert wordpiece.encode("🙂").tokens[1:-1] == ["[UNK]"]
    assert len(smol.encode("How many r are in strawberry?")) == 7
    sentence = ("A language model reads some text and answers one question, over and over: "
                "what token comes next? Tokenization decides what those tokens are.")
    assert (len(sentence), len(sentence.split()), len(smol.encode(sentence))) == (140, 23, 28)
    assert wordpiece.get_vocab_size() == 30522
    smol_total = sum(int(t.n_elements) for t in smollm2_gguf().tensors)
    minilm_total = sum(w.size for name, w in minilm_weights().items()
                       if name != "embeddings.position_ids")  # a buffer, not a parameter
    assert_states("02", f"{49152 * 576:,}", f"{30522 * 384:,}",
                  f"{49152 * 576 / smol_total:.1%}", f"{30522 * 384 / minilm_total:.1%}")


def test_02_inline_widget_claims():
    """What the text says next to the tokenize and bpe widgets and in its checkpoints."""
    text = lesson_text("02")
    smol = models().smollm2()
    assert smol.encode("I like strawberry")[-1] == 35199
    spelled = [smol.token_text(i) for i in smol.encode(" s t r a w b e r r y")]
    assert spelled == [" " + c for c in "strawberry"]
    assert_states("02", "each letter is its own token, ten in all")
    assert smol.encode("Strawberry")[1:] == smol.encode("strawberry")[1:]
    first = smol.encode("Strawberry")[0], smol.encode("strawberry")[0]
    assert_states("02", f"(St is {first[0]}, st is {first[1]})")
    assert [smol.token_text(i) for i in smol.encode("2024")][-1] == "4"
    # BPE on the toy corpus: the first merge, and the words tokenized after ten merges
    merges = bpe_merges({"low": 5, "lower": 2, "newest": 6, "widest": 3}, 10)
    assert merges[0] == (("e", "s"), 9)
    assert "e + s appears 6 + 3 = 9 times" in text and "l + o appears 5 + 2 = 7 times" in text

    def apply(word):
        symbols = list(word) + ["</w>"]
        for (a, b), _ in merges:
            out, i = [], 0
            while i < len(symbols):
                if symbols[i:i + 2] == [a, b]:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            symbols = out
        return symbols

    assert apply("lowest") == ["low", "est</w>"]
    assert apply("newer") == ["new", "e", "r", "</w>"]
    assert apply("slow") == ["s", "low</w>"]
    assert_states("02", "*newer* as new + e + r + `</w>`", "*slow* as s + low`</w>`")


# --- 05 Embeddings -------------------------------------------------------------


def test_05_toy_table_and_analogy():
    table = np.array([[0.9, 0.8, 0.1], [0.9, -0.7, 0.1], [0.1, 0.9, 0.0], [0.1, -0.8, 0.0],
                      [-0.5, 0.0, 0.9]])
    one_hot = np.eye(5)[1]
    assert np.allclose(one_hot @ table, table[1])
    v = table[0] - table[2] + table[3]
    assert_states("05", f"= {vector(v, 1)}$")
    cos = table @ v / (np.linalg.norm(table, axis=1) * np.linalg.norm(v))
    names = ["king", "queen", "man", "woman", "apple"]
    shown = ", ".join(f"{names[i]} {cos[i]:.3f}".replace("-", "−") for i in np.argsort(-cos))
    assert_states("05", shown)


def test_05_real_minilm_numbers():
    from app.widgets import embeddings

    text = lesson_text("05")
    engines = models()
    carbon = "A mole of carbon-12 has a mass of twelve grams."  # sentence 2, as the lesson sets it
    assert f"2. *{carbon}*" in text and f'sentence_2: "{carbon}"' in text
    result = embeddings.compute(embeddings.Params(sentence_2=carbon), engines)
    names = {1: "animal", 2: "chemistry", 3: "skin"}
    for pair in result.pairs:
        cells = " | ".join(f"{c:.3f}" for c in pair.cosine_by_layer)
        assert f"| {pair.a} {names[pair.a]} – {pair.b} {names[pair.b]} | 1.000 | {cells} |" in text
    for word, shown in (("king", 3), ("red", 3)):
        for n in embeddings.neighbours(engines, word, shown):
            assert_states("05", f"*{n.word}* ({n.cosine:.3f})")
    assert_states("05", f"list of {len(embeddings.VOCABULARY)} common words")
    model = engines.minilm()
    table = model.word_embeddings.astype(np.float64)
    unit = table / np.linalg.norm(table, axis=1, keepdims=True)
    for a, b, c in (("king", "man", "woman"), ("cats", "cat", "dog"), ("walked", "walk", "swim"),
                    ("paris", "france", "italy")):
        ids = [model.vocab_id(w) for w in (a, b, c)]
        v = table[ids[0]] - table[ids[1]] + table[ids[2]]
        sims = unit @ (v / np.linalg.norm(v))
        sims[ids] = -np.inf
        best = np.argsort(-sims)[:2]
        words = [model.tokenizer.id_to_token(int(i)) for i in best]
        first, second = (f"{w} ({sims[i]:.3f})" for w, i in zip(words, best, strict=True))
        assert_states("05", f"| {a} − {b} + {c} | {first} | {second} |")


def test_05_inline_widget_numbers():
    """Numbers quoted next to the inline embeddings widgets and checkpoints."""
    from app.widgets import embeddings

    engines = models()
    carbon = "A mole of carbon-12 has a mass of twelve grams."
    base = embeddings.compute(embeddings.Params(sentence_2=carbon), engines)
    first = base.pairs[0].cosine_by_layer
    assert f"{first[0]:.3f}" == "1.000"
    assert_states("05", f"their cosine is down to {first[-1]:.3f}",
                  f"chemistry pair's {first[-1]:.3f}")
    animal = embeddings.compute(embeddings.Params(
        sentence_2=carbon, sentence_3="A mole popped out of the lawn."), engines)
    assert_states("05", f"sentence 1 is {animal.pairs[1].cosine_by_layer[-1]:.3f}")
    moved = embeddings.compute(embeddings.Params(
        sentence_2="In chemistry, a mole of carbon-12 has a mass of twelve grams."), engines)
    assert f"{moved.pairs[2].cosine_by_layer[0]:.3f}" == "1.000"
    for word, shown in (("paris", 2), ("bank", 1)):
        for n in embeddings.neighbours(engines, word, shown):
            assert_states("05", f"*{n.word}* ({n.cosine:.3f})" if word == "paris"
                          else f"*{n.word}* wins with {n.cosine:.3f}")


# --- 06 Neural network building blocks -----------------------------------------


def gelu(x):
    return x * 0.5 * (1 + math.erf(x / math.sqrt(2)))


def test_06_activation_table():
    xs = [-3, -1, -0.5, 0, 0.5, 1, 3]
    sigmoid = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731

    def row(name, f):
        cells = " | ".join("0" if f(x) == 0 else f"{f(x):.4f}".replace("-", "−") for x in xs)
        return f"| {name} | {cells} |"

    silu = lambda x: x * sigmoid(x)  # noqa: E731
    assert_states("06", row("GELU", gelu), row("tanh", math.tanh), row("SiLU", silu))
    grid = np.linspace(-3, 0, 300001)
    values = grid * 0.5 * (1 + np.vectorize(math.erf)(grid / math.sqrt(2)))
    assert_states("06", f"about $-{-values.min():.3f}$ near $x = {grid[values.argmin()]:.2f}$")


def test_06_xor_hat_and_counts():
    w1, b1, w2 = np.array([[1.0, 1], [1, 1]]), np.array([0.0, -1]), np.array([1.0, -2])
    inputs = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]])
    z = inputs @ w1 + b1
    assert (np.maximum(z, 0) @ w2).tolist() == [0, 1, 1, 0]
    assert (z @ w2).tolist() == [2, 1, 1, 0]  # without the ReLU: wrong on [0, 0]
    soft = [gelu(a) - 2 * gelu(b) for a, b in z]
    assert_states("06", *(f"{v:.4f}" for v in soft))
    relu = lambda x: np.maximum(x, 0)  # noqa: E731
    xs = np.array([-1.5, -1, -0.5, 0, 0.5, 1, 1.5])
    assert (relu(xs + 1) - 2 * relu(xs) + relu(xs - 1)).tolist() == [0, 0, 0.5, 1, 0.5, 0, 0]
    tent = lambda x: 2 * relu(x) - 4 * relu(x - 0.5)  # noqa: E731
    y = np.linspace(0, 1, 4097)
    for k in range(1, 5):
        y = tent(y)
        slopes = np.sign(np.round(np.diff(y), 9))
        assert np.count_nonzero(np.diff(slopes)) + 1 == 2**k
    assert_states("06", f"{384 * 1536 + 1536 + 1536 * 384 + 384:,}", f"{3 * 576 * 1536:,}",
                  f"{30 * 3 * 576 * 1536 / 1e6:.1f} million")
    grid = np.linspace(-6, 6, 120001)
    approx = 0.5 * grid * (1 + np.tanh(math.sqrt(2 / math.pi) * (grid + 0.044715 * grid**3)))
    exact = grid * 0.5 * (1 + np.vectorize(math.erf)(grid / math.sqrt(2)))
    gap = np.abs(exact - approx)
    assert round(gap.max(), 4) == 0.0005 and abs(abs(grid[gap.argmax()]) - 2.7) < 0.05


def test_06_inline_widget_numbers():
    """Values quoted next to the activation plotters and in the checkpoints."""
    assert_states("06", f"= {gelu(-0.75):.4f}$")
    t = math.tanh(-1)
    assert_states("06", f"= {t:.4f}$", f"(-{-t:.4f}) = {-2 * t:.3f}$")
    exact, approx = gelu(-2.7), 0.5 * -2.7 * (1 + math.tanh(math.sqrt(2 / math.pi)
                                                            * (-2.7 + 0.044715 * -2.7 ** 3)))
    assert_states("06", f"exact GELU gives ${exact:.5f}$", f"approximation ${approx:.5f}$")


# --- 07 Learning: loss and gradients --------------------------------------------


def test_07_cross_entropy_step():
    z = np.array([2.0, 1.0, 0.5, 0.0, -1.0])
    p = softmax(z)
    y = np.eye(5)[0]
    loss = -math.log(p[0])
    assert_states("07", f"-\\ln {p[0]:.4f} = {loss:.4f}$ nats ({-math.log2(p[0]):.3f} bits)",
                  f"-\\ln {p[4]:.4f} = {-math.log(p[4]):.4f}$ nats")
    grad = p - y
    assert abs(grad.sum()) < 1e-12
    assert_states("07", vector(grad, 4))
    h = 1e-6
    nudged = z.copy()
    nudged[0] += h
    assert (-math.log(softmax(nudged)[0]) - loss) / h == pytest.approx(grad[0], abs=1e-5)
    stepped = z - grad
    assert_states("07", vector(stepped, 4), vector(softmax(stepped), 4),
                  f"from {loss:.4f} to {-math.log(softmax(stepped)[0]):.4f}")


def test_07_perplexity_and_uniform_loss():
    probs = np.array([0.5, 0.25, 0.8, 0.1])
    losses = -np.log(probs)
    assert_states("07", ", ".join(f"{v:.4f}" for v in losses[:3]) + f" and {losses[3]:.4f}",
                  f"mean {losses.mean():.4f}", f"= {math.exp(losses.mean()):.3f}$")
    assert math.exp(losses.mean()) == pytest.approx(100 ** 0.25)
    assert_states("07", f"$\\ln 49{{,}}152 = {math.log(49152):.2f}$", f"{math.log(49152):.2f} nats")
    assert_states("07", f"$-\\ln 0.25 = {-math.log(0.25):.3f}$", f"{-math.log(0.01):.2f}")


def test_07_backprop_and_learning_rates():
    x, t, w1, w2 = 1.0, 2.0, 1.0, 0.5

    def loss(w1, w2):
        return (w2 * max(0.0, w1 * x) - t) ** 2

    dy = 2 * (w2 * max(0.0, w1 * x) - t)
    g1, g2 = dy * w2 * x, dy * max(0.0, w1 * x)
    assert (loss(w1, w2), dy, g2, g1) == (2.25, -3, -3, -1.5)
    assert (loss(w1 + 1e-6, w2) - loss(w1, w2)) / 1e-6 == pytest.approx(g1, abs=1e-4)
    n1, n2 = w1 - 0.1 * g1, w2 - 0.1 * g2
    assert_states("07", f"$w_1 = {n1:.2f}$, $w_2 = {n2:.1f}$", f"$L = {loss(n1, n2):.4f}$")
    for eta in (0.1, 0.5, 0.9, 1.0, 1.1):
        w, path = 0.0, [0.0]
        for _ in range(5):
            w -= eta * 2 * (w - 3)
            path.append(w)
        cells = " | ".join(f"{round(v, 4):g}".replace("-", "−") for v in path)
        assert_states("07", f"| {eta:.1f} | {cells} |")


def test_07_adam_first_step_is_plus_minus_lr():
    lr, b1, b2, eps = 0.001, 0.9, 0.999, 1e-8
    for g in (1e-4, 3.0, -250.0):
        m, v = (1 - b1) * g, (1 - b2) * g * g
        step = lr * (m / (1 - b1)) / (math.sqrt(v / (1 - b2)) + eps)
        assert step == pytest.approx(math.copysign(lr, g), rel=1e-3)
    assert_states("07", f"$\\eta = {lr:g}$, $\\beta_1 = {b1:g}$, $\\beta_2 = {b2:g}$ and "
                        f"$\\epsilon = 10^{{{math.log10(eps):.0f}}}$",
                  "at the very first step it is exactly $\\pm\\eta$")


def test_07_inline_widget_numbers():
    """Numbers quoted next to the gradient-descent and softmax widgets and checkpoints."""

    def descend(a, b, lr, steps, x, y):
        losses = [a * x * x + b * y * y]
        for _ in range(steps):
            x, y = x - lr * 2 * a * x, y - lr * 2 * b * y
            losses.append(a * x * x + b * y * y)
        return losses, (x, y)

    losses, _ = descend(1, 3, 0.1, 30, -2.5, 1.5)
    assert_states("07", f"The loss falls from {losses[0]:g} to about {losses[-1]:.5f}")
    assert_states("07", f"$1 - 2\\\\eta = {1 - 2 * 1.1:.1f}$")
    _, (x, y) = descend(1, 3, 0.4, 30, -2.5, 1.5)
    assert abs(y) > 1e3  # the lopsided bowl diverges
    assert_states("07", f"$1 - 2 \\\\cdot 3 \\\\cdot 0.4 = {1 - 2 * 3 * 0.4:.1f}$")
    assert_states("07", f"$\\\\eta < 1/b = {1 / 3:.3f}$")
    p = softmax([2, 1, 0.5, 0, -1])
    assert_states("07", f"its probability is {p[0]:.4f} and the loss is $-\\ln {p[0]:.4f} = "
                  f"{-math.log(p[0]):.4f}$")
    moon = np.array([2, 1, 0.5, 0, -1]) - (p - np.eye(5)[4])
    assert_states("07", "logits=" + ",".join(f"{v:.4f}" for v in moon))
    after = softmax(moon)
    assert after[4] > p[4] and after.argmax() == 0  # moon rises, but mat still leads


# --- 08 RNNs and seq2seq -------------------------------------------------------


def test_08_scalar_rnn_table():
    for w_h in (0.5, 1.5):
        h, hs = 0.0, []
        for x in (1, 0, 0, 0):
            h = math.tanh(w_h * h + x)
            hs.append(h)
        local = [w_h * (1 - v * v) for v in hs[1:]]
        assert_states("08", *(f"{v:.4f}" for v in hs + local), f"= {np.prod(local):.4f}$")
    h1 = math.tanh(1)
    assert_states("08", f"0.5 \\times {h1:.4f} = {0.5 * h1:.4f}", f"0.95^3 = {0.95 ** 3:.3f}")


def test_08_powers_and_counts():
    assert_states("08", f"0.5^{{20}} = {0.5 ** 20 * 1e7:.1f} \\times 10^{{-7}}",
                  f"1.5^{{20}} = {round(1.5 ** 20):,}", f"0.95^{{50}} = {0.95 ** 50:.3f}")
    assert_states("08", f"0.9^{{10}} = {0.9 ** 10:.3f}", f"0.9^{{50}} = {0.9 ** 50:.5f}",
                  f"0.9^{{100}} = {0.9 ** 100:.7f}", f"1.1^{{10}} = {1.1 ** 10:.2f}",
                  f"1.1^{{50}} = {1.1 ** 50:.1f}", f"1.1^{{100}} = {round(1.1 ** 100):,}")
    mantissa, exponent = f"{0.5 ** 50:.0e}".split("e")
    assert_states("08", f"0.5^{{50}} \\approx {mantissa} \\times 10^{{{int(exponent)}}}")
    assert_states("08", f"{4 * (1000 * 2000 + 1000):,}", f"{300 * 512 + 512 * 512 + 512:,}")


def test_08_inline_widget_numbers():
    """Values quoted next to the tanh plotter, the additive widget and the checkpoints."""
    from app.widgets import additive

    h = math.tanh(2)
    assert_states("08", f"$h = {h:.3f}$", f"$1 - {h:.3f}^2 = {1 - h * h:.4f}$",
                  f"the slope is {1 - math.tanh(3) ** 2:.4f}", f"tanh gives {math.tanh(1):.4f}")
    # Bahdanau's score v·tanh(W_q q + W_k k), recomputed independently from the defaults
    p = additive.Params()
    q = np.array([float(v) for v in p.q.split(",")])
    keys = np.array([[float(v) for v in row.split(",")] for row in p.keys.split(";")])
    w = np.array([[float(v) for v in row.split(",")] for row in p.wq.split(";")])
    scores = np.tanh(w @ q + keys @ w.T) @ np.ones(3)
    weights = softmax(scores)
    assert_states("08", ", ".join(f"{x:.3f}" for x in weights[:3]) + f" and {weights[3]:.3f}",
                  f"It gets {weights[2]:.3f}")
