"""Each life-cycle and discovery tool through the MCP protocol (both eras) against the sandbox."""

from __future__ import annotations

import copy
import json
from datetime import datetime

import pytest
from mcp import Client

from tests.conftest import ManualClock, ZuduDouble, every_tool, live_server, text_of
from zudu_mcp.backend import Backend
from zudu_mcp.config import Settings
from zudu_mcp.demo import SEED_REQUEST
from zudu_mcp.server import create_server

pytestmark = pytest.mark.anyio
START = datetime.fromisoformat("2026-11-28T10:15:00+05:30")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sandbox(clock: ManualClock):
    return create_server(backend=Backend(Settings(sandbox=True, mcp_tools=every_tool()), clock=clock))


def batch_arguments(recipients: int = 40, **changes) -> dict:
    arguments = copy.deepcopy(SEED_REQUEST)
    arguments.pop("trigger_timestamp")
    arguments["schedule"] = "tomorrow at 10am"
    arguments["tasks"] = [{"to_number": f"+91960{i:07d}", "dynamic_variables": {"n": str(i)}} for i in range(recipients)]
    arguments.update(changes)
    return {k: v for k, v in arguments.items() if v is not None}


async def create(client: Client, **changes) -> str:
    result = await client.call_tool("create_batch_call", batch_arguments(**changes))
    assert not result.is_error, text_of(result)
    return result.structured_content["batch_call"]["batch_call_id"]


async def call(client: Client, tool: str, **arguments):
    return await client.call_tool(tool, arguments)


async def test_progress_report_follows_the_sandbox_clock(sandbox, clock: ManualClock, mode: str) -> None:
    async with Client(sandbox, mode=mode) as client:
        batch_id = await create(client)
        before = await call(client, "get_batch_call", batch_call_id=batch_id)
        assert "scheduled" in text_of(before) and "status 'draft' holds it back" in text_of(before)
        assert "Starts: Sun 29 Nov 2026, 10:00 IST" in text_of(before)
        clock.advance(days=1, minutes=-15, seconds=11)  # 10:00:11 tomorrow: 6 calls dialed, none finished
        during = await call(client, "get_batch_call", batch_call_id=batch_id)
        assert ": sent" in text_of(during)
        assert "sent (dialed) 6 (15%), picked up 0 (0%), completed 0 (0%)" in text_of(during)
        assert "'sent' counts calls dialed, not answered" in text_of(during)
        assert "cannot be paused" in text_of(during)
        clock.advance(hours=1)
        after = await call(client, "get_batch_call", batch_call_id=batch_id)
    batch = after.structured_content["batch_call"]
    assert batch["status"] == "completed" and batch["sent"] == 40 and batch["completed"] == 40
    assert 0 < batch["picked_up"] < 40


async def test_tasks_are_counted_grouped_and_paged(sandbox, clock: ManualClock, mode: str) -> None:
    async with Client(sandbox, mode=mode) as client:
        batch_id = await create(client, recipients=250)
        clock.advance(days=2)
        result = await call(client, "list_batch_call_tasks", batch_call_id=batch_id, status="FAILED", limit=10)
        everything = await call(client, "list_batch_call_tasks", batch_call_id=batch_id, limit=10, page=24)
    structured = result.structured_content
    assert structured["total"] == 250 and sum(structured["counts"].values()) == 250
    assert sum(group["count"] for group in structured["failures"]) == structured["counts"]["FAILED"] == structured["matching"]
    assert len(structured["tasks"]) == 10 and all(task["status"] == "FAILED" for task in structured["tasks"])
    assert "Failures by reason: " in text_of(result) and "More: call list_batch_call_tasks with page=1." in text_of(result)
    assert "Showing all 241-250 of 250" in text_of(everything) and "More:" not in text_of(everything)


async def test_list_filters_and_pages(sandbox, mode: str) -> None:
    async with Client(sandbox, mode=mode) as client:
        for _ in range(3):
            await create(client, recipients=2, allow_duplicate=True)
        draft = await create(client, recipients=2, status="draft", schedule=None)
        first = await call(client, "list_batch_calls", limit=2)
        drafts = await call(client, "list_batch_calls", status=["draft"])
    assert len(first.structured_content["batch_calls"]) == 2 and first.structured_content["has_next_page"]
    assert "More: call list_batch_calls with page=1." in text_of(first)
    assert [b["batch_call_id"] for b in drafts.structured_content["batch_calls"]] == [draft]


async def test_execute_a_draft_then_refusal_once_completed(sandbox, clock: ManualClock, mode: str) -> None:
    async with Client(sandbox, mode=mode) as client:
        batch_id = await create(client, recipients=3, status="draft", schedule=None)
        started = await call(client, "execute_batch_call", batch_call_id=batch_id)
        assert not started.is_error and "Started:" in text_of(started) and ": sent" in text_of(started)
        clock.advance(hours=1)
        again = await call(client, "execute_batch_call", batch_call_id=batch_id)
    assert again.is_error and "is completed: only a draft or scheduled batch can be started" in text_of(again)


