"""The sandbox's memory: batches, their task plans and calls, and its clock, in one SQLite file.

Clients such as the MCP Inspector CLI start one server process per request, so a batch created
by one process must be there for the next: the state lives in `<state_dir>/sandbox/sandbox.sqlite3`
(WAL, every write in an immediate transaction, so several processes can share it), apart from the
live journal. Without a state directory (tests) the same tables live in memory.

Sandbox time can run faster than the wall clock (`speed`), measured from an anchor stored with
the state, so every process reading the file agrees on what time it is in the sandbox.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zudu_mcp.sandbox.calls import Schedule, Timing, call_view, plan_task, task_view, timeline

FILE_NAME = "sandbox.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batches (batch_call_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS calls (call_id TEXT PRIMARY KEY, batch_call_id TEXT NOT NULL, task_index INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS calls_by_batch ON calls (batch_call_id);
"""


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


def sandbox_path(state_dir: Path) -> Path:
    """Where the sandbox keeps its state: its own folder, never the live journal's file."""
    return Path(state_dir) / "sandbox" / FILE_NAME


def open_sandbox(state_dir: Path | None, *, speed: float = 1.0, clock: Callable[[], int] | None = None, seed: int = 7) -> SandboxState:
    """The sandbox for a state directory (persistent, shared by processes), or in memory for None.

    `speed` makes sandbox time run that many times faster than the wall clock; an injected
    `clock` (Unix ms) overrides it, for tests that move time by hand.
    """
    return SandboxState(clock=clock, seed=seed, path=sandbox_path(state_dir) if state_dir is not None else None, speed=speed)


@dataclass
class Record:
    """One batch as stored: its public fields (plus started_at), what shapes its timeline, each task's fate."""

    batch: dict[str, Any]
    schedule: Schedule
    plan: list[dict[str, Any]]
    agent_name: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"batch": self.batch, "schedule": self.schedule.to_json(), "plan": self.plan, "agent_name": self.agent_name},
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Record:
        data = json.loads(text)
        return cls(data["batch"], Schedule.from_json(data["schedule"]), data["plan"], data.get("agent_name"))


class BatchView:
    """A batch as of `now`: scheduled becomes sent at its time, sent becomes completed when every
    task is done, and the counters follow the calls. It updates `record.batch` in place; only
    handlers that change a batch save it, so reading never writes."""

    def __init__(self, record: Record, now: int):
        self.record, self.now = record, now
        batch = record.batch
        if batch["status"] == "scheduled" and now >= batch["scheduled_timestamp"]:
            batch["status"], batch["started_at"] = "sent", batch["scheduled_timestamp"]
        started = batch.get("started_at")
        self.timings: list[Timing] | None = timeline(record.plan, started, record.schedule) if started is not None else None
        self.tasks = [task_view(task, self.timings[i] if self.timings else None, now) for i, task in enumerate(record.plan)]
        if batch["status"] == "sent" and self.timings is not None:
            dials = [t.dial_at for t in self.timings if t.dial_at <= now]
            batch["sent"] = len(dials)
            batch["picked_up"] = sum(  # someone answered (a voicemail box is not someone)
                task["outcome"] == "answered" and t.connect_at is not None and t.connect_at <= now for task, t in zip(record.plan, self.timings, strict=True)
            )
            batch["completed"] = sum(task["status"] in ("COMPLETED", "FAILED") for task in self.tasks)
            batch["last_sent_timestamp"] = max(dials) if dials else None
            if batch["completed"] == len(self.tasks):
                batch["status"] = "completed"

    @property
    def public(self) -> dict[str, Any]:
        return {key: value for key, value in self.record.batch.items() if key != "started_at"}

    def call(self, index: int, *, full: bool = True) -> dict[str, Any] | None:
        """Task `index`'s call, or None while it has not been dialed (it does not exist yet)."""
        if self.timings is None or self.now < self.timings[index].dial_at:
            return None
        return call_view(self.record.batch, self.record.plan[index], self.timings[index], self.now, agent_name=self.record.agent_name, full=full)

    def calls(self, *, full: bool = False) -> Iterator[dict[str, Any]]:
        for index in range(len(self.record.plan)):
            call = self.call(index, full=full)
            if call is not None:
                yield call


