"""Each handler's import loads what its path needs and not what it never uses (README, "Scale": cold
start). One fresh interpreter per handler imports ``functions/<name>/app.py`` as Lambda's init does
(tracing off, as the embedded AWS runs them) and reports which of the watched modules it loaded.

The watched modules are the costs found by ``benchmarks/cold_start.py`` and ``python -X importtime``
that a path can do without: Powertools' batch package (asyncio and every event source's data class;
``core/sqs_batch`` does the SQS part), its data classes and event handler outside the HTTP functions,
the renderers' libraries where nothing renders, the scan, recompute and policy modules where no
order is evaluated, and the chat robots (with Powertools' parameters, for their secrets) where no
alert is delivered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))

WATCHED = (
    "asyncio",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.data_classes",
    "aws_lambda_powertools.event_handler",
    "pydantic_settings",
    "jinja2",
    "babel",
    "pynamodb",
    "delaydesk.delays.scan",
    "delaydesk.delays.recompute",
    "delaydesk.policy.timers",
    "delaydesk.operations.doctor",
    "delaydesk.operations.robots",
    "aws_lambda_powertools.utilities.parameters",
)

HTTP = {"admin_api", "answer_wismo", "receive_webhook", "serve_order_page", "serve_storefront"}
"""Powertools' APIGatewayHttpResolver: its package loads every resolver, asyncio and the data classes."""
HTTP_NEEDS = {"asyncio", "aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes"}
EVALUATES = {"pynamodb", "delaydesk.delays.scan", "delaydesk.policy.timers"}
"""The scan's path: orders read and evaluated against the policy."""

NEEDED: dict[str, set[str]] = {
    "admin_api": HTTP_NEEDS | EVALUATES | {"delaydesk.delays.recompute"},
    "answer_wismo": HTTP_NEEDS,
    "deliver_alerts": {"delaydesk.operations.robots", "aws_lambda_powertools.utilities.parameters"},
    "detect_spikes": set(),
    "dispatch_notices": {"pynamodb"},
    "ingest_events": {"pynamodb", "delaydesk.policy.timers"},
    "receive_webhook": HTTP_NEEDS | {"aws_lambda_powertools.utilities.parameters"},
    "recompute_deadlines": EVALUATES | {"delaydesk.delays.recompute"},
    "release_notices": {"pynamodb"},
    "scan_due": EVALUATES,
    "scan_worker": EVALUATES,
    "send_digests": {"jinja2"},
    "serve_order_page": HTTP_NEEDS | {"pynamodb", "jinja2", "babel"},
    "serve_storefront": HTTP_NEEDS,
    "ses_feedback": {"pynamodb"},
}
"""What each handler's import may load of ``WATCHED``: what its path uses on every request (the HTTP
functions' router; the tables where the handler reads them at import; the renderer where every
request renders; the webhook secrets). DeliverAlerts and DetectSpikes read alerts and counters,
never an order to evaluate (a window is declared from an alert by the admin API,
``operations.alert_windows``); only DeliverAlerts delivers to robots (``operations.alert_delivery``)."""

PROBE = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import app
print(json.dumps(sorted(name for name in json.loads(sys.argv[3]) if name in sys.modules)))
"""


def test_every_handler_is_listed() -> None:
    assert sorted(NEEDED) == FUNCTIONS
    assert all(needs <= set(WATCHED) for needs in NEEDED.values())


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_handler_imports_only_what_its_path_needs(function: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_", "LAMBDA_"))}
    env |= {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "LAMBDA_TASK_ROOT": str(ROOT / "functions" / function),
        "POWERTOOLS_SERVICE_NAME": "delaydesk",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            str(ROOT / "functions" / function),
            str(ROOT / "shared"),
            json.dumps(WATCHED),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert set(json.loads(done.stdout)) == NEEDED[function]
