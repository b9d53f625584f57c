"""Streamable HTTP for teams: auth, Host checks, health, toolsets, a real session over the wire, and
the connection layer under hostile clients (half-open connections, slow headers, a full house).

Every server here is a subprocess whose output goes to a file (never a pipe that is read while it
runs), waited for with a deadline, and stopped in a `finally` or a fixture: a failing assertion
cannot hang the suite or leave a process behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import text_of
from zudu_mcp.config import Settings
from zudu_mcp.demo import SEED_REQUEST
from zudu_mcp.server import published_specs

TOKEN = "team-token-0123456789abcdef"
LISTENING = "zudu-mcp: listening on "
pytestmark = pytest.mark.anyio


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> int:
    """SIGTERM, then SIGKILL if it has not gone within 15 s; the exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait(timeout=15)


def log_of(process: subprocess.Popen) -> str:
    return Path(process.log_path).read_text(errors="replace")  # type: ignore[attr-defined]


def start(*flags: str, env: dict[str, str] | None = None, sandbox: bool = True, timeout: float = 60) -> tuple[subprocess.Popen, str]:
    """Starts `zudu-mcp serve --transport http` and returns once it says it is listening.

    The caller stops it (`stop(process)`); if it never gets there, it is stopped here and the error
    carries what it wrote. Its stderr goes to a file: `log_of(process)`.
    """
    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")} | {"ZUDU_MCP_CONFIRM": "off"} | (env or {})
    log = tempfile.NamedTemporaryFile(prefix="zudu-http-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "zudu_mcp", "serve", "--transport", "http", "--port", str(port), *(["--sandbox"] if sandbox else []), *flags],
        env=base,
        stdout=subprocess.DEVNULL,
        stderr=log,
        stdin=subprocess.DEVNULL,
    )
    log.close()
    process.log_path = log.name  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while LISTENING not in log_of(process):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"the HTTP server did not start: {log_of(process)[-3000:]}")
        time.sleep(0.1)
    return process, f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def running(*flags: str, env: dict[str, str] | None = None, sandbox: bool = True) -> Iterator[tuple[subprocess.Popen, str]]:
    process, url = start(*flags, env=env, sandbox=sandbox)
    try:
        yield process, url
    finally:
        stop(process)
        os.unlink(process.log_path)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def server_process() -> Iterator[tuple[subprocess.Popen, str]]:
    process, url = start(env={"ZUDU_MCP_AUTH_TOKEN": TOKEN})
    try:
        yield process, url
    finally:
        code = stop(process)
        log = log_of(process)
        os.unlink(process.log_path)  # type: ignore[attr-defined]
    # uvicorn finishes in-flight requests, then re-raises SIGTERM so supervisors see why it stopped
    assert code in (0, -signal.SIGTERM)
    assert "Traceback" not in log, "SIGTERM must shut the server down cleanly"


@pytest.fixture
def server(server_process: tuple[subprocess.Popen, str]) -> str:
    return server_process[1]


INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def test_without_a_token_the_answer_is_401_with_a_challenge_and_no_error_code(server: str) -> None:
    """RFC 6750 §3.1: no credentials sent, no error code; invalid_token only for a wrong token."""
    response = httpx.post(server + "/mcp", json=INIT, headers=HEADERS, timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="zudu-mcp"'
    assert "No token was sent" in response.json()["error_description"]
    wrong = httpx.post(server + "/mcp", json=INIT, headers=HEADERS | {"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == 'Bearer realm="zudu-mcp", error="invalid_token"'


def test_get_on_the_endpoint_is_405_not_a_stream_that_never_ends(server: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}", "Accept": "text/event-stream"}
    response = httpx.get(server + "/mcp", headers=auth, timeout=10)
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
    assert httpx.get(server + "/mcp", timeout=10).status_code == 401, "authentication still comes first"


def test_a_foreign_host_or_origin_is_refused(server: str) -> None:
    auth = HEADERS | {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.post(server + "/mcp", json=INIT, headers=auth | {"Host": "evil.example:80"}, timeout=10).status_code == 421
    assert httpx.post(server + "/mcp", json=INIT, headers=auth | {"Origin": "http://evil.example"}, timeout=10).status_code == 403


def test_health_needs_no_token(server: str) -> None:
    assert httpx.get(server + "/healthz", timeout=10).json()["status"] == "ok"


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
    assert len(tools.tools) == len(published_specs(Settings()))
    assert not checked.is_error and "10:00 IST" in text_of(checked)
    assert not created.is_error and "SANDBOX" in text_of(created), text_of(created)


def test_non_loopback_without_auth_refuses_to_start() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "zudu_mcp", "serve", "--transport", "http", "--host", "0.0.0.0", "--port", str(free_port()), "--sandbox"],
        env={k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "without authentication" in done.stderr and "--insecure-no-auth" in done.stderr


async def test_read_only_and_allowlisted_toolsets() -> None:
    with running("--read-only") as (_, url):
        async with Client(url + "/mcp") as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == {
        "resolve_schedule",
        "preview_batch_call",
        "get_batch_call",
        "list_batch_calls",
        "list_agents",
        "list_phone_numbers",
        "batch_report",
        "call_again",
    }
    from zudu_mcp.config import Settings
    from zudu_mcp.server import create_server

    async with Client(create_server(Settings(mcp_tools="resolve_schedule,get_batch_call"))) as client:
        assert {t.name for t in (await client.list_tools()).tools} == {"resolve_schedule", "get_batch_call"}


async def test_tokens_work_across_workers_and_the_token_file(tmp_path) -> None:
    """Two workers behind one port: a preview answered by one and a create answered by the other still match.

    Also: with two workers the "listening" line is written once, and the port answers as soon as it is.
    """
    from zudu_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET

    port = free_port()
    emulator = subprocess.Popen([sys.executable, "-m", "zudu_mcp", "sandbox", "--port", str(port)], stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        (tmp_path / "token").write_text(TOKEN + "\n")
        env = {
            "ZUDU_MCP_CONFIRM": "token",
            "ZUDU_MCP_STATE_DIR": str(tmp_path / "state"),
            "ZUDU_MCP_AUTH_TOKEN_FILE": str(tmp_path / "token"),
            "ZUDU_BASE_URL": f"http://127.0.0.1:{port}",
            "ZUDU_API_KEY": SANDBOX_API_KEY,
            "ZUDU_API_SECRET": SANDBOX_API_SECRET,
        }
        with running("--workers", "2", env=env, sandbox=False) as (process, url):
            assert httpx.get(url + "/healthz", timeout=10).status_code == 200
            fresh_connections = httpx2.Limits(max_keepalive_connections=0)  # so the kernel spreads requests over both workers
            http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30, limits=fresh_connections)
            async with Client(streamable_http_client(url + "/mcp", http_client=http), mode="legacy") as client:
                for i in range(4):
                    arguments = SEED_REQUEST | {"trigger_timestamp": None, "schedule": "tomorrow at 10am", "name": f"Campaign {i}"}
                    preview = await client.call_tool("preview_batch_call", arguments)
                    token = preview.structured_content["confirmation_token"]
                    created = await client.call_tool("create_batch_call", arguments | {"confirmation_token": token})
                    assert not created.is_error, text_of(created)
            assert log_of(process).count(LISTENING) == 1 and "2 worker(s)" in log_of(process)
    finally:
        stop(emulator)


def test_an_unreadable_token_file_stops_start_up_with_one_line(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")} | {"ZUDU_MCP_AUTH_TOKEN_FILE": str(tmp_path / "missing")}
    done = subprocess.run(
        [sys.executable, "-m", "zudu_mcp", "serve", "--transport", "http", "--port", str(free_port()), "--sandbox"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "ZUDU_MCP_AUTH_TOKEN_FILE" in done.stderr and "Traceback" not in done.stderr


def test_a_start_without_credentials_warns_once_and_still_serves() -> None:
    with running(sandbox=False) as (process, url):
        assert httpx.get(url + "/healthz", timeout=10).status_code == 200
        warnings = [line for line in log_of(process).splitlines() if "warning" in line]
    assert len(warnings) == 1 and "ZUDU_API_KEY" in warnings[0] and "--sandbox" in warnings[0]


# --- hostile clients -------------------------------------------------------------------------------


def closed_by_server(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def test_300_half_open_connections_neither_stop_health_checks_nor_flood_the_log() -> None:
    """Issue 11: 1,100 half-open connections once stopped the server answering and wrote 49 MB of log in 15 s.

    Here 300 connections each send half a request and stop, against a worker that holds at most 100:
    /healthz keeps answering (the oldest waiting connections make room), the header timeout closes
    the rest, and the log stays a few lines.
    """
    env = {"ZUDU_MCP_HTTP_MAX_CONNECTIONS": "100", "ZUDU_MCP_HTTP_HEADER_TIMEOUT_SECONDS": "3", "ZUDU_LOG_LEVEL": "INFO"}
    sockets: list[socket.socket] = []
    with running(env=env) as (process, url):
        port = int(url.rsplit(":", 1)[1])
        try:
            for _ in range(300):
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                sock.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n")  # and never the rest
                sockets.append(sock)
            for _ in range(5):
                assert httpx.get(url + "/healthz", timeout=10).status_code == 200
            deadline = time.monotonic() + 60
            open_ones = sockets
            while open_ones and time.monotonic() < deadline:
                open_ones = [s for s in open_ones if not closed_by_server(s)]
                time.sleep(0.5)
            assert not open_ones, f"{len(open_ones)} half-open connections were never closed"
            assert httpx.get(url + "/healthz", timeout=10).status_code == 200
        finally:
            for sock in sockets:
                sock.close()
        log = log_of(process)
    assert len(log.encode()) < 20_000, f"{len(log.encode())} bytes of log for 300 bad connections"
    closing_lines = log.count("Closed an HTTP connection")
    assert 1 <= closing_lines <= 10, f"{closing_lines} lines for 300 closed connections: the log must be rate limited"


class ProtocolHarness:
    """GuardedH11Protocol on an asyncio server in this process, listening on a socket whose `proto` is 0.

    That is how a socket handed to a uvicorn worker looks: asyncio then skips TCP_NODELAY (uvicorn #3149).
    """

    def __init__(self, **limits: float) -> None:
        import uvicorn
        from uvicorn.server import ServerState

        from zudu_mcp.http import ConnectionLimits, GuardedH11Protocol

        async def app(scope, receive, send):
            if scope["type"] == "http":
                await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
                await send({"type": "http.response.body", "body": b"ok"})

        self.config = uvicorn.Config(app, http=GuardedH11Protocol, lifespan="off", log_level="warning", timeout_keep_alive=30)
        self.config.load()
        self.config.limits = ConnectionLimits(**({"header_timeout": 30, "body_timeout": 30, "max_connections": 100} | limits))
        self.state = ServerState()
        self.accepted = 0
        harness = self

        class Counted(GuardedH11Protocol):
            def connection_made(self, transport):
                super().connection_made(transport)
                harness.accepted += 1

        self.protocol_class = Counted

    async def __aenter__(self) -> ProtocolHarness:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
        listener.bind(("127.0.0.1", 0))
        listener.listen(100)
        assert listener.proto == 0
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: self.protocol_class(config=self.config, server_state=self.state, app_state={}, _loop=loop), sock=listener
        )
        self.port = listener.getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for connection in list(self.state.connections):
            connection.transport.close()
        await self.until(lambda: not self.state.connections)
        self.server.close()
        await self.server.wait_closed()

    async def until(self, condition, timeout: float = 10) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            assert asyncio.get_running_loop().time() < deadline, "the server side never got there"
            await asyncio.sleep(0.01)

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        before = self.accepted
        connection = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), 10)
        await self.until(lambda: self.accepted > before)  # the server side has it too
        return connection


async def test_accepted_sockets_get_tcp_nodelay_even_when_asyncio_would_skip_it() -> None:
    async with ProtocolHarness() as harness:
        reader, writer = await harness.connect()
        (connection,) = harness.state.connections
        sock = connection.transport.get_extra_info("socket")
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await asyncio.wait_for(reader.readuntil(b"ok"), 10)).startswith(b"HTTP/1.1 200")
        writer.close()


async def test_past_the_limit_the_oldest_waiting_connection_makes_room() -> None:
    async with ProtocolHarness(max_connections=3) as harness:
        first = [await harness.connect() for _ in range(3)]
        newest = await harness.connect()
        assert await asyncio.wait_for(first[0][0].read(), 10) == b"", "the oldest waiting connection was closed"
        newest[1].write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await asyncio.wait_for(newest[0].readuntil(b"ok"), 10)).startswith(b"HTTP/1.1 200")
        for _, writer in [*first, newest]:
            writer.close()


async def test_a_client_that_never_finishes_its_headers_is_closed_and_one_that_does_is_not() -> None:
    async with ProtocolHarness(header_timeout=1) as harness:
        slow_reader, slow_writer = await harness.connect()
        slow_writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # no blank line: the headers never end
        done_reader, done_writer = await harness.connect()
        done_writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await asyncio.wait_for(done_reader.readuntil(b"ok"), 10)).startswith(b"HTTP/1.1 200")
        assert await asyncio.wait_for(slow_reader.read(), 20) == b""
        slow_writer.close()
        done_writer.close()


def test_repeated_log_lines_are_counted_not_written() -> None:
    from zudu_mcp.http import RateLimitedLog

    now = [0.0]
    limiter = RateLimitedLog(burst=5, window=10, clock=lambda: now[0])
    records = [logging.LogRecord("uvicorn.error", logging.WARNING, __file__, 1, "Invalid HTTP request received.", None, None) for _ in range(100)]
    assert sum(limiter.filter(record) for record in records) == 5
    other = logging.LogRecord("asyncio", logging.ERROR, __file__, 1, "socket.accept() out of system resource", None, None)
    assert limiter.filter(other), "another kind of message has its own allowance"
    now[0] = 10.0
    later = logging.LogRecord("uvicorn.error", logging.WARNING, __file__, 1, "Invalid HTTP request received.", None, None)
    assert limiter.filter(later) and "95 more like this" in later.getMessage()


async def test_healthz_keeps_answering_while_a_large_list_is_read(tmp_path: Path) -> None:
    """File parsing runs off the event loop: one worker reading 60,000 rows still answers probes at once."""
    (tmp_path / "big.csv").write_text("phone,name\n" + "".join(f"+9196{i:08d},n{i}\n" for i in range(60_000)))
    arguments = {k: v for k, v in SEED_REQUEST.items() if k not in ("tasks", "trigger_timestamp")}
    arguments |= {"recipients_file": "big.csv", "schedule": "tomorrow at 10am"}
    with running("--file-root", str(tmp_path), env={"ZUDU_MCP_STATE_DIR": str(tmp_path / "state")}) as (_, url):
        slowest = 0.0

        async def probe(done: asyncio.Event) -> None:
            nonlocal slowest
            async with httpx.AsyncClient(timeout=30) as http:
                while not done.is_set():
                    started = time.monotonic()
                    assert (await http.get(url + "/healthz")).status_code == 200
                    slowest = max(slowest, time.monotonic() - started)
                    await asyncio.sleep(0.05)

        done = asyncio.Event()
        prober = asyncio.create_task(probe(done))
        async with Client(url + "/mcp") as client:
            planned = await client.call_tool("preview_batch_call", arguments)
        done.set()
        await prober
    assert not planned.is_error and "60000 calls" in text_of(planned), text_of(planned)[:300]
    assert slowest < 2.0, f"/healthz waited {slowest:.2f} s while the list was read"
