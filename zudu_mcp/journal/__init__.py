"""The local journal: every request that may change something at Zudu, recorded before it is sent.

An assistant retries after a timeout; a network drops the answer after Zudu acted; a process is
killed mid-request. The journal is how the server knows, afterwards, whether a create may
already exist: an intent row is committed before the request leaves, and its outcome after.
`unknown` (or a `pending` row whose process is gone) means Zudu may have acted: the next
identical create looks upstream before it sends anything. While an identical create is in
flight (in this process, another worker, or another host), a second one waits for it.

SQLite in the state directory is the default; ZUDU_MCP_JOURNAL_URL=postgresql://... puts the
journal where instances on several hosts share it.

One module per job: `database` (the one SQLite/PostgreSQL layer, and `off_loop` for async
callers), `ledger` (requests), `plans` (plans and their parts), `owner` (which sender is alive),
`do_not_call` (the list's hashed rows), `display` (an entry as a line). `Journal` composes them.
Every method does blocking I/O: async code calls it through `off_loop`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from zudu_mcp.journal.database import Database, off_loop
from zudu_mcp.journal.display import describe_entry
from zudu_mcp.journal.do_not_call import DoNotCallList
from zudu_mcp.journal.ledger import Entry, Ledger, payload_hash, redact
from zudu_mcp.journal.owner import HOST, OWNER, owner_gone, process_start
from zudu_mcp.journal.plans import PartState, Plans, StoredPlan
from zudu_mcp.journal.store import DUPLICATE_WINDOW_SECONDS

__all__ = [
    "DUPLICATE_WINDOW_SECONDS",
    "HOST",
    "OWNER",
    "Entry",
    "Journal",
    "PartState",
    "StoredPlan",
    "describe_entry",
    "off_loop",
    "owner_gone",
    "payload_hash",
    "process_start",
    "redact",
]


class Journal(Ledger, Plans, DoNotCallList):
    """One account's view of the journal's database. `copy.copy` of it, with another `account`, is another
    account's view on the same connection and lock (the team server's organizations)."""

    def __init__(self, location: Path | str, *, account: str, clock: Callable[[], float] = time.time):
        """`location`: a SQLite path, ':memory:', or a postgresql:// URL."""
        self.account = account
        self.clock = clock
        self.db = Database(location)

    def close(self) -> None:
        self.db.close()
