"""The sandbox remembers across processes (state directory, never the live journal) and its clock can run fast."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client

from tests.conftest import sandbox_server, text_of
from tests.test_real_clients import CI, INSPECTOR, require
from zudu_mcp.demo import SEED_REQUEST
from zudu_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET, SandboxState, create_app, open_sandbox, sandbox_path

pytestmark = pytest.mark.anyio
AUTH = {"X-API-KEY": SANDBOX_API_KEY, "X-API-SECRET": SANDBOX_API_SECRET}
NOW_MS = 1770882512648  # before the seed's trigger time


def client_for(state: SandboxState) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(state)), base_url="http://sandbox", headers=AUTH)


def send_now(recipients: int = 3) -> dict:
    body = {k: v for k, v in SEED_REQUEST.items() if k not in ("trigger_timestamp", "quiet_hours")}  # any time of day
    return body | {"send_now": True, "tasks": [{"to_number": f"+9196000{i:05d}", "dynamic_variables": {"name": f"P{i}"}} for i in range(recipients)]}


async def test_two_sandboxes_on_one_directory_share_batches_calls_and_deletes(tmp_path: Path) -> None:
    clock = {"ms": NOW_MS}
    first, second = (open_sandbox(tmp_path, clock=lambda: clock["ms"]) for _ in range(2))
    async with client_for(first) as one, client_for(second) as other:
        created = (await one.post("/batch-call", json=SEED_REQUEST)).json()
        batch_id = created["batch_call_id"]
        seen = (await other.get(f"/batch-call/{batch_id}")).json()["data"]
        assert seen == created
        assert (await other.patch(f"/batch-call/{batch_id}", json={"name": "renamed"})).status_code == 200
        assert (await one.get(f"/batch-call/{batch_id}")).json()["data"]["name"] == "renamed"
        clock["ms"] = SEED_REQUEST["trigger_timestamp"] + 3_600_000
        tasks = (await one.get(f"/batch-call/{batch_id}/tasks")).json()["data"]["tasks"]
        calls = [(await other.get(f"/api/calls/{task['call_id']}")).json()["data"] for task in tasks]
        assert [c["to_number"] for c in calls] == [t["to_number"] for t in tasks] and all(c["end_timestamp"] for c in calls)
        second_id = (await other.post("/batch-call", json=SEED_REQUEST | {"trigger_timestamp": clock["ms"] + 60_000})).json()["batch_call_id"]
        assert second_id != batch_id  # ids come from a stored counter, not from each process's own seed sequence
        assert (await other.delete(f"/batch-call/{batch_id}")).json()["status"] == "success"
        assert (await one.get(f"/batch-call/{batch_id}")).status_code == 404
        assert (await one.get(f"/api/calls/{tasks[0]['call_id']}")).status_code == 404
    assert sandbox_path(tmp_path) == tmp_path / "sandbox" / "sandbox.sqlite3" and sandbox_path(tmp_path).is_file()


async def test_in_memory_sandboxes_share_nothing_and_write_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    first, second = open_sandbox(None, clock=lambda: NOW_MS), open_sandbox(None, clock=lambda: NOW_MS)
    async with client_for(first) as one, client_for(second) as other:
        batch_id = (await one.post("/batch-call", json=SEED_REQUEST)).json()["batch_call_id"]
        assert (await other.get(f"/batch-call/{batch_id}")).status_code == 404
    assert list(tmp_path.iterdir()) == []


async def test_sandbox_mode_keeps_its_state_apart_from_the_live_journal(mode: str) -> None:
    state_dir = Path(os.environ["ZUDU_MCP_STATE_DIR"])
    live = state_dir / "journal.sqlite3"
    live.write_bytes(b"the live journal: must stay exactly as it is")
    server, backend = sandbox_server()
    async with Client(server, mode=mode) as client:
        result = await client.call_tool("create_batch_call", copy.deepcopy(SEED_REQUEST))
    assert not result.is_error, text_of(result)
    batch_id = result.structured_content["batch_call"]["batch_call_id"]
    assert live.read_bytes() == b"the live journal: must stay exactly as it is"
    assert backend.sandbox_state is not None and backend.sandbox_state.path == state_dir / "sandbox" / "sandbox.sqlite3"
    later = open_sandbox(state_dir, clock=lambda: NOW_MS)  # what the next process would open
    assert batch_id in later.batches


# ---- separate processes ------------------------------------------------------------------------

SCRIPT = """
import json, sys
from pathlib import Path
from starlette.testclient import TestClient
from zudu_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET, create_app, open_sandbox
state = open_sandbox(Path(sys.argv[1]), clock=lambda: {now})
client = TestClient(create_app(state), headers={{"X-API-KEY": SANDBOX_API_KEY, "X-API-SECRET": SANDBOX_API_SECRET}})
action, argument = sys.argv[2], json.loads(sys.argv[3])
if action == "create":
    ids = [client.post("/batch-call", json=argument["body"]).json()["batch_call_id"] for _ in range(argument["count"])]
    print(json.dumps(ids))
else:
    print(json.dumps(client.get("/batch-call/" + argument).json()))
