"""Phone numbers to E.164 through libphonenumber, with the reason when a number is refused.

Speed matters here (a list is 100,000 numbers): a number is parsed once and its type computed
once (`number_type` is what `is_valid_number` computes anyway), and the same type gives the
number's time zone without the second type check `timezone.time_zones_for_number` would do.
The common shapes ('+' or national digits with spaces, dashes, dots, parentheses) are read by
`_read_plain_shape`: libphonenumber's own steps for such text, without its generic text
handling; anything else goes through `phonenumbers.parse`. tests/unit/test_phone_fast_path.py
holds the two equal on every region's example numbers in many spellings.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple, overload

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberFormat, PhoneNumberType
from phonenumbers import phonenumberutil as pnu
from phonenumbers.re_util import re_compile

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
    e164, country_code, kind = parsed
    other = None
    if national and other_region:
        other = e164_in_region(text, other_region)
        if other == e164:
            other = None
    return e164, national, _primary_zone(e164, country_code, kind), other


def _short(text: str, limit: int = 40) -> str:
    """A refused number quoted in its reason, cut short: a hostile cell may hold 100 KB."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def to_e164(raw: object, default_region: str | None) -> str:
    return read_number(raw, default_region).e164


def e164_in_region(raw: object, region: str) -> str | None:
    """The number as read in `region` (no other fallback), or None when it is not valid there."""
    parsed = _valid(as_text(raw), region)
    return None if parsed is None else parsed[0]


Valid = tuple[str, int, int]  # E.164, country code, libphonenumber's PhoneNumberType (never UNKNOWN)


def _valid(text: str, region: str | None) -> Valid | None:
    """What phonenumbers.parse, number_type and format_number(E164) say of `text`; None when it is not valid."""
    global _FAST
    if _FAST and len(text) <= 64 and _PLAIN_SHAPE.fullmatch(text):
        try:
            found = _read_plain_shape(text, region)
        except AttributeError:  # a phonenumbers release without these internal steps: parse alone from now on
            _FAST = False
            found = _UNSURE
        except Exception:  # internals that answer in another shape: parse answers this number
            found = _UNSURE
        if found is not _UNSURE:
            return found  # type: ignore[return-value]
    return _valid_by_parse(text, region)


def _valid_by_parse(text: str, region: str | None) -> Valid | None:
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    kind = phonenumbers.number_type(number)  # UNKNOWN exactly when is_valid_number is False
    if kind == PhoneNumberType.UNKNOWN:
        return None
    assert number.country_code is not None  # phonenumbers.parse always sets it
    return phonenumbers.format_number(number, PhoneNumberFormat.E164), number.country_code, kind


# ---- the plain shapes, read by libphonenumber's own steps ---------------------------------------
#
# Text of ASCII digits with spaces, dashes, dots and parentheses, optionally after one '+', ending
# in a digit. For it, phonenumbers.parse finds no extension (every extension form needs a letter,
# '#', ',' or ';'), no RFC 3966 parts, no letters to convert, and its digits are the text's digits;
# what remains of parse is below, step for step, with libphonenumber's own functions. The cases
# that need more of parse (an IDD prefix such as '00', a '+' without a known country code, an
# unusual region code) return _UNSURE and go through parse itself.

_PLAIN_SHAPE = re.compile(r"\+?[0-9(][0-9 ().\-]*[0-9]")
_NOT_DIGITS = str.maketrans("", "", "+ ().-")
_UNSURE = object()
_FAST = True  # turned off for good if libphonenumber's internal steps are not what this code calls
_KEEP_UNSTRIPPED = (pnu.ValidationResult.TOO_SHORT, pnu.ValidationResult.IS_POSSIBLE_LOCAL_ONLY, pnu.ValidationResult.INVALID_LENGTH)


