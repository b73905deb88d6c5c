"""Golden files for every kind × locale × channel, the lint of the bundled templates, merchant
overrides in the sandbox (template injection included), and SMS segment counting.

Regenerate the golden files after an intended wording change with
``REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/notices/test_notice_templates.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from delaydesk.core.config import Settings
from delaydesk.core.kinds import Kind, NoticeChannel
from delaydesk.core.merchants import SUPPORTED_LOCALES
from delaydesk.notices.sms import gsm_friendly, measure
from delaydesk.notices.templates_admin import lint_bundled, lint_source, preview, sample

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
REGENERATE = os.environ.get("REGENERATE_GOLDEN") == "1"


def _snapshot(kind: Kind, locale: str, channel: NoticeChannel) -> str:
    out = preview(kind, locale, channel, Settings())
    if channel == NoticeChannel.EMAIL:
        return f"Subject: {out.subject}\n\n{out.text}\n---- html ----\n{out.html}\n"
    if channel == NoticeChannel.SMS:
        length = measure(out.sms)
        return f"{out.sms}\n---- {length.encoding}, {length.units} units, {length.segments} segment(s) ----\n"
    return f"Title: {out.subject}\n\n{out.inbox}"


@pytest.mark.parametrize("channel", list(NoticeChannel))
@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("kind", list(Kind))
def test_golden(kind: Kind, locale: str, channel: NoticeChannel) -> None:
    path = GOLDEN / kind.value / f"{locale}.{channel.value}.txt"
    actual = _snapshot(kind, locale, channel)
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with REGENERATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")


def test_every_bundled_template_passes_the_lint() -> None:
    assert lint_bundled(Settings()) == []


@pytest.mark.parametrize(
    "source",
    [
        "{{ order_id }} {{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ order_id }} {{ estimate.__class__.__init__.__globals__ }}",
        "{{ order_id }} {{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ order_id }} {{ (order_url|attr('\\x5f\\x5fclass\\x5f\\x5f')).mro() }}",
        "{{ order_id }} {{ items.pop() }} {{ estimate }} {{ order_url }}",
    ],
)
def test_a_template_that_reaches_python_internals_is_rejected(source: str) -> None:
    problems = lint_source(source, Kind.SHIPMENT_DELAYED, "en", NoticeChannel.SMS, Settings())
    assert any("internals" in p or "sandbox" in p for p in problems), problems


def test_an_invalid_upload_lists_every_problem() -> None:
    source = "{% set subject %}Delivery news{% endset %}Hi {{ customer_name }}, it is the fault of the courier."
    problems = lint_source(source, Kind.IN_TRANSIT_DELAYED, "en", NoticeChannel.EMAIL, Settings())
    text = "\n".join(problems)
    for expected in ("order number", "subject must carry", "support contact", "order page", "estimate", "blames"):
        assert expected in text, text


def test_the_estimate_is_found_by_what_the_template_renders_not_by_its_wording() -> None:
    """A template that writes today's sample date range by hand, instead of the estimate, is refused;
    the real estimate in any CLDR wording or whitespace (the SMS folds thin spaces) passes."""
    s = sample(Kind.SHIPMENT_DELAYED, "zh-CN", Settings())
    by_hand = "【{{ merchant_name }}】订单{{ order_id }}延误，预计" + s.context["estimate"] + "。{{ order_url }}"
    problems = lint_source(by_hand, Kind.SHIPMENT_DELAYED, "zh-CN", NoticeChannel.SMS, Settings())
    assert problems == ["shipment_delayed/zh-CN/sms: the new estimate is missing"]
    folded = "【{{ merchant_name }}】订单{{ order_id }}延误，预计 {{ estimate }} 。{{ order_url }}"
    assert lint_source(folded, Kind.SHIPMENT_DELAYED, "zh-CN", NoticeChannel.SMS, Settings()) == []


def test_blame_phrases_are_refused_per_locale() -> None:
    source = "【{{ merchant_name }}】订单{{ order_id }}延误都怪快递公司的问题，预计{{ estimate }}。{{ order_url }}"
    problems = lint_source(source, Kind.SHIPMENT_DELAYED, "zh-CN", NoticeChannel.SMS, Settings())
    assert any("都怪" in p for p in problems) and any("快递公司的问题" in p for p in problems)


def test_a_long_sms_is_refused_and_a_good_one_accepted() -> None:
    good = "{{ merchant_name }}：订单{{ order_id }}延误，预计{{ estimate }}。{{ order_url }}"
    assert lint_source(good, Kind.SHIPMENT_DELAYED, "zh-CN", NoticeChannel.SMS, Settings()) == []
    long = good + "非常抱歉给您带来不便" * 10
    (problem,) = lint_source(long, Kind.SHIPMENT_DELAYED, "zh-CN", NoticeChannel.SMS, Settings())
    assert "segments" in problem


def test_overrides_are_autoescaped_in_html_but_plain_in_text() -> None:
    source = (
        "{% set subject %}Order {{ order_id }} & you{% endset %}"
        "Dear {{ customer_name }}, order {{ order_id }} arrives {{ estimate }}. <b>{{ order_url }}</b> "
        "{{ support_email }}"
    )
    out = preview(Kind.SHIPMENT_DELAYED, "en", NoticeChannel.EMAIL, Settings(), source)
    assert out.subject.endswith("& you") and "<b>" in out.text
    assert "&lt;b&gt;" in out.html and "<b>" not in out.html


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "gsm7", 1),
        ("a" * 161, "gsm7", 2),
        ("a" * 306, "gsm7", 2),
        ("a" * 307, "gsm7", 3),
        ("{" * 80, "gsm7", 1),  # extension characters take two septets
        ("{" * 81, "gsm7", 2),
        ("订" * 70, "ucs2", 1),
        ("订" * 71, "ucs2", 2),
        ("订" * 134, "ucs2", 2),
        ("订" * 135, "ucs2", 3),
        ("😀" * 35, "ucs2", 1),  # outside the BMP: two UTF-16 units each
        ("", "gsm7", 0),
    ],
)
def test_sms_segments(text: str, encoding: str, segments: int) -> None:
    length = measure(text)
    assert (length.encoding, length.segments) == (encoding, segments)


def test_babel_typography_is_made_gsm_friendly_for_latin_sms() -> None:
    estimate = sample(Kind.SHIPMENT_DELAYED, "en", Settings()).context["estimate"]
    assert measure(estimate).encoding == "ucs2" and measure(gsm_friendly(estimate)).encoding == "gsm7"
    out = preview(Kind.SHIPMENT_DELAYED, "en", NoticeChannel.SMS, Settings())
    assert measure(out.sms).encoding == "gsm7"
