"""Place names people say for a zone ("Chicago time", "in Tokyo", "Japan time"), from the IANA data.

The table holds every zone's and link's city ("America/Argentina/Buenos_Aires" -> "buenos aires",
"Asia/Calcutta" -> "calcutta"), the countries of zone.tab (a country with one clock is that zone;
one with several clocks is ambiguous), and a few aliases the data lacks ("Bangalore", "Boston").
A name that means places with different clocks ("Portland", "Georgia", "Congo") is returned with
every reading so the phrase is refused with each one offered, never guessed.

It is read from the same tzdata that zoneinfo uses (the system's, else the tzdata package), on the
first phrase that names a place, never at import: a few milliseconds, paid once.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from zoneinfo import TZPATH, ZoneInfo

# Words that are last parts of legacy zone names but mean a direction or a region, not a place
# ("US/Eastern", "Brazil/West"): the region words are in zones.py, the rest are not zone words.
NOT_PLACES = {
    "north",
    "south",
    "east",
    "west",
    "central",
    "eastern",
    "western",
    "mountain",
    "pacific",
    "atlantic",
    "general",
    "continental",
    "center",
    "christmas",
    "easter",
    "local",
    "same",
    "this",
    "that",
    "any",
    "some",
    "what",
    "which",
    "the",
    "a",
    "an",
    "my",
    "your",
    "their",
    "our",
    "his",
    "her",
    "its",
    "usual",
    "normal",
    "working",
    "office",
    "business",
    "lunch",
    "dinner",
    "breakfast",
    "tea",
    "bed",
    "morning",
    "afternoon",
    "evening",
    "night",
    "day",
    "hours",
    "hour",
    "minutes",
    "days",
    "weeks",
    "calling",
    "call",
    "next",
    "first",
    "last",
    "time",
}

# Names people say that are not IANA names (or that IANA spells differently).
ALIASES = {
    "new york city": "America/New_York",
    "nyc": "America/New_York",
    "ny": "America/New_York",
    "boston": "America/New_York",
    "washington": "America/New_York",
    "washington dc": "America/New_York",
    "dc": "America/New_York",
    "philadelphia": "America/New_York",
    "atlanta": "America/New_York",
    "miami": "America/New_York",
    "dallas": "America/Chicago",
    "houston": "America/Chicago",
    "austin": "America/Chicago",
    "san francisco": "America/Los_Angeles",
    "sf": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "la": "America/Los_Angeles",
    "san diego": "America/Los_Angeles",
    "las vegas": "America/Los_Angeles",
    "silicon valley": "America/Los_Angeles",
    "california": "America/Los_Angeles",
    "hawaii": "Pacific/Honolulu",
    "alaska": "America/Anchorage",
    "arizona": "America/Phoenix",
    "montreal": "America/Toronto",
    "ottawa": "America/Toronto",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
    "bombay": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "chennai": "Asia/Kolkata",
    "madras": "Asia/Kolkata",
    "pune": "Asia/Kolkata",
    "hyderabad": "Asia/Kolkata",
    "india": "Asia/Kolkata",
    "beijing": "Asia/Shanghai",
    "china": "Asia/Shanghai",
    "osaka": "Asia/Tokyo",
    "abu dhabi": "Asia/Dubai",
    "uae": "Asia/Dubai",
    "korea": "Asia/Seoul",
    "south korea": "Asia/Seoul",
    "uk": "Europe/London",
    "britain": "Europe/London",
    "great britain": "Europe/London",
    "england": "Europe/London",
    "scotland": "Europe/London",
    "wales": "Europe/London",
    "manchester": "Europe/London",
    "edinburgh": "Europe/London",
    "spain": "Europe/Madrid",
    "barcelona": "Europe/Madrid",
    "portugal": "Europe/Lisbon",
    "germany": "Europe/Berlin",
    "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "milan": "Europe/Rome",
    "new zealand": "Pacific/Auckland",
    "ukraine": "Europe/Kyiv",
    "melbourne": "Australia/Melbourne",
    "sao paulo": "America/Sao_Paulo",
}

# Names of places with different clocks: every reading is offered.
AMBIGUOUS = {
    "portland": {"Portland, Oregon": "America/Los_Angeles", "Portland, Maine": "America/New_York"},
    "birmingham": {"Birmingham, England": "Europe/London", "Birmingham, Alabama": "America/Chicago"},
    "georgia": {"Georgia, the country": "Asia/Tbilisi", "Georgia, the US state": "America/New_York"},
    "victoria": {"Victoria, Australia": "Australia/Melbourne", "Victoria, Canada": "America/Vancouver"},
    "samoa": {"Samoa": "Pacific/Apia", "American Samoa": "Pacific/Pago_Pago"},
    "us": {"US Eastern": "America/New_York", "US Central": "America/Chicago", "US Mountain": "America/Denver", "US Pacific": "America/Los_Angeles"},
    "usa": {"US Eastern": "America/New_York", "US Central": "America/Chicago", "US Mountain": "America/Denver", "US Pacific": "America/Los_Angeles"},
}

_table: dict[str, list[tuple[str, str]]] | None = None
_several: dict[str, dict[str, str]] = {}  # names of several zones, their clocks compared once (bounded by the table)


def place_zone(name: str) -> str | dict[str, str] | None:
    """The zone a place name means, a {reading: zone} dict when it means several clocks, or None."""
    name = " ".join(name.lower().replace("_", " ").replace("-", " ").split())
    if name in NOT_PLACES:
        return None
    if name in AMBIGUOUS:
        return AMBIGUOUS[name]
    if name in ALIASES:
        return ALIASES[name]
    readings = table().get(name)
    if not readings:
        return None
    if len(readings) == 1:
        return readings[0][1]
    if name not in _several:
        distinct: dict[tuple, tuple[str, str]] = {}
        for label, key in readings:
            distinct.setdefault(_clock_signature(key), (label, key))
        _several[name] = dict(distinct.values())
    found = _several[name]
    return next(iter(found.values())) if len(found) == 1 else dict(found)


def table() -> dict[str, list[tuple[str, str]]]:
    global _table
    if _table is None:
        _table = _build()
    return _table


def _build() -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    folder = _tzdata_folder()
    keys = _zone_keys(folder)
    for key in keys:  # canonical zones first, then links: a link's label is its target's when both name a city
        if "/" not in key or key.startswith(("Etc/", "SystemV/", "posix/", "right/")):
            continue
        city = key.rsplit("/", 1)[1].replace("_", " ").replace("-", " ").lower()
        if city in NOT_PLACES or not re.fullmatch(r"[a-z][a-z .']+", city):
            continue
        found.setdefault(city, [])
        if all(zone != keys[key] for _, zone in found[city]):
            found[city].append((keys[key], keys[key]))
    for country, zones in _countries(folder).items():
        if country not in NOT_PLACES:
            found.setdefault(country, []).extend(zones)
    return found


def _tzdata_folder() -> str | None:
    """Where zoneinfo reads its data: the first TZPATH folder, else the tzdata package (os.path, not
    pathlib: pathlib alone costs more to import than this whole table costs to build)."""
    for folder in TZPATH:
        if os.path.isfile(os.path.join(folder, "tzdata.zi")):
            return folder
    try:
        import tzdata
    except ImportError:
        return None
    folder = os.path.join(os.path.dirname(tzdata.__file__), "zoneinfo")
    return folder if os.path.isfile(os.path.join(folder, "tzdata.zi")) else None


def _lines(folder: str, name: str) -> list[str]:
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as file:
        return [line for line in file.read().splitlines() if line and not line.startswith("#")]


def _zone_keys(folder: str | None) -> dict[str, str]:
    """{name: canonical zone}: zones from tzdata.zi's Z lines, then links from its L lines."""
    if folder is None:
        from zoneinfo import available_timezones  # slower (walks the folder), and knows no links

        return {key: key for key in sorted(available_timezones())}
    zones: dict[str, str] = {}
    links: dict[str, str] = {}
    for line in _lines(folder, "tzdata.zi"):
        if line.startswith("Z "):
            key = line.split(maxsplit=2)[1]
            zones[key] = key
        elif line.startswith("L "):
            _, target, name = line.split()[:3]
            links[name] = target
    return zones | {name: target for name, target in links.items() if name not in zones}