async def test_reschedule_from_what_the_person_said(sandbox, mode: str) -> None:
    async with Client(sandbox, mode=mode) as client:
        batch_id = await create(client)
        moved = await call(client, "update_batch_call", batch_call_id=batch_id, schedule="Monday 11am", name="Renewals (moved)")
        past = await call(client, "update_batch_call", batch_call_id=batch_id, trigger_timestamp=1700000000000)
        vague = await call(client, "update_batch_call", batch_call_id=batch_id, schedule="later")
        nothing = await call(client, "update_batch_call", batch_call_id=batch_id)
    assert "Start moved from Sun 29 Nov 2026, 10:00 IST" in text_of(moved) and "to Mon 30 Nov 2026, 11:00 IST" in text_of(moved)
    assert moved.structured_content["batch_call"]["name"] == "Renewals (moved)"
    assert past.is_error and "in the past" in text_of(past)
    assert vague.is_error and "(vague)" in text_of(vague)
    assert nothing.is_error and "at least one of" in text_of(nothing)


async def test_hold_a_scheduled_batch_but_not_a_sent_one(sandbox, clock: ManualClock, mode: str) -> None:
    async with Client(sandbox, mode=mode) as client:
        batch_id = await create(client)
        held = await call(client, "hold_batch_call", batch_call_id=batch_id)
        clock.advance(days=1)
        still = await call(client, "get_batch_call", batch_call_id=batch_id)
        running = await create(client, recipients=100, send_now=True, schedule=None)
        refused = await call(client, "hold_batch_call", batch_call_id=running)
    assert not held.is_error and "now a draft" in text_of(held)
    assert still.structured_content["batch_call"]["status"] == "draft"  # its time passed; nothing dialed
    assert still.structured_content["batch_call"]["sent"] == 0
    assert refused.is_error and "no pause or cancel call" in text_of(refused)


async def test_delete_draft_or_completed_only(sandbox, mode: str) -> None:
    async with Client(sandbox, mode=mode) as client:
        scheduled = await create(client)
        refused = await call(client, "delete_batch_call", batch_call_id=scheduled)
        await call(client, "hold_batch_call", batch_call_id=scheduled)
        deleted = await call(client, "delete_batch_call", batch_call_id=scheduled)
        gone = await call(client, "get_batch_call", batch_call_id=scheduled)
    assert refused.is_error and "only draft or completed" in text_of(refused) and "hold it first with update_batch_call status 'draft'" in text_of(refused)
    assert not deleted.is_error and "permanently" in text_of(deleted)
    assert gone.is_error and "HTTP 404" in text_of(gone)


async def test_discovery(sandbox, mode: str) -> None:
    async with Client(sandbox, mode=mode) as client:
        agents = await call(client, "list_agents")
        numbers = await call(client, "list_phone_numbers")
        available = await call(client, "list_phone_numbers", available=True)
    assert "agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e · «Sales-Renewals»" in text_of(agents)
    assert "+918035315547 · «Bangalore main» · outbound agent agent_90412a2c" in text_of(numbers)
    assert "Your numbers not assigned to any agent: 2" in text_of(available)


@pytest.mark.parametrize("tool", ["get_batch_call", "list_batch_call_tasks", "execute_batch_call", "hold_batch_call", "delete_batch_call", "update_batch_call"])
@pytest.mark.parametrize("bad_id", ["", "batch_call_1/../../api/agents", "batch_call_1?limit=1000", "batch_call_1#", "batch call"])
async def test_unsafe_ids_never_reach_a_url(zudu_double: ZuduDouble, tool: str, bad_id: str) -> None:
    async with Client(live_server(zudu_double), mode="legacy") as client:
        result = await client.call_tool(tool, {"batch_call_id": bad_id, "name": "x"})
    assert result.is_error and "batch_call_id" in text_of(result) and "is not a batch call id" in text_of(result)
    assert zudu_double.calls == []


async def test_batch_resource_and_planning_prompt(sandbox, mode: str) -> None:
    async with Client(sandbox, mode=mode) as client:
        batch_id = await create(client)
        templates = await client.list_resource_templates()
        resource = await client.read_resource(f"zudu://batch-calls/{batch_id}")
        prompt = await client.get_prompt("plan_outbound_campaign", {"goal": "December renewals"})
    assert [t.uri_template for t in templates.resource_templates] == ["zudu://batch-calls/{batch_call_id}"]
    state = json.loads(resource.contents[0].text)
    assert state["batch_call"]["batch_call_id"] == batch_id and state["sandbox"] is True
    text = prompt.messages[0].content.text
    assert "December renewals" in text
    for step in (
        "list_agents",
        "list_phone_numbers",
        "resolve_schedule",
        "quiet hours",
        "retries",
        "preview_batch_call",
        "create_batch_call(confirmation_token=...)",
        "Never ask twice",
    ):
        assert step in text


async def test_tool_list_stays_small() -> None:
    """Under 3,000 o200k tokens with the default consent policy (benchmarks/tool_list.py counts them;
    the README states the figure): about 4.4 characters a token here, so under 13,500 characters."""
    async with Client(create_server(Settings(mcp_confirm="auto")), mode="legacy") as client:
        listed = await client.list_tools()
    size = len(json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in listed.tools]))
    assert size < 13_500, size


async def test_finished_batches_cannot_be_changed(sandbox, clock: ManualClock, mode: str) -> None:
    async with Client(sandbox, mode=mode) as client:
        batch_id = await create(client, recipients=2)
        clock.advance(days=2)
        renamed = await call(client, "update_batch_call", batch_call_id=batch_id, name="late")
    assert renamed.is_error and "completed; Zudu does not change finished batches" in text_of(renamed)
