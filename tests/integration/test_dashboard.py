"""The operations dashboard and the scan-lag metric and alarm, on the template."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from conftest import paid

from delaydesk_local.runtime import LocalAws


def emitted(local: LocalAws, name: str) -> list[float]:
    """Values of an EMF metric the functions printed, in order."""
    values = []
    for line in local.log_stream.getvalue().splitlines():
        try:
            record: Any = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "_aws" in record and name in record:
            value = record[name]
            values.extend(float(v) for v in (value if isinstance(value, list) else [value]))
    return values


def test_the_scan_reports_how_long_the_oldest_due_order_waited(local_aws: LocalAws) -> None:
    local_aws.tick(datetime(2020, 1, 20, 0, 0, tzinfo=UTC))
    assert emitted(local_aws, "ScanLagSeconds") == [0.0]  # nothing due
    local_aws.send("OrderEventsQueue", json.dumps(paid("o-1", "2020-01-20T10:00:00+08:00", hours=24)))
    local_aws.drain()
    # Paid at 02:00Z and evaluated by ingest at payment (no window in force): not due before its ship-by.
    local_aws.tick(datetime(2020, 1, 20, 2, 30, tzinfo=UTC))
    local_aws.tick(datetime(2020, 1, 21, 4, 0, tzinfo=UTC))  # its ship-by was 02:00Z: two hours ago
    assert emitted(local_aws, "ScanLagSeconds") == [0.0, 0.0, 7200.0]


def test_the_dashboard_shows_delays_notices_alerts_dead_letters_and_scan_lag(local_aws: LocalAws) -> None:
    cloudwatch = local_aws.client("cloudwatch")
    [entry] = [
        d for d in cloudwatch.list_dashboards()["DashboardEntries"] if d["DashboardName"].startswith("delaydesk-")
    ]
    body = cloudwatch.get_dashboard(DashboardName=entry["DashboardName"])["DashboardBody"]
    assert "${" not in body
    widgets = json.loads(body)["widgets"]
    titles = " | ".join(w["properties"].get("title", "") for w in widgets)
    for topic in ("Delays detected", "Notices", "alerts", "Dead-letter", "Scan lag"):
        assert topic in titles
    queues = {m[3] for w in widgets for m in w["properties"].get("metrics", []) if m and m[0] == "AWS/SQS"}
    dlqs = {
        url.rsplit("/", 1)[-1]
        for url in local_aws.client("sqs").list_queues()["QueueUrls"]
        if "DLQ" in url or "dlq" in url
    }
    assert queues == dlqs
    [alarm] = cloudwatch.describe_alarms_for_metric(MetricName="ScanLagSeconds", Namespace="DelayDesk")["MetricAlarms"]
    assert (alarm["Threshold"], alarm["TreatMissingData"]) == (1800.0, "breaching")
