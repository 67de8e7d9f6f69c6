"""The interactive pieces a lesson places in its Markdown (docs/writing-lessons.md).

- a fenced block ```` ```widget <name> [#anchor] ```` with YAML parameters: a live widget;
- a fenced block ```` ```checkpoint [#anchor] ```` with YAML: predict, then reveal;
- a link ``[text](setup:k=v&…)`` or ``(setup:#anchor?k=v)``: a set-up button.

:func:`extract` walks the parsed token stream once, replaces each fenced block by a
slot marker and rewrites each set-up link, and returns the pieces in page order.
Nothing here knows about widgets' code: parameters stay raw (strings, numbers) and
are validated against each widget's params model by the content checks.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import yaml
from markdown_it.token import Token

SLOT = "<!--piece:{}-->"
SLOT_RE = re.compile(r"<!--piece:(\d+)-->")
ANCHOR = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,40}$")
CONDITION = re.compile(r"^\s*(<=|>=|==|!=|<|>)\s*(.+?)\s*$")
PATH_PART = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[(-?\d+)\]")


class DirectiveError(ValueError):
    """A malformed directive; ``line`` is the 1-based line in the lesson body."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class WidgetUse:
    name: str
    anchor: str  # the instance's element id, e.g. "w-double-q" or "w-qkv-2"
    params: dict  # raw starting parameters from the directive
    line: int
    kind: str = "widget"


@dataclass(frozen=True)
class Choice:
    text: str
    when: str | None = None  # a condition on the computed answer
    correct: bool = False  # conceptual checkpoints only
    feedback: str = ""


@dataclass(frozen=True)
class Checkpoint:
    anchor: str
    ask: str
    line: int
    widget: str | None = None
    params: dict = field(default_factory=dict)
    answer: str | None = None  # a path into the widget's result
    fmt: str | None = None
    choices: tuple[Choice, ...] = ()
    tolerance: float | None = None
    unit: str = ""
    why: str = ""
    kind: str = "checkpoint"


@dataclass(frozen=True)
class SetupLink:
    target: str  # anchor of the widget instance
    name: str  # widget name
    params: dict  # the instance's starting params with the link's overrides
    line: int


def parse_answer_path(path: str) -> list[str | int]:
    """``top[0].token`` -> ``["top", 0, "token"]``; raise ValueError if malformed."""
    steps: list[str | int] = []
    pos = 0
    while pos < len(path):
        m = PATH_PART.match(path, pos)
        if not m or (pos == 0 and path.startswith(".")):
            raise ValueError(f"answer path '{path}' is not like weights[0] or top[0].token")
        steps.append(m.group(1) if m.group(1) else int(m.group(2)))
        pos = m.end()
    if not steps:
        raise ValueError("answer path is empty")
    return steps


def follow(result: Any, path: str) -> Any:
    """The value at ``path`` in a JSON-like result (dicts and lists)."""
    value = result
    for step in parse_answer_path(path):
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            raise ValueError(f"answer path '{path}': no '{step}' in the result") from None
    return value


def parse_condition(text: str) -> tuple[str, float | str]:
    m = CONDITION.match(str(text))
    if not m:
        raise ValueError(f"condition '{text}' is not like '> 0.5' or '== \" Paris\"'")
    op, raw = m.groups()
    if raw[:1] in ("'", '"') and raw[-1:] == raw[:1] and len(raw) >= 2:
        return op, raw[1:-1]
    try:
        return op, float(raw)
    except ValueError:
        raise ValueError(f"condition '{text}': '{raw}' is neither a number "
                         "nor a quoted string") from None


def holds(condition: str, value: Any, tolerance: float = 1e-9) -> bool:
    """Whether ``value`` satisfies a condition such as ``> 0.5`` or ``== " Paris"``."""
    op, target = parse_condition(condition)
    if isinstance(target, str):
        if op not in ("==", "!="):
            raise ValueError(f"condition '{condition}': strings compare only with == or !=")
        return (str(value) == target) == (op == "==")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"condition '{condition}' compares a number, but the answer is "
                         f"{value!r}")
    v = float(value)
    return {"<": v < target - tolerance, "<=": v <= target + tolerance,
            ">": v > target + tolerance, ">=": v >= target - tolerance,
            "==": abs(v - target) <= tolerance, "!=": abs(v - target) > tolerance}[op]


def _info(token: Token) -> tuple[str, str, str | None]:
    """``widget qkv #double-q`` -> ("widget", "qkv", "double-q")."""
    words = token.info.split()
    kind = words[0] if words else ""
    rest = words[1:]
    anchor = next((w[1:] for w in rest if w.startswith("#")), None)
    name = next((w for w in rest if not w.startswith("#")), "")
    return kind, name, anchor


