"""What the narrator says: a lesson turned into sentences, each tied to a place on the page.

The script reads, in order: the title, the tagline, the three core ideas, the
body's prose, and the practice questions (never hints or solutions). The body
is walked with :func:`app.content.markdown.iter_blocks`, the same walk that puts
``data-block="N"`` on the rendered paragraphs, so a sentence of block N gets the
anchor ``bN`` and its cue id ``bN-k`` (k-th sentence) tells the player which
paragraph to highlight. Other anchors: ``title``, ``tagline``, ``ideas``,
``idea1``…, ``practice``, ``q1``…, and ``lesson`` (body text before any block).

Maths is spoken (:mod:`app.narration.maths`); tables, code and figures get one
summary sentence. ``<!-- say: words -->`` on the line before a paragraph (or a
table, formula, code block, figure) replaces it with ``words``.
"""

import hashlib
import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from markdown_it.token import Token

from app.content.directives import SLOT_RE
from app.content.markdown import iter_blocks, make_markdown
from app.narration.maths import speak_latex

# Bump when the way a script becomes audio changes (pauses, trimming), to force a rebuild.
SCRIPT_FORMAT = 1
# Silence after a sentence, in seconds: inside a paragraph, at its end, after a heading.
PAUSE_SENTENCE_S = 0.30
PAUSE_BLOCK_S = 0.65
PAUSE_SECTION_S = 0.95

TABLE_SENTENCE = "The lesson shows a table here."
CODE_SENTENCE = "The lesson shows a code example here."
FIGURE_SENTENCE = "The lesson shows a figure here."
CALLOUT_LABELS = {"try": "Try this.", "pitfall": "Pitfall.", "note": "Note.",
                  "example": "Worked example.", "key": "Key idea."}
SAY = re.compile(r"^<!--\s*say:\s*(.*?)\s*-->\s*$", re.DOTALL)
FIGCAPTION = re.compile(r"<figcaption[^>]*>(.*?)</figcaption>", re.DOTALL | re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")
# Inline code that reads well aloud: a name, plain words, numbers, a dotted name or
# keyword (np.tril, axis=-1), a special token ([CLS]). Anything else is "the code shown".
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,30}$")
WORDS = re.compile(r"^[^\W\d_][\w' .,!?]{0,60}$")
NUMBERS = re.compile(r"^[-+\d.,;\s]{1,60}$")
DOTTED = re.compile(r"^[A-Za-z_][\w.]{0,30}(=-?[\w.]{1,12})?$")
SPECIAL_TOKEN = re.compile(r"^\[([A-Z]{2,6})\]$")
# Abbreviations whose full stop does not end a sentence.
ABBREVIATIONS = {"al", "fig", "eq", "dr", "mr", "mrs", "ms", "prof", "approx", "cf", "no", "vol"}
BOUNDARY = re.compile(r"(?<=[.!?])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9]|the code shown)")
SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
BINARY_UNITS = {"KiB": "kibibytes", "MiB": "mebibytes", "GiB": "gibibytes",
                "TiB": "tebibytes"}


def _superscript(m: re.Match) -> str:
    power = m.group(1).translate(SUPERSCRIPT_DIGITS)
    named = {"2": " squared", "3": " cubed"}.get(power)
    return named or f" to the {power.replace('-', 'minus ').replace('+', '')}"


def _module_ids(m: re.Match) -> str:
    """"Modules 04 and 12a" -> "Modules 4 and 12 A" (a voice reads 04 as "oh four")."""
    return m.group(1) + re.sub(r"\b\d+[a-z]?\b", lambda n: spoken_id(n.group(0)), m.group(2))


