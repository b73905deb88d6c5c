"""Notice benchmark (a script, not a timed test): rendering throughput, and the DynamoDB and
SES/SNS calls dispatch makes per notice sent, measured on the embedded AWS.

    .venv/bin/python benchmarks/notices.py [--notices 300] [--renders 2000]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from datetime import date, datetime
from typing import Any

from delaydesk.core.config import Settings
from delaydesk.core.kinds import Kind, NoticeChannel, NoticeRequest
from delaydesk.core.merchants import SUPPORTED_LOCALES, Merchant
from delaydesk.notices.rendering import render_context
from delaydesk.notices.templates_admin import sample


def bench_rendering(count: int) -> float:
    settings = Settings()
    samples = [sample(kind, locale, settings) for kind in Kind for locale in SUPPORTED_LOCALES]
    for s in samples:  # warm the template cache, as a warm Lambda container would be
        render_context(s.request.kind.value, _locale(s), s.context, settings.resolved_templates_dir)
    started = time.perf_counter()
    for i in range(count):
        s = samples[i % len(samples)]
        render_context(s.request.kind.value, _locale(s), s.context, settings.resolved_templates_dir)
    return count / (time.perf_counter() - started)


def _locale(s: Any) -> str:
    return str(s.merchant.default_locale)


def bench_dispatch(notices: int) -> dict[str, Any]:
    from delaydesk import store
    from delaydesk_local.runtime import LocalAws

    with LocalAws() as local:
        shop = Merchant(merchant_id="m-bench", name="Bench Shop", timezone="Asia/Shanghai", default_locale="zh-CN")
        store.put_merchant(shop)
        local.verify_sender("notices@shop.example")
        for i in range(notices):
            event = {
                "type": "order.paid",
                "event_id": f"paid-{i}",
                "at": "2020-01-20T10:00:00+08:00",
                "order": {
                    "order_id": f"B-{i:06d}",
                    "merchant_id": "m-bench",
                    "paid_at": "2020-01-20T10:00:00+08:00",
                    "ship_within_hours": 24,
                    "channel": "domestic",
                    "value": {"amount": "99.00", "currency": "CNY"},
                    "customer": {"name": "王芳", "email": f"b{i}@mail.example", "locale": "zh-CN"},
                    "destination": {"country": "CN", "region": "CN-ZJ"},
                    "items": [{"sku": "X", "name": "茶", "quantity": 1}],
                },
            }
            local.send("OrderEventsQueue", json.dumps(event, ensure_ascii=False))
        local.drain()
        for i in range(notices):
            request = NoticeRequest(
                order_id=f"B-{i:06d}",
                merchant_id="m-bench",
                kind=Kind.DISRUPTION_ANNOUNCEMENT,
                stage=0,
                channel=NoticeChannel.EMAIL,
                requested_at=datetime.fromisoformat("2020-01-24T12:00:00+08:00"),
                rule="window_declared",
                reason="public_health",
                delay_kind=Kind.SHIPMENT_DELAYED,
                delay_started_at=datetime.fromisoformat("2020-01-24T12:00:00+08:00"),
                eta_from=date(2020, 2, 10),
                eta_to=date(2020, 2, 14),
            )
            local.send("NoticesQueue", request.model_dump_json())
        # Only dispatch's own calls (the embedded AWS counts them per function, as summary.aws_calls
        # of simulate does): the drain also runs ses_feedback on the SES events these sends publish.
        local.aws_calls.reset()
        started = time.perf_counter()
        local.drain()
        elapsed = time.perf_counter() - started
        calls = Counter(local.aws_calls.by_function.get("dispatch_notices", {}))
        sent = sum(1 for n in store.all_notices() if n.status == "sent")
    dynamodb = sum(n for k, n in calls.items() if k.startswith("dynamodb."))
    ses = sum(n for k, n in calls.items() if k.startswith("sesv2."))
    return {
        "sent": sent,
        "seconds": elapsed,
        "dynamodb_per_notice": dynamodb / sent,
        "ses_per_notice": ses / sent,
        "by_operation": {k: round(n / sent, 2) for k, n in sorted(calls.items()) if not k.startswith("sqs.")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=300)
    parser.add_argument("--renders", type=int, default=2000)
    args = parser.parse_args()
    rate = bench_rendering(args.renders)
    print(f"rendering: {rate:,.0f} notices rendered per second (all channels of a notice, warm templates)")
    result = bench_dispatch(args.notices)
    print(
        f"dispatch: {result['sent']} e-mails sent in {result['seconds']:.1f} s on the embedded AWS; per notice sent: "
        f"{result['dynamodb_per_notice']:.2f} DynamoDB calls, {result['ses_per_notice']:.2f} SES calls"
    )
    for operation, per_notice in result["by_operation"].items():
        print(f"  {operation:<40} {per_notice:.2f} per notice")


if __name__ == "__main__":
    main()
