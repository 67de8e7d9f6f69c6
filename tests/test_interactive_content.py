"""Inline widgets, set-up links and checkpoints: the directive parser, the checks that
name file and line, and answers computed by the widget's own code."""

import json
import math

import numpy as np
import pytest

from app.content.directives import (
    DirectiveError,
    follow,
    holds,
    parse_answer_path,
    query_string,
)
from app.content.interactive import interactive_problems
from app.content.loader import load_course
from app.content.markdown import make_markdown, render_body
from app.content.problems import LessonError
from app.engine import Models
from app.widgets import registry
from app.widgets.checkpoints import CheckpointError, evaluate
from tests.lesson_factory import (
    VALID,
    filler,
    interactive_body,
    lesson_folder,
    write_lesson,
)

SPECS = registry()


def render(text: str):
    return render_body(make_markdown(), text)


def test_widget_fence_becomes_a_slot_with_its_params_and_line():
    text = "Intro.\n\n```widget qkv #double-q\nq: \"2,0,2,0\"\n```\n\nAfter.\n"
    html, _tokens, out = render(text)
    [piece] = out.pieces
    assert (piece.name, piece.anchor, piece.params, piece.line) == (
        "qkv", "w-double-q", {"q": "2,0,2,0"}, 3)
    assert "<!--piece:0-->" in html and "q:" not in html
    assert html.index("Intro") < html.index("<!--piece:0-->") < html.index("After")


def test_same_widget_twice_gets_numbered_anchors():
    _, _, out = render("```widget softmax\n```\n\n```widget softmax\ntemperature: 2\n```\n")
    assert [p.anchor for p in out.pieces] == ["w-softmax-1", "w-softmax-2"]
    assert out.pieces[1].params == {"temperature": 2}


def test_setup_link_targets_the_widget_above_and_carries_merged_params():
    text = ("```widget softmax #a\nlogits: \"1,2\"\n```\n\n```widget softmax #b\n```\n\n"
            "[Cool it](setup:temperature=0.1) and [back to a](setup:#a?temperature=3)\n")
    html, _, out = render(text)
    first, second = out.setups
    assert first.target == "w-b" and first.params == {"temperature": "0.1"}
    assert second.target == "w-a" and second.params == {"logits": "1,2", "temperature": "3"}
    assert 'data-setup-for="w-a"' in html and 'class="setup-link"' in html
    # Without JavaScript the button is a link to the same state on the playground.
    assert 'href="/playground/softmax?logits=1,2&amp;temperature=3"' in html
    assert json.loads('{"logits": "1,2", "temperature": "3"}') == second.params


def test_setup_link_spaces_and_forward_reference():
    text = "[Try it](setup:sentence=The+trophy+did+not+fit)\n\n```widget attention\n```\n"
    _, _, out = render(text)
    assert out.setups[0].params["sentence"] == "The trophy did not fit"
    assert out.setups[0].target == "w-attention-1"


@pytest.mark.parametrize(("text", "line", "words"), [
    ("\n\n```widget\n```\n", 3, "name the widget"),
    ("```widget softmax #bad_anchor!\n```\n", 1, "letters, digits"),
    ("```widget softmax\n- a list\n```\n", 1, "YAML mapping"),
    ("```widget softmax\nq: [unclosed\n```\n", 1, "invalid YAML"),
    ("[x](setup:temperature=1)\n", 1, "no widget on the page"),
    ("```widget softmax\n```\n\n[x](setup:#nope?temperature=1)\n", 4, "no widget '#nope'"),
    ("```widget softmax\n```\n\n[x](setup:)\n", 4, "give parameters"),
    ("```checkpoint\nwidget: softmax\n```\n", 1, "'ask' (the question) is missing"),
    ("```checkpoint\nask: Q?\nanswr: x\n```\n", 1, "unknown key(s) answr"),
    ("```widget softmax #a\n```\n```widget softmax #a\n```\n", 3, "used twice"),
])
def test_malformed_directives_name_their_line(text, line, words):
    with pytest.raises(DirectiveError) as info:
        render(text)
    assert info.value.line == line and words in str(info.value)


def test_other_fences_stay_code():
    html, _, out = render("```python\nx = 1\n```\n")
    assert out.pieces == [] and "<code" in html


