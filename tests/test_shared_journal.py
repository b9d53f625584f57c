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


def test_the_plan_store_works_on_postgres(journal_url: str) -> None:
    journal = Journal(journal_url, account="a")
    journal.save_plan("zp_1", "create_batch_call", "intent-1", 1e12, {"summary": "2 calls"}, state="building")
    journal.add_part("zp_1", 0, 2, '[{"to_number": "+919600011957"}]')
    journal.finish_plan("zp_1", "intent-1", {"summary": "2 calls"}, [(0, "x", "hash")])
    assert journal.plan("zp_1").state == "open" and journal.plan_by_intent("create_batch_call", "intent-1").handle == "zp_1"
    assert journal.claim_part("zp_1", 0, ("new",), 20) and not journal.claim_part("zp_1", 0, ("new",), 20)  # one sender wins
    journal.settle_part("zp_1", 0, "ok", batch={"batch_call_id": "batch_call_1"})
    [part] = journal.parts("zp_1")
    assert (part.outcome, part.batch_call_id) == ("ok", "batch_call_1") and journal.part_tasks("zp_1", 0) is None  # numbers forgotten
    assert journal.set_plan_state("zp_1", "confirmed", only_from=("open",))
    journal.save_plan("zp_2", "create_batch_call", "intent-1", 1e12, {"summary": "2 calls"})
    assert not journal.set_plan_state("zp_2", "confirmed", only_from=("open",))  # one delivery per intent
    assert Journal(journal_url, account="b").plan("zp_1") is None  # accounts never mix
    journal.close()


def server(double: ZuduDouble, journal_url: str, state: str, host: str = "host-a", **extra: str) -> StdioServerParameters:
    """A server process as if on its own host: its own state directory and host name, the journal shared."""
    env = {
        "ZUDU_API_KEY": API_KEY,
        "ZUDU_API_SECRET": API_SECRET,
        "ZUDU_BASE_URL": double.url,
        "ZUDU_MCP_CONFIRM": "off",
        "ZUDU_MCP_JOURNAL_URL": journal_url,
        "ZUDU_MCP_STATE_DIR": state,
        "ZUDU_MCP_HOST_ID": host,
        "ZUDU_MCP_SETTLE_SECONDS": "0",
    } | extra
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
        first, second = server(zudu_double, journal_url, str(tmp_path / "a")), server(zudu_double, journal_url, str(tmp_path / "b"), "host-b")
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


def run_calls(calls: list[tuple[StdioServerParameters, dict, float]]) -> list:
    """Each (server, arguments, start delay) in its own process, all at once."""
    results: list = []

    async def call(params: StdioServerParameters, arguments: dict, delay: float) -> None:
        await anyio.sleep(delay)
        async with Client(params, read_timeout_seconds=60) as client:
            results.append(await client.call_tool("create_batch_call", arguments))

    async def main() -> None:
        async with anyio.create_task_group() as group:
            for params, arguments, delay in calls:
                group.start_soon(call, params, arguments, delay)

    anyio.run(main)
    return results


def test_two_hosts_retrying_a_lost_answer_at_once_create_once(zudu_double: ZuduDouble, journal_url: str, tmp_path) -> None:
    """Paths 1 and 3 across hosts: the answer is lost, then both hosts retry at the same moment while lists are slow."""
    import time
    from datetime import UTC, datetime

    from tests.conftest import Reply

    zudu_double.clock_ms = lambda: int(time.time() * 1000)
    arguments = copy.deepcopy(seed_request_for_tomorrow(datetime.now(UTC)))
    zudu_double.replies.append(Reply(drop=True, acts=True))
    [lost] = run_calls([(server(zudu_double, journal_url, str(tmp_path / "a")), arguments, 0)])
    assert lost.is_error

    def slow_lists(request):
        reply = zudu_double.behave_like_zudu(request)
        reply.delay = 0.7 if request.path == "/batch-call/list" else 0
        return reply

    zudu_double.default = slow_lists
    results = run_calls(
        [(server(zudu_double, journal_url, str(tmp_path / "a")), arguments, 0), (server(zudu_double, journal_url, str(tmp_path / "b"), "host-b"), arguments, 0)]
    )
    assert all(not r.is_error for r in results), [text_of(r) for r in results]
    assert len(zudu_double.creates) == 1 and len(zudu_double.batches) == 1


def test_a_slow_create_on_one_host_keeps_its_lease_while_another_host_waits(zudu_double: ZuduDouble, journal_url: str, tmp_path) -> None:
    """Path 6: Zudu takes longer than the other host's whole lease would allow; the lease is renewed, nothing is sent twice."""
    import time
    from datetime import UTC, datetime

    from tests.conftest import Reply

    zudu_double.clock_ms = lambda: int(time.time() * 1000)
    arguments = copy.deepcopy(seed_request_for_tomorrow(datetime.now(UTC)))
    zudu_double.replies.append(Reply(200, {"late": True}, delay=6.0, acts_late=True))
    zudu_double.default = zudu_double.behave_like_zudu
    slow = server(zudu_double, journal_url, str(tmp_path / "a"), ZUDU_TIMEOUT_SECONDS="15")
    other = server(zudu_double, journal_url, str(tmp_path / "b"), "host-b", ZUDU_TIMEOUT_SECONDS="3", ZUDU_MCP_WAIT_SECONDS="20")
    results = run_calls([(slow, arguments, 0), (other, arguments, 1.5)])
    assert len(zudu_double.creates) == 1 and len(zudu_double.batches) == 1
    waited = [r for r in results if "not with a batch object" not in text_of(r)]  # the slow host's answer was unreadable
    assert len(waited) == 1 and not waited[0].is_error, [text_of(r) for r in results]  # the other waited, then found it
