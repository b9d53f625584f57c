"""What the words of a scheduling phrase say, before any calendar or zone is applied.

Deterministic rules for the constructs libraries get wrong (relative days, weekdays, "in N
hours", zone words, numeric dates in D/M or M/D) and for the ways people really say a time:
clock idioms ("half past three", "quarter to nine", British "half eight", "17h45"), days by
rule ("second Tuesday of next month", "next working day", "Christmas Eve"), week phrases
("Thursday week", "a fortnight"), chat ("could you ring them tomorrow at 10 please"). The
remaining surface forms of a date go to dateparser, for its wall-clock date only.

Each rule cuts what it read out of the text; what is left must be filler words, else the phrase
is refused. Rare rules are guarded by a substring test and compiled by `re` on first use (its
own cache), so the first phrase of a process does not pay for patterns it never needs.
"""

from __future__ import annotations

import re
from datetime import timedelta, tzinfo

from zudu_mcp.scheduling.calendar_days import HOLIDAYS
from zudu_mcp.scheduling.instants import ordinal
from zudu_mcp.scheduling.patterns import Pattern
from zudu_mcp.scheduling.zones import (
    AMBIGUOUS_ZONE_WORDS,
    FIXED_OFFSET_RE,
    IANA_RE,
    LABEL_OFFSETS,
    ZONE_FIRST_WORDS,
    ZONE_WORD_RE,
    ZONE_WORDS,
    fixed_offset,
    zone,
)

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    name: number
    for number, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
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
ORDINAL_WORD_RE = Pattern(r"\b(?:(twenty|thirty)[- ])?(" + "|".join(ORDINAL_WORDS) + r")\b")
CARDINALS = {
    word: number
    for number, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
    )
} | {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_CARDINAL = "|".join(sorted(CARDINALS, key=len, reverse=True))
CARDINAL_RE = Pattern(rf"\b(twenty|thirty|forty|fifty)[- ](one|two|three|four|five|six|seven|eight|nine)\b|\b({_CARDINAL})\b")
PUNCTUATION = str.maketrans({"!": " ", "?": " ", ";": " ", "(": " ", ")": " ", "\u2019": "'"})
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "twelve": 12}

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_UNIT = r"fortnights?|weeks?|wks?|days?|hours?|hrs?|h|minutes?|mins?|m"
_AMOUNT = r"\d+(?:\.\d+)?|an?|one|two|three|four|five|six|ten|twelve|half an?"
_DURATION = rf"(?:(?:{_AMOUNT})\s*(?:{_UNIT})\b(?:\s*(?:and\s+)?)?)+"

