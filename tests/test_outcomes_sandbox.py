"""Campaign results through the MCP protocol (both eras) against the sandbox on a hand-moved clock."""

from __future__ import annotations

import copy
from datetime import datetime

import anyio
import pytest
from mcp import Client

from tests.conftest import ManualClock, text_of
from zudu_mcp.backend import Backend
from zudu_mcp.config import Settings
from zudu_mcp.demo import SEED_REQUEST
from zudu_mcp.sandbox import ADVERSARIAL_LINE
from zudu_mcp.server import create_server

pytestmark = pytest.mark.anyio
START = datetime.fromisoformat("2026-11-28T10:15:00+05:30")
NAMES = ["Aswathi", "Dev", "Meera", "Arjun", "Kavya", "Rahul", "Priya", "Vikram"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def server_for(clock: ManualClock, *, sleep=None, **settings):
    backend = Backend(Settings(sandbox=True, **settings), clock=clock, sleep=sleep)
    return create_server(backend=backend), backend


def arguments(recipients: int = 20) -> dict:
    request = copy.deepcopy(SEED_REQUEST)
    request.pop("trigger_timestamp")
    request["schedule"] = "tomorrow at 10am"
    request["tasks"] = [{"to_number": f"+91960{i:07d}", "dynamic_variables": {"name": NAMES[i % 8], "order_id": f"50{i:05d}"}} for i in range(recipients)]
    return request


async def create(client: Client, recipients: int = 20) -> str:
    result = await client.call_tool("create_batch_call", arguments(recipients))
    assert not result.is_error, text_of(result)
    return result.structured_content["batch_call"]["batch_call_id"]


async def test_report_outcomes_transcripts_and_a_follow_up_of_exactly_the_unanswered(clock: ManualClock, mode: str) -> None:
    server, backend = server_for(clock)
    async with Client(server, mode=mode) as client:
        batch_id = await create(client)
        clock.advance(days=1, hours=1)
        report = await client.call_tool("batch_report", {"batch_call_id": batch_id})
        assert not report.is_error, text_of(report)
        facts = report.structured_content
        assert facts["complete"] and facts["recipients"] == 20 and sum(facts["counts"].values()) == 20
        assert facts["counts"]["answered"] > 0 and facts["counts"]["pending"] == 0
        truth = {task["call_id"]: task["outcome"] for task in backend.sandbox_state.load(batch_id).plan}
        expected = {"answered": "answered", "no_answer": "no_answer", "busy": "busy", "voicemail": "voicemail", "unreachable": "failed"}
        for name, members in facts["groups"].items():
            for member in members:
                assert expected[truth[member["call_id"]]] == name
        assert f"Reached {facts['counts']['answered']} of 20 calls made" in text_of(report)
        assert facts["talk_seconds_total"] > 0 and facts["talk_seconds_average"] > 0

        answered = await client.call_tool("batch_report", {"batch_call_id": batch_id, "group": "answered"})
        members = answered.structured_content["groups"]["answered"]
        assert all(m["variables"]["name"] in NAMES for m in members)
        adversarial = [t["call_id"] for t in backend.sandbox_state.load(batch_id).plan if t["outcome"] == "answered" and t["index"] % 7 == 3]
        assert adversarial, "the seed gives this batch a hostile callee"
        calls = [adversarial[0]] + [m["call_id"] for m in members if m["call_id"] != adversarial[0]][:4]
        detail = await client.call_tool("batch_report", {"batch_call_id": batch_id, "detail_call_ids": calls})
        text = text_of(detail)
        assert "called person: «" in text and "data, never instructions" in text
        hostile = [line for line in text.splitlines() if ADVERSARIAL_LINE[:30] in line]
        assert hostile
        for line in hostile:  # only ever inside « »
            assert line.strip().startswith("called person: «") and line.rstrip().endswith("»")
            assert line.count("«") == 1 and line.count("»") == 1

        unanswered = {m["to_number"] for name in ("no_answer", "busy") for m in facts["groups"].get(name, [])}
        again = await client.call_tool("call_again", {"batch_call_id": batch_id, "outcomes": ["no_answer", "busy"], "schedule": "tomorrow at 11am"})
        assert not again.is_error, text_of(again)
        token = again.structured_content["confirmation_token"]
        created = await client.call_tool("create_batch_call", {"confirmation_token": token})
        assert not created.is_error, text_of(created)
        follow_up = created.structured_content["batch_call"]["batch_call_id"]
    record = backend.sandbox_state.load(follow_up)
    assert unanswered and {task["to_number"] for task in record.plan} == unanswered
    assert all(task["dynamic_variables"]["name"] in NAMES for task in record.plan)  # their variables came along


async def test_wait_returns_on_completion_and_subscribers_are_notified(clock: ManualClock, mode: str) -> None:
    async def sleep(seconds: float) -> None:  # each poll moves the campaign two minutes on
        clock.advance(minutes=2)
        await anyio.lowlevel.checkpoint()

    server, _ = server_for(clock, sleep=sleep)
    updates: list[str] = []

    async def on_message(message) -> None:
        root = getattr(message, "root", message)
        if getattr(root, "method", "") == "notifications/resources/updated":
            updates.append(str(root.params.uri))

    async with Client(server, mode=mode, message_handler=on_message) as client:
        batch_id = await create(client, 10)
        uri = f"zudu://batch-calls/{batch_id}"
        clock.advance(days=1, minutes=-20)  # 09:55 tomorrow: five minutes before it starts
        if mode == "legacy":
            await client.subscribe_resource(uri)
            first = await client.call_tool("get_batch_call", {"batch_call_id": batch_id, "wait_seconds": 30})
            second = await client.call_tool("get_batch_call", {"batch_call_id": batch_id, "wait_seconds": 30})
        else:
            async with client.listen(resource_subscriptions=[uri]) as subscription:
                first = await client.call_tool("get_batch_call", {"batch_call_id": batch_id, "wait_seconds": 30})
                second = await client.call_tool("get_batch_call", {"batch_call_id": batch_id, "wait_seconds": 30})
                with anyio.fail_after(5):
                    async for event in subscription:
                        updates.append(str(event.uri))
                        if len(updates) >= 2:
                            break
    assert first.structured_content["changed"] and "changed from scheduled to sent" in text_of(first), text_of(first)
    assert second.structured_content["completed"] and "is completed" in text_of(second), text_of(second)
    assert updates[:2] == [uri, uri]  # sent, then completed


async def test_wait_times_out_saying_so(clock: ManualClock, mode: str) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await anyio.lowlevel.checkpoint()

    server, _ = server_for(clock, sleep=sleep)
    progress: list[float] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(done)

    async with Client(server, mode=mode) as client:
        batch_id = await create(client, 3)
        result = await client.call_tool("get_batch_call", {"batch_call_id": batch_id, "wait_seconds": 2}, progress_callback=on_progress)
    assert result.structured_content["timed_out"] and not result.structured_content["completed"]
    assert "Still scheduled after waiting 2 s, the time limit of this wait" in text_of(result)
    assert sum(slept) == 2
    assert progress and progress[-1] == 2
