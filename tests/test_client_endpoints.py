"""Every endpoint on the wire: exact method, path, query and body, and both response shapes read."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import API_KEY, API_SECRET, Reply, ZuduDouble
from zudu_mcp.zudu.client import ZuduClient
from zudu_mcp.zudu.models import UpdateBatchCallRequest

pytestmark = pytest.mark.anyio
BATCH_ID = "batch_call_73077b8359a4478189e503a1547a9147"
BATCH = {"batch_call_id": BATCH_ID, "name": "n", "status": "SCHEDULED", "scheduled_timestamp": 1796095800}


def shaped(data: Any, shape: str) -> Any:
    return {"message": "ok", "status": "success", "error": None, "data": data} if shape == "envelope" else data


@pytest.fixture(params=["bare", "envelope"])
def shape(request: pytest.FixtureRequest) -> str:
    return request.param


def client_for(double: ZuduDouble) -> ZuduClient:
    return ZuduClient(base_url=double.url, api_key=API_KEY, api_secret=API_SECRET, timeout=5)


async def call(double: ZuduDouble, reply: Any, shape: str, method: str, *args: Any, **kwargs: Any):
    double.replies.append(Reply(200, shaped(reply, shape)))
    double.script_discovery = True
    client = client_for(double)
    try:
        result = await getattr(client, method)(*args, **kwargs)
    finally:
        await client.aclose()
    [request] = double.requests
    assert request.headers["x-api-key"] == API_KEY and request.headers["x-api-secret"] == API_SECRET
    return request, result


async def test_get_batch_call(zudu_double: ZuduDouble, shape: str) -> None:
    request, batch = await call(zudu_double, BATCH, shape, "get_batch_call", BATCH_ID)
    assert (request.method, request.path, request.query, request.body) == ("GET", f"/batch-call/{BATCH_ID}", {}, None)
    assert (batch.status, batch.scheduled_timestamp) == ("scheduled", 1796095800000)


async def test_list_batch_calls_always_sends_limit(zudu_double: ZuduDouble, shape: str) -> None:
    data = {"batch_calls": [BATCH], "pagination": {"page": 0, "limit": 20, "has_next_page": True}}
    request, (page, batches) = await call(zudu_double, data, shape, "list_batch_calls")
    assert (request.method, request.path) == ("GET", "/batch-call/list")
    assert request.query == {"page": ["0"], "limit": ["20"]}
    assert page.has_next_page and batches[0].batch_call_id == BATCH_ID


async def test_list_batch_calls_caps_limit_and_sends_sort(zudu_double: ZuduDouble, shape: str) -> None:
    request, _ = await call(zudu_double, {"batch_calls": []}, shape, "list_batch_calls", page=2, limit=500, sort_by="name", sort_order="asc")
    assert request.query == {"page": ["2"], "limit": ["100"], "sort_by": ["name"], "sort_order": ["asc"]}


async def test_filtered_list_posts_criteria(zudu_double: ZuduDouble, shape: str) -> None:
    request, (page, batches) = await call(
        zudu_double, [BATCH], shape, "list_batch_calls", status=["scheduled"], agent_id=["agent_1"], name=["renewals"], sort_by="status"
    )
    assert (request.method, request.path, request.query) == ("POST", "/batch-call/list", {})
    assert request.body == {
        "filter_criteria": {"status": ["scheduled"], "agent_id": ["agent_1"], "name": ["renewals"]},
        "pagination": {"page": 0, "limit": 20},
        "sort_by": "status",
    }
    assert [b.batch_call_id for b in batches] == [BATCH_ID] and page.has_next_page is False


async def test_list_tasks(zudu_double: ZuduDouble, shape: str) -> None:
    task = {"task_id": "t1", "to_number": "+919600011957", "status": "failed", "call_id": "c1", "error_message": "Line busy", "created_at": 1796095800}
    data = {"tasks": [task], "pagination": {"page": 1, "limit": 100, "has_next_page": False}}
    request, (page, tasks) = await call(zudu_double, data, shape, "list_tasks", BATCH_ID, page=1)
    assert (request.method, request.path, request.query) == ("GET", f"/batch-call/{BATCH_ID}/tasks", {"page": ["1"], "limit": ["100"]})
    assert (tasks[0].status, tasks[0].error_message, tasks[0].created_at) == ("FAILED", "Line busy", 1796095800000)


async def test_execute(zudu_double: ZuduDouble, shape: str) -> None:
    request, batch = await call(zudu_double, dict(BATCH, status="SENT"), shape, "execute_batch_call", BATCH_ID)
    assert (request.method, request.path, request.body) == ("POST", f"/batch-call/{BATCH_ID}/execute", None)
    assert batch.status == "sent"


async def test_update_sends_only_what_changes(zudu_double: ZuduDouble, shape: str) -> None:
    update = UpdateBatchCallRequest(name="Renamed", trigger_timestamp=1796095800000)
    request, batch = await call(zudu_double, BATCH, shape, "update_batch_call", BATCH_ID, update)
    assert (request.method, request.path) == ("PATCH", f"/batch-call/{BATCH_ID}")
    assert request.body == {"name": "Renamed", "trigger_timestamp": 1796095800000}
    assert batch.batch_call_id == BATCH_ID


async def test_delete(zudu_double: ZuduDouble, shape: str) -> None:
    request, result = await call(zudu_double, {"deleted": True}, shape, "delete_batch_call", BATCH_ID)
    assert (request.method, request.path, request.body, result) == ("DELETE", f"/batch-call/{BATCH_ID}", None, None)


async def test_list_agents(zudu_double: ZuduDouble, shape: str) -> None:
    data = {"agents": [{"id": "agent_1", "agent_name": "Sales"}], "pagination": {"page": 0, "limit": 50, "total": 1}}
    request, (page, agents) = await call(zudu_double, data, shape, "list_agents")
    assert (request.method, request.path, request.query) == ("GET", "/api/agents", {"page": ["0"], "limit": ["50"]})
    assert (agents[0].agent_id, agents[0].name, page.has_next_page) == ("agent_1", "Sales", False)


@pytest.mark.parametrize(("available", "path"), [(False, "/api/phone-numbers"), (True, "/api/phone-numbers/available")])
async def test_list_phone_numbers(zudu_double: ZuduDouble, shape: str, available: bool, path: str) -> None:
    data = [{"phone_number": "+918035315547", "outbound_agent_id": "agent_1"}]
    request, numbers = await call(zudu_double, data, shape, "list_phone_numbers", available=available)
    assert (request.method, request.path) == ("GET", path)
    assert numbers[0].phone_number == "+918035315547"


@pytest.mark.parametrize("bad_id", ["", "batch/../agents", "batch?x=1", "batch#x", "batch call", "batch%2F", "agent_1", "batch\\x"])
async def test_ids_are_checked_before_any_request(zudu_double: ZuduDouble, bad_id: str) -> None:
    client = client_for(zudu_double)
    with pytest.raises(ValueError, match="not a batch call id"):
        await client.get_batch_call(bad_id)
    await client.aclose()
    assert zudu_double.requests == []
