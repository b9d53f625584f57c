"""The do-not-call list: every plan skips its numbers, the database never holds them, removing needs a yes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mcp import Client

from tests.conftest import ZuduDouble, text_of
from tests.conftest import double_server as server

pytestmark = pytest.mark.anyio
LISTED, OTHER, FROM_FILE = "+919600011957", "+919445216009", "+919812345678"


def create_arguments(*numbers: str) -> dict:
    return {
        "name": "renewals",
        "agent_id": "agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e",
        "from_number": "+918035315547",
        "send_now": True,
        "tasks": [{"to_number": n} for n in numbers],
    }


async def test_listed_numbers_are_never_sent_in_any_create(zudu_double: ZuduDouble, mode: str, tmp_path: Path) -> None:
    listing = tmp_path / "dnc.txt"
    listing.write_text(f"# asked on the phone\n{FROM_FILE}\n")
    async with Client(server(zudu_double, mcp_do_not_call_file=str(listing)), mode=mode) as client:
        added = await client.call_tool("do_not_call", {"action": "add", "numbers": [LISTED, "not a number"]})
        assert not added.is_error and added.structured_content["added"] == 1, text_of(added)
        assert "Not read: «not a number»" in text_of(added)
        again = await client.call_tool("do_not_call", {"action": "add", "numbers": [LISTED]})
        assert again.structured_content["added"] == 0
        preview = await client.call_tool("preview_batch_call", create_arguments(LISTED, OTHER, FROM_FILE))
        assert "2 skipped: on the do-not-call list" in text_of(preview), text_of(preview)
        assert preview.structured_content["plan"]["recipients"] == 1
        created = await client.call_tool("create_batch_call", create_arguments(LISTED, OTHER, FROM_FILE))
        assert not created.is_error, text_of(created)
        nobody = await client.call_tool("create_batch_call", create_arguments(LISTED) | {"name": "only listed"})
        assert nobody.is_error and "do-not-call list" in text_of(nobody)
        checked = await client.call_tool("do_not_call", {"action": "check", "numbers": [LISTED, OTHER, FROM_FILE]})
    assert checked.structured_content["listed"] == {LISTED: True, OTHER: False, FROM_FILE: True}
    sent = [t["to_number"] for r in zudu_double.creates for t in r.body["tasks"]]
    assert sent == [OTHER]
    stored = b"".join(p.read_bytes() for p in Path(os.environ["ZUDU_MCP_STATE_DIR"]).rglob("*") if p.is_file())
    for number in (LISTED, FROM_FILE):
        assert number.encode() not in stored and number[1:].encode() not in stored  # keyed hashes only


async def test_removing_needs_the_persons_confirmation(zudu_double: ZuduDouble, mode: str, tmp_path: Path) -> None:
    listing = tmp_path / "dnc.txt"
    listing.write_text(FROM_FILE + "\n")
    async with Client(server(zudu_double, mcp_do_not_call_file=str(listing)), mode=mode) as client:
        await client.call_tool("do_not_call", {"action": "add", "numbers": [LISTED]})
        asked = await client.call_tool("do_not_call", {"action": "remove", "numbers": [LISTED, FROM_FILE]})
        assert asked.structured_content["needs_confirmation"] and "Nothing was removed yet" in text_of(asked)
        assert "only the operator can remove it" in text_of(asked)
        still = await client.call_tool("do_not_call", {"action": "check", "numbers": [LISTED]})
        assert still.structured_content["listed"][LISTED]
        token = asked.structured_content["confirmation_token"]
        forged = await client.call_tool("do_not_call", {"action": "remove", "confirmation_token": token[:-2] + "xx"})
        assert forged.is_error
        done = await client.call_tool("do_not_call", {"action": "remove", "confirmation_token": token})
        assert done.structured_content["removed"] == 1, text_of(done)
        after = await client.call_tool("do_not_call", {"action": "check", "numbers": [LISTED, FROM_FILE]})
    assert after.structured_content["listed"] == {LISTED: False, FROM_FILE: True}


async def test_an_unreadable_operator_file_stops_every_plan(zudu_double: ZuduDouble, tmp_path: Path) -> None:
    async with Client(server(zudu_double, mcp_do_not_call_file=str(tmp_path / "missing.txt"))) as client:
        preview = await client.call_tool("preview_batch_call", create_arguments(OTHER))
    assert preview.is_error and "ZUDU_MCP_DO_NOT_CALL_FILE" in text_of(preview) and str(tmp_path) not in text_of(preview)
    assert zudu_double.creates == []
