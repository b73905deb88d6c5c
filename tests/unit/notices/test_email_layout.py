"""The notice e-mail's HTML part: fluid, table-based, dark-mode aware, a button with words, and
the same words as the plain-text part; every choice it mentions is one the page offers."""

from __future__ import annotations

import re

import pytest

from delaydesk.cli import main
from delaydesk.core.config import Settings
from delaydesk.core.kinds import Kind, NoticeChannel
from delaydesk.core.merchants import SUPPORTED_LOCALES
from delaydesk.notices import templates_admin
from delaydesk.notices.rendering import html_blocks

CTA = {"en": "View your order", "zh-CN": "查看订单", "zh-TW": "查看訂單"}
CANCEL_OFFER = {"en": "wait or cancel", "zh-CN": "取消订单", "zh-TW": "取消訂單"}
DELAY_KINDS = (Kind.SHIPMENT_DELAYED, Kind.IN_TRANSIT_DELAYED, Kind.DELIVERY_EXCEPTION, Kind.DELAY_UPDATE)


def test_the_order_link_line_becomes_the_button_and_other_links_stay_links() -> None:
    url = "https://shop.example/orders/A?t=x"
    blocks = html_blocks(["Follow it here:\n" + url, "Track it: https://t.example/1 today"], url)
    assert blocks == [
        [("text", "Follow it here:")],
        [("cta", url)],
        [("text", "Track it: "), ("link", "https://t.example/1"), ("text", " today")],
    ]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("kind", list(Kind))
def test_every_email_is_fluid_with_a_worded_button_and_a_dark_scheme(kind: Kind, locale: str) -> None:
    out = templates_admin.preview(kind, locale, NoticeChannel.EMAIL, Settings())
    page = out.html
    assert page.startswith("<!DOCTYPE html>") and f'<html lang="{locale}"' in page
    assert "max-width:600px" in page
    # the only fixed 600 px table is Outlook's ghost table, inside a conditional comment
    outside_mso = re.sub(r"<!--\[if mso\]>.*?<!\[endif\]-->", "", page, flags=re.S)
    assert 'width="600"' not in outside_mso and not re.search(r"(?<![-\w])width:\s*600px", outside_mso)
    assert 'role="presentation"' in page and "prefers-color-scheme: dark" in page
    assert f">{CTA[locale]}</a>" in page  # the button says what it does, never a raw URL
    assert out.text.strip() and "<" not in out.text  # the plain-text part (multipart/alternative)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("kind", DELAY_KINDS)
def test_a_delay_email_offers_cancelling_only_when_the_page_does(kind: Kind, locale: str) -> None:
    sample = templates_admin.sample(kind, locale, Settings())
    out = templates_admin.preview(kind, locale, NoticeChannel.EMAIL, Settings())
    offers_cancel = CANCEL_OFFER[locale] in out.text
    assert offers_cancel == ("cancel" in sample.context["choices"]), (kind, locale, sample.context["choices"])
    assert ("cancel" in sample.context["choices"]) == (kind == Kind.SHIPMENT_DELAYED)  # the sample's order: unshipped


def test_preview_html_prints_the_whole_document(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["notices", "preview", "--kind", "in_transit_delayed", "--locale", "zh-TW", "--channel", "email", "--html"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>") and "查看訂單" in out
