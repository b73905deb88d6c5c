"""The daily digest through the template: the hourly schedule mails it once at the merchant's morning,
as an SES v2 raw message with the HTML and the CSV attached; the CLI prints the same figures."""

from __future__ import annotations

import csv
import email
import io
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

import pytest
from conftest import merchant

from delaydesk import store
from delaydesk.cli.main import main
from delaydesk.core import stats
from delaydesk_local.runtime import LocalAws

DAY_START = datetime(2020, 1, 26, 16, tzinfo=UTC)  # 2020-01-27 00:00 in Shanghai


def digests(local: LocalAws) -> list[Message]:
    found = []
    for sent in local.sent_messages():
        raw = getattr(sent.get("message"), "raw_data", None)
        if raw and "text/csv" in raw:
            found.append(email.message_from_string(raw))
    return found


def seed(local: LocalAws, **settings: Any) -> None:
    store.put_merchant(merchant(settings={"ops_email": "ops@teahouse.example", "digest_hour": 8, **settings}))
    for day in range(8):
        at = DAY_START - timedelta(days=7 - day) + timedelta(hours=3)
        store.add_counts(
            "m-teahouse",
            at,
            "ZTO",
            "CN-GD",
            {stats.ORDERS_PAID: 10, stats.SHIPPED_ON_TIME: 9, stats.SHIPPED_LATE_RECORDED: 1},
        )
    store.add_counts(
        "m-teahouse", DAY_START + timedelta(hours=20), "SF Express", "CN-HB", {stats.delays("stalled_in_transit"): 12}
    )


def part(message: Message, content_type: str) -> str:
    for p in message.walk():
        if p.get_content_type() == content_type:
            payload = p.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode("utf-8")
    raise AssertionError(f"no {content_type} part")


def test_the_digest_is_mailed_once_at_the_merchants_morning(local_aws: LocalAws) -> None:
    seed(local_aws)
    local_aws.tick(datetime(2020, 1, 27, 23, 0, tzinfo=UTC))  # 07:00 on the 28th in Shanghai: not yet
    assert digests(local_aws) == []
    local_aws.tick(datetime(2020, 1, 28, 0, 0, tzinfo=UTC))  # 08:00: the 27th's digest
    local_aws.tick(datetime(2020, 1, 28, 1, 0, tzinfo=UTC))  # 09:00: already sent
    [message] = digests(local_aws)
    assert message["To"] == "ops@teahouse.example" and message["From"] == "service@teahouse.example"
    assert "2020-01-27" in str(email.header.make_header(email.header.decode_header(message["Subject"])))
    html = part(message, "text/html")
    assert "每日简报" in html and "<svg" not in html and "<script" not in html
    attachment = next(p for p in message.walk() if p.get_filename())
    assert attachment.get_filename() == "delaydesk-m-teahouse-2020-01-27.csv"
    table = list(csv.reader(io.StringIO(part(message, "text/csv").lstrip("\ufeff"))))
    assert ["figure", "orders_paid", "", "", "10", "10.00"] in table
    assert ["figure", "delays", "", "", "12", "0.00"] in table
    assert ["scorecard", "stalls", "SF Express", "CN-HB", "12", ""] in table
    assert store.digest_status("m-teahouse", datetime(2020, 1, 27).date()) == "sent"


def test_a_merchant_without_an_ops_address_gets_no_digest(local_aws: LocalAws) -> None:
    seed(local_aws, ops_email=None)
    local_aws.tick(datetime(2020, 1, 28, 0, 0, tzinfo=UTC))
    assert digests(local_aws) == []


def test_a_digest_ses_refuses_is_tried_again_later(local_aws: LocalAws) -> None:
    seed(local_aws)
    store.put_merchant(merchant(from_email="nobody@unverified.example", settings={"ops_email": "ops@teahouse.example"}))
    local_aws.tick(datetime(2020, 1, 28, 0, 0, tzinfo=UTC))
    assert digests(local_aws) == []
    assert store.digest_status("m-teahouse", datetime(2020, 1, 27).date()) is None  # the claim was given back
    local_aws.verify_sender("nobody@unverified.example")
    local_aws.tick(datetime(2020, 1, 28, 1, 0, tzinfo=UTC))
    assert len(digests(local_aws)) == 1


def test_the_cli_prints_the_digest_as_html_or_csv(local_aws: LocalAws, capsys: pytest.CaptureFixture[str]) -> None:
    seed(local_aws)
    assert (
        main(
            [
                "report",
                "daily",
                "--merchant",
                "m-teahouse",
                "--date",
                "2020-01-27",
                "--csv",
                "--stack-name",
                "delaydesk-local",
            ]
        )
        == 0
    )
    table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert ["figure", "delays", "", "", "12", "0.00"] in table
    assert (
        main(["report", "daily", "--merchant", "m-teahouse", "--date", "2020-01-27", "--stack-name", "delaydesk-local"])
        == 0
    )
    assert "<!DOCTYPE html>" in capsys.readouterr().out
    assert (
        main(["report", "daily", "--merchant", "nobody", "--date", "2020-01-27", "--stack-name", "delaydesk-local"])
        == 2
    )
