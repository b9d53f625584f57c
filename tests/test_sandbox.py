"""The sandbox enforces Zudu's documented rules with Zudu's envelope, in process and on a port."""

from __future__ import annotations

import copy
import socket
import subprocess
import sys
import time

import httpx
import pytest

from zudu_mcp.demo import SEED_REQUEST
from zudu_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET, SandboxState, create_app

pytestmark = pytest.mark.anyio
NOW_MS = 1770882512648  # the seed's created_timestamp, before its trigger time
AUTH = {"X-API-KEY": SANDBOX_API_KEY, "X-API-SECRET": SANDBOX_API_SECRET}


def sandbox_client(**app_options) -> httpx.AsyncClient:
    app = create_app(SandboxState(clock=lambda: NOW_MS), **app_options)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox")


async def test_seed_request_is_created_bare_like_the_create_page() -> None:
    async with sandbox_client() as client:
        response = await client.post("/batch-call", json=SEED_REQUEST, headers=AUTH)
        assert response.status_code == 200
        batch = response.json()
        assert batch["batch_call_id"].startswith("batch_call_") and len(batch["batch_call_id"]) == 43
        assert (batch["status"], batch["total_task_count"], batch["scheduled_timestamp"]) == ("scheduled", 2, 1771573740000)
        fetched = await client.get(f"/batch-call/{batch['batch_call_id']}", headers=AUTH)
        assert fetched.json()["status"] == "success" and fetched.json()["data"]["name"] == "new_batch_call_docs"


def with_change(key: str, value: object) -> dict:
    body = copy.deepcopy(SEED_REQUEST)
    if value is None:
        body.pop(key)
    else:
        body[key] = value
    return body


REFUSALS = [
    (with_change("trigger_timestamp", NOW_MS - 1), "trigger_timestamp must be in the future"),
    (with_change("trigger_timestamp", None), "trigger_timestamp is required"),
    (with_change("from_number", "8035315547"), "from_number must be in E.164"),
    (with_change("agent_id", "agent_x"), "agent_id must be in agent_[uuid] format"),
    (with_change("tasks", []), "between 1 and 1000"),
    (with_change("tasks", [{"to_number": "+918035315547"}]), "from_number cannot be one of the to_number"),
    (with_change("name", "n" * 256), "1 to 255"),
    (with_change("status", "completed"), "status must be one of"),
    (with_change("timezone", "Nowhere/City"), "valid IANA timezone"),
]


@pytest.mark.parametrize(("body", "error"), REFUSALS, ids=[r[1] for r in REFUSALS])
async def test_documented_rules_are_refused_with_zudus_envelope(body: dict, error: str) -> None:
    async with sandbox_client() as client:
        response = await client.post("/batch-call", json=body, headers=AUTH)
    assert response.status_code == 400
    envelope = response.json()
    assert envelope["status"] == "error" and envelope["message"] == "Validation error"
    assert error in envelope["error"]


async def test_missing_or_wrong_credentials_are_401() -> None:
    async with sandbox_client(credentials=(SANDBOX_API_KEY, SANDBOX_API_SECRET)) as client:
        assert (await client.post("/batch-call", json=SEED_REQUEST)).status_code == 401
        wrong = await client.post("/batch-call", json=SEED_REQUEST, headers={**AUTH, "X-API-SECRET": "nope"})
        assert wrong.status_code == 401 and wrong.json()["status"] == "error"


async def test_unknown_batch_is_404() -> None:
    async with sandbox_client() as client:
        response = await client.get("/batch-call/batch_call_missing", headers=AUTH)
    assert response.status_code == 404 and response.json()["status"] == "error"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_standalone_sandbox_serves_on_a_port() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "zudu_mcp", "sandbox", "--port", str(port)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    try:
        body = dict(SEED_REQUEST, send_now=True)
        body.pop("trigger_timestamp")
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.post(f"http://127.0.0.1:{port}/batch-call", json=body, headers=AUTH, timeout=5)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "sandbox did not start"
                time.sleep(0.1)
        assert response.status_code == 200 and response.json()["status"] == "sent"
    finally:
        process.terminate()
        process.wait(timeout=10)
