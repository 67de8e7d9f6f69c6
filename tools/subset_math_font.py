"""Subset the vendored Noto Sans Math font to what the course's maths uses (build time).

``make vendor`` runs it: every character inside the lessons' rendered MathML, plus
ASCII, Greek and the common mathematical operators, arrows and brackets, keeping the
OpenType MATH table (stretchy brackets, braces, radicals and Σ). Needs fonttools and
brotli (``pip install -e '.[vendor]'``); the server never imports this.
"""

import re
import sys
from pathlib import Path

from fontTools import subset

ROOT = Path(__file__).resolve().parent.parent
SAFE = ("U+0020-007E,U+00A0-00FF,U+0391-03C9,U+03D1,U+03D5,U+03F0-03F5,U+2010-2044,"
        "U+2100-214F,U+2190-21FF,U+2200-22FF,U+2308-230B,U+27E8-27EB,"
        "U+1D400-1D467,U+1D6A8-1D71B")


def used_characters() -> set[str]:
    sys.path.insert(0, str(ROOT))
    from app.content.loader import load_course
    from app.widgets import registry

    index = load_course(ROOT / "lessons", ROOT / "audio", registry())
    chars: set[str] = set()
    for lesson in index.lessons:
        html = lesson.html + "".join("".join(q) for q in lesson.practice_html)
        for math in re.findall(r"<math.*?</math>", html, re.S):
            text = re.sub(r"<[^>]+>", "", math)
            text = re.sub(r"&#x([0-9A-Fa-f]+);", lambda m: chr(int(m.group(1), 16)), text)
            chars.update(text)
    return chars


def main(source: str, target: str) -> None:
    chars = used_characters()
    codes = ",".join(f"U+{ord(c):04X}" for c in sorted(chars) if not c.isspace())
    args = [source, f"--unicodes={SAFE},{codes}", "--layout-features=*", "--flavor=woff2",
            f"--output-file={target}", "--no-hinting", "--desubroutinize"]
    subset.main(args)
    print(f"{target}: {Path(target).stat().st_size:,} bytes, {len(chars)} characters used")


if __name__ == "__main__":
    main(*sys.argv[1:3])
