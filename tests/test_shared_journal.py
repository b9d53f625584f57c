"""More than one machine: with ZUDU_MCP_JOURNAL_URL the journal lives in PostgreSQL, and server
processes sharing it never send the same create twice, one after the other or at the same moment.

Needs a PostgreSQL server: `.ci/run` starts one (`.ci/start-postgres`) and sets ZUDU_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import copy
import os
import secrets
import sys
from collections.abc import Iterator

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.conftest import API_KEY, API_SECRET, ZuduDouble, text_of
from zudu_mcp.demo import seed_request_for_tomorrow
from zudu_mcp.journal import Journal

ADMIN_URL = os.environ.get("ZUDU_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(ADMIN_URL is None, reason="no PostgreSQL: run .ci/run, or set ZUDU_TEST_POSTGRES_URL (see .ci/start-postgres)")


@pytest.fixture
def journal_url() -> Iterator[str]:
    import psycopg

    name = f"zudu_test_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_the_journal_works_on_postgres(journal_url: str) -> None:
    journal = Journal(journal_url, account="a")
    body = {"name": "x", "tasks": [{"to_number": "+919600011957"}]}
    entry = journal.record_intent("create", body, "x")
    assert entry is not None and journal.record_intent("create", body, "x") is None  # one identical create in flight
    assert journal.in_flight(journal.previous("create", body))
    journal.record_outcome(entry, "ok", batch_call_id="batch_call_1", status="scheduled")
    previous = journal.previous("create", body)
    assert (previous.outcome, previous.batch_call_id, previous.redacted["tasks"]) == ("ok", "batch_call_1", "1 recipients")
    assert journal.use_token("n1") and not journal.use_token("n1")
    assert Journal(journal_url, account="b").previous("create", body) is None  # accounts never mix
    journal.close()


def server(double: ZuduDouble, journal_url: str, state: str) -> StdioServerParameters:
    env = {"ZUDU_API_KEY": API_KEY, "ZUDU_API_SECRET": API_SECRET, "ZUDU_BASE_URL": double.url, "ZUDU_MCP_CONFIRM": "off",
           "ZUDU_MCP_JOURNAL_URL": journal_url, "ZUDU_MCP_STATE_DIR": state}
    return StdioServerParameters(command=sys.executable, args=["-m", "zudu_mcp"], env=env)


@pytest.mark.parametrize("together", [False, True], ids=["one after the other", "at the same moment"])
def test_two_server_processes_sharing_the_journal_create_once(zudu_double: ZuduDouble, journal_url: str, tmp_path, together: bool) -> None:
    import time

    zudu_double.clock_ms = lambda: int(time.time() * 1000)  # the servers run on the real clock

    def slow_create(request):  # the first create is slow at Zudu, so the second arrives while it is in flight
        reply = zudu_double.behave_like_zudu(request)
        reply.delay = 1.5 if request.path == "/batch-call" else 0
        return reply

    if together:
        zudu_double.default = slow_create
    from datetime import UTC, datetime

    arguments = copy.deepcopy(seed_request_for_tomorrow(datetime.now(UTC)))
    results: list = []

    async def call(params: StdioServerParameters) -> None:
        async with Client(params, read_timeout_seconds=60) as client:
            results.append(await client.call_tool("create_batch_call", arguments))

    async def main() -> None:
        first, second = server(zudu_double, journal_url, str(tmp_path / "a")), server(zudu_double, journal_url, str(tmp_path / "b"))
        if together:
            async with anyio.create_task_group() as group:
                group.start_soon(call, first)
                await anyio.sleep(0.8)
                group.start_soon(call, second)
        else:
            await call(first)
            await call(second)

    anyio.run(main)
    assert len(zudu_double.creates) == 1 and len(zudu_double.batches) == 1
    assert all(not r.is_error for r in results), [text_of(r) for r in results]
    assert sum("Not created again" in text_of(r) for r in results) == 1
