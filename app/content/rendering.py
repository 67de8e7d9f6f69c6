"""Rendering checks: what a reader or a listener would see go wrong, by file and line.

Run by ``python -m app check``:

- maths that does not render (``<merror>``), or a LaTeX command left as text in the
  MathML (``\\arg`` shown as "\\arg": use ``\\mathrm{argmax}``);
- a thousands separator written as a bare comma in maths (``49,152`` renders as the
  tuple "49, 152": write ``49{,}152``);
- maths left as text in prose (a ``$$`` line that is not a block of its own, a
  ``\\command`` outside ``$…$``), or a typographic symbol (©, ®, ™) the source never had;
- narration text a voice misreads: "/" (read "slash"), "Module 04" ("oh four"),
  "MiB" ("my bee"), superscript digits (dropped: "10⁻⁴" read "ten"), words glued across a
  sentence end, or LaTeX that leaked into speech.
"""

import re

from app.content.markdown import _math, make_markdown
from app.content.problems import Problem

BARE_THOUSANDS = re.compile(r"(?<![\d.{])\d{1,3},\d{3}(?![\d}])")
COMMAND_AS_TEXT = re.compile(r"<m[ion][^>]*>\\[A-Za-z]+")
LATEX_IN_TEXT = re.compile(r"\$|\\(?:frac|sqrt|sum|mathrm|times|cdot|text|left|right|alpha|"
                           r"beta|theta|sigma|top)\b")
TYPOGRAPHY = re.compile("[©®™]")
SPOKEN = [
    (re.compile(r"/"), "says '/' (read as 'slash'): write it in words"),
    (re.compile(r"\bModules? 0\d"), "says a module id with a leading zero ('oh four')"),
    (re.compile(r"\b[KMGT]iB\b"), "says a binary unit as letters ('my bee')"),
    (re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]"), "has superscript digits, which the voice drops"),
    (re.compile(r"[a-z]{2}\.[A-Z][a-z]"), "glues two sentences together"),
    (re.compile(r"[\\$]|[©®™]"), "has LaTeX or a typographic symbol in its words"),
]


def _maths_problems(content: str, display: bool) -> list[str]:
    out = []
    html = _math(content, display)
    if "<merror" in html:
        out.append(f"maths does not render: ${content[:50]}$")
    command = COMMAND_AS_TEXT.search(html)
    if command:
        out.append(f"'{command.group(0).split('>')[1]}' shows as text in ${content[:40]}$: "
                   "use \\mathrm{…} (e.g. \\mathrm{argmax})")
    thousands = BARE_THOUSANDS.search(content)
    if thousands:
        out.append(f"'{thousands.group(0)}' renders as a tuple: write "
                   f"{thousands.group(0).replace(',', '{,}')}")
    return out


def token_problems(tokens, source: str) -> list[tuple[int | None, str]]:
    """(line within the parsed text, message) for every problem in a token stream."""
    out: list[tuple[int | None, str]] = []
    for tok in tokens:
        line = tok.map[0] + 1 if tok.map else None
        messages: list[str] = []
        if tok.type == "math_block":
            messages += _maths_problems(tok.content, True)
        for child in tok.children or []:
            if child.type == "math_inline":
                messages += _maths_problems(child.content, False)
                if child.content.startswith("\n") or child.content.endswith("\n"):
                    messages.append("display maths inside a paragraph: put the $$ lines in a "
                                    "block of their own (indented inside a list item)")
            elif child.type == "text":
                if LATEX_IN_TEXT.search(child.content):
                    messages.append(f"maths left as text: '{child.content.strip()[:50]}' (put $$ "
                                    "lines in a block of their own, indented inside a list item)")
                symbol = TYPOGRAPHY.search(child.content)
                if symbol and symbol.group(0) not in source:
                    messages.append(f"'{symbol.group(0)}' appears, but the source never wrote it")
        out += [(line, m) for m in messages]
    return out


def rendering_problems(index) -> list[Problem]:
    md = make_markdown()
    problems = []
    for lesson in index.lessons:
        name = str(lesson.path)
        for line, message in token_problems(lesson.tokens, lesson.body):
            where = f"line {line + lesson.body_line}" if line else "body"
            problems.append(Problem(name, where, message))
        meta = lesson.meta
        fields = [("tagline", meta.tagline)]
        fields += [(f"core_ideas.{i}", idea.text) for i, idea in enumerate(meta.core_ideas)]
        for i, item in enumerate(meta.practice):
            fields += [(f"practice.{i}.question", item.question), (f"practice.{i}.hint", item.hint),
                       (f"practice.{i}.solution", item.solution)]
        for field, value in fields:
            for _line, message in token_problems(md.parse(value), value):
                problems.append(Problem(name, field, message))
    return problems


def narration_text_problems(index) -> list[Problem]:
    """Sentences of the narration scripts that a voice would misread."""
    from app.narration.script import build_script

    problems = []
    for lesson in index.lessons:
        script = build_script(lesson)
        for cue, sentence in zip(script.cue_ids, script.sentences, strict=True):
            for pattern, message in SPOKEN:
                if pattern.search(sentence.text):
                    problems.append(Problem(str(lesson.path), f"narration {cue}",
                                            f"{message}: '{sentence.text[:80]}'"))
    return problems
