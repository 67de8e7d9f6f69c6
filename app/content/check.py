"""Cross-lesson checks: syllabus agreement, prerequisites, links, widgets, narration.

Used at start-up (everything but narration) and by ``python -m app check``.
"""

import re
from collections.abc import Callable, Collection, Iterable, Mapping

from pydantic import ValidationError

from app.content.index import CourseIndex
from app.content.problems import Problem
from app.validation import describe_errors

INTERNAL_LINK = re.compile(r'href="(/[^"#?]*)')


def check_syllabus(index: CourseIndex, lessons: Iterable) -> list[Problem]:
    problems = []
    known = {e.id: e for e in index.entries}
    for lesson in lessons:
        name = str(lesson.path)
        entry = known.get(lesson.id)
        if entry is None:
            problems.append(Problem(name, "id", f"'{lesson.id}' is not a module of the syllabus"))
            continue
        if lesson.meta.title != entry.module.title:
            problems.append(Problem(name, "title",
                                    f"'{lesson.meta.title}' differs from the syllabus title "
                                    f"'{entry.module.title}'"))
        if lesson.meta.part != entry.part.number:
            problems.append(Problem(name, "part", f"is {lesson.meta.part}, the syllabus says "
                                                  f"{entry.part.number}"))
        for pre in lesson.meta.prerequisites:
            if pre not in known:
                problems.append(Problem(name, "prerequisites", f"unknown module '{pre}'"))
    return problems


def check_cycles(lessons: Iterable) -> list[Problem]:
    """Depth-first search over prerequisite edges; report the first cycle per lesson."""
    graph = {lesson.id: lesson.meta.prerequisites for lesson in lessons}
    paths = {lesson.id: str(lesson.path) for lesson in lessons}
    problems, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "active"
        for pre in graph.get(node, ()):
            if state.get(pre) == "active":
                cycle = " -> ".join([*trail[trail.index(pre):], pre]) if pre in trail else pre
                problems.append(Problem(paths[node], "prerequisites", f"cycle: {cycle}"))
            elif pre not in state:
                visit(pre, [*trail, pre])
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [node])
    return problems


def check_links(index: CourseIndex, is_known_path: Callable[[str], bool]) -> list[Problem]:
    """Every internal link in a lesson body resolves to a page the site serves."""
    problems = []
    for lesson in index.lessons:
        for target in INTERNAL_LINK.findall(lesson.html):
            if not is_known_path(target):
                problems.append(Problem(str(lesson.path), "links", f"'{target}' does not resolve"))
    return problems


def check_widgets(index: CourseIndex, widget_names: Collection[str]) -> list[Problem]:
    return [
        Problem(str(lesson.path), "widgets", f"unknown widget '{name}'")
        for lesson in index.lessons
        for name in lesson.meta.widgets
        if name not in widget_names
    ]


def _params_problem(spec, params: dict) -> str | None:
    """Why a widget's params model rejects these parameters, or None."""
    try:
        spec.parse(params)
    except ValidationError as exc:
        return describe_errors(exc.errors(), whole="parameters")
    return None


def check_pieces(index: CourseIndex, widgets: Collection[str] | Mapping) -> list[Problem]:
    """Inline widgets, set-up links and checkpoints name known widgets with parameters
    their params models accept (``widgets``: names, or names -> specs to check params)."""
    specs = widgets if isinstance(widgets, Mapping) else {}
    problems = []
    for lesson in index.lessons:
        name = str(lesson.path)
        inline = []
        for piece in lesson.pieces:
            where = f"line {piece.line}"
            widget = piece.name if piece.kind == "widget" else piece.widget
            if piece.kind == "widget":
                inline.append(piece.name)
            if widget is None:
                if not any(c.correct for c in piece.choices):
                    problems.append(Problem(name, where, "checkpoint without an answer: give "
                                                         "it a widget and an 'answer' path, or "
                                                         "choices with one 'correct: true'"))
                continue
            if widget not in widgets:
                problems.append(Problem(name, where, f"unknown widget '{widget}'"))
                continue
            if piece.kind == "checkpoint" and not piece.answer:
                problems.append(Problem(name, where, "checkpoint without an answer: give the "
                                                     "path of the answer in the widget's result"))
            why = _params_problem(specs[widget], piece.params) if widget in specs else None
            if why:
                problems.append(Problem(name, where, f"{piece.kind} '{widget}' rejects its "
                                                     f"parameters: {why}"))
        for setup in lesson.setups:
            why = _params_problem(specs[setup.name], setup.params) if setup.name in specs else None
            if why:
                problems.append(Problem(name, f"line {setup.line}",
                                        f"set-up link for '{setup.name}' is invalid: {why}"))
        if inline and set(inline) != set(lesson.meta.widgets):
            problems.append(Problem(name, "widgets", "must list exactly the widgets placed "
                                                     f"inline: {', '.join(dict.fromkeys(inline))}"))
    return problems


def structural_problems(index: CourseIndex, lessons: list,
                        widgets: Collection[str] | Mapping) -> list[Problem]:
    """Everything that must hold for the site to start (``lessons``: all parsed files)."""
    return [
        *check_syllabus(index, lessons),
        *check_cycles(lessons),
        *check_widgets(index, widgets),
        *check_pieces(index, widgets),
        *check_links(index, lambda p: known_path(index, widgets, p)),
    ]


def known_path(index: CourseIndex, widget_names: Collection[str], path: str) -> bool:
    if path in ("/", "/docs", "/api/modules"):
        return True
    if path.startswith("/modules/"):
        return path.removeprefix("/modules/") in index.by_id
    if path.startswith("/playground/"):
        return path.removeprefix("/playground/") in widget_names
    return False
