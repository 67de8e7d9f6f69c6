"""Pydantic's validation errors as one sentence a person can act on.

The same wording wherever parameters are refused: a bad query string (422), a widget
URL that falls back to its defaults, a lesson directive that check reports.
"""

from collections.abc import Iterable

WHERE = ("query", "path", "body")  # FastAPI's first location item, not a field name


def describe_errors(errors: Iterable[dict], whole: str = "request") -> str:
    """``temperature: Input should be greater than or equal to 0.01; …`` (one clause a field)."""
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        loc = loc[1:] if loc and loc[0] in WHERE else loc
        msg = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
        parts.append(f"{'.'.join(loc) or whole}: {msg}")
    return "; ".join(parts) or f"The {whole} is invalid."
