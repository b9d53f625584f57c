"""People are called in their own local time: who would be called at night by a given start time."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class OutsideWindow:
    zone: str
    count: int
    local_time: str  # the start as the recipients in that zone see it


def outside_calling_window(start: datetime, numbers: list[str], window: tuple[time, time]) -> list[OutsideWindow]:
    """Zones where the start falls outside the window (e.g. 08:00-21:00), with how many recipients live there."""
    from zudu_mcp.recipients.phones import zones_of  # lazy: phone metadata is large

    opens, closes = window
    per_zone = Counter(zones[0] for zones in map(zones_of, numbers) if zones)
    found = []
    for zone, count in per_zone.most_common():
        local = start.astimezone(ZoneInfo(zone))
        if not opens <= local.time().replace(tzinfo=None) < closes:
            found.append(OutsideWindow(zone, count, f"{local:%a %H:%M}"))
    return found


def parse_window(text: str) -> tuple[time, time]:
    opens, closes = (time.fromisoformat(part.strip()) for part in text.split("-"))
    if not opens < closes:
        raise ValueError("the calling window must open before it closes, e.g. 08:00-21:00")
    return opens, closes
