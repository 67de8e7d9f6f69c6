"""Spoken maths for notation found while writing the lessons."""

import pytest

from app.narration.maths import speak_latex


@pytest.mark.parametrize(("latex", "spoken"), [
    (r"2{,}362{,}368", "2362368"),
    (r"\lVert a \rVert", "the norm of a"),
    (r"\frac{a \cdot b}{\lVert a \rVert \lVert b \rVert}",
     "a times b over the norm of a times the norm of b"),
    (r"\frac{\partial L}{\partial w}", "partial L over partial w"),
])
def test_lesson_notation_is_spoken_in_words(latex, spoken):
    assert speak_latex(latex) == spoken
