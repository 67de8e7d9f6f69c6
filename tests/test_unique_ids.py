"""Every id on a page is unique: labels, ARIA references and set-up links find the one
element they name (found: the widget shell's "Published model" picker once took the id of
a widget field called ``preset``)."""

import re
from collections import Counter

import pytest

from app.widgets import registry

ID = re.compile(r'\sid="([^"]+)"')


def repeated_ids(html: str) -> list[str]:
    return [i for i, n in Counter(ID.findall(html)).items() if n > 1]


def test_the_checker_sees_a_repeat():
    assert repeated_ids('<p id="a"></p><b id="b"></b><i id="a"></i>') == ["a"]


@pytest.mark.parametrize("name", sorted(registry()))
def test_playground_ids_are_unique(client, name):
    response = client.get(f"/playground/{name}")
    assert response.status_code == 200
    assert repeated_ids(response.text) == []


def test_lesson_page_ids_are_unique(client, course):
    pages = [e.lesson.id for e in course.entries if e.lesson is not None]
    assert len(pages) == 42
    repeats = {m: r for m in pages if (r := repeated_ids(client.get(f"/modules/{m}").text))}
    assert repeats == {}
