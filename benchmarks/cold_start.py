"""Benchmark: each handler's cold import time against ``import boto3`` (prints figures; not a test).

    .venv/bin/python benchmarks/cold_start.py [--runs 7]

Each measurement is a fresh interpreter that imports the handler module (``functions/<name>/app.py``)
as Lambda's init phase does, with the function's code directory on ``sys.path`` and the local
environment; the figure is the median of ``--runs`` interpreters. The reference is a fresh
interpreter importing ``boto3`` alone (the runtime's own SDK, which every handler needs anyway).
Goal: at most 1.5 × ``import boto3`` for every handler.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
PROBE = """
import sys, time
sys.path.insert(0, {path!r})
started = time.perf_counter()
import {module}
print(time.perf_counter() - started)
"""
ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "delaydesk",
}


def measure(module: str, path: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        done = subprocess.run(  # noqa: S603 - our own interpreter and probe
            [sys.executable, "-c", PROBE.format(path=path, module=module)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **ENV},
        )
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    boto3 = measure("boto3", str(ROOT), args.runs)
    print(f"{'import boto3':<22} {boto3 * 1000:>7.0f} ms   1.00x")
    worst = 0.0
    for function in sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py")):
        took = measure("app", str(ROOT / "functions" / function), args.runs)
        ratio = took / boto3
        worst = max(worst, ratio)
        print(f"{function:<22} {took * 1000:>7.0f} ms   {ratio:.2f}x")
    print(f"worst handler: {worst:.2f}x import boto3 (goal <= 1.5x), median of {args.runs} fresh interpreters")


if __name__ == "__main__":
    main()
