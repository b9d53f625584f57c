"""Shared fixtures: a loopback Zudu test double, a fixed clock, servers wired to either."""

from __future__ import annotations

import compileall
import copy
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from zudu_mcp.backend import Backend
from zudu_mcp.config import Settings
from zudu_mcp.server import create_server

API_KEY = "sk_testkey0123456789abcdef0123456789"
API_SECRET = "s3cr3t_testsecret0123456789abcdef0123456789ab"


def pytest_configure(config: pytest.Config) -> None:
    """These machines set PYTHONDONTWRITEBYTECODE: compiled once here, every server process the suite starts skips compiling."""
    if sys.flags.dont_write_bytecode:
        compileall.compile_dir(Path(__file__).parent.parent / "zudu_mcp", quiet=1)


# Before the seed's own trigger time (2026-02-20), so Zudu's example is still in the future.
SEED_NOW = datetime(2026, 2, 12, 8, 0, tzinfo=UTC)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes -> raw
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hold: bool = False  # answer only when the test calls release() (or at teardown): a client timeout always fires first
    drop: bool = False  # close the connection without answering
    acts: bool = False  # the double creates the batch first, then answers like this (a lost answer)
    acts_late: bool = False  # the double creates the batch only after its delay (Zudu still working when the client gave up)


class ZuduDouble:
    """A real HTTP server on 127.0.0.1 that records requests and plays scripted replies."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.replies: list[Reply] = []
        self.script_discovery = False  # client tests script agent/number answers too
        self.batches: list[dict[str, Any]] = []  # what this fake Zudu has created
        self.clock_ms: Callable[[], int] = lambda: int(SEED_NOW.timestamp() * 1000)  # Zudu's own clock
        self.default: Callable[[Recorded], Reply] = self.behave_like_zudu
        self.released = threading.Event()  # held replies wait for it
        self.arrived = threading.Condition()  # notified on every request and late act: tests wait for one instead of sleeping
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                recorded = Recorded(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    json.loads(raw) if raw else None,
                )
                with double.arrived:
                    double.requests.append(recorded)
                    double.arrived.notify_all()
                discovery = recorded.method == "GET" and recorded.path.startswith(("/api/agents", "/api/phone-numbers")) and not double.script_discovery
                if discovery:  # agents and numbers are looked up while planning: scripted replies are for the rest
                    reply = double.behave_like_zudu(recorded)
                else:
                    reply = double.replies.pop(0) if double.replies else double.default(recorded)
                if reply.acts:
                    double.behave_like_zudu(recorded)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.hold:
                    double.released.wait(120)  # released by the test, or at teardown
                if reply.acts_late:
                    double.behave_like_zudu(recorded)
                    with double.arrived:
                        double.arrived.notify_all()
                if reply.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                body = reply.body
                data = body if isinstance(body, bytes) else body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(reply.status)
                content_type = "application/json" if not isinstance(body, str | bytes) else "text/html"
                self.send_header("Content-Type", content_type)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                try:
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (the timeout tests)

            do_GET = do_POST = do_PATCH = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def release(self) -> None:
        """Held replies are answered now (and every later one at once)."""
        self.released.set()

    def wait_for(self, condition: Callable[[ZuduDouble], bool], timeout: float = 60) -> None:
        """Blocks until `condition(self)` holds after some request arrived; the generous timeout only guards a broken test."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: condition(self), timeout), "the expected request never reached the Zudu double"

    async def until(self, condition: Callable[[ZuduDouble], bool], timeout: float = 60) -> None:
        """wait_for from async code: the event loop keeps running the server meanwhile."""
        import anyio.to_thread

        await anyio.to_thread.run_sync(lambda: self.wait_for(condition, timeout))

    def close(self) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def calls(self) -> list[Recorded]:
        """The requests that are not discovery look-ups (agents, numbers)."""
        return [r for r in self.requests if not (r.method == "GET" and r.path.startswith(("/api/agents", "/api/phone-numbers")))]

    @property
    def creates(self) -> list[Recorded]:
        return [r for r in self.requests if (r.method, r.path) == ("POST", "/batch-call")]

    def behave_like_zudu(self, request: Recorded) -> Reply:
        """Just enough of Zudu to create, find and list batches, and name its agents and numbers."""
        if request.path == "/api/agents":
            return Reply(200, {"status": "success", "data": {"agents": [{"agent_id": "agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e", "name": "Sales-Renewals"}]}})
        if request.path.startswith("/api/phone-numbers"):
            return Reply(200, {"status": "success", "data": {"phone_numbers": [{"phone_number": "+918035315547"}]}})
        if (request.method, request.path) == ("POST", "/batch-call"):
            batch = created_batch(request.body, len(self.batches)) | {"created_timestamp": self.clock_ms()}
            self.batches.append(batch)
            return Reply(200, batch)
        if request.path == "/batch-call/list":
            names = ((request.body or {}).get("filter_criteria") or {}).get("name") or []
            found = [b for b in self.batches if not names or any(n in b["name"] for n in names)]
            return Reply(200, {"status": "success", "data": {"batch_calls": found, "pagination": {"page": 0, "has_next_page": False}}})
        for batch in self.batches:
            if request.path == f"/batch-call/{batch['batch_call_id']}":
                return Reply(200, {"status": "success", "data": batch})
        return Reply(404, {"status": "error", "message": "Not found", "error": "not found"})


