"""Calls in the sandbox (GET /api/calls/{id}, POST /api/calls), the client methods and the Call model."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from tests.conftest import API_KEY, API_SECRET, Reply, ZuduDouble
from zudu_mcp.demo import SEED_REQUEST
from zudu_mcp.sandbox import ADVERSARIAL_LINE, OPT_OUT_LINE, SANDBOX_API_KEY, SANDBOX_API_SECRET, SandboxState, create_app
from zudu_mcp.sandbox.calls import call_id
from zudu_mcp.zudu.client import ZuduClient
from zudu_mcp.zudu.errors import NotFound
from zudu_mcp.zudu.models import Call, unwrap

pytestmark = pytest.mark.anyio
START = 1771573740000  # 2026-02-20 07:49 UTC, 13:19 in Kolkata: outside the seed's quiet hours
AUTH = {"X-API-KEY": SANDBOX_API_KEY, "X-API-SECRET": SANDBOX_API_SECRET}
NAMES = ["Aswathi", "Dev", "Meera", "Arjun", "Kavya", "Rahul", "Priya", "Vikram"]
TASK_ERRORS = {"answered": None, "no_answer": "Call not answered", "busy": "Line busy", "voicemail": "Reached voicemail", "unreachable": "Number unreachable"}
END_REASONS = {"no_answer": "dial_no_answer", "busy": "dial_busy", "voicemail": "voicemail_reached", "unreachable": "dial_failed"}
MODEL_OUTCOMES = {"answered": "answered", "no_answer": "no_answer", "busy": "busy", "voicemail": "voicemail", "unreachable": "failed"}


class Clock:
    def __init__(self, ms: int = START - 60_000) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def client_for(state: SandboxState) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(state)), base_url="http://sandbox", headers=AUTH)


def body(recipients: int, **changes) -> dict:
    tasks = [{"to_number": f"+9196000{i:05d}", "dynamic_variables": {"name": NAMES[i % len(NAMES)], "order_id": f"50012{i:02d}"}} for i in range(recipients)]
    return dict(SEED_REQUEST, tasks=tasks, **changes)


async def create(client: httpx.AsyncClient, recipients: int, **changes) -> str:
    response = await client.post("/batch-call", json=body(recipients, **changes))
    assert response.status_code == 200, response.text
    return response.json()["batch_call_id"]


async def tasks_of(client: httpx.AsyncClient, batch_id: str) -> list[dict]:
    return (await client.get(f"/batch-call/{batch_id}/tasks", params={"limit": 100})).json()["data"]["tasks"]


async def get_call(client: httpx.AsyncClient, call: str) -> dict:
    response = await client.get(f"/api/calls/{call}")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "success"
    return response.json()["data"]


def planned(state: SandboxState, batch_id: str) -> list[dict]:
    record = state.load(batch_id)
    assert record is not None
    return record.plan


async def test_a_call_registers_rings_connects_and_ends_with_the_batch_clock() -> None:
    clock = Clock()
    state = SandboxState(clock=clock)
    async with client_for(state) as client:
        batch_id = await create(client, 12)
        first = next(task for task in planned(state, batch_id) if task["outcome"] == "answered")
        dialed_at = START + first["index"] * 2_000
        assert (await client.get(f"/api/calls/{first['call_id']}")).status_code == 404  # not dialed yet: no call
        clock.ms = dialed_at
        ringing = await get_call(client, first["call_id"])
        assert (ringing["call_status"], ringing["created_at"], ringing["start_timestamp"], ringing["end_timestamp"]) == ("REGISTERED", dialed_at, None, None)
        assert "transcript_object" not in ringing
        task = (await tasks_of(client, batch_id))[first["index"]]
        assert (task["status"], task["call_id"]) == ("CALLING", first["call_id"])
        clock.ms = dialed_at + first["ring_ms"]
        talking = await get_call(client, first["call_id"])
        assert (talking["call_status"], talking["start_timestamp"], talking["end_timestamp"]) == ("ONGOING", clock.ms, None)
        clock.ms = dialed_at + first["ring_ms"] + first["talk_ms"]
        ended = await get_call(client, first["call_id"])
        task = (await tasks_of(client, batch_id))[first["index"]]
    assert ended["call_status"] == "ENDED" and task["status"] == "COMPLETED" and task["error_message"] is None
    assert ended["end_timestamp"] - ended["start_timestamp"] == first["talk_ms"] and 25_000 <= first["talk_ms"] <= 150_000
    assert ended["metadata"]["batch_call_id"] == batch_id and ended["metadata"]["task_id"] == task["task_id"]
    assert ended["metadata"]["dynamic_variables"] == body(12)["tasks"][first["index"]]["dynamic_variables"]
    assert ended["metadata"]["end_reason"] in ("agent_hangup", "user_hangup")
    assert [e["type"] for e in ended["events"]] == ["call_registered", "call_started", "call_ended"]
    assert ended["events"][-1]["reason"] == ended["metadata"]["end_reason"]
    name = NAMES[first["index"] % len(NAMES)]
    assert ended["transcript_object"][0] == {
        "role": "agent",
        "content": f"Hello {name}, this is Sales-Renewals calling about your order id 50012{first['index']:02d}. Is now a good time?",
    }
    assert {line["role"] for line in ended["transcript_object"]} == {"agent", "user"}
    assert (ended["from_number"], ended["to_number"], ended["direction"], ended["call_type"]) == (
        SEED_REQUEST["from_number"],
        task["to_number"],
        "OUTBOUND",
        "PHONE_CALL",
    )


async def test_every_outcome_agrees_between_task_call_and_model() -> None:
    clock = Clock()
    state = SandboxState(clock=clock)
    async with client_for(state) as client:
        batch_id = await create(client, 100)
        clock.ms = START + 3_600_000
        tasks = await tasks_of(client, batch_id)
        calls = [await get_call(client, task["call_id"]) for task in tasks]
    seen = set()
    for plan, task, call in zip(planned(state, batch_id), tasks, calls, strict=True):
        outcome = plan["outcome"]
        seen.add(outcome)
        assert task["status"] == ("COMPLETED" if outcome == "answered" else "FAILED") and task["error_message"] == TASK_ERRORS[outcome]
        assert call["call_status"] == ("ERROR" if outcome == "unreachable" else "ENDED")
        model = Call.model_validate(call)
        assert model.outcome == MODEL_OUTCOMES[outcome], (outcome, call["metadata"])
        if outcome != "answered":
            assert model.end_reason == END_REASONS[outcome]
        if outcome in ("answered", "voicemail"):
            assert model.talk_ms == plan["talk_ms"] > 0 and model.transcript_object
        else:  # nobody picked up: no start, no talk time, no transcript fields at all
            assert call["start_timestamp"] is None and model.talk_ms == 0 and "transcript_object" not in call
            assert model.transcript_object is None
    assert seen == set(TASK_ERRORS)


async def test_transcripts_and_outcomes_repeat_for_a_seed_and_change_with_it() -> None:
    runs = []
    for seed in (7, 7, 8):
        clock = Clock()
        async with client_for(SandboxState(clock=clock, seed=seed)) as client:
            batch_id = await create(client, 30)
            clock.ms = START + 3_600_000
            runs.append([await get_call(client, task["call_id"]) for task in await tasks_of(client, batch_id)])
    assert json.dumps(runs[0]) == json.dumps(runs[1])
    assert [c["end_timestamp"] for c in runs[0]] != [c["end_timestamp"] for c in runs[2]]  # another seed, other fates


async def test_a_deterministic_minority_of_callees_say_adversarial_or_opt_out_lines() -> None:
    clock = Clock()
    state = SandboxState(clock=clock)
    async with client_for(state) as client:
        batch_id = await create(client, 40)
        clock.ms = START + 3_600_000
        calls = [await get_call(client, task["call_id"]) for task in await tasks_of(client, batch_id)]
    answered = [(plan["index"], call) for plan, call in zip(planned(state, batch_id), calls, strict=True) if plan["outcome"] == "answered"]
    said = {index: [line["content"] for line in call["transcript_object"] if line["role"] == "user"] for index, call in answered}
    adversarial = sorted(i for i, lines in said.items() if ADVERSARIAL_LINE in lines)
    opted_out = sorted(i for i, lines in said.items() if OPT_OUT_LINE in lines)
    assert adversarial and adversarial == sorted(i for i in said if i % 7 == 3)
    assert opted_out and opted_out == sorted(i for i in said if i % 7 == 5)
    assert len(adversarial) + len(opted_out) < len(said) / 2  # a minority


async def test_unknown_and_not_yet_dialed_calls_are_404_in_zudus_words() -> None:
    clock = Clock()
    async with client_for(SandboxState(clock=clock)) as client:
        batch_id = await create(client, 5)  # scheduled for START: nothing dialed yet
        for missing in ("call_nope", call_id(batch_id, 0)):
            response = await client.get(f"/api/calls/{missing}")
            assert response.status_code == 404
            assert response.json() == {"message": "Not found", "status": "error", "error": f"Call with ID '{missing}' does not exist", "data": None}


async def test_calls_are_listed_filtered_sorted_and_paged() -> None:
    clock = Clock()
    async with client_for(SandboxState(clock=clock)) as client:
        await create(client, 8)
        await create(client, 4, agent_id="agent_c0ffee00-1234-4abc-8def-0123456789ab", timezone="America/New_York")
        clock.ms = START + 7_000  # four calls of each batch dialed, all still ringing
        ringing = (await client.post("/api/calls", json={})).json()["data"]
        assert ringing["pagination"] == {"page": 0, "limit": 20, "total": 8, "total_pages": 1}
        assert {c["call_status"] for c in ringing["calls"]} == {"REGISTERED"}
        assert not {"metadata", "events", "transcript_object"} & set(ringing["calls"][0])
        clock.ms = START + 3_600_000
        page = (await client.post("/api/calls", json={"page": 1, "limit": 5, "sort_by": "created_at", "sort_order": "ascending"})).json()["data"]
        assert page["pagination"] == {"page": 1, "limit": 5, "total": 12, "total_pages": 3}
        everything = (await client.post("/api/calls", json={"limit": 100, "sort_order": "ascending"})).json()["data"]["calls"]
        assert [c["call_id"] for c in page["calls"]] == [c["call_id"] for c in everything[5:10]]
        assert [c["created_at"] for c in everything] == sorted(c["created_at"] for c in everything)
        ours = await client.post(
            "/api/calls",
            json={
                "filter_criteria": {"agent_id": "agent_c0ffee00-1234-4abc-8def-0123456789ab", "call_status": ["ended", "error"], "call_type": ["phone_call"]}
            },
        )
        assert ours.json()["data"]["pagination"]["total"] == 4
        for bad, error in (
            ({"limit": 101}, "limit must be between 1 and 100"),
            ({"sort_by": "name"}, "sort_by must be one of"),
            ({"sort_order": "up"}, "sort_order must be ascending or descending"),
        ):
            refused = await client.post("/api/calls", json=bad)
            assert refused.status_code == 400 and error in refused.json()["error"]


async def test_quiet_hours_hold_the_first_dial_until_the_window_ends() -> None:
    night = int(datetime(2026, 2, 20, 17, 30, tzinfo=UTC).timestamp() * 1000)  # 23:00 in Kolkata, inside 22:00-08:00
    clock = Clock(night - 60_000)
    async with client_for(SandboxState(clock=clock)) as client:
        batch_id = await create(client, 3, trigger_timestamp=night)
        morning = int(datetime(2026, 2, 21, 2, 30, tzinfo=UTC).timestamp() * 1000)  # 08:00 in Kolkata
        clock.ms = morning - 1
        waiting = (await client.get(f"/batch-call/{batch_id}")).json()["data"]
        assert (waiting["status"], waiting["sent"]) == ("sent", 0)
        assert {t["status"] for t in await tasks_of(client, batch_id)} == {"PENDING"}
        clock.ms = morning + 2_000
        first = (await tasks_of(client, batch_id))[0]
        call = await get_call(client, first["call_id"])
    assert call["created_at"] == morning and call["call_status"] == "REGISTERED"


# ---- the client --------------------------------------------------------------------------------


def sandbox_client(state: SandboxState) -> ZuduClient:
    return ZuduClient(base_url="http://sandbox", api_key=SANDBOX_API_KEY, api_secret=SANDBOX_API_SECRET, transport=httpx.ASGITransport(app=create_app(state)))


async def test_client_reads_sandbox_calls_and_lists_them() -> None:
    clock = Clock()
    state = SandboxState(clock=clock)
    client = sandbox_client(state)
    try:
        async with client_for(state) as raw:
            batch_id = await create(raw, 6)
        clock.ms = START + 3_600_000
        _, tasks = await client.list_tasks(batch_id)
        calls = [await client.get_call(task.call_id) for task in tasks]
        page, listed = await client.list_calls(limit=4, call_status=["ENDED", "ERROR"], sort_order="ascending")
        with pytest.raises(NotFound, match="Call with ID 'call_gone' does not exist"):
            await client.get_call("call_gone")
        with pytest.raises(ValueError, match="is not a call id"):
            await client.get_call("call_1/../../batch-call")
    finally:
        await client.aclose()
    assert all(call.ended and call.metadata["batch_call_id"] == batch_id for call in calls)
    assert [call.to_number for call in calls] == [task.to_number for task in tasks]
    assert (page.total, page.has_next_page, len(listed)) == (6, True, 4)
    assert all(call.call_status in ("ended", "error") and call.transcript_object is None for call in listed)


async def test_client_sends_the_documented_requests(zudu_double: ZuduDouble) -> None:
    zudu_double.replies = [
        Reply(200, {"call_id": "call_1", "call_status": "ongoing", "start_timestamp": 1771573750}),  # bare, lower case, seconds
        Reply(
            200,
            {
                "status": "success",
                "data": {
                    "calls": [{"call_id": "call_2", "call_status": "ENDED"}, {"no": "id"}],
                    "pagination": {"page": 0, "limit": 2, "total": 3, "total_pages": 2},
                },
            },
        ),
    ]
    client = ZuduClient(base_url=zudu_double.url, api_key=API_KEY, api_secret=API_SECRET)
    try:
        call = await client.get_call("call_1")
        page, calls = await client.list_calls(
            limit=2, call_status=["ended"], agent_id="agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e", sort_by="created_at", sort_order="descending"
        )
    finally:
        await client.aclose()
    assert (call.call_status, call.start_timestamp, call.transcript_object) == ("ongoing", 1771573750000, None)
    get, listing = zudu_double.requests
    assert (get.method, get.path, listing.method, listing.path) == ("GET", "/api/calls/call_1", "POST", "/api/calls")
    assert listing.body == {
        "page": 0,
        "limit": 2,
        "sort_by": "created_at",
        "sort_order": "descending",
        "filter_criteria": {"call_status": ["ended"], "agent_id": "agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e"},
    }
    assert [c.call_id for c in calls] == ["call_2"] and (page.total, page.has_next_page) == (3, True)


# ---- the Call model ----------------------------------------------------------------------------

CALL = {
    "call_id": "call_1",
    "call_status": "ENDED",
    "call_type": "PHONE_CALL",
    "direction": "OUTBOUND",
    "start_timestamp": 1771573750000,
    "end_timestamp": 1771573812000,
}


@pytest.mark.parametrize(
    "payload",
    [
        {"status": "success", "message": "ok", "error": None, "data": CALL},
        CALL | {"call_status": "ended", "call_type": "phone_call", "direction": "outbound"},
        CALL | {"start_timestamp": 1771573750, "end_timestamp": 1771573812},
        CALL | {"start_timestamp": "2026-02-20T07:49:10Z", "end_timestamp": "1771573812000"},
        CALL | {"mystery": {"nested": True}, "analysis": "dropped"},
    ],
    ids=["envelope", "lower-case enums", "seconds", "ISO and digit text", "unknown fields"],
)
def test_call_model_reads_every_shape_zudu_may_send(payload: dict) -> None:
    call = Call.model_validate(unwrap(payload))
    assert (call.call_status, call.call_type, call.direction) == ("ended", "phone_call", "outbound")
    assert (call.start_timestamp, call.end_timestamp, call.talk_ms) == (1771573750000, 1771573812000, 62_000)
    assert call.transcript_object is None and call.metadata == {} and call.events == []
    assert "mystery" not in call.model_dump()


@pytest.mark.parametrize(
    ("changes", "outcome", "reason"),
    [
        ({"disconnection_reason": "user_hangup"}, "answered", "user_hangup"),
        ({"metadata": {"end_reason": "voicemail_reached"}}, "voicemail", "voicemail_reached"),
        ({"events": [{"type": "call_ended", "reason": "dial_no_answer"}]}, "no_answer", "dial_no_answer"),
        ({"end_reason": "dial_busy"}, "busy", "dial_busy"),
        ({"call_status": "error"}, "failed", None),
        ({"call_status": "ongoing", "end_timestamp": None}, None, None),
        ({}, None, None),
    ],
)
def test_call_outcome_comes_from_the_end_reason_wherever_zudu_puts_it(changes: dict, outcome: str | None, reason: str | None) -> None:
    call = Call.model_validate(CALL | changes)
    assert (call.outcome, call.end_reason) == (outcome, reason)


def test_call_model_tolerates_odd_transcripts_and_metadata() -> None:
    call = Call.model_validate(
        CALL
        | {
            "metadata": "not an object",
            "events": None,
            "start_timestamp": None,
            "transcript_object": [{"role": "AGENT", "content": "Hi"}, {"speaker": "user", "text": "Yo"}, "junk"],
            "transcript_with_tool_calls": "nope",
        }
    )
    assert [(line.role, line.content) for line in call.transcript_object] == [("agent", "Hi"), ("user", "Yo")]
    assert call.transcript_with_tool_calls is None and call.metadata == {} and call.events == [] and call.talk_ms == 0
