"""The lesson loader: valid lessons load in syllabus order; broken ones name file and field."""

import pytest

from app.content.loader import load_course, parse_lesson
from app.content.problems import LessonError
from tests.lesson_factory import VALID, lesson_folder, write_lesson

WIDGETS = {"softmax"}


def load(folder, tmp_path):
    return load_course(folder, tmp_path / "audio", WIDGETS)


def test_valid_lesson_loads_with_rendered_maths(tmp_path):
    folder = lesson_folder(tmp_path)
    write_lesson(folder, "03-vectors.md", VALID, "## Dot\n\nThe dot product $a \\cdot b$.\n")
    course = load(folder, tmp_path)
    lesson = course.get("03").lesson
    assert "<math" in lesson.html and "<mo>&#x000B7;</mo>" in lesson.html
    assert lesson.word_count == 4  # Dot, The, dot, product: maths is not counted


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"title": ""}, "title", "at least 1 character"),
        ({"minutes": 0}, "minutes", "greater than or equal to 1"),
        ({"core_ideas": VALID["core_ideas"][:2]}, "core_ideas", "exactly 3 core ideas"),
        ({"practice": VALID["practice"][:1]}, "practice", "at least 3"),
        ({"references": [{"title": "X", "authors": "Y", "year": 2020, "arxiv": "17.1"}]},
         "references.0.arxiv", "not an arXiv id"),
        ({"widgets": ["no-such-widget"]}, "widgets", "unknown widget 'no-such-widget'"),
        ({"title": "Vectors"}, "title", "differs from the syllabus title"),
        ({"prerequisites": ["99"]}, "prerequisites", "unknown module '99'"),
        ({"part": 3}, "part", "the syllabus says 1"),
    ],
)
def test_broken_lesson_names_file_and_field(tmp_path, change, field, words):
    folder = lesson_folder(tmp_path)
    path = write_lesson(folder, "03-vectors.md", {**VALID, **change})
    with pytest.raises(LessonError) as info:
        load(folder, tmp_path)
    message = str(info.value)
    assert f"{path}: {field}:" in message
    assert words in message


def test_bad_yaml_and_missing_front_matter(tmp_path):
    folder = lesson_folder(tmp_path)
    (folder / "03-vectors.md").write_text("no front matter\n")
    with pytest.raises(LessonError, match="03-vectors.md: front matter: file must start"):
        parse_lesson(folder / "03-vectors.md")
    (folder / "03-vectors.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    with pytest.raises(LessonError, match="front matter: invalid YAML"):
        parse_lesson(folder / "03-vectors.md")


def test_bad_maths_names_the_formula(tmp_path):
    folder = lesson_folder(tmp_path)
    write_lesson(folder, "03-vectors.md", VALID, "Broken $\\frac{1}{$ here.\n")
    with pytest.raises(LessonError, match=r"03-vectors.md: maths: cannot render"):
        load(folder, tmp_path)


def test_prerequisite_cycle_is_reported(tmp_path):
    folder = lesson_folder(tmp_path)
    write_lesson(folder, "03-vectors.md", {**VALID, "prerequisites": ["04"]})
    write_lesson(folder, "04-softmax.md", {**VALID, "id": "04", "title": "Softmax and temperature",
                                           "prerequisites": ["03"]})
    with pytest.raises(LessonError, match="cycle: "):
        load(folder, tmp_path)


def test_internal_link_to_missing_module_is_reported(tmp_path):
    folder = lesson_folder(tmp_path)
    write_lesson(folder, "03-vectors.md", VALID, "See [module 9](/modules/09).\n")
    with pytest.raises(LessonError, match="links: '/modules/09' does not resolve"):
        load(folder, tmp_path)


def test_order_and_pager_follow_the_syllabus(tmp_path):
    folder = lesson_folder(tmp_path)
    for mid, title, name in [("12a", "Additive attention, briefly", "12a-additive.md"),
                             ("03", VALID["title"], "03-vectors.md"),
                             ("13", "Causal masking", "13-causal.md"),
                             ("12", "Attention from first principles", "12-attention.md")]:
        part = 1 if mid == "03" else 2
        write_lesson(folder, name, {**VALID, "id": mid, "title": title, "part": part})
    course = load(folder, tmp_path)
    assert [lesson.id for lesson in course.lessons] == ["03", "12", "12a", "13"]
    assert (course.get("12a").prev_id, course.get("12a").next_id) == ("12", "13")
    assert course.get("03").prev_id is None and course.get("13").next_id is None
    # Modules not written yet stay in the map as "coming soon", in order.
    assert [e.id for e in course.entries][:3] == ["01", "02", "03"]
    assert len(course.entries) == 42


def test_real_syllabus_has_42_modules_in_order(course):
    ids = [e.id for e in course.entries]
    assert len(ids) == 42
    assert ids[:12] == [f"{i:02d}" for i in range(1, 12)] + ["12"]
    assert ids[12] == "12a" and ids[-1] == "41"


def test_every_real_lesson_matches_its_syllabus_entry(course):
    for lesson in course.lessons:
        entry = course.get(lesson.id)
        assert lesson.meta.title == entry.module.title
        assert lesson.meta.part == entry.part.number


def test_table_with_empty_corner_gets_row_headers(tmp_path):
    folder = lesson_folder(tmp_path)
    body = ("| | a | b |\n|---|---|---|\n| x | 1 | 2 |\n| y | 3 | 4 |\n\n"
            "| k | v |\n|---|---|\n| 1 | 2 |\n")
    write_lesson(folder, "03-vectors.md", VALID, body)
    html = load(folder, tmp_path).get("03").lesson.html
    assert '<th scope="row">x</th>' in html and '<th scope="row">y</th>' in html
    assert "<td>1</td>" in html and html.count('scope="row"') == 2  # second table unchanged
