"""Count practice questions by how they are graded: ``python tools/practice_counts.py``."""

from collections import Counter

from app.content.loader import load_course
from app.settings import Settings
from app.widgets import registry


def main() -> None:
    settings = Settings()
    course = load_course(settings.lessons_dir, settings.audio_dir, registry())
    kinds = Counter(item.answer.kind if item.answer else "missing"
                    for lesson in course.lessons for item in lesson.meta.practice)
    total = sum(kinds.values())
    print(f"{total} questions in {len(course.lessons)} lessons: " +
          ", ".join(f"{n} {kind}" for kind, n in kinds.most_common()))
    print(f"graded automatically: {total - kinds['self'] - kinds['missing']}")


if __name__ == "__main__":
    main()
