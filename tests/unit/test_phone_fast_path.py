"""The plain-shape reader gives exactly libphonenumber's answer (parse, number_type, format E.164).

`phones._valid` reads the common shapes itself, with libphonenumber's own steps; everything else
goes through `phonenumbers.parse`. Here both are run on every supported region's example numbers
in many spellings (international, national, trunk prefix, IDD prefixes, formatting characters,
extensions, letters, too short, too long, leading zeros) and on random text of the plain shape,
each read in several regions: there must be no difference at all.
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from zudu_mcp.recipients import phones

TYPES = [value for name, value in vars(PhoneNumberType).items() if name.isupper() and isinstance(value, int) and value != PhoneNumberType.UNKNOWN]
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


def examples() -> list[tuple[str, phonenumbers.PhoneNumber]]:
    found = []
    for region in REGIONS:
        for kind in TYPES:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                found.append((region, number))
        invalid = phonenumbers.invalid_example_number(region)
        if invalid is not None:
            found.append((region, invalid))
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            found.append(("001", number))
    return found


def spellings(number: phonenumbers.PhoneNumber) -> list[str]:
    """One number written the ways lists write it, and the near misses."""
    code, nsn = str(number.country_code), phonenumbers.national_significant_number(number)
    international = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    written = [
        f"+{code}{nsn}",
        international,
        national,
        phonenumbers.format_number(number, PhoneNumberFormat.RFC3966),
        nsn,
        "0" + nsn,
        "00" + nsn,
        "1" + nsn,
        "8" + nsn,
        code + nsn,
        code + "0" + nsn,
        f"+{code}0{nsn}",
        f"+{code} (0) {nsn}",
        f"00{code}{nsn}",
        f"011{code}{nsn}",
        f"810{code}{nsn}",
        f"+00{code}{nsn}",
        f"+0{nsn}",
        f"+{nsn}",
        international.replace(" ", "-"),
        international.replace(" ", "."),
        international.replace(" ", ""),
        national.replace(" ", "-"),
        national.replace(" ", "."),
        f"({nsn[:3]}) {nsn[3:6]}-{nsn[6:]}",
        f"+{code} ({nsn[:3]}) {nsn[3:]}",
        f"{national} ext. 123",
        f"{international} x12",
        f"{national};ext=7",
        f"{national} #",
        f"+{code}{nsn[:-1]}",
        nsn[:-1],
        "0" + nsn[:-1],
        f"+{code}{nsn}1",
        nsn + "1",
        "0" + nsn + "1",
        f"+{code}{nsn}12345678",
        f"+{code}{'0' * 3}{nsn}",
        "0" * 3 + nsn,
        f"+{code}{nsn[:2]}",
        nsn[:2],
        nsn[:3],
        f"+{code} {nsn[:2]}ABC{nsn[2:]}",
        f"Tel: {international}",
        f"{international} ",
        f"+{code}({nsn})",
        f"+ {code} {nsn}",
        f"++{code}{nsn}",
        f"+{code}--{nsn}",
        f"{nsn})",
        f"({nsn}",
    ]
    return list(dict.fromkeys(written))


def taken(text: str, region: str | None) -> bool:
    """The plain-shape reader gave its own answer (it did not hand the text to parse)."""
    return len(text) <= 64 and phones._PLAIN_SHAPE.fullmatch(text) is not None and phones._read_plain_shape(text, region) is not phones._UNSURE


def floor_answer(text: str, region: str | None) -> str | None:
    """The benchmark's floor: parse, is_valid_number, format_number(E164)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164) if phonenumbers.is_valid_number(number) else None


OTHER_READERS = (None, "IN", "US", "IT", "GB", "BR", "RU")
CORE = 12  # the first spellings (E.164, international, national, RFC 3966, trunk and IDD forms) are read for every number


