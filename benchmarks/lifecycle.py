"""Benchmark: the AWS calls of the reference lifecycle, per function (prints figures; not a test).

    .venv/bin/python benchmarks/lifecycle.py [--many 20]

The reference lifecycle: an order paid, shipped late, stalled in transit, five e-mails (the late
shipment, its update, the stall, two updates), delivered. It is replayed through
``simulate`` (the real template on the embedded AWS, hourly ticks) once alone and once among
``--many`` identical orders of the same merchant; the marginal cost of one more order is the
difference between ``--many`` and ``--many`` + 10 orders, divided by 10. The calls come from
``summary.aws_calls`` (a botocore hook, ``infra/delaydesk_local/aws_calls.py``); "sends" are
``sesv2.SendEmail`` and ``sns.Publish``. It also prints the DynamoDB write units per delayed
order (``metering.WriteUnits``: item sizes before and after each write, index projections).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from delaydesk_local.aws_calls import SENDS
from delaydesk_local.simulate import Scenario, run

EVENTS = Path(__file__).parents[1] / "tests/events/contract"
START = datetime(2020, 1, 20, 0, tzinfo=UTC)
END = datetime(2020, 2, 4, 0, tzinfo=UTC)


def _contract(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def lifecycle(order_id: str) -> list[dict[str, Any]]:
    """Paid 01-20 02:00 UTC (ship within 24 h), shipped 01-25, one scan, silence, delivered 02-03."""
    paid = _contract("order_paid")
    paid["event_id"] = f"paid-{order_id}"
    paid["at"] = paid["order"]["paid_at"] = "2020-01-20T10:00:00+08:00"
    paid["order"] |= {"order_id": order_id, "ship_within_hours": 24}
    paid["order"]["customer"] = paid["order"]["customer"] | {"phone": None}
    shipped = _contract("order_shipped") | {
        "event_id": f"shipped-{order_id}",
        "at": "2020-01-25T10:00:00+08:00",
        "order_id": order_id,
        "tracking_number": f"SF{abs(hash(order_id)) % 10**12:012d}",
    }

    def scan(at: str, status: str) -> dict[str, Any]:
        return _contract("tracking") | {
            "event_id": f"scan-{order_id}-{at}",
            "at": at,
            "order_id": order_id,
            "status": status,
        }

    return [
        paid,
        shipped,
        scan("2020-01-25T20:00:00+08:00", "in_transit"),
        scan("2020-02-03T15:00:00+08:00", "delivered"),
    ]


INVOCATIONS: dict[int, Counter[str]] = {}


def replay(orders: int) -> tuple[dict[str, Counter[str]], int, Counter[str]]:
    """The calls per function, the notices sent and the DynamoDB write units per function (and,
    in ``INVOCATIONS[orders]``, the invocations per function)."""
    events = [e for i in range(orders) for e in lifecycle(f"REF-{i:05d}")]
    scenario = Scenario.model_validate(
        {"start": START, "end": END, "tick_minutes": 60, "merchants": [_contract("merchant")], "events": events}
    )
    units: Counter[str] = Counter()
    invoked: Counter[str] = Counter()

    def finish(local: Any) -> None:
        units.update(local.aws_calls.write_units)
        invoked.update(i.function for i in local.invocations)

    result = run(scenario, on_finish=finish)
    INVOCATIONS[orders] = invoked
    calls = {name: Counter(ops) for name, ops in result.summary["aws_calls"].items()}
    return calls, int(result.summary["notices"]), units


def _total(calls: dict[str, Counter[str]], *, sends: bool) -> int:
    return sum(n for ops in calls.values() for op, n in ops.items() if sends or op not in SENDS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--many", type=int, default=20)
    parser.add_argument("--save", type=Path, help="write the marginal figures as JSON (benchmarks/cost.py reads it)")
    args = parser.parse_args()
    alone, notices, alone_units = replay(1)
    base, _, base_units = replay(args.many)
    more, more_notices, more_units = replay(args.many + 10)
    base_inv, more_inv = INVOCATIONS[args.many], INVOCATIONS[args.many + 10]
    assert notices == 5 and more_notices == 5 * (args.many + 10), (notices, more_notices)
    print(f"reference lifecycle: {notices} e-mails; AWS calls per function (alone | marginal among {args.many})")
    functions = sorted(set(alone) | set(more))
    for name in functions:
        marginal = ((more.get(name, Counter()) - base.get(name, Counter())) | Counter()).total() / 10
        print(f"  {name:<20} {alone.get(name, Counter()).total():>6} | {marginal:>7.1f}")
        ops = Counter(more.get(name, Counter()))
        ops.subtract(base.get(name, Counter()))
        for op, n in sorted(ops.items()):
            if n:
                print(f"      {op:<34} {'':>6}   {n / 10:>7.1f}")
    alone_total = _total(alone, sends=True)
    marginal_total = (_total(more, sends=True) - _total(base, sends=True)) / 10
    marginal_no_sends = (_total(more, sends=False) - _total(base, sends=False)) / 10
    print(f"total: alone {alone_total}, marginal {marginal_total:.1f}, marginal without sends {marginal_no_sends:.1f}")
    print("DynamoDB write units per delayed order (alone | marginal):")
    for name in sorted(set(alone_units) | set(more_units)):
        marginal_units = (more_units[name] - base_units[name]) / 10
        print(f"  {name:<20} {alone_units[name]:>6} | {marginal_units:>7.1f}")
    marginal_units = (more_units.total() - base_units.total()) / 10
    print(f"write units: alone {alone_units.total()}, marginal {marginal_units:.1f}")
    if args.save:
        ops: Counter[str] = Counter()
        for name in functions:
            ops.update(more.get(name, Counter()))
            ops.subtract(base.get(name, Counter()))
        invocations = {name: (more_inv[name] - base_inv[name]) / 10 for name in more_inv}
        figures = {
            "emails": notices,
            "calls": {op: n / 10 for op, n in sorted(ops.items()) if n},
            "write_units": marginal_units,
            "invocations": invocations,
        }
        args.save.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
