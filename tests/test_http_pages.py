"""Every page and API route over HTTP (TestClient), parametrized over every lesson."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSON_IDS = sorted(p.name.split("-")[0] for p in (ROOT / "lessons").glob("*.md"))
SECTIONS = ["core-ideas", "lesson", "practice", "further-reading", "next"]


def test_home_lists_every_lesson_in_order(client, course):
    html = client.get("/").text
    positions = [html.index(f'data-module="{lesson.id}"') for lesson in course.lessons]
    assert positions == sorted(positions)
    assert f"0</span> of {len(course.lessons)} complete" in html
    for part in course.syllabus.parts:
        assert f"Part {part.number} · {part.title}" in html


@pytest.mark.parametrize("module_id", LESSON_IDS)
def test_lesson_page_has_every_section(client, course, module_id):
    response = client.get(f"/modules/{module_id}")
    assert response.status_code == 200
    html = response.text
    lesson = course.get(module_id).lesson
    for section in SECTIONS:
        assert f'id="{section}"' in html
    assert ('id="playground"' in html) == bool(lesson.meta.widgets)
    assert html.count('<details class="solution">') == len(lesson.meta.practice)
    for ref in lesson.meta.references:
        if ref.arxiv:
            assert f'href="https://arxiv.org/abs/{ref.arxiv}"' in html
    for pre in lesson.meta.prerequisites:
        assert (f'href="/modules/{pre}"' in html) == (course.get(pre) is not None)


@pytest.mark.parametrize("module_id", LESSON_IDS)
def test_module_api_detail(client, course, module_id):
    data = client.get(f"/api/modules/{module_id}").json()
    lesson = course.get(module_id).lesson
    assert data["id"] == module_id and data["url"] == f"/modules/{module_id}"
    assert data["practice_count"] == len(lesson.meta.practice) >= 3
    assert data["word_count"] == lesson.word_count
    assert len(data["references"]) == len(lesson.meta.references)


def test_module_list_api(client, course):
    data = client.get("/api/modules").json()
    assert [m["id"] for m in data] == [lesson.id for lesson in course.lessons]
    keys = {"id", "title", "tagline", "part", "minutes", "prerequisites", "widgets",
            "has_audio", "url"}
    assert all(keys <= set(m) for m in data)


@pytest.mark.parametrize("path", ["/modules/99", "/modules/..%2f..%2fetc%2fpasswd",
                                  "/modules/%3Cscript%3E", "/nope", "/playground/nope"])
def test_unknown_pages_get_the_styled_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "We couldn’t find that page" in response.text
    assert 'href="/"' in response.text
    assert "<script>" not in response.text.split("</head>")[1]


def test_unknown_module_api_is_json_404(client):
    response = client.get("/api/modules/99")
    assert response.status_code == 404
    assert response.json() == {"error": "There is no module '99'."}


@pytest.mark.parametrize("path", ["/static/../app/main.py", "/static/..%2fapp%2fmain.py",
                                  "/static/%2e%2e/pyproject.toml", "/static/css/../../Makefile"])
def test_static_traversal_is_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "create_app" not in response.text and "MODEL_PACKAGES" not in response.text


def test_security_headers_on_every_kind_of_response(client):
    for path in ["/", "/api/modules", "/modules/99", "/static/css/site.css", "/healthz"]:
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"]


def test_no_inline_scripts_or_handlers_in_pages(client):
    for path in ["/", *[f"/modules/{i}" for i in LESSON_IDS], "/docs", "/modules/99"]:
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+=", html), path
        assert not re.search(r'\sstyle="', html), path


def test_hashed_static_assets_are_cached_forever_and_gzipped(client):
    html = client.get("/").text
    css = re.search(r'href="(/static/css/site\.css\?v=[0-9a-f]+)"', html).group(1)
    response = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] == "gzip"


def test_healthz(client, course):
    data = client.get("/healthz").json()
    assert data["status"] == "ok" and data["modules"] == len(course.lessons)


def test_openapi_documents_widget_contracts(client):
    spec = client.get("/openapi.json").json()
    assert "/api/widgets/softmax" in spec["paths"]
    assert "/api/modules/{module_id}" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_oversized_url_is_refused_cheaply(client):
    response = client.get("/api/widgets/softmax?logits=" + "1," * 5000 + "1")
    assert response.status_code == 414
