"""Sending writes to Zudu at most once, whatever the network, the assistant or the process does.

Each request is journaled before it leaves and its outcome after. An identical create that
succeeded in the last 24 hours is not sent again; one whose outcome is unknown (lost answer,
timeout, cancellation, crash) is first looked for upstream, by name and time, and sent again
only when Zudu shows it does not exist.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio

from zudu_mcp.journal import Entry, Journal
from zudu_mcp.zudu.errors import NotFound, OutcomeUnknown, ZuduError
from zudu_mcp.zudu.models import BatchCall, CreateBatchCallRequest

if TYPE_CHECKING:
    from zudu_mcp.zudu.client import ZuduClient

CLOCK_SLACK_MS = 5 * 60 * 1000  # our clock and Zudu's may disagree a little


@dataclass
class Created:
    batch: BatchCall
    duplicate_of: Entry | None = None  # set when an earlier identical create is returned instead


class PartFailed(Exception):
    """Part `index` (1-based) failed; `created` holds the parts before it, which exist."""

    def __init__(self, index: int, created: list[Created], error: ZuduError):
        super().__init__(str(error))
        self.index, self.created, self.error = index, created, error


async def create_parts(
    client: ZuduClient,
    journal: Journal,
    requests: Callable[[int], CreateBatchCallRequest],
    count: int,
    *,
    allow_duplicate: bool = False,
    lease_seconds: float = 60,
    progress: Callable[[int, int], Awaitable[None]] | None = None,
) -> list[Created]:
    created: list[Created] = []
    for index in range(count):
        if progress is not None and count > 1:
            await progress(index, count)
        try:
            created.append(await create_once(client, journal, requests(index), allow_duplicate=allow_duplicate, lease_seconds=lease_seconds))
        except ZuduError as exc:
            raise PartFailed(index + 1, created, exc) from exc
    if progress is not None and count > 1:
        await progress(count, count)
    return created


async def create_once(
    client: ZuduClient, journal: Journal, request: CreateBatchCallRequest, *, allow_duplicate: bool, lease_seconds: float = 60
) -> Created:
    body = request.to_wire()
    deadline = time.monotonic() + lease_seconds
    while True:
        previous = journal.previous("create", body)
        if previous is not None and previous.outcome == "pending":
            if journal.in_flight(previous):  # the same create is being sent right now, here or elsewhere
                if time.monotonic() > deadline:
                    raise OutcomeUnknown("An identical create is still being sent by another request; check the batch list before sending it again.")
                await anyio.sleep(0.2)
                continue
            journal.abandon(previous)  # its process died mid-request
            previous = journal.previous("create", body)
        if previous is not None and not allow_duplicate:
            existing = await find_existing(client, previous, request)
            if existing is not None:
                if previous.outcome != "ok":
                    journal.record_outcome(previous.id, "ok", batch_call_id=existing.batch_call_id, status=existing.status, error="found upstream")
                return Created(existing, duplicate_of=previous)
        entry = journal.record_intent("create", body, request.name, lease_seconds=lease_seconds)
        if entry is not None:
            break  # another request won the race to send it: wait for that one instead
    return Created(await send_recorded(journal, entry, lambda: client.create_batch_call(request)))


async def find_existing(client: ZuduClient, previous: Entry, request: CreateBatchCallRequest) -> BatchCall | None:
    """The batch an earlier identical create made, if Zudu has it."""
    if previous.outcome == "ok" and previous.batch_call_id:
        try:
            return await client.get_batch_call(previous.batch_call_id)
        except NotFound:
            return None  # deleted since: creating it again is what the person asks for
    _, candidates = await client.list_batch_calls(name=[request.name], limit=100, sort_by="created_at", sort_order="desc")
    since = previous.created_at * 1000 - CLOCK_SLACK_MS
    for batch in candidates:
        if batch.name != request.name or (batch.created_timestamp or 0) < since:
            continue
        if (batch.total_task_count or batch.total) not in (None, len(request.tasks)):
            continue
        if request.trigger_timestamp is not None and batch.scheduled_timestamp not in (None, request.trigger_timestamp):
            continue
        return batch
    return None


async def journaled(journal: Journal, kind: str, payload: dict, target: str, send: Callable[[], Awaitable[BatchCall | None]]) -> BatchCall | None:
    """Execute, update, delete: recorded before and after, like a create (they are not deduplicated)."""
    entry = journal.record_intent(kind, payload, target)
    assert entry is not None  # only creates are kept to one in flight
    return await send_recorded(journal, entry, send, target)


async def send_recorded(journal: Journal, entry: int, send: Callable[[], Awaitable[BatchCall | None]], target: str | None = None):
    """Sends, then records what came back: ok, failed (Zudu provably did not act) or unknown (it may have)."""
    try:
        result = await send()
    except ZuduError as exc:
        journal.record_outcome(entry, "unknown" if exc.may_have_acted else "failed", error=type(exc).__name__)
        raise
    except BaseException:  # cancelled mid-request, or worse: Zudu may have acted
        journal.record_outcome(entry, "unknown", error="interrupted")
        raise
    journal.record_outcome(entry, "ok", batch_call_id=result.batch_call_id if result else target, status=result.status if result else None)
    return result
