"""Every record of every module has a type msgspec can read and checks that resolve: msgspec builds
a record's decoder at its first use, so a type it cannot read (a bound it does not support, a type
only imported for ``TYPE_CHECKING``) would fail on a request instead of here. Run in a fresh
interpreter, with every module of the package imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import importlib, json, pkgutil
import msgspec
import delaydesk
from delaydesk.core import record

for info in pkgutil.walk_packages(delaydesk.__path__, "delaydesk."):
    if not info.name.endswith(".__main__"):
        importlib.import_module(info.name)

def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)

bases = (record.Record, record.FrozenRecord)
ours = {c for base in bases for c in subclasses(base) if c.__module__.startswith("delaydesk.")}
found = sorted(ours, key=lambda c: c.__qualname__)
checked = 0
for cls in found:
    msgspec.json.Decoder(cls)  # raises TypeError for a type msgspec cannot read
    checked += bool(record._checks_of(cls))
print(json.dumps({"records": len(found), "with_checks": checked, "pydantic": "pydantic" in __import__("sys").modules}))
"""


def test_every_record_type_builds() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=ROOT / "shared"
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["records"] > 40
    assert report["with_checks"] > 10
    # The whole package, the CLI and the doctor included, runs without pydantic.
    assert report["pydantic"] is False
