"""SMS segments of every bundled template (a script, not a test): per locale and kind, with the
link an SMS carried before short links (the signed order page on the execute-api host) and after
(``/o/CODE`` on that host, and on a ``ShortLinkDomain``), for a long-ish merchant name.

    .venv/bin/python benchmarks/sms_segments.py [--order-id ID] [--templates DIR]

``--templates`` measures another copy of ``templates/notices`` (e.g. an older checkout's, for a
before/after of the wording; ``consent_by_short`` and ``ship_by_short`` must be in its context).

Segments are counted as ``notices/sms.py`` does (GSM-7: 160 septets, 153 once concatenated;
UCS-2: 70 and 67 code units). The goal (issue 12): a zh-CN delay SMS in at most 2 segments, an
English one in 1.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from delaydesk.core import links
from delaydesk.core.config import Settings
from delaydesk.core.kinds import DELAY_KINDS, Kind
from delaydesk.core.merchants import SUPPORTED_LOCALES
from delaydesk.notices import rendering, templates_admin
from delaydesk.notices.rendering import SMS_ORDER_URL
from delaydesk.notices.sms import measure

API_HOST = "https://a1b2c3d4e5.execute-api.ap-southeast-1.amazonaws.com/prod"
"""The longest usual execute-api base: a 10-character API id, a 14-character region, the prod stage."""
CUSTOM_HOST = "https://s.teahouse-shop.com"
"""A ShortLinkDomain as a shop would name it."""
MERCHANTS = {"en": "West Lake Tea Garden", "zh-CN": "杭州西湖龙井茶庄", "zh-TW": "杭州西湖龍井茶莊"}
KEY = templates_admin.SAMPLE_LINK_KEY


def links_for(order_id: str) -> dict[str, tuple[str, str]]:
    """(order_url, the link the SMS carries) per variant."""
    full = links.order_url(f"{API_HOST}/orders", None, order_id, KEY)
    code = links.short_code(KEY, order_id)
    return {
        "before": (full, full),
        "short@api": (full, links.short_url(API_HOST, code)),
        "short@domain": (full, links.short_url(CUSTOM_HOST, code)),
    }


def segments(
    kind: Kind, locale: str, order_id: str, merchant_name: str, variant: tuple[str, str], templates: Path
) -> tuple[int, int]:
    s = templates_admin.sample(kind, locale, Settings())
    context = {**s.context, "merchant_name": merchant_name, "order_id": order_id}
    context |= {"order_url": variant[0], SMS_ORDER_URL: variant[1]}
    rendered = rendering.render_context(kind.value, locale, context, templates)
    length = measure(rendered.sms)
    return length.segments, length.units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--order-id", default="3412785690123456789", help="a 19-digit marketplace order number")
    parser.add_argument("--templates", type=Path, default=Settings().resolved_templates_dir)
    args = parser.parse_args()
    variants = links_for(args.order_id)
    print(f"templates {args.templates}; order id {args.order_id!r}; merchants {MERCHANTS}")
    for name, (_, carried) in variants.items():
        print(f"  {name:13} link {len(carried):3} chars: {carried}")
    print(f"\n{'kind':26} {'locale':6} " + " ".join(f"{v:>14}" for v in variants))
    worst_delay: dict[tuple[str, str], int] = {}
    worst_all: dict[tuple[str, str], int] = {}
    for locale in SUPPORTED_LOCALES:
        for kind in Kind:
            row = []
            for name, variant in variants.items():
                count, units = segments(kind, locale, args.order_id, MERCHANTS[locale], variant, args.templates)
                row.append(f"{count} ({units:3})")
                worst_all[(locale, name)] = max(worst_all.get((locale, name), 0), count)
                if kind in DELAY_KINDS:
                    worst_delay[(locale, name)] = max(worst_delay.get((locale, name), 0), count)
            print(f"{kind.value:26} {locale:6} " + " ".join(f"{cell:>14}" for cell in row))
    print("\nmost segments per SMS (delay kinds / all kinds):")
    for locale in SUPPORTED_LOCALES:
        cells = [f"{name}: {worst_delay[(locale, name)]} / {worst_all[(locale, name)]}" for name in variants]
        print(f"  {locale:6} " + "   ".join(cells))


if __name__ == "__main__":
    main()
