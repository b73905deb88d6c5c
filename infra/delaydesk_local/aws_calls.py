"""Counting the AWS API calls each function makes (``summary.aws_calls`` of ``simulate --json``).

One botocore ``before-call`` handler, registered on every botocore session (the built-in handlers
that each new session copies, and the sessions that exist already), sees every API call made in
this process: boto3's clients, pynamodb's, powertools'. It counts a call only while the embedded
AWS is invoking a function (``AwsCalls.counting``), under that function's name, as
``service.Operation`` (``dynamodb.Query``, ``sesv2.SendEmail``). The calls the embedded AWS makes
itself (the SQS poller, SES event publishing, the simulator's reads) happen outside any invocation
and are not counted, as AWS's own calls on a function's behalf are not in a function's bill.
A call is counted once however many times botocore retries it.

The same hooks meter the DynamoDB write units of each function (``metering.WriteUnits``: the
items before and after each write, read from moto's backend).
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.handlers

from delaydesk_local.metering import WriteUnits

_HOOK_ID = "delaydesk-local-aws-calls"
_active: list[AwsCalls] = []  # the counters of the embedded AWSes in use (innermost last)


def _observe(model: Any = None, params: Any = None, context: Any = None, **_: Any) -> None:
    if model is not None and _active:
        _active[-1].observe(model.service_model.service_name, model.name, params, context)


def _observed(model: Any = None, context: Any = None, **_: Any) -> None:
    if model is not None and _active:
        _active[-1].observed(model.name, context)


def _install() -> None:
    """Register the hooks once per process: on new sessions, and on the default boto3 session."""
    for entry in (("before-call", _observe), ("after-call", _observed)):
        if entry not in botocore.handlers.BUILTIN_HANDLERS:
            botocore.handlers.BUILTIN_HANDLERS.append(entry)
        if boto3.DEFAULT_SESSION is not None:
            boto3.DEFAULT_SESSION._session.register(entry[0], entry[1], unique_id=f"{_HOOK_ID}-{entry[0]}")


class AwsCalls:
    """API calls per function name and ``service.Operation``, counted while a function runs."""

    def __init__(self) -> None:
        self.by_function: dict[str, Counter[str]] = {}
        self.write_units: Counter[str] = Counter()
        """DynamoDB write units per function."""
        self._units = WriteUnits()
        self._pending: dict[int, tuple[str, Any]] = {}  # id(request context) -> write snapshot
        self._function: str | None = None

    def __enter__(self) -> AwsCalls:
        _install()
        _active.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        if self in _active:
            _active.remove(self)

    @contextlib.contextmanager
    def counting(self, function: str) -> Iterator[None]:
        """Count the calls made inside the block as ``function``'s."""
        previous, self._function = self._function, function
        try:
            yield
        finally:
            self._function = previous

    def observe(self, service: str, operation: str, params: Any = None, context: Any = None) -> None:
        if self._function is None:
            return
        self.by_function.setdefault(self._function, Counter())[f"{service}.{operation}"] += 1
        if service == "dynamodb" and isinstance(params, dict) and context is not None:
            body = params.get("body") or b"{}"
            snapshot = self._units.before(operation, json.loads(body))
            if snapshot is not None:
                self._pending[id(context)] = (self._function, snapshot)

    def observed(self, operation: str, context: Any) -> None:
        pending = self._pending.pop(id(context), None)
        if pending is not None:
            function, snapshot = pending
            self.write_units[function] += self._units.after(operation, snapshot)

    def summary(self) -> dict[str, dict[str, int]]:
        """``{"scan_due": {"dynamodb.Query": 12, …}, …}``, sorted (the contract's shape)."""
        return {name: dict(sorted(calls.items())) for name, calls in sorted(self.by_function.items())}

    def total(self, *, exclude: tuple[str, ...] = ()) -> int:
        """All calls counted, less the ``service.Operation``s in ``exclude``."""
        return sum(n for calls in self.by_function.values() for op, n in calls.items() if op not in exclude)

    def reset(self) -> None:
        self.by_function.clear()
        self.write_units.clear()


SENDS = ("sesv2.SendEmail", "sns.Publish")
"""The calls that deliver a notice (excluded when the goal counts calls "sends excluded")."""
