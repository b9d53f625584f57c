"""Streamable HTTP for teams: auth, Host checks, health, toolsets, and a real session over the wire."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import text_of
from zudu_mcp.demo import SEED_REQUEST

TOKEN = "team-token-0123456789abcdef"
pytestmark = pytest.mark.anyio


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(*flags: str, env: dict[str, str] | None = None, sandbox: bool = True) -> tuple[subprocess.Popen, str]:
    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")} | {"ZUDU_MCP_CONFIRM": "off"} | (env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "zudu_mcp", "serve", "--transport", "http", "--port", str(port), *(["--sandbox"] if sandbox else []), *flags],
        env=base, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "server did not start")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    process, url = start(env={"ZUDU_MCP_AUTH_TOKEN": TOKEN})
    yield url
    process.terminate()
    # uvicorn finishes in-flight requests, then re-raises SIGTERM so supervisors see why it stopped
    assert process.wait(timeout=15) in (0, -15)
    assert b"Traceback" not in process.stderr.read(), "SIGTERM must shut the server down cleanly"


INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def test_without_a_token_the_answer_is_401_with_www_authenticate(server: str) -> None:
    response = httpx.post(server + "/mcp", json=INIT, headers=HEADERS)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = httpx.post(server + "/mcp", json=INIT, headers=HEADERS | {"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_a_foreign_host_or_origin_is_refused(server: str) -> None:
    auth = HEADERS | {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.post(server + "/mcp", json=INIT, headers=auth | {"Host": "evil.example:80"}).status_code == 421
    assert httpx.post(server + "/mcp", json=INIT, headers=auth | {"Origin": "http://evil.example"}).status_code == 403


def test_health_needs_no_token(server: str) -> None:
    assert httpx.get(server + "/healthz").json()["status"] == "ok"


def test_oversized_requests_are_refused(server: str) -> None:
    big = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "resolve_schedule", "arguments": {"text": "x" * (26 * 1_048_576)}}}
    response = httpx.post(server + "/mcp", json=big, headers=HEADERS | {"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert response.status_code == 413


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_session_over_http_with_the_token(server: str, mode: str) -> None:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    async with Client(streamable_http_client(server + "/mcp", http_client=http), mode=mode) as client:
        tools = await client.list_tools()
        checked = await client.call_tool("resolve_schedule", {"text": "tomorrow at 10am", "timezone": "Asia/Kolkata"})
        created = await client.call_tool("create_batch_call", SEED_REQUEST | {"trigger_timestamp": None, "schedule": "tomorrow at 10am"})
    assert len(tools.tools) == 12
    assert not checked.is_error and "10:00 IST" in text_of(checked)
    assert not created.is_error and "SANDBOX" in text_of(created), text_of(created)


def test_non_loopback_without_auth_refuses_to_start() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "zudu_mcp", "serve", "--transport", "http", "--host", "0.0.0.0", "--port", str(free_port()), "--sandbox"],
        env={k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")}, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and "without authentication" in done.stderr and "--insecure-no-auth" in done.stderr


async def test_read_only_and_allowlisted_toolsets() -> None:
    process, url = start("--read-only")
    try:
        async with Client(url + "/mcp") as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert names == {"resolve_schedule", "preview_batch_call", "get_batch_call", "list_batch_calls", "list_batch_call_tasks", "list_agents", "list_phone_numbers"}
    from zudu_mcp.config import Settings
    from zudu_mcp.server import create_server

    async with Client(create_server(Settings(mcp_tools="resolve_schedule,get_batch_call"))) as client:
        assert {t.name for t in (await client.list_tools()).tools} == {"resolve_schedule", "get_batch_call"}


async def test_tokens_work_across_workers_and_the_token_file(tmp_path) -> None:
    """Two workers behind one port: a preview answered by one and a create answered by the other still match."""
    from tests.test_sandbox import free_port as sandbox_port
    from zudu_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET

    port = sandbox_port()
    emulator = subprocess.Popen([sys.executable, "-m", "zudu_mcp", "sandbox", "--port", str(port)], stderr=subprocess.DEVNULL)
    (tmp_path / "token").write_text(TOKEN + "\n")
    env = {"ZUDU_MCP_CONFIRM": "token", "ZUDU_MCP_STATE_DIR": str(tmp_path / "state"), "ZUDU_MCP_AUTH_TOKEN_FILE": str(tmp_path / "token"),
           "ZUDU_BASE_URL": f"http://127.0.0.1:{port}", "ZUDU_API_KEY": SANDBOX_API_KEY, "ZUDU_API_SECRET": SANDBOX_API_SECRET}
    process, url = start("--workers", "2", env=env, sandbox=False)
    try:
        fresh_connections = httpx2.Limits(max_keepalive_connections=0)  # so the kernel spreads requests over both workers
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30, limits=fresh_connections)
        async with Client(streamable_http_client(url + "/mcp", http_client=http), mode="legacy") as client:
            for i in range(4):
                arguments = SEED_REQUEST | {"trigger_timestamp": None, "schedule": "tomorrow at 10am", "name": f"Campaign {i}"}
                preview = await client.call_tool("preview_batch_call", arguments)
                token = preview.structured_content["confirmation_token"]
                created = await client.call_tool("create_batch_call", arguments | {"confirmation_token": token})
                assert not created.is_error, text_of(created)
    finally:
        process.terminate()
        emulator.terminate()
        process.wait(timeout=15)
        emulator.wait(timeout=15)


def test_an_unreadable_token_file_stops_start_up_with_one_line(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")} | {"ZUDU_MCP_AUTH_TOKEN_FILE": str(tmp_path / "missing")}
    done = subprocess.run([sys.executable, "-m", "zudu_mcp", "serve", "--transport", "http", "--port", str(free_port()), "--sandbox"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "ZUDU_MCP_AUTH_TOKEN_FILE" in done.stderr and "Traceback" not in done.stderr
