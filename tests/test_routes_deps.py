"""Routes name what they need as typed dependencies (``app/routes/deps.py``); none reads
``request.app.state`` itself, and every piece of state the app factory sets has one."""

import re
from pathlib import Path

from app.routes import deps

APP = Path(__file__).resolve().parent.parent / "app"
DEPS = APP / "routes" / "deps.py"
# ``app.state``, ``request.app.state``, ``scope["app"].state``, ``getattr(app, "state")``
READS_STATE = re.compile(r"""\bapp\s*\.\s*state\b|\[["']app["']\]\s*\.\s*state\b|"""
                         r"""getattr\([^)]*["']state["']""")
SETS_STATE = re.compile(r"\bapp\.state\.(\w+)\s*=")
GETS_STATE = re.compile(r"""_state\(["'](\w+)["']\)""")  # deps.py: Depends(_state("models"))


def state_readers(paths) -> list[str]:
    """Every ``file:line: text`` of ``paths`` that touches app state."""
    return [f"{path.name}:{n}: {line.strip()}"
            for path in sorted(paths)
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if READS_STATE.search(line)]


def test_no_route_module_reads_app_state():
    routes = set((APP / "routes").rglob("*.py")) - {DEPS}
    assert len(routes) > 10
    assert state_readers(routes) == []


def test_errors_and_clients_are_given_what_they_need():
    """The error handlers and middleware get the templates, ``client_key`` the header."""
    assert state_readers([APP / "errors.py", APP / "clients.py"]) == []


def test_every_piece_of_state_has_a_dependency():
    main = (APP / "main.py").read_text(encoding="utf-8")
    set_by_factory = set(SETS_STATE.findall(main))
    read_by_deps = set(GETS_STATE.findall(DEPS.read_text(encoding="utf-8")))
    assert len(set_by_factory) >= 12
    assert set_by_factory == read_by_deps


def test_the_checker_finds_a_direct_read(tmp_path):
    """The guard above can fail: a route written the old way is reported."""
    (tmp_path / "bad.py").write_text("def f(request):\n    return request.app.state.models\n")
    (tmp_path / "ok.py").write_text("def f(models: AppModels):\n    return models\n")
    assert state_readers(tmp_path.glob("*.py")) == ["bad.py:2: return request.app.state.models"]


def endpoints(routes):
    """Every route with a FastAPI dependant, included routers opened up."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from endpoints(inner.routes)
        elif hasattr(route, "dependant"):
            yield route


def from_deps(dependant):
    """The dependencies from ``app/routes/deps.py`` under ``dependant``, at any depth."""
    for sub in dependant.dependencies:
        if sub.call.__module__ == deps.__name__:
            yield sub
        yield from from_deps(sub)


def test_dependencies_add_no_request_parameters(app):
    """Each alias reads the app only: no query, header or cookie parameter, so the OpenAPI
    document and what a route accepts stay as they were."""
    aliases = [v for v in vars(deps).values() if getattr(v, "__metadata__", None)]
    assert len(aliases) >= 14
    used = [sub for route in endpoints(app.routes) for sub in from_deps(route.dependant)]
    assert len({sub.call for sub in used}) >= 14  # every alias is used by some route
    for sub in used:
        assert not (sub.query_params or sub.header_params or sub.cookie_params), sub.call
