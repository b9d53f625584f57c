"""What the words of a scheduling phrase say, before any calendar or zone is applied.

Deterministic rules for the constructs libraries get wrong (relative days, weekdays, "in N
hours", zone words, numeric dates in D/M or M/D); the remaining surface forms of a date
("the first of December") go to dateparser, for its wall-clock date only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo

from zudu_mcp.scheduling.instants import ordinal
from zudu_mcp.scheduling.zones import (
    AMBIGUOUS_ZONE_WORDS,
    FIXED_OFFSET_RE,
    IANA_RE,
    ZONE_WORD_RE,
    ZONE_WORDS,
    fixed_offset,
    zone,
)

MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"), ("dec", "december")],
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    name: number
    for number, names in enumerate(
        [("mon", "monday"), ("tue", "tues", "tuesday"), ("wed", "wednesday"), ("thu", "thur", "thurs", "thursday"),
         ("fri", "friday"), ("sat", "saturday"), ("sun", "sunday")]
    )
    for name in names
}
PARTS_OF_DAY = {"morning": (9, 0), "afternoon": (14, 0), "evening": (18, 0), "night": (20, 0), "tonight": (20, 0)}
ORDINAL_WORDS = {
    word: number
    for number, word in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
        "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split(),
        start=1,
    )
}
ORDINAL_WORD_RE = re.compile(r"\b(?:(twenty|thirty)[- ])?(" + "|".join(ORDINAL_WORDS) + r")\b")
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "twelve": 12}

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_UNIT = r"weeks?|wks?|days?|hours?|hrs?|h|minutes?|mins?|m"
_AMOUNT = r"\d+(?:\.\d+)?|an?|one|two|three|four|five|six|ten|twelve|half an?"
_DURATION = rf"(?:(?:{_AMOUNT})\s*(?:{_UNIT})\b(?:\s*(?:and\s+)?)?)+"

VAGUE_RE = re.compile(
    r"\b(asap|as soon as possible|whenever|sometime|some time|soon|eventually|anytime|any time|later|"
    r"next week|this week|next month|this month|later today|end of (?:the )?(?:day|week|month))\b"
)
NOW_RE = re.compile(r"^(?:right\s+)?now$|^immediately$")
DURATION_RE = re.compile(
    rf"\b(?:(?P<lead>in|after|within)\s+(?P<a>{_DURATION})|(?P<b>{_DURATION})\s*(?P<tail>from now|later|ago|hence))"
)
DURATION_PART_RE = re.compile(rf"({_AMOUNT})\s*({_UNIT})\b")
RELATIVE_DAY_RE = re.compile(r"\b(day after tomorrow|day before yesterday|tomorrow|tmrw|tmr|tommorow|tomorow|today|tonight|yesterday)\b")
WEEKDAY_RE = re.compile(rf"\b(?:(this coming|this|next week|next|coming|last|upcoming)\s+)?({_WEEKDAY})\b(?:\s+(next week))?")
ISO_DATE_RE = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
NUMERIC_DATE_RE = re.compile(r"\b(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{4}|\d{2}))?\b")
DAY_MONTH_RE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\b\.?(?:,?\s*(\d{{4}}))?")
MONTH_DAY_RE = re.compile(rf"\b({_MONTH})\.?\s+(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(\d{{4}}))?")
DAY_OF_MONTH_RE = re.compile(r"\b(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)\b")
TIME_AMPM_RE = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)\b")
TIME_24_RE = re.compile(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*(?:hrs|hours|h)\b)?")
TIME_HRS_RE = re.compile(r"\b(\d{2})(\d{2})\s*(?:hrs|hours|h)\b")
NAMED_TIME_RE = re.compile(r"\b(noon|midday|midnight)\b")
AT_HOUR_RE = re.compile(r"\b(?:at|@|by|around)\s+(\d{1,2})\b(?!\s*[:./-]\d)")
LONE_NUMBER_RE = re.compile(r"\b(\d{1,2})\b")
PART_OF_DAY_RE = re.compile(r"\b(?:in the |this )?(morning|afternoon|evening|night)\b")
FILLER_RE = re.compile(r"\b(at|on|by|the|of|for|from|starting|start|call|calls|them|him|her|please|schedule|it|around|o'?clock|hrs|@|and)\b")


class PhraseError(Exception):
    def __init__(self, code: str, message: str, suggestions: list[str] | None = None):
        super().__init__(message)
        self.code, self.message, self.suggestions = code, message, suggestions or []


@dataclass
class Reading:
    """The phrase's parts; None means the phrase did not say."""

    elapsed: timedelta | None = None  # "in 2 hours" (negative for "ago")
    day_offset: int | None = None  # today 0, tomorrow 1, "in 3 days" 3
    calendar_days: bool = False  # "in 3 days": keeps the time of day of now
    weekday: int | None = None  # Monday 0
    weekday_mode: str = ""  # "", "this", "next", "last", "next week"
    date: tuple[int | None, int, int] | None = None  # (year or None, month, day)
    date_swapped: bool = False  # read in the other D/M order because ours was impossible
    day_of_month: int | None = None  # "on the 5th"
    time: tuple[int, int] | None = None
    bare_hour: int | None = None  # "at 7": a.m. or p.m. not said
    part_of_day: str | None = None
    midnight: bool = False
    zone: tzinfo | None = None
    zone_word: str | None = None
    zone_candidates: dict[str, str] = field(default_factory=dict)  # ambiguous abbreviation -> readings
    library_date: bool = False  # the date came from dateparser

    @property
    def has_day(self) -> bool:
        return any(x is not None for x in (self.day_offset, self.weekday, self.date, self.day_of_month))

    @property
    def has_time(self) -> bool:
        return self.time is not None or self.bare_hour is not None or self.part_of_day is not None or self.midnight


