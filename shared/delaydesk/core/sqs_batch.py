"""SQS partial batch responses: each record handled on its own, the failed ones reported to SQS.

What Powertools' ``BatchProcessor(EventType.SQS)`` with ``process_partial_response`` does for an SQS
event, the same response and the same behaviour, without importing its batch package: that package
loads asyncio (for the async processor) and every event source's data class (the package
``utilities.data_classes``, for the Kinesis, DynamoDB and Kafka records), and also the parser's
pydantic models of every record type when pydantic was imported first (as the domain's types once
were): 0.15x to 0.2x ``import
boto3`` in every queue consumer's cold start (README, "Scale": cold start), for the ~60 lines below.
``tests/unit/core/test_sqs_batch.py`` runs both on the same events and compares them.

- each record is handed to ``record_handler`` as an ``SQSRecord`` (the fields the consumers read,
  named as Powertools names them); a record whose handler raises is reported in
  ``batchItemFailures`` by its ``messageId`` (SQS then deletes only the others), with the same
  debug line on the ``logging`` logger of this module;
- when every record of the batch failed, ``BatchProcessingError`` is raised (the invocation fails,
  SQS retries the whole batch), its message listing each record's traceback as Powertools does;
- an event without records (no ``Records`` list, or an empty one) is refused with
  ``UnexpectedBatchTypeError``, a ``BatchProcessingError``.

Not carried over (no consumer uses them): the ``lambda_context`` argument, Pydantic models
(``model=``), FIFO short-circuiting and the async processor.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TypedDict

log = logging.getLogger(__name__)

ExceptionInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class PartialItemFailure(TypedDict):
    itemIdentifier: str


class PartialItemFailureResponse(TypedDict):
    batchItemFailures: list[PartialItemFailure]


class BatchProcessingError(Exception):
    """Every record of the batch failed (the message carries each record's traceback)."""

    def __init__(self, msg: str, child_exceptions: list[ExceptionInfo] | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.child_exceptions = child_exceptions or []

    def __str__(self) -> str:
        parts = [f"{self.msg}\n"]
        parts += ["".join(traceback.format_exception(*info)) for info in self.child_exceptions]
        return "\n".join(parts)


class UnexpectedBatchTypeError(BatchProcessingError):
    """The event is not a batch of records."""


class SQSRecordAttributes:
    """A record's system attributes (``attributes``), values as SQS sends them: strings."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw = raw

    @property
    def approximate_receive_count(self) -> str:
        return str(self._raw["ApproximateReceiveCount"])

    @property
    def sent_timestamp(self) -> str:
        return str(self._raw["SentTimestamp"])


class SQSRecord:
    """One record of an SQS event, read as Powertools' ``SQSRecord`` reads it (``raw_event`` the dict)."""

    __slots__ = ("raw_event",)

    def __init__(self, raw_event: dict[str, Any]) -> None:
        self.raw_event = raw_event

    @property
    def message_id(self) -> str:
        return str(self.raw_event["messageId"])

    @property
    def receipt_handle(self) -> str:
        return str(self.raw_event["receiptHandle"])

    @property
    def body(self) -> str:
        return str(self.raw_event["body"])

    @property
    def event_source_arn(self) -> str:
        return str(self.raw_event["eventSourceARN"])

    @property
    def attributes(self) -> SQSRecordAttributes:
        return SQSRecordAttributes(self.raw_event["attributes"])


def process_partial_response(
    event: Mapping[str, Any], record_handler: Callable[[SQSRecord], object]
) -> PartialItemFailureResponse:
    """Every record of ``event`` through ``record_handler``; the failed ones in ``batchItemFailures``."""
    records = event.get("Records", [])
    if not records or not isinstance(records, list):
        raise UnexpectedBatchTypeError(
            "Unexpected batch event type. Possible values are: SQS, KinesisDataStreams, DynamoDBStreams, Kafka"
        )
    failed: list[PartialItemFailure] = []
    exceptions: list[ExceptionInfo] = []
    for raw in records:
        record = SQSRecord(raw)
        try:
            record_handler(record)
        except Exception as exc:  # noqa: BLE001 - reported to SQS, as Powertools' failure_handler does
            info: ExceptionInfo = (type(exc), exc, sys.exc_info()[2])
            log.debug("Record processing exception: %s:%s", type(exc), exc)
            exceptions.append(info)
            failed.append({"itemIdentifier": record.message_id})
    if not failed:
        log.debug("All %d records successfully processed", len(records))
        return {"batchItemFailures": []}
    if len(failed) == len(records):
        raise BatchProcessingError(
            f"All records failed processing. {len(exceptions)} individual errors logged separately below.",
            exceptions,
        )
    return {"batchItemFailures": failed}
