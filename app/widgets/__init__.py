"""Widgets: each module in this package that defines ``SPEC`` is one widget."""

import importlib
import pkgutil

from app.widgets.base import WidgetSpec


def registry() -> dict[str, WidgetSpec]:
    """Every widget spec, by name, discovered from this package's modules."""
    specs: dict[str, WidgetSpec] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        spec = getattr(module, "SPEC", None)
        if isinstance(spec, WidgetSpec):
            if spec.name in specs:
                raise RuntimeError(f"two widgets are named '{spec.name}'")
            specs[spec.name] = spec
    return specs
