"""The result records keep the public shape, and the first phrase loads only what it needs."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

from zudu_mcp.scheduling import ScheduledTime, ScheduleRefusal, resolve_schedule
from zudu_mcp.scheduling.places import place_zone

NOW = datetime.fromisoformat("2026-11-28T10:15:00+05:30")


def test_a_result_keeps_its_fields_in_order_and_compares_by_value() -> None:
    result = resolve_schedule("tomorrow at 10am", "Asia/Kolkata", now=NOW)
    assert list(result.as_dict()) == [
        "input",
        "unix_ms",
        "utc",
        "local_iso",
        "local",
        "timezone",
        "relative",
        "assumptions",
        "alternatives",
        "read_back",
        "ok",
    ]
    assert result == resolve_schedule("tomorrow at 10am", "Asia/Kolkata", now=NOW)
    assert result != resolve_schedule("tomorrow at 11am", "Asia/Kolkata", now=NOW)
    assert "local_iso='2026-11-29T10:00:00+05:30'" in repr(result)
    assert isinstance(result, ScheduledTime)


def test_a_refusal_keeps_its_fields_and_its_dict_is_a_copy() -> None:
    refusal = resolve_schedule("tomorrow 9am CST", "Asia/Kolkata", now=NOW)
    assert isinstance(refusal, ScheduleRefusal)
    shown = refusal.as_dict()
    assert list(shown) == ["input", "code", "message", "suggestions", "ok"]
    shown["suggestions"].append("changed")
    assert "changed" not in refusal.suggestions


def test_the_first_phrase_loads_neither_dateparser_nor_the_heavy_standard_modules() -> None:
    """The 20 ms first-phrase budget: dataclasses/inspect, typing and pathlib cost more than the rules themselves."""
    probe = (
        "import sys, datetime\n"
        "from zudu_mcp.scheduling import resolve_schedule\n"
        "now = datetime.datetime.fromisoformat('2026-11-28T10:15:00+05:30')\n"
        "assert resolve_schedule('tomorrow at 9am', 'Asia/Kolkata', now=now).ok\n"
        "heavy = ('dateparser', 'dataclasses', 'inspect', 'typing', 'pathlib', 'zudu_mcp.scheduling.places')\n"
        "print(sorted(name for name in heavy if name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_place_names_come_from_the_iana_data_with_ambiguity_kept() -> None:
    assert place_zone("Chicago") == "America/Chicago"
    assert place_zone("buenos aires") == "America/Argentina/Buenos_Aires"  # a city under a sub-region
    assert place_zone("calcutta") == "Asia/Kolkata"  # a link's name
    assert place_zone("Japan") == "Asia/Tokyo"  # a country with one clock
    assert place_zone("Indianapolis") == "America/Indiana/Indianapolis"  # two names, one clock: not ambiguous
    assert set(place_zone("Portland")) == {"Portland, Oregon", "Portland, Maine"}
    brazil = place_zone("Brazil")
    assert isinstance(brazil, dict) and "America/Noronha" in " ".join(brazil)  # a country with several clocks
    assert place_zone("west") is None and place_zone("banana") is None
