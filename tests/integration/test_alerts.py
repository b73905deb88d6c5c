"""Early warning on the template: counters in, one alert out, delivered once per state to the ops topic."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from delaydesk import store
from delaydesk.cli import main
from delaydesk.core import stats
from delaydesk.core.stats import SHIPPED
from delaydesk_local.runtime import LocalAws

NOW = datetime(2020, 1, 25, 12, 0, tzinfo=UTC)
M = "m-teahouse"  # the bundled merchant (zh-CN), registered by the local_aws fixture
STALL = stats.delays("stalled_after_pickup")


def _ordinary_days() -> None:
    """A week of traffic: 10 parcels a day per carrier x region, now and then one ordinary stall."""
    for day in range(1, 9):
        for hour in range(0, 24, 3):
            at = NOW - timedelta(days=day) + timedelta(hours=hour)
            for carrier in ("SF", "ZTO"):
                for region in ("CN-HB", "CN-ZJ"):
                    store.add_counts(M, at, carrier, region, {SHIPPED: 2})
        store.add_counts(M, NOW - timedelta(days=day, hours=3), "ZTO", "CN-ZJ", {STALL: 1})


def _published(local: LocalAws) -> list[dict[str, object]]:
    from moto.sns.models import sns_backends

    topic = sns_backends["123456789012"]["us-east-1"].topics[local.stack.physical("OpsAlarmsTopic")]
    return [{"message": m[1], "subject": m[2]} for m in topic.sent_notifications]


def test_a_spike_opens_one_alert_delivered_once_then_resolves(
    local_aws: LocalAws, capsys: pytest.CaptureFixture[str]
) -> None:
    _ordinary_days()
    for hour in range(8):  # SF to Hubei: twelve stalls in the last eight hours
        store.add_counts(M, NOW - timedelta(hours=hour + 1), "SF", "CN-HB", {STALL: 2 if hour < 4 else 1})
    local_aws.tick(NOW)
    (alert,) = store.alerts_of(M)
    assert (alert.status, list(alert.carriers), list(alert.regions), int(alert.delays)) == (
        "open",
        ["SF"],
        ["CN-HB"],
        12,
    )
    window = json.loads(alert.proposed_window or "{}")
    assert window["scope"] == {"carriers": ["SF"], "regions": ["CN-HB"], "channels": []}
    assert window["merchant_id"] == M and window["reason"] == "logistics_halt"
    assert window["rules"]["exempt_service_metrics"] is True
    (sent,) = _published(local_aws)
    assert "SF → CN-HB" in str(sent["message"]) and "延误预警" in str(sent["message"])  # the merchant's zh-CN
    assert str(sent["subject"]).isascii()

    # A redelivered message, and the next runs while the spike lasts: nothing new.
    local_aws.send("OpsAlertsQueue", json.dumps({"merchant_id": M, "alert_id": alert.alert_id, "state": "open"}))
    local_aws.drain()
    local_aws.tick(NOW + timedelta(hours=1))
    assert len(store.alerts_of(M)) == 1 and len(_published(local_aws)) == 1

    capsys.readouterr()
    assert main(["alerts", "list", "--merchant", M, "--json", "--stack-name", local_aws.stack.name]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["alert_id"] == alert.alert_id and row["resolved_at"] is None
    assert main(["windows", "declare", "--from-alert", alert.alert_id, "--stack-name", local_aws.stack.name]) == 0
    assert "declared w-" in capsys.readouterr().out
    (declared,) = [r.window() for r in store.all_windows() if r.owner == M]
    assert declared.scope.carriers == ["SF"] and declared.scope.regions == ["CN-HB"]
    assert main(["windows", "declare", "--from-alert", alert.alert_id, "--stack-name", local_aws.stack.name]) == 0
    assert "declared before" in capsys.readouterr().out
    assert main(["windows", "declare", "--from-alert", "nope", "--stack-name", local_aws.stack.name]) == 2

    # Twelve hours later the parcels move again: resolved, and delivered once.
    local_aws.tick(NOW + timedelta(hours=13))
    (resolved,) = store.alerts_of(M)
    assert resolved.status == "resolved" and resolved.resolved_at == NOW + timedelta(hours=13)
    assert len(_published(local_aws)) == 2 and "预警解除" in str(_published(local_aws)[1]["message"])


def test_ordinary_stalls_and_small_volumes_raise_nothing(local_aws: LocalAws) -> None:
    _ordinary_days()
    store.add_counts(M, NOW - timedelta(hours=2), "ZTO", "CN-ZJ", {STALL: 2})  # a busy day, not a spike
    store.add_counts(M, NOW - timedelta(hours=2), "EMS", "CN-XZ", {STALL: 7, SHIPPED: 3})  # 7 of 3 parcels
    local_aws.tick(NOW)
    assert store.alerts_of(M) == []


def test_a_message_that_is_no_alert_goes_to_the_dlq(local_aws: LocalAws) -> None:
    local_aws.send("OpsAlertsQueue", "not json")
    local_aws.send("OpsAlertsQueue", json.dumps({"merchant_id": M, "alert_id": "unknown", "state": "open"}))
    local_aws.drain()
    assert local_aws.queue_depth("OpsAlertsDLQ") == 2
    assert local_aws.queue_depth("OpsAlertsQueue") == 0


def _admin(local: LocalAws, method: str, path: str, route: str, body: object = None) -> tuple[int, dict[str, object]]:
    """An IAM-authorised HTTP API v2 call (tests/events/apigw_http_v2_event.json) to the admin function."""
    from conftest import load_event

    event = load_event("apigw_http_v2_event")
    # route is the route key ("POST /admin/alerts/{alert_id}/declare"); its parameters, from the path
    segments = zip(route.split(" ", 1)[1].split("/"), path.split("/"), strict=True)
    parameters = {name[1:-1]: value for name, value in segments if name.startswith("{")}
    event.update(
        routeKey=route,
        rawPath=path,
        rawQueryString="",
        queryStringParameters=None,
        pathParameters=parameters or None,
        body=json.dumps(body) if body is not None else None,
    )
    event["requestContext"].update(routeKey=route, timeEpoch=int(NOW.timestamp() * 1000))
    event["requestContext"]["http"].update(method=method, path=path)
    event["requestContext"]["authorizer"] = {"iam": {"accountId": "123456789012", "userArn": "arn:aws:iam::1:user/ops"}}
    response = local.invoke("AdminApiFunction", event)
    return response["statusCode"], json.loads(response["body"])


def test_the_admin_api_lists_alerts_and_declares_the_proposed_window(local_aws: LocalAws) -> None:
    _ordinary_days()
    for hour in range(8):
        store.add_counts(M, NOW - timedelta(hours=hour + 1), "ZTO", "CN-ZJ", {STALL: 2})
    local_aws.tick(NOW)
    status, body = _admin(local_aws, "GET", "/admin/alerts", "GET /admin/alerts")
    assert status == 200
    (alert,) = body["alerts"]  # type: ignore[misc]
    assert alert["scope"] == {"carriers": ["ZTO"], "regions": ["CN-ZJ"]} and alert["window_id"] is None
    path = f"/admin/alerts/{alert['alert_id']}/declare"
    route = "POST /admin/alerts/{alert_id}/declare"
    status, body = _admin(local_aws, "POST", path, route, {"merchant_id": M})
    assert status == 201 and body["created"] is True
    assert body["window"]["scope"]["regions"] == ["CN-ZJ"]  # type: ignore[index]
    assert _admin(local_aws, "POST", path, route, {})[0] == 200  # declared before: unchanged
    assert _admin(local_aws, "POST", "/admin/alerts/nope/declare", route, {})[0] == 404
    assert store.alerts_of(M)[0].window_id == body["window"]["window_id"]  # type: ignore[index]
