"""Merchant templates in a budget: resource exhaustion refused when saved, and again at render
(the bundled template is used instead)."""

from __future__ import annotations

import time

import pytest

from delaydesk.core.config import Settings
from delaydesk.core.kinds import Kind, NoticeChannel
from delaydesk.notices import rendering
from delaydesk.notices.budget import MAX_RENDER_SECONDS
from delaydesk.notices.templates_admin import lint_source, sample

GOOD = "{{ order_id }} is late; new estimate {{ estimate }}, see {{ order_url }}"

EXHAUSTING = {
    "nested ranges": "{% for a in range(10000) %}{% for b in range(10000) %}{{ order_id }}{% endfor %}{% endfor %}",
    "silent nested ranges": "{% for a in range(9000) %}{% for b in range(9000) %}{% endfor %}{% endfor %}{{ order_id }}",  # noqa: E501
    "string bomb": "{{ order_id }}{{ 'x' * 100000000 }}",
    "list bomb": "{{ order_id }}{% set l = [1] * 100000000 %}",
    "power": "{{ order_id }}{{ 9 ** 999999 }}",
    "filter bomb": "{{ order_id }}{{ order_id|center(100000000) }}",
    "recursive macro": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ order_id }}{{ f(0) }}",
    "deep loops": "{% for a in [1] %}{% for b in [1] %}{% for c in [1] %}{% for d in [1] %}{{ order_id }}"
    "{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
    "long output": "{% for a in range(5000) %}{{ order_id }}{% endfor %}",
    "join bomb": "{{ order_id }}{{ (range(9999)|list|join('x' * 9999)) }}",
    "format bomb": "{{ order_id }}{{ '%0100000000d'|format(1) }}",
    "replace bomb": "{{ order_id }}{{ ('a' * 19999)|replace('a', 'aaaa') }}",
    "method bomb": "{{ order_id }}{{ order_id.center(100000000) }}",
    "percent bomb": "{{ order_id }}{{ '%0100000000d' % 1 }}",
    "concatenation": "{% set s = 'a' * 19999 %}{{ order_id }}{{ s + s }}",
}


@pytest.mark.parametrize("name", sorted(EXHAUSTING))
def test_an_exhausting_template_is_refused_when_saved_and_quickly(name: str) -> None:
    started = time.monotonic()
    problems = lint_source(EXHAUSTING[name], Kind.SHIPMENT_DELAYED, "en", NoticeChannel.SMS, Settings())
    assert time.monotonic() - started < 3
    assert any("sandbox" in p or "nest" in p for p in problems), problems


def test_a_template_over_budget_at_render_time_falls_back_to_the_bundled_one() -> None:
    settings = Settings()
    s = sample(Kind.SHIPMENT_DELAYED, "en", settings)
    bundled = rendering.render_context("shipment_delayed", "en", s.context, settings.resolved_templates_dir)
    started = time.monotonic()
    rendered = rendering.render_context(
        "shipment_delayed", "en", s.context, settings.resolved_templates_dir, {"sms": EXHAUSTING["nested ranges"]}
    )
    assert time.monotonic() - started < MAX_RENDER_SECONDS + 1
    assert rendered.sms == bundled.sms
    assert len(rendered.refused) == 1 and rendered.refused[0].startswith("sms: BudgetExceeded")


def test_a_template_within_budget_renders() -> None:
    settings = Settings()
    s = sample(Kind.SHIPMENT_DELAYED, "en", settings)
    rendered = rendering.render_context(
        "shipment_delayed", "en", s.context, settings.resolved_templates_dir, {"sms": GOOD}
    )
    assert rendered.refused == () and rendered.sms.startswith(s.order.order_id)
