"""Zone words people say, from our own table: libraries get these wrong (dateparser reads IST as Israel).

Abbreviations and US region names live here; city and country names ("Chicago time", "in Tokyo")
come from the IANA data in places.py, built on the first phrase that needs them.
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from zudu_mcp.scheduling.patterns import Pattern

ZONE_WORDS: dict[str, str] = {
    "ist": "Asia/Kolkata",
    "india time": "Asia/Kolkata",
    "est": "America/New_York",
    "edt": "America/New_York",
    "et": "America/New_York",
    "eastern": "America/New_York",
    "eastern time": "America/New_York",
    "ct": "America/Chicago",
    "central": "America/Chicago",
    "central time": "America/Chicago",
    "cdt": "America/Chicago",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "mt": "America/Denver",
    "mountain": "America/Denver",
    "mountain time": "America/Denver",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "pt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles",
    "pacific time": "America/Los_Angeles",
    "alaska time": "America/Anchorage",
    "akst": "America/Anchorage",
    "akdt": "America/Anchorage",
    "hawaii time": "Pacific/Honolulu",
    "hst": "Pacific/Honolulu",
    "atlantic time": "America/Halifax",
    "cet": "Europe/Paris",
    "cest": "Europe/Paris",
    "wet": "Europe/Lisbon",
    "eet": "Europe/Athens",
    "eest": "Europe/Athens",
    "jst": "Asia/Tokyo",
    "sgt": "Asia/Singapore",
    "hkt": "Asia/Hong_Kong",
    "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney",
    "utc": "UTC",
    "gmt": "UTC",
}

# A seasonal abbreviation names one offset: said out of season ("EST" in July, when New York keeps
# EDT), the region's clock is read and the literal offset is offered as the other reading.
LABEL_OFFSETS: dict[str, timedelta] = {
    label: timedelta(hours=hours)
    for label, hours in {
        "est": -5,
        "edt": -4,
        "cdt": -5,
        "mst": -7,
        "mdt": -6,
        "pst": -8,
        "pdt": -7,
        "akst": -9,
        "akdt": -8,
        "cet": 1,
        "cest": 2,
        "wet": 0,
        "eet": 2,
        "eest": 3,
        "aest": 10,
        "aedt": 11,
    }.items()
}

# Abbreviations that name more than one zone: refused, with every reading offered.
AMBIGUOUS_ZONE_WORDS: dict[str, dict[str, str]] = {
    "cst": {"US Central": "America/Chicago", "China": "Asia/Shanghai"},
    "bst": {"British Summer Time": "Europe/London", "Bangladesh": "Asia/Dhaka"},
    "ast": {"Atlantic": "America/Halifax", "Arabia": "Asia/Riyadh"},
    "gst": {"Gulf": "Asia/Dubai", "South Georgia": "Atlantic/South_Georgia"},
}

US_ZONE_PREFIXES = (
    "US/",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Phoenix",
    "America/Anchorage",
    "America/Adak",
    "America/Boise",
    "America/Detroit",
    "America/Indiana/",
    "America/Kentucky/",
    "America/North_Dakota/",
    "America/Menominee",
    "America/Juneau",
    "America/Sitka",
    "America/Yakutat",
    "America/Nome",
    "America/Metlakatla",
    "Pacific/Honolulu",
)

_WORDS = "|".join(sorted((re.escape(w) for w in [*ZONE_WORDS, *AMBIGUOUS_ZONE_WORDS]), key=len, reverse=True))
ZONE_WORD_RE = Pattern(rf"\b({_WORDS})\b")
ZONE_FIRST_WORDS = frozenset(word.split()[0] for word in [*ZONE_WORDS, *AMBIGUOUS_ZONE_WORDS])  # a phrase without one skips the pattern
FIXED_OFFSET_RE = Pattern(r"\b(?:gmt|utc)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?\b")
IANA_RE = Pattern(r"\b([A-Z][A-Za-z_]+/[A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_]+)?)\b")


def zone(name: str) -> tzinfo:
    return ZoneInfo(name)


def fixed_offset(sign: str, hours: str, minutes: str | None) -> tzinfo:
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta > timedelta(hours=14):
        raise ValueError(f"UTC{sign}{hours}:{minutes or '00'} is not a real offset")
    label = f"UTC{sign}{int(hours):02d}:{int(minutes or 0):02d}"
    return timezone(delta if sign == "+" else -delta, label)


def zone_label(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)


def default_date_order(zone_name: str) -> str:
    """Month first for US zones, day first elsewhere (India and most of the world)."""
    return "MDY" if zone_name.startswith(US_ZONE_PREFIXES) else "DMY"
