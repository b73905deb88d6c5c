"""Logger, Tracer and Metrics, created once; every handler and service imports them from here."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

logger = Logger(service="delaydesk")
tracer = Tracer(service="delaydesk")
metrics = Metrics(namespace="DelayDesk", service="delaydesk")

RECORD_KEYS = ["event_id", "event_type", "order_id", "notice_id"]
"""Log keys that describe one record of a batch; cleared before the next record."""

__all__ = ["RECORD_KEYS", "MetricUnit", "count_by", "logger", "metrics", "tracer"]


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
