"""Every result stays within 8 KB (text plus structured content) whatever the list's size.

A 30,000-row list (30 parts) with refused rows, duplicates and numbers in many zones is planned,
created, and stopped half way: each result names totals, the first and last parts, the problems
grouped with a few examples, and where to read the rest, and stays under the bound.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from tests.conftest import Reply, ZuduDouble, text_of
from tests.conftest import campaign_without_tasks as arguments
from tests.conftest import double_server as server
from tests.conftest import result_size as size

pytestmark = pytest.mark.anyio
BOUND = 8 * 1024
ROWS = 30_000


def write_messy_list(path: Path) -> None:
    """Every 10th row refused (too short), every 15th a duplicate, US numbers across many area codes (many zones)."""
    area_codes = ("212", "305", "312", "415", "503", "602", "702", "808", "907", "617", "713", "206")
    lines = ["name,phone,note"]
    for i in range(ROWS):
        if i % 10 == 9:
            phone = f"12{i % 7}"
        elif i % 15 == 14:
            phone = "+91 96000 00000"
        elif i % 2:
            phone = f"+1 {area_codes[i % len(area_codes)]} {200 + i // 10_000 % 800:03d} {i % 10_000:04d}"
        else:
            phone = f"+91 96{i:08d}"
        lines.append(f"Person {i},{phone},{'x' * 40}")
    path.write_text("\n".join(lines) + "\n")


async def test_a_30000_row_create_stays_within_8_kb_at_every_step(zudu_double: ZuduDouble, tmp_path: Path, mode: str) -> None:
    write_messy_list(tmp_path / "big.csv")
    app = server(zudu_double, mcp_file_roots=str(tmp_path), mcp_confirm="token")
    async with Client(app, mode=mode) as client:
        preview = await client.call_tool("preview_batch_call", arguments(recipients_file="big.csv"))
        assert not preview.is_error, text_of(preview)
        assert size(preview) <= BOUND, size(preview)
        plan = preview.structured_content["plan"]
        assert plan["parts"] > 20 and plan["problems"]["refused"] > 1000 and plan["problems"]["duplicates"] >= 1000
        token = preview.structured_content["confirmation_token"]
        created = await client.call_tool("create_batch_call", {"confirmation_token": token})
        assert not created.is_error, text_of(created)
        again = await client.call_tool("create_batch_call", {"confirmation_token": token})
    assert "Already created" in text_of(again) and size(again) <= BOUND, size(again)
    assert size(created) <= BOUND, size(created)
    text = text_of(created)
    parts = plan["parts"]
    assert f"Created {parts} batch calls" in text
    assert f"(part 1 of {parts})" in text and f"(part {parts} of {parts})" in text  # the first and the last
    assert "list_batch_calls" in text  # where to read the rest
    assert created.structured_content["parts"]["total"] == parts


async def test_a_create_stopped_half_way_stays_within_8_kb(zudu_double: ZuduDouble, tmp_path: Path, mode: str) -> None:
    write_messy_list(tmp_path / "big.csv")

    def fifteenth_refused(request):
        if (request.method, request.path) == ("POST", "/batch-call") and len(zudu_double.creates) == 15:
            return Reply(400, {"status": "error", "message": "Validation error", "error": "tasks[3].to_number must be in E.164 format"})
        return zudu_double.behave_like_zudu(request)

    zudu_double.default = fifteenth_refused
    async with Client(server(zudu_double, mcp_file_roots=str(tmp_path)), mode=mode) as client:
        stopped = await client.call_tool("create_batch_call", arguments(recipients_file="big.csv"))
    assert stopped.is_error
    assert size(stopped) <= BOUND, size(stopped)
    text = text_of(stopped)
    print(text)
    assert "14 of 26 batches exist" in text
    assert "- part 1 " in text and "- part 14 " in text and "- part 15 " in text  # first and last that exist, the one that failed
    assert "- part 7 " not in text and "list_batch_calls" in text  # the middle is where to read it
    assert "parts 16-26 (11): not sent" in text
    assert stopped.structured_content["part_counts"] == {"created": 14, "failed": 1, "not_sent": 11}
