"""Each handler's import loads what its path needs and not what it never uses (README, "Scale": cold
start). One fresh interpreter per handler imports ``functions/<name>/app.py`` as Lambda's init does
(tracing off, as the embedded AWS runs them) and reports which of the watched modules it loaded.

The watched modules are the costs found by ``benchmarks/cold_start.py`` and ``python -X importtime``
that a path can do without: Powertools' batch package (asyncio and every event source's data class;
``core/sqs_batch`` does the SQS part), its data classes and event handler outside the HTTP functions,
the renderers' libraries where nothing renders, the scan, recompute and policy modules where no
order is evaluated, the chat robots (with Powertools' parameters, for their secrets) where no
alert is delivered to a robot, the early warning's detector where no spike is detected, the help-desk
mapping where no inquiry arrives (ReceiveWebhook's webhooks), the notices' renderer where no
notice is rendered (the WISMO answers and the order page read a locale and a zone: ``notices.reader``)
and the consumer law where no order is evaluated and no choice offered, and ``statistics``
(with ``fractions`` and ``decimal``), which the effect report's one normal quantile loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))

WATCHED = (
    "pydantic",  # no handler: the domain's records are msgspec structs (core/record.py)
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
    "statistics",
    "delaydesk.operations.alerts",
    "delaydesk.operations.early_warning",
    "delaydesk.tracking.helpdesk",
    "delaydesk.notices.rendering",
    "delaydesk.policy.consumer_rules",
)

HTTP = {"admin_api", "answer_wismo", "receive_webhook", "serve_order_page", "serve_storefront"}
"""The HTTP API's functions route on the event's ``routeKey`` (``core.http``), not with Powertools'
APIGatewayHttpResolver, whose package loads every resolver, asyncio and the data classes."""
EVALUATES = {"pynamodb", "delaydesk.delays.scan", "delaydesk.policy.timers", "delaydesk.policy.consumer_rules"}
"""The scan's path: orders read and evaluated against the policy."""
DETECTS = {"delaydesk.operations.alerts", "delaydesk.operations.early_warning"}
"""The early warning's detection; DeliverAlerts reads only its thresholds (``alert_thresholds``)."""

NEEDED: dict[str, set[str]] = {
    "admin_api": {"pynamodb"},
    "answer_wismo": set(),
    "deliver_alerts": set(),
    "detect_spikes": DETECTS,
    "dispatch_notices": {"pynamodb", "delaydesk.notices.rendering", "delaydesk.policy.consumer_rules"},
    "ingest_events": {"pynamodb", "delaydesk.policy.timers", "delaydesk.policy.consumer_rules"},
    "receive_webhook": {"aws_lambda_powertools.utilities.parameters"},
    "recompute_deadlines": EVALUATES | {"delaydesk.delays.recompute"},
    "release_notices": {"pynamodb"},
    "scan_due": set(),
    "scan_worker": EVALUATES,
    "send_digests": {"jinja2"},
    "serve_order_page": {"pynamodb", "jinja2", "babel", "delaydesk.policy.consumer_rules"},
    "serve_storefront": set(),
    "ses_feedback": {"pynamodb"},
}
"""What each handler's import may load of ``WATCHED``: what its path uses on every request (the
tables where the handler reads them at import; the renderer where every request renders; the
webhook secrets). DeliverAlerts and DetectSpikes read alerts and counters,
never an order to evaluate (a window is declared from an alert by the admin API,
``operations.alert_windows``); only DeliverAlerts delivers to robots (``operations.alert_delivery``),
and it imports them (with Powertools' parameters) where an alert's merchant has robots: an alert of
a merchant without goes to the ops topic only. The admin API's routes import the module each works
with (the recompute, the alerts, the effect report) when called."""

