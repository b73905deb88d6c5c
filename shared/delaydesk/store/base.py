"""Data access: pynamodb models of the template's tables and functions named for each access pattern.

Every state change is a conditional write; a lost race surfaces as ``ConcurrentUpdate``.
"""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.exceptions import PutError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from delaydesk.core.config import Settings


class ConcurrentUpdate(Exception):
    """A conditional write lost: someone else changed the item first."""


def conditional_failure(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def save_if(item: Model, condition: Condition) -> bool:
    """Put ``item`` if ``condition`` holds; False when it does not (the write happened before)."""
    try:
        item.save(condition=condition)
    except PutError as exc:
        if conditional_failure(exc):
            return False
        raise
    return True


_MODELS: dict[str, type[Model]] = {}
_BOUND: list[Settings] = []
"""The settings of the last ``bind``: a table module loaded after it (the package loads them on
first use) is pointed at its table as it registers."""


def recent_digests(kept: bytes | None, size: int) -> Iterator[bytes]:
    """The fixed-size digests an item keeps of its last few inputs in one binary attribute, oldest
    first (the order's applied events, the transit histogram's sampled orders)."""
    kept = kept or b""
    return (kept[start : start + size] for start in range(0, len(kept), size))


def remember_digest(kept: bytes | None, digest: bytes, limit: int) -> bytes:
    """``kept`` with ``digest`` appended, the oldest dropped beyond ``limit`` digests."""
    return ((kept or b"") + digest)[-limit * len(digest) :]


def register(field_name: str, model: type[Model]) -> None:
    """Name the settings field that holds ``model``'s table name (see ``bind``)."""
    _MODELS[field_name] = model
    if _BOUND:
        _point(field_name, model, _BOUND[0])


def bind(settings: Settings) -> None:
    """Point every model at the tables named by the settings (the stack's physical names)."""
    _BOUND[:] = [settings]
    for field_name, model in _MODELS.items():
        _point(field_name, model, settings)


def _point(field_name: str, model: type[Model], settings: Settings) -> None:
    name = getattr(settings, field_name)
    if model.Meta.table_name != name or model.Meta.region != settings.aws_region:
        model.Meta.table_name = name
        model.Meta.region = settings.aws_region
        model._connection = None
