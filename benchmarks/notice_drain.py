"""Drain benchmark (a script, not a timed test): a mass disruption announcement of one merchant
paced at its SES quota, with urgent notices arriving in the middle of it.

    .venv/bin/python benchmarks/notice_drain.py [--notices 100000] [--rate 14] [--jitter 0]

The real dispatch runs on the embedded AWS (claims, send-rate buckets and the notice log in
DynamoDB on moto) with a virtual clock, an in-memory Notices queue that honours DelaySeconds and a
fake SES that throttles as SES does (``delaydesk_local/drain.py``). It prints the virtual drain
time against the ideal N / rate, the most sends in any one-second window, SES throttling errors,
sends, re-queues and DynamoDB and SQS calls per notice, the urgent notices' waits, and wall time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime
from math import nan
from pathlib import Path
from typing import Any

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.kinds import Kind, NoticeChannel, NoticeRequest
from delaydesk.core.merchants import Merchant, NoticePolicy
from delaydesk_local.drain import Drain, direct_dynamodb, key_of
from delaydesk_local.metering import metered
from delaydesk_local.runtime import LocalAws
from delaydesk_local.seeding import seed_orders

ORDER_TEMPLATE = json.loads(
    (Path(__file__).parents[1] / "tests/events/contract/order_paid.json").read_text(encoding="utf-8")
)
MERCHANT = ORDER_TEMPLATE["order"]["merchant_id"]
START = datetime(2020, 1, 24, 4, 0, tzinfo=UTC)  # noon in Shanghai
URGENT_KINDS = (Kind.DELIVERY_EXCEPTION, Kind.SHIPMENT_DELAYED)
URGENT_AT = (0.25, 0.5, 0.75)
"""When urgent notices arrive, as fractions of the ideal drain time (plus half a second)."""


def notice(order_id: str, kind: Kind) -> NoticeRequest:
    return NoticeRequest(
        order_id=order_id,
        merchant_id=MERCHANT,
        kind=kind,
        stage=0,
        channel=NoticeChannel.EMAIL,
        requested_at=START,
        rule="window_declared" if kind == Kind.DISRUPTION_ANNOUNCEMENT else "ship_by",
        reason="public_health",
        delay_kind=Kind.SHIPMENT_DELAYED,
        delay_started_at=START,
        eta_from=date(2020, 2, 10),
        eta_to=date(2020, 2, 14),
        details={"window_id": "cny2020", "window_reason": "public_health"}
        if kind == Kind.DISRUPTION_ANNOUNCEMENT
        else {},
    )


def run(notices: int, rate: float, jitter: float, bulk_share: float | None, botocore: bool) -> dict[str, Any]:
    policy: dict[str, Any] = {"max_send_rate": rate}
    if bulk_share is not None:
        policy["bulk_share"] = bulk_share
    with Path(os.devnull).open("w", encoding="utf-8") as devnull, LocalAws(log_stream=devnull) as local:
        shop = Merchant(
            merchant_id=MERCHANT,
            name="Bench Shop",
            timezone="Asia/Shanghai",
            default_locale="zh-CN",
            from_email="notices@shop.example",
            settings={"notices": policy},
        )
        store.put_merchant(shop)
        local.verify_sender("notices@shop.example")
        urgent_count = len(URGENT_AT) * len(URGENT_KINDS)
        seeding = time.perf_counter()
        seed_orders(ORDER_TEMPLATE, notices + urgent_count, 0, START)
        seeded = time.perf_counter() - seeding

        drain = Drain(rate, START.timestamp(), get_settings(), jitter=jitter)
        for i in range(notices):
            drain.submit(notice(f"seed-{i:06d}", Kind.DISRUPTION_ANNOUNCEMENT))
        ideal = notices / rate
        urgent: list[NoticeRequest] = []
        for n, fraction in enumerate(URGENT_AT):
            for m, kind in enumerate(URGENT_KINDS):
                request = notice(f"seed-{notices + n * len(URGENT_KINDS) + m:06d}", kind)
                drain.submit(request, at=START.timestamp() + int(fraction * ideal) + 0.5)
                urgent.append(request)

        started = time.perf_counter()
        with metered() as meter, contextlib.nullcontext() if botocore else direct_dynamodb():
            result = drain.run(lambda handled: print(f"  … {handled:,} messages handled", file=sys.stderr))
        wall = time.perf_counter() - started
        sent_in_log = Counter(n.status for n in store.all_notices())

    sends = drain.ses.sends
    per_key = Counter((s.order_id, s.kind) for s in sends)
    first_send = {}
    for s in sends:
        first_send.setdefault((s.order_id, s.kind), s.at)
    total = notices + urgent_count
    announcements = (notice(f"seed-{i:06d}", Kind.DISRUPTION_ANNOUNCEMENT) for i in range(notices))
    requeues = [result.requeues.get(key_of(r), 0) for r in announcements]
    bulk_last = max(s.at for s in sends if s.kind == Kind.DISRUPTION_ANNOUNCEMENT.value)
    dynamodb = sum(meter.calls.values())
    return {
        "notices": total,
        "announcements": notices,
        "rate": rate,
        "drain_seconds": bulk_last - START.timestamp(),
        "ideal_seconds": ideal,
        "share_seconds": ideal / (bulk_share if bulk_share is not None else NoticePolicy().bulk_share),
        "max_in_window": drain.ses.max_in_window(),
        "throttled": drain.ses.throttled,
        "sends": len(sends),
        "keys_sent": len(per_key),
        "duplicates": sum(n - 1 for n in per_key.values() if n > 1),
        "lost": total - len(per_key),
        "log": dict(sent_in_log),
        "requeues_mean": sum(requeues) / len(requeues),
        "requeues_max": max(requeues),
        "dynamodb_per_notice": dynamodb / total,
        "dynamodb_by_operation": {k: v / total for k, v in sorted(meter.calls.items())},
        "sqs_send_per_notice": drain.queue.sent / total,
        "sqs_received_per_notice": drain.queue.received / total,
        "outcomes": dict(result.outcomes),
        "urgent_waits": [
            (r.kind.value, submitted - START.timestamp(), first_send.get((r.order_id, r.kind.value), nan) - submitted)
            for r in urgent
            for submitted in [drain.result.submitted_at[key_of(r)]]
        ],
        "wall_seconds": wall,
        "seed_seconds": seeded,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=14.0, help="max_send_rate (the SES quota), e-mails per second")
    parser.add_argument("--jitter", type=float, default=0.0, help="delivery latency of the queue, 0 to N seconds")
    parser.add_argument("--bulk-share", type=float, default=None, help="the merchant's bulk_share (default: policy's)")
    parser.add_argument(
        "--botocore", action="store_true", help="DynamoDB calls through botocore and moto's HTTP layer (slower)"
    )
    args = parser.parse_args()
    r = run(args.notices, args.rate, args.jitter, args.bulk_share, args.botocore)
    urgent = r["notices"] - r["announcements"]
    print(f"notices: {r['notices']:,} ({r['announcements']:,} announcements + {urgent} urgent) at {r['rate']:g}/s")
    hours = r["drain_seconds"] / 3600
    print(
        f"virtual drain time: {r['drain_seconds']:,.0f} s ({hours:.2f} h); ideal N/rate {r['ideal_seconds']:,.0f} s, "
        f"at the bulk share N/(share x rate) {r['share_seconds']:,.0f} s"
    )
    print(f"most sends in any 1-second window: {r['max_in_window']} (quota {r['rate']:g})")
    print(f"SES throttling errors: {r['throttled']}")
    print(
        f"sends: {r['sends']:,} for {r['keys_sent']:,} notice keys: duplicates {r['duplicates']}, "
        f"lost {r['lost']}; notice log {r['log']}"
    )
    print(f"re-queues per announcement: mean {r['requeues_mean']:.2f}, max {r['requeues_max']}")
    print(
        f"per notice: {r['dynamodb_per_notice']:.2f} DynamoDB calls, {r['sqs_send_per_notice']:.2f} SQS "
        f"SendMessage, {r['sqs_received_per_notice']:.2f} deliveries (received ten per ReceiveMessage)"
    )
    for operation, per in r["dynamodb_by_operation"].items():
        print(f"  {operation:<12} {per:.2f} per notice")
    print(f"dispatch outcomes: {r['outcomes']}")
    for kind, at, waited in r["urgent_waits"]:
        print(f"urgent {kind:<20} arrived at {at:>8,.1f} s, waited {waited:.1f} s")
    print(f"wall time: {r['wall_seconds']:,.0f} s for the drain ({r['seed_seconds']:.0f} s to seed the orders)")


if __name__ == "__main__":
    main()
