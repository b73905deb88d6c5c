"""Builds the SharedLayer for `sam build` (shared/Makefile, BuildMethod: makefile).

    python3 build_layer.py ARTIFACTS_DIR/python

What goes in, and why it is this small (the figure: ``benchmarks/build_size.py``):

- the third-party packages of ``requirements.txt``, which ``make lock`` exports from uv.lock with
  their hashes, as manylinux wheels for CPython 3.12 on x86_64 (the template's runtime and
  architecture), installed with ``--require-hashes --no-deps``: exactly the versions the tests ran;
- not boto3 and botocore: the Lambda runtime provides them (``RUNTIME_PROVIDED`` in the Makefile);
- the ``delaydesk`` package, without caches;
- less what the functions never load (``PRUNE``): Babel's data for locales other than the three
  DelayDesk renders (about 34 MB of 36), Babel's gettext tools, Powertools' bundled Swagger UI
  (served only by ``enable_swagger()``), its event handler (the HTTP functions route with
  ``core/http.py``) and the utilities no function imports;
- every module compiled to bytecode by the runtime's CPython 3.12 (``compile_layer``): Lambda unpacks the
  layer into ``/opt``, which is read-only, so a layer without ``__pycache__`` has every module it
  imports compiled from source again on every cold start and never cached. The ``.pyc`` are
  ``unchecked-hash`` (PEP 552): valid without comparing the source's mtime, which the zip does not
  keep exactly, and with the build folder replaced by ``/opt/python`` in their paths (the same
  bytes on every machine).

``tests/unit/test_layer_build.py`` builds the layer and imports every handler from it, and formats
a date, an interval and an amount in every supported locale, so a prune that removes something
needed fails the tests, not a Lambda.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

PLATFORM = ("--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", "3.12")

BABEL_LOCALES = frozenset({"root", "en", "zh", "zh_Hans", "zh_Hans_CN", "zh_Hant", "zh_Hant_TW"})
"""The Babel locale files DelayDesk's three locales (en, zh-CN, zh-TW) load, parents included."""

PRUNE = (
    "babel/messages",
    *(
        f"aws_lambda_powertools/utilities/{name}"
        for name in (
            "auth_alpha",
            "circuit_breaker",
            "data_masking",
            "feature_flags",
            "kafka",
            "streaming",
            "validation",
        )
    ),
    "aws_lambda_powertools/event_handler",
)
"""Paths (relative to the layer's python/) that no function loads."""

RUNTIME_VERSION = (3, 12)
"""The template's runtime (python3.12): the bytecode is this version's, and only this version reads it."""


def runtime_python() -> str | None:
    """The runtime's CPython (3.12): python3.12 on PATH, else pyenv's; None when there is none."""
    version = "{}.{}".format(*RUNTIME_VERSION)
    candidates = [shutil.which(f"python{version}") or ""]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [str(p) for p in sorted(pyenv_root.glob(f"versions/{version}*/bin/python{version}"), reverse=True)]
    for candidate in filter(None, candidates):
        probe = subprocess.run(  # noqa: S603 - a python interpreter found on PATH or in pyenv
            [candidate, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True, check=False
        )
        if probe.returncode == 0 and probe.stdout.split() == [str(n).encode() for n in RUNTIME_VERSION]:
            return candidate
    return None


def install(target: Path) -> None:
    subprocess.run(  # noqa: S603 - fixed arguments, the interpreter running this script
        [
            sys.executable,
            "-m",
            "pip",
            "--isolated",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "--no-deps",
            "--no-compile",
            "--only-binary=:all:",
            *PLATFORM,
            "--target",
            str(target),
            "-r",
            str(HERE / "requirements.txt"),
        ],
        check=True,
    )


def prune(target: Path) -> None:
    for relative in PRUNE:
        path = target / relative
        if not path.exists():
            raise SystemExit(f"build_layer: {relative} is not in the layer any more; update PRUNE")
        shutil.rmtree(path)
    for data in (target / "babel" / "locale-data").glob("*.dat"):
        if data.stem not in BABEL_LOCALES:
            data.unlink()
    for cache in list(target.rglob("__pycache__")):
        shutil.rmtree(cache)


def compile_layer(target: Path) -> None:
    """Every module of the layer compiled by the runtime's CPython into ``__pycache__`` (see the docstring)."""
    python = runtime_python()
    if python is None:
        version = "{}.{}".format(*RUNTIME_VERSION)
        raise SystemExit(f"build_layer: CPython {version} (the Lambda runtime's) is needed to compile the bytecode")
    subprocess.run(  # noqa: S603 - the runtime's interpreter, fixed arguments
        [
            python,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(target),
            "-p",
            "/opt/python",
            str(target),
        ],
        check=True,
    )


def build(target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    install(target)
    shutil.copytree(HERE / "delaydesk", target / "delaydesk", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    prune(target)
    compile_layer(target)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python3 build_layer.py ARTIFACTS_DIR/python")
    build(Path(sys.argv[1]))
