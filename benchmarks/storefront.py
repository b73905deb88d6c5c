"""Storefront benchmark (a script, not a timed test): banner views and WISMO answers per second
through the template's HTTP API routes on the embedded AWS, and the DynamoDB calls of each.

    .venv/bin/python benchmarks/storefront.py [--requests 200]

The figures are in-process on moto: the function's own work (reads, counters, rendering), without
API Gateway, the network or a CDN in front of the banner (which, cached a minute, would answer
nearly every view of a busy shop itself).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timedelta
from pathlib import Path

from delaydesk import store
from delaydesk.core.merchants import Merchant
from delaydesk_local.metering import metered
from delaydesk_local.runtime import LocalAws

NOW = datetime.fromisoformat("2020-01-25T10:00:00+08:00")
MERCHANT = Path(__file__).resolve().parents[1] / "tests" / "events" / "contract" / "merchant.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with LocalAws() as local:
        store.put_merchant(Merchant.model_validate_json(MERCHANT.read_text(encoding="utf-8")))
        body = json.dumps({"preset": "spring_festival_2020"})
        local.http_request("POST", "/admin/windows", {"content-type": "application/json"}, body, now=NOW)

        def banner(i: int) -> None:
            local.http_request("GET", "/banner/m-teahouse?locale=en", {}, now=NOW)

        def wismo(i: int) -> None:
            question = {"merchant_id": "m-teahouse", "order_number": f"N-{i}", "email": "a@b.example"}
            headers = {"content-type": "application/json"}
            # Each question in a window of its own: all answered, none over the per-client limit.
            at = NOW + timedelta(minutes=10 * (i + 1))
            assert (
                local.http_request("POST", "/answers/wismo", headers, json.dumps(question), now=at)["statusCode"] == 200
            )

        for name, call in (("banner view", banner), ("WISMO answer", wismo)):
            with metered() as meter:
                call(-1)
            start = time.perf_counter()
            for i in range(args.requests):
                call(i)
            rate = args.requests / (time.perf_counter() - start)
            print(f"{name}: {rate:,.0f} per second in-process; DynamoDB calls each: {dict(meter.calls)}")


if __name__ == "__main__":
    main()
