"""Benchmark: USD per 1,000 delayed orders by channel mix (prints figures; not a test).

    .venv/bin/python benchmarks/lifecycle.py --save /tmp/lifecycle.json
    .venv/bin/python benchmarks/cost.py /tmp/lifecycle.json

From the measured marginal figures of the reference lifecycle (``lifecycle.py --save``: AWS
calls by ``Service.Operation``, DynamoDB write units, Lambda invocations, five notices) and the
price table below. Reads are counted as one read unit per read call (items under 4 KB); SQS as
the sends measured plus one receive and one delete per message (Lambda's poller, billed to the
account); Lambda duration as ``ASSUMED_MS`` per invocation at the template's 256 MB. SMS are
priced per segment; a delay SMS is 1 segment in English and 2 in Chinese (``sms.py`` budget).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

PRICES_DATE = "2026-12-01"
PRICES = {
    # name: (USD, unit, source)
    "dynamodb_wru": (
        0.625e-6,
        "write request unit, on-demand, us-east-1",
        "aws.amazon.com/dynamodb/pricing (Nov 2024 cut)",
    ),
    "dynamodb_rru": (
        0.125e-6,
        "read request unit, on-demand, us-east-1",
        "aws.amazon.com/dynamodb/pricing (Nov 2024 cut)",
    ),
    "lambda_request": (0.20e-6, "invocation", "aws.amazon.com/lambda/pricing"),
    "lambda_gb_second": (0.0000166667, "GB-second, x86_64", "aws.amazon.com/lambda/pricing"),
    "sqs_request": (0.40e-6, "standard queue request (64 KB)", "aws.amazon.com/sqs/pricing"),
    "ses_email": (0.10e-3, "e-mail sent", "aws.amazon.com/ses/pricing"),
    # SMS prices vary by country and carrier and change often; these are NOT verified here
    # (no source in reach when written): check aws.amazon.com/end-user-messaging/pricing.
    "sms_us": (0.00883, "SMS segment to the US incl. carrier fee (unverified)", "to check"),
    "sms_cn": (0.0359, "SMS segment to mainland China (unverified)", "to check"),
    "sms_tw": (0.0569, "SMS segment to Taiwan (unverified)", "to check"),
}
ASSUMED_MS = 80
MEMORY_GB = 0.25
MIXES = {
    "e-mail only": {"email": 1.0},
    "e-mail 80 % / SMS US 20 %": {"email": 0.8, "sms_us": 0.2},
    "e-mail 50 % / SMS CN 50 %": {"email": 0.5, "sms_cn": 0.5},
    "SMS CN only": {"sms_cn": 1.0},
    "SMS TW only": {"sms_tw": 1.0},
}
SEGMENTS = {"sms_us": 1, "sms_cn": 2, "sms_tw": 2}


def platform_cost(figures: dict[str, object]) -> dict[str, float]:
    """USD per delayed order for everything but the sends."""
    calls: dict[str, float] = figures["calls"]  # type: ignore[assignment]
    invocations: dict[str, float] = figures["invocations"]  # type: ignore[assignment]
    reads = sum(n for op, n in calls.items() if op.split(".")[1] in ("GetItem", "BatchGetItem", "Query"))
    sqs_sends = sum(n for op, n in calls.items() if op.startswith("sqs.Send"))
    lambda_runs = sum(invocations.values())
    return {
        "dynamodb writes": float(figures["write_units"]) * PRICES["dynamodb_wru"][0],  # type: ignore[arg-type]
        "dynamodb reads": reads * PRICES["dynamodb_rru"][0],
        "sqs": sqs_sends * 3 * PRICES["sqs_request"][0],
        "lambda": lambda_runs
        * (PRICES["lambda_request"][0] + ASSUMED_MS / 1000 * MEMORY_GB * PRICES["lambda_gb_second"][0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("figures", type=Path, help="the JSON written by lifecycle.py --save")
    args = parser.parse_args()
    figures = json.loads(args.figures.read_text(encoding="utf-8"))
    notices = int(figures["emails"])
    print(f"prices of {PRICES_DATE}:")
    for name, (usd, unit, source) in PRICES.items():
        print(f"  {name:<18} {usd:>10.4g} USD per {unit} ({source})")
    platform = platform_cost(figures)
    print(f"per 1,000 delayed orders ({notices} notices each), without the sends:")
    for part, usd in platform.items():
        print(f"  {part:<16} {usd * 1000:>8.3f} USD")
    base = sum(platform.values())
    print(f"  {'total':<16} {base * 1000:>8.3f} USD")
    print("with the sends, by channel mix:")
    for mix, shares in MIXES.items():
        sends = sum(
            share * notices * (PRICES["ses_email"][0] if ch == "email" else PRICES[ch][0] * SEGMENTS[ch])
            for ch, share in shares.items()
        )
        print(f"  {mix:<28} {(base + sends) * 1000:>9.2f} USD")


if __name__ == "__main__":
    main()