def read_phrase(original: str, date_order: str) -> Reading:
    reading = Reading()
    text = _take_iana_zone(original, reading)
    text = " " + normalise(text) + " "
    if NOW_RE.match(text.strip()):
        raise PhraseError("vague", "'now' is not a schedule: to call immediately send send_now=true instead of a time.")
    text = _take_zone(text, reading)
    text = _take_duration(text, reading)
    text = _take_weekday(text, reading)  # before the vague words: "next week Tuesday" is exact
    if " or " in text:
        raise PhraseError("vague", "The phrase offers more than one time: pick one, e.g. 'tomorrow at 9am'.")
    vague = VAGUE_RE.search(text)
    if vague:
        raise PhraseError(
            "vague",
            f"'{vague.group(1)}' does not name a moment: give a day and a time, e.g. 'tomorrow at 10am' or 'Monday 14:00'.",
        )
    text = _take_relative_day(text, reading)
    text = _take_time(text, reading)
    text = _take_date(text, reading, date_order)
    text = _take_part_of_day(text, reading)
    text = _take_bare_hour(text, reading)
    leftover = " ".join(FILLER_RE.sub(" ", text).replace(",", " ").split())
    if leftover:
        _library_date(leftover, reading)
    if not reading.has_day and not reading.has_time and reading.elapsed is None:
        raise PhraseError("unparseable", f"Could not read a time in {original!r}: send e.g. 'tomorrow at 10am', 'Dec 5 15:00' or an ISO time.")
    return reading


def normalise(text: str) -> str:
    text = text.lower().replace("a.m.", "am").replace("p.m.", "pm").replace("a.m", "am").replace("p.m", "pm")
    text = re.sub(r"[!?;]", " ", text).strip().rstrip(".")
    text = ORDINAL_WORD_RE.sub(_ordinal_digits, text)
    return " ".join(text.split())


def _ordinal_digits(match: re.Match[str]) -> str:
    return ordinal({"twenty": 20, "thirty": 30}.get(match.group(1) or "", 0) + ORDINAL_WORDS[match.group(2)])


