"""Questions with fresh numbers: each generator draws its numbers from a seed and
computes the answer with the same widget code the lesson uses.

A generator takes a NumPy ``Generator`` and returns a :class:`Variant`: the given
values the page shows under the question, the graded answer, and the working for these
numbers (shown with the worked solution). Same seed, same variant: the page sends the
seed back with the answer, so the server needs no state. Generators live in one module
per part (``gen_part1`` …) and are collected by :func:`registry`.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.content.answers import Graded

MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class Variant:
    given: tuple[tuple[str, str], ...]  # (label, value as shown), e.g. ("logits", "[1, 2]")
    answer: Graded
    working: str = ""  # Markdown: the computation for these numbers


Generator = Callable[[np.random.Generator], Variant]


def registry() -> dict[str, Generator]:
    """Every generator by name (``gen_part*`` modules each export ``GENERATORS``)."""
    from app.practice import gen_part1, gen_part2, gen_part3, gen_part4, gen_part5, gen_part6

    out: dict[str, Generator] = {}
    for module in (gen_part1, gen_part2, gen_part3, gen_part4, gen_part5, gen_part6):
        for name, fn in module.GENERATORS.items():
            if name in out:
                raise ValueError(f"two generators are named '{name}'")
            out[name] = fn
    return out


def variant(generator: Generator, seed: int) -> Variant:
    return generator(np.random.default_rng(seed))


def fmt_list(values, digits: int = 2) -> str:
    """``[1.5, -0.25, 2]``: numbers as the question shows them."""
    return "[" + ", ".join(f"{float(v):.{digits}f}".rstrip("0").rstrip(".") for v in values) + "]"
