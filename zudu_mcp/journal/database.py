"""The one place that knows whether the journal is SQLite or PostgreSQL.

Every other module of the journal writes `?` placeholders and calls `run`, `transaction` or
`unsynced`; this one opens the connection, makes the schema, translates placeholders and
holds the lock that serialises the one connection between threads. `off_loop` is how async
code calls any of it: a slow disk or database never stalls the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread

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
SCHEMA_LOCK = 7327021  # PostgreSQL advisory lock: instances starting together create the schema once


async def off_loop(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Journal I/O off the event loop: a slow disk or database never stalls other requests."""
    return await anyio.to_thread.run_sync(lambda: function(*args, **kwargs))


class Statements:
    """What a transaction or an unsynced write runs its statements on, placeholders translated."""

    def __init__(self, executor: Any, placeholder: str):
        self._executor, self._placeholder = executor, placeholder

    def execute(self, sql: str, params: tuple = ()) -> Any:
        return self._executor.execute(sql.replace("?", self._placeholder), params)

    def executemany(self, sql: str, rows: list[tuple]) -> Any:
        return self._executor.executemany(sql.replace("?", self._placeholder), rows)


class Database:
    """One connection (sqlite3 or psycopg: the same execute/fetch surface for what the journal uses), one lock."""

    def __init__(self, location: Path | str):
        """`location`: a SQLite path, ':memory:', or a postgresql:// URL."""
        self._lock = threading.Lock()
        self._connection: Any
        self.conflict: type[Exception]  # what a unique constraint raises
        location = str(location)
        self._postgres = location.startswith(("postgresql://", "postgres://"))
        if self._postgres:
            import psycopg  # lazy: only a shared journal needs it

            self._connection = psycopg.connect(location, autocommit=True)
            self._placeholder, self.conflict = "%s", psycopg.errors.UniqueViolation
            schema = SCHEMA.format(id_column="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", real="DOUBLE PRECISION")
            with self._lock:
                self._connection.execute(f"SELECT pg_advisory_lock({SCHEMA_LOCK})")
                for statement in filter(str.strip, schema.split(";")):
                    self._connection.execute(statement)
                self._connection.execute(f"SELECT pg_advisory_unlock({SCHEMA_LOCK})")
        else:
            import sqlite3  # lazy: start-up does not need a database

            if location != ":memory:":
                Path(location).parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(location, timeout=30, isolation_level=None, check_same_thread=False)
            self._placeholder, self.conflict = "?", sqlite3.IntegrityError
            with self._lock:
                self._connection.execute("PRAGMA journal_mode=WAL")
                self._connection.execute("PRAGMA synchronous=FULL")  # an intent row must survive a crash right after it
                self._connection.executescript(SCHEMA.format(id_column="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL"))

    def close(self) -> None:
        self._connection.close()

    def run(self, sql: str, params: tuple = ()) -> Any:
        """One statement on its own (autocommit, synced to disk); its cursor."""
        with self._lock:
            return self._connection.execute(sql.replace("?", self._placeholder), params)

    @contextmanager
    def unsynced(self) -> Iterator[Statements]:
        """Statements written without a sync to disk (SQLite synchronous=NORMAL, not FULL: no fsync per part,
        100 of them for 100,000 rows). Only for a plan being built or opened.

        A crash can lose only a plan nobody has confirmed: its token then says "unknown", and a new
        preview makes it again. Confirming a plan, claiming a part and recording an outcome stay
        synchronous=FULL, and a FULL commit makes every earlier WAL commit durable with it.
        PostgreSQL: an ordinary write (its durability is the server's).
        """
        with self._lock:
            if self._postgres:
                yield Statements(self._connection, self._placeholder)
                return
            self._connection.execute("PRAGMA synchronous=NORMAL")
            try:
                yield Statements(self._connection, self._placeholder)
            finally:
                self._connection.execute("PRAGMA synchronous=FULL")

    @contextmanager
    def transaction(self, *, synced: bool = True) -> Iterator[Statements]:
        """Statements that commit together or not at all: no reader sees half of them. `synced=False`: see `unsynced`."""
        with self._sync(synced):
            if self._postgres:  # an autocommit connection: an explicit transaction
                with self._connection.transaction(), self._connection.cursor() as cursor:
                    yield Statements(cursor, self._placeholder)
                return
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield Statements(self._connection, self._placeholder)
            except BaseException:
                self._connection.rollback()
                raise
            self._connection.commit()

    @contextmanager
    def _sync(self, synced: bool) -> Iterator[None]:
        if synced:
            with self._lock:
                yield
            return
        with self.unsynced():
            yield
