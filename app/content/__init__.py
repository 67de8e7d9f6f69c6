"""Lessons as content: the syllabus, front matter, Markdown rendering and the index."""
