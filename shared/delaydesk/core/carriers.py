"""Carrier names (pure table): every way a source names a carrier → one code.

Merchants, order systems and vendors name the same carrier differently: 顺丰, 顺丰速运, SF,
SF Express, ``sf-express`` (AfterShip's slug) and 17TRACK's numeric carrier key are one carrier.
``normalise`` maps each known name to the carrier's code (AfterShip-style slugs, which several
vendors share) and anything else to its own lower-cased, trimmed form, so two spellings of an
unknown carrier still meet when they differ only in case or spaces. The code is what the parcel
index (order lookup by carrier and tracking number), the stall thresholds and the windows'
carrier scopes compare; what the customer reads stays the name the order system gave.

China Post and its express service EMS are one carrier here (中国邮政 / EMS / China Post / China
EMS): their numbers share one series and merchants use the names for each other.
"""

from __future__ import annotations

import re
import unicodedata

CARRIERS: dict[str, tuple[str, ...]] = {
    "sf-express": ("顺丰", "顺丰速运", "顺丰快递", "顺丰速递", "sf", "sf express", "sfexpress", "s.f. express"),
    "zto": ("中通", "中通快递", "zto", "zto express", "zto-express"),
    "yto": ("圆通", "圆通速递", "圆通快递", "yto", "yto express", "yto-express"),
    "yunda": ("韵达", "韵达快递", "韵达速递", "yunda", "yunda express", "yunda-express"),
    "sto": ("申通", "申通快递", "sto", "sto express", "sto-express"),
    "jtexpress": ("极兔", "极兔速递", "极兔快递", "j&t", "j&t express", "jt express", "jt-express", "j and t express"),
    "jd": ("京东", "京东物流", "京东快递", "jd", "jd logistics", "jdl", "jd-logistics", "jingdong"),
    "china-post": (
        "中国邮政",
        "邮政",
        "邮政包裹",
        "中国邮政ems",
        "邮政ems",
        "ems",
        "ems快递",
        "中国邮政速递物流",
        "china post",
        "chinapost",
        "china ems",
        "china-ems",
        "china post ems",
    ),
    "best": ("百世", "百世快递", "best express", "best-express", "bestex"),
    "deppon": ("德邦", "德邦快递", "德邦物流", "deppon", "deppon express"),
    "cainiao": ("菜鸟", "菜鸟裹裹", "cainiao", "cainiao logistics"),
    "yanwen": ("燕文", "燕文物流", "yanwen", "yanwen logistics"),
    "yunexpress": ("云途", "云途物流", "yunexpress", "yun express"),
    "4px": ("递四方", "4px", "4px express"),
    "hong-kong-post": ("香港郵政", "香港邮政", "hongkong post", "hong kong post", "hongkong-post"),
    "taiwan-post": ("中華郵政", "中华邮政", "chunghwa post", "taiwan post"),
    "ups": ("ups", "united parcel service", "ups ground", "ups express"),
    "usps": ("usps", "united states postal service", "us postal service", "u.s. postal service"),
    "fedex": ("fedex", "fed ex", "federal express", "fedex ground", "fedex express", "fdx"),
    "dhl": ("dhl", "dhl express", "dhl-express", "敦豪", "dhl international"),
    "dhl-ecommerce": ("dhl ecommerce", "dhl e-commerce", "dhl global mail", "dhl-global-mail"),
    "deutsche-post": ("deutsche post", "deutsche-post", "dhl paket", "dhl-germany"),
    "amazon": ("amazon", "amazon logistics", "amazon shipping", "amzl"),
    "ontrac": ("ontrac",),
    "lasership": ("lasership", "laser ship"),
    "royal-mail": ("royal mail", "royal-mail", "royalmail"),
    "parcelforce": ("parcelforce", "parcelforce worldwide"),
    "dpd": ("dpd", "dpd uk", "dpd-uk"),
    "gls": ("gls", "general logistics systems"),
    "postnl": ("postnl", "post nl"),
    "colissimo": ("colissimo", "la poste", "la poste colissimo", "la-poste-colissimo"),
    "chronopost": ("chronopost",),
    "tnt": ("tnt", "tnt express"),
    "aramex": ("aramex",),
    "canada-post": ("canada post", "canada-post", "postes canada"),
    "australia-post": ("australia post", "australia-post", "auspost"),
    "japan-post": ("japan post", "japan-post", "日本郵便"),
}
"""Carrier code → the names it goes by (compared after ``_key``: NFKC, lower case, single spaces)."""

SEVENTEEN_TRACK: dict[int, str] = {
    100001: "dhl",
    100002: "ups",
    100003: "fedex",
    21051: "usps",
    3011: "china-post",
    190271: "cainiao",
    190012: "yanwen",
    190107: "yunexpress",
    100143: "amazon",
    100049: "ontrac",
    100104: "lasership",
}
"""17TRACK's numeric carrier keys (``carrier`` / ``provider.key`` in its pushes) → carrier code.
Sources: tests/events/SOURCES.md (17TRACK). A key not listed maps to ``17track-<key>``."""


def _key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).lower()
    return re.sub(r"[\s_]+", " ", text).strip()  # stripped last: "_" alone is no name, not " "


_ALIASES: dict[str, str] = {}
for _code, _names in CARRIERS.items():
    _ALIASES[_key(_code)] = _code
    for _name in _names:
        _ALIASES[_key(_name)] = _code


def normalise(name: str) -> str:
    """The carrier code of ``name`` (any spelling above), else ``name`` lower-cased and trimmed."""
    key = _key(name)
    return _ALIASES.get(key) or _ALIASES.get(key.replace("-", " ")) or key


def from_seventeen_track(key: int | str) -> str:
    """The carrier code of a 17TRACK numeric carrier key."""
    try:
        number = int(key)
    except (TypeError, ValueError):
        return normalise(str(key))
    return SEVENTEEN_TRACK.get(number, f"17track-{number}")


def is_known(name: str) -> bool:
    return _key(name) in _ALIASES or _key(name).replace("-", " ") in _ALIASES
