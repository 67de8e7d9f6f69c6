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
