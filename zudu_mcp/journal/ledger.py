"""The request ledger: every request that may change something at Zudu, an intent row before it is sent.

Its outcome is recorded after: `unknown` (or a `pending` row whose process is gone) means Zudu
may have acted. The `requests` table is the audit trail the journal command and resource show;
at-most-once delivery of a create is enforced by claiming its part (`plans`), not here.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from zudu_mcp.journal.owner import HOST
from zudu_mcp.journal.store import DUPLICATE_WINDOW_SECONDS, Store

COLUMNS = "id, kind, payload_hash, target, redacted, created_at, outcome, batch_call_id, status, error, owner, lease_until"


def payload_hash(payload: Any) -> str:
    """SHA-256 of the canonical JSON form: same keys and values, same hash, whatever the order."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def redact(body: dict[str, Any]) -> dict[str, Any]:
    """What the journal keeps of a request: its settings and how many recipients, never their numbers."""
    kept = {key: value for key, value in body.items() if key != "tasks"}
    if "tasks" in body:
        kept["tasks"] = f"{len(body['tasks'])} recipients"
    return kept


@dataclass(frozen=True)
class Entry:
    id: int
    kind: str
    payload_hash: str
    target: str | None
    redacted: dict[str, Any]
    created_at: float
    outcome: str
    batch_call_id: str | None
    status: str | None
    error: str | None
    owner: str | None = None
    lease_until: float | None = None


def entry_of(row: tuple) -> Entry:
    (id_, kind, hash_, target, redacted, created, outcome, batch_id, status, error, owner, lease) = row
    return Entry(id_, kind, hash_, target, json.loads(redacted), created, outcome, batch_id, status, error, owner, lease)


class Ledger(Store):
    def record_intent(self, kind: str, payload: dict[str, Any], target: str | None, *, lease_seconds: float = 60, digest: str | None = None) -> int | None:
        """The new audit row's id (None only on a unique conflict, which the current schema no longer has:
        at-most-once is enforced by claiming the part in plan_parts, not here).

        `digest`: the payload's hash when the caller has one (a plan part's body hash), so that
        1,000 recipients are not encoded again only to be hashed.
        """
        now = self.clock()
        try:
            cursor = self.db.run(
                "INSERT INTO requests (account, kind, payload_hash, target, redacted, created_at, outcome, owner, lease_until) "
                "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING id",
                (
                    self.account,
                    kind,
                    digest or payload_hash(payload),
                    target,
                    json.dumps(redact(payload), ensure_ascii=False),
                    now,
                    f"{HOST}:{os.getpid()}",
                    now + lease_seconds,
                ),
            )
            return int(cursor.fetchone()[0])
        except self.db.conflict:
            return None

    def record_outcome(self, entry_id: int, outcome: str, *, batch_call_id: str | None = None, status: str | None = None, error: str | None = None) -> None:
        self.db.run(
            "UPDATE requests SET outcome = ?, batch_call_id = COALESCE(?, batch_call_id), status = ?, error = ?, finished_at = ? WHERE id = ?",
            (outcome, batch_call_id, status, error, self.clock(), entry_id),
        )

    def previous(self, kind: str, payload: dict[str, Any]) -> Entry | None:
        """The latest identical request of the last 24 hours that succeeded, may have reached Zudu, or is in flight."""
        row = self.db.run(
            f"SELECT {COLUMNS} FROM requests WHERE account = ? AND kind = ? AND payload_hash = ? AND created_at >= ? "
            "AND outcome IN ('ok', 'unknown', 'pending') ORDER BY CASE outcome WHEN 'pending' THEN 0 WHEN 'ok' THEN 1 ELSE 2 END, id DESC LIMIT 1",
            (self.account, kind, payload_hash(payload), self.clock() - DUPLICATE_WINDOW_SECONDS),
        ).fetchone()
        return entry_of(row) if row else None

    def recent(self, limit: int = 20) -> list[Entry]:
        rows = self.db.run(f"SELECT {COLUMNS} FROM requests WHERE account = ? ORDER BY id DESC LIMIT ?", (self.account, limit)).fetchall()
        return [entry_of(row) for row in rows]

    def recent_by_account(self, limit: int = 20) -> dict[str, list[Entry]]:
        """The latest entries of every account this database holds (the journal command shows them all)."""
        accounts = [row[0] for row in self.db.run("SELECT DISTINCT account FROM requests").fetchall()]
        found = {}
        for account in sorted(accounts):
            rows = self.db.run(f"SELECT {COLUMNS} FROM requests WHERE account = ? ORDER BY id DESC LIMIT ?", (account, limit)).fetchall()
            found[account] = [entry_of(row) for row in rows]
        return found