# Said to mean "start calling now": the same refusal as "now", pointing to send_now.
IMMEDIATE_RE = Pattern(
    r"\b(asap|as soon as (?:possible|you can|we can)|straight ?away|immediately|right away|right now|at once|"
    r"this (?:instant|minute)|instantly|without delay|pronto|(?<!from )now)\b"
)
VAGUE_RE = Pattern(
    r"\b(whenever|sometime|some time|soon|eventually|anytime|any time|later|"
    r"next week|this week|next month|this month|later today|end of (?:the )?(?:day|week|month))\b"
)
DURATION_RE = Pattern(
    rf"\b(?:(?P<lead>in|after|within)\s+(?:(?P<about>about|around|roughly|approximately)\s+)?(?P<a>{_DURATION})(?:'?\s*time\b)?"
    rf"|(?P<b>{_DURATION})\s*(?P<tail>from now|later|ago|hence))"
)
DURATION_WORDS = (" in ", "after", "within", " now", "later", " ago", "hence")
DURATION_PART_RE = Pattern(rf"({_AMOUNT})\s*({_UNIT})\b")
RELATIVE_DAY_RE = Pattern(r"\b(day after tomorrow|day before yesterday|tomorrow|tmrw|tmr|tommorow|tomorow|today|tonight|yesterday)\b")
WEEKDAY_RE = Pattern(rf"\b(?:(this coming|this|next week|next|coming|last|upcoming)\s+)?({_WEEKDAY})\b(?:\s+(next week))?")
ISO_DATE_RE = Pattern(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
NUMERIC_DATE_RE = Pattern(r"\b(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{4}|\d{2}))?\b")
DAY_MONTH_RE = Pattern(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\b\.?(?:,?\s*(\d{{4}}))?")
MONTH_DAY_RE = Pattern(rf"\b({_MONTH})\.?\s+(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(\d{{4}}))?")
DAY_OF_MONTH_RE = Pattern(r"\b(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)\b")
TIME_AMPM_RE = Pattern(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)\b")
TIME_24_RE = Pattern(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?(\s*(?:hrs|hours|h)\b)?")
TIME_DOT_RE = Pattern(r"(\b(?:at|@)\s+)?(?<![\d./-])\b(\d{1,2})\.(\d{2})\b(?![./-]\d)")
TIME_HRS_RE = Pattern(r"\b(\d{2})(\d{2})\s*(?:hrs|hours|h)\b")
NAMED_TIME_RE = Pattern(r"\b(noon|midday|midnight)\b")
AT_HOUR_RE = Pattern(r"\b(?:at|@|by|around|about)\s+(\d{1,2})\b(?!\s*[:./-]\d)|\b(\d{1,2})\s*o'clock\b")
DIGIT_RE = Pattern(r"\d")
LONE_NUMBER_RE = Pattern(r"\b(\d{1,2})\b")
PART_OF_DAY_RE = Pattern(r"\b(?:in the |this )?(morning|afternoon|evening|night)\b")

# Rare constructs: each is guarded by a keyword test where it is used.
IDIOM = Pattern(r"(?<!from )(?<!between )\b(?:(\d{1,2})\s+(?:minutes?\s+)?|(quarter|half)\s+)(past|after|to|till|til|before|of)\s+(\d{1,2})\b(?:\s*(am|pm)\b)?")
IDIOM_WORDS = (" past ", " to ", " after ", " til", " before ", " of ")
HALF_HOUR = Pattern(r"\bhalf\s+(\d{1,2})\b(?!\s*(?:hours?|hrs?|h\b|minutes?|mins?|days?|weeks?|:|\.\d))(?:\s*(am|pm)\b)?")
H_NOTATION = Pattern(r"\b(\d{1,2})h(\d{2})\b")
HOUR_AND_MINUTE_WORDS = Pattern(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)[ -](fifteen|thirty|forty[- ]five|o'?clock|oh[ -]five)\b")
MINUTES_TO_WORDS = Pattern(r"\b(five|ten|twenty|twenty[- ]five)\s+(to|till|til|before)\b")
APPROX = Pattern(r"\b(?:at\s+)?(about|around|approximately|approx|roughly|circa)\s+(?=\d)")
APPROX_WORDS = ("about", "around", "approx", "roughly", "circa")
ISH = Pattern(r"\b(\d{1,2}(?::\d{2})?(?:\s*(?:am|pm))?)\s*-?ish\b")
HOLIDAY = Pattern(r"\b(?:on\s+)?(" + "|".join(re.escape(name) for name in sorted(HOLIDAYS, key=len, reverse=True)) + r")\b(?:,?\s+(\d{4})\b)?")
HOLIDAY_WORDS = ("christmas", "xmas", "new year", "boxing", "valentine", "patrick", "halloween", "fourth of july")
MONTH_RULE = Pattern(
    rf"\b(?:on\s+)?(?:the\s+)?(1st|2nd|3rd|4th|5th|last|final)\s+(working day|work day|business day|weekday|day|{_WEEKDAY})\s+"
    rf"(?:of|in)\s+(?:the\s+)?(this month|next month|month|{_MONTH})\b(?:\s+(\d{{4}}))?"
)
DAY_OF_RELATIVE_MONTH = Pattern(r"\b(?:on\s+)?(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\s+of\s+(?:the\s+)?(this|next)\s+month\b")
NEXT_WORKING_DAY = Pattern(r"\b(?:on\s+)?(?:the\s+)?(?:next|following)\s+(?:working|business|work)\s+day\b")
WEEK_ON = Pattern(rf"\b(an?|\d{{1,2}})\s+(days?|weeks?|fortnights?)\s+(?:on\s+|from\s+|after\s+)?(today|tomorrow|{_WEEKDAY})\b")
DAY_WEEK = Pattern(rf"\b(today|tomorrow|{_WEEKDAY})\s+(week|fortnight)\b")
BARE_FORTNIGHT = Pattern(r"(?<!in )\b(?:a|1)\s+fortnight\b")
SAME_TIME = Pattern(r"\b(?:at\s+)?(?:the\s+)?(?:same|this)\s+time\b")
LOCAL_TIME = Pattern(r"\b(?:in\s+)?local\s+time\b")
PLACE_TIME = Pattern(r"\b((?:[a-z][a-z.']*\s+){1,6})(?:time\s*zone|time)\b")
PLACE_IN = Pattern(r"\bin\s+((?:[a-z][a-z.']*(?:\s+|$)){1,6})")

# Words that carry no time: left over after every rule, they are dropped; anything else is refused.
FILLERS = frozenset(
    "at on by the of for from starting start call calls them him her please schedule it around about o'clock hrs @ and "
    "pls plz plse pleas kindly thanks thank thx ty cheers could can would will you u ya ring phone dial contact reach "
    "everyone everybody all us me people ok okay hey hi hello so just then up set book send go out campaign batch "
    "to make sure let's lets".split()
)


class PhraseError(Exception):
    def __init__(self, code: str, message: str, suggestions: list[str] | None = None):
        super().__init__(message)
        self.code, self.message, self.suggestions = code, message, suggestions or []


class Reading:
    """The phrase's parts; None means the phrase did not say.

    The defaults are class attributes: a rule sets only what it read (every value is replaced,
    never mutated in place), and a phrase does not pay for thirty assignments it does not need.
    """

    elapsed: timedelta | None = None  # "in 2 hours" (negative for "ago")
    day_offset: int | None = None  # today 0, tomorrow 1, "in 3 days" 3
    calendar_days: bool = False  # "in 3 days", "a fortnight": keeps the time of day of now
    tomorrow_word: str | None = None  # "tomorrow" said in the small hours may mean the coming morning
    weekday: int | None = None  # Monday 0
    weekday_mode: str = ""  # "", "this", "next", "last", "next week", "after" (days_after days after the coming one)
    days_after: int = 0  # "Thursday week": 7
    date: tuple[int | None, int, int] | None = None  # (year or None, month, day)
    date_swapped: bool = False  # read in the other D/M order because ours was impossible
    day_of_month: int | None = None  # "on the 5th"
    month_rule: tuple[int, str | int, str | int, int | None] | None = None  # (nth or -1, kind, month, year)
    next_working_day: bool = False
    holiday: str | None = None  # "Christmas Eve": its date is in `date`
    week_phrase: str | None = None  # "Thursday week", "a week on Tuesday": shown in the assumption
    time: tuple[int, int] | None = None  # a certain time of day (a.m./p.m. said, or the 24-hour clock)
    time_24h: bool = False  # `time` was written on the 24-hour clock ("04:30", "17h45"): kept, but noted at night
    bare: tuple[int, int] | None = None  # 1-12 with no a.m./p.m.: "4:30", "at 7", "half past three"
    time_said: str | None = None  # the words of the time, for the assumption
    approx: str | None = None  # "about", "around": the time is read as exact, and that is said
    same_time: bool = False  # "same time tomorrow": the current time of day
    part_of_day: str | None = None
    midnight: bool = False
    zone: tzinfo | None = None
    zone_word: str | None = None
    zone_label_offset: timedelta | None = None  # "EST" names UTC-05:00: out of season, the other reading
    zone_candidates: dict[str, str] = {}  # ambiguous word -> readings
    local_word: bool = False  # "local time": the batch zone
    library_date: bool = False  # the date came from dateparser
    words: frozenset[str] = frozenset()  # the normalised phrase's words, for the rules' cheap tests

    @property
    def has_day(self) -> bool:
        return (
            self.day_offset is not None
            or self.weekday is not None
            or self.date is not None
            or self.day_of_month is not None
            or self.month_rule is not None
            or self.next_working_day
        )

    @property
    def has_time(self) -> bool:
        return self.time is not None or self.bare is not None or self.part_of_day is not None or self.midnight or self.same_time


def read_phrase(original: str, date_order: str) -> Reading:
    reading = Reading()
    text = _take_iana_zone(original, reading)
    text = " " + normalise(text) + " "
    reading.words = frozenset(text.replace(",", " ").replace(".", " ").split())
    immediate = IMMEDIATE_RE.search(text)
    if immediate:
        raise PhraseError(
            "vague",
            f"'{immediate.group(1)}' is not a schedule: to call immediately send send_now=true instead of a time; "
            "for a set time give a day and a time, e.g. 'tomorrow at 10am'.",
        )
    text = _take_zone(text, reading)
    text = _take_holiday(text, reading)
    text = _take_month_rule(text, reading)
    text = _take_week_phrase(text, reading)
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
    leftover = " ".join(word for word in text.replace(",", " ").split() if word not in FILLERS)
    if leftover:
        _library_date(leftover, reading)
    if not reading.has_day and not reading.has_time and reading.elapsed is None:
        raise PhraseError("unparseable", f"Could not read a time in {original!r}: send e.g. 'tomorrow at 10am', 'Dec 5 15:00' or an ISO time.")
    return reading


def normalise(text: str) -> str:
    text = text.lower().translate(PUNCTUATION)
    if "." in text:
        text = text.replace("a.m.", "am").replace("p.m.", "pm").replace("a.m", "am").replace("p.m", "pm").replace("a.s.a.p", "asap")
        text = text.strip().rstrip(".")
    if "12 " in text:
        text = text.replace("12 noon", "noon").replace("12 midday", "midday").replace("12 midnight", "midnight")
    if " clock" in text:
        text = text.replace("o' clock", "o'clock").replace("o clock", "o'clock")
    words = set(text.replace("-", " ").split())  # the word rules below run only when their words are there
    if not words.isdisjoint(ORDINAL_WORDS):
        text = ORDINAL_WORD_RE.sub(_ordinal_digits, text)
    if not words.isdisjoint(CARDINALS):
        text = MINUTES_TO_WORDS.sub(r"\1 minutes \2", text)  # "ten to six": minutes said in words, not a range
        text = HOUR_AND_MINUTE_WORDS.sub(_clock_words, text)  # "three thirty" -> 3:30, before "thirty" becomes 30
        text = CARDINAL_RE.sub(_cardinal_digits, text)
    return " ".join(text.split())


def _ordinal_digits(match: re.Match[str]) -> str:
    return ordinal({"twenty": 20, "thirty": 30}.get(match.group(1) or "", 0) + ORDINAL_WORDS[match.group(2)])


def _cardinal_digits(match: re.Match[str]) -> str:
    if match.group(1):
        return str(CARDINALS[match.group(1)] + CARDINALS[match.group(2)])
    return str(CARDINALS[match.group(3)])


def _clock_words(match: re.Match[str]) -> str:
    hour, minutes = CARDINALS[match.group(1)], match.group(2).replace("-", " ")
    if minutes.startswith("o'") or minutes.startswith("oclock"):
        return f"{hour} o'clock"
    return f"{hour}:" + {"fifteen": "15", "thirty": "30", "forty five": "45"}.get(minutes, "05")


def _mentions(text: str, keys: tuple[str, ...]) -> bool:
    """The cheap test before a rule's pattern: does the text hold any of the rule's keywords?"""
    for key in keys:
        if key in text:
            return True
    return False


def _cut(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " + text[match.end() :]


# ---- zones -------------------------------------------------------------------------------


def _take_iana_zone(text: str, reading: Reading) -> str:
    match = IANA_RE.search(text) if "/" in text else None
    if match:
        try:
            reading.zone, reading.zone_word = zone(match.group(1)), match.group(1)
        except (KeyError, ValueError):
            raise PhraseError("unparseable", f"{match.group(1)!r} is not a known time zone: use an IANA name such as 'America/New_York'.") from None
        return _cut(text, match)
    return text


def _take_zone(text: str, reading: Reading) -> str:
    match = FIXED_OFFSET_RE.search(text) if "gmt" in text or "utc" in text else None
    if match:
        try:
            reading.zone = fixed_offset(*match.groups())
        except ValueError as exc:
            raise PhraseError("unparseable", f"{exc}: offsets run from UTC-12:00 to UTC+14:00.") from None
        reading.zone_word = match.group(0).upper().replace(" ", "")
        return _take_place(_cut(text, match), reading)
    match = ZONE_WORD_RE.search(text) if not reading.words.isdisjoint(ZONE_FIRST_WORDS) else None
    if match:
        word = match.group(1)
        if reading.zone is not None:
            raise PhraseError("unparseable", "The phrase names two time zones: keep one.")
        if word in AMBIGUOUS_ZONE_WORDS:
            reading.zone_candidates = AMBIGUOUS_ZONE_WORDS[word]
        else:
            reading.zone, reading.zone_word = zone(ZONE_WORDS[word]), word.upper() if len(word) <= 4 else word.title()
            reading.zone_label_offset = LABEL_OFFSETS.get(word)
        text = _cut(text, match)
    return _take_place(text, reading)


def _take_place(text: str, reading: Reading) -> str:
    """'Chicago time', 'Tokyo timezone', 'in London': place names from the IANA table (places.py)."""
    if " time" in text:
        if (local := LOCAL_TIME.search(text)) is not None:
            reading.local_word = True
            return _cut(text, local)
        for match in PLACE_TIME.finditer(text):
            words = match.group(1).split()
            for count in range(len(words), 0, -1):
                name = " ".join(words[-count:])
                if _try_place(name, reading):
                    start = match.start(1) + len(" ".join(words[:-count])) + (1 if count < len(words) else 0)
                    return text[:start] + " " + text[match.end() :]
    if " in " in text:
        for match in PLACE_IN.finditer(text):
            words = match.group(1).split()
            if words[0] in MONTHS or words[0] in WEEKDAYS or words[0] in ("the", "a", "an", "half", "quarter"):
                continue
            for count in range(len(words), 0, -1):
                if _try_place(" ".join(words[:count]), reading):
                    end = match.start(1) + len(" ".join(words[:count]))
                    return text[: match.start()] + " " + text[end:]
    return text


def _try_place(name: str, reading: Reading) -> bool:
    if name in WEEKDAYS or name in MONTHS or name in RELATIVE_WORDS:
        return False
    from zudu_mcp.scheduling.places import NOT_PLACES, place_zone  # the IANA table loads on the first place name

    if name.split()[0] in NOT_PLACES:
        return False
    found = place_zone(name)
    if found is None:
        return False
    if reading.zone is not None or reading.zone_candidates:
        raise PhraseError("unparseable", f"The phrase names two time zones ({reading.zone_word or 'an abbreviation'} and {name.title()}): keep one.")
    if isinstance(found, dict):
        reading.zone_candidates = found
    else:
        reading.zone, reading.zone_word = zone(found), name.title()
    return True


RELATIVE_WORDS = frozenset({"today", "tomorrow", "tonight", "yesterday", "tmrw", "tmr", "now", "same", "this", "next", "that"})


# ---- days --------------------------------------------------------------------------------


def _take_holiday(text: str, reading: Reading) -> str:
    if not _mentions(text, HOLIDAY_WORDS):
        return text
    match = HOLIDAY.search(text)
    if match is None:
        return text
    month, day, name = HOLIDAYS[match.group(1)]
    reading.date, reading.holiday = (int(match.group(2)) if match.group(2) else None, month, day), name
    return _cut(text, match)


def _take_month_rule(text: str, reading: Reading) -> str:
    """'second Tuesday of next month', 'last working day of the month', 'first Monday in December', 'next working day'."""
    if " day" in text and (match := NEXT_WORKING_DAY.search(text)) is not None:
        reading.next_working_day = True
        return _cut(text, match)
    if " month" in text and (match := DAY_OF_RELATIVE_MONTH.search(text)) is not None:
        reading.month_rule = (int(match.group(1)), "day", f"{match.group(2)} month", None)
        return _cut(text, match)
    if " of " not in text and " in " not in text:
        return text
    match = MONTH_RULE.search(text)
    if match is None:
        return text
    nth = {"last": -1, "final": -1}.get(match.group(1)) or int(match.group(1)[0])
    kind_word = match.group(2)
    kind: str | int = WEEKDAYS[kind_word] if kind_word in WEEKDAYS else "day" if kind_word == "day" else "working"
    month_word = match.group(3)
    month: str | int = MONTHS[month_word] if month_word in MONTHS else "the month" if month_word == "month" else month_word
    reading.month_rule = (nth, kind, month, int(match.group(4)) if match.group(4) else None)
    return _cut(text, match)


def _take_week_phrase(text: str, reading: Reading) -> str:
    """'Thursday week', 'a week on Tuesday', 'a week today', 'Tuesday fortnight', 'a fortnight'."""
    if "week" not in text and "fortnight" not in text and " day" not in text:
        return text
    match = WEEK_ON.search(text)
    if match is not None:
        count, span, base = match.group(1), match.group(2), match.group(3)
    else:
        match = DAY_WEEK.search(text)
        if match is None:
            if (bare := BARE_FORTNIGHT.search(text)) is not None:  # "in a fortnight" is a duration, read below
                reading.day_offset, reading.calendar_days, reading.week_phrase = 14, True, "a fortnight"
                return _cut(text, bare)
            return text
        count, base, span = "1", match.group(1), match.group(2)
    days = (1 if count.startswith("a") else int(count)) * {"d": 1, "w": 7, "f": 14}[span[0]]
    reading.week_phrase = " ".join(word.title() if word in WEEKDAYS else word for word in match.group(0).split())
    if base in ("today", "tomorrow"):
        reading.day_offset = days + (base == "tomorrow")
        reading.calendar_days = base == "today"  # "a week today": from now, so the time of day is kept
    else:
        reading.weekday, reading.weekday_mode, reading.days_after = WEEKDAYS[base], "after", days
    return _cut(text, match)


def _take_duration(text: str, reading: Reading) -> str:
    if not _mentions(text, DURATION_WORDS):
        return text
    match = DURATION_RE.search(text)
    if not match:
        return text
    days = 0.0
    elapsed = timedelta()
    for amount, unit in DURATION_PART_RE.findall(match.group("a") or match.group("b")):
        value = 0.5 if amount.startswith("half") else NUMBER_WORDS.get(amount) or float(amount)
        if unit.startswith("f"):
            days += 14 * value
        elif unit.startswith("w"):
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
    if match.group("about"):
        reading.approx = match.group("about")
    return _cut(text, match)


def _take_relative_day(text: str, reading: Reading) -> str:
    if "to" not in text and "tm" not in text and "yester" not in text:
        return text
    match = RELATIVE_DAY_RE.search(text)
    if not match:
        return text
    word = match.group(1)
    offsets = {"day after tomorrow": 2, "day before yesterday": -2, "today": 0, "tonight": 0, "yesterday": -1}
    reading.day_offset = offsets.get(word, 1)
    reading.tomorrow_word = word if reading.day_offset in (1, 2) else None
    if word == "tonight":
        reading.part_of_day = "tonight"
    return _cut(text, match)


def _take_weekday(text: str, reading: Reading) -> str:
    if reading.words.isdisjoint(WEEKDAYS):
        return text
    match = WEEKDAY_RE.search(text)
    if not match:
        return text
    reading.weekday = WEEKDAYS[match.group(2)]
    mode = match.group(3) or match.group(1) or ""
    reading.weekday_mode = {"this coming": "this", "coming": "this", "upcoming": "this"}.get(mode, mode)
    return _cut(text, match)


def _take_date(text: str, reading: Reading, date_order: str) -> str:
    if not DIGIT_RE.search(text):
        return text
    if (match := ISO_DATE_RE.search(text)) is not None:
        reading.date = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
        return _cut(text, match)
    for pattern, day_group, month_group in ((DAY_MONTH_RE, 1, 2), (MONTH_DAY_RE, 2, 1)):
        if reading.words.isdisjoint(MONTHS):
            break
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
    if "the " in text and (match := DAY_OF_MONTH_RE.search(text)) is not None:
        reading.day_of_month = int(match.group(1))
        return _cut(text, match)
    return text


def _full_year(text: str | None) -> int | None:
    if text is None:
        return None
    return 2000 + int(text) if len(text) == 2 else int(text)


# ---- times -------------------------------------------------------------------------------


def _take_time(text: str, reading: Reading) -> str:
    found: list[tuple[tuple[int, int], str, str]] = []  # ((hour, minute), "ampm" | "24h" | "bare", as said)
    if "ish" in text and (ish := ISH.search(text)) is not None:
        reading.approx = "-ish"
        text = text[: ish.start()] + " at " + ish.group(1) + " " + text[ish.end() :]
    if _mentions(text, APPROX_WORDS) and (approx := APPROX.search(text)) is not None:
        reading.approx = approx.group(1)
        text = text[: approx.start()] + " at " + text[approx.end() :]
    text = _take_clock_idioms(text, found)
    for pattern, key in ((TIME_AMPM_RE, "m"), (TIME_HRS_RE, "h"), (TIME_24_RE, ":")):
        if key not in text:
            continue
        for match in list(pattern.finditer(text)):
            hour, minute = int(match.group(1)), int(match.group(2) or 0)
            said = match.group(0).strip()
            if pattern is TIME_AMPM_RE:
                if not 1 <= hour <= 12 or minute > 59:
                    raise PhraseError("unparseable", f"{match.group(0)!r} is not a time of day: send e.g. '9:30am' or '21:30'.")
                found.append(((hour % 12 + (12 if match.group(3) == "pm" else 0), minute), "ampm", said))
            elif hour > 23 or minute > 59:
                raise PhraseError("unparseable", f"{said!r} is not a time of day: hours run 00-23 and minutes 00-59.")
            else:
                # The 24-hour clock is certain when it says so: 13-23, 00, a leading zero ("09:15"), or "hrs".
                twelve_hour = pattern is TIME_24_RE and 1 <= hour <= 12 and not match.group(1).startswith("0") and not match.group(4)
                found.append(((hour, minute), "bare" if twelve_hour else "24h", said))
            text = text.replace(match.group(0), " ", 1)
    if "." in text:
        text = _take_dotted_time(text, found)
    named = NAMED_TIME_RE.search(text) if "noon" in text or "mid" in text else None
    if named:
        if named.group(1) == "midnight":
            reading.midnight = True
        else:
            found.append(((12, 0), "ampm", named.group(1)))
        text = _cut(text, named)
    if len(found) > 1:
        raise PhraseError("vague", "The phrase holds more than one time of day: send one.")
    if found:
        clock, kind, said = found[0]
        reading.time_said = said
        if kind == "bare":
            reading.bare = clock
        else:
            reading.time, reading.time_24h = clock, kind == "24h"
    if "time" in text and (same := SAME_TIME.search(text)) is not None:
        reading.same_time = True
        text = _cut(text, same)
    return text


def _take_dotted_time(text: str, found: list) -> str:
    """'at 4.30', '4.30', '16.45': a time; but '5.12' alone is a date (5 December), read by the date rules."""
    for match in list(TIME_DOT_RE.finditer(text)):
        at_word, hour_text, minute_text = match.groups()
        hour, minute = int(hour_text), int(minute_text)
        if hour > 23 or minute > 59 or (not at_word and minute <= 12):
            continue
        twelve_hour = 1 <= hour <= 12 and not hour_text.startswith("0")
        found.append(((hour, minute), "bare" if twelve_hour else "24h", f"{hour_text}.{minute_text}"))
        text = text.replace(match.group(0), " ", 1)
    return text


def _take_clock_idioms(text: str, found: list) -> str:
    """'half past 3', 'quarter to 9', '20 past 4', British 'half 8' (08:30), '17h45'."""
    if _mentions(text, IDIOM_WORDS):
        for match in list(IDIOM.finditer(text)):
            minutes_said, fraction, relation, hour = match.group(1), match.group(2), match.group(3), int(match.group(4))
            minutes = {"quarter": 15, "half": 30}[fraction] if fraction else int(minutes_said)
            if fraction == "half" and relation not in ("past", "after"):
                continue
            if relation == "of" and fraction != "quarter":
                continue
            if not fraction and relation not in ("past", "after") and "minute" not in match.group(0):
                continue  # "10 to 11" may be a range; "ten to eleven" (words) is 10:50: normalise marked it "minutes"
            if not fraction and minutes not in (5, 10, 20, 25) and "minute" not in match.group(0):
                continue
            if not 1 <= hour <= 12 or not 1 <= minutes <= 59:
                continue
            if relation in ("past", "after"):
                clock = (hour, minutes)
            else:
                clock = ((hour - 2) % 12 + 1, 60 - minutes)
            if match.group(5):
                clock = (clock[0] % 12 + (12 if match.group(5) == "pm" else 0), clock[1])
            found.append((clock, "ampm" if match.group(5) else "bare", " ".join(match.group(0).split())))
            text = text.replace(match.group(0), " ", 1)
    if "half " in text and (match := HALF_HOUR.search(text)) is not None:
        hour = int(match.group(1))
        if 1 <= hour <= 12:
            clock = (hour, 30)
            if match.group(2):
                clock = (hour % 12 + (12 if match.group(2) == "pm" else 0), 30)
            found.append((clock, "ampm" if match.group(2) else "bare", " ".join(match.group(0).split())))
            text = _cut(text, match)
    if "h" in text and (match := H_NOTATION.search(text)) is not None:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            raise PhraseError("unparseable", f"{match.group(0)!r} is not a time of day: hours run 00-23 and minutes 00-59.")
        found.append(((hour, minute), "24h", match.group(0)))
        text = _cut(text, match)
    return text


def _take_part_of_day(text: str, reading: Reading) -> str:
    if "ing" not in text and "night" not in text and "noon" not in text:  # morning, evening, night, afternoon
        return text
    match = PART_OF_DAY_RE.search(text)
    if match:
        reading.part_of_day = match.group(1)
        return _cut(text, match)
    return text


def _take_bare_hour(text: str, reading: Reading) -> str:
    if reading.time is not None or reading.bare is not None or reading.midnight:
        return text
    match = AT_HOUR_RE.search(text)
    if match is None and (reading.has_day or reading.part_of_day):
        match = LONE_NUMBER_RE.search(text)  # "tomorrow 9": a day is named, so a lone number is its hour
    if match:
        hour = int(match.group(1) or match.group(2))
        if hour > 23:
            raise PhraseError("unparseable", f"{hour} is not an hour of the day: send e.g. '9am' or '21:00'.")
        reading.time_said = str(hour)
        if 1 <= hour <= 12:
            reading.bare = (hour, 0)
        else:
            reading.time, reading.time_24h = (hour, 0), True
        return _cut(text, match)
    return text


def _library_date(leftover: str, reading: Reading) -> None:
    """Surface forms our rules do not cover go to dateparser, trusted only for a calendar date."""
    if reading.has_day and reading.day_offset is None or not re.search(r"[a-z]", leftover):
        raise PhraseError("unparseable", f"Could not read {leftover!r}: send e.g. 'tomorrow at 10am', 'Dec 5 15:00' or an ISO time.")
    import dateparser  # lazy: a second of import time, needed only for unusual phrasings

    parsed = dateparser.parse(leftover, languages=["en"], settings={"PREFER_DATES_FROM": "future", "REQUIRE_PARTS": ["day", "month"]})
    if parsed is None:
        raise PhraseError("unparseable", f"Could not read {leftover!r}: send e.g. 'tomorrow at 10am', 'Dec 5 15:00' or an ISO time.")
    reading.date = (parsed.year if re.search(r"\b\d{4}\b", leftover) else None, parsed.month, parsed.day)
    reading.library_date = True
