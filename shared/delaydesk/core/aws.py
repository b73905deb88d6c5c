"""boto3 clients, created once per container and only when first used."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3

from delaydesk.core.config import get_settings

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef


@lru_cache(maxsize=1)
def sqs() -> SQSClient:
    return boto3.client("sqs", region_name=get_settings().aws_region)


@lru_cache(maxsize=1)
def sesv2() -> SESV2Client:
    return boto3.client("sesv2", region_name=get_settings().aws_region)


@lru_cache(maxsize=1)
def sns() -> SNSClient:
    return boto3.client("sns", region_name=get_settings().aws_region)


def send_batches(queue_url: str, bodies: list[str], what: str, delays: list[int] | None = None) -> None:
    """Send message bodies to a queue in batches of ten; any refused entry raises (SQS retries us).

    ``delays``: each message's DelaySeconds (same order as ``bodies``; none by default).
    """
    client = sqs()
    for start in range(0, len(bodies), 10):
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start : start + 10])
        ]
        if delays is not None:
            for entry, delay in zip(entries, delays[start : start + 10], strict=True):
                entry["DelaySeconds"] = delay
        response = client.send_message_batch(QueueUrl=queue_url, Entries=entries)
        if response.get("Failed"):
            reasons = "; ".join(f"{f['Id']}: {f.get('Message', f['Code'])}" for f in response["Failed"])
            raise RuntimeError(f"could not queue {len(response['Failed'])} {what}: {reasons}")


def dead_letter(dlq_url: str, body: str, reason: str, message_id: str | None = None) -> None:
    """Put a poison message straight on its DLQ with the reason (retrying it could never help)."""
    attributes: dict[str, Any] = {"reason": {"DataType": "String", "StringValue": reason[:1000]}}
    if message_id is not None:
        attributes["source_message_id"] = {"DataType": "String", "StringValue": message_id}
    sqs().send_message(QueueUrl=dlq_url, MessageBody=body, MessageAttributes=attributes)


def reset() -> None:
    """Forget cached settings and clients (a new container; used by the local runtime)."""
    get_settings.cache_clear()
    for client in (sqs, sesv2, sns):
        client.cache_clear()
