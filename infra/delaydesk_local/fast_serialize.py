"""DynamoDB answers in the embedded AWS without walking every attribute through the service model.

moto serialises each answer generically: for every ``AttributeValue`` of every item it looks each
of the ten members up by name and alias, converts it by its shape's type and builds a new dict.
A replay's queries return hundreds of items each, so this was the largest single cost of a
replay (the early warning reads a merchant's counters every hour).

An ``AttributeValue`` that moto hands over is already what the wire format holds: ``{"S": "…"}``,
``{"N": "…"}``, string sets, ``NULL``/``BOOL`` flags, nested ``M`` and ``L``. While the embedded
AWS runs, such a value (and everything inside it) is written to the answer as it is. Anything
else takes moto's own path, unchanged: binary values (moto base64-encodes ``B`` and ``BS``),
members that are not plain strings, booleans, lists or dicts, ``None`` members (moto leaves
them out), keys that are not members (moto drops them, or reads ``s`` as ``S``), an empty name in
a map (moto writes the value's members into the map instead), and objects.
``tests/integration/test_fast_serialize.py`` compares both ways of answering on random items.
"""

from __future__ import annotations

import contextlib
from typing import Any

from moto.core.serialize import BaseJSONSerializer

from delaydesk_local.patching import Patch

_STRINGS = frozenset({"S", "N"})
_STRING_SETS = frozenset({"SS", "NS"})
_FLAGS = frozenset({"NULL", "BOOL"})
_SERVICES = frozenset({"dynamodb", "dynamodbstreams"})


def is_plain(value: Any) -> bool:
    """Whether moto's serialiser would write ``value`` (an ``AttributeValue``) unchanged."""
    if type(value) is not dict:
        return False
    for member, inner in value.items():
        if member in _STRINGS:
            if type(inner) is not str:
                return False
        elif member in _FLAGS:
            if type(inner) is not bool:
                return False
        elif member in _STRING_SETS:
            if type(inner) is not list or any(type(v) is not str for v in inner):
                return False
        elif member == "M":
            # an empty name: moto writes the value's members into the map itself (moto's quirk)
            if type(inner) is not dict or any(type(k) is not str or not k or not is_plain(v) for k, v in inner.items()):
                return False
        elif member == "L":
            if type(inner) is not list or not all(is_plain(v) for v in inner):
                return False
        else:  # B, BS (base64-encoded by moto), an alias, a key that is not a member
            return False
    return True


def _serialize(self: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str) -> None:
    if key and shape.name == "AttributeValue" and _dynamodb(self) and is_plain(value):
        serialized[self.get_serialized_name(shape, key)] = value  # moto's _default_serialize
        return
    _patch.original(self, serialized, value, shape, key)


def _dynamodb(serializer: BaseJSONSerializer) -> bool:
    return serializer.operation_model.service_model.service_name in _SERVICES


_patch = Patch(BaseJSONSerializer, "_serialize", _serialize)  # ResponseSerializer's, inherited


def installed() -> contextlib.AbstractContextManager[None]:
    """DynamoDB's plain ``AttributeValue``s are written as they are while the block runs (``patching``)."""
    return _patch.installed()
