"""Journal I/O never runs on the event loop: a slow disk or database must not stall every other request.

Every statement the journal runs goes through `Database.run`, `transaction` or `unsynced`; this
test records the thread of each while the create path runs through the protocol (preview,
confirm, a lost answer, the explicit resend, a repeat) and the do-not-call tool, and fails on
any that ran on the event loop's own thread. Opening the journal (once per process) is not counted.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from mcp import Client

from tests.conftest import API_KEY, API_SECRET, SEED_NOW, Reply, ZuduDouble, text_of
from zudu_mcp.backend import Backend
from zudu_mcp.config import Settings
from zudu_mcp.demo import SEED_REQUEST
from zudu_mcp.journal.database import Database
from zudu_mcp.server import create_server

pytestmark = pytest.mark.anyio


class Threads:
    """Which statements ran on the loop's thread, out of how many."""

    def __init__(self) -> None:
        self.loop = threading.get_ident()  # the test and the in-memory server share one event loop
        self.seen = 0
        self.on_loop: list[str] = []

    def note(self, what: str) -> None:
        self.seen += 1
        if threading.get_ident() == self.loop:
            self.on_loop.append(what)


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> Threads:
    found = Threads()
    run, transaction, unsynced = Database.run, Database.transaction, Database.unsynced

    def watched_run(self: Database, sql: str, params: tuple = ()) -> Any:
        found.note(sql.split(" WHERE")[0])
        return run(self, sql, params)

    @contextmanager
    def watched_transaction(self: Database, *, synced: bool = True) -> Iterator[Any]:
        found.note("transaction")
        with transaction(self, synced=synced) as statements:
            yield statements

    @contextmanager
    def watched_unsynced(self: Database) -> Iterator[Any]:
        found.note("unsynced write")
        with unsynced(self) as statements:
            yield statements

    monkeypatch.setattr(Database, "run", watched_run)
    monkeypatch.setattr(Database, "transaction", watched_transaction)
    monkeypatch.setattr(Database, "unsynced", watched_unsynced)
    return found


async def test_the_create_path_does_its_journal_io_off_the_event_loop(zudu_double: ZuduDouble, threads: Threads) -> None:
    zudu_double.replies.append(Reply(500, {"status": "error", "error": "internal"}))  # an unknown outcome: the resend path too
    settings = Settings(api_key=API_KEY, api_secret=API_SECRET, base_url=zudu_double.url, timeout_seconds=30, mcp_settle_seconds=0, mcp_confirm="token")
    server = create_server(backend=Backend(settings, clock=lambda: SEED_NOW))
    async with Client(server, mode="legacy") as client:
        token = (await client.call_tool("preview_batch_call", copy.deepcopy(SEED_REQUEST))).structured_content["confirmation_token"]
        first = await client.call_tool("create_batch_call", {"confirmation_token": token})
        checked = await client.call_tool("create_batch_call", {"confirmation_token": token})
        resend = checked.structured_content["resend_token"]
        sent = await client.call_tool("create_batch_call", {"confirmation_token": resend})
        again = await client.call_tool("create_batch_call", {"confirmation_token": token})
        repeat = await client.call_tool("preview_batch_call", copy.deepcopy(SEED_REQUEST))
        listed = await client.call_tool("do_not_call", {"action": "add", "numbers": ["+919445216009"]})
        checked_list = await client.call_tool("do_not_call", {"action": "check", "numbers": ["+919445216009"]})
    assert first.is_error and checked.is_error and not sent.is_error, text_of(sent)
    assert not again.is_error and not repeat.is_error and "Not created again" in text_of(repeat), text_of(repeat)
    assert not listed.is_error and not checked_list.is_error
    assert threads.seen > 20  # the watch saw the journal at work
    assert threads.on_loop == [], f"journal I/O on the event loop: {threads.on_loop}"