def _countries(folder: str | None) -> dict[str, list[tuple[str, str]]]:
    if folder is None:
        return {}
    names: dict[str, list[str]] = {}
    for line in _lines(folder, "iso3166.tab"):
        code, name = line.split("\t")[:2]
        main, _, extra = name.partition(" (")
        extra = extra.rstrip(")")
        spoken = [main.lower()]
        if extra:
            spoken.append(f"{extra} {main}".lower())  # "Korea (South)" -> "south korea"
            if extra.isupper():
                spoken.append(extra.lower())  # "Britain (UK)" -> "uk"
        names[code] = [re.sub(r"[^a-z .']", "", word).replace(".", "").strip() for word in spoken]
    countries: dict[str, list[tuple[str, str]]] = {}
    for line in _lines(folder, "zone.tab"):
        parts = line.split("\t")
        code, key = parts[0], parts[2]
        label = f"{key} ({parts[3]})" if len(parts) > 3 and parts[3] else key
        for name in names.get(code, []):
            countries.setdefault(name, []).append((label, key))
    return countries


def _clock_signature(key: str) -> tuple:
    """UTC offsets on the 1st of each month for two years: zones with equal signatures keep one clock."""
    tz = ZoneInfo(key)
    return tuple(datetime(year, month, 1, 12, tzinfo=UTC).astimezone(tz).utcoffset() for year in _years() for month in range(1, 13))


def _years() -> tuple[int, int]:
    year = datetime.now(UTC).year
    return year, year + 1
