"""An alert reaches the merchant's chat robots through the template: OpsAlertsQueue -> DeliverAlerts ->
the ops topic, then each robot, its URL and secret read from SSM SecureString parameters."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import load_event, merchant

from delaydesk import store
from delaydesk.core.stats import Alert
from delaydesk_local.runtime import LocalAws

SECRET = "SECintegration-secret"
DINGTALK = load_event("robots/dingtalk_answers")
received: list[dict[str, Any]] = []


class DingTalk(BaseHTTPRequestHandler):
    """Checks DingTalk's signature against the real clock, as DingTalk does (within an hour)."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        timestamp, sign = query["timestamp"][0], query["sign"][0]
        expected = base64.b64encode(
            hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
        ).decode()
        fresh = abs(int(timestamp) / 1000 - time.time()) < 3600
        answer = DINGTALK["ok"] if fresh and hmac.compare_digest(sign, expected) else DINGTALK["sign_not_match"]
        if answer is DINGTALK["ok"]:
            received.append(body)
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def dingtalk() -> Iterator[str]:
    received.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), DingTalk)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/robot/send?access_token=T"
    server.shutdown()
    server.server_close()


def test_an_alert_reaches_the_signed_robot_even_when_another_robot_is_missing(
    local_aws: LocalAws, dingtalk: str
) -> None:
    ssm = local_aws.client("ssm")
    ssm.put_parameter(Name="/delaydesk/robots/m-teahouse/dt/url", Value=dingtalk, Type="SecureString")
    ssm.put_parameter(Name="/delaydesk/robots/m-teahouse/dt/secret", Value=SECRET, Type="SecureString")
    robots = [
        {"kind": "slack", "url_parameter": "/delaydesk/robots/m-teahouse/missing/url"},  # never configured
        {
            "kind": "dingtalk",
            "url_parameter": "/delaydesk/robots/m-teahouse/dt/url",
            "secret_parameter": "/delaydesk/robots/m-teahouse/dt/secret",
        },
    ]
    store.put_merchant(merchant(settings={"alert_robots": robots}))
    alert = Alert(
        alert_id="al-robots-1",
        merchant_id="m-teahouse",
        kind="delay_spike",
        carriers=("sf",),
        regions=("CN-HB",),
        opened_at=datetime(2020, 1, 27, 3, tzinfo=UTC),
        resolved_at=None,
        rate=0.4,
        baseline=0.02,
        delays=20,
        orders=50,
        locale="zh-CN",
        proposed_window={
            "window_id": "alert-al-robots-1",
            "merchant_id": "m-teahouse",
            "reason": "logistics_halt",
            "starts_at": "2020-01-27T00:00:00+00:00",
            "ends_at": "2020-02-03T00:00:00+00:00",
            "scope": {"regions": ["CN-HB"], "carriers": ["sf"], "channels": []},
            "rules": {"ship_by": "suspend", "exempt_service_metrics": True},
        },
    )
    assert store.open_alert(alert)
    local_aws.send(
        "OpsAlertsQueue", json.dumps({"merchant_id": "m-teahouse", "alert_id": "al-robots-1", "state": "open"})
    )
    local_aws.drain()
    [message] = received
    assert message["msgtype"] == "markdown"
    assert "延误激增" in message["markdown"]["text"]
    assert "delaydesk windows declare --from-alert al-robots-1" in message["markdown"]["text"]
    assert local_aws.queue_depth("OpsAlertsDLQ") == 0  # the missing robot failed alone