# Written forms a voice misreads: "/" is read "slash", "MiB" "my bee", "04" "oh four",
# and superscript digits are dropped ("10⁻⁴" read "ten"). Applied before REPLACEMENTS.
SPOKEN_FORMS = [(re.compile(p), spoken) for p, spoken in [
    (r"</w>", " end of word"),
    (r"\bViT-([A-Z])/(\d+)", r"ViT \1 \2"),
    (r"\b([A-Za-z]+)/s\b", r"\1 per second"),
    (r"(?<=[\w)\]])\s*/\s*(?=[\d(\[√]|[A-Za-z]\b)", " over "),
    (r"\s+/\s+", " over "),
    (r"(?<=[A-Za-z])/(?=[A-Za-z])", " and "),
    (r"\b(Modules?)((?:(?:\s*,\s*|\s+(?:and|or|to)\s+|\s*[–-]\s*|\s+)\d{2}[a-z]?\b)+)",
     _module_ids),
    (r"\b(\d[\d,.]*)\s*(KiB|MiB|GiB|TiB)\b", lambda m: f"{m.group(1)} {BINARY_UNITS[m.group(2)]}"),
    (r"\b(KiB|MiB|GiB|TiB)\b", lambda m: BINARY_UNITS[m.group(1)]),
    (r"([⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+)", _superscript),
]]
REPLACEMENTS = [(re.compile(p), spoken) for p, spoken in [
    (r"\be\.g\.,?", "for example,"), (r"\bi\.e\.,?", "that is,"), (r"\bvs\.?(?=\s)", "versus"),
    (r"\betc\.(?=\s+[a-z])", "et cetera"), (r"\betc\.", "et cetera."),
    (r"(?<![\w.])(\d+)\s*[–-]\s*(?=\d+(?![\w.]))", r"\1 to "),  # 3–5, not SmolLM2-135M
    (r"\s*[—–]\s*", ", "), ("×", " times "), ("→", " to "), ("≈", " is approximately "),
    ("−", "minus "), ("≤", " is at most "), ("≥", " is at least "), ("…", "..."), ("&", " and "),
    ("√", "the square root of "), ("ᵀ", " transpose"),
    (r"(?<=[A-Za-z])_(?=[A-Za-z0-9])", " "),  # d_k in plain text
    (r"\b(a|the) the\b", r"\1"),  # "the $\sqrt{d}$" -> "the the square root of d"
]]


@dataclass(frozen=True)
class Sentence:
    """One spoken sentence: the page anchor it belongs to, its words, the pause after it (s)."""

    anchor: str
    text: str
    pause_after_s: float = PAUSE_SENTENCE_S


@dataclass(frozen=True)
class Script:
    """A lesson's narration: sentences in reading order, with stable cue ids."""

    module_id: str
    sentences: tuple[Sentence, ...]

    @property
    def cue_ids(self) -> list[str]:
        """``anchor-k`` for each sentence, k counting from 1 within its anchor."""
        seen: dict[str, int] = {}
        ids = []
        for s in self.sentences:
            seen[s.anchor] = seen.get(s.anchor, 0) + 1
            ids.append(f"{s.anchor}-{seen[s.anchor]}")
        return ids

    @property
    def text(self) -> str:
        """The words alone, one sentence a line."""
        return "\n".join(s.text for s in self.sentences)

    def digest(self, voice: str) -> str:
        """SHA-256 of everything that decides the audio: voice, format, cue ids, pauses, words."""
        h = hashlib.sha256(f"voice={voice}\nformat={SCRIPT_FORMAT}\n".encode())
        for cue_id, s in zip(self.cue_ids, self.sentences, strict=True):
            h.update(f"{cue_id}\t{s.pause_after_s:.2f}\t{s.text}\n".encode())
        return h.hexdigest()


