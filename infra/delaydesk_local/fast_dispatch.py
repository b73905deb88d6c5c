"""Two pure helpers of moto's request dispatch, remembered instead of recomputed on every call.

For every request, moto lists the methods of the response class (``inspect.getmembers``) to find
the action's handler, and turns the action's name into snake case character by character; the
embedded SQS does the latter for each attribute of a queue, several times per message. Both
answers depend only on their input: the snake-case name on the string, the method names on the
class (whose set of functions the embedded AWS never changes; ``ses_events`` replaces one
method under the same name). While the embedded AWS runs, each is computed once per input.
``tests/integration/test_fast_dispatch.py`` compares them with moto's own on every response
class and on the names moto converts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import moto.core.responses
import moto.sqs.models

from delaydesk_local.patching import Patch

_MODULES = (moto.core.responses, moto.sqs.models)


def _remembered(original: Callable[..., Any]) -> Callable[..., Any]:
    cached = lru_cache(maxsize=4096)(original)

    def call(argument: Any) -> Any:
        answer = cached(argument)
        return list(answer) if isinstance(answer, list) else answer  # each caller its own list

    call.__wrapped__ = original  # type: ignore[attr-defined]
    return call


_patches = [
    Patch(module, name, _remembered(getattr(module, name)))
    for module in _MODULES
    for name in ("camelcase_to_underscores", "method_names_from_class")
    if hasattr(module, name)
]


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """Both helpers remembered while the block runs (``patching``)."""
    with contextlib.ExitStack() as stack:
        for patch in _patches:
            stack.enter_context(patch.installed())
        yield
