"""Which time zone a place is in (pure tables), to read a local time that came without an offset.

Vendors send checkpoint times in the carrier's local time, often without an offset (AfterShip's
``checkpoint_time``). Such a time is read in the zone of the checkpoint's place, else in the zone of
the order's destination; it is never taken as UTC or as the delivery time of the webhook. A
country with one zone maps to it (``COUNTRY_ZONES``, the single-zone countries of the IANA
``zone.tab``); a country with several zones needs its ISO 3166-2 region (``REGION_ZONES``: the
United States, Canada, Australia), except where one zone holds nearly all of its people
(``MAIN_ZONES``: China, Spain outside the Canaries, …). Anything else has no zone (None).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

COUNTRY_ZONES: dict[str, str] = {
    "AD": "Europe/Andorra",
    "AE": "Asia/Dubai",
    "AF": "Asia/Kabul",
    "AG": "America/Antigua",
    "AI": "America/Anguilla",
    "AL": "Europe/Tirane",
    "AM": "Asia/Yerevan",
    "AO": "Africa/Luanda",
    "AS": "Pacific/Pago_Pago",
    "AT": "Europe/Vienna",
    "AW": "America/Aruba",
    "AX": "Europe/Mariehamn",
    "AZ": "Asia/Baku",
    "BA": "Europe/Sarajevo",
    "BB": "America/Barbados",
    "BD": "Asia/Dhaka",
    "BE": "Europe/Brussels",
    "BF": "Africa/Ouagadougou",
    "BG": "Europe/Sofia",
    "BH": "Asia/Bahrain",
    "BI": "Africa/Bujumbura",
    "BJ": "Africa/Porto-Novo",
    "BL": "America/St_Barthelemy",
    "BM": "Atlantic/Bermuda",
    "BN": "Asia/Brunei",
    "BO": "America/La_Paz",
    "BQ": "America/Kralendijk",
    "BS": "America/Nassau",
    "BT": "Asia/Thimphu",
    "BW": "Africa/Gaborone",
    "BY": "Europe/Minsk",
    "BZ": "America/Belize",
    "CC": "Indian/Cocos",
    "CF": "Africa/Bangui",
    "CG": "Africa/Brazzaville",
    "CH": "Europe/Zurich",
    "CI": "Africa/Abidjan",
    "CK": "Pacific/Rarotonga",
    "CM": "Africa/Douala",
    "CO": "America/Bogota",
    "CR": "America/Costa_Rica",
    "CU": "America/Havana",
    "CV": "Atlantic/Cape_Verde",
    "CW": "America/Curacao",
    "CX": "Indian/Christmas",
    "CZ": "Europe/Prague",
    "DJ": "Africa/Djibouti",
    "DK": "Europe/Copenhagen",
    "DM": "America/Dominica",
    "DO": "America/Santo_Domingo",
    "DZ": "Africa/Algiers",
    "EE": "Europe/Tallinn",
    "EG": "Africa/Cairo",
    "EH": "Africa/El_Aaiun",
    "ER": "Africa/Asmara",
    "ET": "Africa/Addis_Ababa",
    "FI": "Europe/Helsinki",
    "FJ": "Pacific/Fiji",
    "FK": "Atlantic/Stanley",
    "FO": "Atlantic/Faroe",
    "FR": "Europe/Paris",
    "GA": "Africa/Libreville",
    "GB": "Europe/London",
    "GD": "America/Grenada",
    "GE": "Asia/Tbilisi",
    "GF": "America/Cayenne",
    "GG": "Europe/Guernsey",
    "GH": "Africa/Accra",
    "GI": "Europe/Gibraltar",
    "GM": "Africa/Banjul",
    "GN": "Africa/Conakry",
    "GP": "America/Guadeloupe",
    "GQ": "Africa/Malabo",
    "GR": "Europe/Athens",
    "GS": "Atlantic/South_Georgia",
    "GT": "America/Guatemala",
    "GU": "Pacific/Guam",
    "GW": "Africa/Bissau",
    "GY": "America/Guyana",
    "HK": "Asia/Hong_Kong",
    "HN": "America/Tegucigalpa",
    "HR": "Europe/Zagreb",
    "HT": "America/Port-au-Prince",
    "HU": "Europe/Budapest",
    "IE": "Europe/Dublin",
    "IL": "Asia/Jerusalem",
    "IM": "Europe/Isle_of_Man",
    "IN": "Asia/Kolkata",
    "IO": "Indian/Chagos",
    "IQ": "Asia/Baghdad",
    "IR": "Asia/Tehran",
    "IS": "Atlantic/Reykjavik",
    "IT": "Europe/Rome",
    "JE": "Europe/Jersey",
    "JM": "America/Jamaica",
    "JO": "Asia/Amman",
    "JP": "Asia/Tokyo",
    "KE": "Africa/Nairobi",
    "KG": "Asia/Bishkek",
    "KH": "Asia/Phnom_Penh",
    "KM": "Indian/Comoro",
    "KN": "America/St_Kitts",
    "KP": "Asia/Pyongyang",
    "KR": "Asia/Seoul",
    "KW": "Asia/Kuwait",
    "KY": "America/Cayman",
    "LA": "Asia/Vientiane",
    "LB": "Asia/Beirut",
    "LC": "America/St_Lucia",
    "LI": "Europe/Vaduz",
    "LK": "Asia/Colombo",
    "LR": "Africa/Monrovia",
    "LS": "Africa/Maseru",
    "LT": "Europe/Vilnius",
    "LU": "Europe/Luxembourg",
    "LV": "Europe/Riga",
    "LY": "Africa/Tripoli",
    "MA": "Africa/Casablanca",
    "MC": "Europe/Monaco",
    "MD": "Europe/Chisinau",
    "ME": "Europe/Podgorica",
    "MF": "America/Marigot",
    "MG": "Indian/Antananarivo",
    "MK": "Europe/Skopje",
    "ML": "Africa/Bamako",
    "MM": "Asia/Yangon",
    "MO": "Asia/Macau",
    "MP": "Pacific/Saipan",
    "MQ": "America/Martinique",
    "MR": "Africa/Nouakchott",
    "MS": "America/Montserrat",
    "MT": "Europe/Malta",
    "MU": "Indian/Mauritius",
    "MV": "Indian/Maldives",
    "MW": "Africa/Blantyre",
    "MZ": "Africa/Maputo",
    "NA": "Africa/Windhoek",
    "NC": "Pacific/Noumea",
    "NE": "Africa/Niamey",
    "NF": "Pacific/Norfolk",
    "NG": "Africa/Lagos",
    "NI": "America/Managua",
    "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo",
    "NP": "Asia/Kathmandu",
    "NR": "Pacific/Nauru",
    "NU": "Pacific/Niue",
    "OM": "Asia/Muscat",
    "PA": "America/Panama",
    "PE": "America/Lima",
    "PH": "Asia/Manila",
    "PK": "Asia/Karachi",
    "PL": "Europe/Warsaw",
    "PM": "America/Miquelon",
    "PN": "Pacific/Pitcairn",
    "PR": "America/Puerto_Rico",
    "PW": "Pacific/Palau",
    "PY": "America/Asuncion",
    "QA": "Asia/Qatar",
    "RE": "Indian/Reunion",
    "RO": "Europe/Bucharest",
    "RS": "Europe/Belgrade",
    "RW": "Africa/Kigali",
    "SA": "Asia/Riyadh",
    "SB": "Pacific/Guadalcanal",
    "SC": "Indian/Mahe",
    "SD": "Africa/Khartoum",
    "SE": "Europe/Stockholm",
    "SG": "Asia/Singapore",
    "SH": "Atlantic/St_Helena",
    "SI": "Europe/Ljubljana",
    "SJ": "Arctic/Longyearbyen",
    "SK": "Europe/Bratislava",
    "SL": "Africa/Freetown",
    "SM": "Europe/San_Marino",
    "SN": "Africa/Dakar",
    "SO": "Africa/Mogadishu",
    "SR": "America/Paramaribo",
    "SS": "Africa/Juba",
    "ST": "Africa/Sao_Tome",
    "SV": "America/El_Salvador",
    "SX": "America/Lower_Princes",
    "SY": "Asia/Damascus",
    "SZ": "Africa/Mbabane",
    "TC": "America/Grand_Turk",
    "TD": "Africa/Ndjamena",
    "TF": "Indian/Kerguelen",
    "TG": "Africa/Lome",
    "TH": "Asia/Bangkok",
    "TJ": "Asia/Dushanbe",
    "TK": "Pacific/Fakaofo",
    "TL": "Asia/Dili",
    "TM": "Asia/Ashgabat",
    "TN": "Africa/Tunis",
    "TO": "Pacific/Tongatapu",
    "TR": "Europe/Istanbul",
    "TT": "America/Port_of_Spain",
    "TV": "Pacific/Funafuti",
    "TW": "Asia/Taipei",
    "TZ": "Africa/Dar_es_Salaam",
    "UG": "Africa/Kampala",
    "UY": "America/Montevideo",
    "VA": "Europe/Vatican",
    "VC": "America/St_Vincent",
    "VE": "America/Caracas",
    "VG": "America/Tortola",
    "VI": "America/St_Thomas",
    "VN": "Asia/Ho_Chi_Minh",
    "VU": "Pacific/Efate",
    "WF": "Pacific/Wallis",
    "WS": "Pacific/Apia",
    "YE": "Asia/Aden",
    "YT": "Indian/Mayotte",
    "ZA": "Africa/Johannesburg",
    "ZM": "Africa/Lusaka",
    "ZW": "Africa/Harare",
}
"""ISO 3166-1 alpha-2 → the country's only IANA zone (generated from tzdata's ``zone.tab``)."""

MAIN_ZONES: dict[str, str] = {
    "CN": "Asia/Shanghai",
    "DE": "Europe/Berlin",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "MY": "Asia/Kuala_Lumpur",
    "NZ": "Pacific/Auckland",
    "UA": "Europe/Kyiv",
    "CY": "Asia/Nicosia",
    "AR": "America/Argentina/Buenos_Aires",
    "CL": "America/Santiago",
    "EC": "America/Guayaquil",
    "UZ": "Asia/Tashkent",
    "MN": "Asia/Ulaanbaatar",
    "KZ": "Asia/Almaty",
}
"""Countries with several zones of which one is the country's standard time for nearly everyone."""