def _read_plain_shape(text: str, region: str | None) -> Valid | None | object:
    digits = text.translate(_NOT_DIGITS)
    if len(digits) < 3 or (region is not None and region not in phonenumbers.SUPPORTED_REGIONS):
        return _UNSURE  # parse's rules for two digits and for odd region codes are not repeated here
    metadata: PhoneMetadata | None
    if text[0] == "+":
        country_code, national = pnu._extract_country_code(digits)  # _maybe_extract_country_code after a '+'
        if country_code == 0:
            return _UNSURE  # parse then reads the digits after the '+' as national ones
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, pnu.region_code_for_country_code(country_code))
    else:
        if region is None:
            return None  # parse: "Missing or invalid default region"
        metadata = PhoneMetadata.metadata_for_region(region, None)
        if metadata is None or metadata.country_code is None:
            return _UNSURE
        idd = metadata.international_prefix
        if idd is not None and re_compile(idd).match(digits):
            return _UNSURE  # written with the region's international prefix ('00', '011'): parse strips it
        country_code, national = metadata.country_code, digits
        own_code = str(country_code)
        if digits.startswith(own_code):  # the country code written without its '+' (_maybe_extract_country_code)
            general = metadata.general_desc
            _, potential, _ = pnu._maybe_strip_national_prefix_carrier_code(digits[len(own_code) :], metadata)
            matches = pnu._match_national_number
            if (not matches(digits, general, False) and matches(potential, general, False)) or pnu._test_number_length(
                digits, metadata
            ) == pnu.ValidationResult.TOO_LONG:
                national = potential
                main = pnu.region_code_for_country_code(country_code)
                if main != region:  # parse then reads on in the main region's metadata (CA -> US)
                    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, main)
    if metadata is None:
        return _UNSURE
    if len(national) < 2:
        return None  # TOO_SHORT_NSN
    _, potential, _ = pnu._maybe_strip_national_prefix_carrier_code(national, metadata)
    if pnu._test_number_length(potential, metadata) not in _KEEP_UNSTRIPPED:
        national = potential
    if not 2 <= len(national) <= pnu._MAX_LENGTH_FOR_NSN:
        return None  # TOO_SHORT_NSN, TOO_LONG
    # The PhoneNumber parse would build: national_number int(national), its leading zeros kept as
    # italian_leading_zero / number_of_leading_zeros, so its national significant number is `national`.
    kind = _type_of(country_code, national)
    return None if kind == PhoneNumberType.UNKNOWN else ("+" + str(country_code) + national, country_code, kind)


def _type_of(country_code: int, national: str) -> int:
    """phonenumbers.number_type of the number (country_code, national significant number)."""
    regions = pnu.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if regions is None:
        return PhoneNumberType.UNKNOWN
    region: str | None = regions[0]
    if len(regions) > 1:  # _region_code_for_number_from_list
        region = None
        for candidate in regions:
            metadata = PhoneMetadata.metadata_for_region(candidate.upper(), None)
            if metadata is None:
                continue
            if metadata.leading_digits is not None:
                if re_compile(metadata.leading_digits).match(national):
                    region = candidate
                    break
            elif _type_helper(national, metadata) != PhoneNumberType.UNKNOWN:
                region = candidate
                break
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)  # type: ignore[arg-type]  # None gives None
    if metadata is None:
        return PhoneNumberType.UNKNOWN
    return _type_helper(national, metadata)


_ORDER = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)


class _Tests(NamedTuple):
    """_number_type_helper's tests of one region for numbers of one length: the patterns whose lengths allow it."""

    general: Any  # compiled pattern, or None: no number of this length is valid
    ordered: list[tuple[int, Any]]  # (type, pattern), premium rate to voicemail
    fixed_line: Any
    mobile: Any
    same_mobile_and_fixed_line_pattern: bool


_TESTS: dict[int, tuple[PhoneMetadata, dict[int, _Tests]]] = {}  # id(metadata) -> (metadata, length -> tests)


def _pattern(number_desc: Any, length: int) -> Any:
    """The compiled pattern of `number_desc` if _is_number_matching_desc could match a number of `length`, else None.

    It cannot when there is no description or no pattern, or when the description lists its
    possible lengths and `length` is not among them.
    """
    if number_desc is None or not number_desc.national_number_pattern:
        return None
    if number_desc.possible_length and length not in number_desc.possible_length:
        return None
    return re_compile(number_desc.national_number_pattern)


