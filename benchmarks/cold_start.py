"""Benchmark: each handler's cold import time against ``import boto3`` (prints figures; not a test).

    .venv/bin/python benchmarks/cold_start.py [--runs 7] [--traced] [--layer] [--only scan_due,admin_api]

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

Two more columns follow the import: plus the first request's setup (``FIRST_REQUEST``), and plus
everything the code defers (``EVERYTHING``: every model built, the renderers' libraries imported), so
that a cost moved out of the import into the first request is seen. ``--layer`` leaves the venv's
site-packages out and puts only the SharedLayer's and the Lambda runtime's packages on the path: the
development venv adds awscrt and pyOpenSSL to ``import boto3`` and ~190 distributions to pydantic's
plugin lookup.
"""

from __future__ import annotations

import argparse
import atexit
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).parents[1]
PROBE = """
import sys, time
sys.path[:0] = [{path!r}, {shared!r}]
if {site!r}:
    sys.path.append({site!r})
wall, cpu = time.perf_counter(), time.process_time()
import {module}
took = [time.perf_counter() - wall, time.process_time() - cpu]
if {first!r}:
    from delaydesk import store
    from delaydesk.core.config import get_settings
    store.bind(get_settings())
    for name in dir(store):
        getattr(store, name)
took += [time.perf_counter() - wall, time.process_time() - cpu]
if {first!r}:
    import importlib
    from pydantic import BaseModel
    for module, needs in {deferred!r}.items():
        if module in sys.modules:
            for name in needs:
                importlib.import_module(name)
    def models(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from models(sub)
    for model in list(models(BaseModel)):
        if model.__module__.startswith("delaydesk."):
            model.model_rebuild()
    if "delaydesk.core.events" in sys.modules:
        sys.modules["delaydesk.core.events"]._event_adapter.rebuild()
took += [time.perf_counter() - wall, time.process_time() - cpu]
print(*took)
"""
FIRST_REQUEST = """the import, then what a first request can add before its first AWS call: the settings
(built and validated at first use) and every table module of the store (loaded on first use), an
upper bound (a request reads a few tables)."""
EVERYTHING = """the first request's setup, then every pydantic model of the loaded modules built (they defer their
schema build to their first use) and the libraries that rendering modules import where they render (jinja2,
Babel): an upper bound of what a first request can pay, with every deferred cost paid."""
DEFERRED = {
    "delaydesk.notices.rendering": ("jinja2", "babel.dates", "babel.numbers", "delaydesk.notices.budget"),
    "delaydesk.customer.banner": ("babel.dates",),
    "delaydesk.customer.wismo": ("babel.dates",),
}
"""A module that imports a library only where it uses it, and what it imports there."""
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


