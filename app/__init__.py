"""How LLMs Work: an interactive course served by FastAPI."""
