"""One attribute of moto or botocore replaced while a block runs: the embedded AWS's speed-ups
(``fast_query``, ``fast_transact``, ``fast_serialize``, ``fast_dispatch``, ``shared_loader``) and
its fix (``partiql_insert``), each with its equivalence test against the code it replaces.

Nested blocks: the outermost one installs and restores. An attribute the owner inherits (a method
of a base class) is deleted again on the way out, not copied onto the owner.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any


class Patch:
    """``owner.name`` replaced by ``replacement`` inside ``installed()``; the replacement calls the
    attribute it replaced as ``original``; ``on_exit`` runs when the outermost block has restored it."""

    def __init__(
        self, owner: Any, name: str, replacement: Callable[..., Any], *, on_exit: Callable[[], None] | None = None
    ) -> None:
        self.owner, self.name, self.replacement, self.on_exit = owner, name, replacement, on_exit
        self._original: Callable[..., Any] | None = None

    @property
    def original(self) -> Callable[..., Any]:
        assert self._original is not None, f"{self.name} is not patched outside installed()"
        return self._original

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        if self._original is not None:
            yield
            return
        own = self.name in vars(self.owner)
        self._original = getattr(self.owner, self.name)
        setattr(self.owner, self.name, self.replacement)
        try:
            yield
        finally:
            if own:
                setattr(self.owner, self.name, self._original)
            else:
                delattr(self.owner, self.name)
            self._original = None
            if self.on_exit is not None:
                self.on_exit()
