"""Benchmark: the sizes of the order items over a scenario (prints figures; not a test).

    .venv/bin/python benchmarks/order_item_sizes.py [scenarios/spring_festival_2020.json]

Replays the scenario (``simulate``: the real template on the embedded AWS) and records the size
of the order item after every write of the orders table, as DynamoDB bills it (moto's reckoning,
which ``metering.WriteUnits`` uses): an item over 1,024 bytes costs two write units per write.
Prints the distribution (p50, p90, p99, max), the writes over 1 KB, the orders whose decisions
spilled to the Decisions table, and the decisions held in the order items and in that table.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from delaydesk.store import OrderRecord
from delaydesk_local import metering
from delaydesk_local.simulate import load_scenario, run

SCENARIO = Path(__file__).parents[1] / "scenarios/spring_festival_2020.json"


def _percentile(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(path: Path) -> None:
    sizes: list[int] = []
    final: dict[str, int] = {}
    original = metering.WriteUnits.after

    def recording(self: metering.WriteUnits, operation: str, snapshot: list[tuple[Any, Any, Any]]) -> int:
        for table, (hash_value, range_value), _ in snapshot:
            if table.name == OrderRecord.Meta.table_name:
                item = table.get_item(hash_value, range_value)
                if item is not None:
                    sizes.append(int(item.size()))
                    final[str(hash_value.value)] = int(item.size())
        return original(self, operation, snapshot)

    counts: dict[str, int] = {}

    def finish(local: Any) -> None:
        from delaydesk import store

        records = list(store.all_orders())
        counts["orders"] = len(records)
        trails = [r.held_trail() for r in records]
        counts["spilled"] = sum(1 for r in records if r.trail is not None and r.trail_spilled())
        counts["in items"] = sum(len(t.decisions()) for t in trails if t is not None)
        counts["in the table"] = sum(1 for record in store.DecisionRecord.scan() for _ in record.decisions())

    metering.WriteUnits.after = recording  # type: ignore[method-assign]
    try:
        run(load_scenario(path), on_finish=finish)
    finally:
        metering.WriteUnits.after = original  # type: ignore[method-assign]
    ends = list(final.values())
    print(f"{path.name}: {counts['orders']} orders, {len(sizes)} writes of the orders table")
    for name, values in (("every write", sizes), ("each order's last", ends)):
        print(
            f"  item bytes, {name:18} p50 {_percentile(values, 0.5):5}  p90 {_percentile(values, 0.9):5}"
            f"  p99 {_percentile(values, 0.99):5}  max {max(values):5}  over 1 KB {sum(v > 1024 for v in values)}"
        )
    print(
        f"  decisions: {counts['in items']} in the order items, {counts['in the table']} in the Decisions table;"
        f" orders spilled: {counts['spilled']}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SCENARIO)
