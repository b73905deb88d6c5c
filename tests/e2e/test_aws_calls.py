"""``summary.aws_calls``: the calls each function made, counted by a botocore hook, sends included,
the embedded AWS's own calls (the SQS poller, SES event publishing) not."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from conftest import load_event, paid, scan, shipped

from delaydesk_local.simulate import Scenario, run

pytestmark = pytest.mark.e2e


def test_aws_calls_counts_each_function_by_service_and_operation() -> None:
    scenario = Scenario.model_validate(
        {
            "start": "2020-01-20T08:00:00+08:00",
            "end": "2020-01-22T08:00:00+08:00",
            "tick_minutes": 240,
            "merchants": [load_event("contract/merchant")],
            "events": [
                paid("C-1", "2020-01-20T10:00:00+08:00"),
                paid("C-2", "2020-01-20T11:00:00+08:00", customer={"locale": "en", "name": "Bob"}),
                shipped("C-2", "2020-01-20T20:00:00+08:00"),
                scan("C-2", "2020-01-21T06:00:00+08:00"),
            ],
        }
    )
    invoked: Counter[str] = Counter()

    def count_invocations(local: Any) -> None:
        invoked.update(i.function for i in local.invocations)

    result = run(scenario, on_finish=count_invocations)
    calls: dict[str, dict[str, int]] = result.summary["aws_calls"]
    assert set(calls) <= {
        "ingest_events",
        "scan_due",
        "scan_worker",
        "dispatch_notices",
        "ses_feedback",
        "release_notices",
        "recompute_deadlines",
        "receive_webhook",
        "serve_order_page",
        "admin_api",
        "detect_spikes",
        "deliver_alerts",
        "send_digests",
        "serve_storefront",
        "answer_wismo",
    }
    # Every scan run plans one work item per shard (8, one SendMessageBatch) and reads one key per
    # shard for the scan lag; each worker queries its shard once (nothing is paged here), plus the
    # merchant's windows when something is due.
    runs = invoked["ScanDueFunction"]
    assert calls["scan_due"] == {"sqs.SendMessageBatch": runs, "dynamodb.Query": 8 * runs}
    queries = calls["scan_worker"]["dynamodb.Query"]
    assert invoked["ScanWorkerFunction"] == 8 * invoked["ScanDueFunction"]
    assert invoked["ScanWorkerFunction"] <= queries <= 2 * invoked["ScanWorkerFunction"]
    # Sends included: one SES call per e-mail sent.
    emails = sum(1 for n in result.notices if n["channel"] == "email")
    assert emails >= 1 and calls["dispatch_notices"]["sesv2.SendEmail"] == emails
    # The embedded AWS's own calls are not the functions': no poller receives, no SES event publishing.
    every = Counter({op: n for ops in calls.values() for op, n in ops.items()})
    assert not {op for op in every if op.startswith(("sqs.ReceiveMessage", "sqs.DeleteMessage", "cloudformation."))}
    assert "sns.Publish" not in calls.get("dispatch_notices", {})  # e-mail only here; SES events go through moto
    assert set(calls.get("ses_feedback", {})) <= {  # none at all when every event is a delivery
        "dynamodb.BatchWriteItem",
        "dynamodb.PutItem",
        "dynamodb.UpdateItem",
        "dynamodb.GetItem",
    }
    # The shipment and the scan read their order; a new order is written without a read; each of
    # the four events is one write (the order remembers the event: no idempotency record).
    assert calls["ingest_events"]["dynamodb.GetItem"] >= 2
    assert calls["ingest_events"]["dynamodb.PutItem"] == 4
