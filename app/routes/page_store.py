"""Every page rendered once, on first request, and served from memory (:class:`PageStore`):
the course map, the review page, every lesson and every default playground and embed.

Pages hold no per-learner data (progress lives in the browser), so one render serves
everyone. Each app holds one store (routes get it as the ``Pages`` dependency); the
router is :mod:`app.routes.pages`.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup

from app.content.index import CourseIndex
from app.http import Stored
from app.practice.views import question_view
from app.routes.render import build_view, render_checkpoint, render_widget


@dataclass(frozen=True)
class Page(Stored):
    """A rendered page, kept both plain and gzip-compressed, each with its own ETag."""

    @classmethod
    def of(cls, html: str) -> "Page":
        return super().of(html.encode("utf-8"))


class PageStore:
    """Every page rendered once, on first request, then served from memory.

    Pages hold no per-learner data (progress lives in the browser), so one render
    serves everyone; a lesson's inline widgets and checkpoints are computed into the
    HTML then, so learners opening the same lesson never queue for the model. Renders
    happen one at a time (``lock``), which also bounds the model work they cause.
    """

    def __init__(self, render: Callable[[str], str | None], known: set[str]) -> None:
        self._render = render
        self.known = frozenset(known)
        self._pages: dict[str, Page] = {}
        self._lock = threading.Lock()

    def get(self, path: str) -> Page | None:
        if path not in self.known:
            return None
        page = self._pages.get(path)
        if page is None:
            with self._lock:
                page = self._pages.get(path)
                if page is None:
                    page = Page.of(self._render(path))
                    self._pages[path] = page
        return page

    def warm(self) -> None:
        """Render every page now (``serve`` does this in the background at start-up)."""
        for path in sorted(self.known):
            self.get(path)


def page_store(templates: Jinja2Blocks, course: CourseIndex, widgets: dict,
               models: Any, generators: dict) -> PageStore:
    """The course map, the review page, every lesson and every default playground and
    embed."""
    env = templates.env
    lessons = {e.lesson.url: e for e in course.by_id.values()}
    playgrounds = {f"/playground/{name}": name for name in widgets}
    embeds = {f"/embed/{name}": name for name in widgets}

    def render(path: str) -> str:
        if path == "/":
            return env.get_template("home.html").render(course=course)
        if path == "/review":
            return env.get_template("review.html").render(course=course)
        if path in lessons:
            return render_lesson(env, course, lessons[path], widgets, models, generators)
        name = playgrounds.get(path) or embeds[path]
        view = build_view(env, widgets[name], {}, models, f"w-{name}", standalone=True)
        return render_playground(env, course, widgets[name], view, embed=path in embeds)

    return PageStore(render, {"/", "/review", *lessons, *playgrounds, *embeds})


def render_lesson(env, course: CourseIndex, entry, widgets: dict, models: Any,
                  generators: dict) -> str:
    """A lesson page with every inline piece computed; a piece that fails to draw (a bug,
    logged) becomes a short notice instead of taking the whole lesson down."""
    lesson = entry.lesson
    pieces = []
    for i, piece in enumerate(lesson.pieces):
        try:
            if piece.kind == "widget":
                view = build_view(env, widgets[piece.name], piece.params, models, piece.anchor)
                pieces.append(render_widget(env, view))
            else:
                pieces.append(render_checkpoint(env, lesson.id, i, piece,
                                                lesson.pieces_html[i], widgets, models))
        except Exception:  # noqa: BLE001 - one broken widget must not break the lesson
            logging.getLogger("app").exception("cannot draw %s in %s", piece.anchor, lesson.id)
            pieces.append(Markup(f'<p class="widget-error piece-broken" id="{piece.anchor}">'
                                 "This part of the page could not be drawn; the rest of the "
                                 "lesson works. Please report it.</p>"))
    macro = env.get_template("_partials/practice.html").module.question
    questions = [macro(question_view(course, generators, lesson.id, n, seed=1))
                 for n in range(1, len(lesson.meta.practice) + 1)]
    return env.get_template("lesson.html").render(course=course, entry=entry, pieces=pieces,
                                                  questions=questions)


def render_playground(env, course: CourseIndex, spec, view, embed: bool = False) -> str:
    used_in = [e for e in course.entries if e.lesson and spec.name in e.lesson.meta.widgets]
    name = "embed.html" if embed else "playground.html"
    return env.get_template(name).render(course=course, spec=spec, used_in=used_in,
                                         widget_html=render_widget(env, view), view=view)
