"""Records: the domain's typed values (pure), held by msgspec structs.

A record is a ``msgspec.Struct``: building one costs what a plain class costs, and msgspec (a few
milliseconds to import, where pydantic cost about 0.4x ``import boto3`` in every function) checks
an input against its type when it is read at the edge (``model_validate``, ``model_validate_json``):
types, required fields, bounds and patterns (``msgspec.Meta``), then each field's own checks
(``Check`` in its ``Annotated`` type: one line, an IANA zone, a UTC instant…) and the record's
``_valid`` rule, in ``__post_init__``. A record built in code from values the code made is not
checked against its types (as a dataclass); whatever comes from outside is read with
``model_validate``.

The methods keep the names the domain used with pydantic (``model_validate``, ``model_dump``,
``model_dump_json``, ``model_copy``), with the same results for what the domain asks of them:
dumps in field order, UTC instants as ``Z``, decimals as strings, ``exclude_defaults`` and
``exclude``. A refusal is a ``ValidationError`` whose ``problems`` name the field and the reason.
"""

from __future__ import annotations

import copy
import re
import types
import typing
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self, dataclass_transform, get_args, get_origin, get_type_hints

import msgspec
from msgspec import Meta, ValidationError, field

__all__ = ["Check", "FrozenRecord", "Meta", "Record", "ValidationError", "field", "first_problem", "problems"]

_SURROGATE = "contains a lone surrogate (not valid Unicode text)"
_PYTHON_TYPES = (datetime, date, time, timedelta, Decimal)
"""What ``model_dump()`` (Python mode) keeps as objects, as pydantic did."""


class Check:
    """A rule in a field's ``Annotated`` type: ``function(value)`` raises ValueError with the reason,
    or returns the value to keep (a UTC instant for one with another offset)."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[[Any], Any]) -> None:
        self.function = function

    def __repr__(self) -> str:
        return f"Check({getattr(self.function, '__name__', self.function)!r})"


_Run = Callable[[Any], Any]


def _runner(hint: Any) -> _Run | None:
    """What checks a value of type ``hint`` needs (None: none), through Optional, lists and dicts;
    the runner returns the value to keep. A text field holds exactly a ``str``: an enum member given
    to it (``Kind.SHIPMENT_DELAYED``) is kept as its text, as pydantic kept it, so that a store's
    serializer that goes by exact type (pynamodb's maps) takes it."""
    if hint is str:
        return _exact_text
    if get_origin(hint) is Annotated:
        inner, *extras = get_args(hint)
        checks = [extra.function for extra in extras if isinstance(extra, Check)]
        deeper = _runner(inner)
        if not checks:
            return deeper

        def run(value: Any) -> Any:
            for check in checks:
                value = check(value)
            return value if deeper is None else deeper(value)

        return run
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        runners = [r for r in (_runner(arg) for arg in get_args(hint) if arg is not type(None)) if r]
        if not runners:
            return None
        if len(runners) > 1:
            raise TypeError(f"checks on more than one member of {hint!r} are not supported")
        return _optional(runners[0])
    if origin is list:
        each = _runner(get_args(hint)[0])
        return None if each is None else _each(each)
    if origin is dict:
        each = _runner(get_args(hint)[1])
        return None if each is None else _each_value(each)
    return None


def _exact_text(value: Any) -> Any:
    return value if type(value) is str or not isinstance(value, str) else str.__str__(value)


def _optional(run: _Run) -> _Run:
    return lambda value: None if value is None else run(value)


def _each(run: _Run) -> _Run:
    return lambda values: [run(v) for v in values]


def _each_value(run: _Run) -> _Run:
    return lambda values: {k: run(v) for k, v in values.items()}


class _KeywordsOnly(msgspec.StructMeta):
    """Every record's fields are keywords (``kw_only``, which msgspec applies class by class)."""

    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **options: Any) -> Any:
        options.setdefault("kw_only", True)
        return super().__new__(mcls, name, bases, namespace, **options)


