"""SNS ``Publish``'s throttling answers (``tests/events/sns_publish_throttled.json``) are throttles:
dispatch releases the claim and the queue retries the SMS after a backoff, never a permanent
refusal. The drain's strict SNS (``delaydesk_local.drain.QuotaSns``) answers with the first."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from delaydesk.notices import senders
from delaydesk_local.drain import QuotaSns, VirtualClock

ANSWERS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[2] / "events/sns_publish_throttled.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda a: a["Error"]["Code"])
def test_snss_throttling_answers_are_retried_not_refused(answer: dict[str, Any]) -> None:
    error = ClientError(answer, "Publish")  # type: ignore[arg-type]
    assert senders.is_throttling(error)
    assert senders.error_code(error) not in senders.PERMANENT_SNS


def test_the_strict_sns_refuses_over_its_parts_a_second_with_snss_own_answer() -> None:
    clock = VirtualClock(datetime(2020, 1, 24, 4, 0, tzinfo=UTC).timestamp())
    sns = QuotaSns(clock, 4)
    two_parts = "您的订单" * 30  # 120 UCS-2 characters: two parts
    sns.publish(PhoneNumber="+8613800138000", Message=two_parts)
    sns.publish(PhoneNumber="+8613800138001", Message=two_parts)
    with pytest.raises(ClientError) as refused:
        sns.publish(PhoneNumber="+8613800138002", Message="ok")
    assert refused.value.response["Error"]["Code"] == ANSWERS[0]["Error"]["Code"]
    clock.now += 1.0
    sns.publish(PhoneNumber="+8613800138002", Message="ok")
    assert sns.throttled == 1 and [s.parts for s in sns.sends] == [2, 2, 1]
    assert sns.max_in_window(parts=True) == 4 and sns.max_in_window() == 2
