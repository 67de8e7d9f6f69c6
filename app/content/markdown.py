"""Markdown to HTML, with maths rendered server-side to MathML.

``$…$`` and ``$$…$$`` become ``<math>`` elements (latex2mathml), so formulas show
with no client JavaScript. Every prose block of a lesson body (paragraphs,
headings, list items) gets a ``data-block`` number: the narration builder
walks the same token stream with :func:`iter_blocks`, so an audio cue can point
at the paragraph it reads.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

from app.content.directives import SLOT_RE, Extracted, extract

# Callout boxes a lesson may use: ::: try … :::
CALLOUTS = ("try", "pitfall", "note", "example", "key")
BLOCK_OPENERS = ("paragraph_open", "heading_open")


class MathError(ValueError):
    """A formula latex2mathml cannot convert; the message quotes the formula."""


# latex2mathml renders the thousands separator ``49{,}152`` as two numbers around an
# operator comma, which a browser spaces like a tuple: "(49, 152 × 576)". Joined into one
# <mn>, the number reads as it does in prose: 49,152.
SEPARATOR = r"<mrow><mo>&#x0002C;</mo></mrow>"
GROUPED_NUMBER = re.compile(rf"<mn>(\d{{1,3}})</mn>((?:{SEPARATOR}<mn>\d{{3}}</mn>)+)")
GROUP = re.compile(rf"{SEPARATOR}<mn>(\d{{3}})</mn>")


def _join_groups(mathml: str) -> str:
    return GROUPED_NUMBER.sub(
        lambda m: "<mn>" + m.group(1) + "".join("," + g for g in GROUP.findall(m.group(2)))
        + "</mn>", mathml)


def _math(content: str, display: bool) -> str:
    try:
        mathml = latex_to_mathml(content, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises many types
        raise MathError(f"cannot render maths '{content[:60]}': {exc}") from exc
    return _join_groups(mathml)


def _callout_renderer(name: str):
    def render(self, tokens, idx, _options, _env):
        if tokens[idx].nesting == 1:
            label = {"try": "Try this", "pitfall": "Pitfall", "note": "Note",
                     "example": "Worked example", "key": "Key idea"}[name]
            return f'<aside class="callout callout-{name}"><p class="callout-label">{label}</p>\n'
        return "</aside>\n"

    return render


def make_markdown() -> MarkdownIt:
    """One configured renderer: CommonMark + tables + maths + anchors + callouts."""
    # Smart quotes, but no "replacements": the typographer would turn "(c)" into "©".
    md = MarkdownIt("commonmark", {"html": True, "typographer": True})
    md.enable(["table", "smartquotes"])
    md.use(dollarmath_plugin, allow_space=True, double_inline=False,
           renderer=lambda content, opts: _math(content, opts.get("display_mode", False)))
    md.use(anchors_plugin, min_level=2, max_level=3, permalink=False)
    for name in CALLOUTS:
        md.use(container_plugin, name, render=_callout_renderer(name))
    return md


@dataclass(frozen=True)
class Block:
    """One numbered prose block: its number, its kind and its inline token."""

    number: int
    kind: str  # "paragraph" or "heading"
    opener: Token
    inline: Token
    in_list: bool


def iter_blocks(tokens: list[Token]) -> Iterator[Block]:
    """Yield the numbered prose blocks of a parsed body, in reading order.

    Paragraphs inside tables are not blocks (tables are summarised, not read).
    """
    number = 0
    depth_list = 0
    in_table = False
    for i, tok in enumerate(tokens):
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            depth_list += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth_list -= 1
        elif tok.type == "table_open":
            in_table = True
        elif tok.type == "table_close":
            in_table = False
        elif tok.type in BLOCK_OPENERS and not in_table:
            number += 1
            yield Block(number, tok.type.removesuffix("_open"), tok, tokens[i + 1],
                        depth_list > 0)


def mark_row_headers(tokens: list[Token]) -> None:
    """A table whose top-left header cell is empty has row labels in its first column:
    render those cells as ``<th scope="row">`` so each data cell has a row and a column
    header (screen readers announce both; axe's td-has-header rule)."""
    i = 0
    while i < len(tokens):
        if tokens[i].type != "table_open":
            i += 1
            continue
        end = next(j for j in range(i, len(tokens)) if tokens[j].type == "table_close")
        first_th = next(j for j in range(i, end) if tokens[j].type == "th_open")
        if not tokens[first_th + 1].content.strip():
            body = next((j for j in range(i, end) if tokens[j].type == "tbody_open"), end)
            for j in range(body, end):
                if tokens[j].type == "tr_open" and tokens[j + 1].type == "td_open":
                    cell = tokens[j + 1]
                    close = next(k for k in range(j + 1, end) if tokens[k].type == "td_close")
                    cell.type, cell.tag = "th_open", "th"
                    cell.attrSet("scope", "row")
                    tokens[close].type, tokens[close].tag = "th_close", "th"
        i = end + 1


def render_body(md: MarkdownIt, text: str, line_offset: int = 0
                ) -> tuple[str, list[Token], Extracted]:
    """Render a lesson body; returns the HTML, the token stream it came from and the
    interactive pieces (widgets, checkpoints: slot markers in the HTML; set-up links)."""
    tokens = md.parse(text)
    pieces = extract(tokens, line_offset)
    mark_row_headers(tokens)
    position = {id(tok): i for i, tok in enumerate(tokens)}
    for block in iter_blocks(tokens):
        target = block.opener
        before = tokens[position[id(target)] - 1]
        if target.hidden and before.type == "list_item_open":
            target = before  # a tight list renders no <p>: number the <li> instead
        target.attrSet("data-block", str(block.number))
    return md.renderer.render(tokens, md.options, {}), tokens, pieces


def render_inline(md: MarkdownIt, text: str) -> str:
    """Render a short snippet (a practice question, a core idea) as HTML."""
    return md.render(text)


def _words(tok: Token) -> int:
    if tok.type != "inline" or not tok.children:
        return 0
    return sum(sum(1 for w in child.content.split() if any(c.isalnum() for c in w))
               for child in tok.children if child.type == "text")


def first_piece_fraction(tokens: list[Token]) -> float | None:
    """Share of the body's prose words that come before the first interactive piece
    (None when the body has none)."""
    before = total = 0
    seen = False
    for tok in tokens:
        if not seen and tok.type == "html_block" and SLOT_RE.search(tok.content):
            seen, before = True, total
        total += _words(tok)
    return before / max(total, 1) if seen else None


def prose_word_count(tokens: list[Token]) -> int:
    """Words of prose (text inside inline tokens), not Markdown syntax, maths or code."""
    return sum(_words(tok) for tok in tokens)
