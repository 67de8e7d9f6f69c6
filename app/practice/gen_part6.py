"""Generated questions for Part 6."""

GENERATORS: dict = {}
