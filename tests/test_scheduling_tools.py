"""resolve_schedule and create_batch_call's `schedule`, through the MCP protocol in both eras."""

from __future__ import annotations

import copy
import subprocess
import sys
from datetime import datetime

import pytest
from mcp import Client

from tests.conftest import API_KEY, API_SECRET, ZuduDouble, text_of
from zudu_mcp.backend import Backend
from zudu_mcp.config import Settings
from zudu_mcp.demo import SEED_REQUEST
from zudu_mcp.scheduling.quiet_hours import first_call_time
from zudu_mcp.server import create_server

pytestmark = pytest.mark.anyio
NOW = datetime.fromisoformat("2026-11-28T10:15:00+05:30")
QUIET = {"start_time": "22:00", "end_time": "08:00", "timezone": "Asia/Kolkata"}


def server(double: ZuduDouble | None = None, **settings):
    if double is not None:
        settings |= {"api_key": API_KEY, "api_secret": API_SECRET, "base_url": double.url}
    return create_server(backend=Backend(Settings(**settings), clock=lambda: NOW))


def seed_with(**changes) -> dict:
    arguments = copy.deepcopy(SEED_REQUEST)
    arguments.pop("trigger_timestamp")
    arguments.update(changes)
    return {k: v for k, v in arguments.items() if v is not None}


async def test_resolve_schedule_echoes_every_form(mode: str) -> None:
    async with Client(server(), mode=mode) as client:
        result = await client.call_tool("resolve_schedule", {"text": "tomorrow 9", "timezone": "Asia/Kolkata"})
    text = text_of(result)
    assert not result.is_error
    assert "Sun 29 Nov 2026, 09:00 IST (Asia/Kolkata, UTC+05:30), in 22h 45m" in text
    assert "UTC 2026-11-29T03:30:00Z; Unix ms 1795923000000" in text
    assert "'9' read as 09:00" in text and "2026-11-29T21:00:00+05:30" in text
    assert "Server time now: Sat 28 Nov 2026, 10:15 IST" in text
    assert result.structured_content["schedule"]["unix_ms"] == 1795923000000
    assert result.structured_content["now"]["local_iso"] == "2026-11-28T10:15:00+05:30"


async def test_resolve_schedule_refusal_is_an_error_with_code_and_suggestions(mode: str) -> None:
    async with Client(server(), mode=mode) as client:
        result = await client.call_tool("resolve_schedule", {"text": "yesterday 5pm", "timezone": "Asia/Kolkata"})
    assert result.is_error
    schedule = result.structured_content["schedule"]
    assert schedule["code"] == "past" and "2026-11-27T17:00:00+05:30" in schedule["message"]
    assert "(past)" in text_of(result)


async def test_defaults_come_from_settings_and_are_stated(mode: str) -> None:
    async with Client(server(default_timezone="America/New_York"), mode=mode) as client:
        result = await client.call_tool("resolve_schedule", {"text": "12/5 2pm"})
    text = text_of(result)
    assert "Sat 05 Dec 2026, 14:00 EST" in text
    assert "Time zone America/New_York (default from ZUDU_DEFAULT_TIMEZONE)" in text
    assert "date order MDY (default for America/New_York: month first (US))" in text


async def test_configured_date_order_wins_over_the_zone_default(mode: str) -> None:
    async with Client(server(default_timezone="America/New_York", date_order="DMY"), mode=mode) as client:
        result = await client.call_tool("resolve_schedule", {"text": "13/12 2pm"})
    assert "Sun 13 Dec 2026, 14:00 EST" in text_of(result) and "(default from ZUDU_DATE_ORDER)" in text_of(result)


async def test_quiet_hours_give_the_first_time_calls_can_go_out(mode: str) -> None:
    async with Client(server(), mode=mode) as client:
        result = await client.call_tool("resolve_schedule", {"text": "today 11pm", "timezone": "Asia/Kolkata", "quiet_hours": QUIET})
    assert "inside quiet hours (22:00–08:00 Asia/Kolkata); calls can first go out at Sun 29 Nov 2026, 08:00 IST" in text_of(result)