"""


def in_process(state_dir: Path, action: str, argument: object) -> subprocess.Popen[str]:
    code = SCRIPT.format(now=NOW_MS)
    return subprocess.Popen(
        [sys.executable, "-c", code, str(state_dir), action, json.dumps(argument)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def output(process: subprocess.Popen[str]) -> object:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return json.loads(out)


def test_a_batch_created_by_one_process_is_there_for_the_next(tmp_path: Path) -> None:
    [batch_id] = output(in_process(tmp_path, "create", {"body": SEED_REQUEST, "count": 1}))
    fetched = output(in_process(tmp_path, "get", batch_id))
    assert fetched["status"] == "success" and fetched["data"]["batch_call_id"] == batch_id
    assert fetched["data"]["name"] == SEED_REQUEST["name"]


def test_processes_creating_at_once_never_collide(tmp_path: Path) -> None:
    open_sandbox(tmp_path, clock=lambda: NOW_MS).close()  # the file exists before both start, as after any first run
    writers = [in_process(tmp_path, "create", {"body": SEED_REQUEST, "count": 15}) for _ in range(2)]
    ids = [batch_id for writer in writers for batch_id in output(writer)]
    assert len(set(ids)) == 30
    assert set(open_sandbox(tmp_path, clock=lambda: NOW_MS).batches) == set(ids)


# ---- the accelerated clock ---------------------------------------------------------------------


class Wall:
    def __init__(self) -> None:
        self.ms = 1_800_000_000_000

    def __call__(self) -> int:
        return self.ms


def test_processes_agree_on_sandbox_time_from_the_stored_anchor(tmp_path: Path) -> None:
    wall = Wall()
    path = sandbox_path(tmp_path)
    first = SandboxState(path=path, speed=600, wall=wall)
    wall.ms += 10_000
    second = SandboxState(path=path, speed=600, wall=wall)  # opened later: same anchor, same time
    assert first.now_ms() == second.now_ms() == 1_800_000_000_000 + 6_000_000  # 10 s of wall time are 100 min here
    wall.ms += 1_000
    real_time = SandboxState(path=path, speed=1, wall=wall)  # another speed re-anchors without a jump
    assert real_time.now_ms() == 1_800_000_000_000 + 6_600_000
    wall.ms += 1_000
    assert first.now_ms() == second.now_ms() == real_time.now_ms() == 1_800_000_000_000 + 6_601_000
    assert SandboxState(path=path, clock=lambda: 42).now_ms() == 42  # an injected clock wins


def test_speed_must_be_positive() -> None:
    with pytest.raises(ValueError, match="sandbox speed must be above 0"):
        open_sandbox(None, speed=0)


async def test_a_small_batch_completes_in_seconds_of_wall_time_at_600x(tmp_path: Path) -> None:
    state = open_sandbox(tmp_path, speed=600)
    async with client_for(state) as client:
        started = time.monotonic()
        batch_id = (await client.post("/batch-call", json=send_now(5))).json()["batch_call_id"]
        while True:
            batch = (await client.get(f"/batch-call/{batch_id}")).json()["data"]
            if batch["status"] == "completed" or time.monotonic() - started > 30:
                break
            await anyio.sleep(0.05)
        elapsed = time.monotonic() - started
        tasks = (await client.get(f"/batch-call/{batch_id}/tasks")).json()["data"]["tasks"]
    assert batch["status"] == "completed", batch
    assert {task["status"] for task in tasks} <= {"COMPLETED", "FAILED"}
    assert elapsed < 10  # five calls take a few sandbox minutes: well under a second at 600x


# ---- the issue-17 check: the Inspector CLI, one process per request ------------------------------


def test_inspector_creates_in_one_process_and_gets_the_batch_in_the_next(tmp_path: Path) -> None:
    require(INSPECTOR, CI / "node" / "UNAVAILABLE")
    server = [sys.executable, "-m", "zudu_mcp", "--sandbox", "-e", "ZUDU_MCP_CONFIRM=off", "-e", f"ZUDU_MCP_STATE_DIR={tmp_path}"]

    def tool(name: str, arguments: dict) -> dict:
        done = subprocess.run(
            [
                str(INSPECTOR),
                "--cli",
                *server,
                "--method",
                "tools/call",
                "--tool-name",
                name,
                "--tool-args-json",
                json.dumps(arguments),
                "--format",
                "json",
                "-q",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)["result"]
        assert result["isError"] is False, result["content"][0]["text"]
        return result

    arguments = {k: v for k, v in SEED_REQUEST.items() if k != "trigger_timestamp"} | {"schedule": "tomorrow at 10am"}
    created = tool("create_batch_call", arguments)
    batch_id = created["structuredContent"]["batch_call"]["batch_call_id"]
    fetched = tool("get_batch_call", {"batch_call_id": batch_id})
    assert fetched["structuredContent"]["batch_call"]["batch_call_id"] == batch_id
    assert fetched["structuredContent"]["batch_call"]["name"] == SEED_REQUEST["name"]
    assert batch_id in fetched["content"][0]["text"]
    assert not (tmp_path / "journal.sqlite3").exists() and sandbox_path(tmp_path).is_file()