def normalise(text: str) -> str:
    """Typography a speech engine stumbles on, spelled out; whitespace collapsed."""
    for pattern, spoken in SPOKEN_FORMS + REPLACEMENTS:
        text = pattern.sub(spoken, text)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s+([,.;:!?])", r"\1", text).replace(",,", ",")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping abbreviations and initials ("et al.", "J.") whole."""
    text = normalise(text)
    sentences, start = [], 0
    for m in BOUNDARY.finditer(text):
        last_word = re.findall(r"([A-Za-z]+)[.!?]?$", text[start:m.start()].rstrip("\"”’)]"))
        if last_word and (last_word[0].lower() in ABBREVIATIONS or len(last_word[0]) == 1
                          and last_word[0].isupper() and text[m.start() - 1] == "."):
            continue
        sentences.append(text[start:m.start()].strip())
        start = m.end()
    sentences.append(text[start:].strip())
    # "`x.T` is ..." starts a sentence with "the code shown": capitalise it.
    return [s[0].upper() + s[1:] if s.startswith("the ") else s
            for s in sentences if re.search(r"[A-Za-z0-9]", s)]


def speak_inline(inline: Token) -> str:
    """The words of one inline token: text as is, maths spoken, short code names read."""
    parts = []
    for child in inline.children or []:
        if child.type == "text":
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "math_inline":
            parts.append(speak_latex(child.content))
        elif child.type == "code_inline":
            parts.append(speak_code(child.content.strip()))
    return "".join(parts)


def speak_code(code: str) -> str:
    """Inline code as words when it reads well aloud (see the patterns above), else a stand-in."""
    if IDENTIFIER.match(code):
        return code.replace("_", " ")
    if DOTTED.match(code):
        spoken = code.replace(".", " dot ").replace("=", " equals ").replace("_", " ")
        return " ".join(re.sub(r"-(?=\d)", "minus ", spoken).split())
    if WORDS.match(code) and "_" not in code:
        return code
    if NUMBERS.match(code):
        return re.sub(r"\s+", " ", re.sub(r"-(?=\d)", "minus ", code.replace(",", ", ")
                                          .replace(";", "; "))).strip()
    if (m := SPECIAL_TOKEN.match(code)) is not None:
        return m.group(1)
    return "the code shown"


def _ended(text: str) -> str:
    """Give a heading or label a full stop so the voice drops and pauses."""
    text = text.strip()
    return text if not text or text[-1] in ".!?:" else f"{text}."


def _sentences(anchor: str, text: str, pause_end: float) -> list[Sentence]:
    parts = split_sentences(text)
    return [Sentence(anchor, p, pause_end if i == len(parts) - 1 else PAUSE_SENTENCE_S)
            for i, p in enumerate(parts)]


def _figure_caption(content: str) -> str | None:
    m = FIGCAPTION.search(content)
    return html.unescape(TAG.sub(" ", m.group(1))) if m else None


def markdown_sentences(tokens: Sequence[Token], anchor=None, piece=None) -> Iterator[Sentence]:
    """Sentences of a parsed Markdown body, in reading order.

    ``anchor(block)`` names the anchor of a numbered block (default ``b{number}``);
    summaries of tables, code, formulas and figures belong to the block before them.
    ``piece(index)`` gives the sentences spoken for an interactive piece's slot.
    """
    anchor = anchor or (lambda block: f"b{block.number}")
    blocks = {id(b.opener): b for b in iter_blocks(list(tokens))}
    current, say, label, in_figure = "lesson", None, None, False
    for tok in tokens:
        text, pause = None, PAUSE_BLOCK_S
        slot = SLOT_RE.search(tok.content) if tok.type == "html_block" else None
        if slot and piece is not None:
            say = None
            yield from piece(int(slot.group(1)))
            continue
        if tok.type == "html_block":
            m = SAY.match(tok.content.strip())
            if m:
                say = m.group(1)
                continue
            caption = _figure_caption(tok.content)
            in_figure = in_figure or "<figure" in tok.content.lower()
            if caption is not None:
                text, in_figure = f"The lesson shows a figure here: {_ended(caption)}", False
            elif in_figure and "</figure>" in tok.content.lower():
                text, in_figure = FIGURE_SENTENCE, False
        elif id(tok) in blocks:
            block = blocks[id(tok)]
            current = anchor(block)
            text = speak_inline(block.inline)
            if block.kind == "heading" or block.in_list:
                text = _ended(text)
            if block.kind == "heading":
                pause = PAUSE_SECTION_S
        elif tok.type == "math_block":
            text = _ended(speak_latex(tok.content))
        elif tok.type == "table_open":
            text = TABLE_SENTENCE
        elif tok.type in ("fence", "code_block"):
            text = CODE_SENTENCE
        elif tok.type.startswith("container_") and tok.nesting == 1:
            label = CALLOUT_LABELS.get(tok.type.removeprefix("container_").removesuffix("_open"))
            continue
        if text is None:
            continue
        if say is not None:
            text, say = say, None
        if label is not None and id(tok) in blocks:
            yield Sentence(current, label, PAUSE_SENTENCE_S)
            label = None
        yield from _sentences(current, text, pause)


