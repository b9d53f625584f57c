"""examples/conversation.md shows what the server really answers: the two calls, replayed against the sandbox."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from mcp import Client

from tests.conftest import text_of
from zudu_mcp.backend import Backend
from zudu_mcp.config import Settings
from zudu_mcp.server import create_server

pytestmark = pytest.mark.anyio
EXAMPLES = Path(__file__).parent.parent / "examples"
SAID_AT = datetime.fromisoformat("2026-11-28T10:15:00+05:30")
ARGUMENTS = {
    "name": "Delivery confirmations",
    "agent_id": "Sales-Renewals",
    "from_number": "+918035315547",
    "recipients_file": "customers.csv",
    "schedule": "tomorrow at 10",
    "timezone": "Asia/Kolkata",
    "quiet_hours": {"start_time": "22:00", "end_time": "08:00", "timezone": "Asia/Kolkata"},
    "retry_rules": [{"condition": "busy", "retry_timing": {"type": "AT", "time": "14:00"}}],
}


def stable(text: str) -> list[str]:
    """The lines of an answer without its random parts (tokens, batch ids) and the sandbox banner."""
    text = re.sub(r"zps_[\w-]+", "zps_…", text)
    text = re.sub(r"batch_call_[0-9a-f]+", "batch_call_…", text)
    return [line for line in text.splitlines() if line.strip() and not line.startswith("SANDBOX:")]


async def test_the_conversation_example_is_what_the_server_answers(mode: str) -> None:
    backend = Backend(Settings(sandbox=True, mcp_confirm="token", mcp_file_roots=str(EXAMPLES)), clock=lambda: SAID_AT)
    async with Client(create_server(backend=backend), mode=mode) as client:
        plan = await client.call_tool("preview_batch_call", ARGUMENTS)
        created = await client.call_tool("create_batch_call", {"confirmation_token": plan.structured_content["confirmation_token"]})
    assert not plan.is_error and not created.is_error, text_of(created)
    shown = stable((EXAMPLES / "conversation.md").read_text())
    for line in stable(text_of(plan)) + stable(text_of(created)):
        assert line in shown, f"examples/conversation.md is out of date: {line!r}"
