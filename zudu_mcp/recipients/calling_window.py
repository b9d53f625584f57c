"""People are called in their own local time: who would be called at night by a given start time.

Also which country a time zone belongs to (tzdb's zone.tab), so a campaign set in Europe/London
can notice numbers without a country code that were read as Indian but are also British.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class OutsideWindow:
    zone: str
    count: int
    local_time: str  # the start as the recipients in that zone see it


def outside_window(start: datetime, zones: Mapping[str, int], window: tuple[time, time]) -> list[OutsideWindow]:
    """Zones (recipients per zone, e.g. RecipientReport.zones) where the start falls outside the window."""
    opens, closes = window
    found = []
    for zone, count in sorted(zones.items(), key=lambda item: (-item[1], item[0])):
        local = start.astimezone(ZoneInfo(zone))
        if not opens <= local.time().replace(tzinfo=None) < closes:
            found.append(OutsideWindow(zone, count, f"{local:%a %H:%M}"))
    return found


def outside_calling_window(start: datetime, numbers: Iterable[str], window: tuple[time, time]) -> list[OutsideWindow]:
    """As outside_window, from E.164 numbers (each placed in its zone by libphonenumber)."""
    from zudu_mcp.recipients.phones import zone_of  # lazy: phone metadata is large

    per_zone = Counter(zone for zone in map(zone_of, numbers) if zone)
    return outside_window(start, per_zone, window)


def parse_window(text: str) -> tuple[time, time]:
    opens, closes = (time.fromisoformat(part.strip()) for part in text.split("-"))
    if not opens < closes:
        raise ValueError("the calling window must open before it closes, e.g. 08:00-21:00")
    return opens, closes


def region_of_zone(zone_name: str) -> str | None:
    """The country (ISO code, as libphonenumber's regions) a tzdb zone is for: Europe/London -> GB.

    Old names resolve through tzdb's links (Asia/Calcutta -> Asia/Kolkata -> IN, US/Central -> US).
    None for zones that are no one country's (UTC, Etc/GMT+5, CET, EST5EDT) or when tzdb's tables are missing.
    """
    countries, links = _zone_tables()
    name = zone_name.strip()
    if name in _SHARED_RULE_ZONES:
        return None
    for _ in range(3):  # links point at a zone, rarely at another link
        if name in countries:
            return countries[name]
        if name not in links:
            return None
        name = links[name]
    return None


# Old zones named after a rule several countries follow: tzdb links them to one city (CET -> Europe/Brussels)
_SHARED_RULE_ZONES = frozenset({"CET", "EET", "MET", "WET", "EST", "MST", "HST", "EST5EDT", "CST6CDT", "MST7MDT", "PST8PDT"})


@functools.cache
def _zone_tables() -> tuple[dict[str, str], dict[str, str]]:
    """zone.tab (one country per zone) and the links of tzdata.zi, from the tzdata package or the system."""
    for folder in _tz_folders():
        table = folder / "zone.tab"
        if not table.is_file():
            continue
        countries = {}
        for line in table.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                parts = line.split("\t")
                if len(parts) >= 3:
                    countries[parts[2]] = parts[0]
        links = {}
        compiled = folder / "tzdata.zi"
        if compiled.is_file():
            for line in compiled.read_text(encoding="utf-8").splitlines():
                if line.startswith("L "):
                    _, target, alias = line.split()[:3]
                    links[alias] = target
        return countries, links
    return {}, {}


def _tz_folders() -> list[Path]:
    import zoneinfo

    folders = []
    try:
        import tzdata  # the PyPI package: the same tables wherever Python runs

        folders.append(Path(tzdata.__file__).parent / "zoneinfo")
    except ImportError:
        pass
    folders.extend(Path(path) for path in zoneinfo.TZPATH)
    return folders
