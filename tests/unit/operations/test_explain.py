"""`delaydesk explain`: the timeline in words, on the merchant's clock (pure)."""

from __future__ import annotations

from conftest import instant, merchant, order_from, paid

from delaydesk.core.config import Settings
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.windows import preset
from delaydesk.operations.explain import Notice, timeline
from delaydesk.policy import timers


def test_the_timeline_tells_events_deadlines_decisions_and_notices_in_order() -> None:
    policy = DelayPolicy.for_merchant(merchant(), Settings())
    order = order_from(paid("E-1", "2020-01-25T10:00:00+08:00"))
    result = timers.evaluate(order, policy, preset("spring_festival_2020"), instant("2020-01-26T10:00:00+08:00"))
    notices = [Notice("disruption_announcement", 0, "email", "sent", instant("2020-01-26T10:00:00+08:00"))]
    lines = timeline(result.order, result.decisions, notices, "Asia/Shanghai")
    assert lines[0] == "order E-1 of merchant m-teahouse: paid (times in Asia/Shanghai)"
    assert lines[1].startswith("2020-01-25 10:00:00  paid 128.00 CNY (domestic, to CN-HB)")
    body = "\n".join(lines)
    assert "2020-01-26 10:00:00  decision: deadline extended (rule ship_by, window cny2020)" in body
    assert "decision: late shipment exempted from the merchant's metrics (rule ship_by, window cny2020)" in body
    assert "2020-01-26 10:00:00  notice: disruption_announcement #0 by email (sent)" in body
    assert lines[-1] == (
        "2020-02-10 23:59:59  deadline: ship by 2020-02-10 23:59:59;"
        " default 2020-01-26 10:00:00, moved by window cny2020"
    )


def test_the_timeline_shows_the_experiment_arm_and_each_notice_held_out() -> None:
    experiments = [{"experiment_id": "ann-2020", "holds_out": "announcement", "holdout_share": 0.999}]
    policy = DelayPolicy.for_merchant(merchant(settings={"experiments": experiments}), Settings())
    order = order_from(paid("E-1", "2020-01-25T10:00:00+08:00"))
    result = timers.evaluate(order, policy, preset("spring_festival_2020"), instant("2020-01-26T10:00:00+08:00"))
    assert result.order.experiments["ann-2020"].arm == "holdout" and result.notices == []
    body = "\n".join(timeline(result.order, result.decisions, [], "Asia/Shanghai"))
    assert (
        "2020-01-26 10:00:00  experiment ann-2020 (announcement held out from 99.9% of orders):"
        " assigned to the holdout arm"
    ) in body
    assert (
        "2020-01-26 10:00:00  decision: notice disruption_announcement #0 held out by experiment ann-2020"
        " (the order's holdout arm) (rule experiment_announcement, window cny2020)"
    ) in body
