"""Calendar rules for the days people name by rule, not by date.

"second Tuesday of next month", "last working day of the month", "next working day", "first
Monday in December", "Christmas Eve": each is one deterministic rule over the calendar of the
batch zone. Working days are Monday to Friday; public holidays are not known (they differ by
country and region), which every result that uses them says.
"""

from __future__ import annotations

from datetime import date, timedelta

# Fixed-date holidays: spoken name -> (month, day, the name as shown). Movable feasts (Easter,
# Thanksgiving, Diwali) are not here: they need a per-year table and are refused as unreadable.
HOLIDAYS: dict[str, tuple[int, int, str]] = {
    "christmas eve": (12, 24, "Christmas Eve"),
    "christmas day": (12, 25, "Christmas Day"),
    "christmas": (12, 25, "Christmas Day"),
    "xmas eve": (12, 24, "Christmas Eve"),
    "xmas day": (12, 25, "Christmas Day"),
    "xmas": (12, 25, "Christmas Day"),
    "boxing day": (12, 26, "Boxing Day"),
    "new year's eve": (12, 31, "New Year's Eve"),
    "new years eve": (12, 31, "New Year's Eve"),
    "new year eve": (12, 31, "New Year's Eve"),
    "new year's day": (1, 1, "New Year's Day"),
    "new years day": (1, 1, "New Year's Day"),
    "new year's": (1, 1, "New Year's Day"),
    "new years": (1, 1, "New Year's Day"),
    "new year": (1, 1, "New Year's Day"),
    "valentine's day": (2, 14, "Valentine's Day"),
    "valentines day": (2, 14, "Valentine's Day"),
    "valentine's": (2, 14, "Valentine's Day"),
    "st patrick's day": (3, 17, "St Patrick's Day"),
    "st patricks day": (3, 17, "St Patrick's Day"),
    "saint patrick's day": (3, 17, "St Patrick's Day"),
    "halloween": (10, 31, "Halloween"),
    "fourth of july": (7, 4, "the Fourth of July"),
}

MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def next_working_day(today: date) -> date:
    """The first Monday-Friday after today (today itself never counts: it is 'today')."""
    day = today + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def nth_in_month(year: int, month: int, nth: int, kind: str | int) -> date | None:
    """The nth (1-5, or -1 for the last) day of a kind in a month, or None when there is no such day.

    kind: a weekday number (Monday 0), "working" (Monday-Friday) or "day" (any day).
    """
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    days = [first + timedelta(days=offset) for offset in range((following - first).days)]
    if kind == "working":
        days = [day for day in days if is_working_day(day)]
    elif kind != "day":
        days = [day for day in days if day.weekday() == kind]
    if nth == -1:
        return days[-1]
    return days[nth - 1] if nth <= len(days) else None


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1
