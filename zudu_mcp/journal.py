"""The local ledger: every request that may change something at Zudu, recorded before it is sent.

An assistant retries after a timeout; a network drops the answer after Zudu acted; a process is
killed mid-request. The journal is how the server knows, afterwards, whether a create may
already exist: an intent row is committed before the request leaves, and its outcome after.
`unknown` (or a `pending` row whose process is gone) means Zudu may have acted: the next
identical create looks upstream before it sends anything. While an identical create is in
flight (in this process, another worker, or another host), a second one waits for it.

SQLite in the state directory is the default; ZUDU_MCP_JOURNAL_URL=postgresql://... puts the
journal where instances on several hosts share it.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id {id_column},
    account TEXT NOT NULL,
    kind TEXT NOT NULL,              -- create, execute, update, delete
    payload_hash TEXT NOT NULL,
    target TEXT,                     -- batch name (create) or batch id (others)
    redacted TEXT NOT NULL,          -- the request without phone numbers or secrets
    created_at {real} NOT NULL,
    outcome TEXT NOT NULL,           -- pending, ok, failed, unknown
    batch_call_id TEXT,
    status TEXT,
    error TEXT,
    finished_at {real},
    owner TEXT,                      -- host:pid of the process sending it
    lease_until {real}               -- after this a pending row counts as abandoned
);
CREATE INDEX IF NOT EXISTS requests_by_hash ON requests (account, payload_hash, created_at);
CREATE TABLE IF NOT EXISTS plans (
    handle TEXT PRIMARY KEY,         -- the confirmation token the person's yes is given to
    account TEXT NOT NULL,
    action TEXT NOT NULL,            -- create_batch_call, execute_batch_call, update_batch_call, delete_batch_call, resend
    intent TEXT NOT NULL,            -- what was meant: the arguments as given, not what they resolve to now
    created_at {real} NOT NULL,
    expires_at {real} NOT NULL,
    state TEXT NOT NULL,             -- building, open, confirmed, done, void
    doc TEXT NOT NULL                -- summary, findings, settings, targets: never phone numbers
);
CREATE INDEX IF NOT EXISTS plans_by_intent ON plans (account, intent, created_at);
CREATE UNIQUE INDEX IF NOT EXISTS one_delivery_per_intent ON plans (account, intent) WHERE state = 'confirmed';
CREATE TABLE IF NOT EXISTS plan_parts (
    handle TEXT NOT NULL,
    idx INTEGER NOT NULL,
    name TEXT NOT NULL,
    count INTEGER NOT NULL,
    tasks TEXT,                      -- the recipients of this part, until it exists at Zudu
    body_hash TEXT NOT NULL,
    outcome TEXT NOT NULL,           -- new, pending, ok, failed, unknown
    batch_call_id TEXT,
    batch TEXT,                      -- Zudu's answer
    attempted_at {real},
    owner TEXT,
    lease_until {real},              -- a pending part whose lease ran out was abandoned mid-request
    reconciling_until {real},        -- one look-up at Zudu per part at a time, across processes and hosts
    error TEXT,
    PRIMARY KEY (handle, idx)
);
CREATE INDEX IF NOT EXISTS parts_by_batch ON plan_parts (batch_call_id);
CREATE TABLE IF NOT EXISTS do_not_call (
    account TEXT NOT NULL,
    number_hash TEXT NOT NULL,       -- HMAC-SHA256 of the E.164 number with the state directory's key: never the number
    added_at {real} NOT NULL,
    PRIMARY KEY (account, number_hash)
);
"""
PART_COLUMNS = "idx, name, count, body_hash, outcome, batch_call_id, batch, attempted_at, owner, lease_until, reconciling_until, error"
COLUMNS = "id, kind, payload_hash, target, redacted, created_at, outcome, batch_call_id, status, error, owner, lease_until"
DUPLICATE_WINDOW_SECONDS = 24 * 3600
HOST = os.environ.get("ZUDU_MCP_HOST_ID") or socket.gethostname()  # tests run two "hosts" on one machine


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