def layer_site() -> str:
    """A directory with only what a function has in Lambda: the SharedLayer's packages
    (``shared/requirements.txt``) and the runtime's own (``RUNTIME_PROVIDED`` in the Makefile), linked
    from the venv, with their metadata (pydantic's plugin lookup reads every distribution's)."""
    names = re.findall(r"^([A-Za-z0-9_.-]+)==", (ROOT / "shared" / "requirements.txt").read_text(), re.MULTILINE)
    provided = re.search(r"^RUNTIME_PROVIDED\s*:=(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    names += provided.group(1).split() if provided else []
    site = Path(tempfile.mkdtemp(prefix="cold-start-site-"))
    atexit.register(shutil.rmtree, site)  # links only: their targets stay
    for name in names:
        dist = metadata.distribution(name)
        for top in {Path(str(f)).parts[0] for f in dist.files or ()}:
            source = Path(str(dist.locate_file(top)))
            if source.exists() and not (site / top).exists() and source.parent.name == "site-packages":
                (site / top).symlink_to(source)
    return str(site)


def measure(module: str, path: Path, *, traced: bool, site: str | None = None) -> tuple[float, ...]:
    """(wall, cpu) seconds of one fresh interpreter importing ``module`` from ``path``, then the same
    with the first request's setup (``FIRST_REQUEST``), then with everything deferred paid
    (``EVERYTHING``; both for a handler only). With ``site``, the interpreter starts without the venv's
    site-packages (``-S``) and imports from ``site`` instead."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_", "LAMBDA_"))}
    env |= ENV | {"LAMBDA_TASK_ROOT": str(path), "AWS_LAMBDA_FUNCTION_NAME": path.name}
    if not traced:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    shared = str(ROOT / "shared")
    done = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [
            sys.executable,
            *(["-S"] if site else []),
            "-c",
            PROBE.format(
                path=str(path), shared=shared, site=site, module=module, first=module == "app", deferred=DEFERRED
            ),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return tuple(map(float, done.stdout.strip().splitlines()[-1].split()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--traced", action="store_true", help="tracing on, as deployed (Tracing: Active)")
    parser.add_argument("--only", default="", help="comma-separated function names (default: every handler)")
    parser.add_argument(
        "--layer",
        action="store_true",
        help="only the SharedLayer's and the Lambda runtime's packages on the path, as in Lambda "
        "(default: the development venv, where botocore also loads awscrt and pydantic scans ~190 distributions)",
    )
    args = parser.parse_args()
    site = layer_site() if args.layer else None
    functions = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))
    if args.only:
        functions = [f for f in functions if f in args.only.split(",")]
    base: list[tuple[float, ...]] = []
    took: dict[str, list[tuple[float, ...]]] = {f: [] for f in functions}
    for _ in range(args.runs):
        base.append(measure("boto3", ROOT, traced=args.traced, site=site))
        for function in functions:
            took[function].append(measure("app", ROOT / "functions" / function, traced=args.traced, site=site))
    print(f"tracing {'on (as deployed)' if args.traced else 'off (as the embedded AWS runs them)'}")
    print(f"packages: {'the layer and the runtime only (' + site + ')' if site else 'the development venv'}")
    print("first request = " + " ".join(FIRST_REQUEST.split()))
    print("everything = " + " ".join(EVERYTHING.split()))
    ratio = "ratio"
    print(
        f"{'':<22} {'import cpu ms':>15} {ratio:>6}   {'wall ms':>7} {ratio:>6}   {'+first request':>14} {ratio:>6}"
        f"   {'everything':>10} {ratio:>6}"
    )
    cpu, wall = (statistics.median(b[index] for b in base) * 1000 for index in (1, 0))
    print(f"{'import boto3':<22} {cpu:>15.0f} {1:>5.2f}x   {wall:>7.0f} {1:>5.2f}x")
    worst = {"cpu": 0.0, "wall": 0.0, "first": 0.0, "all": 0.0}
    for function in functions:
        runs = took[function]
        ratios = {
            key: statistics.median(run[index] / ref[ref_index] for run, ref in zip(runs, base, strict=True))
            for key, index, ref_index in (("cpu", 1, 1), ("wall", 0, 0), ("first", 3, 1), ("all", 5, 1))
        }
        worst = {key: max(worst[key], ratios[key]) for key in worst}
        print(
            f"{function:<22} {statistics.median(r[1] for r in runs) * 1000:>15.0f} {ratios['cpu']:>5.2f}x"
            f"   {statistics.median(r[0] for r in runs) * 1000:>7.0f} {ratios['wall']:>5.2f}x"
            f"   {statistics.median(r[3] for r in runs) * 1000:>14.0f} {ratios['first']:>5.2f}x"
            f"   {statistics.median(r[5] for r in runs) * 1000:>10.0f} {ratios['all']:>5.2f}x"
        )
    print(
        f"worst handler: {worst['cpu']:.2f}x import boto3 in CPU time, {worst['wall']:.2f}x in wall time "
        f"(goal <= 1.5x); with the first request's setup {worst['first']:.2f}x; with everything {worst['all']:.2f}x; "
        f"median of {args.runs} rounds"
    )


if __name__ == "__main__":
    main()