def test_every_region_example_in_every_spelling() -> None:
    """Every example number: its core spellings and a rotating third of the others, read in its own region and one other.

    About 80,000 readings (2-3 s): every spelling is read for every region's numbers of some type.
    """
    found = examples()
    assert len(found) > 1_000
    differences, fast, total = [], 0, 0
    for i, (region, number) in enumerate(found):
        own = region if region != "001" else None
        other = REGIONS[i % len(REGIONS)] if i % 2 else OTHER_READERS[i // 2 % len(OTHER_READERS)]
        for j, text in enumerate(spellings(number)):
            if j >= CORE and (i + j) % 3:
                continue
            for reader in dict.fromkeys((own, other)):
                total += 1
                if phones._valid(text, reader) != phones._valid_by_parse(text, reader):
                    differences.append((text, reader, phones._valid(text, reader), phones._valid_by_parse(text, reader)))
                if total % 7 == 0:
                    fast += 7 * taken(text, reader)
    assert not differences[:20], f"{len(differences)} differences"
    assert fast > total // 3, (fast, total)  # the plain-shape reader really answers, it does not decline everything


def test_random_plain_text_in_many_regions() -> None:
    draw = random.Random(15)
    alphabet = "0123456789" * 3 + " ().-"
    differences, fast = [], 0
    for i in range(10_000):
        body = "".join(draw.choice(alphabet) for _ in range(draw.randint(1, 18)))
        text = ("+" if i % 2 else "") + body
        region = (None, "IN", "US", "GB", "IT", "DE", "BR", "RU", "CA", "AR", "MX", "CN", REGIONS[i % len(REGIONS)])[i % 13]
        fast += taken(text, region)
        if phones._valid(text, region) != phones._valid_by_parse(text, region):
            differences.append((text, region, phones._valid(text, region), phones._valid_by_parse(text, region)))
    assert not differences[:20], f"{len(differences)} differences"
    assert fast > 2_500, fast


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("+91 96000 11957", "IN"),
        ("096000 11957", "IN"),
        ("9600011957", "IN"),
        ("919600011957", "IN"),
        ("+1 415 555 0123", "IN"),
        ("(415) 555-0123", "US"),
        ("1 415 555 0123", "US"),
        ("+39 06 6982 1234", None),
        ("06 6982 1234", "IT"),
        ("+39 312 345 6789", "IT"),
        ("+44 7400 123456", "GB"),
        ("07400 123456", "GB"),
        ("+7 912 345-67-89", "RU"),
        ("8 912 345-67-89", "RU"),
        ("+54 9 11 2345-6789", "AR"),
        ("011 15-2345-6789", "AR"),
        ("+52 1 55 1234 5678", "MX"),
        ("+800 1234 5678", None),
        ("+1 800 555 0199", "CA"),
        ("0049 30 123456", "IN"),
    ],
)
def test_known_shapes_agree_with_the_floor(text: str, region: str | None) -> None:
    """The reader's E.164 is the floor's (parse, is_valid_number, format_number) for numbers lists really hold."""
    ours = phones._valid(text, region)
    assert (ours[0] if ours else None) == floor_answer(text, region)
    assert ours == phones._valid_by_parse(text, region)


def test_zones_are_libphonenumbers() -> None:
    """The zone lookup (only the prefix lengths a country has) finds what timezone.time_zones_for_number finds."""
    from phonenumbers import timezone

    draw = random.Random(7)
    checked = 0
    for _, number in examples():
        code, nsn = number.country_code, phonenumbers.national_significant_number(number)
        for variant in (
            [nsn]
            + ["".join(draw.choice("0123456789") for _ in nsn[:-1]) for _ in range(4)]
            + [nsn[:3] + "".join(draw.choice("0123456789") for _ in nsn[3:]) for _ in range(4)]
        ):
            found = phones._valid(f"+{code}{variant}", None)
            if found is None:
                continue
            e164, country_code, kind = found
            checked += 1
            assert (phones._zones(e164, country_code, kind) or (phones.UNKNOWN_ZONE,)) == timezone.time_zones_for_number(phonenumbers.parse(e164)), e164
    assert checked > 2_000, checked


def test_a_phonenumbers_release_without_these_internals_falls_back_to_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phones, "_FAST", True)
    monkeypatch.setattr(phones, "pnu", SimpleNamespace())  # none of the internal steps this code calls
    assert phones._valid("+91 96000 11957", None) == ("+919600011957", 91, PhoneNumberType.MOBILE)
    assert phones._FAST is False  # and from then on parse alone
