"""Speak LaTeX: a small mapping from the maths lessons use to words a listener follows.

Not a full TeX parser: it covers what ``docs/writing-lessons.md`` allows
(``\\frac``, ``\\sqrt``, sub/superscripts, ``\\sum``, ``\\exp``, ``\\mathrm``,
Greek letters, relations). Anything unknown is spoken by its command name, and
environments such as ``bmatrix`` are summarised ("a matrix"), never read cell by
cell. Examples::

    \\sqrt{d_k}        -> "the square root of d k"
    QK^\\top           -> "Q times K transpose"
    \\frac{a}{b}       -> "a over b"
    x_i^2             -> "x i squared"
"""

import re
from dataclasses import dataclass

GREEK = {name: name for name in (
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega")}
GREEK.update(varepsilon="epsilon", vartheta="theta", varphi="phi", varsigma="sigma")
GREEK = {k: v.lower() for k, v in GREEK.items()}

# Commands spoken as a relation or operator (no implied "times" around them).
OPERATORS = {
    "cdot": "times", "times": "times", "div": "divided by", "pm": "plus or minus",
    "approx": "is approximately", "sim": "is distributed as", "propto": "is proportional to",
    "le": "is at most", "leq": "is at most", "ge": "is at least", "geq": "is at least",
    "ll": "is much less than", "gg": "is much greater than", "neq": "is not equal to",
    "ne": "is not equal to", "equiv": "is defined as", "in": "in", "notin": "not in",
    "to": "to", "rightarrow": "to", "mapsto": "maps to", "leftarrow": "gets",
    "Rightarrow": "implies", "mid": "given", "ldots": "and so on", "cdots": "and so on",
    "dots": "and so on", "forall": "for all", "exists": "there is", "cup": "union",
    "cap": "intersect", "subset": "a subset of", "circ": "composed with", "odot": "times",
    "otimes": "tensor", "oplus": "plus", "land": "and", "lor": "or", "neg": "not",
    "quad": ",", "qquad": ",",
}
SYMBOLS = {"infty": "infinity",
           "top": "transpose", "prime": "prime", "ell": "l", "emptyset": "the empty set"}
FUNCTIONS = {"nabla": "the gradient of", "partial": "partial", "normof": "the norm of",
             "exp": "the exponential of", "log": "the log of",
             "ln": "the natural log of", "sin": "the sine of", "cos": "the cosine of",
             "tanh": "tanh of", "det": "the determinant of"}
BIG_OPERATORS = {"sum": "the sum", "prod": "the product", "max": "the max", "min": "the min",
                 "argmax": "the arg max", "argmin": "the arg min", "lim": "the limit",
                 "int": "the integral", "mathbb{E}": "the expected value"}
TEXT_COMMANDS = {"text", "mathrm", "operatorname", "textrm", "textit", "textbf", "mathit",
                 "mathsf", "mathtt"}
STYLE_COMMANDS = {"mathbf", "boldsymbol", "bm", "mathcal", "mathbb", "mathscr", "mathfrak"}
ACCENTS = {"hat": "{} hat", "bar": "{} bar", "tilde": "{} tilde", "vec": "vector {}",
           "overline": "{} bar", "dot": "{} dot"}
SILENT = {"left", "right", "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "displaystyle",
          "limits", "nolimits", ",", ";", ":", "!", " ", "{", "}", "|"}
ENVIRONMENTS = {"bmatrix": "a matrix", "pmatrix": "a matrix", "matrix": "a matrix",
                "vmatrix": "a determinant", "cases": "a set of cases"}
CHARS = {"=": "equals", "+": "plus", "-": "minus", "<": "is less than", ">": "is greater than",
         "/": "divided by", "!": "factorial", "'": "prime", "*": "star", ",": ",", ";": ","}
SUPERSCRIPTS = {"2": "squared", "3": "cubed", "minus 1": "inverse", "transpose": "transpose",
                "T": "transpose", "prime": "prime", "star": "star", "*": "star"}

TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\d+(?:\.\d+)?|[A-Za-z]|\S")
WORD_RUN = 3  # a run of at least this many lowercase letters is a word ("softmax"), not a product


@dataclass
class Atom:
    """One spoken piece; ``kind`` decides whether an implied "times" joins it to its neighbour.

    kinds: var (a letter), num, group (a fraction, root, braced group), op (a relation),
    word (softmax), func (exp: already ends in "of"), big (a sum: the next atom gets "of"),
    open/close (brackets, silent).
    """

    text: str
    kind: str


class _Parser:
    def __init__(self, latex: str) -> None:
        self.toks = TOKEN.findall(latex)
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> str | None:
        tok = self.peek()
        self.i += 1
        return tok

    def raw_group(self) -> str:
        """The source text of the next ``{…}`` group (or single token), for \\text{…}."""
        if self.peek() != "{":
            return self.take() or ""
        self.take()
        depth, parts = 1, []
        while (tok := self.take()) is not None:
            depth += {"{": 1, "}": -1}.get(tok, 0)
            if depth == 0:
                break
            parts.append(tok)
        return "".join(p if not p.startswith("\\") else " " for p in parts)

    def argument(self, products: bool = True) -> str:
        """The next ``{…}`` group or single atom, spoken.

        ``products=False`` (subscripts): ``a_{ij}`` is "a i j", not "a i times j".
        """
        if self.peek() == "{":
            self.take()
            return join(self.sequence(stop="}"), products)
        atom = self.atom()
        return atom.text if atom else ""

    def sequence(self, stop: str | None = None) -> list[Atom]:
        atoms: list[Atom] = []
        while (tok := self.peek()) is not None:
            if tok == stop:
                self.take()
                break
            if tok in ("^", "_") and atoms:
                self.take()
                self.script(atoms[-1], tok)
                continue
            if tok.isalpha() and len(tok) == 1:
                atoms.extend(self.letters())
                continue
            atom = self.atom()
            if atom is not None:
                atoms.append(atom)
        return atoms

    def letters(self) -> list[Atom]:
        """A run of plain letters: a word if long and lowercase, else one variable each."""
        start = self.i
        while (tok := self.peek()) is not None and len(tok) == 1 and tok.isalpha():
            self.take()
        run = "".join(self.toks[start:self.i])
        if len(run) >= WORD_RUN and run.islower():
            return [Atom(run, "word")]
        return [Atom(ch, "var") for ch in run]

    def script(self, base: Atom, mark: str) -> None:
        """Attach a subscript (spoken after the base) or a superscript to ``base``."""
        if mark == "_":
            sub = self.argument(products=False)
            base.text = f"{base.text} over {sub}" if base.kind == "big" else f"{base.text} {sub}"
            return
        bracketed = self.peek() == "{" and self.toks[self.i + 1:self.i + 2] == ["("]
        arg = self.argument()
        if base.kind == "big":
            base.text += f" to {arg}"
        elif arg in SUPERSCRIPTS:
            base.text += f" {SUPERSCRIPTS[arg]}"
        elif bracketed:
            base.text += f" superscript {arg}"
        elif base.text == "e":
            base.text += f" to the {arg}"
        else:
            base.text += f" to the power {arg}"

    def atom(self) -> Atom | None:
        tok = self.take()
        if tok is None:
            return None
        if tok == "{":
            return Atom(join(self.sequence(stop="}")), "group")
        if tok in ("(", "["):
            return Atom("", "open")
        if tok in (")", "]"):
            return Atom("", "close")
        if tok[0].isdigit():
            return Atom(tok, "num")
        if len(tok) == 1 and tok.isalpha():
            return Atom(tok, "var")
        if tok in CHARS:
            return Atom(CHARS[tok], "op")
        if tok.startswith("\\"):
            return self.command(tok[1:])
        return None  # other punctuation is silent

    def command(self, name: str) -> Atom | None:
        if name in ("frac", "dfrac", "tfrac"):
            num = self.argument()
            return Atom(f"{num} over {self.argument()}", "group")
        if name == "sqrt":
            if self.peek() == "[":
                self.take()
                index = join(self.sequence(stop="]"))
                return Atom(f"the {index}th root of {self.argument()}", "group")
            return Atom(f"the square root of {self.argument()}", "group")
        if name in TEXT_COMMANDS:
            text = " ".join(self.raw_group().split())
            return Atom(text, "word" if len(text) > 1 else "var")
        if name in STYLE_COMMANDS:
            if name == "mathbb" and self.toks[self.i:self.i + 2] == ["{", "E"]:
                self.raw_group()
                return Atom(BIG_OPERATORS["mathbb{E}"], "big")
            return Atom(self.argument(), "var")
        if name in ACCENTS:
            return Atom(ACCENTS[name].format(self.argument()), "var")
        if name == "begin":
            env = self.raw_group().strip()
            while (tok := self.take()) is not None:
                if tok == "\\end":
                    self.raw_group()
                    break
            return Atom(ENVIRONMENTS.get(env, "an expression"), "group")
        if name == "arg" and self.peek() in ("\\max", "\\min"):
            return Atom(BIG_OPERATORS["arg" + self.take()[1:]], "big")
        if name in GREEK:
            return Atom(GREEK[name], "var")
        if name in OPERATORS:
            return Atom(OPERATORS[name], "op")
        if name in SYMBOLS:
            return Atom(SYMBOLS[name], "var")
        if name in FUNCTIONS:
            return Atom(FUNCTIONS[name], "func")
        if name in BIG_OPERATORS:
            return Atom(BIG_OPERATORS[name], "big")
        if name in SILENT:
            return None
        return Atom(name, "word")


# f(x), p(x | y): a lone letter right before "(" names a function, so it is "f of x".
FUNCTION_LETTERS = {"f", "g", "h", "p", "P"}
PRODUCT_LEFT = {"var", "num", "group", "close"}
PRODUCT_RIGHT = {"var", "group", "func"}


def _glue(prev: Atom, atom: Atom, products: bool = True) -> str | None:
    """The word said between two neighbouring atoms, if any."""
    if products and prev.kind in PRODUCT_LEFT and atom.kind in PRODUCT_RIGHT \
            and not (prev.kind == "num" and atom.kind == "var"):
        return "times"  # QK, 2\\sqrt{d}, (a+b)c; but "2 x" rather than "2 times x"
    calls = atom.kind == "open" and (prev.kind == "word" or prev.text in FUNCTION_LETTERS)
    if calls or (prev.kind == "big" and atom.kind not in ("op", "close")):
        return "of"
    return None


def join(atoms: list[Atom], products: bool = True) -> str:
    """Join atoms into words, saying "times" where two factors sit side by side."""
    words: list[str] = []
    prev: Atom | None = None
    for atom in atoms:
        glue = _glue(prev, atom, products) if prev is not None else None
        if glue:
            words.append(glue)
        if atom.text:
            words.append(atom.text)
        # After "softmax(" the "of" is said: the bracket must not trigger "times" next.
        prev = Atom("", "said") if glue == "of" and atom.kind == "open" else atom
    text = " ".join(words)
    return re.sub(r"\s+([,])", r"\1", re.sub(r"\s+", " ", text)).strip()


THOUSANDS = re.compile(r"(\d)\{,\}(?=\d{3})")  # 2{,}362{,}368 is one number
NORM = re.compile(r"\\lVert\s*(.+?)\s*\\rVert|\\\|\s*(.+?)\s*\\\|")


def speak_latex(latex: str) -> str:
    """The spoken form of one formula (inline or display); never empty for real maths."""
    latex = THOUSANDS.sub(r"\1", latex)
    latex = NORM.sub(lambda m: r"\normof{" + (m.group(1) or m.group(2)) + "}", latex)
    return join(_Parser(latex).sequence())
