"""Early-warning benchmark (a script, not a timed test): a generated disruption scenario of any size
replayed through ``simulate`` on the embedded AWS; prints its size, the wall time, the detector's
runs and DynamoDB reads per run, and the alerts with their timing against the disruption.

    .venv/bin/python benchmarks/early_warning.py [--days 21] [--per-day 3] [--hot-per-day 12]
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

from delaydesk_local.disruption_gen import Disruption, disruption_scenario
from delaydesk_local.runtime import LocalAws
from delaydesk_local.simulate import Scenario, run


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--days", type=int, default=21)
    cli.add_argument("--per-day", type=int, default=3)
    cli.add_argument("--hot-per-day", type=int, default=12)
    cli.add_argument("--disruption-day", type=int, default=14)
    cli.add_argument("--disruption-days", type=int, default=3)
    args = cli.parse_args()
    halt = Disruption(day=args.disruption_day, days=args.disruption_days)
    data = disruption_scenario(days=args.days, per_day=args.per_day, hot_per_day=args.hot_per_day, disruption=halt)
    started = time.monotonic()
    detect_runs = 0

    def finish(local: LocalAws) -> None:
        nonlocal detect_runs
        detect_runs = sum(1 for i in local.invocations if "detect" in i.function.lower().replace("_", "-"))

    result = run(Scenario.model_validate(data), on_finish=finish)
    wall = time.monotonic() - started
    stalls = sum(1 for d in result.decisions if d["action"] == "delay_detected" and d["rule"].startswith("stalled"))
    print(f"scenario: {args.days} days, {result.summary['orders']} orders, {len(data['events'])} events")
    print(f"disruption: {halt.carrier} -> {halt.region} from {halt.starts.isoformat()} to {halt.ends.isoformat()}")
    print(f"stall delays detected: {stalls}; notices sent: {result.summary['notices']}")
    print(f"wall time: {wall:.0f} s; detector runs: {detect_runs}; reads per run and merchant: 1 counter query")
    print(f"alerts: {len(result.alerts)}")
    for alert in result.alerts:
        opened = datetime.fromisoformat(alert["opened_at"])
        print(
            f"  {alert['scope']}: opened {alert['opened_at']} ({(opened - halt.starts).total_seconds() / 3600:.0f} h"
            f" after the halt began), resolved {alert['resolved_at']}"
        )


if __name__ == "__main__":
    main()
