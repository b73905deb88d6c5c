"""Benchmark: each handler's cold import time against ``import boto3`` (prints figures; not a test).

    .venv/bin/python benchmarks/cold_start.py [--runs 7] [--traced] [--only scan_due,admin_api]

Each measurement is a fresh interpreter that imports the handler module (``functions/<name>/app.py``)
as Lambda's init phase does: the function's code directory first on ``sys.path``, then ``shared``
(the layer), and a Lambda environment (``LAMBDA_TASK_ROOT``, the function's name, the template's
``POWERTOOLS_*`` globals). Tracing is off by default, as the embedded AWS runs the functions
(``POWERTOOLS_TRACE_DISABLED``); ``--traced`` imports them as deployed (``Tracing: Active``: the X-Ray
SDK is loaded and patches the libraries).

The reference is a fresh interpreter importing ``boto3`` alone (the runtime's own SDK, which every
handler needs anyway). The runs are interleaved (one round: boto3, then every handler once) and each
ratio is taken within its round, so that a machine shared with other work slows both sides of a
ratio alike; the figure is the median over ``--runs`` rounds. Both the CPU time of the import
(``time.process_time``: what a dedicated Lambda vCPU would spend) and its wall time are printed; on
a loaded machine the wall time mostly measures the wait for a core. Goal: at most 1.5 × ``import
boto3`` for every handler.
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
sys.path[:0] = [{path!r}, {shared!r}]
wall, cpu = time.perf_counter(), time.process_time()
import {module}
print(time.perf_counter() - wall, time.process_time() - cpu)
"""
ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
    "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
    "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    # template.yaml, Globals.Function.Environment
    "POWERTOOLS_SERVICE_NAME": "delaydesk",
    "POWERTOOLS_METRICS_NAMESPACE": "DelayDesk",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
}


def measure(module: str, path: Path, *, traced: bool) -> tuple[float, float]:
    """(wall, cpu) seconds of one fresh interpreter importing ``module`` from ``path``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_", "LAMBDA_"))}
    env |= ENV | {"LAMBDA_TASK_ROOT": str(path), "AWS_LAMBDA_FUNCTION_NAME": path.name}
    if not traced:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    done = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-c", PROBE.format(path=str(path), shared=str(ROOT / "shared"), module=module)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    wall, cpu = done.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--traced", action="store_true", help="tracing on, as deployed (Tracing: Active)")
    parser.add_argument("--only", default="", help="comma-separated function names (default: every handler)")
    args = parser.parse_args()
    functions = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))
    if args.only:
        functions = [f for f in functions if f in args.only.split(",")]
    base: list[tuple[float, float]] = []
    took: dict[str, list[tuple[float, float]]] = {f: [] for f in functions}
    for _ in range(args.runs):
        base.append(measure("boto3", ROOT, traced=args.traced))
        for function in functions:
            took[function].append(measure("app", ROOT / "functions" / function, traced=args.traced))
    print(f"tracing {'on (as deployed)' if args.traced else 'off (as the embedded AWS runs them)'}")
    print(f"{'':<22} {'cpu ms':>7} {'ratio':>6}   {'wall ms':>7} {'ratio':>6}")
    print(
        f"{'import boto3':<22} {statistics.median(c for _, c in base) * 1000:>7.0f} {1:>5.2f}x"
        f"   {statistics.median(w for w, _ in base) * 1000:>7.0f} {1:>5.2f}x"
    )
    worst = worst_wall = 0.0
    for function in functions:
        runs = took[function]
        cpu_ratio = statistics.median(c / b for (_, c), (_, b) in zip(runs, base, strict=True))
        wall_ratio = statistics.median(w / b for (w, _), (b, _) in zip(runs, base, strict=True))
        worst, worst_wall = max(worst, cpu_ratio), max(worst_wall, wall_ratio)
        print(
            f"{function:<22} {statistics.median(c for _, c in runs) * 1000:>7.0f} {cpu_ratio:>5.2f}x"
            f"   {statistics.median(w for w, _ in runs) * 1000:>7.0f} {wall_ratio:>5.2f}x"
        )
    print(
        f"worst handler: {worst:.2f}x import boto3 in CPU time, {worst_wall:.2f}x in wall time (goal <= 1.5x), "
        f"median of {args.runs} interleaved rounds of fresh interpreters"
    )


if __name__ == "__main__":
    main()
