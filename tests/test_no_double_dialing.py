"""Fault injection: wherever Zudu may have acted, the same create retried never makes a second batch.

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
from mcp.shared.exceptions import MCPError

from tests.conftest import API_KEY, API_SECRET, SEED_NOW, Reply, ZuduDouble, text_of
from zudu_mcp.backend import Backend
from zudu_mcp.config import Settings
from zudu_mcp.demo import SEED_REQUEST
from zudu_mcp.server import create_server

pytestmark = pytest.mark.anyio


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def live(double: ZuduDouble, *, timeout: float = 2.0, sleeps: Sleeps | None = None):
    settings = Settings(api_key=API_KEY, api_secret=API_SECRET, base_url=double.url, timeout_seconds=timeout)
    backend = Backend(settings, clock=lambda: SEED_NOW, sleep=sleeps if sleeps is not None else Sleeps())
    return create_server(backend=backend), backend


def seed() -> dict:
    return copy.deepcopy(SEED_REQUEST)


LOST_ANSWERS = [
    ("connection closed after the body", Reply(drop=True, acts=True)),
    ("read timeout", Reply(200, {"late": True}, delay=1.0, acts=True)),
    ("invalid JSON", Reply(200, "<html>oops</html>", acts=True)),
    ("500 after acting", Reply(500, {"status": "error", "error": "internal"}, acts=True)),
]


@pytest.mark.parametrize(("case", "reply"), LOST_ANSWERS, ids=[c for c, _ in LOST_ANSWERS])
async def test_a_lost_answer_is_never_followed_by_a_second_batch(zudu_double: ZuduDouble, mode: str, case: str, reply: Reply) -> None:
    zudu_double.replies.append(reply)
    server, backend = live(zudu_double, timeout=0.5)
    async with Client(server, mode=mode) as client:
        first = await client.call_tool("create_batch_call", seed())
        assert first.is_error and "safe" in text_of(first), text_of(first)
        assert backend.journal().recent(1)[0].outcome == "unknown"
        second = await client.call_tool("create_batch_call", seed())
        third = await client.call_tool("create_batch_call", seed())
    assert len(zudu_double.batches) == 1 and len(zudu_double.creates) == 1
    assert not second.is_error and "Not created again" in text_of(second), text_of(second)
    assert second.structured_content["batch_call"]["batch_call_id"] == zudu_double.batches[0]["batch_call_id"]
    assert "Not created again" in text_of(third)
    [entry] = backend.journal().recent(5)
    assert (entry.outcome, entry.batch_call_id) == ("ok", zudu_double.batches[0]["batch_call_id"])


async def test_a_500_where_zudu_did_not_act_is_sent_again_after_checking(zudu_double: ZuduDouble, mode: str) -> None:
    zudu_double.replies.append(Reply(500, {"status": "error", "error": "internal"}))
    server, backend = live(zudu_double)
    async with Client(server, mode=mode) as client:
        first = await client.call_tool("create_batch_call", seed())
        second = await client.call_tool("create_batch_call", seed())
    assert first.is_error and not second.is_error
    assert len(zudu_double.batches) == 1 and len(zudu_double.creates) == 2
    listed = [r for r in zudu_double.requests if r.path == "/batch-call/list"]
    assert listed and listed[0].body["filter_criteria"] == {"name": ["new_batch_call_docs"]}  # it looked before sending
    assert [e.outcome for e in backend.journal().recent(5)] == ["ok", "unknown"]


async def test_429_with_retry_after_is_waited_out_and_sent_once_more(zudu_double: ZuduDouble, mode: str) -> None:
    zudu_double.replies.append(Reply(429, {"status": "error", "error": "slow down"}, headers={"Retry-After": "2"}))
    sleeps = Sleeps()
    server, backend = live(zudu_double, sleeps=sleeps)
    async with Client(server, mode=mode) as client:
        result = await client.call_tool("create_batch_call", seed())
    assert not result.is_error, text_of(result)
    assert len(zudu_double.creates) == 2 and len(zudu_double.batches) == 1
    assert len(sleeps) == 1 and 2 <= sleeps[0] <= 2.25
    assert backend.journal().recent(1)[0].outcome == "ok"


async def test_503_with_retry_after_is_retried_but_a_plain_503_is_not_resent(zudu_double: ZuduDouble) -> None:
    zudu_double.replies += [Reply(503, {"status": "error"}, headers={"Retry-After": "1"}), Reply(503, {"status": "error"})]
    server, _ = live(zudu_double)
    async with Client(server, mode="legacy") as client:
        result = await client.call_tool("create_batch_call", seed())
    assert result.is_error and "may have been applied" in text_of(result)
    assert len(zudu_double.creates) == 2


async def test_reads_are_retried_on_5xx(zudu_double: ZuduDouble) -> None:
    zudu_double.replies += [Reply(502, {"status": "error"}), Reply(500, {"status": "error"})]
    zudu_double.batches.append({"batch_call_id": "batch_call_1", "name": "x", "status": "scheduled"})
    server, _ = live(zudu_double)
    async with Client(server, mode="legacy") as client:
        result = await client.call_tool("get_batch_call", {"batch_call_id": "batch_call_1"})
    assert not result.is_error and len(zudu_double.requests) == 3


async def test_client_cancellation_mid_post_is_recorded_and_not_resent(zudu_double: ZuduDouble, mode: str) -> None:
    zudu_double.replies.append(Reply(200, {"late": True}, delay=1.5, acts=True))
    server, backend = live(zudu_double, timeout=10)
    async with Client(server, mode=mode) as client:
        with pytest.raises(MCPError):  # the client gave up waiting: the server cancels the tool mid-POST
            await client.call_tool("create_batch_call", seed(), read_timeout_seconds=0.5)
        deadline = time.monotonic() + 5
        while backend.journal().recent(1)[0].outcome == "pending" and time.monotonic() < deadline:
            await anyio.sleep(0.05)
        assert backend.journal().recent(1)[0].outcome == "unknown"
        again = await client.call_tool("create_batch_call", seed())
    assert "Not created again" in text_of(again), text_of(again)
    assert len(zudu_double.batches) == 1 and len(zudu_double.creates) == 1


def test_a_server_killed_mid_create_does_not_dial_twice_after_restart(zudu_double: ZuduDouble, tmp_path) -> None:
    """SIGKILL while Zudu holds the request: the intent row survives; the restarted server finds the batch."""
    env = {
        "ZUDU_API_KEY": API_KEY, "ZUDU_API_SECRET": API_SECRET, "ZUDU_BASE_URL": zudu_double.url,
        "ZUDU_MCP_STATE_DIR": str(tmp_path), "ZUDU_MCP_CONFIRM": "off", "ZUDU_TIMEOUT_SECONDS": "30",
    }
    arguments = seed() | {"trigger_timestamp": int(time.time() * 1000) + 86_400_000}
    zudu_double.clock_ms = lambda: int(time.time() * 1000)  # the subprocess runs on the real clock
    zudu_double.replies.append(Reply(200, {"late": True}, delay=20, acts=True))
    process = subprocess.Popen(
        [sys.executable, "-m", "zudu_mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")} | env,
    )
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "create_batch_call", "arguments": arguments}},
    ]
    process.stdin.write("".join(json.dumps(m) + "\n" for m in messages).encode())
    process.stdin.flush()
    deadline = time.monotonic() + 30
    while not zudu_double.creates:
        assert time.monotonic() < deadline, "the server never sent the create"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)

    journal = subprocess.run([sys.executable, "-m", "zudu_mcp", "journal"], env=os.environ | env, capture_output=True, text=True, timeout=60)
    assert "pending (no answer recorded: may have reached Zudu)" in journal.stdout, journal.stdout

    async def retry_after_restart():
        async with Client(StdioServerParameters(command=sys.executable, args=["-m", "zudu_mcp"], env=env), read_timeout_seconds=30) as client:
            return await client.call_tool("create_batch_call", arguments)

    result = anyio.run(retry_after_restart)
    assert "Not created again" in text_of(result), text_of(result)
    assert len(zudu_double.batches) == 1 and len(zudu_double.creates) == 1


async def test_a_split_campaign_resumes_with_the_missing_parts(zudu_double: ZuduDouble, tmp_path) -> None:
    (tmp_path / "c.csv").write_text("phone\n" + "".join(f"+9196{i:08d}\n" for i in range(2500)))
    settings = Settings(api_key=API_KEY, api_secret=API_SECRET, base_url=zudu_double.url, mcp_file_roots=str(tmp_path))
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
    assert first.is_error and "part 2 of 3 failed" in text_of(first)
    assert not second.is_error, text_of(second)
    names = [r.body["name"] for r in zudu_double.creates]
    assert names == [f"new_batch_call_docs (part {i} of 3)" for i in (1, 2, 2, 3)]
    assert len(zudu_double.batches) == 3
    assert "1 of 3 batch(es) already existed" in text_of(second)
