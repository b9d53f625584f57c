"""The scheduling policy: exact when certain, echoed always, refused when in doubt.

Machine formats first (ISO 8601, Unix ms or s), then the phrase rules of phrases.py. Relative
words are read in the batch zone's calendar; wall clocks are localised with zoneinfo, and a
time skipped or repeated by DST is refused, never shifted. All comparisons happen in UTC.

A time said without a.m./p.m. is never read silently outside calling hours (08:00-21:00 in the
zone of the clock) when the other reading is inside them: the plausible reading is chosen, the
other is offered, and the choice is said.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from zudu_mcp.scheduling.calendar_days import MONTH_NAMES, add_months, next_working_day, nth_in_month
from zudu_mcp.scheduling.instants import describe_instant, format_offset, humanize_duration, ordinal
from zudu_mcp.scheduling.records import Record
from zudu_mcp.scheduling.zones import default_date_order, zone_label

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing on the first phrase
if TYPE_CHECKING:
    from zudu_mcp.scheduling.phrases import Reading

DEFAULT_HORIZON_DAYS = 90
ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$", re.I)
PARTS_OF_DAY = {"morning": 9, "afternoon": 14, "evening": 18, "night": 20, "tonight": 20}
WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
CALLING_HOURS = (time(8, 0), time(21, 0))  # a bare time is never silently read outside these
CALLING_HOURS_TEXT = "calling hours, 08:00-21:00"
SMALL_HOURS_END = 5  # "tomorrow" said before 05:00 may mean the coming morning


class ScheduledTime(Record):
    """A resolved instant, in every form a person or a model may need."""

    __slots__ = ("input", "unix_ms", "utc", "local_iso", "local", "timezone", "relative", "assumptions", "alternatives", "read_back", "ok")

    def __init__(
        self,
        input: str,
        unix_ms: int,
        utc: str,
        local_iso: str,
        local: str,
        timezone: str,
        relative: str,
        assumptions: list[str] | None = None,
        alternatives: list[str] | None = None,
        read_back: bool = True,
        ok: bool = True,
    ):
        self.input, self.unix_ms, self.utc, self.local_iso, self.local = input, unix_ms, utc, local_iso, local
        self.timezone, self.relative = timezone, relative
        self.assumptions = [] if assumptions is None else assumptions  # each a sentence for the person
        self.alternatives = [] if alternatives is None else alternatives  # ISO strings that can be sent back as is
        self.read_back, self.ok = read_back, ok


class ScheduleRefusal(Record):
    """Why a phrase was not turned into an instant, and what to send instead."""

    __slots__ = ("input", "code", "message", "suggestions", "ok")

    def __init__(self, input: str, code: str, message: str, suggestions: list[str] | None = None, ok: bool = False):
        self.input = input
        # past, beyond_horizon, needs_time, vague, unparseable, invalid_date, date_order, ambiguous_timezone, dst_gap, dst_fold
        self.code = code
        self.message = message
        self.suggestions = [] if suggestions is None else suggestions
        self.ok = ok

    def explain(self) -> list[str]:
        lines = [f"Could not schedule {self.input!r} ({self.code}): {self.message}"]
        if self.suggestions:
            lines.append("Suggestions: " + "; ".join(self.suggestions))
        return lines


class Said:
    """One phrase to place: the words, when they were said, how numeric dates read, how far ahead is believable."""

    __slots__ = ("text", "now", "order", "horizon_days")

    def __init__(self, text: str, now: datetime, order: str, horizon_days: int):
        self.text, self.now, self.order, self.horizon_days = text, now, order, horizon_days

    def too_far(self, instant: datetime) -> bool:
        return instant - self.now > timedelta(days=self.horizon_days)


class Refused(Exception):
    def __init__(self, code: str, message: str, suggestions: list[str] | None = None):
        super().__init__(message)
        self.code, self.message, self.suggestions = code, message, suggestions or []


def resolve_schedule(
    text: str,
    timezone: str,
    *,
    now: datetime | None = None,
    date_order: str | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> ScheduledTime | ScheduleRefusal:
    """Turn what a person said (or an ISO time, or Unix ms) into one instant, or refuse with a fix."""
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    text = "" if text is None else str(text)
    zone = ZoneInfo(timezone)
    order = (date_order or default_date_order(timezone)).upper()
    if order not in ("DMY", "MDY"):
        return ScheduleRefusal(text, "date_order", f"date_order must be 'DMY' or 'MDY', not {date_order!r}.")
    try:
        instant, assumptions, alternatives, exact = _resolve(Said(text.strip(), now, order, horizon_days), zone)
        _check_window(text, instant, zone, now, horizon_days)
    except Refused as refusal:
        return ScheduleRefusal(text, refusal.code, refusal.message, refusal.suggestions)
    described = describe_instant(int(instant.timestamp() * 1000), timezone, now)
    return ScheduledTime(
        input=text,
        unix_ms=described.unix_ms,
        utc=described.utc,
        local_iso=described.local_iso,
        local=described.local,
        timezone=timezone,
        relative=described.relative,
        assumptions=assumptions,
        alternatives=list(dict.fromkeys(iso(a, zone) for a in alternatives if a > now and a != instant)),
        read_back=not exact or bool(assumptions),
    )


def iso(instant: datetime, zone: tzinfo) -> str:
    return instant.astimezone(zone).isoformat(timespec="seconds")


def _resolve(said: Said, zone: ZoneInfo) -> tuple[datetime, list[str], list[datetime], bool]:
    text = said.text
    if not text or text.lower() in ("none", "null"):
        raise Refused("unparseable", "No time was given: send e.g. 'tomorrow at 10am', 'Dec 5 15:00' or '2026-12-05T15:00+05:30'.")
    if text.isdigit():
        return _unix(text)
    match = ISO_RE.match(text)
    if match:
        return _iso(match, text, zone)
    from zudu_mcp.scheduling.phrases import PhraseError, read_phrase  # its regexes compile on the first phrase, not at start-up

    try:
        reading = read_phrase(text, said.order)
    except PhraseError as exc:
        raise Refused(exc.code, exc.message, exc.suggestions) from None
    return _from_reading(said, reading, zone)


def _unix(text: str) -> tuple[datetime, list[str], list[datetime], bool]:
    if len(text) == 13:
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC), [], [], True
    if len(text) == 10:
        instant = datetime.fromtimestamp(int(text), tz=UTC)
        return instant, [f"{text} read as Unix seconds (Zudu takes milliseconds: {text}000)."], [], False
    if len(text) <= 4:
        raise Refused("unparseable", f"{text!r} alone is not a time: say e.g. 'today at {text}:00' or 'tomorrow {text}am'.")
    raise Refused(
        "unparseable",
        f"{text!r} is neither Unix milliseconds (13 digits) nor Unix seconds (10 digits): send e.g. 'tomorrow at 10am' or an ISO time.",
    )


def _iso(match: re.Match[str], text: str, zone: ZoneInfo) -> tuple[datetime, list[str], list[datetime], bool]:
    year, month, day, hour, minute, second, offset = match.groups()
    if hour is None:
        raise Refused("needs_time", f"{text!r} is a date without a time of day: add one, e.g. '{text} 10:00'.", [f"{text}T10:00"])
    try:
        wall = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError as exc:
        raise Refused("invalid_date", f"{text!r} is not a real date and time ({exc}): check the month, day and hour.") from None
    if offset:
        parsed = datetime.fromisoformat(re.sub(r"(?i)\s*(Z|UTC)$", "+00:00", text.replace(" ", "T", 1).replace(" ", "")))
        return parsed.astimezone(UTC), [], [], True
    return localize(wall, zone), [f"No offset given: read in {zone.key}."], [], False


def localize(wall: datetime, zone: tzinfo) -> datetime:
    """Wall clock -> instant; a time that DST skips or repeats is refused with both neighbouring readings."""
    early, late = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    if early.utcoffset() == late.utcoffset():
        return early.astimezone(UTC)
    label = zone_label(zone)
    if early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        before, after = late.astimezone(UTC).astimezone(zone), early.astimezone(UTC).astimezone(zone)
        raise Refused(
            "dst_gap",
            f"{wall:%a %d %b %Y %H:%M} does not exist in {label}: clocks jump forward that night. "
            f"Choose {before:%H:%M} ({before.isoformat()}) or {after:%H:%M} ({after.isoformat()}).",
            [before.isoformat(timespec="seconds"), after.isoformat(timespec="seconds")],
        )
    raise Refused(
        "dst_fold",
        f"{wall:%a %d %b %Y %H:%M} happens twice in {label}: clocks go back that night. "
        f"Send it with its offset: {early.isoformat(timespec='seconds')} (first) or {late.isoformat(timespec='seconds')} (second).",
        [early.isoformat(timespec="seconds"), late.isoformat(timespec="seconds")],
    )


def _check_window(text: str, instant: datetime, zone: ZoneInfo, now: datetime, horizon_days: int) -> None:
    if instant <= now:
        local = instant.astimezone(zone)
        raise Refused(
            "past",
            f"{text!r} means {local:%a %d %b %Y, %H:%M} {local.tzname()} ({iso(instant, zone)}), "
            f"{humanize_duration(int((now - instant).total_seconds()))} ago. Send a time in the future.",
        )
    if instant - now > timedelta(days=horizon_days):
        local = instant.astimezone(zone)
        raise Refused(
            "beyond_horizon",
            f"{text!r} means {local:%a %d %b %Y, %H:%M} {local.tzname()} ({iso(instant, zone)}), more than {horizon_days} days "
            "away, which is likely a misreading. If it is right, send that instant as trigger_timestamp in Unix milliseconds.",
            [iso(instant, zone)],
        )


# ---- phrases -----------------------------------------------------------------------------


def _from_reading(said: Said, reading: Reading, calendar: ZoneInfo):
    if reading.zone_candidates:
        _refuse_ambiguous_zone(said, reading, calendar)
    instant, assumptions, alternatives = _place(said, reading, calendar)
    target = reading.zone or calendar
    if reading.local_word:
        assumptions.append(f"'local time' read as {calendar.key}, the batch's time zone.")
    if reading.zone is not None and zone_label(target) != calendar.key:
        there = instant.astimezone(target)
        assumptions.append(
            f"Read in {reading.zone_word} ({zone_label(target)}): {there:%a %d %b %Y, %H:%M} there; relative days counted in {calendar.key}'s calendar."
        )
        if reading.date is None and (reading.has_day or reading.has_time):
            try:
                other = _place(said, reading, target)[0]  # the other calendar's "tomorrow"
                if other != instant:
                    alternatives.append(other)
                    assumptions.append(f"Counted in {zone_label(target)}'s own calendar it would be {iso(other, target)}.")
            except Refused:
                pass
    if reading.zone_label_offset is not None:
        _out_of_season(said, reading, calendar, instant, assumptions, alternatives)
    if reading.approx:
        if reading.elapsed is not None:
            assumptions.append(f"'{reading.approx}' read as exactly that long: calls start at one set time.")
        else:
            assumptions.append(f"'{reading.approx}' read as exactly {instant.astimezone(target):%H:%M}: calls start at one set time.")
    if reading.library_date:
        assumptions.append("The date was read by a general-purpose parser: confirm it with the person.")
    return instant, assumptions, alternatives, False


def _refuse_ambiguous_zone(said: Said, reading: Reading, calendar: ZoneInfo, shown: int = 6):
    """A zone word with several readings: refused, each reading computed and offered."""
    readings: list[tuple[str, str, str | None]] = []
    for meaning, name in list(reading.zone_candidates.items())[:shown]:
        reading.zone = ZoneInfo(name)
        try:
            instant = _place(said, reading, calendar)[0]
            readings.append((meaning, name, iso(instant, ZoneInfo(name))))
        except Refused:
            readings.append((meaning, name, None))
    more = len(reading.zone_candidates) - shown
    raise Refused(
        "ambiguous_timezone",
        f"The zone in {said.text!r} is ambiguous: "
        + "; ".join((meaning if name in meaning else f"{meaning} ({name})") + (f" gives {when}" if when else "") for meaning, name, when in readings)
        + (f"; and {more} other zones" if more > 0 else "")
        + ". Name the zone, e.g. with an IANA name such as "
        + f"'{readings[0][1]}', or send one of the ISO times.",
        [when for _, _, when in readings if when],
    )


def _out_of_season(said: Said, reading: Reading, calendar: ZoneInfo, instant: datetime, assumptions: list, alternatives: list) -> None:
    """'EST' in July (New York keeps EDT): the region's clock is read; the label's own offset is offered."""
    target = reading.zone
    label_offset = reading.zone_label_offset
    word = reading.zone_word
    # The caller checked zone_label_offset; the phrase reader sets it with the zone and its word.
    assert target is not None and label_offset is not None and word is not None
    there = instant.astimezone(target)
    if there.utcoffset() == label_offset:
        return
    region = zone_label(target)
    literal = timezone(label_offset, word)
    reading.zone = literal
    try:
        other = _place(said, reading, calendar)[0]
    except Refused:
        other = None
    finally:
        reading.zone = target
    sentence = (
        f"'{word}' names UTC{format_offset(label_offset)}, but on {there:%a %d %b} {region} keeps {there.tzname()} "
        f"(UTC{format_offset(there.utcoffset())}): read as {region}'s clock, {there:%H:%M} {there.tzname()}."
    )
    if other is not None and other != instant:
        alternatives.append(other)
        shown = other.astimezone(target)
        sentence += (
            f" If {word} proper was meant, {other.astimezone(literal):%H:%M} at UTC{format_offset(label_offset)} "
            f"is {shown:%H:%M} {shown.tzname()}, offered as the other reading."
        )
    assumptions.append(sentence)


def plausible(clock: time) -> bool:
    """Inside calling hours (08:00-21:00 on the wall clock of the zone the time is read in)."""
    return CALLING_HOURS[0] <= clock <= CALLING_HOURS[1]


def _place(said: Said, reading: Reading, calendar: tzinfo):
    """Date and time from the reading, in the calendar of `calendar`, localised in the named zone."""
    text, now = said.text, said.now
    target = reading.zone or calendar
    assumptions: list[str] = []
    alternatives: list[datetime] = []
    if reading.elapsed is not None:
        if reading.has_day or reading.has_time:
            raise Refused("unparseable", f"{text!r} mixes a delay with a day or time: send one, e.g. 'in 2 hours' or 'tomorrow 10am'.")
        instant = now + reading.elapsed
        assumptions.append(f"Counted as {humanize_duration(int(abs(reading.elapsed.total_seconds())))} of elapsed time from now.")
        return instant, assumptions, alternatives
    local_now = now.astimezone(calendar)
    today = local_now.date()
    day, rolls, other_day = _day(reading, today, assumptions)

    def at(d: date, t: time) -> datetime:
        stamp = datetime.combine(d, t)
        if reading.midnight:
            stamp += timedelta(days=1)
        return localize(stamp, target)

    def placed(t: time) -> tuple[datetime, bool]:
        """The instant of clock t on the day, moved on (and True) when it has passed and the phrase allows."""
        instant = at(day, t)
        if instant <= now and rolls:
            return at(rolls[0](day), t), True
        return instant, False

    clock, other_clock = _clock(said, reading, day, target, assumptions, placed)
    instant, rolled = placed(clock)
    for other in (other_clock, None if other_day is None else ("day", other_day)):
        if other is None:
            continue
        try:
            alternatives.append(at(other[1], clock) if isinstance(other, tuple) else placed(other)[0])
        except Refused:
            pass  # the other reading falls in a DST gap or fold: only the chosen one is offered
    if reading.tomorrow_word and local_now.hour < SMALL_HOURS_END:
        _small_hours(reading, local_now, day, clock, at, now, assumptions, alternatives)
    if rolled:
        assert rolls is not None  # placed() rolls only when the phrase gave a rule
        assumptions.append(f"{rolls[1]}: read as {instant.astimezone(target):%a %d %b %Y}.")
    elif reading.date is not None:
        if instant <= now and reading.date[0] is None:
            instant = _next_year(said, reading, day, clock, at, calendar, assumptions)
        elif instant <= now or said.too_far(instant):
            _other_order(said, reading, clock, at, instant, calendar)
        if reading.date_swapped:
            assumptions.append(f"Read month-first: {reading.date[1]}/{reading.date[2]} is not a valid day-first date.")
    _days_agree(said, reading, today, (instant.astimezone(target) - timedelta(days=reading.midnight)).date())
    return instant, assumptions, alternatives


def _days_agree(said: Said, reading: Reading, today: date, day: date) -> None:
    """A phrase that names its day twice ('Monday 5 Dec', 'tomorrow Dec 5') must name one day: else refused, never one dropped."""
    named = [part for part in (reading.day_offset, reading.weekday, reading.date, reading.day_of_month) if part is not None]
    if len(named) < 2:
        return
    checks = []
    if reading.weekday is not None and reading.weekday_mode != "after":
        checks.append((day.weekday() == reading.weekday, WEEKDAY_NAMES[reading.weekday]))
    if reading.date is not None:
        year, month, number = reading.date
        checks.append(((day.month, day.day) == (month, number) and year in (None, day.year), f"{number} {MONTH_NAMES[month - 1]}"))
    if reading.day_offset is not None:
        checks.append((day == today + timedelta(days=reading.day_offset), f"{today + timedelta(days=reading.day_offset):%a %d %b}"))
    if reading.day_of_month is not None:
        checks.append((day.day == reading.day_of_month, f"the {ordinal(reading.day_of_month)}"))
    wrong = [words for agrees, words in checks if not agrees]
    if wrong:
        raise Refused(
            "invalid_date",
            f"{said.text!r} names its day twice and they disagree: {day:%a %d %b %Y} is not {' or '.join(wrong)}. Send one of them.",
        )


def _small_hours(reading: Reading, local_now: datetime, day: date, clock: time, at, now: datetime, assumptions: list, alternatives: list) -> None:
    """'tomorrow' said at 01:30 is the next calendar day, but the person may mean the coming morning: offer it."""
    coming_day = day - timedelta(days=1)
    try:
        coming = at(coming_day, clock)
    except Refused:
        return
    if coming <= now:
        return
    alternatives.append(coming)
    assumptions.append(
        f"Said at {local_now:%H:%M}, '{reading.tomorrow_word}' read by the calendar date, {day:%a %d %b}; "
        f"if the person counts from the coming morning, {coming_day:%a %d %b} at {clock:%H:%M} is offered as the other reading."
    )


def _day(reading: Reading, today: date, assumptions: list[str]) -> tuple[date, tuple | None, date | None]:
    """The calendar day; how to move it on when its time has passed today; the other reading, if any."""
    if reading.next_working_day:
        day = next_working_day(today)
        assumptions.append(f"'next working day' read as {day:%a %d %b} (working days are Monday to Friday; public holidays are not known).")
        return day, None, None
    if reading.month_rule is not None:
        return _month_rule(reading.month_rule, today, assumptions)
    if reading.date is not None:  # before the weekday: 'Thursday 24 Dec' is checked against the date, not moved
        year, month, day_number = reading.date
        try:
            day = date(year or today.year, month, day_number)
        except ValueError:
            if year is None and month == 2 and day_number == 29:
                return _leap_day(today), None, None
            shown = f"{day_number}/{month}" + (f"/{year}" if year else "")
            raise Refused("invalid_date", f"{shown} (day/month) is not a real date: check the day and the month.") from None
        if reading.holiday:
            assumptions.append(f"'{reading.holiday}' read as {day_number} {MONTH_NAMES[month - 1]}.")
        return day, None, None
    if reading.day_offset is not None:
        day = today + timedelta(days=reading.day_offset)
        if reading.week_phrase:
            assumptions.append(f"'{reading.week_phrase}' read as {day:%a %d %b %Y}, {reading.day_offset} days from today.")
        return day, None, None
    if reading.weekday is not None:
        ahead = (reading.weekday - today.weekday()) % 7
        name = WEEKDAY_NAMES[reading.weekday]
        mode = reading.weekday_mode
        if mode == "last":
            return today - timedelta(days=(today.weekday() - reading.weekday) % 7 or 7), None, None
        if mode == "next week":
            return today + timedelta(days=7 - today.weekday() + reading.weekday), None, None
        if mode == "next":
            day = today + timedelta(days=ahead or 7)
            week_after = day + timedelta(days=7)
            assumptions.append(f"'next {name}' read as the coming one, {day:%a %d %b}; the one after is {week_after:%a %d %b}.")
            return day, None, week_after
        if mode == "after":  # "Thursday week", "a week on Thursday", "Thursday fortnight", "3 days after Friday"
            coming = today + timedelta(days=ahead)
            days = reading.days_after
            day = coming + timedelta(days=days)
            assumptions.append(
                f"'{reading.week_phrase}' read as {days} days after the coming {name} ({coming:%a %d %b}{', today' if not ahead else ''}): {day:%a %d %b %Y}."
            )
            return day, None, None
        return today + timedelta(days=ahead), (lambda d: d + timedelta(days=7), f"{name} {today:%d %b} at that time has passed"), None
    if reading.day_of_month is not None:
        return _next_day_of_month(reading.day_of_month, today, assumptions), None, None
    return today, (lambda d: d + timedelta(days=1), "That time has passed today"), None


def _month_rule(rule: tuple, today: date, assumptions: list[str]) -> tuple[date, tuple | None, None]:
    """'second Tuesday of next month', 'last working day of the month', 'first Monday in December'."""
    nth, kind, month, year = rule
    if month in ("the month", "this month"):
        year, month_number = today.year, today.month
    elif month == "next month":
        year, month_number = add_months(today.year, today.month, 1)
    else:
        month_number = month
        if year is None:
            year = today.year + (month < today.month)
    kind_name = WEEKDAY_NAMES[kind] if isinstance(kind, int) else {"working": "working day", "day": "day"}[kind]
    position = "last" if nth == -1 else ordinal(nth)

    def find(y: int, m: int) -> date:
        found = nth_in_month(y, m, nth, kind)
        if found is None:
            raise Refused("invalid_date", f"{MONTH_NAMES[m - 1]} {y} has no {position} {kind_name}: check the number.")
        return found

    day = find(year, month_number)
    if month == "the month":
        later = add_months(year, month_number, 1)
        rolls = (lambda d: find(*later), f"The {position} {kind_name} of {MONTH_NAMES[month_number - 1]} at that time has passed")
    elif isinstance(month, int) and rule[3] is None:
        rolls = (lambda d: find(year + 1, month_number), f"The {position} {kind_name} of {MONTH_NAMES[month_number - 1]} {year} has passed")
    else:
        rolls = None
    working = " (working days are Monday to Friday; public holidays are not known)" if kind == "working" else ""
    assumptions.append(f"Read as the {position} {kind_name} of {MONTH_NAMES[month_number - 1]} {year}: {day:%a %d %b}{working}.")
    return day, rolls, None


def _leap_day(today: date) -> date:
    year = today.year
    while True:
        try:
            return date(year, 2, 29)
        except ValueError:
            year += 1


def _next_day_of_month(number: int, today: date, assumptions: list[str]) -> date:
    if not 1 <= number <= 31:
        raise Refused("invalid_date", f"The {ordinal(number)} is not a day of any month.")
    year, month = today.year, today.month
    for _ in range(3):
        try:
            candidate = date(year, month, number)
            if candidate >= today:
                assumptions.append(f"'the {ordinal(number)}' read as {candidate:%a %d %b %Y}.")
                return candidate
        except ValueError:
            pass
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise Refused("invalid_date", f"Could not place the {ordinal(number)} in the next months: send the month too.")


def _clock(said: Said, reading: Reading, day: date, zone: tzinfo, assumptions: list[str], placed) -> tuple[time, time | None]:
    """The time of day, and the other reading when the words allow two (a.m. or p.m. not said)."""
    text, now = said.text, said.now
    if reading.time is not None:
        clock = time(*reading.time)
        if reading.time_24h and not plausible(clock):
            other = time((clock.hour + 12) % 24, clock.minute)
            assumptions.append(
                f"'{reading.time_said}' read on the 24-hour clock as {clock:%H:%M}, outside {CALLING_HOURS_TEXT}; "
                f"{other:%H:%M} is offered as the other reading."
            )
            return clock, other
        return clock, None
    if reading.midnight:
        assumptions.append(f"'midnight' read as the start of {day + timedelta(days=1):%a %d %b} (the night after {day:%a %d %b}).")
        return time(0, 0), None
    if reading.bare is not None:
        return _bare_clock(reading, assumptions, placed)
    if reading.part_of_day:
        default = PARTS_OF_DAY[reading.part_of_day]
        assumptions.append(f"'{reading.part_of_day}' read as {default:02d}:00.")
        return time(default, 0), None
    if reading.calendar_days or reading.same_time:
        clock = now.astimezone(zone).time().replace(second=0, microsecond=0)
        if reading.same_time:
            assumptions.append(f"'same time' read as the current time of day, {clock:%H:%M}.")
        else:
            assumptions.append(f"No time of day given: kept the current time, {clock:%H:%M}.")
        return clock, None
    raise Refused(
        "needs_time",
        f"{text!r} names a day but no time of day: add one, e.g. '{text} at 10am'.",
        [f"{text} at 10am", f"{text} at 2pm"],
    )


def _bare_clock(reading: Reading, assumptions: list[str], placed) -> tuple[time, time | None]:
    """1-12 with no a.m./p.m.: the reading inside calling hours; when both are, the usual rule; the other is offered."""
    assert reading.bare is not None  # the caller checked
    hour, minute = reading.bare
    said = reading.time_said
    if reading.part_of_day in ("afternoon", "evening", "night", "tonight"):
        if hour == 12 and reading.part_of_day in ("night", "tonight"):
            raise Refused("vague", f"'{said}' at night could be noon or midnight: say 'midnight' or '00:00'.")
        return time(hour % 12 + 12, minute), None
    if reading.part_of_day == "morning":
        return time(hour % 12, minute), None
    am, pm = time(hour % 12, minute), time(hour % 12 + 12, minute)
    if plausible(am) and plausible(pm):
        if reading.has_day:
            chosen = am if 7 <= hour <= 12 else pm
        else:
            chosen = _soonest(am, pm, placed)  # "at 8" said at 10:15: 20:00 today, not 08:00 tomorrow
        note = "a.m./p.m. not said"
    else:
        chosen = am if plausible(am) else pm
        note = f"a.m./p.m. not said; {(pm if chosen is am else am):%H:%M} is outside {CALLING_HOURS_TEXT}"
    assumptions.append(f"'{said}' read as {chosen:%H:%M} ({note}).")
    return chosen, pm if chosen is am else am


def _soonest(am: time, pm: time, placed) -> time:
    try:
        am_at = placed(am)[0]
    except Refused:
        return pm
    try:
        pm_at = placed(pm)[0]
    except Refused:
        return am
    return am if am_at <= pm_at else pm


def _next_year(said: Said, reading: Reading, day: date, clock: time, at, calendar: tzinfo, assumptions: list[str]) -> datetime:
    text = said.text
    try:
        later = at(day.replace(year=day.year + 1), clock)
    except ValueError:
        later = None
    if later is not None and not said.too_far(later):
        assumptions.append(f"{day:%d %b} has passed this year: read as {later.astimezone(reading.zone or calendar):%a %d %b %Y}.")
        return later
    shown = at(day, clock)
    _other_order(said, reading, clock, at, later or shown, calendar)
    next_text = f" and the next one ({iso(later, calendar)}) is more than {said.horizon_days} days away" if later else ""
    raise Refused(
        "past",
        f"{text!r} read as {day:%a %d %b %Y} ({iso(shown, calendar)}), which has passed{next_text}. Send the full date with the year.",
        [iso(later, calendar)] if later else [],
    )


def _other_order(said: Said, reading: Reading, clock: time, at, ours: datetime, calendar: tzinfo) -> None:
    """A numeric date valid both ways whose reading in our order is past or far: ask instead of guessing."""
    text, now, order = said.text, said.now, said.order
    if reading.date is None or reading.library_date or not re.search(r"\d{1,2}[/.-]\d{1,2}", text) or re.search(r"\d{4}[/.-]\d", text):
        return
    year, month, day_number = reading.date
    try:
        swapped_day = date(year or now.astimezone(calendar).year, day_number, month)
    except ValueError:
        return
    swapped = at(swapped_day, clock)
    if swapped <= now:
        return
    ours_name = "day-first (D/M)" if order == "DMY" else "month-first (M/D)"
    raise Refused(
        "date_order",
        f"{text!r} read {ours_name} is {ours.astimezone(calendar):%d %b %Y} ({iso(ours, calendar)}), which is "
        + ("past" if ours <= now else f"more than {said.horizon_days} days away")
        + f"; the other order gives {swapped.astimezone(calendar):%a %d %b %Y} ({iso(swapped, calendar)}). "
        "Write the month as a word (e.g. '5 Dec 14:00') or use ISO (2026-12-05 14:00).",
        [iso(swapped, calendar)],
    )
