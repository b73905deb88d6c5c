"""Webhook adapters benchmark (a script, not a test): how many deliveries per second each source's
pure path handles (signature check, JSON, the adapter, the contract's validation) on the real
payloads of tests/events, in one process without AWS.

    .venv/bin/python benchmarks/webhooks.py [--seconds 1.0]

The Lambda itself adds the SSM read (cached 5 minutes) and one SQS SendMessage per delivery.
The help-desk sources (``helpdesk:zendesk`` …) run ``tracking.helpdesk.receive`` on the stored
help-desk payloads; their text is classified later, by ingest.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from delaydesk.tracking import helpdesk
from delaydesk.tracking.webhooks import receive, sign

EVENTS = Path(__file__).resolve().parent.parent / "tests" / "events"
SECRET = "benchmark-secret"  # noqa: S105 (a local test key, not a credential)
WINDOW = timedelta(days=4)


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def cases() -> dict[str, tuple[bytes, dict[str, str], datetime]]:
    aftership = _load("aftership_webhook_tracking_update")
    out: dict[str, tuple[bytes, dict[str, str], datetime]] = {}
    for source, name, now, extra in (
        ("aftership", "aftership_webhook_tracking_update", datetime.fromtimestamp(aftership["ts"], tz=UTC), {}),
        ("easypost", "easypost_webhook_tracker_updated", datetime(2024, 8, 2, 19, 27, tzinfo=UTC), {}),
        ("17track", "seventeentrack_webhook_tracking_updated", datetime(2022, 4, 30, tzinfo=UTC), {}),
        (
            "shopify",
            "shopify_webhook_fulfillment_update",
            datetime(2022, 1, 1, tzinfo=UTC),
            {"x-shopify-topic": "fulfillments/update"},
        ),
        ("easyship", "easyship_webhook_checkpoints_created", datetime(2025, 1, 3, 9, tzinfo=UTC), {}),
    ):
        body = json.dumps(_load(name), ensure_ascii=False).encode()
        out[source] = (body, {**sign(source, SECRET, body), **extra}, now)
    return out


def helpdesk_cases() -> dict[str, tuple[bytes, dict[str, str], datetime]]:
    out: dict[str, tuple[bytes, dict[str, str], datetime]] = {}
    for source, name, now in (
        ("zendesk", "helpdesk/zendesk_trigger_ticket", datetime(2019, 5, 21, tzinfo=UTC)),
        ("freshdesk", "helpdesk/freshdesk_rule_ticket_created", datetime(2026, 3, 11, 5, tzinfo=UTC)),
        ("generic", "helpdesk/helpdesk_generic_inquiry", datetime(2026, 3, 11, 5, tzinfo=UTC)),
    ):
        body = json.dumps(_load(name), ensure_ascii=False).encode()
        out[source] = (body, helpdesk.sign(source, SECRET, body, now, "m1"), now)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time spent on each source")
    args = parser.parse_args()
    print(f"{'source':<18} {'body bytes':>10} {'deliveries/s':>13} {'µs each':>9}")
    for source, (body, headers, now) in cases().items():
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < args.seconds:
            receive(source, SECRET, body, headers, now, WINDOW)
            count += 1
        elapsed = time.perf_counter() - started
        print(f"{source:<18} {len(body):>10} {count / elapsed:>13,.0f} {elapsed / count * 1e6:>9.1f}")
    for source, (body, headers, now) in helpdesk_cases().items():
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < args.seconds:
            helpdesk.receive(source, "m1", SECRET, body, headers, now, WINDOW)
            count += 1
        elapsed = time.perf_counter() - started
        label = f"helpdesk:{source}"
        print(f"{label:<18} {len(body):>10} {count / elapsed:>13,.0f} {elapsed / count * 1e6:>9.1f}")


if __name__ == "__main__":
    main()
