"""A tiny course (one short lesson) with real narration in the configured voice.

Used by tests/test_narration.py, tests/test_audio_routes.py and
tests/test_browser_player.py; each builds it once in a temporary folder.
"""

import shutil
import sys
from pathlib import Path

from app.content.loader import parse_lesson
from app.narration.build import narrate
from app.narration.voices import parse_voice
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

# Module 12's id, title and part must match lessons/course.yaml.
LESSON = r"""---
id: "12"
title: Attention from first principles
tagline: A tiny lesson for testing narration.
part: 2
minutes: 2
prerequisites: []
tags: [test]
widgets: []
core_ideas:
  - title: Weights
    text: "Weights add up to one."
  - title: Scale
    text: "Divide by $\\sqrt{d_k}$."
  - title: Rows
    text: "Softmax runs along rows."
references:
  - title: Attention Is All You Need
    authors: Vaswani and others
    year: 2017
    arxiv: "1706.03762"
practice:
  - level: easy
    question: "What do the weights sum to?"
    hint: "Look at the softmax."
    solution: "SECRET SOLUTION ONE."
  - level: medium
    question: "Why scale?"
    hint: "Variance."
    solution: "SECRET SOLUTION TWO."
  - level: hard
    question: "Which axis?"
    hint: "Rows."
    solution: "SECRET SOLUTION THREE."
---

## First idea

Attention mixes value vectors. Each token looks at every other token.

The score is $QK^\top$ scaled by $\sqrt{d_k}$.

```python
SECRET_CODE = 1
```

| a | b |
|---|---|
| TABLECELL | 2 |

<!-- say: This sentence replaces the next paragraph. -->
This paragraph is never read aloud.

The last paragraph ends the lesson.
"""


def write_course(root: Path) -> tuple[Path, Path]:
    """A lessons folder (the real syllabus + LESSON) and an empty audio folder under ``root``."""
    lessons, audio = root / "lessons", root / "audio"
    lessons.mkdir(parents=True)
    audio.mkdir()
    shutil.copy(ROOT / "lessons" / "course.yaml", lessons / "course.yaml")
    (lessons / "12-attention.md").write_text(LESSON, encoding="utf-8")
    return lessons, audio


def course_voice():
    """The voice the course is set to read with (``COURSE_NARRATION_VOICE``)."""
    return parse_voice(Settings().narration_voice)


def build_course(root: Path) -> tuple[Path, Path]:
    """:func:`write_course`, then build its narration with the real synthesizer."""
    lessons, audio = write_course(root)
    lesson = parse_lesson(lessons / "12-attention.md")
    narrate([lesson], audio, force=False, stream=sys.stderr, voice=course_voice())
    return lessons, audio
