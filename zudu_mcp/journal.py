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
CREATE UNIQUE INDEX IF NOT EXISTS one_create_in_flight ON requests (account, payload_hash) WHERE outcome = 'pending' AND kind = 'create';
CREATE TABLE IF NOT EXISTS used_tokens (nonce TEXT PRIMARY KEY, used_at {real} NOT NULL);
"""
COLUMNS = "id, kind, payload_hash, target, redacted, created_at, outcome, batch_call_id, status, error, owner, lease_until"
DUPLICATE_WINDOW_SECONDS = 24 * 3600
HOST = socket.gethostname()


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


class Journal:
    def __init__(self, location: Path | str, *, account: str, clock=time.time):
        """`location`: a SQLite path, ':memory:', or a postgresql:// URL."""
        self.account = account
        self.clock = clock
        self._lock = threading.Lock()
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

    def record_intent(self, kind: str, payload: dict[str, Any], target: str | None, *, lease_seconds: float = 60) -> int | None:
        """The new row's id; None when an identical create is already in flight (its row is pending)."""
        now = self.clock()
        try:
            cursor = self._run(
                "INSERT INTO requests (account, kind, payload_hash, target, redacted, created_at, outcome, owner, lease_until) "
                "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING id",
                (self.account, kind, payload_hash(payload), target, json.dumps(redact(payload), ensure_ascii=False), now,
                 f"{HOST}:{os.getpid()}", now + lease_seconds),
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

    def in_flight(self, entry: Entry) -> bool:
        """Whether a pending row's request is still being sent: its process lives (same host) or its lease runs."""
        host, _, pid = (entry.owner or "").rpartition(":")
        if host == HOST and pid.isdigit():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True
        return (entry.lease_until or 0) > self.clock()

    def abandon(self, entry: Entry) -> None:
        """A pending row whose process died mid-request: Zudu may have acted."""
        self._run("UPDATE requests SET outcome = 'unknown', error = 'abandoned', finished_at = ? WHERE id = ? AND outcome = 'pending'", (self.clock(), entry.id))

    def use_token(self, nonce: str) -> bool:
        """False when the token was used before: each confirmation authorises one request."""
        try:
            self._run("INSERT INTO used_tokens (nonce, used_at) VALUES (?, ?)", (nonce, self.clock()))
        except self._conflict:
            return False
        return True

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
    outcome = {"pending": "pending (no answer recorded: may have reached Zudu)", "unknown": "unknown (may have reached Zudu)"}.get(
        entry.outcome, entry.outcome
    )
    details = ", ".join(x for x in (entry.batch_call_id, entry.status, entry.error) if x)
    return f"{when}  {entry.kind:<7} {entry.target or '':<40.40} {outcome}" + (f"  [{details}]" if details else "")
