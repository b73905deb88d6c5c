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
  (served only by ``enable_swagger()``) and the utilities no function imports, pydantic's v1 copy.

``tests/unit/test_layer_build.py`` builds the layer and imports every handler from it, and formats
a date, an interval and an amount in every supported locale, so a prune that removes something
needed fails the tests, not a Lambda.
"""

from __future__ import annotations

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
    "aws_lambda_powertools/event_handler/openapi/swagger_ui",
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
    "pydantic/v1",
)
"""Paths (relative to the layer's python/) that no function loads."""


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


def build(target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    install(target)
    shutil.copytree(HERE / "delaydesk", target / "delaydesk", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    prune(target)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python3 build_layer.py ARTIFACTS_DIR/python")
    build(Path(sys.argv[1]))
