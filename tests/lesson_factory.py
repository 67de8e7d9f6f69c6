"""Build small, valid lesson folders for loader tests (a copy of the real syllabus)."""

import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

VALID = {
    "id": "03",
    "title": "Vectors, dot products and similarity",
    "tagline": "Alignment, measured.",
    "part": 1,
    "minutes": 5,
    "prerequisites": [],
    "tags": ["vectors"],
    "widgets": ["softmax"],
    "core_ideas": [{"title": f"Idea {i}", "text": f"Text {i}."} for i in range(3)],
    "references": [{"title": "Word2vec", "authors": "Mikolov et al.", "year": 2013,
                    "arxiv": "1301.3781"}],
    "practice": [{"question": f"Q{i}?", "hint": "H.", "solution": "S."} for i in range(3)],
}


def write_lesson(folder: Path, name: str, front: dict, body: str = "## Intro\n\nHello.\n") -> Path:
    path = folder / name
    path.write_text("---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n" + body,
                    encoding="utf-8")
    return path


def lesson_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    folder.mkdir()
    shutil.copy(ROOT / "lessons" / "course.yaml", folder / "course.yaml")
    return folder


def filler(words: int) -> str:
    """Plain prose of exactly ``words`` words (the check counts words of prose)."""
    return " ".join(f"word{i % 50}" for i in range(words))


SOFTMAX_WIDGET = "```widget softmax #temp\ntemperature: 0.5\n```\n"
CONCEPT_CHECKPOINT = """```checkpoint #{anchor}
ask: "Which is a probability distribution?"
choices:
  - text: "[0.2, 0.8]"
    correct: true
  - text: "[0.5, 0.8]"
    feedback: "These add up to 1.3, not 1."
why: "Non-negative numbers that add up to 1."
```
"""
COMPUTED_CHECKPOINT = """```checkpoint #{anchor}
ask: "At temperature 0.5, is the first probability above 0.9?"
widget: softmax
params: {{temperature: 0.5}}
answer: probabilities[0]
format: "%.3f"
choices:
  - text: "Yes"
    when: "> 0.9"
  - text: "No"
    when: "<= 0.9"
    feedback: "Halving the temperature doubles every gap between logits."
why: "Dividing by 0.5 doubles the gaps, so the largest logit takes almost everything."
```
"""


def interactive_body(words: int = 1100, first_at: int = 10) -> str:
    """A body that passes the interactive checks: a widget after ``first_at`` words, two
    checkpoints, ``words`` words of prose in all."""
    return ("## Intro\n\n" + filler(first_at) + "\n\n" + SOFTMAX_WIDGET
            + "\n[Set the temperature to 2](setup:temperature=2)\n\n"
            + COMPUTED_CHECKPOINT.format(anchor="hot") + "\n" + filler(words - first_at - 7)
            + "\n\n" + CONCEPT_CHECKPOINT.format(anchor="dist") + "\n")
