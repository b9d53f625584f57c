"""Consent before dialing or deleting, in both protocol eras: elicitation, tokens, and their failures."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from mcp import Client
from mcp.types import ElicitResult

from tests.conftest import API_KEY, API_SECRET, SEED_NOW, ManualClock, ZuduDouble, text_of
from zudu_mcp.backend import Backend
from zudu_mcp.config import Settings
from zudu_mcp.demo import SEED_REQUEST
from zudu_mcp.server import create_server

pytestmark = pytest.mark.anyio


def server(double: ZuduDouble, policy: str, clock: ManualClock | None = None):
    settings = Settings(api_key=API_KEY, api_secret=API_SECRET, base_url=double.url, mcp_confirm=policy)
    return create_server(backend=Backend(settings, clock=clock or ManualClock(SEED_NOW)))


def arguments(**changes: Any) -> dict:
    return copy.deepcopy(SEED_REQUEST) | changes


def answering(action: str, content: dict | None = None, asked: list[str] | None = None):
    async def callback(context: Any, params: Any) -> ElicitResult:
        if asked is not None:
            asked.append(params.message)
        return ElicitResult(action=action, content=content)

    return callback


async def test_elicitation_accepted_creates_after_showing_the_summary(zudu_double: ZuduDouble, mode: str) -> None:
    asked: list[str] = []
    callback = answering("accept", {"confirm": True}, asked)
    async with Client(server(zudu_double, "auto"), mode=mode, elicitation_callback=callback) as client:
        result = await client.call_tool("create_batch_call", arguments())
    assert not result.is_error, text_of(result)
    assert len(zudu_double.creates) == 1
    [question] = asked
    assert "2 calls from +91 80 3531 5547 with agent agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e" in question
    assert "Fri 20 Feb 2026, 13:19 IST" in question and "quiet hours 22:00–08:00 Asia/Calcutta" in question
    assert question.endswith("Go ahead?")


@pytest.mark.parametrize(
    ("action", "content", "said"),
    [("decline", None, "declined"), ("cancel", None, "cancelled"), ("accept", {"confirm": False}, "did not confirm")],
)
async def test_no_yes_means_nothing_is_sent(zudu_double: ZuduDouble, mode: str, action: str, content: dict | None, said: str) -> None:
    async with Client(server(zudu_double, "elicit"), mode=mode, elicitation_callback=answering(action, content)) as client:
        result = await client.call_tool("create_batch_call", arguments())
    assert result.is_error and said in text_of(result) and "nothing was sent" in text_of(result)
    assert zudu_double.creates == []


async def test_elicit_policy_refuses_clients_that_cannot_ask(zudu_double: ZuduDouble, mode: str) -> None:
    async with Client(server(zudu_double, "elicit"), mode=mode) as client:
        result = await client.call_tool("create_batch_call", arguments())
    assert result.is_error and "cannot show a confirmation" in text_of(result) and zudu_double.creates == []


async def test_token_from_preview_allows_exactly_one_create(zudu_double: ZuduDouble, mode: str) -> None:
    async with Client(server(zudu_double, "token"), mode=mode) as client:
        without = await client.call_tool("create_batch_call", arguments())
        preview = await client.call_tool("preview_batch_call", arguments())
        token = preview.structured_content["confirmation_token"]
        created = await client.call_tool("create_batch_call", arguments(confirmation_token=token))
        reused = await client.call_tool("create_batch_call", arguments(confirmation_token=token, allow_duplicate=True))
    assert without.is_error and "Call preview_batch_call with the same arguments" in text_of(without)
    assert not preview.is_error and "2 calls from +91 80 3531 5547" in text_of(preview) and zudu_double.creates == zudu_double.creates[:1]
    assert not created.is_error, text_of(created)
    assert reused.is_error and "already used" in text_of(reused)
    assert len(zudu_double.creates) == 1


async def test_token_expires(zudu_double: ZuduDouble, mode: str) -> None:
    clock = ManualClock(SEED_NOW)
    async with Client(server(zudu_double, "token", clock), mode=mode) as client:
        token = (await client.call_tool("preview_batch_call", arguments())).structured_content["confirmation_token"]
        clock.advance(seconds=901)
        result = await client.call_tool("create_batch_call", arguments(confirmation_token=token))
    assert result.is_error and "expired" in text_of(result) and zudu_double.creates == []


@pytest.mark.parametrize(
    "change",
    [{"tasks": [{"to_number": "+919600011957"}]}, {"trigger_timestamp": 1771577340000}, {"name": "other"}, {"agent_id": "agent_5d1f7e44-2b8a-4c1e-9a6f-0c3b8e2d7a19"}],
)
async def test_token_is_bound_to_the_previewed_payload(zudu_double: ZuduDouble, mode: str, change: dict) -> None:
    async with Client(server(zudu_double, "token"), mode=mode) as client:
        token = (await client.call_tool("preview_batch_call", arguments())).structured_content["confirmation_token"]
        result = await client.call_tool("create_batch_call", arguments(confirmation_token=token, **change))
        forged = await client.call_tool("create_batch_call", arguments(confirmation_token=token[:-4] + "AAAA"))
    assert result.is_error and "different arguments" in text_of(result)
    assert forged.is_error and "not a token this server issued" in text_of(forged)
    assert zudu_double.creates == []


async def test_execute_and_delete_ask_first_and_carry_their_own_token(mode: str) -> None:
    clock = ManualClock(SEED_NOW)
    backend = Backend(Settings(sandbox=True, mcp_confirm="token"), clock=clock)
    async with Client(create_server(backend=backend), mode=mode) as client:
        preview = await client.call_tool("preview_batch_call", arguments(status="draft", trigger_timestamp=None))
        created = await client.call_tool("create_batch_call", arguments(status="draft", trigger_timestamp=None, confirmation_token=preview.structured_content["confirmation_token"]))
        batch_id = created.structured_content["batch_call"]["batch_call_id"]
        asked = await client.call_tool("execute_batch_call", {"batch_call_id": batch_id})
        token = text_of(asked).split('confirmation_token="')[1].split('"')[0]
        wrong = await client.call_tool("delete_batch_call", {"batch_call_id": batch_id, "confirmation_token": token})
        started = await client.call_tool("execute_batch_call", {"batch_call_id": batch_id, "confirmation_token": token})
    assert asked.is_error and 'Start dialing "new_batch_call_docs" now: 2 recipients' in text_of(asked)
    assert wrong.is_error and "issued for execute_batch_call, not delete_batch_call" in text_of(wrong)
    assert not started.is_error and "Started" in text_of(started)


async def test_moving_the_time_needs_consent_but_renaming_does_not(mode: str) -> None:
    backend = Backend(Settings(sandbox=True, mcp_confirm="token"), clock=ManualClock(SEED_NOW))
    async with Client(create_server(backend=backend), mode=mode, elicitation_callback=answering("accept", {"confirm": True})) as client:
        preview = await client.call_tool("preview_batch_call", arguments())
        created = await client.call_tool("create_batch_call", arguments(confirmation_token=preview.structured_content["confirmation_token"]))
        batch_id = created.structured_content["batch_call"]["batch_call_id"]
        renamed = await client.call_tool("update_batch_call", {"batch_call_id": batch_id, "name": "Renamed"})
        moved = await client.call_tool("update_batch_call", {"batch_call_id": batch_id, "schedule": "2026-02-21 10:00"})
    assert not renamed.is_error, text_of(renamed)
    assert moved.is_error and "start moved from Fri 20 Feb 2026, 13:19 IST" in text_of(moved) and "confirmation_token" in text_of(moved)
