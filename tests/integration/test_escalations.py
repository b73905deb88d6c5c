"""Escalation records on the template's table: one open per order and reason, listed and closed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import paid

from delaydesk import store
from delaydesk.cli import main
from delaydesk.core.decisions import Action, Decision
from delaydesk.core.stats import totals
from delaydesk.delays.escalation import raise_escalation
from delaydesk_local.runtime import LocalAws

AT = datetime(2020, 1, 30, tzinfo=UTC)


def _decision(started: str = "2020-01-23T00:00:00Z", at: datetime = AT) -> Decision:
    return Decision(
        order_id="E-1",
        decision_id=f"{Action.ESCALATED}#long_delay#{started}",
        action=Action.ESCALATED,
        rule="long_delay",
        at=at,
    )


def _published(local: LocalAws) -> int:
    from moto.sns.models import sns_backends

    topic = sns_backends["123456789012"]["us-east-1"].topics[local.stack.physical("EscalationsTopic")]
    return len(topic.sent_notifications)


def test_one_open_escalation_per_order_and_reason_published_once(
    local_aws: LocalAws, capsys: pytest.CaptureFixture[str]
) -> None:
    local_aws.send("OrderEventsQueue", json.dumps(paid("E-1", "2020-01-20T10:00:00+08:00")))
    local_aws.drain()
    record = store.get_order("E-1")
    assert record is not None
    order = record.order()
    topic = local_aws.stack.physical("EscalationsTopic")
    assert raise_escalation(_decision(), order, topic)
    assert raise_escalation(_decision(), order, topic)  # a repaired flush: same record, not re-published
    assert _published(local_aws) == 1
    later = _decision("2020-02-10T00:00:00Z", AT + timedelta(days=12))
    assert not raise_escalation(later, order, topic)  # another delay, while the first is still open
    assert [(e.order_id, e.reason, e.status) for e in store.list_escalations("open")] == [("E-1", "long_delay", "open")]

    assert main(["escalations", "close", "E-1", "long_delay", "--stack-name", "delaydesk-local", "--by", "amy"]) == 0
    assert main(["escalations", "close", "E-1", "long_delay", "--stack-name", "delaydesk-local"]) == 2
    assert totals(store.all_counter_rows())["escalations_closed"] == 1  # closed once, counted once
    assert not raise_escalation(_decision(), order, topic)  # the closed one is not reopened by a retry
    assert raise_escalation(later, order, topic)  # a new delay may escalate again
    assert _published(local_aws) == 2
    capsys.readouterr()
    assert main(["escalations", "list", "--all", "--json", "--stack-name", "delaydesk-local"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["status"], row["closed_by"], row["published"]) == ("open", None, True)