PROBE = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import app
print(json.dumps(sorted(name for name in json.loads(sys.argv[3]) if name in sys.modules)))
"""


def test_every_handler_is_listed() -> None:
    assert sorted(NEEDED) == FUNCTIONS
    assert all(needs <= set(WATCHED) for needs in NEEDED.values())
    assert set(FUNCTIONS) >= HTTP


HTTP_PROBE = """
import sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import app
from delaydesk.core.http import Router
print(type(app.app).__name__ if hasattr(app, "app") else "", isinstance(getattr(app, "app", None), Router))
print(sorted(m for m in sys.modules if m.startswith("aws_lambda_powertools.event_handler")))
"""


@pytest.mark.parametrize("function", sorted(HTTP))
def test_an_http_handler_routes_without_powertools_event_handler(function: str) -> None:
    """Its import loads no module of ``aws_lambda_powertools.event_handler`` (README, "Cold start")."""
    output = _run_in_lambda(function, HTTP_PROBE, None).splitlines()
    assert output[-1] == "[]"
    assert output[-2] == "Router True"


def _run_in_lambda(function: str, probe: str, payload: object, env: dict[str, str] | None = None) -> str:
    """Run ``probe`` (argv: the function's code directory, the layer, ``payload`` as JSON) in a fresh
    interpreter with the function's Lambda environment (tracing off); its standard output."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_", "LAMBDA_"))}
    environ |= {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "LAMBDA_TASK_ROOT": str(ROOT / "functions" / function),
        "POWERTOOLS_SERVICE_NAME": "delaydesk",
        "POWERTOOLS_TRACE_DISABLED": "true",
    } | (env or {})
    arguments = [str(ROOT / "functions" / function), str(ROOT / "shared"), json.dumps(payload)]
    done = subprocess.run(
        [sys.executable, "-c", probe, *arguments], capture_output=True, text=True, env=environ, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_handler_imports_only_what_its_path_needs(function: str) -> None:
    assert set(json.loads(_run_in_lambda(function, PROBE, WATCHED))) == NEEDED[function]


WITHOUT_PYDANTIC = {"release_notices", "scan_due", "ses_feedback"}
"""Handlers whose first request this test drives in moto (the planner enqueues shard work, the
release moves stored notice requests to the queue, the SES feedback records and counts what SES
reports): it loads neither pydantic nor a table module its path does not read."""

FIRST_REQUEST = """
import json, sys, time
from types import SimpleNamespace
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from moto import mock_aws

mock_aws().start()
import boto3

import app

imported = sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "pydantic_core"))
from delaydesk import store
from delaydesk.core.config import get_settings

setup = json.loads(sys.argv[3])
sqs = boto3.client("sqs")
queues = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in setup["queues"]}
import os
os.environ.update({variable: queues[name] for name, variable in setup["queues"].items()})
store.bind(get_settings())
for name in setup["tables"]:
    getattr(store, name).create_table(billing_mode="PAY_PER_REQUEST", wait=True)
if "due" in setup:
    store.OrderRecord("O-1", merchant_id="m-1", status="paid", due_shard="3",
                      next_due_at=app.parse_instant(setup["due"])).save()
if "held" in setup:
    from delaydesk.core import pacing
    record = store.NoticeStateRecord
    held_at = app.parse_instant("2020-01-24T00:00:00Z")
    record("held", "2020-01-24T00:00:00Z#O-1#sms", text=setup["held"], at=held_at).save()
    minute = pacing.minute_of(time.time())
    record(f"slot#{pacing.minute_key(minute)}", "1#O-2#announcement", text=setup["slotted"]).save()
    record("slot-cursor", "-", number=minute - 1).save()
    record("slot-cursor", "horizon", number=minute).save()
event = setup["event"]
context = SimpleNamespace(function_name="f", memory_limit_in_mb=256, aws_request_id="r-1",
                          invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:f")
result = app.handler(event, context)
counts = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"]
sent = {name: [int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=counts)["Attributes"][c]) for c in counts]
        for name, url in queues.items()}
items = {name: getattr(store, name).count() for name in setup["tables"]}
after = sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "pydantic_core"))
# the store's modules loaded that hold a table: those whose models registered one
from delaydesk.store import base
tables = sorted({model.__module__ for model in base._MODELS.values()})
found = {"import": imported, "first_request": after, "result": result, "sent": sent, "items": items, "tables": tables}
print(json.dumps(found, default=str))
"""


def _event(name: str) -> Any:
    return json.loads((ROOT / "tests" / "events" / name).read_text(encoding="utf-8"))


def _setup(function: str) -> dict[str, Any]:
    """The resources, stored items and event of a first request that does real work."""
    from conftest import instant, notice_request

    from delaydesk.core.kinds import Kind, NoticeChannel

    scheduled = _event("eventbridge_scheduled_event.json") | {"time": "2020-01-25T03:00:00Z"}
    if function == "scan_due":
        return {
            "queues": {"scan-work": "SCAN_WORK_QUEUE_URL"},
            "tables": ["OrderRecord"],
            "event": scheduled,
            "due": "2020-01-24T00:00:00Z",
        }
    if function == "release_notices":  # at 03:00 UTC: the opt-out synchronisation too
        held = notice_request(channel=NoticeChannel.SMS, not_before=instant("2020-01-24T08:00:00+08:00"))
        slotted = notice_request(order_id="O-2", kind=Kind.DISRUPTION_ANNOUNCEMENT, bulk_slot=time.time() + 30)
        return {
            "queues": {"notices": "NOTICES_QUEUE_URL"},
            "tables": ["NoticeStateRecord"],
            "event": scheduled,
            "held": held.model_dump_json(),
            "slotted": slotted.model_dump_json(),
        }
    # ses_feedback: a permanent bounce (SNS-wrapped) and an open, both of a notice of an order the
    # table does not hold (an order it holds is read as the domain's Order, for its counters' scope)
    tags = {"order_id": ["O-9"], "kind": ["shipment_delayed"], "stage": ["0"], "merchant": ["m-1"]}
    event = _event("sns_sqs_wrapped_ses_bounce.json")
    bounce = event["Records"][0]
    envelope = json.loads(bounce["body"])
    message = json.loads(envelope["Message"])
    message["mail"]["tags"] |= tags
    bounce["body"] = json.dumps(envelope | {"Message": json.dumps(message)})
    opened = _event("ses_event_open.json")
    opened["mail"]["tags"] = tags
    event["Records"].append(bounce | {"messageId": "m-2", "body": json.dumps(opened)})
    return {"queues": {}, "tables": ["NoticeStateRecord", "StatsRecord", "OrderRecord"], "event": event}


@pytest.mark.parametrize("function", sorted(WITHOUT_PYDANTIC))
def test_a_handler_whose_path_builds_no_model_loads_no_pydantic(function: str) -> None:
    """Its import and a first request (against the embedded AWS, moto, which loads no pydantic itself)."""
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_METRICS_NAMESPACE": "DelayDesk",
    }
    output = _run_in_lambda(function, FIRST_REQUEST, _setup(function), env)
    found = json.loads(output.strip().splitlines()[-1])
    assert found["import"] == [] and found["first_request"] == []
    # benchmarks/cold_start.py's first-request column loads the table modules of these functions only
    from delaydesk import store

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from cold_start import PATH_READS
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    assert found["tables"] == sorted({getattr(store, name).__module__ for name in PATH_READS[function]})
    if function == "scan_due":
        assert found["result"]["planned"] == 8 and found["sent"] == {"scan-work": [8, 0]}
    elif function == "ses_feedback":
        assert found["result"] == {"batchItemFailures": []}
        # the suppression, the bounce's and the open's records; one counter row (the bounce)
        assert found["items"] == {"NoticeStateRecord": 3, "StatsRecord": 1, "OrderRecord": 0}
    else:
        assert found["result"] == {
            "released": 1,
            "slots_released": 1,
            "opt_outs_synced": found["result"]["opt_outs_synced"],
        }
        assert found["sent"] == {"notices": [1, 1]}  # the held SMS now, the announcement delayed to its ticket