def _yaml_mapping(text: str, line: int) -> dict:
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise DirectiveError(line, f"invalid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise DirectiveError(line, "the block must hold a YAML mapping (key: value lines)")
    return data


def _check_anchor(anchor: str | None, line: int) -> None:
    if anchor is not None and not ANCHOR.match(anchor):
        raise DirectiveError(line, f"anchor '#{anchor}' must be letters, digits and '-'")


def _checkpoint(data: dict, anchor: str, line: int) -> Checkpoint:
    known = {"ask", "widget", "params", "answer", "format", "choices", "tolerance", "unit",
             "why"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise DirectiveError(line, f"checkpoint: unknown key(s) {', '.join(unknown)}")
    ask = data.get("ask")
    if not isinstance(ask, str) or not ask.strip():
        raise DirectiveError(line, "checkpoint: 'ask' (the question) is missing")
    params = data.get("params") or {}
    if not isinstance(params, dict):
        raise DirectiveError(line, "checkpoint: 'params' must be a mapping")
    choices = []
    for i, raw in enumerate(data.get("choices") or [], start=1):
        if not isinstance(raw, dict) or not isinstance(raw.get("text"), (str, int, float)):
            raise DirectiveError(line, f"checkpoint: choice {i} needs a 'text'")
        extra = sorted(set(raw) - {"text", "when", "correct", "feedback"})
        if extra:
            raise DirectiveError(line, f"checkpoint: choice {i}: unknown key(s) "
                                       f"{', '.join(extra)}")
        choices.append(Choice(str(raw["text"]), None if raw.get("when") is None
                              else str(raw["when"]), bool(raw.get("correct", False)),
                              str(raw.get("feedback") or "")))
    tolerance = data.get("tolerance")
    if tolerance is not None and (not isinstance(tolerance, (int, float)) or tolerance < 0):
        raise DirectiveError(line, "checkpoint: 'tolerance' must be a number ≥ 0")
    return Checkpoint(
        anchor=anchor, ask=ask, line=line, widget=data.get("widget"), params=params,
        answer=None if data.get("answer") is None else str(data["answer"]),
        fmt=data.get("format"), choices=tuple(choices),
        tolerance=None if tolerance is None else float(tolerance),
        unit=str(data.get("unit") or ""), why=str(data.get("why") or ""))


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_query_value(v) for v in value)
    return str(value)


def query_string(params: dict) -> str:
    """URL query for a widget state (booleans as true/false, a list as a repeated key,
    in the given order)."""
    pairs = [(k, _query_value(item)) for k, v in params.items()
             for item in (v if isinstance(v, (list, tuple)) else [v])]
    return urlencode(pairs, safe=",;:")


def _setup(href: str, line: int, uses: list[WidgetUse]) -> SetupLink:
    """Resolve a set-up link: ``#anchor`` anywhere on the page, else the nearest widget
    above the link (or, with none above, the nearest below)."""
    spec = href.removeprefix("setup:")
    if spec.startswith("#"):
        anchor, _, spec = spec[1:].partition("?")
        target = next((u for u in uses if u.anchor == f"w-{anchor}"), None)
        if target is None:
            raise DirectiveError(line, f"set-up link: no widget '#{anchor}' on the page")
    else:
        above = [u for u in uses if u.line <= line]
        below = [u for u in uses if u.line > line]
        target = above[-1] if above else (below[0] if below else None)
        if target is None:
            raise DirectiveError(line, "set-up link: there is no widget on the page to set up")
    overrides: dict = {}
    for key, value in parse_qsl(spec, keep_blank_values=True):  # a repeated key: a list
        if key in overrides:
            before = overrides[key]
            overrides[key] = [*(before if isinstance(before, list) else [before]), value]
        else:
            overrides[key] = value
    if not overrides:
        raise DirectiveError(line, "set-up link: give parameters, e.g. setup:temperature=0.1")
    return SetupLink(target.anchor, target.name, {**target.params, **overrides}, line)


@dataclass
class Extracted:
    pieces: list = field(default_factory=list)  # WidgetUse | Checkpoint, in page order
    setups: list = field(default_factory=list)


def extract(tokens: list[Token], line_offset: int = 0) -> Extracted:
    """Replace directive fences by slot markers and set-up links by buttons, in place.

    ``line_offset`` is the number of lines before the body (the front matter), so that
    reported lines are lines of the file. Raises :class:`DirectiveError`.
    """
    out = Extracted()
    counts: dict[str, int] = {}
    anchors: set[str] = set()
    links: list[tuple[Token, int]] = []
    for tok in tokens:
        line = (tok.map[0] + 1 + line_offset) if tok.map else line_offset
        if tok.type == "inline" and tok.children:
            links += [(child, line) for child in tok.children if child.type == "link_open"
                      and str(child.attrGet("href") or "").startswith("setup:")]
        if tok.type != "fence":
            continue
        kind, name, anchor = _info(tok)
        if kind not in ("widget", "checkpoint"):
            continue
        _check_anchor(anchor, line)
        data = _yaml_mapping(tok.content, line)
        if kind == "widget":
            if not name:
                raise DirectiveError(line, "widget: name the widget (```widget qkv)")
            counts[name] = counts.get(name, 0) + 1
            element = f"w-{anchor}" if anchor else f"w-{name}-{counts[name]}"
            piece = WidgetUse(name, element, data, line)
        else:
            n = sum(1 for p in out.pieces if p.kind == "checkpoint") + 1
            element = f"cp-{anchor}" if anchor else f"cp-{n}"
            piece = _checkpoint(data, element, line)
        if element in anchors:
            raise DirectiveError(line, f"anchor '#{element}' is used twice")
        anchors.add(element)
        tok.type, tok.tag, tok.nesting = "html_block", "", 0
        tok.content = SLOT.format(len(out.pieces)) + "\n"
        out.pieces.append(piece)
    uses = [p for p in out.pieces if p.kind == "widget"]
    for child, line in links:
        setup = _setup(str(child.attrGet("href")), line, uses)
        out.setups.append(setup)
        child.attrSet("href", f"/playground/{setup.name}?{query_string(setup.params)}")
        child.attrSet("class", "setup-link")
        child.attrSet("data-setup-for", setup.target)
        child.attrSet("data-setup", json.dumps(
            {k: _query_value(v) for k, v in setup.params.items()}))
    return out
