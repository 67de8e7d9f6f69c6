"""Part 1 lessons (01–08): the interactive pieces (inline widgets, set-up links, checkpoints).

Independently of ``python -m app check``, these tests hold each lesson to the shape of
docs/writing-lessons.md ("Interactive pieces"): the first piece comes within the first
fifth of the prose, every widget and set-up link is accepted by the widget's params
model, every checkpoint's answer is computed by the widget it names and exactly one
choice holds for it, and every "Try this" box carries a set-up link.
"""

import re

import pytest

from app.content.directives import follow, holds
from tests.lesson_support import widget
from tests.lesson_text import parsed_lesson as parsed

PART1 = ["01", "02", "03", "04", "05", "06", "07", "08"]


@pytest.mark.parametrize("module_id", PART1)
def test_first_piece_is_early_and_widgets_are_indexed(module_id):
    lesson = parsed(module_id)
    assert lesson.first_piece_at is not None and lesson.first_piece_at <= 0.2
    order: list[str] = []
    for piece in lesson.pieces:
        if piece.kind == "widget" and piece.name not in order:
            order.append(piece.name)
    assert list(lesson.meta.widgets) == order


@pytest.mark.parametrize("module_id", PART1)
def test_widgets_and_setups_are_valid(module_id):
    lesson = parsed(module_id)
    for piece in lesson.pieces:
        if piece.kind == "widget":
            widget(piece.name, **piece.params)
    for setup in lesson.setups:
        widget(setup.name, **setup.params)


@pytest.mark.parametrize("module_id", PART1)
def test_checkpoints_have_exactly_one_right_answer(module_id):
    checkpoints = [p for p in parsed(module_id).pieces if p.kind == "checkpoint"]
    assert len(checkpoints) >= 2
    for cp in checkpoints:
        assert cp.why, cp.anchor
        if cp.widget is None:  # conceptual: one choice marked correct
            assert sum(c.correct for c in cp.choices) == 1, cp.anchor
            assert all(c.feedback for c in cp.choices if not c.correct), cp.anchor
            continue
        value = follow(widget(cp.widget, **cp.params), cp.answer)
        if not cp.choices:
            assert cp.tolerance is not None and isinstance(value, (int, float)), cp.anchor
            continue
        right = [c for c in cp.choices if holds(c.when, value)]
        assert len(right) == 1, (cp.anchor, value, [c.text for c in right])
        assert all(c.feedback for c in cp.choices if c is not right[0]), cp.anchor


@pytest.mark.parametrize("module_id", PART1)
def test_every_try_box_has_a_setup_link(module_id):
    body = parsed(module_id).body
    boxes = re.findall(r"^::: try\n(.*?)^:::$", body, flags=re.S | re.M)
    assert boxes
    for box in boxes:
        assert "](setup:" in box, box[:80]
