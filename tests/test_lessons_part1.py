"""Part 1 lessons (01–08): every worked example is recomputed here with NumPy.

Each test recomputes a number from the inputs the lesson states and asserts that
the lesson prints it, formatted as the lesson formats it. Real-model figures are
recomputed with the course's own engines (MiniLM, SmolLM2-135M).
"""

import math
from pathlib import Path

import numpy as np
import pytest

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
PART1 = ["01", "02", "03", "04", "05", "06", "07", "08"]


def lesson(module_id: str) -> str:
    """The full text (front matter and body) of ``lessons/<id>-*.md``."""
    (path,) = LESSONS.glob(f"{module_id}-*.md")
    return path.read_text(encoding="utf-8")


def softmax(z, temperature: float = 1.0) -> np.ndarray:
    s = np.asarray(z, dtype=np.float64) / temperature
    e = np.exp(s - s.max())
    return e / e.sum()


def entropy_bits(p) -> float:
    p = np.asarray(p)[np.asarray(p) > 0]
    return float(-(p * np.log2(p)).sum())


def fmt(values, digits: int) -> str:
    """``[0.5630, 0.2071]`` formatting, as the lessons print vectors."""
    return "[" + ", ".join(f"{v:.{digits}f}" for v in values) + "]"


def assert_in(text: str, *needles: str) -> None:
    for needle in needles:
        assert needle in text, f"lesson does not contain {needle!r}"


@pytest.mark.parametrize("module_id", PART1)
def test_lesson_exists_and_parses(module_id):
    from app.content.loader import parse_lesson

    (path,) = LESSONS.glob(f"{module_id}-*.md")
    parsed = parse_lesson(path)
    assert 1000 <= parsed.word_count <= 2500
    assert len(parsed.meta.practice) >= 3
    assert {p.level for p in parsed.meta.practice} >= {"easy", "medium", "hard"}
    assert parsed.html.count('class="callout callout-try"') >= 2


# --- 01 What a language model does ---------------------------------------------


def test_01_toy_next_token_distribution():
    text = lesson("01")
    z = [2.0, 1.0, 0.5, 0.0, -1.0]
    p = softmax(z)
    assert_in(text, fmt(np.exp(z), 4), f"sum ${np.exp(z).sum():.4f}$", fmt(p, 4))
    cum = np.cumsum(p)
    assert_in(text, f"$[0, {cum[0]:.4f})$", f"$[{cum[0]:.4f}, {cum[1]:.4f})$")
    assert cum[0] <= 0.70 < cum[1]  # u = 0.70 picks "floor"
    surprise = -np.log2(p)
    assert_in(text, *(f"{s:.3f}" for s in surprise))
    assert_in(text, f"{entropy_bits(p):.3f}$ bits", f"{math.log2(5):.3f}$ bits")
    two = p[0] * 0.80
    assert_in(text, f"= {two:.4f}$", f"{-math.log2(0.8):.3f} = {-math.log2(two):.3f}$ bits")


def test_01_practice():
    text = lesson("01")
    assert_in(text, fmt(softmax([1, 0, -1]), 3), f"${np.exp([1, 0, -1]).sum():.4f}$")
    assert 0.5 * 0.25 * 0.125 == 1 / 64
    assert 0.6 * 0.4 < 0.4 * 0.9
    assert_in(text, "0.6 \\times 0.4 = 0.24", "0.4 \\times 0.9 = 0.36")
    assert_in(text, f"about {math.log2(49152):.1f} bits")


def test_01_real_model_table():
    from app.engine.smollm2 import load_smollm2

    text = lesson("01")
    model = load_smollm2()
    for prompt in ("The capital of France is", "Once upon a time, there was a little"):
        logits, _ = model.forward(model.encode(prompt))
        p = softmax(np.asarray(logits[-1], dtype=np.float64))
        row = next(line for line in text.splitlines() if line.startswith(f"| {prompt} |"))
        for i in np.argsort(-p)[:5]:
            cell = f"␣{model.token_text(int(i)).lstrip()} {100 * p[i]:.1f}%"
            assert cell in row, f"{cell!r} not in {row!r}"
    assert 1 - 0.383 > 0.60


# --- 03 Vectors ----------------------------------------------------------------


