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
    process = subprocess.Popen([sys.executable, "-m", "zudu_mcp", "sandbox", "--port", str(port)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
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


class Clock:
    def __init__(self) -> None:
        self.ms = NOW_MS

    def __call__(self) -> int:
        return self.ms


async def scheduled_batch(client: httpx.AsyncClient, tasks: int = 10) -> str:
    body = dict(SEED_REQUEST, tasks=[{"to_number": f"+91960000{i:04d}"} for i in range(tasks)])
    response = await client.post("/batch-call", json=body, headers=AUTH)
    return response.json()["batch_call_id"]


def clocked_client(clock: Clock, seed: int = 7) -> httpx.AsyncClient:
    app = create_app(SandboxState(clock=clock, seed=seed))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox", headers=AUTH)


async def test_life_cycle_follows_the_clock_and_refuses_what_zudu_refuses() -> None:
    clock = Clock()
    async with clocked_client(clock) as client:
        batch_id = await scheduled_batch(client)
        one = f"/batch-call/{batch_id}"
        assert (await client.get(one)).json()["data"]["status"] == "scheduled"
        refused = await client.delete(one)
        assert refused.status_code == 400 and refused.json()["error"] == "Cannot delete batch call with status SCHEDULED"
        past = await client.patch(one, json={"trigger_timestamp": NOW_MS - 1})
        assert past.status_code == 400 and "must be in the future" in past.json()["error"]
        clock.ms = SEED_REQUEST["trigger_timestamp"] + 5_000  # 5 s after the start: 3 calls dialed
        running = (await client.get(one)).json()["data"]
        assert (running["status"], running["sent"], running["completed"]) == ("sent", 3, 0)
        tasks = (await client.get(one + "/tasks")).json()["data"]["tasks"]
        assert [t["status"] for t in tasks[:4]] == ["CALLING", "CALLING", "CALLING", "PENDING"]
        no_pause = await client.patch(one, json={"status": "draft"})
        assert no_pause.status_code == 400 and "already been sent" in no_pause.json()["error"]
        clock.ms += 3_600_000
        done = (await client.get(one)).json()["data"]
        assert (done["status"], done["sent"], done["completed"]) == ("completed", 10, 10)
        assert done["picked_up"] == sum(t["status"] == "COMPLETED" for t in (await client.get(one + "/tasks")).json()["data"]["tasks"])
        again = await client.post(one + "/execute")
        assert again.status_code == 400 and again.json()["error"] == "Cannot execute batch call with status COMPLETED"
        frozen = await client.patch(one, json={"name": "new"})
        assert frozen.status_code == 400 and frozen.json()["error"] == "Cannot update batch call with status COMPLETED"
        assert (await client.delete(one)).json()["status"] == "success"
        assert (await client.get(one)).status_code == 404


async def test_outcomes_are_deterministic_for_a_seed() -> None:
    outcomes = []
    for _ in range(2):
        clock = Clock()
        async with clocked_client(clock) as client:
            batch_id = await scheduled_batch(client, tasks=30)
            clock.ms = SEED_REQUEST["trigger_timestamp"] + 3_600_000
            tasks = (await client.get(f"/batch-call/{batch_id}/tasks", params={"limit": 100})).json()["data"]["tasks"]
            outcomes.append([(t["status"], t["error_message"]) for t in tasks])
    assert outcomes[0] == outcomes[1]
    assert {status for status, _ in outcomes[0]} == {"COMPLETED", "FAILED"}


async def test_lists_page_and_limits_are_enforced() -> None:
    clock = Clock()
    async with clocked_client(clock) as client:
        ids = [await scheduled_batch(client, tasks=2) for _ in range(3)]
        everything = (await client.get("/batch-call/list")).json()["data"]  # no limit: every batch, as documented
        assert len(everything["batch_calls"]) == 3
        page = (await client.get("/batch-call/list", params={"limit": 2, "page": 1})).json()["data"]
        assert len(page["batch_calls"]) == 1 and page["pagination"]["has_next_page"] is False
        filtered = await client.post("/batch-call/list", json={"filter_criteria": {"status": ["scheduled"]}, "pagination": {"page": 0, "limit": 2}})
        assert filtered.json()["data"]["pagination"]["has_next_page"] is True
        too_many = await client.get(f"/batch-call/{ids[0]}/tasks", params={"limit": 101})
        assert too_many.status_code == 400 and "between 1 and 100" in too_many.json()["error"]
