"""Every pydantic model defers its schema build to its first use (``defer_build``, for the cold start):
a model whose schema cannot be built (a type only imported for ``TYPE_CHECKING``, a bad constraint)
would then fail on a request instead of at import. Here every model of every module is built, in a
fresh interpreter in which nothing has been validated yet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import importlib, json, pkgutil, sys
import delaydesk
from pydantic import BaseModel

for info in pkgutil.walk_packages(delaydesk.__path__, "delaydesk."):
    if not info.name.endswith(".__main__"):
        importlib.import_module(info.name)

def models(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from models(sub)

found = sorted({m for m in models(BaseModel) if m.__module__.startswith("delaydesk.")}, key=lambda m: m.__qualname__)
deferred = [m.__qualname__ for m in found if not m.__pydantic_complete__]
for model in found:
    model.model_rebuild(raise_errors=True)
from delaydesk.core import events
events._event_adapter.rebuild(raise_errors=True)
print(json.dumps({
    "models": len(found),
    "deferred": deferred,
    "incomplete": [m.__qualname__ for m in found if not m.__pydantic_complete__],
    "adapter": events._event_adapter.pydantic_complete,
}))
"""


def test_every_model_is_deferred_and_builds() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=ROOT / "shared"
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["models"] > 40
    # Importing every module built none of them (the early warning's default rules are built at
    # first use, operations.early_warning.default_disruption_rules)...
    assert len(report["deferred"]) == report["models"]
    # ...and each builds when asked, as its first validation will.
    assert report["incomplete"] == []
    assert report["adapter"] is True