def _snippet(md, text: str, anchor: str, pause_end: float) -> list[Sentence]:
    """A core idea's text or a practice question (Markdown with maths), as sentences."""
    out = list(markdown_sentences(md.parse(text), anchor=lambda _block: anchor))
    if out:
        out[-1] = Sentence(anchor, out[-1].text, pause_end)
    return out


def widget_titles() -> dict[str, str]:
    """Each widget's title, by name (what the narration calls an inline widget)."""
    from app.widgets import registry

    return {name: spec.title for name, spec in registry().items()}


def piece_sentences(md, lesson, index: int, titles: dict[str, str]) -> list[Sentence]:
    """One short sentence for an inline widget; a checkpoint's question, never its answer."""
    piece, anchor = lesson.pieces[index], f"p{index}"
    if piece.kind == "widget":
        title = titles.get(piece.name, piece.name)
        return _sentences(anchor, f"The page shows a live playground here: {_ended(title)}",
                          PAUSE_BLOCK_S)
    out = [Sentence(anchor, "Checkpoint: make a prediction.", PAUSE_SENTENCE_S)]
    out += _snippet(md, piece.ask, anchor, PAUSE_BLOCK_S)
    return out


def spoken_id(module_id: str) -> str:
    """'07' -> '7', '12a' -> '12 A' (a voice reads '07' as 'oh seven')."""
    m = re.match(r"0?(\d+)([a-z]?)$", module_id)
    return f"{m.group(1)} {m.group(2).upper()}".strip() if m else module_id


def build_script(lesson) -> Script:
    """The narration script of one lesson (``app.content.index.Lesson``)."""
    meta, md = lesson.meta, make_markdown()
    out: list[Sentence] = [Sentence("title", f"Module {spoken_id(meta.id)}.", PAUSE_SENTENCE_S)]
    out += _sentences("title", _ended(meta.title), PAUSE_BLOCK_S)
    out += _sentences("tagline", meta.tagline, PAUSE_SECTION_S)
    out.append(Sentence("ideas", f"{_count_word(len(meta.core_ideas))} core ideas.",
                        PAUSE_BLOCK_S))
    for n, idea in enumerate(meta.core_ideas, start=1):
        out += _sentences(f"idea{n}", f"Core idea {n}: {_ended(idea.title)}", PAUSE_SENTENCE_S)
        out += _snippet(md, idea.text, f"idea{n}", PAUSE_BLOCK_S)
    out[-1] = Sentence(out[-1].anchor, out[-1].text, PAUSE_SECTION_S)
    titles = widget_titles() if lesson.widget_uses else {}
    out += list(markdown_sentences(lesson.tokens,
                                   piece=lambda i: piece_sentences(md, lesson, i, titles)))
    out.append(Sentence("practice", "Practice questions.", PAUSE_BLOCK_S))
    for n, item in enumerate(meta.practice, start=1):
        out.append(Sentence(f"q{n}", f"Question {n}, {item.level}.", PAUSE_SENTENCE_S))
        out += _snippet(md, item.question, f"q{n}", PAUSE_BLOCK_S)
    return Script(meta.id, tuple(out))


def _count_word(n: int) -> str:
    return {1: "One", 2: "Two", 3: "Three", 4: "Four"}.get(n, str(n))
