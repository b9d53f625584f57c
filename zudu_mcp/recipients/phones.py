"""Phone numbers to E.164 through libphonenumber, with the reason when a number is refused."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

SCIENTIFIC = re.compile(r"^\s*\d(?:\.\d+)?[eE]\+?\d+\s*$")  # Excel shows 919600011957 as 9.19600011957E+11
UNKNOWN_ZONE = "Etc/Unknown"


class InvalidNumber(ValueError):
    pass


def to_e164(raw: object, default_region: str | None) -> str:
    text = _as_text(raw)
    if not text:
        raise InvalidNumber("no phone number in this row")
    candidates = [text]
    digits = re.sub(r"\D", "", text)
    if not text.lstrip().startswith(("+", "00")) and len(digits) >= 10:
        candidates.append("+" + digits)  # an international number typed without its '+'
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, default_region)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if default_region is None and not text.startswith("+"):
        raise InvalidNumber(f"{text!r} has no country code: add one (+91 ...) or set ZUDU_DEFAULT_REGION / default_region")
    where = f" for region {default_region}" if default_region and not text.startswith("+") else ""
    raise InvalidNumber(f"{text!r} is not a valid phone number{where}")


def _as_text(raw: object) -> str:
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


_ZONES_BY_PREFIX: dict[str, tuple[str, ...]] = {}


def zones_of(e164: str) -> tuple[str, ...]:
    """The zones libphonenumber places a number in (several for some countries; none when unknown).

    Cached by the first digits (country and area code): a 100,000-row list has few distinct ones.
    """
    key = e164[:8]
    if key not in _ZONES_BY_PREFIX:
        from phonenumbers import timezone  # lazy: loads a large table

        zones = timezone.time_zones_for_number(phonenumbers.parse(e164))
        _ZONES_BY_PREFIX[key] = tuple(zone for zone in zones if zone != UNKNOWN_ZONE)
    return _ZONES_BY_PREFIX[key]


def valid_region(region: str | None) -> str | None:
    if region is None:
        return None
    region = region.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidNumber(f"{region!r} is not a region code: send a two-letter ISO code such as 'IN', 'US' or 'GB'")
    return region
