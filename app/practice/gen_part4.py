"""Generated questions for Part 4."""

GENERATORS: dict = {}