def test_answer_paths_and_conditions():
    result = {"top": [{"token": " Paris", "p": 0.5}], "weights": [[0.1, 0.9]]}
    assert parse_answer_path("top[0].token") == ["top", 0, "token"]
    assert follow(result, "top[0].token") == " Paris"
    assert follow(result, "weights[-1][1]") == 0.9
    with pytest.raises(ValueError, match="no 'x'"):
        follow(result, "top[0].x")
    with pytest.raises(ValueError):
        parse_answer_path("top[0")
    assert holds('== " Paris"', " Paris") and not holds('== "Paris"', " Paris")
    assert holds("> 0.5", 0.6) and not holds("> 0.5", 0.5) and holds("<= 0.5", 0.5)
    assert holds("== 0.665", 0.6652, tolerance=0.001) and not holds("== 0.665", 0.67, 0.001)
    with pytest.raises(ValueError, match="compares a number"):
        holds("> 1", "text")


def test_query_string_keeps_lists_and_booleans_readable():
    # A list parameter repeats its key (as a form with several boxes of one name sends it).
    state = {"q": ["1", "0"], "scaled": False, "t": 0.5}
    assert query_string(state) == "q=1&q=0&scaled=false&t=0.5"
    assert query_string({"q": ["1,0,1,0"], "others": "0,1;1,0"}) == "q=1,0,1,0&others=0,1;1,0"


def _checkpoint(text: str):
    _, _, out = render(text)
    return out.pieces[0]


def test_computed_checkpoint_matches_an_independent_softmax():
    cp = _checkpoint("""```checkpoint
ask: "First probability at T = 0.5?"
widget: softmax
params: {temperature: 0.5}
answer: probabilities[0]
tolerance: 0.001
```
""")
    answer = evaluate(cp, SPECS, None)
    logits = np.array([3.2, 1.0, 0.2, -1.5]) / 0.5
    expected = math.exp(logits[0]) / np.exp(logits).sum()
    assert answer.value == pytest.approx(expected, abs=1e-9) and answer.correct is None


def test_choice_checkpoint_picks_the_choice_that_holds():
    cp = _checkpoint("""```checkpoint
ask: Q?
widget: softmax
params: {temperature: 0.5}
answer: argmax
choices:
  - {text: token 2, when: "== 1"}
  - {text: token 1, when: "== 0"}
```
""")
    assert evaluate(cp, SPECS, None).correct == 1


@pytest.mark.parametrize(("body", "words"), [
    ("widget: nope\nanswer: x\n", "unknown widget 'nope'"),
    ("widget: softmax\nanswer: nope\ntolerance: 1\n", "no 'nope'"),
    ("widget: softmax\nparams: {temperature: 0}\nanswer: argmax\ntolerance: 1\n",
     "greater than or equal to 0.01"),
    ("widget: softmax\nanswer: argmax\n", "needs a 'tolerance'"),
    ("widget: softmax\nanswer: argmax\nchoices:\n  - {text: a, when: '>= 0'}\n"
     "  - {text: b, when: '<= 0'}\n", "exactly one choice must hold"),
    ("choices:\n  - {text: a}\n  - {text: b}\n", "exactly one 'correct: true'"),
])
def test_checkpoints_that_cannot_be_answered_say_why(body, words):
    cp = _checkpoint(f"```checkpoint\nask: Q?\n{body}```\n")
    with pytest.raises(CheckpointError, match=words.replace("(", r"\(").replace(")", r"\)")):
        evaluate(cp, SPECS, None)


def _load(tmp_path, body: str, front: dict | None = None):
    folder = lesson_folder(tmp_path)
    path = write_lesson(folder, "03-vectors.md", {**VALID, **(front or {})}, body)
    return folder, path


def line_of(path, prefix: str, nth: int = 1) -> int:
    """The file line (1-based) of the nth line starting with ``prefix``."""
    hits = [i for i, line in enumerate(path.read_text().splitlines(), 1)
            if line.startswith(prefix)]
    return hits[nth - 1]


def test_a_good_interactive_lesson_has_no_problems(tmp_path):
    # 1,100 words of prose (6 minutes at 200 a minute) and 3 pieces: 9 minutes.
    folder, _ = _load(tmp_path, interactive_body(), {"minutes": 9})
    index = load_course(folder, tmp_path / "audio", SPECS)
    lesson = index.get("03").lesson
    assert [p.kind for p in lesson.pieces] == ["widget", "checkpoint", "checkpoint"]
    # "Intro" (the heading) and 10 words of prose come before the widget.
    assert lesson.first_piece_at == pytest.approx(11 / lesson.word_count)
    assert interactive_problems(index, SPECS, Models()) == []


