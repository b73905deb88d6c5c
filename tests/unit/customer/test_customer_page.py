"""Signed customer links and the order page, without AWS."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import merchant, order_from, paid, scan, shipped

from delaydesk.core import links
from delaydesk.core.config import Settings
from delaydesk.core.decisions import Action
from delaydesk.core.links import Purpose
from delaydesk.core.merchants import SUPPORTED_LOCALES
from delaydesk.core.orders import Delay, OrderStatus, TimerState
from delaydesk.customer import order_page
from delaydesk.notices.inbox import InboxEntry
from delaydesk.notices.sms import measure

KEY = b"unit-test-key"
TEMPLATES = Settings().resolved_templates_dir
PAID = "2020-01-20T10:00:00+08:00"
LATE = datetime.fromisoformat("2020-01-21T10:30:00+08:00")


def test_a_token_is_short_per_purpose_and_per_order_and_checked_exactly() -> None:
    page = links.token(KEY, Purpose.ORDER_PAGE, "TS-1")
    assert len(page) == links.TOKEN_CHARS == 12 and page.isascii() and "/" not in page and "+" not in page
    assert links.verify(KEY, Purpose.ORDER_PAGE, "TS-1", page)
    assert not links.verify(KEY, Purpose.UNSUBSCRIBE, "TS-1", page)
    assert not links.verify(KEY, Purpose.ORDER_PAGE, "TS-2", page)
    assert not links.verify(b"another key", Purpose.ORDER_PAGE, "TS-1", page)
    assert not links.verify(KEY, Purpose.ORDER_PAGE, "TS-1", page[:-1])
    assert not links.verify(KEY, Purpose.ORDER_PAGE, "TS-1", None)
    assert not links.verify(KEY, Purpose.ORDER_PAGE, "TS-1", "")
    # Non-ASCII is never a token, nor an error.
    for hostile in ("é", "\ud800", page[:-1] + "é", "ＡＡＡＡＡＡＡＡＡＡＡＡ"):
        assert not links.verify(KEY, Purpose.ORDER_PAGE, "TS-1", hostile)


def test_the_order_url_is_signed_and_a_merchant_page_may_take_the_token() -> None:
    signed = links.token(KEY, Purpose.ORDER_PAGE, "A B")
    assert links.order_url("https://x.example/dev/orders/", None, "A B", KEY) == (
        f"https://x.example/dev/orders/A%20B?t={signed}"
    )
    own = "https://shop.example/account/orders/{order_id}?key={token}"
    assert links.order_url("unused", own, "A B", KEY) == f"https://shop.example/account/orders/A%20B?key={signed}"
    assert links.order_url("unused", "https://shop.example/o/{order_id}", "A", KEY) == "https://shop.example/o/A"
    unsubscribe = links.unsubscribe_url("https://x.example/u", "A&B", "m1", KEY)
    assert (
        unsubscribe == f"https://x.example/u?order=A%26B&merchant=m1&t={links.token(KEY, Purpose.UNSUBSCRIBE, 'A&B')}"
    )


def test_a_cjk_sms_with_the_signed_link_stays_within_two_segments() -> None:
    link = links.order_url("https://shop.example/orders", None, "TS20200120-0001", KEY)
    text = f"【西湖茶舍】抱歉，您的订单TS20200120-0001暂未发货，预计送达2020年1月26日至29日。等待或取消：{link}"
    assert measure(text).segments == 2


def _late() -> order_page.Order:
    return order_from(paid("P-1", PAID))


def test_the_choice_opens_when_the_promise_breaks_and_closes_on_shipping_or_cancelling() -> None:
    order = _late()
    assert not order_page.choice_open(order, datetime.fromisoformat("2020-01-21T09:59:59+08:00"))
    assert order_page.choice_open(order, datetime.fromisoformat("2020-01-21T10:00:00+08:00"))
    covered = order.model_copy(deep=True)
    covered.timers["ship_by"] = TimerState(at=LATE, default_at=order.default_ship_by_at, window_id="cny2020")
    assert order_page.choice_open(covered, datetime.fromisoformat("2020-01-20T12:00:00+08:00"))
    asked = order.model_copy(update={"cancel_status": "requested"})
    assert not order_page.choice_open(asked, LATE)
    shipped_order = order_from(paid("P-1", PAID), shipped("P-1", "2020-01-21T11:00:00+08:00"))
    assert not order_page.choice_open(shipped_order, LATE)


def test_waiting_is_one_decision_per_delay_and_cancel_is_the_contract_event() -> None:
    order = _late()
    decision = order_page.wait_decision(order, LATE)
    assert decision.action == Action.DELAY_ACCEPTED and decision.decision_id == "delay_accepted#0"
    later = order.model_copy(update={"delays_resolved": 1})
    assert order_page.wait_decision(later, LATE).decision_id == "delay_accepted#1"
    event = order_page.cancel_event(order, LATE)
    assert event == {
        "type": "cancel.requested",
        "event_id": "order-page-cancel-P-1",
        "at": "2020-01-21T10:30:00+08:00",
        "order_id": "P-1",
        "merchant_id": "m-teahouse",
    }


def test_every_locale_of_the_page_has_every_string() -> None:
    strings = order_page.strings(TEMPLATES.parent / "pages")
    assert set(strings) == set(SUPPORTED_LOCALES)
    keys = set(strings["en"])
    for locale in SUPPORTED_LOCALES:
        assert set(strings[locale]) == keys, locale


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_page_renders_in_the_customer_locale_and_escapes_what_they_typed(locale: str) -> None:
    order = order_from(paid("P-1", PAID, customer={"locale": locale, "name": "<b>x</b>"}))
    order.delay = Delay(
        kind="shipment_delayed",
        rule="ship_by",
        reason="not_shipped",
        started_at=LATE,
        next_update_at=LATE,
        eta_from=date(2020, 1, 26),
        eta_to=date(2020, 1, 29),
    )
    entry = InboxEntry("shipment_delayed#0", "Order <P-1>", "line 1\n<script>", locale, LATE)
    html = order_page.render(order, merchant(), [entry], [], LATE, TEMPLATES, "tok")
    strings = order_page.strings(TEMPLATES.parent / "pages")[locale]
    assert f'<html lang="{locale}">' in html
    # status in words, then the estimate the notice gave, then the steps (shipping is the problem)
    status, estimate, steps = (html.index(x) for x in ('id="status"', 'id="estimate"', 'class="steps"'))
    assert status < estimate < steps < html.index('id="choices"') < html.index('id="faq"') < html.index('id="notices"')
    assert strings["status_paid_late"] in html and "2020" in html[estimate : estimate + 120]
    assert '<li class="done">' in html and '<li class="problem" aria-current="step">' in html
    assert strings["late"] in html and strings["choice_cancel_link"] in html and strings["choice_wait_link"] in html
    assert "Order &lt;P-1&gt;" in html and "&lt;script&gt;" in html and "<script>" not in html
    # a choice is a link to its confirm step; only the confirm page posts
    assert 'href="?t=tok&amp;confirm=cancel"' in html and "<form" not in html
    assert f"<dt>{strings['goods']}</dt><dd>西湖龙井 250g × 2</dd>" in html
    assert "help@teahouse.example" in html
    assert "<details>\n<summary>" + strings["history"].format(count=1) in html


@pytest.mark.parametrize("kind", ["wait", "cancel"])
def test_a_choice_has_a_confirm_step_that_posts_and_a_result_page(kind: str) -> None:
    order = order_from(paid("P-1", PAID, customer={"locale": "en"}))
    confirm = order_page.render(order, merchant(), [], [], LATE, TEMPLATES, "tok", confirm=kind)
    strings = order_page.strings(TEMPLATES.parent / "pages")["en"]
    assert strings[f"confirm_title_{kind}"] in confirm and strings[f"confirm_button_{kind}"] in confirm
    assert f'<form method="post" action="P-1/{kind}?t=tok">' in confirm and 'href="P-1?t=tok"' in confirm
    result = order_page.render(order, merchant(), [], [], LATE, TEMPLATES, "tok", kind)
    assert strings[f"result_title_{kind}"] in result and 'role="status"' in result and "<form" not in result
    # a choice the rules do not give now has no confirm page: the order page shows it as it is
    early = datetime.fromisoformat("2020-01-20T12:00:00+08:00")
    page = order_page.render(order, merchant(), [], [], early, TEMPLATES, "tok", confirm=kind)
    assert "<form" not in page and 'id="choices"' not in page and strings["status_paid"] in page
    assert strings["not_open"] in page


def test_a_delivered_order_offers_a_return_until_its_window_closes() -> None:
    delivered = order_from(
        paid("P-1", PAID, customer={"locale": "en"}),
        shipped("P-1", "2020-01-20T18:00:00+08:00"),
        scan("P-1", "2020-01-22T10:00:00+08:00", status="delivered"),
    )
    html = order_page.render(delivered, merchant(), [], [], LATE, TEMPLATES, "tok")
    strings = order_page.strings(TEMPLATES.parent / "pages")["en"]
    assert strings["status_delivered"] in html and strings["choice_return_link"] in html
    assert 'href="?t=tok&amp;confirm=return"' in html and "confirm=cancel" not in html
    assert html.count('<li class="done">') == 4
    closed = datetime.fromisoformat("2020-01-29T10:00:01+08:00")
    assert "confirm=return" not in order_page.render(delivered, merchant(), [], [], closed, TEMPLATES, "tok")


def test_a_shipped_delayed_order_offers_nothing_and_says_why_in_the_faq() -> None:
    order = order_from(paid("P-1", PAID, customer={"locale": "en"}), shipped("P-1", "2020-01-21T11:00:00+08:00"))
    order.delay = Delay(
        kind="in_transit_delayed",
        rule="stalled_in_transit",
        reason="stalled_in_transit",
        started_at=LATE,
        next_update_at=LATE,
    )
    html = order_page.render(order, merchant(), [], [], LATE, TEMPLATES, "tok")
    strings = order_page.strings(TEMPLATES.parent / "pages")["en"]
    assert 'id="choices"' not in html and strings["status_shipped_late"] in html
    assert strings["faq_cancel_a_shipped"] in html


def test_a_bad_link_gets_a_page_in_the_browser_language_with_the_shops_contacts() -> None:
    shop = merchant()
    html = order_page.render_invalid([shop], order_page.browser_locale("zh-TW,zh;q=0.9,en;q=0.5", [shop]), TEMPLATES)
    strings = order_page.strings(TEMPLATES.parent / "pages")["zh-TW"]
    assert '<html lang="zh-TW">' in html and strings["invalid_title"] in html and "help@teahouse.example" in html
    assert order_page.browser_locale(None, [shop]) == "zh-CN"  # the only shop's default
    assert order_page.browser_locale("fr-FR,en;q=0.8", []) == "en"
    assert "mailto:" not in order_page.render_invalid([], "en", TEMPLATES)


def test_the_page_after_cancelling_states_the_refund() -> None:
    order = _late().model_copy(update={"cancel_status": "granted", "status": OrderStatus.CANCELLED})
    html = order_page.render(order, merchant(), [], [], LATE, TEMPLATES, "tok")
    assert "P-1/cancel" not in html and "¥128.00" in html and 'id="cancel-state"' in html


def test_the_unsubscribe_page_asks_before_it_acts() -> None:
    order = _late()
    form = order_page.render_unsubscribe(order, merchant(), TEMPLATES, done=False)
    assert '<form method="post">' in form
    assert '<form method="post">' not in order_page.render_unsubscribe(order, merchant(), TEMPLATES, done=True)


def test_pages_live_beside_the_notice_templates_in_the_layer() -> None:
    # TemplatesLayer packs templates/ into /opt: /opt/notices and /opt/pages side by side.
    assert (TEMPLATES.parent / "pages" / "order.html.j2").is_file()
    assert Path(TEMPLATES).name == "notices"