def _cut(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " + text[match.end():]


def _take_iana_zone(text: str, reading: Reading) -> str:
    match = IANA_RE.search(text)
    if match:
        try:
            reading.zone, reading.zone_word = zone(match.group(1)), match.group(1)
        except (KeyError, ValueError):
            raise PhraseError("unparseable", f"{match.group(1)!r} is not a known time zone: use an IANA name such as 'America/New_York'.") from None
        return _cut(text, match)
    return text


def _take_zone(text: str, reading: Reading) -> str:
    match = FIXED_OFFSET_RE.search(text)
    if match:
        try:
            reading.zone = fixed_offset(*match.groups())
        except ValueError as exc:
            raise PhraseError("unparseable", f"{exc}: offsets run from UTC-12:00 to UTC+14:00.") from None
        reading.zone_word = match.group(0).upper().replace(" ", "")
        return _cut(text, match)
    match = ZONE_WORD_RE.search(text)
    if not match:
        return text
    word = match.group(1)
    if reading.zone is not None:
        raise PhraseError("unparseable", "The phrase names two time zones: keep one.")
    if word in AMBIGUOUS_ZONE_WORDS:
        reading.zone_candidates = AMBIGUOUS_ZONE_WORDS[word]
    else:
        reading.zone, reading.zone_word = zone(ZONE_WORDS[word]), word.upper() if len(word) <= 4 else word.title()
    return _cut(text, match)


def _take_duration(text: str, reading: Reading) -> str:
    match = DURATION_RE.search(text)
    if not match:
        return text
    days = 0.0
    elapsed = timedelta()
    for amount, unit in DURATION_PART_RE.findall(match.group("a") or match.group("b")):
        value = 0.5 if amount.startswith("half") else NUMBER_WORDS.get(amount) or float(amount)
        if unit.startswith("w"):
            days += 7 * value
        elif unit.startswith("d"):
            days += value
        elif unit.startswith("h"):
            elapsed += timedelta(hours=value)
        else:
            elapsed += timedelta(minutes=value)
    sign = -1 if match.group("tail") == "ago" else 1
    if days and elapsed:
        elapsed += timedelta(days=days)  # "1 day 2 hours": all elapsed time
        days = 0
    if days:
        if days != int(days):
            raise PhraseError("vague", "Give whole days, or hours: e.g. 'in 2 days at 10am' or 'in 36 hours'.")
        reading.day_offset, reading.calendar_days = sign * int(days), True
    else:
        reading.elapsed = sign * elapsed
    return _cut(text, match)


def _take_relative_day(text: str, reading: Reading) -> str:
    match = RELATIVE_DAY_RE.search(text)
    if not match:
        return text
    word = match.group(1)
    offsets = {"day after tomorrow": 2, "day before yesterday": -2, "today": 0, "tonight": 0, "yesterday": -1}
    reading.day_offset = offsets.get(word, 1)
    if word == "tonight":
        reading.part_of_day = "tonight"
    return _cut(text, match)


def _take_time(text: str, reading: Reading) -> str:
    found: list[tuple[int, int]] = []
    for pattern in (TIME_AMPM_RE, TIME_HRS_RE, TIME_24_RE):
        for match in list(pattern.finditer(text)):
            hour, minute = int(match.group(1)), int(match.group(2) or 0)
            if pattern is TIME_AMPM_RE:
                if not 1 <= hour <= 12 or minute > 59:
                    raise PhraseError("unparseable", f"{match.group(0)!r} is not a time of day: send e.g. '9:30am' or '21:30'.")
                hour = hour % 12 + (12 if match.group(3) == "pm" else 0)
            elif hour > 23 or minute > 59:
                raise PhraseError("unparseable", f"{match.group(0).strip()!r} is not a time of day: hours run 00-23 and minutes 00-59.")
            found.append((hour, minute))
            text = text.replace(match.group(0), " ", 1)
    named = NAMED_TIME_RE.search(text)
    if named:
        if named.group(1) == "midnight":
            reading.midnight = True
        else:
            found.append((12, 0))
        text = _cut(text, named)
    if len(found) > 1:
        raise PhraseError("vague", "The phrase holds more than one time of day: send one.")
    if found:
        reading.time = found[0]
    return text


def _take_weekday(text: str, reading: Reading) -> str:
    match = WEEKDAY_RE.search(text)
    if not match:
        return text
    reading.weekday = WEEKDAYS[match.group(2)]
    mode = match.group(3) or match.group(1) or ""
    reading.weekday_mode = {"this coming": "this", "coming": "this", "upcoming": "this"}.get(mode, mode)
    return _cut(text, match)


def _take_date(text: str, reading: Reading, date_order: str) -> str:
    if (match := ISO_DATE_RE.search(text)) is not None:
        reading.date = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
        return _cut(text, match)
    for pattern, day_group, month_group in ((DAY_MONTH_RE, 1, 2), (MONTH_DAY_RE, 2, 1)):
        if (match := pattern.search(text)) is not None:
            year = int(match.group(3)) if match.group(3) else None
            reading.date = (year, MONTHS[match.group(month_group)], int(match.group(day_group)))
            return _cut(text, match)
    if (match := NUMERIC_DATE_RE.search(text)) is not None:
        first, second = int(match.group(1)), int(match.group(3))
        year = _full_year(match.group(4))
        day, month = (first, second) if date_order == "DMY" else (second, first)
        if not 1 <= month <= 12 and 1 <= day <= 12 and 1 <= month <= 31:
            day, month = month, day  # impossible in our order, possible in the other: say so
            reading.date_swapped = True
        reading.date = (year, month, day)
        return _cut(text, match)
    if (match := DAY_OF_MONTH_RE.search(text)) is not None:
        reading.day_of_month = int(match.group(1))
        return _cut(text, match)
    return text


def _full_year(text: str | None) -> int | None:
    if text is None:
        return None
    return 2000 + int(text) if len(text) == 2 else int(text)


def _take_part_of_day(text: str, reading: Reading) -> str:
    match = PART_OF_DAY_RE.search(text)
    if match:
        reading.part_of_day = match.group(1)
        return _cut(text, match)
    return text


def _take_bare_hour(text: str, reading: Reading) -> str:
    if reading.time is not None or reading.midnight:
        return text
    match = AT_HOUR_RE.search(text)
    if match is None and (reading.has_day or reading.part_of_day):
        match = LONE_NUMBER_RE.search(text)  # "tomorrow 9": a day is named, so a lone number is its hour
    if match:
        hour = int(match.group(1))
        if hour > 23:
            raise PhraseError("unparseable", f"{hour} is not an hour of the day: send e.g. '9am' or '21:00'.")
        reading.bare_hour = hour
        return _cut(text, match)
    return text


def _library_date(leftover: str, reading: Reading) -> None:
    """Surface forms our rules do not cover go to dateparser, trusted only for a calendar date."""
    if reading.date is not None or reading.weekday is not None or reading.day_of_month is not None or not re.search(r"[a-z]", leftover):
        raise PhraseError("unparseable", f"Could not read {leftover!r}: send e.g. 'tomorrow at 10am', 'Dec 5 15:00' or an ISO time.")
    import dateparser  # lazy: a second of import time, needed only for unusual phrasings

    parsed = dateparser.parse(leftover, languages=["en"], settings={"PREFER_DATES_FROM": "future", "REQUIRE_PARTS": ["day", "month"]})
    if parsed is None:
        raise PhraseError("unparseable", f"Could not read {leftover!r}: send e.g. 'tomorrow at 10am', 'Dec 5 15:00' or an ISO time.")
    reading.date = (parsed.year if re.search(r"\b\d{4}\b", leftover) else None, parsed.month, parsed.day)
    reading.library_date = True
