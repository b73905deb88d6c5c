"""No handler's cold start builds a dataclass of ours (issue 12, cold start): ``dataclasses`` compiles
each class's ``__init__``/``__repr__``/``__eq__`` with ``exec`` (~0.5-4 ms a class, ~15 ms a handler
before), a ``msgspec.Struct`` is created in C. One fresh interpreter per handler imports
``functions/<name>/app.py`` as Lambda's init does, then does what a first request can add before its
first AWS call (the settings, every table module of the store: ``benchmarks/cold_start.py``), and
reports every dataclass created meanwhile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))

PROBE = """
import dataclasses, json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
made = []
process = dataclasses._process_class
def recorded(cls, *args, **kwargs):
    made.append(f"{cls.__module__}.{cls.__qualname__}")
    return process(cls, *args, **kwargs)
dataclasses._process_class = recorded
import app
from delaydesk import store
from delaydesk.core.config import get_settings
store.bind(get_settings())
for name in dir(store):
    getattr(store, name)
print(json.dumps(made))
"""


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_cold_start_builds_no_dataclass_of_ours(function: str) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_", "LAMBDA_"))}
    environ |= {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "POWERTOOLS_SERVICE_NAME": "delaydesk",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    arguments = [str(ROOT / "functions" / function), str(ROOT / "shared")]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments], capture_output=True, text=True, env=environ, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    made = json.loads(done.stdout.splitlines()[-1])
    assert [name for name in made if name.startswith("delaydesk.")] == []
