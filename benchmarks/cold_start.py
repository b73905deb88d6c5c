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

``--built DIR`` runs the layer as deployed: DIR is a SharedLayer built by ``shared/build_layer.py``
(its ``python/`` folder, what Lambda unpacks into ``/opt/python``), imported by the runtime's CPython
3.12 (``--python``, default: the one ``build_layer`` compiles with) with ``-B``, as ``/opt`` is
read-only: a module without its ``.pyc`` in the layer is compiled on every cold start. The runtime's
own packages (boto3, botocore…, ``RUNTIME_PROVIDED``) are copied from the venv and compiled for that
interpreter, as the runtime ships them. Compare a layer built as it is now with one whose
``__pycache__`` folders were removed.
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
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six.py")
"""What the Lambda runtime puts on the path besides the layers (as tests/unit/test_layer_build.py)."""
PROBE = """
import sys, time
sys.path[:0] = [{path!r}, {shared!r}]
sys.path += {site!r}
wall, cpu = time.perf_counter(), time.process_time()
import {module}
took = [time.perf_counter() - wall, time.process_time() - cpu]
if {first!r}:
    from delaydesk import store
    from delaydesk.core.config import get_settings
    store.bind(get_settings())
    for name in {reads!r} or dir(store):
        getattr(store, name)
took += [time.perf_counter() - wall, time.process_time() - cpu]
if {first!r}:
    import importlib
    for module, needs in {deferred!r}.items():
        if module in sys.modules:
            for name in needs:
                importlib.import_module(name)
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)
    if "delaydesk.core.record" in sys.modules:  # every record's decoder and checks, built at first use
        import msgspec
        record = sys.modules["delaydesk.core.record"]
        for base in (record.Record, record.FrozenRecord):
            for cls in list(subclasses(base)):
                if cls.__module__.startswith("delaydesk."):
                    msgspec.json.Decoder(cls)
                    record._checks_of(cls)
took += [time.perf_counter() - wall, time.process_time() - cpu]
print(*took)
"""
FIRST_REQUEST = """the import, then what a first request can add before its first AWS call: the settings
(built and validated at first use) and every table module of the store (loaded on first use), an
upper bound (a request reads a few tables), except for the handlers of PATH_READS: the store functions
their path calls."""
EVERYTHING = """the first request's setup, then every record of the loaded modules made ready to read (msgspec builds
a record's decoder, and core/record.py its field checks, at their first use) and the libraries that rendering
modules import where they render (jinja2, Babel): an upper bound of what a first request can pay, with every
deferred cost paid."""
PATH_READS = {
    "scan_due": ("oldest_due",),
    "release_notices": (
        "held_due",
        "release_held",
        "slotted_in",
        "slot_cursor",
        "advance_slot_cursor",
        "suppression_of",
        "suppress_address",
    ),
    "ses_feedback": (
        "suppress_address",
        "record_feedback",
        "batched_feedback",
        "batched_counts",
        "add_counts",
        "get_order",
    ),
}
"""The store functions a handler's path calls, for the handlers whose path loads no pydantic (deployed:
ScanDue plans; ``tests/unit/test_handler_imports.py`` drives a first request of each in moto): every
table module would load the other tables' domain models (pydantic) that their requests never read."""
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


def runtime_site(python: str) -> str:
    """The runtime's packages (``RUNTIME_PACKAGES``) copied from the venv and compiled by ``python``."""
    source = Path(str(metadata.distribution("boto3").locate_file("boto3"))).parent
    site = Path(tempfile.mkdtemp(prefix="cold-start-runtime-"))
    atexit.register(shutil.rmtree, site)
    for name in RUNTIME_PACKAGES:
        if (source / name).is_dir():
            shutil.copytree(source / name, site / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source / name, site / name)
    subprocess.run([python, "-m", "compileall", "-q", str(site)], check=True)  # noqa: S603 - our interpreter
    return str(site)


def runtime_python() -> str:
    """The interpreter ``shared/build_layer.py`` compiles the layer with (CPython 3.12)."""
    sys.path.insert(0, str(ROOT / "shared"))
    try:
        import build_layer  # a build script beside the package, not installed
    finally:
        sys.path.pop(0)
    python = build_layer.runtime_python()
    if python is None:
        raise SystemExit("--built needs the Lambda runtime's CPython 3.12 (pyenv install 3.12)")
    return str(python)


def measure(
    module: str,
    path: Path,
    *,
    traced: bool,
    site: list[str] | None = None,
    built: str | None = None,
    python: str = sys.executable,
) -> tuple[float, ...]:
    """(wall, cpu) seconds of one fresh interpreter importing ``module`` from ``path``, then the same
    with the first request's setup (``FIRST_REQUEST``), then with everything deferred paid
    (``EVERYTHING``; both for a handler only). With ``site``, the interpreter starts without the venv's
    site-packages (``-S``) and imports from ``site`` instead; with ``built``, ``shared`` is replaced by
    that built layer and nothing is written (``-B``: ``/opt`` is read-only)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_", "LAMBDA_", "PYTHON"))}
    env |= ENV | {"LAMBDA_TASK_ROOT": str(path), "AWS_LAMBDA_FUNCTION_NAME": path.name}
    if not traced:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    shared = built or str(ROOT / "shared")
    done = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [
            python,
            *(["-S"] if site else []),
            *(["-B"] if built else []),
            "-c",
            PROBE.format(
                path=str(path),
                shared=shared,
                site=site or [],
                module=module,
                first=module == "app",
                deferred=DEFERRED,
                reads=PATH_READS.get(path.name, ()),
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
    parser.add_argument(
        "--built",
        metavar="DIR",
        help="a SharedLayer built by shared/build_layer.py (its python/ folder), imported by the runtime's "
        "CPython 3.12 with -B as from a read-only /opt, with the runtime's packages compiled for it",
    )
    parser.add_argument("--python", help="the interpreter for --built (default: the one build_layer compiles with)")
    args = parser.parse_args()
    python = sys.executable
    site: list[str] | None = [layer_site()] if args.layer else None
    if args.built:
        python = args.python or runtime_python()
        site = [runtime_site(python)]
    functions = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))
    if args.only:
        functions = [f for f in functions if f in args.only.split(",")]
    base: list[tuple[float, ...]] = []
    took: dict[str, list[tuple[float, ...]]] = {f: [] for f in functions}
    for _ in range(args.runs):
        base.append(measure("boto3", ROOT, traced=args.traced, site=site, built=args.built, python=python))
        for function in functions:
            took[function].append(
                measure(
                    "app", ROOT / "functions" / function, traced=args.traced, site=site, built=args.built, python=python
                )
            )
    print(f"tracing {'on (as deployed)' if args.traced else 'off (as the embedded AWS runs them)'}")
    if args.built:
        print(f"packages: the built layer {args.built} and the runtime's, {python} -B (read-only, as /opt)")
    else:
        print(f"packages: {'the layer and the runtime only (' + site[0] + ')' if site else 'the development venv'}")
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
