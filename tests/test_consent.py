"""Consent is a plan: what the person approves is exactly what is sent, in two calls, in both protocol eras."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from mcp import Client
from mcp.types import ElicitResult

from tests.conftest import API_KEY, API_SECRET, SEED_NOW, ManualClock, ZuduDouble, text_of
from zudu_mcp.backend import Backend
from zudu_mcp.config import Settings
from zudu_mcp.demo import SEED_REQUEST
from zudu_mcp.server import create_server

pytestmark = pytest.mark.anyio


def server(double: ZuduDouble, policy: str, clock: ManualClock | None = None, **settings: Any):
    settings = Settings(api_key=API_KEY, api_secret=API_SECRET, base_url=double.url, mcp_confirm=policy, **settings)
    return create_server(backend=Backend(settings, clock=clock or ManualClock(SEED_NOW)))


def arguments(**changes: Any) -> dict:
    return {k: v for k, v in (copy.deepcopy(SEED_REQUEST) | changes).items() if v is not None}


def answering(action: str, content: dict | None = None, asked: list[str] | None = None, clock: ManualClock | None = None):
    async def callback(context: Any, params: Any) -> ElicitResult:
        if asked is not None:
            asked.append(params.message)
        if clock is not None:
            clock.advance(minutes=7)  # the person takes a while to answer
        return ElicitResult(action=action, content=content)

    return callback


def relative(**changes: Any) -> dict:
    return arguments(trigger_timestamp=None, schedule="in 2 hours", **changes)


async def test_elicitation_shows_the_plan_and_sends_exactly_it_though_the_clock_moved(zudu_double: ZuduDouble, mode: str) -> None:
    clock = ManualClock(SEED_NOW)
    asked: list[str] = []
    callback = answering("accept", {"confirm": True}, asked, clock)
    async with Client(server(zudu_double, "auto", clock), mode=mode, elicitation_callback=callback) as client:
        preview = await client.call_tool("preview_batch_call", relative())
        result = await client.call_tool("create_batch_call", {"confirmation_token": preview.structured_content["confirmation_token"]})
    assert not result.is_error, text_of(result)
    [question] = asked  # asked once
    assert "2 calls from +91 80 3531 5547 with agent «Sales-Renewals»" in question and "Thu 12 Feb 2026, 15:30 IST" in question
    assert question.endswith("Go ahead?")
    [create] = zudu_double.creates
    assert create.body["trigger_timestamp"] == int(SEED_NOW.timestamp() * 1000) + 2 * 3600 * 1000  # the approved 15:30, not 15:37
    assert "this client will ask the person" in text_of(preview)


async def test_elicitation_in_one_call_creates_what_was_shown(zudu_double: ZuduDouble, mode: str) -> None:
    clock = ManualClock(SEED_NOW)
    asked: list[str] = []
    async with Client(server(zudu_double, "auto", clock), mode=mode, elicitation_callback=answering("accept", {"confirm": True}, asked, clock)) as client:
        result = await client.call_tool("create_batch_call", relative())
    assert not result.is_error, text_of(result)
    assert len(asked) == 1 and "15:30 IST" in asked[0]
    assert zudu_double.creates[0].body["trigger_timestamp"] == int(SEED_NOW.timestamp() * 1000) + 2 * 3600 * 1000


@pytest.mark.parametrize(
    ("action", "content", "said"),
    [("decline", None, "declined"), ("cancel", None, "cancelled"), ("accept", {"confirm": False}, "did not confirm")],
)
async def test_no_yes_means_nothing_is_sent_and_is_not_an_error(zudu_double: ZuduDouble, mode: str, action: str, content: dict | None, said: str) -> None:
    async with Client(server(zudu_double, "elicit"), mode=mode, elicitation_callback=answering(action, content)) as client:
        result = await client.call_tool("create_batch_call", arguments())
    assert not result.is_error and said in text_of(result) and "nothing was sent" in text_of(result)
    assert zudu_double.creates == []


async def test_elicit_policy_refuses_clients_that_cannot_ask(zudu_double: ZuduDouble, mode: str) -> None:
    async with Client(server(zudu_double, "elicit"), mode=mode) as client:
        result = await client.call_tool("create_batch_call", arguments())
    assert result.is_error and "cannot show a confirmation" in text_of(result) and zudu_double.creates == []


async def test_two_calls_preview_then_token_and_needs_confirmation_is_not_an_error(zudu_double: ZuduDouble, mode: str) -> None:
    async with Client(server(zudu_double, "token"), mode=mode) as client:
        asked = await client.call_tool("create_batch_call", arguments())  # no token: the plan, as a normal result
        preview = await client.call_tool("preview_batch_call", arguments())
        token = preview.structured_content["confirmation_token"]
        created = await client.call_tool("create_batch_call", {"confirmation_token": token})
        again = await client.call_tool("create_batch_call", {"confirmation_token": token})
    assert not asked.is_error and asked.structured_content["needs_confirmation"] and zudu_double.creates[:0] == []
    assert asked.structured_content["confirmation_token"] == token  # the same intent is the same plan
    assert not preview.is_error and "2 calls from +91 80 3531 5547" in text_of(preview)
    assert preview.structured_content["next_call"] == f'create_batch_call(confirmation_token="{token}")'
    assert not created.is_error, text_of(created)
    batch_id = created.structured_content["batch_call"]["batch_call_id"]
    assert not again.is_error and "Already created with this confirmation" in text_of(again) and batch_id in text_of(again)
    assert len(zudu_double.creates) == 1


async def test_a_relative_time_confirmed_a_minute_later_is_the_approved_instant(zudu_double: ZuduDouble, mode: str) -> None:
    clock = ManualClock(SEED_NOW)
    async with Client(server(zudu_double, "token", clock), mode=mode) as client:
        preview = await client.call_tool("preview_batch_call", relative())
        clock.advance(minutes=1)
        created = await client.call_tool("create_batch_call", relative(confirmation_token=preview.structured_content["confirmation_token"]))
    assert not created.is_error, text_of(created)
    assert zudu_double.creates[0].body["trigger_timestamp"] == int(SEED_NOW.timestamp() * 1000) + 2 * 3600 * 1000


async def test_token_expires_and_says_so(zudu_double: ZuduDouble, mode: str) -> None:
    clock = ManualClock(SEED_NOW)
    async with Client(server(zudu_double, "token", clock), mode=mode) as client:
        token = (await client.call_tool("preview_batch_call", arguments())).structured_content["confirmation_token"]
        clock.advance(seconds=901)
        result = await client.call_tool("create_batch_call", {"confirmation_token": token})
    assert result.is_error and "expired" in text_of(result) and "different" not in text_of(result) and zudu_double.creates == []


async def test_an_approved_start_that_has_passed_is_never_shifted(zudu_double: ZuduDouble, mode: str) -> None:
    clock = ManualClock(SEED_NOW)
    async with Client(server(zudu_double, "token", clock, mcp_confirm_ttl_seconds=86400), mode=mode) as client:
        token = (await client.call_tool("preview_batch_call", arguments(trigger_timestamp=None, schedule="in 10 minutes"))).structured_content[
            "confirmation_token"
        ]
        clock.advance(minutes=11)
        result = await client.call_tool("create_batch_call", {"confirmation_token": token})
    assert result.is_error and "approved start" in text_of(result) and "has passed" in text_of(result) and zudu_double.creates == []


@pytest.mark.parametrize(
    "change",
    [
        {"tasks": [{"to_number": "+919600011957"}]},
        {"trigger_timestamp": 1771577340000},
        {"name": "other"},
        {"agent_id": "agent_5d1f7e44-2b8a-4c1e-9a6f-0c3b8e2d7a19"},
    ],
)
async def test_arguments_sent_with_a_token_must_be_the_plans(zudu_double: ZuduDouble, mode: str, change: dict) -> None:
    async with Client(server(zudu_double, "token"), mode=mode) as client:
        token = (await client.call_tool("preview_batch_call", arguments())).structured_content["confirmation_token"]
        result = await client.call_tool("create_batch_call", arguments(confirmation_token=token, **change))
        forged = await client.call_tool("create_batch_call", {"confirmation_token": "zp_" + "A" * 20})
    assert result.is_error and f"{next(iter(change))} differ" in text_of(result)
    assert forged.is_error and "not a plan this server made" in text_of(forged)
    assert zudu_double.creates == []


async def test_a_sandbox_token_is_refused_by_a_live_server(zudu_double: ZuduDouble, mode: str) -> None:
    sandbox = create_server(backend=Backend(Settings(sandbox=True, mcp_confirm="token"), clock=ManualClock(SEED_NOW)))
    async with Client(sandbox, mode=mode) as client:
        token = (await client.call_tool("preview_batch_call", arguments())).structured_content["confirmation_token"]
    async with Client(server(zudu_double, "token"), mode=mode) as client:
        result = await client.call_tool("create_batch_call", {"confirmation_token": token})
    assert result.is_error and "made by the sandbox" in text_of(result) and "cannot authorise real calls" in text_of(result)
    assert zudu_double.creates == []


async def test_summaries_name_region_readings_and_out_of_window_counts(zudu_double: ZuduDouble, mode: str) -> None:
    tasks = [{"to_number": "096000 11957"}, {"to_number": "+14155550100"}, {"to_number": "+14155550101"}]
    async with Client(server(zudu_double, "token"), mode=mode) as client:
        scheduled = await client.call_tool("preview_batch_call", arguments(tasks=tasks))  # 13:19 IST = 23:49 in California
        now = await client.call_tool("preview_batch_call", arguments(tasks=tasks, trigger_timestamp=None, send_now=True))
    for result in (scheduled, now):
        text = text_of(result)
        assert "1 number without a country code read as IN (the region of from_number)" in text, text
        assert "2 recipients would be called outside 08:00-21:00 their local time: 2 in America/Los_Angeles" in text, text
    assert "starting immediately" in text_of(now)


async def test_a_guess_that_conflicts_with_the_campaign_zone_is_refused(zudu_double: ZuduDouble, mode: str) -> None:
    async with Client(server(zudu_double, "token"), mode=mode) as client:
        result = await client.call_tool("preview_batch_call", arguments(tasks=[{"to_number": "07700 900123"}], timezone="Europe/London", quiet_hours=None))
    assert result.is_error and "default_region 'GB' or 'IN'" in text_of(result), text_of(result)


async def test_agent_names_and_the_only_caller_number_are_accepted(zudu_double: ZuduDouble, mode: str) -> None:
    async with Client(server(zudu_double, "off"), mode=mode) as client:
        result = await client.call_tool("create_batch_call", arguments(agent_id="sales-renewals", from_number=None))
    assert not result.is_error, text_of(result)
    assert zudu_double.creates[0].body["agent_id"] == "agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e"
    assert zudu_double.creates[0].body["from_number"] == "+918035315547"
    assert "matched by its name" in text_of(result) and "the organization's only number" in text_of(result)


async def test_execute_and_delete_ask_first_with_their_own_token_and_the_same_words(mode: str) -> None:
    clock = ManualClock(SEED_NOW)
    backend = Backend(Settings(sandbox=True, mcp_confirm="token"), clock=clock)
    async with Client(create_server(backend=backend), mode=mode) as client:
        preview = await client.call_tool("preview_batch_call", arguments(status="draft", trigger_timestamp=None))
        created = await client.call_tool("create_batch_call", {"confirmation_token": preview.structured_content["confirmation_token"]})
        batch_id = created.structured_content["batch_call"]["batch_call_id"]
        asked = await client.call_tool("execute_batch_call", {"batch_call_id": batch_id})
        token = asked.structured_content["confirmation_token"]
        wrong = await client.call_tool("delete_batch_call", {"batch_call_id": batch_id, "confirmation_token": token})
        started = await client.call_tool("execute_batch_call", {"batch_call_id": batch_id, "confirmation_token": token})
    assert not asked.is_error and "Start dialing «new_batch_call_docs» now: 2 recipients" in text_of(asked)
    assert wrong.is_error and "issued for execute_batch_call, not delete_batch_call" in text_of(wrong)
    assert not started.is_error and "Started" in text_of(started)


async def test_moving_the_time_needs_consent_and_names_the_calling_window(mode: str) -> None:
    backend = Backend(Settings(sandbox=True, mcp_confirm="token"), clock=ManualClock(SEED_NOW))
    tasks = [{"to_number": "+919600011957"}, {"to_number": "+14155550100"}]
    async with Client(create_server(backend=backend), mode=mode) as client:
        preview = await client.call_tool("preview_batch_call", arguments(tasks=tasks))
        created = await client.call_tool("create_batch_call", {"confirmation_token": preview.structured_content["confirmation_token"]})
        batch_id = created.structured_content["batch_call"]["batch_call_id"]
        renamed = await client.call_tool("update_batch_call", {"batch_call_id": batch_id, "name": "Renamed"})
        moved = await client.call_tool("update_batch_call", {"batch_call_id": batch_id, "schedule": "2026-02-21 03:00"})
        done = await client.call_tool(
            "update_batch_call",
            {"batch_call_id": batch_id, "schedule": "2026-02-21 03:00", "confirmation_token": moved.structured_content["confirmation_token"]},
        )
    assert not renamed.is_error, text_of(renamed)
    assert not moved.is_error and moved.structured_content["needs_confirmation"]
    assert "start moved from Fri 20 Feb 2026, 13:19 IST" in text_of(moved)
    assert "1 recipient would be called outside 08:00-21:00 their local time: 1 in Asia/Calcutta (Sat 03:00)" in text_of(moved)
    assert not done.is_error and "Updated." in text_of(done)


async def test_a_consent_step_never_has_is_error_over_stdio(tmp_path) -> None:
    import os
    import sys

    from mcp.client.stdio import StdioServerParameters

    env = {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")} | {"ZUDU_MCP_STATE_DIR": str(tmp_path), "ZUDU_MCP_CONFIRM": "token"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "zudu_mcp", "--sandbox"], env=env)
    async with Client(params, read_timeout_seconds=60) as client:
        plan = await client.call_tool("preview_batch_call", arguments(trigger_timestamp=None, schedule="in 2 hours"))
        created = await client.call_tool("create_batch_call", {"confirmation_token": plan.structured_content["confirmation_token"]})
    assert not plan.is_error and not created.is_error, text_of(created)
    assert created.structured_content["batch_call"]["scheduled_timestamp"] == plan.structured_content["plan"]["when"]["unix_ms"]


async def test_execute_at_night_names_who_would_be_called_outside_their_hours(mode: str) -> None:
    from datetime import timedelta

    clock = ManualClock(SEED_NOW)
    backend = Backend(Settings(sandbox=True, mcp_confirm="token"), clock=clock)
    async with Client(create_server(backend=backend), mode=mode) as client:
        plan = await client.call_tool("preview_batch_call", arguments(status="draft", trigger_timestamp=None))
        created = await client.call_tool("create_batch_call", {"confirmation_token": plan.structured_content["confirmation_token"]})
        clock.now += timedelta(hours=12)  # 01:30 in India
        asked = await client.call_tool("execute_batch_call", {"batch_call_id": created.structured_content["batch_call"]["batch_call_id"]})
    assert not asked.is_error and asked.structured_content["needs_confirmation"]
    assert "2 recipients would be called outside 08:00-21:00 their local time: 2 in Asia/Calcutta (Fri 01:30)" in text_of(asked), text_of(asked)
