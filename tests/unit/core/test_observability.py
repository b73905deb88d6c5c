"""The tracer: no X-Ray SDK where tracing is off, the X-Ray recorder where it is on (deployed)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import sys
from delaydesk.core.observability import tracer

@tracer.capture_lambda_handler(capture_response=False)
def handler(event, context):
    if event == "fail":
        raise ValueError("failed inside")
    return {"ok": event}

assert handler("x", None) == {"ok": "x"}
try:
    handler("fail", None)
except ValueError as exc:
    assert str(exc) == "failed inside"
else:
    raise AssertionError("the exception was swallowed")
print(type(tracer.provider).__name__, "aws_xray_sdk.core" in sys.modules)
"""


def probe(**env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "LAMBDA_", "AWS_SAM"))}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        env={**clean, "AWS_DEFAULT_REGION": "us-east-1", **env},
    )
    return done.stdout.split()


def test_disabled_tracing_loads_no_xray_sdk_and_the_handler_still_answers_and_raises() -> None:
    assert probe(POWERTOOLS_TRACE_DISABLED="true", LAMBDA_TASK_ROOT="/var/task") == ["NoTracing", "False"]


def test_outside_lambda_tracing_is_off_as_powertools_decides() -> None:
    assert probe() == ["NoTracing", "False"]


def test_in_lambda_with_tracing_on_the_xray_recorder_traces() -> None:
    provider, loaded = probe(LAMBDA_TASK_ROOT="/var/task", AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR")
    assert (provider, loaded) == ("AsyncAWSXRayRecorder", "True")
