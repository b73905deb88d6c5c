"""A package's public names, loaded on first use (PEP 562), so that importing a wing costs nothing.

A Lambda function imports its wing's package for one or two names; an ``__init__`` that imported
every module of the wing made each handler pay for all of them (jinja2 and Babel in a function
that renders nothing, the doctor in every operations handler). A wing's ``__init__`` therefore
names its exports twice: under ``TYPE_CHECKING`` (what mypy and the import contract read) and in
the table given here (what Python loads when the name is first read);
``tests/unit/test_lazy_exports.py`` keeps the two the same.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``exports`` maps each public name to
    ``"module"`` (the name is that module) or ``"module:attribute"``."""

    def __getattr__(name: str) -> Any:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name)
        value = getattr(module, attribute) if attribute else module
        setattr(sys.modules[package], name, value)  # once: later reads are plain lookups
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__
