"""The plan store: what the person approves, stored so that exactly it is sent, and each part's fate.

A plan (`plans`) is written while its list is read (state `building`, parts added one by one),
opened in one transaction, confirmed once per intent, then delivered part by part (`plan_parts`):
a part is claimed by one sender (here or on another host), its lease renewed while the request
is in flight, and settled after; a part whose sender died or whose lease ran out is `unknown`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from zudu_mcp.journal.owner import OWNER, owner_gone
from zudu_mcp.journal.store import DUPLICATE_WINDOW_SECONDS, Store

PART_COLUMNS = "idx, name, count, body_hash, outcome, batch_call_id, batch, attempted_at, owner, lease_until, reconciling_until, error"


@dataclass(frozen=True)
class StoredPlan:
    handle: str
    action: str
    intent: str
    created_at: float
    expires_at: float
    state: str
    doc: dict[str, Any]


@dataclass(frozen=True)
class PartState:
    index: int
    name: str
    count: int
    body_hash: str
    outcome: str
    batch_call_id: str | None
    batch: dict[str, Any] | None
    attempted_at: float | None
    owner: str | None
    lease_until: float | None
    reconciling_until: float | None
    error: str | None


def part_of(row: tuple) -> PartState:
    return PartState(*(*row[:6], json.loads(row[6]) if row[6] else None, *row[7:]))


class Plans(Store):
    def save_plan(self, handle: str, action: str, intent: str, expires_at: float, doc: dict[str, Any], state: str = "open") -> None:
        """A plan being built is written without a sync to disk (see Database.unsynced); other plans with one."""
        sql = "INSERT INTO plans (handle, account, action, intent, created_at, expires_at, state, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        params = (handle, self.account, action, intent, self.clock(), expires_at, state, json.dumps(doc, ensure_ascii=False))
        if state != "building":
            self.db.run(sql, params)
            return
        with self.db.unsynced() as statements:
            statements.execute(sql, params)

    def finish_plan(self, handle: str, intent: str, doc: dict[str, Any], parts: list[tuple[int, str, str]], state: str = "open") -> None:
        """A plan whose parts were stored while the list was read: its summary, and each part's name and hash.

        One transaction, so no reader sees an open plan with unnamed parts; not synced to disk (see Database.unsynced).
        """
        rows = [(name, body_hash, handle, index) for index, name, body_hash in parts]
        with self.db.transaction(synced=False) as statements:
            statements.executemany("UPDATE plan_parts SET name = ?, body_hash = ? WHERE handle = ? AND idx = ?", rows)
            statements.execute("UPDATE plans SET intent = ?, doc = ?, state = ? WHERE handle = ?", (intent, json.dumps(doc, ensure_ascii=False), state, handle))

    def add_part(self, handle: str, index: int, count: int, tasks: str) -> None:
        """A part of a plan being built; not synced to disk (see Database.unsynced)."""
        with self.db.unsynced() as statements:
            statements.execute(
                "INSERT INTO plan_parts (handle, idx, name, count, tasks, body_hash, outcome) VALUES (?, ?, '', ?, ?, '', 'new')",
                (handle, index, count, tasks),
            )

    def drop_plan(self, handle: str) -> None:
        self.db.run("DELETE FROM plan_parts WHERE handle = ?", (handle,))
        self.db.run("DELETE FROM plans WHERE handle = ? AND account = ?", (handle, self.account))

    def plan(self, handle: str) -> StoredPlan | None:
        row = self.db.run(
            "SELECT handle, action, intent, created_at, expires_at, state, doc FROM plans WHERE handle = ? AND account = ?",
            (handle, self.account),
        ).fetchone()
        return StoredPlan(*(*row[:6], json.loads(row[6]))) if row else None

    def plan_by_intent(self, action: str, intent: str) -> StoredPlan | None:
        """The plan this intent already made: one still being delivered (any age: unknown outcomes never expire),
        else the latest of the last 24 hours that was not abandoned unconfirmed."""
        unresolved = self.db.run(
            "SELECT p.handle FROM plans p JOIN plan_parts t ON t.handle = p.handle WHERE p.account = ? AND p.action = ? AND p.intent = ? "
            "AND t.outcome IN ('pending', 'unknown') ORDER BY p.created_at DESC LIMIT 1",
            (self.account, action, intent),
        ).fetchone()
        if unresolved:
            return self.plan(unresolved[0])
        row = self.db.run(
            "SELECT handle FROM plans WHERE account = ? AND action = ? AND intent = ? AND created_at >= ? AND state IN ('open', 'confirmed', 'done') "
            "AND (state <> 'open' OR expires_at > ?) ORDER BY created_at DESC LIMIT 1",
            (self.account, action, intent, self.clock() - DUPLICATE_WINDOW_SECONDS, self.clock()),
        ).fetchone()
        return self.plan(row[0]) if row else None

    def set_plan_state(self, handle: str, state: str, *, only_from: tuple[str, ...] = ()) -> bool:
        """False when the plan is not in one of `only_from`, or when confirming it would make two deliveries of one intent."""
        sql = "UPDATE plans SET state = ? WHERE handle = ? AND account = ?"
        params: tuple = (state, handle, self.account)
        if only_from:
            sql += " AND state IN (" + ", ".join("?" for _ in only_from) + ")"
            params += only_from
        try:
            return self.db.run(sql, params).rowcount == 1
        except self.db.conflict:
            return False

    def update_plan_doc(self, handle: str, doc: dict[str, Any]) -> None:
        self.db.run("UPDATE plans SET doc = ? WHERE handle = ? AND account = ?", (json.dumps(doc, ensure_ascii=False), handle, self.account))

    def campaign_of(self, batch_call_id: str) -> tuple[StoredPlan, list[PartState]] | None:
        """The campaign a batch is one part of, when this server created it."""
        row = self.db.run(
            "SELECT p.handle FROM plan_parts t JOIN plans p ON p.handle = t.handle WHERE t.batch_call_id = ? AND p.account = ? "
            "ORDER BY p.created_at DESC LIMIT 1",
            (batch_call_id, self.account),
        ).fetchone()
        if not row:
            return None
        stored = self.plan(row[0])
        return (stored, self.parts(row[0])) if stored else None

    # ---- parts: who sends each one, and what became of it ---------------------------------------

    def parts(self, handle: str) -> list[PartState]:
        rows = self.db.run(f"SELECT {PART_COLUMNS} FROM plan_parts WHERE handle = ? ORDER BY idx", (handle,)).fetchall()
        return [part_of(row) for row in rows]

    def part(self, handle: str, index: int) -> PartState | None:
        """One part: delivery reads the part it is sending, not the whole plan's list each time."""
        row = self.db.run(f"SELECT {PART_COLUMNS} FROM plan_parts WHERE handle = ? AND idx = ?", (handle, index)).fetchone()
        return part_of(row) if row else None

    def part_tasks(self, handle: str, index: int) -> str | None:
        row = self.db.run("SELECT tasks FROM plan_parts WHERE handle = ? AND idx = ?", (handle, index)).fetchone()
        return row[0] if row else None

    def claim_part(self, handle: str, index: int, from_outcomes: tuple[str, ...], lease_seconds: float) -> bool:
        """Atomically marks a part as being sent by this process: only one sender wins, here or on another host."""
        now = self.clock()
        placeholders = ", ".join("?" for _ in from_outcomes)
        cursor = self.db.run(
            f"UPDATE plan_parts SET outcome = 'pending', owner = ?, lease_until = ?, attempted_at = ?, error = NULL "
            f"WHERE handle = ? AND idx = ? AND outcome IN ({placeholders})",
            (OWNER, now + lease_seconds, now, handle, index, *from_outcomes),
        )
        return cursor.rowcount == 1

    def renew_lease(self, handle: str, index: int, lease_seconds: float) -> None:
        self.db.run(
            "UPDATE plan_parts SET lease_until = ? WHERE handle = ? AND idx = ? AND outcome = 'pending' AND owner = ?",
            (self.clock() + lease_seconds, handle, index, OWNER),
        )

    def settle_part(
        self, handle: str, index: int, outcome: str, *, batch: dict[str, Any] | None = None, error: str | None = None, expected: str | None = None
    ) -> bool:
        """Records what became of a part; the recipients are forgotten once the part exists at Zudu."""
        sql = (
            "UPDATE plan_parts SET outcome = ?, batch_call_id = COALESCE(?, batch_call_id), batch = COALESCE(?, batch), error = ?, "
            "lease_until = NULL, reconciling_until = NULL" + (", tasks = NULL" if outcome == "ok" else "") + " WHERE handle = ? AND idx = ?"
        )
        params: tuple = (outcome, (batch or {}).get("batch_call_id"), json.dumps(batch, ensure_ascii=False) if batch else None, error, handle, index)
        if expected is not None:
            sql += " AND outcome = ?"
            params += (expected,)
        return self.db.run(sql, params).rowcount == 1

    def abandon_part(self, handle: str, index: int, owner: str | None = None) -> bool:
        """A pending part whose sender died (this host) or whose lease ran out (any host): Zudu may have acted."""
        if owner is not None and owner_gone(owner):
            return (
                self.db.run(
                    "UPDATE plan_parts SET outcome = 'unknown', error = 'sender died mid-request' WHERE handle = ? AND idx = ? "
                    "AND outcome = 'pending' AND owner = ?",
                    (handle, index, owner),
                ).rowcount
                == 1
            )
        return (
            self.db.run(
                "UPDATE plan_parts SET outcome = 'unknown', error = 'abandoned mid-request' WHERE handle = ? AND idx = ? "
                "AND outcome = 'pending' AND (lease_until IS NULL OR lease_until <= ?)",
                (handle, index, self.clock()),
            ).rowcount
            == 1
        )

    def lock_reconcile(self, handle: str, index: int, seconds: float) -> bool:
        now = self.clock()
        return (
            self.db.run(
                "UPDATE plan_parts SET reconciling_until = ? WHERE handle = ? AND idx = ? AND outcome = 'unknown' "
                "AND (reconciling_until IS NULL OR reconciling_until < ?)",
                (now + seconds, handle, index, now),
            ).rowcount
            == 1
        )

    def unlock_reconcile(self, handle: str, index: int) -> None:
        self.db.run("UPDATE plan_parts SET reconciling_until = NULL WHERE handle = ? AND idx = ?", (handle, index))
