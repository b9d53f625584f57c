"""`zudu-mcp demo`: a whole assistant session against the sandbox, over a real stdio connection.

It starts this server as a subprocess in sandbox mode, connects with the MCP SDK's client
(what Claude Desktop and other clients do), and prints what the assistant would see.
"""

from __future__ import annotations

import copy
import json
import sys
from datetime import datetime, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

# The request body from Zudu's create-batch-call page, verbatim.
SEED_REQUEST: dict[str, Any] = {
    "from_number": "+918035315547",
    "name": "new_batch_call_docs",
    "agent_id": "agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e",
    "retry_config": {"enabled": True, "max_attempts": 3},
    "quiet_hours": {"enabled": True, "start_time": "22:00", "end_time": "08:00", "timezone": "Asia/Calcutta"},
    "retry_rules": [
        {"condition": "no_answer", "enabled": True, "retry_timing": {"type": "AT", "time": "13:00"}},
        {"condition": "busy", "enabled": True, "retry_timing": {"type": "AT", "time": "14:00"}},
        {"condition": "voicemail", "enabled": True, "retry_timing": {"type": "AFTER", "duration_minutes": 120}},
    ],
    "send_now": False,
    "tasks": [
        {
            "to_number": "+919600011957",
            "dynamic_variables": {
                "order_id": "5001201",
                "name": "Aswathi",
                "gender": "Female",
                "address": "Green Park Residency",
                "branchname": "WHITEFIELD-HUB",
                "cityname": "Bangalore",
                "created_date": "1/5/26",
                "scheduleddate": "1/10/26",
            },
        },
        {
            "to_number": "+919445216009",
            "dynamic_variables": {
                "order_id": "5001202",
                "name": "dev",
                "gender": "Female",
                "address": "Lake View Apartments",
                "branchname": "MADHAPUR-HUB",
                "cityname": "Hyderabad",
                "created_date": "1/6/26",
                "scheduleddate": "1/12/26",
            },
        },
    ],
    "timezone": "Asia/Calcutta",
    "trigger_timestamp": 1771573740000,
}


DEMO_SPEED = 3600.0


def seed_request_for_tomorrow(now: datetime) -> dict[str, Any]:
    """The seed's own time (20 Feb 2026) has passed, so the demo schedules tomorrow 10:00 in its zone."""
    request = copy.deepcopy(SEED_REQUEST)
    zone = ZoneInfo(request["timezone"])
    tomorrow = (now.astimezone(zone) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    request["trigger_timestamp"] = int(tomorrow.timestamp() * 1000)
    return request


def show_result(show, result) -> None:
    show("What the assistant sees:" + (" (error)" if result.is_error else ""))
    for block in result.content:
        show("  " + getattr(block, "text", "").replace("\n", "\n  "))


async def run_demo(out: TextIO) -> int:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    def show(text: str = "") -> None:
        out.write(text + "\n")
        out.flush()

    import os
    import tempfile

    state = tempfile.mkdtemp(prefix="zudu-demo-")  # a fresh sandbox each run: the demo never reuses an earlier session
    # Sandbox time runs DEMO_SPEED times faster, so the campaign plays out in seconds once it runs (even when quiet
    # hours hold it until morning); a token then lives a sandbox day (24 s), time enough for two calls.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")} | {
        "ZUDU_MCP_STATE_DIR": state,
        "ZUDU_SANDBOX_SPEED": str(DEMO_SPEED),
        "ZUDU_MCP_CONFIRM_TTL_SECONDS": "86400",
    }
    server = StdioServerParameters(command=sys.executable, args=["-m", "zudu_mcp", "--sandbox"], env=env)
    show("Starting `zudu-mcp --sandbox` as a stdio subprocess and connecting with the MCP SDK client...")
    async with Client(server, read_timeout_seconds=60) as client:
        listed = await client.list_tools()
        show(f"\nThe server offers {len(listed.tools)} tool(s):")
        for tool in listed.tools:
            show(f"  - {tool.name}: {(tool.description or '').splitlines()[0]}")

        said = "tomorrow at 10am"
        show(f"\nThe person says: call them {said}. The assistant checks the time first (resolve_schedule):")
        checked = await client.call_tool("resolve_schedule", {"text": said, "timezone": SEED_REQUEST["timezone"]})
        show_result(show, checked)

        arguments = {key: value for key, value in SEED_REQUEST.items() if key != "trigger_timestamp"}
        arguments["schedule"] = said
        show("\nIt previews Zudu's documented example, scheduled as the person said (preview_batch_call):")
        show("  " + json.dumps({k: v for k, v in arguments.items() if k != "tasks"}) + f" + {len(arguments['tasks'])} tasks")
        preview = await client.call_tool("preview_batch_call", arguments)
        show_result(show, preview)
        if preview.is_error:
            return 1

        show("\nThe person says yes, so it sends exactly that plan with its token (create_batch_call(confirmation_token=...)):")
        token = preview.structured_content["confirmation_token"]
        result = await client.call_tool("create_batch_call", {"confirmation_token": token})
        show_result(show, result)
        if result.is_error:
            return 1

        batch_call_id = result.structured_content["batch_call"]["batch_call_id"]
        show("\nLater the person asks how it is going (get_batch_call):")
        show_result(show, await client.call_tool("get_batch_call", {"batch_call_id": batch_call_id}))
        show("\nThe person wants it to run now instead (execute_batch_call, a plan confirmed like any other):")
        planned = await client.call_tool("execute_batch_call", {"batch_call_id": batch_call_id})
        show_result(show, planned)
        if planned.is_error:
            return 1
        token = planned.structured_content.get("confirmation_token")
        if token:
            ran = await client.call_tool("execute_batch_call", {"batch_call_id": batch_call_id, "confirmation_token": token})
            show_result(show, ran)
            if ran.is_error:
                return 1

        show(f'\n"Tell me when it\'s done" (get_batch_call with wait_seconds; sandbox time runs {DEMO_SPEED:g}x faster here):')
        for _ in range(6):  # a bounded wait returns on each status change
            waited = await client.call_tool("get_batch_call", {"batch_call_id": batch_call_id, "wait_seconds": 30})
            show_result(show, waited)
            if waited.is_error or waited.structured_content.get("completed"):
                break
        if not waited.structured_content.get("completed"):
            return 1

        show("\nHow did it go? (batch_report):")
        report = await client.call_tool("batch_report", {"batch_call_id": batch_call_id})
        show_result(show, report)
        if report.is_error:
            return 1

        show("\nCall again the people who did not pick up, tomorrow at 11am (call_again; a new plan to confirm):")
        again = await client.call_tool(
            "call_again", {"batch_call_id": batch_call_id, "schedule": "tomorrow at 11am", "outcomes": ["no_answer", "busy", "voicemail", "failed"]}
        )
        show_result(show, again)
        return 0