async def test_create_with_schedule_sends_the_resolved_milliseconds(zudu_double: ZuduDouble, mode: str) -> None:
    async with Client(server(zudu_double), mode=mode) as client:
        result = await client.call_tool("create_batch_call", seed_with(schedule="tomorrow at 10am"))
    assert not result.is_error, text_of(result)
    body = zudu_double.calls[0].body
    assert body["trigger_timestamp"] == 1795926600000 and body["send_now"] is False
    assert "From 'tomorrow at 10am'" in text_of(result)
    assert result.structured_content["schedule"]["local_iso"] == "2026-11-29T10:00:00+05:30"


async def test_create_without_timezone_sends_the_zone_the_time_was_read_in(zudu_double: ZuduDouble, mode: str) -> None:
    async with Client(server(zudu_double, default_timezone="Asia/Kolkata"), mode=mode) as client:
        result = await client.call_tool("create_batch_call", seed_with(schedule="tomorrow at 10am", timezone=None))
    assert zudu_double.calls[0].body["timezone"] == "Asia/Kolkata"
    assert "default from ZUDU_DEFAULT_TIMEZONE" in text_of(result)


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"schedule": "asap"}, "(vague)"),
        ({"schedule": "yesterday 5pm"}, "(past)"),
        ({"schedule": "Friday"}, "(needs_time)"),
        ({"schedule": "tomorrow 10am", "trigger_timestamp": 1795926600000}, "schedule and trigger_timestamp"),
        ({"schedule": "tomorrow 10am", "send_now": True}, "schedule and send_now"),
    ],
)
async def test_create_refuses_bad_or_contradictory_schedules_before_sending(zudu_double: ZuduDouble, mode: str, changes: dict, needle: str) -> None:
    async with Client(server(zudu_double), mode=mode) as client:
        result = await client.call_tool("create_batch_call", seed_with(**changes))
    assert result.is_error and needle in text_of(result) and "nothing was sent" in text_of(result)
    assert zudu_double.calls == []


async def test_create_inside_quiet_hours_says_when_calls_start(zudu_double: ZuduDouble, mode: str) -> None:
    async with Client(server(zudu_double), mode=mode) as client:
        result = await client.call_tool("create_batch_call", seed_with(schedule="tonight at 11"))
    assert "calls first go out at Sun 29 Nov 2026, 08:00 IST" in text_of(result)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2026-11-28T23:00:00+05:30", "2026-11-29T08:00:00+05:30"),
        ("2026-11-29T03:00:00+05:30", "2026-11-29T08:00:00+05:30"),
        ("2026-11-29T08:00:00+05:30", None),
        ("2026-11-28T21:59:00+05:30", None),
    ],
)
def test_quiet_hours_window_crossing_midnight(local: str, expected: str | None) -> None:
    first = first_call_time(datetime.fromisoformat(local), "22:00", "08:00", "Asia/Kolkata")
    assert (first and first.isoformat()) == (expected and datetime.fromisoformat(expected).astimezone(first.tzinfo).isoformat())


def test_quiet_hours_window_within_a_day() -> None:
    first = first_call_time(datetime.fromisoformat("2026-11-28T13:30:00+05:30"), "13:00", "14:00", "Asia/Kolkata")
    assert first == datetime.fromisoformat("2026-11-28T14:00:00+05:30")


def test_start_up_does_not_load_dateparser() -> None:
    """The date library loads on the first phrase that needs it, never at start-up."""
    probe = (
        "import sys, anyio; from mcp import Client; from zudu_mcp.server import create_server\n"
        "async def main():\n"
        "    async with Client(create_server()) as c: await c.list_tools()\n"
        "anyio.run(main); print('dateparser' in sys.modules, 'httpx' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "False"], done.stdout + done.stderr


def test_start_up_does_not_load_phone_metadata_or_a_database() -> None:
    probe = (
        "import sys; from zudu_mcp.config import Settings; from zudu_mcp.server import create_server; create_server(Settings())\n"
        "print(sorted(m for m in ('phonenumbers', 'sqlite3', 'openpyxl', 'psycopg', 'platformdirs') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