def test_03_worked_example():
    text = lesson("03")
    a, b, c = np.array([3.0, 4.0]), np.array([4.0, 3.0]), np.array([-4.0, 3.0])
    cos_ab = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    assert (a @ b, a @ c, a @ -a, (2 * a) @ b) == (24, 0, -25, 48)
    assert_in(text, f"{cos_ab:.2f}", f"{math.degrees(math.acos(cos_ab)):.2f}°")
    e = np.array([[2.0, 1, 0], [1, 2, 0], [0, 1, 3]])
    gram = e @ e.T
    assert gram.tolist() == [[5, 4, 1], [4, 5, 2], [1, 2, 10]]
    norms = np.linalg.norm(e, axis=1)
    assert_in(text, *(f"{n:.4f}" for n in norms))
    cos = gram / np.outer(norms, norms)
    assert_in(text, f"cat–kitten {cos[0, 1]:.3f}", f"cat–car {cos[0, 2]:.3f}",
              f"kitten–car {cos[1, 2]:.3f}")
    stretched = np.array([0.0, 3, 9])
    assert e[1] @ stretched == 6
    assert math.isclose(e[1] @ stretched / (norms[1] * np.linalg.norm(stretched)), cos[1, 2])


def test_03_random_dot_products_scale_with_sqrt_d():
    text = lesson("03")
    rng = np.random.default_rng(0)
    for d in (2, 64, 384):
        x, y = rng.standard_normal((20000, d)), rng.standard_normal((20000, d))
        assert_in(text, f"{(x * y).sum(axis=1).std():.2f}")
    assert_in(text, f"{math.sqrt(384):.2f}", f"$\\sqrt{{d}} = {math.sqrt(2):.2f}$")


def test_03_practice():
    text = lesson("03")
    a, b = np.array([1.0, 2, 2]), np.array([2.0, 0, 1])
    cos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    assert_in(text, f"{cos:.3f}", f"{math.degrees(math.acos(cos)):.1f}°")
    assert_in(text, f"{math.sqrt(384):.1f}")


def test_03_minilm_sentence_similarity():
    from app.engine.minilm import load_minilm

    text = lesson("03")
    model = load_minilm()
    sentences = ["The cat sat on the mat.", "A kitten rested on the rug.",
                 "Stock prices fell sharply today."]
    e = np.stack([model.encode(s).sentence_embedding() for s in sentences])
    sims = e @ e.T
    assert_in(text, f"score {sims[0, 1]:.3f}", f"score {sims[0, 2]:.3f}")


# --- 04 Softmax and temperature ------------------------------------------------


def test_04_worked_example():
    text = lesson("04")
    z = np.array([3.2, 1.0, 0.2, -1.5])
    assert_in(text, fmt(np.exp(z), 4), f"{np.exp(z).sum():.4f}")
    for temperature, digits in ((1, 4), (0.5, 4), (2, 4)):
        p = softmax(z, temperature)
        assert_in(text, fmt(p, digits), f"{entropy_bits(p):.3f}$ bits")
    assert_in(text, f"{math.exp(4.7):.1f}", f"{math.exp(2.35):.1f}")
    e = np.exp([0, -1, -2])
    assert_in(text, fmt(softmax([1000, 999, 998]), 4), f"[1, {e[1]:.4f}, {e[2]:.4f}]")
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp([1000.0, 999, 998]) / np.exp([1000.0, 999, 998]).sum()
    assert np.isnan(naive).all()


def test_04_overflow_limits():
    text = lesson("04")
    assert_in(text, f"{math.log(np.finfo(np.float64).max):.1f}",
              f"{math.log(np.finfo(np.float32).max):.1f}",
              f"{math.log(float(np.finfo(np.float16).max)):.1f}")


def test_04_temperature_limits_and_practice():
    text = lesson("04")
    z = np.array([3.2, 1.0, 0.2, -1.5])
    assert softmax(z, 0.1)[-1] == pytest.approx(math.exp(-47), rel=1e-6)
    assert entropy_bits(softmax(z, 100)) < 2 and entropy_bits(softmax(z, 5)) > 1.9
    sigma = 1 / (1 + math.exp(-2))
    assert_in(text, fmt(softmax([2, 0]), 3), f"\\sigma(2) = 1/(1 + e^{{-2}}) = {sigma:.3f}")
    assert np.allclose(softmax([102, 100]), softmax([2, 0]))
    assert np.allclose(softmax([5, 5, 1], 0.01), [0.5, 0.5, 0])
