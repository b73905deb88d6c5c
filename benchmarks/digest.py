"""Daily digest benchmark (a script, not a timed test): the time to read a merchant's 8 days of
counters from the template's StatsTable on the embedded AWS, build the digest, render the HTML
e-mail and the CSV, and the size of the e-mail SES would carry.

    .venv/bin/python benchmarks/digest.py [--scopes 10] [--repeat 3]

Every hour of the 8 days has one counter row per carrier x region scope (a busy merchant: the
counters are written only for hours with activity). The figures are in-process on moto, whose
query of a partition is far slower than DynamoDB's: the read figure is moto's, the build is ours.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from delaydesk import store
from delaydesk.core import stats
from delaydesk.core.config import get_settings
from delaydesk.core.merchants import Merchant
from delaydesk.operations import digest_csv, digest_for, render_digest_html, reports_dir
from delaydesk.operations.digest import build_digest, digest_span
from delaydesk.operations.digest_job import compose
from delaydesk_local.runtime import LocalAws

DAY = date(2020, 1, 27)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scopes", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with LocalAws():
        merchant = Merchant.model_validate(
            {
                "merchant_id": "m-bench",
                "name": "Bench Shop",
                "timezone": "Asia/Shanghai",
                "default_locale": "zh-CN",
                "settings": {"ops_email": "ops@shop.example"},
            }
        )
        store.put_merchant(merchant)
        start = datetime(2020, 1, 19, 16, tzinfo=UTC)
        seeded = time.perf_counter()
        for hour in range(8 * 24):
            for scope in range(args.scopes):
                store.add_counts(
                    "m-bench",
                    start + timedelta(hours=hour),
                    f"carrier-{scope % 7}",
                    f"CN-{scope:02d}",
                    {
                        stats.ORDERS_PAID: 3,
                        stats.SHIPPED_ON_TIME: 2,
                        stats.delays("ship_by"): hour % 2,
                        stats.notices("shipment_delayed", "email", "sent"): 1,
                    },
                )
        seeded = time.perf_counter() - seeded
        folder = reports_dir(get_settings())
        reads, builds, renders, sizes = [], [], [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            digest = digest_for(merchant, DAY)
            reads.append(time.perf_counter() - t0)
            rows_read = store.counter_rows("m-bench", *digest_span(DAY, merchant.timezone))
            tb = time.perf_counter()
            build_digest(merchant, DAY, rows_read)
            builds.append(time.perf_counter() - tb)
            t1 = time.perf_counter()
            html = render_digest_html(digest, folder)
            csv_text = digest_csv(digest)
            t2 = time.perf_counter()
            mime = compose(digest, get_settings(), "notices@shop.example", "ops@shop.example").as_bytes()
            renders.append(t2 - t1)
            sizes = [len(html.encode()), len(csv_text.encode()), len(mime)]
    rows = 8 * 24 * args.scopes
    print(f"counter rows seeded: {rows} ({seeded:.1f} s on moto)")
    print(
        f"read + build one digest (8 days, {rows} rows, moto's query): median {statistics.median(reads) * 1000:.0f} ms"
    )
    print(f"build alone, from the rows read (pure): median {statistics.median(builds) * 1000:.1f} ms")
    print(f"render HTML + CSV: median {statistics.median(renders) * 1000:.1f} ms")
    print(f"HTML {sizes[0] / 1024:.1f} KiB, CSV {sizes[1] / 1024:.1f} KiB, e-mail (MIME) {sizes[2] / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