class _Methods:
    """What every record can do (see the module's docstring)."""

    __slots__ = ()
    __struct_fields__: tuple[str, ...]
    _exact: ClassVar[tuple[str, ...]] = ()
    """Fields read only as JSON types them: a number given as text is refused, not converted."""

    def __post_init__(self) -> None:
        for name, run in _checks_of(type(self)):
            value = getattr(self, name)
            try:
                kept = run(value)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
            if kept is not value:
                msgspec.structs.force_setattr(typing.cast(msgspec.Struct, self), name, kept)
        self._valid()

    def _valid(self) -> None:
        """The record's own rule across its fields (raise ValueError with the reason)."""

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        """``data`` (decoded JSON, a mapping) checked and read as this record."""
        if isinstance(data, cls):
            return data
        if isinstance(data, dict):
            for name in cls._exact:
                if isinstance(data.get(name), str | float | bool):
                    raise ValidationError(f"{name}: must be a whole number, not {type(data[name]).__name__}")
        try:
            return msgspec.convert(data, cls, strict=False)
        except UnicodeEncodeError:  # a lone surrogate where msgspec reads the text (a time, a number)
            raise ValidationError(_SURROGATE) from None

    @classmethod
    def model_validate_json(cls, data: str | bytes) -> Self:
        try:
            if cls._exact:  # the exact fields are checked on the decoded object, as model_validate does
                return cls.model_validate(msgspec.json.decode(data))
            return msgspec.json.decode(data, type=cls, strict=False)
        except UnicodeEncodeError:
            raise ValidationError(_SURROGATE) from None
        except ValidationError:
            raise
        except msgspec.DecodeError as exc:  # not JSON at all: refused as pydantic refused it
            raise ValidationError(f"not JSON: {exc}") from None

    def model_dump(
        self, *, mode: str = "python", exclude: set[str] | None = None, exclude_defaults: bool = False
    ) -> dict[str, Any]:
        """The record as a dict (``mode="json"``: JSON's types only, as the JSON dump writes them)."""
        plain = _plain(self, exclude_defaults)
        for name in exclude or ():
            plain.pop(name, None)
        if mode == "json":
            return typing.cast(dict[str, Any], msgspec.to_builtins(plain))
        return typing.cast(dict[str, Any], msgspec.to_builtins(plain, builtin_types=_PYTHON_TYPES))

    def model_dump_json(self, *, exclude_defaults: bool = False) -> str:
        if not exclude_defaults:
            return msgspec.json.encode(self).decode("utf-8")
        return msgspec.json.encode(_plain(self, True)).decode("utf-8")

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update``'s fields replaced (not checked, as pydantic's); shallow unless
        ``deep``."""
        copied = copy.deepcopy(self) if deep else self
        return typing.cast(Self, msgspec.structs.replace(typing.cast(msgspec.Struct, copied), **(update or {})))


@dataclass_transform(kw_only_default=True, field_specifiers=(msgspec.field,))
class Record(_Methods, msgspec.Struct, metaclass=_KeywordsOnly):
    """A record whose fields may change (an order's state, changed in place by its events)."""


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(msgspec.field,))
class FrozenRecord(_Methods, msgspec.Struct, frozen=True, metaclass=_KeywordsOnly):
    """A record that never changes once read (a contract's value, a setting, a decision)."""


_CHECKS: dict[type, tuple[tuple[str, _Run], ...]] = {}
_DEFAULTS: dict[type, tuple[tuple[str, Any], ...]] = {}


def _checks_of(cls: type) -> tuple[tuple[str, _Run], ...]:
    found = _CHECKS.get(cls)
    if found is None:
        hints = get_type_hints(cls, include_extras=True)
        names = cls.__struct_fields__  # type: ignore[attr-defined]
        found = tuple((name, run) for name in names if (run := _runner(hints[name])) is not None)
        _CHECKS[cls] = found
    return found


_NO_DEFAULT = object()


def _defaults_of(cls: type) -> tuple[tuple[str, Any], ...]:
    found = _DEFAULTS.get(cls)
    if found is None:
        pairs = []
        for info in msgspec.structs.fields(cls):
            if info.default is not msgspec.NODEFAULT:
                pairs.append((info.name, info.default))
            elif info.default_factory is not msgspec.NODEFAULT:
                pairs.append((info.name, info.default_factory()))
            else:
                pairs.append((info.name, _NO_DEFAULT))
        found = _DEFAULTS[cls] = tuple(pairs)
    return found


def _plain(record: _Methods, exclude_defaults: bool) -> dict[str, Any]:
    """The record's fields in order, records within made dicts, defaults left out if asked."""
    out: dict[str, Any] = {}
    for name, default in _defaults_of(type(record)):
        value = getattr(record, name)
        if exclude_defaults and default is not _NO_DEFAULT and value == default:
            continue
        out[name] = _inner(value, exclude_defaults)
    return out


def _inner(value: Any, exclude_defaults: bool) -> Any:
    if isinstance(value, _Methods):
        return _plain(value, exclude_defaults)
    if isinstance(value, list | tuple):
        return [_inner(v, exclude_defaults) for v in value]
    if isinstance(value, dict):
        return {k: _inner(v, exclude_defaults) for k, v in value.items()}
    return value


_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_OBJECT_FIELD = re.compile(r"^Object (?:contains unknown|missing required) field `(?P<name>[^`]*)`$")
_FIELD = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*): (?P<reason>.*)$", re.DOTALL)


def problems(exc: ValidationError) -> list[tuple[str, str]]:
    """``(where, reason)`` of a refusal: ``where`` is the field's dotted path (``""`` for the whole
    input), ``reason`` what is wrong, as msgspec or the field's check said it."""
    found = _AT.match(str(exc))
    message, path = (found["message"], found["path"] or "") if found else (str(exc), "")
    parts = [p for p in re.split(r"\.|\[(\d+)\]", path) if p]
    named = _FIELD.match(message)
    field_of_object = _OBJECT_FIELD.match(message)
    if field_of_object:  # msgspec names an unknown or a missing field in its message, not its path
        parts.append(field_of_object["name"])
    elif named:
        parts.append(named["name"])
        message = named["reason"]
    return [(".".join(parts), message)]


def first_problem(exc: ValidationError) -> str:
    """``field.path: reason`` (``(body): reason`` for the whole input): one line for a refusal."""
    where, reason = problems(exc)[0]
    return f"{where or '(body)'}: {reason}"
