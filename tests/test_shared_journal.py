"""More than one machine: with ZUDU_MCP_JOURNAL_URL the journal lives in PostgreSQL, and server
processes sharing it never send the same create twice, one after the other or at the same moment.

Needs a PostgreSQL server: `.ci/run` starts one (`.ci/start-postgres`) and sets ZUDU_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import copy
import os
import secrets
import sys
import threading
import time
from collections.abc import Iterator

import anyio
import anyio.to_thread
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.conftest import API_KEY, API_SECRET, Reply, ZuduDouble, text_of
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


async def create(params: StdioServerParameters, arguments: dict, results: list, connected: threading.Event | None = None) -> None:
    """One create_batch_call from a server process of its own; `connected` is set once its session is up."""
    async with Client(params, read_timeout_seconds=60) as client:
        if connected is not None:
            connected.set()
        results.append(await client.call_tool("create_batch_call", arguments))


def tomorrow(double: ZuduDouble) -> dict:
    from datetime import UTC, datetime

    double.clock_ms = lambda: int(time.time() * 1000)  # the servers run on the real clock
    return copy.deepcopy(seed_request_for_tomorrow(datetime.now(UTC)))


@pytest.mark.parametrize("together", [False, True], ids=["one after the other", "at the same moment"])
def test_two_server_processes_sharing_the_journal_create_once(zudu_double: ZuduDouble, journal_url: str, tmp_path, together: bool) -> None:
    arguments = tomorrow(zudu_double)

    def held_create(request):  # Zudu stores the batch; its answer waits until the second server is calling
        reply = zudu_double.behave_like_zudu(request)
        reply.hold = request.path == "/batch-call"
        return reply

    zudu_double.default = held_create if together else zudu_double.behave_like_zudu
    first, second = server(zudu_double, journal_url, str(tmp_path / "a")), server(zudu_double, journal_url, str(tmp_path / "b"), "host-b")
    results: list = []

    async def main() -> None:
        if not together:
            await create(first, arguments, results)
            await create(second, arguments, results)
            return
        connected = threading.Event()
        async with anyio.create_task_group() as group:
            group.start_soon(create, first, arguments, results)
            await zudu_double.until(lambda double: double.creates)
            group.start_soon(create, second, arguments, results, connected)
            assert await anyio.to_thread.run_sync(connected.wait, 60), "the second server never connected"
            await anyio.sleep(0.5)  # widens the overlap only: the assertions hold in either order
            zudu_double.release()

    anyio.run(main)
    assert len(zudu_double.creates) == 1 and len(zudu_double.batches) == 1
    assert all(not r.is_error for r in results), [text_of(r) for r in results]
    assert sum("Not created again" in text_of(r) for r in results) == 1


def test_two_hosts_retrying_a_lost_answer_at_once_create_once(zudu_double: ZuduDouble, journal_url: str, tmp_path) -> None:
    """Paths 1 and 3 across hosts: the answer is lost, then both hosts retry at the same moment, and no list is answered before both are connected."""
    arguments = tomorrow(zudu_double)
    zudu_double.replies.append(Reply(drop=True, acts=True))
    lost: list = []
    anyio.run(create, server(zudu_double, journal_url, str(tmp_path / "a")), arguments, lost)
    assert lost[0].is_error

    both = [threading.Event(), threading.Event()]

    def lists_once_both_retry(request):
        if request.path == "/batch-call/list":
            assert all(event.wait(60) for event in both)
        return zudu_double.behave_like_zudu(request)

    zudu_double.default = lists_once_both_retry
    results: list = []

    async def main() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(create, server(zudu_double, journal_url, str(tmp_path / "a")), arguments, results, both[0])
            group.start_soon(create, server(zudu_double, journal_url, str(tmp_path / "b"), "host-b"), arguments, results, both[1])

    anyio.run(main)
    assert all(not r.is_error for r in results), [text_of(r) for r in results]
    assert len(zudu_double.creates) == 1 and len(zudu_double.batches) == 1


def test_a_slow_create_on_one_host_keeps_its_lease_while_another_host_waits(zudu_double: ZuduDouble, journal_url: str, tmp_path) -> None:
    """Path 6: Zudu takes longer than the other host's own timeout; its lease, not its clock, tells it the sender is alive."""
    arguments = tomorrow(zudu_double)
    zudu_double.replies.append(Reply(200, {"late": True}, hold=True, acts_late=True))
    zudu_double.default = zudu_double.behave_like_zudu
    slow = server(zudu_double, journal_url, str(tmp_path / "a"), ZUDU_TIMEOUT_SECONDS="15")
    other = server(zudu_double, journal_url, str(tmp_path / "b"), "host-b", ZUDU_TIMEOUT_SECONDS="1", ZUDU_MCP_WAIT_SECONDS="20")
    results: list = []

    async def main() -> None:
        connected = threading.Event()
        async with anyio.create_task_group() as group:
            group.start_soon(create, slow, arguments, results)
            await zudu_double.until(lambda double: double.creates)  # the slow host's create is at Zudu, unanswered
            group.start_soon(create, other, arguments, results, connected)
            assert await anyio.to_thread.run_sync(connected.wait, 60), "the second server never connected"
            await anyio.sleep(2)  # longer than the other host's own 1 s timeout
            zudu_double.release()

    anyio.run(main)
    assert len(zudu_double.creates) == 1 and len(zudu_double.batches) == 1
    waited = [r for r in results if "not with a batch object" not in text_of(r)]  # the slow host's answer was unreadable
    assert len(waited) == 1 and not waited[0].is_error, [text_of(r) for r in results]  # the other waited, then found it