def _tests(metadata: PhoneMetadata, length: int) -> _Tests:
    found = _TESTS.get(id(metadata))
    if found is None or found[0] is not metadata:
        found = _TESTS[id(metadata)] = (metadata, {})
    tests = found[1].get(length)
    if tests is None:
        ordered = [(kind, _pattern(getattr(metadata, name), length)) for name, kind in _ORDER]
        tests = found[1][length] = _Tests(
            _pattern(metadata.general_desc, length),
            [(kind, pattern) for kind, pattern in ordered if pattern is not None],
            _pattern(metadata.fixed_line, length),
            _pattern(metadata.mobile, length),
            bool(metadata.same_mobile_and_fixed_line_pattern),
        )
    return tests


def _type_helper(national: str, metadata: PhoneMetadata) -> int:
    """phonenumberutil._number_type_helper: the same tests in the same order, less those its length tests would fail.

    A test there is: the length among the description's possible ones (when it lists any), then
    `_match(..., allow_prefix_match=False)`, which is exactly a full match of its pattern.
    """
    general, ordered, fixed_line, mobile, same = _tests(metadata, len(national))
    if general is None or general.fullmatch(national) is None:
        return PhoneNumberType.UNKNOWN
    for kind, pattern in ordered:
        if pattern.fullmatch(national) is not None:
            return kind
    if fixed_line is not None and fixed_line.fullmatch(national) is not None:
        if same or (mobile is not None and mobile.fullmatch(national) is not None):
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        return PhoneNumberType.FIXED_LINE
    if not same and mobile is not None and mobile.fullmatch(national) is not None:
        return PhoneNumberType.MOBILE
    return PhoneNumberType.UNKNOWN


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
_PREFIX_LENGTHS: dict[int, list[int]] = {}


def _zone_prefix_lengths(country_code: int, table: dict[str, tuple[str, ...]]) -> list[int]:
    """The lengths of the zone table's prefixes a number of this country can start with, longest first.

    Other lengths hold no prefix of its digits, so looking only these up finds the same zones.
    """
    lengths = _PREFIX_LENGTHS.get(country_code)
    if lengths is None:
        code = str(country_code)
        lengths = _PREFIX_LENGTHS[country_code] = sorted({len(key) for key in table if key.startswith(code) or code.startswith(key)}, reverse=True)
    return lengths


def _primary_zone(e164: str, country_code: int, kind: int) -> str | None:
    """libphonenumber's zones for a valid number, reduced to one (what `time_zones_for_number` computes).

    A number placed in several zones keeps the one in its country's main region when there is
    exactly one (+44 mobiles: Europe/London, not Europe/Guernsey); otherwise (US toll-free, Russian
    mobiles) its zone is unknown: nobody can say whether it is night there.
    """
    zones = _zones(e164, country_code, kind)
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


def _zones(e164: str, country_code: int, kind: int) -> tuple[str, ...]:
    """timezone.time_zones_for_number of a valid number, () where it says only Etc/Unknown for want of data."""
    if _TZ is None:
        _load_zone_table()
    table, longest = _TZ  # type: ignore[misc]
    if phonenumbers.is_number_type_geographical(kind, country_code):
        zones: tuple[str, ...] = ()
        limit = min(longest, len(e164) - 1)
        for length in _zone_prefix_lengths(country_code, table):  # longest first, as time_zones_for_number looks them up
            if length <= limit:
                zones = table.get(e164[1 : 1 + length], ())
                if zones:
                    break
    else:
        zones = _COUNTRY_ZONES.get(country_code)  # type: ignore[assignment]
        if zones is None:
            code = str(country_code)
            zones = next((table[code[:n]] for n in range(len(code), 0, -1) if code[:n] in table), ())
            _COUNTRY_ZONES[country_code] = zones
    return zones


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
