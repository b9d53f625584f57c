"""Consent across workers and hosts: one elicitation, its question answered by one server process and
its answer by another.

On the 2026-07-28 protocol a question travels as an input-required result whose sealed request state
the client sends back with the answer; that retry may reach any worker or host. Every process must
then unseal it: the key comes from ZUDU_MCP_REQUEST_STATE_KEY_FILE (by default made once in the
shared state directory). Two instances (one of them with two workers) sit behind a client that sends
each request to the other instance in turn, so the question and the answer cannot meet in one process.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import ElicitResult

from tests.conftest import text_of
from tests.test_http import free_port, running, stop
from zudu_mcp.demo import SEED_REQUEST

pytestmark = pytest.mark.anyio
CAMPAIGN = SEED_REQUEST | {"trigger_timestamp": None, "schedule": "tomorrow at 10am"}


class Alternating(httpx2.AsyncHTTPTransport):
    """Sends each request to the next of the given ports in turn, and notes which port got which method."""

    def __init__(self, ports: list[int]):
        super().__init__()
        self.ports, self.turn, self.seen = ports, 0, []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = self.ports[self.turn % len(self.ports)]
        self.turn += 1
        request.url = request.url.copy_with(port=port)
        method = (httpx2.Response(200, content=request.content).json() if request.content else {}).get("method")
        self.seen.append((port, method))
        return await super().handle_async_request(request)


async def yes(context: Any, params: Any) -> ElicitResult:
    return ElicitResult(action="accept", content={"confirm": True})


def emulator() -> tuple[subprocess.Popen, dict[str, str]]:
    from zudu_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "zudu_mcp", "sandbox", "--port", str(port)], stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return process, {"ZUDU_BASE_URL": f"http://127.0.0.1:{port}", "ZUDU_API_KEY": SANDBOX_API_KEY, "ZUDU_API_SECRET": SANDBOX_API_SECRET}


async def elicit_across(first: str, second: str) -> tuple[Any, Alternating, list[str]]:
    ports = [int(first.rsplit(":", 1)[1]), int(second.rsplit(":", 1)[1])]
    transport = Alternating(ports)
    http = httpx2.AsyncClient(transport=transport, timeout=60, limits=httpx2.Limits(max_keepalive_connections=0))
    asked: list[str] = []

    async def answer(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return await yes(context, params)

    async with Client(streamable_http_client(first + "/mcp", http_client=http), mode="auto", elicitation_callback=answer) as client:
        try:
            result: Any = await client.call_tool("create_batch_call", CAMPAIGN)
        except Exception as exc:  # the SDK raises when the retry's state cannot be unsealed
            result = exc
    return result, transport, asked


async def test_an_elicitation_answered_on_another_worker_goes_through_with_the_shared_key(tmp_path) -> None:
    zudu, live = emulator()
    try:
        env = live | {"ZUDU_MCP_CONFIRM": "elicit", "ZUDU_MCP_STATE_DIR": str(tmp_path / "state")}
        with (
            running("--workers", "2", env=env | {"ZUDU_MCP_HOST_ID": "host-a"}, sandbox=False) as (_, first),
            running(env=env | {"ZUDU_MCP_HOST_ID": "host-b"}, sandbox=False) as (_, second),
        ):
            result, transport, asked = await elicit_across(first, second)
    finally:
        stop(zudu)
    assert not isinstance(result, Exception), result
    assert not result.is_error and "Batch call created" in text_of(result), text_of(result)
    assert len(asked) == 1 and "Go ahead?" in asked[0]
    calls = [port for port, method in transport.seen if method == "tools/call"]
    assert len(calls) == 2 and calls[0] != calls[1]  # the question from one instance, the answer to the other
    assert (tmp_path / "state" / "request-state.key").stat().st_mode & 0o777 == 0o600


async def test_without_a_shared_key_the_other_worker_cannot_read_the_answer(tmp_path) -> None:
    """The control: each instance with a key of its own (as every process had before), and the retry is refused."""
    zudu, live = emulator()
    try:
        env = live | {"ZUDU_MCP_CONFIRM": "elicit", "ZUDU_MCP_STATE_DIR": str(tmp_path / "state")}
        with (
            running(env=env | {"ZUDU_MCP_REQUEST_STATE_KEY_FILE": str(tmp_path / "a.key")}, sandbox=False) as (_, first),
            running(env=env | {"ZUDU_MCP_REQUEST_STATE_KEY_FILE": str(tmp_path / "b.key")}, sandbox=False) as (_, second),
        ):
            result, transport, asked = await elicit_across(first, second)
    finally:
        stop(zudu)
    assert len(asked) == 1
    assert isinstance(result, Exception) or result.is_error
    assert "Batch call created" not in (str(result) if isinstance(result, Exception) else text_of(result))


def test_a_bad_request_state_key_file_stops_start_up_with_the_fix(tmp_path) -> None:
    from zudu_mcp.config import Settings
    from zudu_mcp.http import check_team

    short = tmp_path / "short.key"
    short.write_text("too-short\n")
    assert "at least 32 characters" in check_team(Settings(sandbox=True, mcp_request_state_key_file=str(short)))
    rotated = tmp_path / "ring.key"
    rotated.write_text("n" * 64 + "\n" + "o" * 64 + "\n")
    assert check_team(Settings(sandbox=True, mcp_request_state_key_file=str(rotated))) is None