@pytest.mark.parametrize(("body", "at", "words"), [
    ("```widget nope\n```\n", "```", "unknown widget 'nope'"),
    ("```widget softmax\ntemperature: 0\n```\n", "```", "rejects its parameters: temperature"),
    ("```widget softmax\n```\n\n[x](setup:temperature=hot)\n", "[x]",
     "set-up link for 'softmax' is invalid: temperature"),
    ("```checkpoint\nask: Q?\n```\n", "```", "checkpoint without an answer"),
])
def test_start_up_checks_name_file_and_line(tmp_path, body, at, words):
    folder, path = _load(tmp_path, "Intro.\n\n" + body)
    with pytest.raises(LessonError) as info:
        load_course(folder, tmp_path / "audio", SPECS)
    assert f"{path}: line {line_of(path, at)}:" in str(info.value)
    assert words in str(info.value)


def test_front_matter_must_list_the_inline_widgets(tmp_path):
    folder, path = _load(tmp_path, "```widget qkv\n```\n", {"widgets": ["softmax"]})
    with pytest.raises(LessonError, match="must list exactly the widgets placed inline: qkv"):
        load_course(folder, tmp_path / "audio", SPECS)


def test_check_reports_late_first_piece_few_checkpoints_and_word_band(tmp_path):
    body = ("## Intro\n\n" + filler(400) + "\n\n" + "```widget softmax\n```\n\n" + filler(100))
    folder, path = _load(tmp_path, body)
    index = load_course(folder, tmp_path / "audio", SPECS)
    problems = [str(p) for p in interactive_problems(index, SPECS, Models())]
    # 401 of 501 words ("Intro" included) come before the widget.
    assert (f"{path}: line {line_of(path, '```widget')}: the first interactive piece comes "
            "after 80% of the prose; move one within the first 20%") in problems
    assert f"{path}: body: 0 checkpoint(s); a lesson needs at least 2" in problems
    assert f"{path}: body: 501 words of prose; the band is 1,000–2,500" in problems


def test_check_reports_minutes_that_break_the_rule(tmp_path):
    folder, path = _load(tmp_path, interactive_body(), {"minutes": 20})
    index = load_course(folder, tmp_path / "audio", SPECS)
    words = index.get("03").lesson.word_count
    problems = [str(p) for p in interactive_problems(index, SPECS, Models())]
    assert problems == [f"{path}: minutes: is 20; the rule gives {math.ceil(words / 200) + 3} "
                        f"(⌈{words:,} words / 200⌉ + 3 interactive pieces)"]


def test_check_reports_a_checkpoint_whose_answer_is_wrong(tmp_path):
    body = interactive_body().replace('when: "> 0.9"', 'when: "> 0.99"')
    folder, path = _load(tmp_path, body, {"minutes": 9})
    index = load_course(folder, tmp_path / "audio", SPECS)
    [problem] = interactive_problems(index, SPECS, Models())
    assert str(problem).startswith(f"{path}: line ")
    assert "exactly one choice must hold" in str(problem)


def test_thousands_separator_renders_as_one_number():
    html, _, _ = render("Vocabulary $(49{,}152 \\times 576)$ and $1{,}234{,}567$.\n")
    assert "<mn>49,152</mn>" in html and "<mn>1,234,567</mn>" in html
    assert "<mo>&#x0002C;</mo>" not in html


def test_copyright_sign_is_not_typeset():
    html, _, _ = render("Options (a), (b) and (c) are wrong.\n")
    assert "(c)" in html and "©" not in html


def test_narration_speaks_a_widget_briefly_and_a_checkpoint_without_its_answer(tmp_path):
    from app.narration.script import build_script

    folder, _ = _load(tmp_path, interactive_body())
    lesson = load_course(folder, tmp_path / "audio", SPECS).get("03").lesson
    script = build_script(lesson)
    spoken = [s.text for s in script.sentences]
    assert f"The page shows a live playground here: {SPECS['softmax'].title}." in spoken
    assert "Checkpoint: make a prediction." in spoken
    assert "At temperature 0.5, is the first probability above 0.9?" in spoken
    text = script.text
    # Never the answer, the choices' feedback or the explanation.
    assert "Halving the temperature" not in text and "doubles the gaps" not in text
    assert "Non-negative numbers" not in text and "1.3, not 1" not in text
    # Each piece's sentences point at the piece on the page (the player highlights it).
    anchors = {s.anchor for s in script.sentences}
    assert {"p0", "p1", "p2"} <= anchors
