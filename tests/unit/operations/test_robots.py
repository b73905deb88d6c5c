"""Alert robots against local HTTP servers that check each vendor's request as the vendor documents it.

The servers re-implement the vendors' checks from their documentation (robot_formats.py cites it),
independently of the code under test, and answer with the vendors' documented answers
(tests/events/robots/). A wrong secret is refused exactly as the vendor refuses it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import load_event

from delaydesk.core.merchants import AlertRobot, MerchantSettings
from delaydesk.core.stats import Alert
from delaydesk.operations import deliver_to_robots
from delaydesk.operations.robot_formats import alert_lines, feishu_sign, robot_request

NOW = datetime(2020, 1, 28, 2, 0, tzinfo=UTC)
WECOM = load_event("robots/wecom_answers")
DINGTALK = load_event("robots/dingtalk_answers")
FEISHU = load_event("robots/feishu_answers")
SLACK = load_event("robots/slack_answers")

WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DINGTALK_TOKEN = "dingtoken"
DINGTALK_SECRET = "SEC5a3ecf88f2b3eb50db30ecfc00f53033ac909c99bf7f88fd612bda89d7f3a9dc"
FEISHU_SECRET = "demo-feishu-secret"


def make_alert(locale: str = "zh-CN", **changes: Any) -> Alert:
    values: dict[str, Any] = {
        "alert_id": "al-m1-sf-cnhb-2020012802",
        "merchant_id": "m1",
        "kind": "delay_spike",
        "carriers": ("SF Express",),
        "regions": ("CN-HB",),
        "opened_at": NOW - timedelta(hours=3),
        "resolved_at": None,
        "rate": 0.42,
        "baseline": 0.03,
        "delays": 21,
        "orders": 50,
        "locale": locale,
        "proposed_window": {
            "window_id": "alert-al-m1-sf-cnhb",
            "merchant_id": "m1",
            "reason": "logistics_halt",
            "starts_at": "2020-01-27T23:00:00+00:00",
            "ends_at": "2020-02-10T23:00:00+00:00",
            "scope": {"regions": ["CN-HB"], "carriers": ["SF Express"], "channels": []},
            "rules": {"ship_by": "suspend", "exempt_service_metrics": True, "refund_confirm_days": 15},
        },
    }
    values.update(changes)
    return Alert(**values)


class Vendor(BaseHTTPRequestHandler):
    """One vendor's endpoint; ``received`` keeps every request body that passed the vendor's checks."""

    received: list[dict[str, Any]]
    clock: datetime = NOW

    def log_message(self, *args: Any) -> None:  # keep pytest's output clean
        pass

    def answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def answer_json(self, value: Any, status: int = 200) -> None:
        self.answer(status, json.dumps(value).encode())

    def payload(self) -> dict[str, Any] | None:
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            return None
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            value = json.loads(raw.decode("utf-8"))
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


class WeCom(Vendor):
    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self.payload()
        if url.path != "/cgi-bin/webhook/send" or parse_qs(url.query).get("key") != [WECOM_KEY]:
            return self.answer_json(WECOM["invalid_webhook_url"])
        markdown = (body or {}).get("markdown", {})
        content = markdown.get("content") if isinstance(markdown, dict) else None
        if not body or body.get("msgtype") != "markdown" or not isinstance(content, str):
            return self.answer_json({"errcode": 40008, "errmsg": "invalid message type"})
        assert len(content.encode("utf-8")) <= 4096
        self.received.append(body)
        self.answer_json(WECOM["ok"])


class DingTalk(Vendor):
    def do_POST(self) -> None:
        query = parse_qs(urlsplit(self.path).query)  # parse_qs undoes the URL-encoding of sign
        body = self.payload()
        if query.get("access_token") != [DINGTALK_TOKEN] or not body:
            return self.answer_json({"errcode": 300001, "errmsg": "token is not exist"})
        timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
        if not timestamp.isdigit() or abs(int(timestamp) / 1000 - self.clock.timestamp()) > 3600:
            return self.answer_json(DINGTALK["sign_not_match"])
        string_to_sign = f"{timestamp}\n{DINGTALK_SECRET}"
        expected = base64.b64encode(
            hmac.new(DINGTALK_SECRET.encode(), string_to_sign.encode(), hashlib.sha256).digest()
        ).decode()
        if not hmac.compare_digest(sign, expected):
            return self.answer_json(DINGTALK["sign_not_match"])
        if body.get("msgtype") != "markdown" or not {"title", "text"} <= set(body.get("markdown", {})):
            return self.answer_json({"errcode": 40035, "errmsg": "缺少参数 json"})
        self.received.append(body)
        self.answer_json(DINGTALK["ok"])


class Feishu(Vendor):
    def do_POST(self) -> None:
        body = self.payload()
        if self.path != "/open-apis/bot/v2/hook/hook-id" or not body:
            return self.answer_json(FEISHU["bad_request"])
        timestamp, sign = str(body.get("timestamp", "")), str(body.get("sign", ""))
        key = f"{timestamp}\n{FEISHU_SECRET}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        fresh = timestamp.isdigit() and abs(int(timestamp) - self.clock.timestamp()) <= 3600
        if not fresh or not hmac.compare_digest(sign, expected):
            return self.answer_json(FEISHU["sign_fail"])
        if body.get("msg_type") != "text" or not isinstance(body.get("content", {}).get("text"), str):
            return self.answer_json(FEISHU["bad_request"])
        self.received.append(body)
        self.answer_json(FEISHU["ok"])


class Slack(Vendor):
    def do_POST(self) -> None:
        body = self.payload()
        if not self.path.startswith("/services/T00000000/B00000000/"):
            status, text = SLACK["channel_not_found"]
        elif not body or not isinstance(body.get("text"), str) or not body["text"]:
            status, text = SLACK["invalid_payload"]
        else:
            self.received.append(body)
            status, text = SLACK["ok"]
        self.answer(status, text.encode(), "text/html")


class Failing(Vendor):
    """Answers HTTP 500 (Slack's rollup_error) to everything."""

    def do_POST(self) -> None:
        status, text = SLACK["rollup_error"]
        self.answer(status, text.encode(), "text/plain")


class Slow(Vendor):
    """Answers after the client has given up."""

    def do_POST(self) -> None:
        time.sleep(1.5)
        self.answer_json(WECOM["ok"])


def serve(handler: type[Vendor]) -> tuple[ThreadingHTTPServer, list[dict[str, Any]]]:
    received: list[dict[str, Any]] = []
    bound = type(handler.__name__, (handler,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


@pytest.fixture
def servers() -> Iterator[dict[str, tuple[str, list[dict[str, Any]]]]]:
    started = {
        name: serve(h) for name, h in {"wecom": WeCom, "dingtalk": DingTalk, "feishu": Feishu, "slack": Slack}.items()
    }
    started |= {"failing": serve(Failing), "slow": serve(Slow)}
    yield {name: (f"http://127.0.0.1:{server.server_port}", received) for name, (server, received) in started.items()}
    for server, _ in started.values():
        server.shutdown()
        server.server_close()


def parameters_for(base: dict[str, tuple[str, list[dict[str, Any]]]]) -> dict[str, str]:
    return {
        "/delaydesk/robots/m1/wecom/url": f"{base['wecom'][0]}/cgi-bin/webhook/send?key={WECOM_KEY}",
        "/delaydesk/robots/m1/dingtalk/url": f"{base['dingtalk'][0]}/robot/send?access_token={DINGTALK_TOKEN}",
        "/delaydesk/robots/m1/dingtalk/secret": DINGTALK_SECRET,
        "/delaydesk/robots/m1/feishu/url": f"{base['feishu'][0]}/open-apis/bot/v2/hook/hook-id",
        "/delaydesk/robots/m1/feishu/secret": FEISHU_SECRET,
        "/delaydesk/robots/m1/slack/url": f"{base['slack'][0]}/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "/delaydesk/robots/m1/failing/url": f"{base['failing'][0]}/services/T00000000/B00000000/X",
        "/delaydesk/robots/m1/slow/url": f"{base['slow'][0]}/cgi-bin/webhook/send?key={WECOM_KEY}",
        "/delaydesk/robots/m1/wrong/secret": "SECnot-the-robots-secret",
        "/delaydesk/robots/m1/wecom-wrong-key/url": f"{base['wecom'][0]}/cgi-bin/webhook/send?key=not-the-key",
    }


ALL_FOUR = [
    AlertRobot(kind="wecom", url_parameter="/delaydesk/robots/m1/wecom/url"),
    AlertRobot(
        kind="dingtalk",
        url_parameter="/delaydesk/robots/m1/dingtalk/url",
        secret_parameter="/delaydesk/robots/m1/dingtalk/secret",
    ),
    AlertRobot(
        kind="feishu",
        url_parameter="/delaydesk/robots/m1/feishu/url",
        secret_parameter="/delaydesk/robots/m1/feishu/secret",
    ),
    AlertRobot(kind="slack", url_parameter="/delaydesk/robots/m1/slack/url"),
]


def test_each_vendor_accepts_the_signed_alert_in_the_merchants_locale(servers: Any) -> None:
    secrets = parameters_for(servers)
    results = deliver_to_robots(
        make_alert("zh-CN"), ALL_FOUR, now=NOW, get_secret=secrets.__getitem__, timezone="Asia/Shanghai"
    )
    assert [(r.kind, r.ok, r.status, r.error) for r in results] == [
        ("wecom", True, 200, None),
        ("dingtalk", True, 200, None),
        ("feishu", True, 200, None),
        ("slack", True, 200, None),
    ]
    texts = {
        "wecom": servers["wecom"][1][0]["markdown"]["content"],
        "dingtalk": servers["dingtalk"][1][0]["markdown"]["text"],
        "feishu": servers["feishu"][1][0]["content"]["text"],
        "slack": servers["slack"][1][0]["text"],
    }
    for kind, text in texts.items():
        assert "延误激增" in text, kind
        assert "SF Express / CN-HB" in text, kind
        assert "21 单 / 50 单（42.0%），平时 3.0%" in text, kind
        assert "2020-01-28 07:00 CST 至 2020-02-11 07:00 CST（logistics_halt）" in text, kind
        assert "delaydesk windows declare --from-alert al-m1-sf-cnhb-2020012802" in text, kind


@pytest.mark.parametrize("kind", ["dingtalk", "feishu"])
def test_a_wrong_secret_is_refused_as_the_vendor_refuses_it(servers: Any, kind: str) -> None:
    secrets = parameters_for(servers)
    robot = AlertRobot(
        kind=kind,
        url_parameter=f"/delaydesk/robots/m1/{kind}/url",
        secret_parameter="/delaydesk/robots/m1/wrong/secret",
    )
    [result] = deliver_to_robots(make_alert("en"), [robot], now=NOW, get_secret=secrets.__getitem__)
    assert not result.ok and result.status == 200
    assert (
        result.error
        == {
            "dingtalk": "dingtalk error 310000: sign not match",
            "feishu": ("feishu error 19021: sign match fail or timestamp is not within one hour from current time"),
        }[kind]
    )
    assert servers[kind][1] == []


@pytest.mark.parametrize("kind", ["dingtalk", "feishu"])
def test_a_signature_older_than_an_hour_is_refused(servers: Any, kind: str) -> None:
    secrets = parameters_for(servers)
    [robot] = [r for r in ALL_FOUR if r.kind == kind]
    [result] = deliver_to_robots(
        make_alert("en"), [robot], now=NOW - timedelta(hours=2), get_secret=secrets.__getitem__
    )
    assert not result.ok and result.error and ("310000" in result.error or "19021" in result.error)


def test_the_unsigned_vendors_refuse_a_wrong_url(servers: Any) -> None:
    secrets = parameters_for(servers)
    robots = [AlertRobot(kind="wecom", url_parameter="/delaydesk/robots/m1/wecom-wrong-key/url")]
    [result] = deliver_to_robots(make_alert(), robots, now=NOW, get_secret=secrets.__getitem__)
    assert (result.ok, result.error) == (False, "wecom error 93000: invalid webhook url")


def test_a_failing_robot_never_blocks_the_others(servers: Any) -> None:
    secrets = parameters_for(servers)
    with socket_closed_port() as closed:
        secrets["/delaydesk/robots/m1/refused/url"] = f"http://127.0.0.1:{closed}/services/T00000000/B00000000/X"
        robots = [
            AlertRobot(kind="slack", url_parameter="/delaydesk/robots/m1/failing/url"),  # HTTP 500
            AlertRobot(kind="wecom", url_parameter="/delaydesk/robots/m1/slow/url"),  # timeout
            AlertRobot(kind="slack", url_parameter="/delaydesk/robots/m1/refused/url"),  # connection refused
            AlertRobot(kind="wecom", url_parameter="/delaydesk/robots/m1/wecom-wrong-key/url"),  # error code in a 200
            AlertRobot(kind="slack", url_parameter="/delaydesk/robots/m1/missing/url"),  # no such parameter
            AlertRobot(kind="slack", url_parameter="/delaydesk/robots/m1/slack/url"),
        ]

        def get_secret(name: str) -> str:
            if name not in secrets:
                raise ValueError(f"parameter {name} cannot be read")
            return secrets[name]

        started = time.monotonic()
        results = deliver_to_robots(make_alert("zh-TW"), robots, now=NOW, get_secret=get_secret, timeout=0.5)
        elapsed = time.monotonic() - started
    assert [r.ok for r in results] == [False, False, False, False, False, True]
    assert results[0].status == 500 and results[0].error == "HTTP 500: rollup_error"
    assert results[1].error and "timed out" in results[1].error
    assert results[2].error and "refused" in results[2].error.lower()
    assert results[3].error == "wecom error 93000: invalid webhook url"
    assert results[4].error and "missing/url" in results[4].error
    assert "延誤激增" in servers["slack"][1][0]["text"]
    assert elapsed < 1.5  # the slow robot cost its timeout, not its answer


class socket_closed_port:
    """A local port with nothing listening on it."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        return port

    def __exit__(self, *args: object) -> None:
        return None


def test_a_non_http_url_is_refused_without_a_request() -> None:
    robots = [AlertRobot(kind="slack", url_parameter="/p")]
    [result] = deliver_to_robots(make_alert(), robots, now=NOW, get_secret=lambda _: "file:///etc/passwd")
    assert not result.ok and result.error and "http(s)" in result.error


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("zh-CN", ["延误激增", "建议声明异常时段", "暂停发货时限", "一步声明"]),
        ("zh-TW", ["延誤激增", "建議宣告異常時段", "暫停出貨時限", "一步宣告"]),
        ("en", ["Delay spike", "Proposed disruption window", "ship-by suspended", "Declare it in one step"]),
    ],
)
def test_the_alert_reads_in_the_merchants_locale(locale: str, expected: list[str]) -> None:
    title, lines = alert_lines(make_alert(locale))
    text = "\n".join([title, *lines])
    for phrase in expected:
        assert phrase in text


def test_a_resolved_alert_says_so_and_proposes_nothing() -> None:
    title, lines = alert_lines(make_alert("en", resolved_at=NOW))
    assert title == "[DelayDesk] Delay spike resolved: SF Express / CN-HB"
    assert not any("declare" in line.lower() for line in lines)


def test_the_feishu_body_has_the_documented_shape() -> None:
    documented = load_event("robots/feishu_signed_text_request")
    request = robot_request("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/x", "demo", "t", ["l"], now=NOW)
    body = json.loads(request.body)
    assert set(body) == set(documented) and set(body["content"]) == set(documented["content"])
    assert body["timestamp"] == str(int(NOW.timestamp())) and body["sign"] == feishu_sign(int(NOW.timestamp()), "demo")


def test_merchant_settings_name_parameters_never_values() -> None:
    settings = MerchantSettings.model_validate(
        {
            "alert_robots": [
                {"kind": "dingtalk", "url_parameter": "/delaydesk/robots/m1/dt/url", "secret_parameter": "/x/y"}
            ]
        }
    )
    assert settings.alert_robots[0].kind == "dingtalk"
    with pytest.raises(ValueError, match="url_parameter"):
        MerchantSettings.model_validate(
            {"alert_robots": [{"kind": "slack", "url_parameter": "https://hooks.slack.com/x"}]}
        )
    with pytest.raises(ValueError, match="kind"):
        MerchantSettings.model_validate({"alert_robots": [{"kind": "telegram", "url_parameter": "/a"}]})
