"""The notice log's items: a sent notice's outcome with its packed inbox copy fits one write unit,
and items written before the copy was packed are still read (subject and text attributes)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from conftest import instant, notice_request, paid

from delaydesk import store
from delaydesk.core.kinds import Kind, NoticeChannel
from delaydesk.notices import dispatch, inbox
from delaydesk_local.runtime import LocalAws


def test_a_chinese_delay_e_mail_costs_one_unit_to_claim_and_one_to_record(local_aws: LocalAws) -> None:
    at = "2020-01-20T10:00:00+08:00"
    customer = {"email": "wang.fang@mail.example", "phone": None}
    local_aws.send("OrderEventsQueue", json.dumps(paid("NL-1", at, hours=72, customer=customer)))
    local_aws.drain()
    request = notice_request(order_id="NL-1", kind=Kind.SHIPMENT_DELAYED, channel=NoticeChannel.EMAIL)
    with local_aws.aws_calls.counting("dispatch"):
        assert dispatch.dispatch(request, request.requested_at) == "sent"
    calls = local_aws.aws_calls.summary()["dispatch"]
    assert (calls["dynamodb.PutItem"], calls["dynamodb.UpdateItem"]) == (1, 2)  # claim; outcome, statistics ADD
    assert local_aws.aws_calls.write_units["dispatch"] == 1 + 1 + 1
    (notice,) = store.notices_for("NL-1")
    assert notice.copy is not None and notice.subject_text is None and notice.inbox_text is None
    assert len((notice.subject or "").encode()) + len((notice.inbox or "").encode()) > 700  # > 1 KB as text
    (entry,) = inbox.entries("NL-1")
    assert entry.title == notice.subject and "NL-1" in entry.title and "NL-1" in entry.body


def test_an_item_written_before_the_copy_was_packed_is_read(local_aws: LocalAws) -> None:
    local_aws.client("dynamodb").put_item(
        TableName=local_aws.stack.physical("NoticeLogTable"),
        Item={
            "order_id": {"S": "NL-2"},
            "notice_id": {"S": "shipment_delayed#0#email"},
            "merchant_id": {"S": "m-teahouse"},
            "kind": {"S": "shipment_delayed"},
            "stage": {"N": "0"},
            "channel": {"S": "email"},
            "status": {"S": "sent"},
            "locale": {"S": "zh-CN"},
            "subject": {"S": "旧通知"},
            "inbox": {"S": "正文"},
            "sent_at": {"S": "2020-01-24T04:00:00.000000+0000"},
        },
    )
    (notice,) = store.inbox_copies("NL-2")
    assert (notice.subject, notice.inbox, notice.copy) == ("旧通知", "正文", None)
    (entry,) = inbox.entries("NL-2")
    assert (entry.title, entry.body, entry.at) == ("旧通知", "正文", datetime(2020, 1, 24, 4, tzinfo=UTC))
    assert instant("2020-01-24T12:00:00+08:00") == entry.at
