"""Counting the AWS API calls each function makes (``summary.aws_calls`` of ``simulate --json``).

One botocore ``before-call`` handler, registered on every botocore session (the built-in handlers
that each new session copies, and the sessions that exist already), sees every API call made in
this process: boto3's clients, pynamodb's, powertools'. It counts a call only while the embedded
AWS is invoking a function (``AwsCalls.counting``), under that function's name, as
``service.Operation`` (``dynamodb.Query``, ``sesv2.SendEmail``). The calls the embedded AWS makes
itself (the SQS poller, SES event publishing, the simulator's reads) happen outside any invocation
and are not counted, as AWS's own calls on a function's behalf are not in a function's bill.
A call is counted once however many times botocore retries it.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.handlers

_HOOK_ID = "delaydesk-local-aws-calls"
_active: list[AwsCalls] = []  # the counters of the embedded AWSes in use (innermost last)


def _observe(model: Any = None, **_: Any) -> None:
    if model is not None and _active:
        _active[-1].observe(model.service_model.service_name, model.name)


def _install() -> None:
    """Register the hook once per process: on new sessions, and on the default boto3 session."""
    entry = ("before-call", _observe)
    if entry not in botocore.handlers.BUILTIN_HANDLERS:
        botocore.handlers.BUILTIN_HANDLERS.append(entry)
    if boto3.DEFAULT_SESSION is not None:
        boto3.DEFAULT_SESSION._session.register("before-call", _observe, unique_id=_HOOK_ID)  # type: ignore[attr-defined]


class AwsCalls:
    """API calls per function name and ``service.Operation``, counted while a function runs."""

    def __init__(self) -> None:
        self.by_function: dict[str, Counter[str]] = {}
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

    def observe(self, service: str, operation: str) -> None:
        if self._function is not None:
            self.by_function.setdefault(self._function, Counter())[f"{service}.{operation}"] += 1

    def summary(self) -> dict[str, dict[str, int]]:
        """``{"scan_due": {"dynamodb.Query": 12, …}, …}``, sorted (the contract's shape)."""
        return {name: dict(sorted(calls.items())) for name, calls in sorted(self.by_function.items())}

    def total(self, *, exclude: tuple[str, ...] = ()) -> int:
        """All calls counted, less the ``service.Operation``s in ``exclude``."""
        return sum(n for calls in self.by_function.values() for op, n in calls.items() if op not in exclude)

    def reset(self) -> None:
        self.by_function.clear()


SENDS = ("sesv2.SendEmail", "sns.Publish")
"""The calls that deliver a notice (excluded when the goal counts calls "sends excluded")."""