def created_batch(body: Any, serial: int = 0) -> dict[str, Any]:
    body = body or {}
    return {
        "batch_call_id": "batch_call_73077b8359a4478189e503a1547a9147" if serial == 0 else f"batch_call_{serial:032x}",
        "name": body.get("name"),
        "from_number": body.get("from_number"),
        "scheduled_timestamp": body.get("trigger_timestamp"),
        "total_task_count": len(body.get("tasks") or []),
        "agent_id": body.get("agent_id"),
        "organization_id": "org_32x5WvKzp28883DHaKC1YgEHzdE",
        "status": "scheduled",
        "error": None,
        "total": len(body.get("tasks") or []),
        "sent": 0,
        "picked_up": 0,
        "completed": 0,
        "timezone": body.get("timezone"),
        "last_sent_timestamp": None,
        "created_timestamp": int(SEED_NOW.timestamp() * 1000),
        "is_paused": False,
        "paused_at": None,
    }


@pytest.fixture
def zudu_double() -> Iterator[ZuduDouble]:
    double = ZuduDouble()
    yield double
    double.close()


@pytest.fixture(params=["legacy", "auto"])
def mode(request: pytest.FixtureRequest) -> str:
    """Both protocol eras: the 2025-11-25 handshake and the stateless 2026-07-28 one."""
    return request.param


def every_tool() -> str:
    """An allowlist naming every tool, including those published only on request."""
    from zudu_mcp.server import TOOL_SPECS, spec_name

    return ",".join(spec_name(spec) for spec in TOOL_SPECS)


class Sleeps(list):
    """A sleep that only records how long it was asked to wait: retries and back-offs take no time."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def live_server(double: ZuduDouble, *, now: datetime = SEED_NOW, timeout: float = 5.0, sleep: Sleeps | None = None):
    settings = Settings(api_key=API_KEY, api_secret=API_SECRET, base_url=double.url, timeout_seconds=timeout, mcp_tools=every_tool())
    return create_server(backend=Backend(settings, clock=lambda: now, sleep=sleep))


def double_server(double: ZuduDouble, **settings: Any):
    """A server on the Zudu double with exactly these settings (and the fixed clock of SEED_NOW)."""
    options = {"api_key": API_KEY, "api_secret": API_SECRET, "base_url": double.url} | settings
    return create_server(backend=Backend(Settings(**options), clock=lambda: SEED_NOW))


def campaign_without_tasks(**changes: Any) -> dict[str, Any]:
    """Zudu's documented example without its inline recipients (a test gives its own list)."""
    from zudu_mcp.demo import SEED_REQUEST

    base = copy.deepcopy(SEED_REQUEST)
    base.pop("tasks")
    return base | changes


def result_size(result: Any) -> int:
    """What the 8 KB bound counts: the text and the structured content together."""
    from zudu_mcp.tools.results import size_of

    return size_of("".join(block.text for block in result.content if hasattr(block, "text")), result.structured_content or {})


def sandbox_server(*, now: datetime = SEED_NOW):
    backend = Backend(Settings(sandbox=True), clock=lambda: now)
    return create_server(backend=backend), backend


def text_of(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The developer's own ZUDU_* variables must not leak into tests; each test gets its own journal.

    Consent is off unless a test is about consent: those set mcp_confirm themselves.
    """
    import os

    for name in list(os.environ):
        if name.startswith("ZUDU_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ZUDU_MCP_STATE_DIR", str(tmp_path_factory.mktemp("state")))
    monkeypatch.setenv("ZUDU_MCP_CONFIRM", "off")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class ManualClock:
    """A clock tests move by hand; the server and its in-process sandbox both read it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


@pytest.fixture(autouse=True)
def secrets_never_leak(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch):
    """Across the whole suite: the known key and secret appear in no tool result, log line or journal row."""
    import logging
    import os
    from pathlib import Path

    from mcp import Client

    caplog.set_level(logging.DEBUG)
    original = Client.call_tool
    seen: list[str] = []

    async def checked_call_tool(self, *args, **kwargs):
        result = await original(self, *args, **kwargs)
        seen.append(result.model_dump_json())
        if result.structured_content is not None:  # issue 14: the structured half holds every fact of the text
            assert result.structured_content.get("message") == "\n".join(getattr(b, "text", "") for b in result.content), "text and structured content differ"
        return result

    monkeypatch.setattr(Client, "call_tool", checked_call_tool)
    yield
    state = Path(os.environ["ZUDU_MCP_STATE_DIR"])
    stored = b"".join(path.read_bytes() for path in state.rglob("*") if path.is_file())
    logged = "\n".join(record.getMessage() for phase in ("setup", "call") for record in caplog.get_records(phase))
    for secret in (API_KEY, API_SECRET):
        assert not any(secret in text for text in seen), "a tool result holds a secret"
        assert secret not in logged, "a log line holds a secret"
        assert secret.encode() not in stored, "the journal holds a secret"


def serve_results(double: ZuduDouble, batch: dict[str, Any], tasks: list[dict[str, Any]], calls: dict[str, dict[str, Any]]) -> None:
    """The double also answers a finished batch's tasks and its calls (GET /api/calls/{id}); unknown calls are 404."""
    double.batches.append(batch)
    before = double.default

    def behave(request: Recorded) -> Reply:
        if request.method == "GET" and request.path == f"/batch-call/{batch['batch_call_id']}/tasks":
            return Reply(200, {"status": "success", "data": {"tasks": tasks, "pagination": {"page": 0, "has_next_page": False}}})
        if request.method == "GET" and request.path.startswith("/api/calls/"):
            call = calls.get(request.path.rsplit("/", 1)[1])
            if call is None:
                return Reply(404, {"status": "error", "message": "Not found", "error": "Call does not exist"})
            return Reply(200, {"status": "success", "data": call})
        return before(request)

    double.default = behave
