"""Never twice: a fault-injection suite where Zudu may have acted, and the same intent never makes a second batch.

A loopback Zudu double counts the batches it really creates; it can create one and then lose the
answer (dropped connection, read timeout, invalid JSON, 500), answer 429 with Retry-After, or hang
while the client gives up. The journal must hold the right outcome each time.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.conftest import API_KEY, API_SECRET, SEED_NOW, ManualClock, Reply, Sleeps, ZuduDouble, text_of
from zudu_mcp.backend import Backend
from zudu_mcp.config import Settings
from zudu_mcp.demo import SEED_REQUEST
from zudu_mcp.server import create_server

pytestmark = pytest.mark.anyio


def live(double: ZuduDouble, *, timeout: float = 2.0, sleeps: Sleeps | None = None, clock=None, settle: float = 0, **settings):
    settings = Settings(api_key=API_KEY, api_secret=API_SECRET, base_url=double.url, timeout_seconds=timeout, mcp_settle_seconds=settle, **settings)
    backend = Backend(settings, clock=clock or (lambda: SEED_NOW), sleep=sleeps if sleeps is not None else Sleeps())
    return create_server(backend=backend), backend


def relative() -> dict:
    arguments = seed()
    arguments.pop("trigger_timestamp")
    return arguments | {"schedule": "in 2 hours"}


def seed() -> dict:
    return copy.deepcopy(SEED_REQUEST)


LOST_ANSWERS = [
    ("connection closed after the body", Reply(drop=True, acts=True)),
    ("read timeout", Reply(200, {"late": True}, hold=True, acts=True)),
    ("invalid JSON", Reply(200, "<html>oops</html>", acts=True)),
    ("500 after acting", Reply(500, {"status": "error", "error": "internal"}, acts=True)),
    ("503 with Retry-After after acting", Reply(503, {"status": "error"}, headers={"Retry-After": "1"}, acts=True)),
    ("429 with Retry-After after acting", Reply(429, {"status": "error"}, headers={"Retry-After": "1"}, acts=True)),
]


@pytest.mark.parametrize(("case", "reply"), LOST_ANSWERS, ids=[c for c, _ in LOST_ANSWERS])
async def test_a_lost_answer_is_never_followed_by_a_second_batch(zudu_double: ZuduDouble, mode: str, case: str, reply: Reply) -> None:
    zudu_double.replies.append(reply)
    sleeps = Sleeps()
    server, backend = live(zudu_double, timeout=2 if reply.hold else 30, sleeps=sleeps)  # a held answer always outlasts it
    async with Client(server, mode=mode) as client:
        first = await client.call_tool("create_batch_call", seed())
        assert first.is_error and "is safe" in text_of(first), text_of(first)
        second = await client.call_tool("create_batch_call", seed())
        third = await client.call_tool("create_batch_call", seed())
    assert len(zudu_double.batches) == 1 and len(zudu_double.creates) == 1 and sleeps == []  # a write is never retried on its own
    assert not second.is_error and "Batch call created" in text_of(second) or "Not created again" in text_of(second), text_of(second)
    assert second.structured_content["batch_call"]["batch_call_id"] == zudu_double.batches[0]["batch_call_id"]
    assert "Not created again" in text_of(third)


async def test_path_1_a_relative_schedule_retried_later_is_the_same_intent(zudu_double: ZuduDouble, mode: str) -> None:
    clock = ManualClock(SEED_NOW)
    zudu_double.replies.append(Reply(drop=True, acts=True))
    server, _ = live(zudu_double, clock=clock)
    async with Client(server, mode=mode) as client:
        first = await client.call_tool("create_batch_call", relative())
        clock.advance(minutes=5)  # "in 2 hours" now means another instant: the intent is still the same
        second = await client.call_tool("create_batch_call", relative())
    assert first.is_error and not second.is_error, text_of(second)
    assert len(zudu_double.creates) == 1 and len(zudu_double.batches) == 1


async def test_path_2_zudu_still_working_when_the_client_gave_up(zudu_double: ZuduDouble, mode: str) -> None:
    clock = ManualClock(SEED_NOW)
    zudu_double.replies.append(Reply(200, {"late": True}, hold=True, acts_late=True))  # stored after the client timed out
    server, _ = live(zudu_double, timeout=2, clock=clock, settle=90)  # the held create outlasts it; the lists have ample time
    async with Client(server, mode=mode) as client:
        first = await client.call_tool("create_batch_call", seed())
        early = await client.call_tool("create_batch_call", seed())  # too early to trust a list: nothing is sent
        zudu_double.release()  # Zudu finishes storing it
        await zudu_double.until(lambda double: double.batches)
        clock.advance(seconds=120)
        later = await client.call_tool("create_batch_call", seed())
    assert first.is_error and early.is_error and "Ask again after" in text_of(early), text_of(early)
    assert not later.is_error, text_of(later)
    assert len(zudu_double.creates) == 1 and len(zudu_double.batches) == 1


async def test_path_3_two_retries_at_once_with_a_late_list_answer(zudu_double: ZuduDouble, tmp_path) -> None:
    zudu_double.replies.append(Reply(drop=True, acts=True))
    state = {"mcp_state_dir": str(tmp_path)}
    one, _ = live(zudu_double, **state)
    two, _ = live(zudu_double, **state)  # another process sharing the journal
    async with Client(one, mode="legacy") as client:
        await client.call_tool("create_batch_call", seed())
    slow_lists = zudu_double.behave_like_zudu

    def late_list(request):
        if request.path == "/batch-call/list":
            time.sleep(0.5)
        return slow_lists(request)

    zudu_double.default = late_list
    results: list = []
    async with Client(one, mode="legacy") as a, Client(two, mode="legacy") as b:
        async with anyio.create_task_group() as group:
            for client in (a, b):
                group.start_soon(lambda c=client: _collect(c, results))
    assert all(not r.is_error for r in results), [text_of(r) for r in results]
    assert len(zudu_double.creates) == 1 and len(zudu_double.batches) == 1


async def _collect(client: Client, into: list) -> None:
    into.append(await client.call_tool("create_batch_call", seed()))


@pytest.mark.parametrize("shape", ["empty list", "failing list"])
async def test_path_4_an_empty_or_failing_list_is_not_evidence_of_absence(zudu_double: ZuduDouble, shape: str) -> None:
    zudu_double.replies.append(Reply(drop=True, acts=True))
    server, _ = live(zudu_double)
    async with Client(server, mode="legacy") as client:
        await client.call_tool("create_batch_call", seed())

        def lying_list(request):
            if request.path == "/batch-call/list":
                if shape == "failing list":
                    return Reply(500, {"status": "error"})
                return Reply(200, {"status": "success", "data": {"batch_calls": []}})
            return zudu_double.behave_like_zudu(request)

        zudu_double.default = lying_list
        again = await client.call_tool("create_batch_call", seed())
    assert again.is_error and "nothing was sent again" in text_of(again) and "resend" in text_of(again), text_of(again)
    assert len(zudu_double.creates) == 1


async def test_path_4_list_items_with_created_at_are_recognised(zudu_double: ZuduDouble) -> None:
    zudu_double.replies.append(Reply(drop=True, acts=True))
    server, _ = live(zudu_double)
    async with Client(server, mode="legacy") as client:
        await client.call_tool("create_batch_call", seed())
        for batch in zudu_double.batches:
            batch["created_at"] = batch.pop("created_timestamp") // 1000  # another page's shape: seconds, other name
        again = await client.call_tool("create_batch_call", seed())
    assert not again.is_error, text_of(again)
    assert len(zudu_double.creates) == 1


async def test_an_explicit_confirmed_resend_names_the_risk_and_sends_once(zudu_double: ZuduDouble) -> None:
    zudu_double.replies.append(Reply(500, {"status": "error", "error": "internal"}))  # Zudu did not act, but we cannot know
    server, _ = live(zudu_double, mcp_confirm="token")
    async with Client(server, mode="legacy") as client:
        plan = await client.call_tool("preview_batch_call", seed())
        token = plan.structured_content["confirmation_token"]
        first = await client.call_tool("create_batch_call", {"confirmation_token": token})
        checked = await client.call_tool("create_batch_call", {"confirmation_token": token})
        resend_token = checked.structured_content["resend_token"]
        sent = await client.call_tool("create_batch_call", {"confirmation_token": resend_token})
        again = await client.call_tool("create_batch_call", {"confirmation_token": resend_token})
    assert first.is_error and checked.is_error and "may be called twice" in text_of(checked)  # the risk, named before the resend
    assert not sent.is_error, text_of(sent)
    assert not again.is_error and "created again" in text_of(again), text_of(again)
    assert len(zudu_double.creates) == 2 and len(zudu_double.batches) == 1


async def test_path_6_a_slow_create_keeps_its_lease_and_another_host_waits(zudu_double: ZuduDouble, tmp_path) -> None:
    zudu_double.replies.append(Reply(200, {"late": True}, hold=True, acts_late=True))
    zudu_double.default = zudu_double.behave_like_zudu
    state = {"mcp_state_dir": str(tmp_path), "mcp_wait_seconds": 15}
    one, _ = live(zudu_double, timeout=10, **state)
    two, _ = live(zudu_double, timeout=1, **state)  # another host with a shorter timeout: the lease, not its clock, decides
    results: list = []
    async with Client(one, mode="legacy") as a, Client(two, mode="legacy") as b:
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: _collect(a, results))
            await zudu_double.until(lambda double: double.creates)  # the first host's create is at Zudu, unanswered
            group.start_soon(lambda: _collect(b, results))
            await anyio.sleep(1.5)  # longer than the second host's own timeout; whatever the timing, one create is the assertion
            zudu_double.release()
    assert len(zudu_double.creates) == 1 and len(zudu_double.batches) == 1
    waited = [r for r in results if "not with a batch object" not in text_of(r)]  # the first host's answer was unreadable
    assert len(waited) == 1 and not waited[0].is_error, [text_of(r) for r in results]  # the other waited, then found it


async def test_path_7_unknown_outcomes_never_expire(zudu_double: ZuduDouble) -> None:
    clock = ManualClock(SEED_NOW)
    zudu_double.replies.append(Reply(500, {"status": "error"}))
    server, _ = live(zudu_double, clock=clock)
    async with Client(server, mode="legacy") as client:
        await client.call_tool("create_batch_call", seed())
        clock.advance(hours=25)
        later = await client.call_tool("create_batch_call", seed() | {"trigger_timestamp": 1771573740000})
    assert later.is_error and "nothing was sent again" in text_of(later)
    assert len(zudu_double.creates) == 1


async def test_reads_are_retried_on_5xx(zudu_double: ZuduDouble) -> None:
    zudu_double.replies += [Reply(502, {"status": "error"}), Reply(500, {"status": "error"})]
    zudu_double.batches.append({"batch_call_id": "batch_call_1", "name": "x", "status": "scheduled"})
    server, _ = live(zudu_double)
    async with Client(server, mode="legacy") as client:
        result = await client.call_tool("get_batch_call", {"batch_call_id": "batch_call_1"})
    assert not result.is_error and len(zudu_double.calls) == 3


async def test_client_cancellation_mid_post_is_recorded_and_not_resent(zudu_double: ZuduDouble, mode: str) -> None:
    zudu_double.replies.append(Reply(200, {"late": True}, hold=True, acts=True))
    server, backend = live(zudu_double, timeout=10)
    async with Client(server, mode=mode) as client:
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: client.call_tool("create_batch_call", seed()))
            await zudu_double.until(lambda double: double.creates)  # the POST is at Zudu, its answer held
            group.cancel_scope.cancel()  # the person gave up: the client cancels the request, the server the tool mid-POST
        deadline = time.monotonic() + 30
        while backend.journal().recent(1)[0].outcome == "pending" and time.monotonic() < deadline:
            await anyio.sleep(0.05)
        assert backend.journal().recent(1)[0].outcome == "unknown"
        again = await client.call_tool("create_batch_call", seed())
    assert not again.is_error, text_of(again)
    assert len(zudu_double.batches) == 1 and len(zudu_double.creates) == 1


def test_a_server_killed_mid_create_does_not_dial_twice_after_restart(zudu_double: ZuduDouble, tmp_path) -> None:
    """SIGKILL while Zudu holds the request: the intent row survives; the restarted server finds the batch."""
    env = {
        "ZUDU_API_KEY": API_KEY,
        "ZUDU_API_SECRET": API_SECRET,
        "ZUDU_BASE_URL": zudu_double.url,
        "ZUDU_MCP_STATE_DIR": str(tmp_path),
        "ZUDU_MCP_CONFIRM": "off",
        "ZUDU_TIMEOUT_SECONDS": "30",
        "ZUDU_MCP_SETTLE_SECONDS": "0",
    }
    arguments = seed() | {"trigger_timestamp": int(time.time() * 1000) + 86_400_000}
    zudu_double.clock_ms = lambda: int(time.time() * 1000)  # the subprocess runs on the real clock
    zudu_double.replies.append(Reply(200, {"late": True}, hold=True, acts=True))
    process = subprocess.Popen(
        [sys.executable, "-m", "zudu_mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")} | env,
    )
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "create_batch_call", "arguments": arguments}},
    ]
    process.stdin.write("".join(json.dumps(m) + "\n" for m in messages).encode())
    process.stdin.flush()
    zudu_double.wait_for(lambda double: double.creates)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)

    journal = subprocess.run([sys.executable, "-m", "zudu_mcp", "journal"], env=os.environ | env, capture_output=True, text=True, timeout=60)
    assert "pending (no answer recorded: may have reached Zudu)" in journal.stdout, journal.stdout

    async def retry_after_restart():
        async with Client(StdioServerParameters(command=sys.executable, args=["-m", "zudu_mcp"], env=env), read_timeout_seconds=30) as client:
            return await client.call_tool("create_batch_call", arguments)

    result = anyio.run(retry_after_restart)
    assert not result.is_error, text_of(result)
    assert len(zudu_double.batches) == 1 and len(zudu_double.creates) == 1


async def test_a_split_campaign_resumes_with_the_missing_parts(zudu_double: ZuduDouble, tmp_path) -> None:
    (tmp_path / "c.csv").write_text("phone\n" + "".join(f"+9196{i:08d}\n" for i in range(2500)))
    settings = Settings(api_key=API_KEY, api_secret=API_SECRET, base_url=zudu_double.url, mcp_file_roots=str(tmp_path), mcp_settle_seconds=0)
    server = create_server(backend=Backend(settings, clock=lambda: SEED_NOW, sleep=Sleeps()))
    refuse_second_create = iter([False, True])

    def second_part_fails_once(request):
        if (request.method, request.path) == ("POST", "/batch-call") and next(refuse_second_create, False):
            return Reply(400, {"status": "error", "message": "Validation error", "error": "Agent is busy"})
        return zudu_double.behave_like_zudu(request)

    zudu_double.default = second_part_fails_once
    arguments = seed() | {"recipients_file": "c.csv"}
    arguments.pop("tasks")
    async with Client(server, mode="legacy") as client:
        first = await client.call_tool("create_batch_call", arguments)
        second = await client.call_tool("create_batch_call", arguments)
    assert first.is_error and "Zudu did not create «new_batch_call_docs (part 2 of 3)»" in text_of(first), text_of(first)
    assert not second.is_error, text_of(second)
    names = [r.body["name"] for r in zudu_double.creates]
    assert names == [f"new_batch_call_docs (part {i} of 3)" for i in (1, 2, 2, 3)]
    assert len(zudu_double.batches) == 3
    assert "(existed already)" in text_of(second)
