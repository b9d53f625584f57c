"""Phone numbers to E.164 through libphonenumber, with the reason when a number is refused.

Speed matters here (a list is 100,000 numbers): a number is parsed once and its type computed
once (`number_type` is what `is_valid_number` computes anyway), and the same type gives the
number's time zone without the second type check `timezone.time_zones_for_number` would do.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import NamedTuple, overload

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

SCIENTIFIC = re.compile(r"^\s*\d(?:\.\d+)?[eE]\+?\d+\s*$")  # Excel shows 919600011957 as 9.19600011957E+11
NON_DIGITS = re.compile(r"\D")
UNKNOWN_ZONE = "Etc/Unknown"


class InvalidNumber(ValueError):
    """A number that cannot be called; `kind` groups it in a report ("invalid number", "no country code", ...)."""

    def __init__(self, message: str, kind: str = "invalid number") -> None:
        super().__init__(message)
        self.kind = kind


class Reading(NamedTuple):
    """One number as read: E.164, whether the default region was needed to read it, and its zone."""

    e164: str
    national: bool  # written without a country code and read in the default region
    zone: str | None  # the one IANA zone its recipients are in, None when unknown or several


def read_number(raw: object, default_region: str | None) -> Reading:
    """The number in E.164 with its zone; raises InvalidNumber saying why it cannot be called."""
    return Reading(*read_plain(raw, default_region)[:3])


def read_plain(raw: object, default_region: str | None, other_region: str | None = None) -> tuple[str, bool, str | None, str | None]:
    """read_number as one plain tuple (e164, national, zone, other), what a cache holds cheaply.

    `other` is the number as `other_region` reads it, when it was written without a country code,
    is valid there and is another number than the one read (else None).
    """
    text = as_text(raw)
    if not text:
        raise InvalidNumber("no phone number in this row", "no phone number")
    international = text.startswith(("+", "00"))
    parsed = _valid(text, default_region)
    national = parsed is not None and not international
    if parsed is None and not international:
        digits = NON_DIGITS.sub("", text)
        if len(digits) >= 10:  # an international number typed without its '+'
            parsed = _valid("+" + digits, None)
    if parsed is None:
        if default_region is None and not text.startswith("+"):
            raise InvalidNumber(f"{_short(text)} has no country code: add one (+91 ...) or set ZUDU_DEFAULT_REGION / default_region", "no country code")
        where = f" for region {default_region}" if default_region and not text.startswith("+") else ""
        raise InvalidNumber(f"{_short(text)} is not a valid phone number{where}")
    number, kind = parsed
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    assert number.country_code is not None  # phonenumbers.parse always sets it
    other = None
    if national and other_region:
        other = e164_in_region(text, other_region)
        if other == e164:
            other = None
    return e164, national, _primary_zone(e164, number.country_code, kind), other


def _short(text: str, limit: int = 40) -> str:
    """A refused number quoted in its reason, cut short: a hostile cell may hold 100 KB."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def to_e164(raw: object, default_region: str | None) -> str:
    return read_number(raw, default_region).e164


def e164_in_region(raw: object, region: str) -> str | None:
    """The number as read in `region` (no other fallback), or None when it is not valid there."""
    parsed = _valid(as_text(raw), region)
    return None if parsed is None else phonenumbers.format_number(parsed[0], PhoneNumberFormat.E164)


def _valid(text: str, region: str | None) -> tuple[phonenumbers.PhoneNumber, int] | None:
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    kind = phonenumbers.number_type(number)  # UNKNOWN exactly when is_valid_number is False
    return None if kind == PhoneNumberType.UNKNOWN else (number, kind)


def as_text(raw: object) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    text = str(raw).strip()
    if SCIENTIFIC.match(text):
        try:
            return str(int(Decimal(text)))
        except InvalidOperation:
            return text
    return text


def region_of(e164: str) -> str | None:
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164))


def zones_of(e164: str) -> tuple[str, ...]:
    """The zones libphonenumber places a number in (several for some countries; none when unknown)."""
    from phonenumbers import timezone  # lazy: loads a large table

    zones = timezone.time_zones_for_number(phonenumbers.parse(e164))
    return tuple(zone for zone in zones if zone != UNKNOWN_ZONE)


_ZONE_BY_PREFIX: dict[str, str | None] = {}


def zone_of(e164: str) -> str | None:
    """The one zone a number's recipient is in, or None (unknown, or several zones of one country).

    Cached by the first nine digits (libphonenumber's longest zone prefix), as the calling-window
    check of a whole list needs it fast; normalise() gives the exact zones in RecipientReport.zones.
    """
    key = e164[:10]
    if key not in _ZONE_BY_PREFIX:
        if len(_ZONE_BY_PREFIX) > 10_000:
            _ZONE_BY_PREFIX.clear()
        number = phonenumbers.parse(e164)
        assert number.country_code is not None  # phonenumbers.parse always sets it
        _ZONE_BY_PREFIX[key] = _primary_zone(e164, number.country_code, phonenumbers.number_type(number))
    return _ZONE_BY_PREFIX[key]


_COUNTRY_ZONES: dict[int, tuple[str, ...]] = {}
_TZ: tuple[dict[str, tuple[str, ...]], int] | None = None


def _load_zone_table() -> None:
    global _TZ
    from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX  # lazy: a large table

    _TZ = (TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX)


_PRIMARY: dict[tuple[str, ...], str | None] = {}


def _primary_zone(e164: str, country_code: int, kind: int) -> str | None:
    """libphonenumber's zones for a valid number, reduced to one (what `time_zones_for_number` computes).

    A number placed in several zones keeps the one in its country's main region when there is
    exactly one (+44 mobiles: Europe/London, not Europe/Guernsey); otherwise (US toll-free, Russian
    mobiles) its zone is unknown: nobody can say whether it is night there.
    """
    if _TZ is None:
        _load_zone_table()
    table, longest = _TZ  # type: ignore[misc]
    if phonenumbers.is_number_type_geographical(kind, country_code):
        zones: tuple[str, ...] = ()
        for length in range(min(longest, len(e164) - 1), 0, -1):
            zones = table.get(e164[1 : 1 + length], ())
            if zones:
                break
    else:
        zones = _COUNTRY_ZONES.get(country_code)  # type: ignore[assignment]
        if zones is None:
            code = str(country_code)
            zones = next((table[code[:n]] for n in range(len(code), 0, -1) if code[:n] in table), ())
            _COUNTRY_ZONES[country_code] = zones
    if len(zones) == 1:
        return None if zones[0] == UNKNOWN_ZONE else zones[0]
    if not zones:
        return None
    key = (str(country_code), *zones)
    if key not in _PRIMARY:
        from zudu_mcp.recipients.calling_window import region_of_zone

        main = phonenumbers.region_code_for_country_code(country_code)
        inside = [zone for zone in zones if region_of_zone(zone) == main]
        _PRIMARY[key] = inside[0] if len(inside) == 1 else None
    return _PRIMARY[key]


@overload
def valid_region(region: str) -> str: ...


@overload
def valid_region(region: None) -> None: ...


def valid_region(region: str | None) -> str | None:
    if region is None:
        return None
    region = region.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidNumber(f"{region!r} is not a region code: send a two-letter ISO code such as 'IN', 'US' or 'GB'")
    return region
