"""Logger, Tracer and Metrics, created once; every handler and service imports them from here."""

from __future__ import annotations

import numbers
import traceback
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment


class _Untraced(BaseSegment):
    """The subsegment of a disabled tracer: every call is dropped (as the X-Ray SDK's dummy does)."""

    def close(self, end_time: int | None = None) -> None:
        pass

    def add_subsegment(self, subsegment: Any) -> None:
        pass

    def remove_subsegment(self, subsegment: Any) -> None:
        pass

    def put_annotation(self, key: str, value: str | numbers.Number | bool) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def add_exception(
        self, exception: BaseException, stack: list[traceback.StackSummary], remote: bool = False
    ) -> None:
        pass


class NoTracing(BaseProvider):
    """The tracer's provider where tracing is off (the embedded AWS, tests, tools).

    powertools' Tracer otherwise loads the X-Ray SDK even when disabled (its recorder is the
    default provider), and outside Lambda that recorder builds two X-Ray clients at import: a
    fifth of a cold start spent on traces that are never sent. Deployed (``Tracing: Active``), the
    X-Ray recorder is the provider as before.
    """

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[BaseSegment]:
        yield _Untraced()

    @asynccontextmanager
    async def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> AsyncIterator[BaseSegment]:
        yield _Untraced()

    def put_annotation(self, key: str, value: str | numbers.Number | bool) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def patch(self, modules: Sequence[str]) -> None:
        pass

    def patch_all(self) -> None:
        pass


def _tracer_provider() -> BaseProvider | None:
    """``NoTracing`` where powertools would disable the tracer (``POWERTOOLS_TRACE_DISABLED``, or
    outside Lambda); None (the X-Ray recorder) otherwise. powertools' own test, so the two agree."""
    return NoTracing() if Tracer._is_tracer_disabled() else None


logger = Logger(service="delaydesk")
tracer = Tracer(service="delaydesk", provider=_tracer_provider())
metrics = Metrics(namespace="DelayDesk", service="delaydesk")

RECORD_KEYS = ["event_id", "event_type", "order_id", "notice_id"]
"""Log keys that describe one record of a batch; cleared before the next record."""

__all__ = ["RECORD_KEYS", "MetricUnit", "NoTracing", "count_by", "logger", "metrics", "tracer"]


def count_by(name: str, dimension: str, value: str, amount: float = 1) -> None:
    """A count with one extra dimension (delays by rule, notices by channel), flushed at once."""
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=amount,
        namespace="DelayDesk",
        default_dimensions={"service": "delaydesk"},
    ) as metric:
        metric.add_dimension(name=dimension, value=value)
