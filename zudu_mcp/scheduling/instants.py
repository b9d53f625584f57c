"""Time as a person reads it: every instant shown in the batch's zone, in UTC and as Unix ms.

All arithmetic happens in UTC; zoneinfo is used only to show wall clocks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from zudu_mcp.scheduling.records import Record


class Instant(Record):
    """One instant in every form; read-only by convention (it is shared between results)."""

    __slots__ = ("unix_ms", "local", "utc", "local_iso", "relative")

    def __init__(self, unix_ms: int, local: str, utc: str, local_iso: str, relative: str):
        self.unix_ms = unix_ms
        self.local = local  # "Sun 29 Nov 2026, 10:00 IST (Asia/Kolkata, UTC+05:30)"
        self.utc = utc  # "2026-11-29T04:30:00Z"
        self.local_iso = local_iso  # "2026-11-29T10:00:00+05:30"
        self.relative = relative  # "in 22h 45m" / "3d 2h ago"

    def as_dict(self) -> dict[str, str | int]:
        return {"unix_ms": self.unix_ms, "local": self.local, "local_iso": self.local_iso, "utc": self.utc, "relative": self.relative}


def describe_instant(unix_ms: int, zone_name: str, now: datetime) -> Instant:
    moment = datetime.fromtimestamp(unix_ms / 1000, tz=UTC)
    local = moment.astimezone(ZoneInfo(zone_name))
    return Instant(
        unix_ms=unix_ms,
        local=f"{local:%a %d %b %Y, %H:%M} {local.tzname()} ({zone_name}, UTC{format_offset(local.utcoffset())})",
        utc=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        local_iso=local.isoformat(timespec="seconds"),
        relative=relative_to(moment, now.astimezone(UTC)),
    )


def format_offset(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def relative_to(moment: datetime, now: datetime) -> str:
    seconds = int((moment - now).total_seconds())
    if abs(seconds) < 60:
        return "now"
    text = humanize_duration(abs(seconds))
    return f"in {text}" if seconds > 0 else f"{text} ago"


def humanize_duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    if minutes and not days:
        parts.append(f"{minutes}m")
    return " ".join(parts) or "under a minute"


def ordinal(number: int) -> str:
    suffix = "th" if 11 <= number % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
