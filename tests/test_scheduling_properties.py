"""Properties over random instants and zones: ISO round trips are exact; DST gaps and folds are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from zudu_mcp.scheduling import resolve_schedule
from zudu_mcp.scheduling.resolver import DEFAULT_HORIZON_DAYS

ZONES = ["Asia/Kolkata", "America/New_York", "Europe/London", "Australia/Sydney", "America/Sao_Paulo", "Asia/Kathmandu", "UTC",
         "Pacific/Chatham", "America/St_Johns", "Europe/Berlin"]
NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
ahead = st.integers(min_value=60, max_value=(DEFAULT_HORIZON_DAYS - 1) * 86400)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(seconds=ahead, zone=st.sampled_from(ZONES), now_shift=st.integers(0, 400 * 86400))
def test_iso_with_offset_round_trips_to_the_same_instant(seconds: int, zone: str, now_shift: int) -> None:
    now = NOW + timedelta(seconds=now_shift)
    instant = (now + timedelta(seconds=seconds)).replace(microsecond=0)
    text = instant.astimezone(ZoneInfo(zone)).isoformat()
    result = resolve_schedule(text, zone, now=now)
    assert result.ok, result
    assert result.unix_ms == int(instant.timestamp() * 1000)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(seconds=ahead, zone=st.sampled_from(ZONES), batch_zone=st.sampled_from(ZONES))
def test_unambiguous_wall_clock_round_trips_in_its_zone(seconds: int, zone: str, batch_zone: str) -> None:
    instant = (NOW + timedelta(seconds=seconds)).replace(second=0, microsecond=0)
    local = instant.astimezone(ZoneInfo(zone))
    wall = local.replace(tzinfo=None)
    if wall.replace(tzinfo=ZoneInfo(zone), fold=1).utcoffset() != local.utcoffset():
        return  # a repeated wall clock: covered by the fold test
    result = resolve_schedule(wall.strftime("%Y-%m-%d %H:%M"), zone, now=NOW)
    assert result.ok and result.unix_ms == int(instant.timestamp() * 1000)


def transitions(zone: str, year: int = 2026) -> list[tuple[datetime, timedelta]]:
    """(UTC moment, offset change) for each DST change of the zone in the year."""
    tz = ZoneInfo(zone)
    found = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    while moment.year == year:
        following = moment + timedelta(hours=1)
        change = following.astimezone(tz).utcoffset() - moment.astimezone(tz).utcoffset()
        if change:
            low, high = moment, following  # narrow down to the exact minute of the change
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == moment.astimezone(tz).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append((high, change))
        moment = following
    return found


DST_ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Europe/Berlin", "America/St_Johns", "Pacific/Chatham"]


@settings(max_examples=100, deadline=None, derandomize=True)
@given(zone=st.sampled_from(DST_ZONES), minute=st.integers(1, 59), phrase_style=st.sampled_from(["iso", "words"]))
def test_times_skipped_or_repeated_by_dst_are_refused_not_shifted(zone: str, minute: int, phrase_style: str) -> None:
    tz = ZoneInfo(zone)
    for moment, change in transitions(zone):
        # The skipped (or repeated) wall clocks start at the old clock's reading of the change.
        before = (moment - timedelta(minutes=1)).astimezone(tz).replace(tzinfo=None) + timedelta(minutes=1)
        start = before if change > timedelta(0) else before + change
        wall = start + timedelta(minutes=minute % int(abs(change).total_seconds() // 60))
        now = moment - timedelta(days=3)
        text = wall.strftime("%Y-%m-%d %H:%M") if phrase_style == "iso" else wall.strftime("%B %d at %H:%M")
        result = resolve_schedule(text, zone, now=now)
        assert not result.ok, (zone, text, result)
        assert result.code == ("dst_gap" if change > timedelta(0) else "dst_fold"), (zone, text, result)
        assert len(result.suggestions) == 2
        for suggestion in result.suggestions:  # each suggestion resolves exactly, without a refusal
            assert resolve_schedule(suggestion, zone, now=now).ok
