"""create_batch_call through the MCP protocol, in both eras, against a loopback Zudu double."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from mcp import Client

from tests.conftest import API_KEY, API_SECRET, Reply, Sleeps, ZuduDouble, live_server, sandbox_server, text_of
from zudu_mcp import __version__
from zudu_mcp.demo import SEED_REQUEST

SEED_BODY = json.loads((Path(__file__).parent / "data" / "seed_request.json").read_text())

pytestmark = pytest.mark.anyio


def seed_arguments() -> dict:
    return copy.deepcopy(SEED_REQUEST)


async def test_seed_example_reaches_the_wire_exactly(zudu_double: ZuduDouble, mode: str) -> None:
    async with Client(live_server(zudu_double), mode=mode) as client:
        result = await client.call_tool("create_batch_call", seed_arguments())
    assert not result.is_error, text_of(result)
    [request] = zudu_double.calls
    assert (request.method, request.path) == ("POST", "/batch-call")
    assert request.body == SEED_BODY
    assert json.dumps(request.body, sort_keys=True) == json.dumps(SEED_BODY, sort_keys=True)  # types too
    assert request.headers["x-api-key"] == API_KEY
    assert request.headers["x-api-secret"] == API_SECRET
    assert request.headers["user-agent"] == f"zudu-mcp/{__version__}"


async def test_result_reads_like_a_confirmation(zudu_double: ZuduDouble, mode: str) -> None:
    async with Client(live_server(zudu_double), mode=mode) as client:
        result = await client.call_tool("create_batch_call", seed_arguments())
    text = text_of(result)
    assert "batch_call_73077b8359a4478189e503a1547a9147" in text
    assert "Status: scheduled" in text
    assert "Fri 20 Feb 2026, 13:19 IST (Asia/Calcutta, UTC+05:30)" in text
    assert "UTC 2026-02-20T07:49:00Z" in text
    assert "Recipients: 2, calling from +918035315547" in text
    assert "agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e" in text
    assert "no answer at 13:00; busy at 14:00; voicemail after 120 min" in text
    assert "22:00–08:00 Asia/Calcutta" in text
    assert "SANDBOX" not in text
    structured = result.structured_content
    assert structured["sandbox"] is False
    assert structured["batch_call"]["batch_call_id"] == "batch_call_73077b8359a4478189e503a1547a9147"
    assert structured["start"]["unix_ms"] == 1771573740000


def broken(path: str, value: object) -> dict:
    """The seed's arguments with one thing changed (value None removes the key)."""
    arguments = seed_arguments()
    target = arguments
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is None:
        del target[int(last) if last.isdigit() else last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return arguments


RULES = [
    ("from_number not E.164", broken("from_number", "08035315547"), "from_number", "E.164"),
    ("no valid number", broken("tasks", [{"to_number": "12345"}]), "line 1 «12345»", "not a valid phone number for region IN"),
    ("name too long", broken("name", "x" * 256), "name", "255"),
    ("name empty", broken("name", ""), "name", "is required"),
    ("agent_id neither id nor name", broken("agent_id", "agent_42"), "agent_id «agent_42»", "no agent has exactly that name"),
    ("no tasks", broken("tasks", []), "tasks", "exactly one of"),
    ("variables over 5 KB", broken("tasks", [{"to_number": "+919600011957", "dynamic_variables": {"notes": "x" * 5200}}]), "line 1", "at most 5120"),
    ("from_number among recipients", broken("tasks", [{"to_number": "+918035315547"}]), "line 1", "the caller number (from_number)"),
    (
        "two recipient sources",
        broken("recipients_csv", "phone\n+919600011957"),
        "exactly one of tasks, recipients_csv or recipients_file",
        "(got tasks, recipients_csv)",
    ),
    ("bad region", broken("default_region", "XX"), "default_region", "not a region code"),
    ("no trigger and not send_now", broken("trigger_timestamp", None), "trigger_timestamp", "missing"),
    ("send_now with trigger", broken("send_now", True), "send_now", "contradict"),
    ("trigger in seconds", broken("trigger_timestamp", 1771573740), "trigger_timestamp", "send 1771573740000"),
    ("trigger in the past", broken("trigger_timestamp", 1770000000000), "trigger_timestamp", "in the past"),
    ("status unknown", broken("status", "paused"), "status", "'draft', 'scheduled' or 'sent'"),
    ("timezone abbreviation", broken("timezone", "IST"), "timezone", "IANA"),
    ("timezone unknown", broken("timezone", "Mars/Olympus"), "timezone", "not a known time zone"),
    ("quiet hours not HH:MM", broken("quiet_hours.start_time", "10pm"), "quiet_hours.start_time", "HH:MM"),
    ("quiet hours empty window", broken("quiet_hours.end_time", "22:00"), "quiet_hours", "no window"),
    ("quiet hours zone", broken("quiet_hours.timezone", "India"), "quiet_hours.timezone", "IANA"),
    ("retry condition", broken("retry_rules.0.condition", "no-answer"), "retry_rules[0].condition", "'no_answer', 'busy' or 'voicemail'"),
    ("retry AT without time", broken("retry_rules.1.retry_timing", {"type": "AT"}), "retry_rules[1].retry_timing", "needs 'time'"),
    (
        "retry AFTER without minutes",
        broken("retry_rules.2.retry_timing", {"type": "AFTER", "time": "10:00"}),
        "retry_rules[2].retry_timing",
        "duration_minutes",
    ),
    ("retry timing type", broken("retry_rules.2.retry_timing", {"type": "IN", "duration_minutes": 5}), "retry_rules[2].retry_timing.type", "'AT' or 'AFTER'"),
    ("retry AT time", broken("retry_rules.0.retry_timing", {"type": "AT", "time": "25:00"}), "retry_rules[0].retry_timing.time", "HH:MM"),
    ("max_attempts zero", broken("retry_config.max_attempts", 0), "retry_config.max_attempts", "greater than or equal to 1"),
    ("duplicate retry rule", broken("retry_rules.1.condition", "no_answer"), "retry_rules", "one rule per condition"),
    ("unknown task field", broken("tasks.0.phone", "+919600011957"), "tasks[0].phone", "not a field"),
]


@pytest.mark.parametrize(("case", "arguments", "field", "fix"), RULES, ids=[rule[0] for rule in RULES])
async def test_each_documented_rule_is_refused_before_sending(zudu_double: ZuduDouble, mode: str, case: str, arguments: dict, field: str, fix: str) -> None:
    async with Client(live_server(zudu_double), mode=mode) as client:
        result = await client.call_tool("create_batch_call", arguments)
    text = text_of(result)
    assert result.is_error, case
    assert field in text and fix in text, text
    assert "nothing was sent" in text
    assert "Traceback" not in text and "errors.pydantic.dev" not in text
    assert zudu_double.calls == []


UPSTREAM = [
    ("400 envelope", Reply(400, {"message": "Validation error", "status": "error", "error": "Agent is not active"}), "Agent is not active"),
    ("401", Reply(401, {"message": "Unauthorized", "status": "error", "error": f"Invalid key {API_KEY}"}), "ZUDU_API_KEY"),
    ("404", Reply(404, {"message": "Not found", "status": "error", "error": "Agent not found"}), "Agent not found"),
    ("500", Reply(500, {"message": "Internal error", "status": "error", "error": None}), "may have been applied"),
    ("non-JSON body", Reply(200, "<html>gateway</html>"), "not JSON"),
    ("timeout", Reply(200, {}, hold=True), "did not answer within 2 s after the request was sent"),
    ("connection dropped", Reply(drop=True), "may have been received"),
    ("429 without Retry-After", Reply(429, {"status": "error", "error": "slow down"}), "may have been applied"),
    ("429 asking for too long", Reply(429, {"status": "error", "error": "slow down"}, headers={"Retry-After": "120"}), "may have been applied"),
]


@pytest.mark.parametrize(("case", "reply", "expected"), UPSTREAM, ids=[u[0] for u in UPSTREAM])
async def test_upstream_failures_give_clear_errors_without_secrets(zudu_double: ZuduDouble, mode: str, case: str, reply: Reply, expected: str) -> None:
    zudu_double.replies.append(reply)
    # A held answer always outlasts the client's timeout; every other answer has ample time, however busy the machine.
    async with Client(live_server(zudu_double, timeout=2 if reply.hold else 30), mode=mode) as client:
        result = await client.call_tool("create_batch_call", seed_arguments())
    text = text_of(result)
    assert result.is_error, case
    assert expected in text, text
    assert API_KEY not in text and API_SECRET not in text
    assert "Traceback" not in text


async def test_unreachable_zudu_says_nothing_was_sent(mode: str) -> None:
    double = ZuduDouble()
    double.close()  # the port is now closed: connection refused
    sleeps = Sleeps()
    async with Client(live_server(double, sleep=sleeps), mode=mode) as client:
        result = await client.call_tool("create_batch_call", seed_arguments())
    assert result.is_error and sleeps  # refused before the body left: retried (after back-offs that take no time here)
    assert "nothing was sent" in text_of(result)


async def test_without_credentials_tools_list_and_calls_name_the_fix(mode: str) -> None:
    from zudu_mcp.server import create_server

    async with Client(create_server(), mode=mode) as client:
        tools = await client.list_tools()
        assert {"create_batch_call", "resolve_schedule", "get_batch_call", "list_agents"} <= {tool.name for tool in tools.tools}
        result = await client.call_tool("create_batch_call", seed_arguments() | {"send_now": True, "trigger_timestamp": None})
    text = text_of(result)
    assert result.is_error
    for needle in ("ZUDU_API_KEY", "ZUDU_API_SECRET", "--sandbox", "nothing was sent"):
        assert needle in text


async def test_sandbox_results_say_so(mode: str) -> None:
    server, backend = sandbox_server()
    async with Client(server, mode=mode) as client:
        result = await client.call_tool("create_batch_call", seed_arguments())
    assert not result.is_error, text_of(result)
    assert text_of(result).startswith("SANDBOX:")
    assert result.structured_content["sandbox"] is True
    assert len(backend.sandbox_state.batches) == 1


async def test_draft_needs_no_time_and_says_it_dials_nobody(zudu_double: ZuduDouble, mode: str) -> None:
    zudu_double.default = lambda request: Reply(
        200, {"status": "success", "message": "ok", "error": None, "data": {"batch_call_id": "batch_1", "status": "DRAFT", "name": "d"}}
    )
    arguments = seed_arguments() | {"status": "draft"}
    del arguments["trigger_timestamp"]
    async with Client(live_server(zudu_double), mode=mode) as client:
        result = await client.call_tool("create_batch_call", arguments)
    assert not result.is_error, text_of(result)
    assert zudu_double.calls[0].body["status"] == "draft"
    assert "draft" in text_of(result) and "dials nobody" in text_of(result)


async def test_nested_arguments_sent_as_json_strings_still_work(zudu_double: ZuduDouble, mode: str) -> None:
    arguments = seed_arguments()
    arguments["tasks"] = json.dumps(arguments["tasks"])
    arguments["quiet_hours"] = json.dumps(arguments["quiet_hours"])
    async with Client(live_server(zudu_double), mode=mode) as client:
        result = await client.call_tool("create_batch_call", arguments)
    assert not result.is_error, text_of(result)
    assert zudu_double.calls[0].body == SEED_BODY
