"""Call lists through create_batch_call: files, CSV text, splitting over 1000, progress, window warnings."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from tests.conftest import Reply, ZuduDouble, text_of
from tests.conftest import campaign_without_tasks as arguments
from tests.conftest import double_server as server
from zudu_mcp.demo import SEED_REQUEST

pytestmark = pytest.mark.anyio


def write_list(path: Path, rows: int) -> None:
    lines = ["Customer Name,Mobile,order_ID"] + [f"Person {i},+91 96{i:08d},{5000000 + i}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")


async def test_a_2500_row_file_becomes_three_batches_on_the_wire(zudu_double: ZuduDouble, tmp_path: Path, mode: str) -> None:
    write_list(tmp_path / "customers.csv", 2500)
    progress: list[tuple[float, float | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total))

    async with Client(server(zudu_double, mcp_file_roots=str(tmp_path)), mode=mode) as client:
        result = await client.call_tool("create_batch_call", arguments(recipients_file="customers.csv"), progress_callback=on_progress)
    assert not result.is_error, text_of(result)
    bodies = [request.body for request in zudu_double.calls]
    assert [len(body["tasks"]) for body in bodies] == [1000, 1000, 500]
    assert [body["name"] for body in bodies] == [f"new_batch_call_docs (part {i} of 3)" for i in (1, 2, 3)]
    assert bodies[0]["tasks"][0] == {"to_number": "+919600000000", "dynamic_variables": {"Customer Name": "Person 0", "order_ID": "5000000"}}
    assert bodies[2]["tasks"][-1]["to_number"] == "+919600002499"
    assert all(body["trigger_timestamp"] == SEED_REQUEST["trigger_timestamp"] for body in bodies)
    assert "Created 3 batch calls for 2500 recipients" in text_of(result)
    assert len(result.structured_content["batch_calls"]) == 3
    assert progress[-1] == (3, 3) and len(progress) == 4


@pytest.mark.parametrize("path", ["../secret.csv", "{outside}/secret.csv", "link.csv"])
async def test_files_outside_the_roots_are_refused_and_nothing_is_sent(zudu_double: ZuduDouble, tmp_path: Path, path: str) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    write_list(tmp_path / "secret.csv", 3)
    (allowed / "link.csv").symlink_to(tmp_path / "secret.csv")
    async with Client(server(zudu_double, mcp_file_roots=str(allowed)), mode="legacy") as client:
        result = await client.call_tool("create_batch_call", arguments(recipients_file=path.format(outside=tmp_path)))
    assert result.is_error and "outside the folders this server may read" in text_of(result) and "ZUDU_MCP_FILE_ROOTS" in text_of(result)
    assert zudu_double.calls == []


async def test_file_input_is_off_by_default(zudu_double: ZuduDouble, tmp_path: Path) -> None:
    write_list(tmp_path / "c.csv", 3)
    async with Client(server(zudu_double), mode="legacy") as client:
        result = await client.call_tool("create_batch_call", arguments(recipients_file=str(tmp_path / "c.csv")))
    assert result.is_error and "Reading call lists from files is off" in text_of(result) and "--file-root" in text_of(result)
    assert zudu_double.calls == []


async def test_a_failed_part_leaves_the_others_and_says_which_exist(zudu_double: ZuduDouble, tmp_path: Path) -> None:
    write_list(tmp_path / "c.csv", 2500)
    first = Reply(200, {"batch_call_id": "batch_call_part1", "name": "p1", "status": "scheduled"})
    zudu_double.replies += [first, Reply(400, {"status": "error", "message": "Validation error", "error": "Agent is busy"})]
    async with Client(server(zudu_double, mcp_file_roots=str(tmp_path)), mode="legacy") as client:
        result = await client.call_tool("create_batch_call", arguments(recipients_file="c.csv"))
    text = text_of(result)
    assert result.is_error and len(zudu_double.calls) == 2
    assert "part 1 «new_batch_call_docs (part 1 of 3)»: created (batch_call_part1)" in text, text
    assert "part 2 «new_batch_call_docs (part 2 of 3)»: failed: Zudu rejected the request (HTTP 400): «Agent is busy»" in text
    assert "part 3 «new_batch_call_docs (part 3 of 3)»: not sent" in text


async def test_csv_text_with_messy_rows_reports_each_problem(zudu_double: ZuduDouble, mode: str) -> None:
    csv_text = "phone;name\n096000-11957;A\n+91 96000 11957;dup\n12345;bad\n"
    async with Client(server(zudu_double), mode=mode) as client:
        result = await client.call_tool("create_batch_call", arguments(recipients_csv=csv_text))
    text = text_of(result)
    assert not result.is_error, text
    assert zudu_double.calls[0].body["tasks"] == [{"to_number": "+919600011957", "dynamic_variables": {"name": "A"}}]
    assert "2 rows of the CSV not called (1 refused, 1 duplicate)" in text, text
    assert "line 3 «+91 96000 11957» (same number as line 2)" in text and "line 4 «12345»" in text
    assert "1 number without a country code read as IN (the region of from_number)" in text


async def test_recipients_called_at_night_are_warned_about(zudu_double: ZuduDouble, mode: str) -> None:
    tasks = [{"to_number": "+919600011957"}, {"to_number": "+14155550123"}, {"to_number": "+12125550123"}]
    async with Client(server(zudu_double), mode=mode) as client:
        result = await client.call_tool("create_batch_call", arguments(tasks=tasks))
    # 13:19 IST on 20 Feb is 23:49 in San Francisco and 02:49 in New York
    assert "Warning: 2 recipients would be called outside 08:00-21:00 their local time" in text_of(result)
    assert "America/Los_Angeles (Thu 23:49)" in text_of(result) and "America/New_York (Fri 02:49)" in text_of(result)


async def test_calling_window_is_configurable(zudu_double: ZuduDouble) -> None:
    async with Client(server(zudu_double, calling_window="00:00-23:59"), mode="legacy") as client:
        result = await client.call_tool("create_batch_call", arguments(tasks=[{"to_number": "+14155550123"}]))
    assert "Warning" not in text_of(result)
