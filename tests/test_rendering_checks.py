"""`python -m app check` names, by file and line, what a reader or listener would see go
wrong: broken maths, LaTeX shown as text, tuple-comma thousands, stray ©, and narration a
voice would misread. Each rule has a failing fixture; the real course passes them all."""

import pytest

from app.content.loader import load_course
from app.content.rendering import narration_text_problems, rendering_problems
from app.narration.script import normalise
from app.widgets import registry
from tests.lesson_factory import VALID, lesson_folder, write_lesson


def problems_for(tmp_path, body: str, front: dict | None = None):
    folder = lesson_folder(tmp_path)
    path = write_lesson(folder, "03-vectors.md", {**VALID, "widgets": [], **(front or {})},
                        body)
    index = load_course(folder, tmp_path / "audio", registry())
    lines = path.read_text().splitlines()
    return path, lines, [str(p) for p in rendering_problems(index)]


def line_of(lines, needle: str) -> int:
    return next(i for i, line in enumerate(lines, 1) if needle in line)


@pytest.mark.parametrize(("body", "needle", "words"), [
    ("Greedy picks $\\arg\\max_i p_i$.\n", "Greedy", "shows as text"),
    ("The vocabulary has $49,152$ rows.\n", "vocabulary",
     "'49,152' renders as a tuple: write 49{,}152"),
    ("The score is\n$$\n\\frac{a}{b}\n$$ with no blank line.\n", "The score",
     "display maths inside a paragraph"),
    ("Plain \\frac{1}{2} in prose.\n", "Plain", "maths left as text"),
])
def test_rendering_problems_name_the_line(tmp_path, body, needle, words):
    path, lines, problems = problems_for(tmp_path, "## Intro\n\n" + body)
    expected = f"{path}: line {line_of(lines, needle)}: "
    assert any(p.startswith(expected) and words in p for p in problems), problems


def test_a_symbol_the_typographer_made_is_reported():
    from app.content.markdown import make_markdown
    from app.content.rendering import token_problems

    source = "Option (c) is wrong.\n"
    md = make_markdown()
    assert token_problems(md.parse(source), source) == []
    md.enable("replacements")  # the rule the course turned off: it makes (c) into ©
    assert token_problems(md.parse(source), source) == [
        (1, "'©' appears, but the source never wrote it")]


def test_copyright_written_in_the_source_is_fine(tmp_path):
    _, _, problems = problems_for(tmp_path, "Options (a), (b) and (c); © 2026 The Authors.\n")
    assert problems == []


def test_front_matter_fields_are_checked_too(tmp_path):
    practice = [{**VALID["practice"][0], "solution": "It is $\\arg\\max$."},
                *VALID["practice"][1:]]
    path, _, problems = problems_for(tmp_path, "## Intro\n\nFine.\n", {"practice": practice})
    assert any(p.startswith(f"{path}: practice.0.solution: '\\arg' shows as text")
               for p in problems), problems


def test_grouped_thousands_render_as_one_number(tmp_path):
    _, _, problems = problems_for(tmp_path, "The vocabulary has $49{,}152$ rows.\n")
    assert problems == []


@pytest.mark.parametrize(("written", "spoken"), [
    ("See Module 04.", "See Module 4."),
    ("Modules 04, 05 and 12a.", "Modules 4, 5 and 12 A."),
    ("It needs 256 MiB and 2 GiB.", "It needs 256 mebibytes and 2 gibibytes."),
    ("About 312 TFLOP/s.", "About 312 TFLOP per second."),
    ("Width (8/3)·d.", "Width (8 over 3)·d."),
    ("Each is 1/6 of it.", "Each is 1 over 6 of it."),
    ("Key/value heads.", "Key and value heads."),
    ("It holds 8d² weights.", "It holds 8d squared weights."),
    ("A rate of 10⁻⁴ works.", "A rate of 10 to the minus 4 works."),
])
def test_narration_speaks_what_a_voice_misreads(written, spoken):
    assert normalise(written) == spoken


def test_narration_check_flags_what_normalisation_missed(tmp_path, monkeypatch):
    import app.narration.script as script

    folder = lesson_folder(tmp_path)
    path = write_lesson(folder, "03-vectors.md", {**VALID, "widgets": []},
                        "## Intro\n\nSee Module 04 and 2 GiB of cache.\n")
    index = load_course(folder, tmp_path / "audio", registry())
    assert narration_text_problems(index) == []
    # Without the spoken forms, the same text would reach the voice as written.
    monkeypatch.setattr(script, "SPOKEN_FORMS", [])
    problems = [str(p) for p in narration_text_problems(index)]
    assert any(p.startswith(f"{path}: narration b2-1: says a module id with a leading zero")
               for p in problems), problems
    assert any("binary unit" in p for p in problems)


def test_the_real_course_has_no_rendering_or_narration_text_problems(course):
    assert [str(p) for p in rendering_problems(course)] == []
    assert [str(p) for p in narration_text_problems(course)] == []