_US = {
    "America/New_York": "CT DC DE FL GA MA MD ME NC NH NJ NY OH PA RI SC VA VT WV",
    "America/Detroit": "MI",
    "America/Indiana/Indianapolis": "IN",
    "America/Kentucky/Louisville": "KY",
    "America/Chicago": "AL AR IA IL KS LA MN MO MS ND NE OK SD TN TX WI",
    "America/Denver": "CO MT NM UT WY",
    "America/Boise": "ID",
    "America/Phoenix": "AZ",
    "America/Los_Angeles": "CA NV OR WA",
    "America/Anchorage": "AK",
    "Pacific/Honolulu": "HI",
    "America/Puerto_Rico": "PR",
}
_CA = {
    "America/Toronto": "ON QC",
    "America/Halifax": "NS PE",
    "America/Moncton": "NB",
    "America/St_Johns": "NL",
    "America/Winnipeg": "MB",
    "America/Regina": "SK",
    "America/Edmonton": "AB NT",
    "America/Vancouver": "BC",
    "America/Whitehorse": "YT",
    "America/Iqaluit": "NU",
}
_AU = {
    "Australia/Sydney": "NSW ACT",
    "Australia/Melbourne": "VIC",
    "Australia/Brisbane": "QLD",
    "Australia/Adelaide": "SA",
    "Australia/Perth": "WA",
    "Australia/Hobart": "TAS",
    "Australia/Darwin": "NT",
}

