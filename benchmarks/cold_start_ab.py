"""Benchmark: two checkouts' handlers in the same rounds, ``benchmarks/cold_start.py``'s three columns
side by side (prints figures; not a test).

    git -C . archive main | tar -x -C /tmp/before        # the other checkout, e.g. main
    .venv/bin/python benchmarks/cold_start_ab.py /tmp/before [--runs 5] [--only scan_worker,...]
        [--layer | --built BEFORE_LAYER AFTER_LAYER]

Each round is one fresh ``import boto3`` and then every handler from BEFORE and from this checkout,
one after the other, so a machine shared with other work slows both sides of a comparison alike;
each ratio is taken against the round's ``import boto3`` (CPU time) and the figure is the median
over the rounds. The modes are ``cold_start.py``'s: the development venv (default), ``--layer``
(only the SharedLayer's and the runtime's packages), ``--built`` (two built layers, each
``shared/build_layer.py``'s output as its checkout builds it, under CPython 3.12 with ``-B``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

import cold_start as cs

COLUMNS = (("import", 1), ("+first request", 3), ("everything", 5))


def measure(
    module: str, root: Path, function: str, shared: str, *, python: str, site: list[str], built: bool
) -> list[float]:
    path = root / "functions" / function if function else root
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_", "LAMBDA_", "PYTHON"))}
    env |= cs.ENV | {"LAMBDA_TASK_ROOT": str(path), "AWS_LAMBDA_FUNCTION_NAME": path.name}
    env["POWERTOOLS_TRACE_DISABLED"] = "true"
    probe = cs.PROBE.format(
        path=str(path),
        shared=shared,
        site=site,
        module=module,
        first=module == "app",
        deferred=cs.DEFERRED,
        reads=cs.PATH_READS.get(function, ()),
    )
    flags = [*(["-S"] if site else []), *(["-B"] if built else [])]
    done = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [python, *flags, "-c", probe], capture_output=True, text=True, check=True, env=env
    )
    return [float(v) for v in done.stdout.strip().splitlines()[-1].split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("before", type=Path, help="the other checkout (its functions/ and shared/)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated function names (default: every handler)")
    parser.add_argument("--layer", action="store_true", help="only the layer's and the runtime's packages")
    parser.add_argument("--built", nargs=2, metavar=("BEFORE_LAYER", "AFTER_LAYER"), help="two built layers")
    args = parser.parse_args()
    python, site = sys.executable, [cs.layer_site()] if args.layer else []
    if args.built:
        python = cs.runtime_python()
        site = [cs.runtime_site(python)]
    sides = {
        "before": (args.before.resolve(), args.built[0] if args.built else str(args.before.resolve() / "shared")),
        "after": (cs.ROOT, args.built[1] if args.built else str(cs.ROOT / "shared")),
    }
    functions = sorted(p.parent.name for p in (cs.ROOT / "functions").glob("*/app.py"))
    if args.only:
        functions = [f for f in functions if f in args.only.split(",")]
    base: list[list[float]] = []
    took: dict[tuple[str, str], list[list[float]]] = {(s, f): [] for s in sides for f in functions}
    for done in range(args.runs):
        base.append(measure("boto3", cs.ROOT, "", str(cs.ROOT / "shared"), python=python, site=site, built=False))
        for function in functions:
            for side, (root, shared) in sides.items():
                took[(side, function)].append(
                    measure("app", root, function, shared, python=python, site=site, built=bool(args.built))
                )
        print(f"round {done + 1} of {args.runs}", file=sys.stderr, flush=True)
    mode = "--built" if args.built else "--layer" if args.layer else "the development venv"
    boto3 = statistics.median(b[1] for b in base) * 1000
    print(f"{mode}; tracing off; import boto3 {boto3:.0f} ms CPU (median); median of {args.runs} interleaved rounds")
    print(f"{'handler':<22}" + "".join(f"{name + ': before → after':>34}" for name, _ in COLUMNS))
    ranges: dict[tuple[str, int], list[float]] = {}
    for function in functions:
        cells = []
        for _, index in COLUMNS:
            pair = []
            for side in sides:
                runs = took[(side, function)]
                ratio = statistics.median(run[index] / ref[1] for run, ref in zip(runs, base, strict=True))
                ranges.setdefault((side, index), []).append(ratio)
                pair.append(ratio)
            cells.append(f"{pair[0]:.2f}x → {pair[1]:.2f}x")
        print(f"{function:<22}" + "".join(f"{cell:>34}" for cell in cells))
    cells = []
    for _, index in COLUMNS:
        before, after = ranges[("before", index)], ranges[("after", index)]
        cells.append(f"{min(before):.2f}-{max(before):.2f}x → {min(after):.2f}-{max(after):.2f}x")
    print(f"{'range':<22}" + "".join(f"{cell:>34}" for cell in cells))


if __name__ == "__main__":
    main()
