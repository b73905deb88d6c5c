"""Order page benchmark (a script, not a timed test): page views per second through the template's
HTTP API route on the embedded AWS, and the AWS calls one view makes.

    .venv/bin/python benchmarks/order_page.py [--orders 50] [--views 500]

The figures are in-process on moto: the time is the function's own work (token check, reads,
rendering), without API Gateway or the network.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from datetime import datetime

from delaydesk import store
from delaydesk.core import links
from delaydesk.core.merchants import Merchant
from delaydesk_local.runtime import LOCAL_ORDER_LINK_KEY, LocalAws

PAID = "2020-01-20T10:00:00+08:00"
LATE = datetime.fromisoformat("2020-01-21T10:30:00+08:00")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--views", type=int, default=500)
    args = parser.parse_args()
    with LocalAws() as local:
        shop = {"merchant_id": "m-bench", "name": "Bench Shop", "timezone": "Asia/Shanghai"}
        store.put_merchant(Merchant.model_validate(shop))
        local.verify_sender("notices@shop.example")
        for i in range(args.orders):
            order = {
                "order_id": f"P-{i:05d}",
                "merchant_id": "m-bench",
                "paid_at": PAID,
                "ship_within_hours": 24,
                "channel": "domestic",
                "value": {"amount": "99.00", "currency": "CNY"},
                "customer": {"name": "王芳", "email": f"p{i}@mail.example", "locale": "zh-CN"},
                "destination": {"country": "CN", "region": "CN-ZJ"},
                "items": [{"sku": "X", "name": "茶", "quantity": 1}],
            }
            event = {"type": "order.paid", "event_id": f"paid-{i}", "at": PAID, "order": order}
            local.send("OrderEventsQueue", json.dumps(event, ensure_ascii=False))
        local.drain()
        local.tick(LATE)  # every order is late: a shipment_delayed notice each, in its inbox
        key = LOCAL_ORDER_LINK_KEY.encode()
        paths = [
            f"/orders/P-{i:05d}?t={links.token(key, links.Purpose.ORDER_PAGE, f'P-{i:05d}')}"
            for i in range(args.orders)
        ]
        local.http_request("GET", paths[0], now=LATE)  # a warm container, as most views get
        statuses: Counter[int] = Counter()
        local.aws_calls.reset()  # the page's own calls, counted per function by the embedded AWS
        started = time.perf_counter()
        for n in range(args.views):
            statuses[local.http_request("GET", paths[n % len(paths)], now=LATE)["statusCode"]] += 1
        elapsed = time.perf_counter() - started
        calls = Counter(local.aws_calls.by_function.get("serve_order_page", {}))
    per_view = {k: round(v / args.views, 2) for k, v in sorted(calls.items())}
    print(f"order page: {args.views / elapsed:,.0f} views per second in-process ({args.views} views, {elapsed:.1f} s)")
    print(f"answers: {dict(statuses)}")
    print(f"AWS calls per view: {sum(calls.values()) / args.views:.2f} {json.dumps(per_view)}")


if __name__ == "__main__":
    main()
