"""SQS event-source mappings, run in-process: the poller that Lambda would be.

moto's own poller would run the functions in Docker, so the embedded AWS disables the mappings and
delivers the batches itself: the Lambda SQS event in its documented shape, partial batch failures
(``ReportBatchItemFailures``) honoured, a crashed invocation failing its whole batch, and failed
messages left invisible until their visibility timeout passes, so that redrive to the DLQ happens
as SQS does it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from delaydesk_local.stack import ACCOUNT_ID, REGION

if TYPE_CHECKING:
    from delaydesk_local.invocation import FunctionSpec


@dataclass
class QueueBinding:
    """An SQS event-source mapping: which function consumes which queue."""

    queue_arn: str
    queue_url: str
    function: FunctionSpec
    batch_size: int
    reports_failures: bool


def sqs_event(binding: QueueBinding, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The Lambda SQS event for a batch, in the documented shape (tests/events/sqs_event.json;
    message attributes as tests/events/sqs_event_message_attributes.json)."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {
                    "ApproximateReceiveCount": m["Attributes"]["ApproximateReceiveCount"],
                    "SentTimestamp": m["Attributes"]["SentTimestamp"],
                    "SenderId": m["Attributes"].get("SenderId", ACCOUNT_ID),
                    "ApproximateFirstReceiveTimestamp": m["Attributes"]["ApproximateFirstReceiveTimestamp"],
                },
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value["DataType"],
                    }
                    for name, value in m.get("MessageAttributes", {}).items()
                },
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": binding.queue_arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


class Queues:
    """Sends to the stack's queues and delivers their messages to the functions bound to them."""

    def __init__(
        self,
        client: Callable[[str], Any],
        bindings: list[QueueBinding],
        queue_url: Callable[[str], str],
        invoke: Callable[[str, dict[str, Any]], Any],
        notes: list[str],
        when_empty: Callable[[], int],
    ) -> None:
        """``when_empty`` runs when no queue has a visible message; what it returns (how many it
        published) keeps the drain going."""
        self._client = client
        self.bindings = bindings
        self._queue_url = queue_url
        self._invoke = invoke
        self._notes = notes
        self._when_empty = when_empty
        self._inflight: dict[str, list[str]] = {}  # queue url -> receipt handles of failed messages

    def send(self, queue_logical_id: str, body: str, attributes: dict[str, str] | None = None) -> str:
        extra: dict[str, Any] = {}
        if attributes:
            extra["MessageAttributes"] = {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}
        response = self._client("sqs").send_message(
            QueueUrl=self._queue_url(queue_logical_id), MessageBody=body, **extra
        )
        message_id: str = response["MessageId"]
        return message_id

    @staticmethod
    def _may_have_visible(binding: QueueBinding) -> bool:
        """Whether the embedded SQS holds a visible message for ``binding``, read from moto's own
        queue in memory: an empty queue then costs no ReceiveMessage (those polls of empty queues
        were half of a replay's calls). Anything unexpected answers True: the receive decides."""
        try:
            from moto.sqs.models import sqs_backends

            queue = sqs_backends[ACCOUNT_ID][REGION].queues[binding.queue_url.rsplit("/", 1)[-1]]
            return any(m.visible and not m.delayed for m in queue._messages)
        except Exception:  # noqa: BLE001 - a moto internals change must not stop a replay
            return True

    def receive(self, binding: QueueBinding) -> list[dict[str, Any]]:
        if not self._may_have_visible(binding):
            return []
        response = self._client("sqs").receive_message(
            QueueUrl=binding.queue_url,
            MaxNumberOfMessages=binding.batch_size,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[dict[str, Any]] = response.get("Messages", [])
        return messages

    def drain(self, max_batches: int = 100_000) -> int:
        """Deliver every visible message to its function until all queues are empty.

        Messages whose record failed stay invisible (as after a Lambda failure) until the next
        ``release_failed()``: in simulated time, that is the next tick. When the queues are empty,
        ``when_empty`` runs (the SES events of the e-mails sent meanwhile are published) and what
        it queued is drained too.
        """
        sqs = self._client("sqs")
        delivered = 0
        for _ in range(max_batches):
            progressed = False
            for binding in self.bindings:
                messages = self.receive(binding)
                if not messages:
                    continue
                progressed = True
                delivered += len(messages)
                event = sqs_event(binding, messages)
                try:
                    result = self._invoke(binding.function.logical_id, event)
                except Exception as exc:  # noqa: BLE001 - a crashed invocation fails its whole batch, as in Lambda
                    self._notes.append(f"{binding.function.name} failed a batch: {exc}")
                    failed = {m["MessageId"] for m in messages}
                else:
                    items = (result or {}).get("batchItemFailures", []) if binding.reports_failures else []
                    failed = {item["itemIdentifier"] for item in items}
                for message in messages:
                    if message["MessageId"] in failed:
                        self._inflight.setdefault(binding.queue_url, []).append(message["ReceiptHandle"])
                    else:
                        sqs.delete_message(QueueUrl=binding.queue_url, ReceiptHandle=message["ReceiptHandle"])
            if not progressed:
                if self._when_empty():
                    continue
                return delivered
        raise RuntimeError("queues did not drain: a message keeps coming back")

    def release_failed(self) -> int:
        """Make failed messages visible again (their visibility timeout has passed)."""
        sqs = self._client("sqs")
        released = 0
        for queue_url, handles in self._inflight.items():
            for handle in handles:
                with contextlib.suppress(sqs.exceptions.ReceiptHandleIsInvalid):
                    sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
                    released += 1
        self._inflight.clear()
        return released

    def depth(self, logical_id: str) -> int:
        attributes = self._client("sqs").get_queue_attributes(
            QueueUrl=self._queue_url(logical_id),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])
