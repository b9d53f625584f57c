"""Quiet hours: a daily HH:MM-HH:MM window (may cross midnight) in its own zone, when nobody is called."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def first_call_time(instant: datetime, start: str, end: str, zone_name: str) -> datetime | None:
    """None when `instant` is outside the window; else the first instant calls can go out (window end)."""
    zone = ZoneInfo(zone_name)
    local = instant.astimezone(zone)
    begins, ends = _clock(start), _clock(end)
    now = local.time().replace(tzinfo=None)
    if begins < ends:
        inside = begins <= now < ends
        end_day = local.date()
    else:  # crosses midnight, e.g. 22:00-08:00
        inside = now >= begins or now < ends
        end_day = local.date() + timedelta(days=1) if now >= begins else local.date()
    if not inside:
        return None
    # A window end inside a DST gap comes out shifted forward by the gap: still the first allowed moment.
    return datetime.combine(end_day, ends, tzinfo=zone).astimezone(UTC)


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