class SandboxState:
    """Everything the emulator knows. `path=None` keeps it in memory (tests); a path shares it
    between processes. `clock` (Unix ms) overrides the accelerated sandbox clock."""

    def __init__(
        self,
        clock: Callable[[], int] | None = None,
        seed: int = 7,
        *,
        path: Path | None = None,
        speed: float = 1.0,
        wall: Callable[[], int] = wall_clock_ms,
    ):
        if not speed > 0:
            raise ValueError(f"sandbox speed must be above 0 (1 is real time, 600 runs ten minutes a second), not {speed!r}")
        self.seed, self.speed, self.path = seed, float(speed), path
        self._clock, self._wall = clock, wall
        self.requests: list[dict[str, Any]] = []  # this process's requests, for tests
        self._lock = threading.RLock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(":memory:" if path is None else path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA busy_timeout = 30000")
        if path is not None:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
        with self.writing():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            if clock is None:
                self._anchor()

    # ---- time ---------------------------------------------------------------------------------

    def now_ms(self) -> int:
        """Sandbox time, Unix ms: the injected clock, else anchor + wall time elapsed × speed."""
        if self._clock is not None:
            return self._clock()
        with self._lock:
            rows = dict(self._db.execute("SELECT key, value FROM meta WHERE key IN ('anchor_wall_ms', 'anchor_sandbox_ms', 'speed')"))
        return elapsed(rows, self._wall())

    def _anchor(self) -> None:
        """The first process fixes sandbox time = wall time; one with another speed re-anchors so time stays continuous."""
        rows = dict(self._db.execute("SELECT key, value FROM meta"))
        wall = self._wall()
        if "anchor_wall_ms" in rows and float(rows["speed"]) == self.speed:
            return
        sandbox = elapsed(rows, wall) if "anchor_wall_ms" in rows else wall
        for key, value in (("anchor_wall_ms", wall), ("anchor_sandbox_ms", sandbox), ("speed", self.speed)):
            self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, str(value)))

    # ---- storage ------------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One immediate transaction: the read-modify-write of a handler happens as one step across processes."""
        with self._lock:
            if self._db.in_transaction:  # nested: the outer transaction covers it
                yield
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def new_id(self, prefix: str) -> str:
        """Ids follow the seed and a stored counter: repeatable runs, and never the same id twice in one state."""
        with self.writing():
            self._db.execute("INSERT INTO meta (key, value) VALUES ('ids', '0') ON CONFLICT (key) DO UPDATE SET value = value + 1")
            (serial,) = self._db.execute("SELECT value FROM meta WHERE key = 'ids'").fetchone()
        digest = hashlib.sha256(f"{self.seed}:{prefix}:{serial}".encode()).digest()
        return f"{prefix}_{uuid.UUID(bytes=digest[:16]).hex}"

    def create(self, batch: dict[str, Any], body: dict[str, Any], *, agent_name: str | None = None) -> Record:
        """Stores a new batch with each task's fate drawn now; `batch` already holds its id."""
        batch_id, now = batch["batch_call_id"], batch["created_timestamp"]
        plan = [plan_task(self.seed, batch_id, index, task, now) for index, task in enumerate(body["tasks"])]
        record = Record(batch, Schedule.of(body), plan, agent_name)
        with self.writing():
            (seq,) = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM batches").fetchone()
            self._db.execute("INSERT INTO batches (batch_call_id, seq, record) VALUES (?, ?, ?)", (batch_id, seq, record.to_json()))
            self._db.executemany(
                "INSERT INTO calls (call_id, batch_call_id, task_index) VALUES (?, ?, ?)", [(t["call_id"], batch_id, t["index"]) for t in plan]
            )
        return record

    def load(self, batch_id: str) -> Record | None:
        with self._lock:
            row = self._db.execute("SELECT record FROM batches WHERE batch_call_id = ?", (batch_id,)).fetchone()
        return Record.from_json(row[0]) if row else None

    def save(self, record: Record) -> None:
        with self.writing():
            self._db.execute("UPDATE batches SET record = ? WHERE batch_call_id = ?", (record.to_json(), record.batch["batch_call_id"]))

    def delete(self, batch_id: str) -> None:
        """Zudu's delete is permanent; the batch's calls go with it here."""
        with self.writing():
            self._db.execute("DELETE FROM batches WHERE batch_call_id = ?", (batch_id,))
            self._db.execute("DELETE FROM calls WHERE batch_call_id = ?", (batch_id,))

    def records(self) -> list[Record]:
        with self._lock:
            rows = self._db.execute("SELECT record FROM batches ORDER BY seq").fetchall()
        return [Record.from_json(text) for (text,) in rows]

    def locate_call(self, call_id: str) -> tuple[str, int] | None:
        """(batch id, task index) of a planned call."""
        with self._lock:
            row = self._db.execute("SELECT batch_call_id, task_index FROM calls WHERE call_id = ?", (call_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def view(self, batch_id: str) -> BatchView | None:
        record = self.load(batch_id)
        return BatchView(record, self.now_ms()) if record else None

    def call(self, call_id: str) -> dict[str, Any] | None:
        """GET /api/calls/{id}: the call as of now, or None if no such call has been dialed."""
        found = self.locate_call(call_id)
        if found is None:
            return None
        view = self.view(found[0])
        return view.call(found[1]) if view else None

    # ---- for tests and the demo -----------------------------------------------------------------

    @property
    def batches(self) -> dict[str, dict[str, Any]]:
        """Every batch as of now, by id, oldest first."""
        now = self.now_ms()
        return {r.batch["batch_call_id"]: BatchView(r, now).public for r in self.records()}

    def fail(self, batch_id: str, error: str) -> None:
        """For tests: Zudu marks a batch failed when it cannot run it at all."""
        with self.writing():
            record = self.load(batch_id)
            if record is None:
                raise KeyError(batch_id)
            record.batch.update(status="failed", error=error)
            self.save(record)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def elapsed(anchor: dict[str, str], wall_ms: int) -> int:
    return int(int(anchor["anchor_sandbox_ms"]) + (wall_ms - int(anchor["anchor_wall_ms"])) * float(anchor["speed"]))