REGION_ZONES: dict[str, str] = {
    f"{country}-{code}": zone
    for country, table in (("US", _US), ("CA", _CA), ("AU", _AU))
    for zone, codes in table.items()
    for code in codes.split()
} | {"ES-CN": "Atlantic/Canary", "PT-20": "Atlantic/Azores", "PT-30": "Atlantic/Madeira", "CN-XJ": "Asia/Urumqi"}
"""ISO 3166-2 region → its zone, for the countries whose zone depends on the region."""

ISO3: dict[str, str] = {
    "CHN": "CN",
    "TWN": "TW",
    "HKG": "HK",
    "MAC": "MO",
    "JPN": "JP",
    "KOR": "KR",
    "SGP": "SG",
    "MYS": "MY",
    "THA": "TH",
    "VNM": "VN",
    "PHL": "PH",
    "IDN": "ID",
    "IND": "IN",
    "AUS": "AU",
    "NZL": "NZ",
    "USA": "US",
    "CAN": "CA",
    "MEX": "MX",
    "BRA": "BR",
    "GBR": "GB",
    "IRL": "IE",
    "FRA": "FR",
    "DEU": "DE",
    "ITA": "IT",
    "ESP": "ES",
    "PRT": "PT",
    "NLD": "NL",
    "BEL": "BE",
    "LUX": "LU",
    "AUT": "AT",
    "CHE": "CH",
    "SWE": "SE",
    "NOR": "NO",
    "DNK": "DK",
    "FIN": "FI",
    "POL": "PL",
    "CZE": "CZ",
    "HUN": "HU",
    "GRC": "GR",
    "ROU": "RO",
    "RUS": "RU",
    "UKR": "UA",
    "TUR": "TR",
    "ISR": "IL",
    "ARE": "AE",
    "SAU": "SA",
    "ZAF": "ZA",
    "EGY": "EG",
}
"""ISO 3166-1 alpha-3 → alpha-2 for the countries parcels are most often scanned in (AfterShip
checkpoints name ``country_iso3``); other alpha-3 codes have no zone here."""


def zone_for(country: str | None, region: str | None = None) -> ZoneInfo | None:
    """The zone of a place given by its country (alpha-2 or alpha-3) and optional ISO 3166-2 region."""
    if not isinstance(country, str) or not country.strip():
        return None
    code = country.strip().upper()
    code = ISO3.get(code, code)
    if isinstance(region, str) and region.strip():
        wanted = region.strip().upper()
        wanted = wanted if "-" in wanted else f"{code}-{wanted}"
        if wanted in REGION_ZONES:
            return ZoneInfo(REGION_ZONES[wanted])
    name = COUNTRY_ZONES.get(code) or MAIN_ZONES.get(code)
    return ZoneInfo(name) if name else None


def named_zone(name: str | None) -> ZoneInfo | None:
    """An IANA zone by name (a customer's ``timezone``), or None when absent or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def naive_local(text: str) -> datetime | None:
    """``text`` as a naive local date-time when it is an ISO date-time without an offset, else None."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is None else None


def read_local(moment: datetime, zone: ZoneInfo) -> datetime:
    """A naive local time read as a wall-clock time in ``zone`` (an aware instant).

    In the repeated hour of a DST change the earlier instant is taken (``fold=0``); a time in the
    skipped hour is read with the offset in force before the change, as zoneinfo does.
    """
    return moment.replace(tzinfo=zone, fold=0)
