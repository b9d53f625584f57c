"""What every job of the journal shares: one database, one account's partition of it, one clock.

Each job (ledger, plans, do-not-call list) is a mixin over these three attributes, and `Journal`
composes them. A copy of a journal (`copy.copy`) is another account's view on the same
connection and lock: only `account` differs.
"""

from __future__ import annotations

from collections.abc import Callable

from zudu_mcp.journal.database import Database

DUPLICATE_WINDOW_SECONDS = 24 * 3600  # an identical request or plan of the last 24 hours is the same one


class Store:
    db: Database
    account: str
    clock: Callable[[], float]
