"""The local ledger: every request that may change something at Zudu, recorded before it is sent.

An assistant retries after a timeout; a network drops the answer after Zudu acted; a process is
killed mid-request. The journal is how the server knows, afterwards, whether a create may
already exist: an intent row is committed before the request leaves, and its outcome after.
`unknown` (or a `pending` row left by a crash) means Zudu may have acted: the next identical
create looks upstream before it sends anything.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    kind TEXT NOT NULL,              -- create, execute, update, delete
    payload_hash TEXT NOT NULL,
    target TEXT,                     -- batch name (create) or batch id (others)
    redacted TEXT NOT NULL,          -- the request without phone numbers or secrets
    created_at REAL NOT NULL,
    outcome TEXT NOT NULL,           -- pending, ok, failed, unknown
    batch_call_id TEXT,
    status TEXT,
    error TEXT,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS requests_by_hash ON requests (account, payload_hash, created_at);
CREATE TABLE IF NOT EXISTS used_tokens (nonce TEXT PRIMARY KEY, used_at REAL NOT NULL);
"""

DUPLICATE_WINDOW_SECONDS = 24 * 3600


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


class Journal:
    def __init__(self, path: Path | str, *, account: str, clock=time.time):
        self.path = str(path)
        self.account = account
        self.clock = clock
        import sqlite3  # lazy: start-up does not need a database

        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._duplicate_key = sqlite3.IntegrityError
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # an intent row must survive a crash right after it
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def record_intent(self, kind: str, payload: dict[str, Any], target: str | None) -> int:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO requests (account, kind, payload_hash, target, redacted, created_at, outcome) VALUES (?, ?, ?, ?, ?, ?, 'pending')",
                (self.account, kind, payload_hash(payload), target, json.dumps(redact(payload), ensure_ascii=False), self.clock()),
            )
            return int(cursor.lastrowid)

    def record_outcome(self, entry_id: int, outcome: str, *, batch_call_id: str | None = None, status: str | None = None, error: str | None = None) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE requests SET outcome = ?, batch_call_id = COALESCE(?, batch_call_id), status = ?, error = ?, finished_at = ? WHERE id = ?",
                (outcome, batch_call_id, status, error, self.clock(), entry_id),
            )

    def previous(self, kind: str, payload: dict[str, Any]) -> Entry | None:
        """The latest identical request of the last 24 hours that succeeded or may have reached Zudu."""
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM requests WHERE account = ? AND kind = ? AND payload_hash = ? AND created_at >= ? "
                "AND outcome IN ('ok', 'unknown', 'pending') ORDER BY (outcome = 'ok') DESC, id DESC LIMIT 1",
                (self.account, kind, payload_hash(payload), self.clock() - DUPLICATE_WINDOW_SECONDS),
            ).fetchone()
        return self._entry(row) if row else None

    def use_token(self, nonce: str) -> bool:
        """False when the token was used before: each confirmation authorises one request."""
        with self._lock:
            try:
                self._db.execute("INSERT INTO used_tokens (nonce, used_at) VALUES (?, ?)", (nonce, self.clock()))
            except self._duplicate_key:
                return False
        return True

    def recent(self, limit: int = 20) -> list[Entry]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM requests WHERE account = ? ORDER BY id DESC LIMIT ?", (self.account, limit)).fetchall()
        return [self._entry(row) for row in rows]

    @staticmethod
    def _entry(row: tuple) -> Entry:
        (id_, _account, kind, hash_, target, redacted, created, outcome, batch_id, status, error, _finished) = row
        return Entry(id_, kind, hash_, target, json.loads(redacted), created, outcome, batch_id, status, error)


def describe_entry(entry: Entry) -> str:
    from datetime import UTC, datetime

    when = datetime.fromtimestamp(entry.created_at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    outcome = {"pending": "pending (no answer recorded: may have reached Zudu)", "unknown": "unknown (may have reached Zudu)"}.get(
        entry.outcome, entry.outcome
    )
    details = ", ".join(x for x in (entry.batch_call_id, entry.status, entry.error) if x)
    return f"{when}  {entry.kind:<7} {entry.target or '':<40.40} {outcome}" + (f"  [{details}]" if details else "")
