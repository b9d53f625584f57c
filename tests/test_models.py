"""Reading what Zudu may send (its pages disagree) and the request rules outside the tool."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from zudu_mcp.demo import SEED_REQUEST
from zudu_mcp.zudu.models import BatchCall, CreateBatchCallRequest, unwrap


@pytest.mark.parametrize(
    "payload",
    [
        {"batch_call_id": "batch_call_1", "status": "SCHEDULED", "scheduled_timestamp": 1735718400},
        {
            "message": "ok",
            "status": "success",
            "error": None,
            "data": {"batch_call_id": "batch_call_1", "status": "scheduled", "scheduled_timestamp": 1735718400000},
        },
    ],
    ids=["bare, upper case, seconds", "envelope, lower case, milliseconds"],
)
def test_batch_is_read_from_either_shape(payload: dict) -> None:
    batch = BatchCall.model_validate(unwrap(payload))
    assert (batch.batch_call_id, batch.status, batch.scheduled_timestamp) == ("batch_call_1", "scheduled", 1735718400000)


def test_seed_request_round_trips_to_the_same_body() -> None:
    assert CreateBatchCallRequest.model_validate(SEED_REQUEST).to_wire() == SEED_REQUEST


def test_scalar_variables_are_sent_as_text() -> None:
    body = dict(SEED_REQUEST, tasks=[{"to_number": "+919600011957", "dynamic_variables": {"order_id": 5001201, "vip": True}}])
    task = CreateBatchCallRequest.model_validate(body).to_wire()["tasks"][0]
    assert task["dynamic_variables"] == {"order_id": "5001201", "vip": "true"}


def test_alias_zone_is_kept_as_given() -> None:
    assert CreateBatchCallRequest.model_validate(SEED_REQUEST).timezone == "Asia/Calcutta"


def test_send_now_and_status_scheduled_contradict() -> None:
    body = dict(SEED_REQUEST, send_now=True, status="scheduled")
    body.pop("trigger_timestamp")
    with pytest.raises(ValidationError, match="send_now is true but status is 'scheduled'"):
        CreateBatchCallRequest.model_validate(body)