def process_start(pid: int) -> str:
    """When a process started (Linux), so that a reused pid is not mistaken for the sender that died."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


OWNER = f"{HOST}:{os.getpid()}:{process_start(os.getpid())}"


def owner_gone(owner: str | None) -> bool:
    """True only when the sender ran on this host and that very process no longer runs."""
    host, _, rest = (owner or "").partition(":")
    pid, _, started = rest.partition(":")
    if host != HOST or not pid.isdigit():
        return False  # another host: only its lease tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return bool(started) and process_start(int(pid)) not in ("", started)


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


class Journal:
    def __init__(self, location: Path | str, *, account: str, clock=time.time):
        """`location`: a SQLite path, ':memory:', or a postgresql:// URL."""
        self.account = account
        self.clock = clock
        self._lock = threading.Lock()
        self._db: Any  # sqlite3 or psycopg: the same execute/fetch surface for what this class uses
        self._conflict: type[Exception]
        location = str(location)
        if location.startswith(("postgresql://", "postgres://")):
            import psycopg  # lazy: only a shared journal needs it

            self._db = psycopg.connect(location, autocommit=True)
            self._placeholder, self._conflict = "%s", psycopg.errors.UniqueViolation
            schema = SCHEMA.format(id_column="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", real="DOUBLE PRECISION")
            with self._lock:
                self._db.execute("SELECT pg_advisory_lock(7327021)")  # instances starting together create the schema once
                for statement in filter(str.strip, schema.split(";")):
                    self._db.execute(statement)
                self._db.execute("SELECT pg_advisory_unlock(7327021)")
        else:
            import sqlite3  # lazy: start-up does not need a database

            if location != ":memory:":
                Path(location).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(location, timeout=30, isolation_level=None, check_same_thread=False)
            self._placeholder, self._conflict = "?", sqlite3.IntegrityError
            with self._lock:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")  # an intent row must survive a crash right after it
                self._db.executescript(SCHEMA.format(id_column="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL"))

    def close(self) -> None:
        self._db.close()

    def _run(self, sql: str, params: tuple = ()) -> Any:
        with self._lock:
            return self._db.execute(sql.replace("?", self._placeholder), params)

    def record_intent(self, kind: str, payload: dict[str, Any], target: str | None, *, lease_seconds: float = 60, digest: str | None = None) -> int | None:
        """The new audit row's id (None only on a unique conflict, which the current schema no longer has:
        at-most-once is enforced by claiming the part in plan_parts, not here).

        `digest`: the payload's hash when the caller has one (a plan part's body hash), so that
        1,000 recipients are not encoded again only to be hashed.
        """
        now = self.clock()
        try:
            cursor = self._run(
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
        except self._conflict:
            return None

    def record_outcome(self, entry_id: int, outcome: str, *, batch_call_id: str | None = None, status: str | None = None, error: str | None = None) -> None:
        self._run(
            "UPDATE requests SET outcome = ?, batch_call_id = COALESCE(?, batch_call_id), status = ?, error = ?, finished_at = ? WHERE id = ?",
            (outcome, batch_call_id, status, error, self.clock(), entry_id),
        )

    def previous(self, kind: str, payload: dict[str, Any]) -> Entry | None:
        """The latest identical request of the last 24 hours that succeeded, may have reached Zudu, or is in flight."""
        row = self._run(
            f"SELECT {COLUMNS} FROM requests WHERE account = ? AND kind = ? AND payload_hash = ? AND created_at >= ? "
            "AND outcome IN ('ok', 'unknown', 'pending') ORDER BY CASE outcome WHEN 'pending' THEN 0 WHEN 'ok' THEN 1 ELSE 2 END, id DESC LIMIT 1",
            (self.account, kind, payload_hash(payload), self.clock() - DUPLICATE_WINDOW_SECONDS),
        ).fetchone()
        return self._entry(row) if row else None

    # ---- plans: what the person approves, stored so that exactly it is sent ------------------

    def save_plan(self, handle: str, action: str, intent: str, expires_at: float, doc: dict[str, Any], state: str = "open") -> None:
        """A plan being built is written without a sync to disk (see _unsynced); other plans with one."""
        sql = "INSERT INTO plans (handle, account, action, intent, created_at, expires_at, state, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        params = (handle, self.account, action, intent, self.clock(), expires_at, state, json.dumps(doc, ensure_ascii=False))
        if state != "building":
            self._run(sql, params)
            return
        with self._lock, self._unsynced():
            self._db.execute(sql.replace("?", self._placeholder), params)

    def finish_plan(self, handle: str, intent: str, doc: dict[str, Any], parts: list[tuple[int, str, str]], state: str = "open") -> None:
        """A plan whose parts were stored while the list was read: its summary, and each part's name and hash.

        One transaction, so no reader sees an open plan with unnamed parts; not synced to disk (see _unsynced).
        """
        names = "UPDATE plan_parts SET name = ?, body_hash = ? WHERE handle = ? AND idx = ?".replace("?", self._placeholder)
        opened = "UPDATE plans SET intent = ?, doc = ?, state = ? WHERE handle = ?".replace("?", self._placeholder)
        rows = [(name, body_hash, handle, index) for index, name, body_hash in parts]
        values = (intent, json.dumps(doc, ensure_ascii=False), state, handle)
        with self._lock, self._unsynced():
            if self._placeholder != "?":  # PostgreSQL (autocommit connection): an explicit transaction
                with self._db.transaction(), self._db.cursor() as cursor:
                    cursor.executemany(names, rows)
                    cursor.execute(opened, values)
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(names, rows)
                self._db.execute(opened, values)
            except BaseException:
                self._db.rollback()
                raise
            self._db.commit()

    def add_part(self, handle: str, index: int, count: int, tasks: str) -> None:
        """A part of a plan being built; not synced to disk (see _unsynced)."""
        with self._lock, self._unsynced():
            self._db.execute(
                "INSERT INTO plan_parts (handle, idx, name, count, tasks, body_hash, outcome) VALUES (?, ?, '', ?, ?, '', 'new')".replace(
                    "?", self._placeholder
                ),
                (handle, index, count, tasks),
            )

    @contextmanager
    def _unsynced(self) -> Iterator[None]:
        """SQLite synchronous=NORMAL for writing a plan (not FULL: no fsync per part, 100 of them for 100,000 rows).

        A crash can lose only a plan nobody has confirmed: its token then says "unknown", and a new
        preview makes it again. Confirming a plan, claiming a part and recording an outcome stay
        synchronous=FULL, and a FULL commit makes every earlier WAL commit durable with it.
        The caller holds the lock.
        """
        if self._placeholder != "?":
            yield
            return
        self._db.execute("PRAGMA synchronous=NORMAL")
        try:
            yield
        finally:
            self._db.execute("PRAGMA synchronous=FULL")

    def drop_plan(self, handle: str) -> None:
        self._run("DELETE FROM plan_parts WHERE handle = ?", (handle,))
        self._run("DELETE FROM plans WHERE handle = ? AND account = ?", (handle, self.account))

    def plan(self, handle: str) -> StoredPlan | None:
        row = self._run(
            "SELECT handle, action, intent, created_at, expires_at, state, doc FROM plans WHERE handle = ? AND account = ?",
            (handle, self.account),
        ).fetchone()
        return StoredPlan(*(*row[:6], json.loads(row[6]))) if row else None

    def plan_by_intent(self, action: str, intent: str) -> StoredPlan | None:
        """The plan this intent already made: one still being delivered (any age: unknown outcomes never expire),
        else the latest of the last 24 hours that was not abandoned unconfirmed."""
        unresolved = self._run(
            "SELECT p.handle FROM plans p JOIN plan_parts t ON t.handle = p.handle WHERE p.account = ? AND p.action = ? AND p.intent = ? "
            "AND t.outcome IN ('pending', 'unknown') ORDER BY p.created_at DESC LIMIT 1",
            (self.account, action, intent),
        ).fetchone()
        if unresolved:
            return self.plan(unresolved[0])
        row = self._run(
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
            return self._run(sql, params).rowcount == 1
        except self._conflict:
            return False

    def update_plan_doc(self, handle: str, doc: dict[str, Any]) -> None:
        self._run("UPDATE plans SET doc = ? WHERE handle = ? AND account = ?", (json.dumps(doc, ensure_ascii=False), handle, self.account))

    def parts(self, handle: str) -> list[PartState]:
        rows = self._run(f"SELECT {PART_COLUMNS} FROM plan_parts WHERE handle = ? ORDER BY idx", (handle,)).fetchall()
        return [PartState(*(*row[:6], json.loads(row[6]) if row[6] else None, *row[7:])) for row in rows]

    def part(self, handle: str, index: int) -> PartState | None:
        """One part: delivery reads the part it is sending, not the whole plan's list each time."""
        row = self._run(f"SELECT {PART_COLUMNS} FROM plan_parts WHERE handle = ? AND idx = ?", (handle, index)).fetchone()
        return PartState(*(*row[:6], json.loads(row[6]) if row[6] else None, *row[7:])) if row else None

    def part_tasks(self, handle: str, index: int) -> str | None:
        row = self._run("SELECT tasks FROM plan_parts WHERE handle = ? AND idx = ?", (handle, index)).fetchone()
        return row[0] if row else None

    def claim_part(self, handle: str, index: int, from_outcomes: tuple[str, ...], lease_seconds: float) -> bool:
        """Atomically marks a part as being sent by this process: only one sender wins, here or on another host."""
        now = self.clock()
        placeholders = ", ".join("?" for _ in from_outcomes)
        cursor = self._run(
            f"UPDATE plan_parts SET outcome = 'pending', owner = ?, lease_until = ?, attempted_at = ?, error = NULL "
            f"WHERE handle = ? AND idx = ? AND outcome IN ({placeholders})",
            (OWNER, now + lease_seconds, now, handle, index, *from_outcomes),
        )
        return cursor.rowcount == 1

    def renew_lease(self, handle: str, index: int, lease_seconds: float) -> None:
        self._run(
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
        return self._run(sql, params).rowcount == 1

    def abandon_part(self, handle: str, index: int, owner: str | None = None) -> bool:
        """A pending part whose sender died (this host) or whose lease ran out (any host): Zudu may have acted."""
        if owner is not None and owner_gone(owner):
            return (
                self._run(
                    "UPDATE plan_parts SET outcome = 'unknown', error = 'sender died mid-request' WHERE handle = ? AND idx = ? "
                    "AND outcome = 'pending' AND owner = ?",
                    (handle, index, owner),
                ).rowcount
                == 1
            )
        return (
            self._run(
                "UPDATE plan_parts SET outcome = 'unknown', error = 'abandoned mid-request' WHERE handle = ? AND idx = ? "
                "AND outcome = 'pending' AND (lease_until IS NULL OR lease_until <= ?)",
                (handle, index, self.clock()),
            ).rowcount
            == 1
        )

    def lock_reconcile(self, handle: str, index: int, seconds: float) -> bool:
        now = self.clock()
        return (
            self._run(
                "UPDATE plan_parts SET reconciling_until = ? WHERE handle = ? AND idx = ? AND outcome = 'unknown' "
                "AND (reconciling_until IS NULL OR reconciling_until < ?)",
                (now + seconds, handle, index, now),
            ).rowcount
            == 1
        )

    def unlock_reconcile(self, handle: str, index: int) -> None:
        self._run("UPDATE plan_parts SET reconciling_until = NULL WHERE handle = ? AND idx = ?", (handle, index))

    def campaign_of(self, batch_call_id: str) -> tuple[StoredPlan, list[PartState]] | None:
        """The campaign a batch is one part of, when this server created it."""
        row = self._run(
            "SELECT p.handle FROM plan_parts t JOIN plans p ON p.handle = t.handle WHERE t.batch_call_id = ? AND p.account = ? "
            "ORDER BY p.created_at DESC LIMIT 1",
            (batch_call_id, self.account),
        ).fetchone()
        if not row:
            return None
        stored = self.plan(row[0])
        return (stored, self.parts(row[0])) if stored else None

    def recent_by_account(self, limit: int = 20) -> dict[str, list[Entry]]:
        """The latest entries of every account this database holds (the journal command shows them all)."""
        accounts = [row[0] for row in self._run("SELECT DISTINCT account FROM requests").fetchall()]
        found = {}
        for account in sorted(accounts):
            rows = self._run(f"SELECT {COLUMNS} FROM requests WHERE account = ? ORDER BY id DESC LIMIT ?", (account, limit)).fetchall()
            found[account] = [self._entry(row) for row in rows]
        return found

    # ---- the do-not-call list: keyed hashes only (zudu_mcp.suppression) -------------------------

    def add_do_not_call(self, hashes: list[str]) -> int:
        """How many were new."""
        added = 0
        for number_hash in hashes:
            cursor = self._run(
                "INSERT INTO do_not_call (account, number_hash, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", (self.account, number_hash, self.clock())
            )
            added += max(cursor.rowcount, 0)
        return added

    def remove_do_not_call(self, hashes: list[str]) -> int:
        removed = 0
        for number_hash in hashes:
            removed += self._run("DELETE FROM do_not_call WHERE account = ? AND number_hash = ?", (self.account, number_hash)).rowcount
        return removed

    def do_not_call_hashes(self) -> set[str]:
        return {row[0] for row in self._run("SELECT number_hash FROM do_not_call WHERE account = ?", (self.account,)).fetchall()}

    def recent(self, limit: int = 20) -> list[Entry]:
        rows = self._run(f"SELECT {COLUMNS} FROM requests WHERE account = ? ORDER BY id DESC LIMIT ?", (self.account, limit)).fetchall()
        return [self._entry(row) for row in rows]

    @staticmethod
    def _entry(row: tuple) -> Entry:
        (id_, kind, hash_, target, redacted, created, outcome, batch_id, status, error, owner, lease) = row
        return Entry(id_, kind, hash_, target, json.loads(redacted), created, outcome, batch_id, status, error, owner, lease)


def describe_entry(entry: Entry) -> str:
    from datetime import UTC, datetime

    when = datetime.fromtimestamp(entry.created_at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    outcome = {"pending": "pending (no answer recorded: may have reached Zudu)", "unknown": "unknown (may have reached Zudu)"}.get(entry.outcome, entry.outcome)
    details = ", ".join(x for x in (entry.batch_call_id, entry.status, entry.error) if x)
    return f"{when}  {entry.kind:<7} {entry.target or '':<40.40} {outcome}" + (f"  [{details}]" if details else "")
