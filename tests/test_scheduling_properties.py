"""Properties over random instants and zones: ISO round trips are exact; DST gaps and folds are refused."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from zudu_mcp.scheduling import resolve_schedule
from zudu_mcp.scheduling.resolver import DEFAULT_HORIZON_DAYS

ZONES = [
    "Asia/Kolkata",
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Asia/Kathmandu",
    "UTC",
    "Pacific/Chatham",
    "America/St_Johns",
    "Europe/Berlin",
]
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


CALLING = (time(8, 0), time(21, 0))
BARE_FORMS = [
    "{h}:{m:02d}",
    "at {h}:{m:02d}",
    "at {h}",
    "tomorrow at {h}:{m:02d}",
    "tomorrow {h}",
    "Monday {h}:{m:02d}",
    "{h:02d}:{m:02d}",
    "at {h:02d}:{m:02d}",
    "{h}:{m:02d} please",
    "around {h}",
    "at {h}.{m:02d}",
    "{h}.{m:02d}",
    "{h}h{m:02d}",
]


def inside(moment: datetime, zone: str) -> bool:
    return CALLING[0] <= moment.astimezone(ZoneInfo(zone)).time().replace(tzinfo=None) <= CALLING[1]


@settings(max_examples=600, deadline=None, derandomize=True)
@given(hour=st.integers(0, 23), minute=st.integers(0, 59), form=st.sampled_from(BARE_FORMS), zone=st.sampled_from(ZONES), now_shift=st.integers(0, 400 * 86400))
def test_a_bare_time_is_inside_calling_hours_or_offers_a_reading_that_is(hour: int, minute: int, form: str, zone: str, now_shift: int) -> None:
    """For any bare time and any "now": inside 08:00-21:00 local, or an offered reading is and the result says so, or a refusal."""
    now = NOW + timedelta(seconds=now_shift)
    text = form.format(h=hour, m=minute)
    result = resolve_schedule(text, zone, now=now)
    if not result.ok:
        return
    chosen = datetime.fromisoformat(result.local_iso)
    if inside(chosen, zone):
        return
    assert any(inside(datetime.fromisoformat(other), zone) for other in result.alternatives), (text, now, result)
    assert any("outside calling hours" in assumption for assumption in result.assumptions), (text, now, result)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    hour=st.integers(1, 12),
    minute=st.integers(0, 59),
    zone=st.sampled_from(ZONES),
    now_shift=st.integers(0, 400 * 86400),
    day=st.sampled_from(["", "tomorrow ", "Friday "]),
)
def test_a_twelve_hour_time_without_am_pm_is_read_inside_calling_hours(hour: int, minute: int, zone: str, now_shift: int, day: str) -> None:
    """'4:30' is one of 04:30 and 16:30, and one of them is always inside calling hours: that one is chosen, the other offered."""
    now = NOW + timedelta(seconds=now_shift)
    result = resolve_schedule(f"{day}at {hour}:{minute:02d}", zone, now=now)
    assert result.ok, result
    assert inside(datetime.fromisoformat(result.local_iso), zone), result
    assert len(result.alternatives) >= 1 and any("a.m./p.m. not said" in assumption for assumption in result.assumptions), result
