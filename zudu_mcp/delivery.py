"""Sending a confirmed plan to Zudu at most once per part, whatever the network, the clock or other processes do.

Each part of a plan is claimed in the journal before it is sent (one sender wins, across
processes and hosts), its lease is renewed while the request is in flight, and its outcome is
recorded after. An outcome that may have reached Zudu (lost answer, timeout, 5xx, 429,
cancellation, a sender that died) is `unknown`: nothing is sent again until Zudu shows the
batch, and only after waiting out the time Zudu may still need. An empty or failing list is
not evidence of absence; when in doubt the server says so and waits for an explicit resend.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio

from zudu_mcp.journal import Journal, PartState, StoredPlan, off_loop
from zudu_mcp.zudu.errors import OutcomeUnknown, ZuduError
from zudu_mcp.zudu.models import BatchCall

if TYPE_CHECKING:
    from zudu_mcp.zudu.client import ZuduClient

logger = logging.getLogger(__name__)
CLOCK_SLACK_SECONDS = 300  # our clock and Zudu's may disagree a little


@dataclass(frozen=True)
class Options:
    lease_seconds: float = 20.0  # renewed every third of it while a request is in flight
    settle_seconds: float = 90.0  # how long after an attempt Zudu may still be creating the batch
    wait_seconds: float = 10.0  # how long one call waits for another sender or for Zudu to settle
    resend_unknown: bool = False  # the person accepted the risk of a second batch
    progress: Callable[[int, int], Awaitable[None]] | None = None


@dataclass
class PartResult:
    index: int
    name: str
    count: int
    status: str  # created, found, existing, failed, unknown (just now), unconfirmed (still not found), waiting, settling, not_sent
    batch: BatchCall | None = None
    error: str | None = None
    retry_at: float | None = None  # when asking again can settle an unknown outcome


@dataclass
class Delivery:
    parts: list[PartResult] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(part.batch is not None for part in self.parts)

    @property
    def batches(self) -> list[BatchCall]:
        return [part.batch for part in self.parts if part.batch is not None]


class Stopped(Exception):
    """A part could not be settled now; `delivery` says part by part what exists."""

    def __init__(self, delivery: Delivery, reason: str):
        super().__init__(reason)
        self.delivery, self.reason = delivery, reason


async def deliver(plan: StoredPlan, client: ZuduClient, journal: Journal, options: Options) -> Delivery:
    parts = await off_loop(journal.parts, plan.handle)
    delivery = Delivery()
    for state in parts:
        if options.progress is not None and len(parts) > 1:
            await options.progress(state.index, len(parts))
        result = await deliver_part(plan, state.index, client, journal, options)
        delivery.parts.append(result)
        if result.batch is None:
            delivery.parts += [PartResult(p.index, p.name, p.count, "not_sent") for p in parts[state.index + 1 :]]
            raise Stopped(delivery, result.status)
    if options.progress is not None and len(parts) > 1:
        await options.progress(len(parts), len(parts))
    return delivery


async def deliver_part(plan: StoredPlan, index: int, client: ZuduClient, journal: Journal, options: Options) -> PartResult:
    waited = 0.0
    while True:
        state = await off_loop(journal.part, plan.handle, index)
        assert state is not None, (plan.handle, index)
        now = journal.clock()
        if state.outcome == "ok":
            return PartResult(index, state.name, state.count, "existing", BatchCall.model_validate(state.batch or {"batch_call_id": state.batch_call_id}))
        if state.outcome == "pending":
            from zudu_mcp.journal import owner_gone

            if (state.lease_until or 0) > now and not owner_gone(state.owner):  # being sent right now: wait for its outcome
                if waited >= options.wait_seconds:
                    return PartResult(
                        index, state.name, state.count, "waiting", error="another request is sending this part right now", retry_at=state.lease_until
                    )
                await anyio.sleep(0.25)
                waited += 0.25
                continue
            await off_loop(journal.abandon_part, plan.handle, index, state.owner)
            continue
        if state.outcome == "unknown":
            found = await reconcile(plan, state, client, journal, options)
            if isinstance(found, PartResult):
                if found.status == "busy":  # another process is looking it up right now
                    await anyio.sleep(0.25)
                    waited += 0.25
                    continue
                return found
            if found is not None:
                await off_loop(journal.settle_part, plan.handle, index, "ok", batch=found.model_dump(exclude_none=True), error="found upstream")
                return PartResult(index, state.name, state.count, "found", found)
            if not options.resend_unknown:
                return PartResult(index, state.name, state.count, "unconfirmed", error="Zudu does not show it, which does not prove it was not created")
            claimable: tuple[str, ...] = ("unknown",)
        else:
            claimable = ("new", "failed")
        if not await off_loop(journal.claim_part, plan.handle, index, claimable, options.lease_seconds):
            continue  # another sender won: see what became of it
        return await send_part(plan, state, client, journal, options)


async def send_part(plan: StoredPlan, state: PartState, client: ZuduClient, journal: Journal, options: Options) -> PartResult:
    tasks = await off_loop(journal.part_tasks, plan.handle, state.index)
    body = plan_body(plan, state, tasks)
    # the ledger keeps the settings and a count (redact), and the part's hash: the recipients are not decoded or encoded again
    shown = plan.doc["settings"] | {"name": state.name, "tasks": range(state.count)}
    entry = await off_loop(journal.record_intent, "create", shown, state.name, digest=state.body_hash or hashlib.sha256(body).hexdigest())
    batch, failure = None, None
    async with anyio.create_task_group() as group:
        group.start_soon(renew_lease, journal, plan.handle, state.index, options.lease_seconds)
        try:
            batch = await client.create_batch_call_body(body)
        except BaseException as exc:  # noqa: BLE001  (recorded below, then raised or reported)
            failure = exc
        group.cancel_scope.cancel()
    if isinstance(failure, ZuduError):
        outcome = "unknown" if failure.may_have_acted else "failed"
        with anyio.CancelScope(shield=True):
            await off_loop(journal.settle_part, plan.handle, state.index, outcome, error=type(failure).__name__)
            if entry is not None:
                await off_loop(journal.record_outcome, entry, outcome, error=type(failure).__name__)
        return PartResult(state.index, state.name, state.count, outcome, error=str(failure))
    if failure is not None or batch is None:  # cancelled mid-request, or worse: Zudu may have acted
        with anyio.CancelScope(shield=True):
            await off_loop(journal.settle_part, plan.handle, state.index, "unknown", error="interrupted")
            if entry is not None:
                await off_loop(journal.record_outcome, entry, "unknown", error="interrupted")
        raise failure or OutcomeUnknown("No answer was read.")
    with anyio.CancelScope(shield=True):
        await off_loop(journal.settle_part, plan.handle, state.index, "ok", batch=batch.model_dump(exclude_none=True))
        if entry is not None:
            await off_loop(journal.record_outcome, entry, "ok", batch_call_id=batch.batch_call_id, status=batch.status)
    return PartResult(state.index, state.name, state.count, "created", batch)


def plan_body(plan: StoredPlan, state: PartState, tasks: str | None) -> bytes:
    """The exact request body of one part as JSON bytes, in the order of Zudu's own example.

    The stored tasks text is spliced in as it is (it is the JSON the plan encoded and hashed):
    1,000 recipients are neither decoded nor encoded again to be sent.
    """
    import json

    from zudu_mcp.plan import WIRE_ORDER

    if tasks is None:
        raise OutcomeUnknown("The recipients of this part are no longer stored; it may already exist: check list_batch_calls.")
    fields = plan.doc["settings"] | {"name": state.name, "tasks": None}
    pairs = [
        '"tasks":' + tasks if key == "tasks" else json.dumps(key) + ":" + json.dumps(fields[key], ensure_ascii=False, separators=(",", ":"))
        for key in WIRE_ORDER
        if key in fields
    ]
    return ("{" + ",".join(pairs) + "}").encode()


async def renew_lease(journal: Journal, handle: str, index: int, lease_seconds: float) -> None:
    """While a request is in flight its claim stays fresh, however long Zudu takes."""
    while True:
        await anyio.sleep(lease_seconds / 3)
        await off_loop(journal.renew_lease, handle, index, lease_seconds)


async def reconcile(plan: StoredPlan, state: PartState, client: ZuduClient, journal: Journal, options: Options) -> BatchCall | PartResult | None:
    """The batch an unknown attempt made, if Zudu shows it; a PartResult when it is too early to tell."""
    now = journal.clock()
    settle_until = (state.attempted_at or now) + options.settle_seconds
    if now < settle_until:
        if settle_until - now > options.wait_seconds:
            return PartResult(state.index, state.name, state.count, "settling", error="Zudu may still be creating it", retry_at=settle_until)
        await anyio.sleep(settle_until - now)
    if not await off_loop(journal.lock_reconcile, plan.handle, state.index, 60.0):
        return PartResult(state.index, state.name, state.count, "busy")
    try:
        return await find_upstream(plan, state, client)
    finally:
        await off_loop(journal.unlock_reconcile, plan.handle, state.index)


async def find_upstream(plan: StoredPlan, state: PartState, client: ZuduClient) -> BatchCall | None:
    """Looks in the filtered list and in the newest batches; a failing or empty list proves nothing."""
    since_ms = ((state.attempted_at or 0) - CLOCK_SLACK_SECONDS) * 1000
    trigger = plan.doc.get("trigger_ms")
    for names in ([state.name], None):  # by name, then the newest of all
        try:
            _, candidates = await client.list_batch_calls(limit=100, sort_by="created_at", sort_order="desc", name=names)
        except ZuduError:
            continue
        for batch in candidates:
            if batch.name != state.name or (batch.created_timestamp is not None and batch.created_timestamp < since_ms):
                continue
            if (batch.total_task_count or batch.total) not in (None, state.count):
                continue
            if trigger is not None and batch.scheduled_timestamp not in (None, trigger):
                continue
            return batch
    return None


async def journaled(journal: Journal, kind: str, payload: dict, target: str, send: Callable[[], Awaitable[BatchCall | None]]) -> BatchCall | None:
    """Execute, update, delete: recorded before they are sent and after, like a create."""
    entry = await off_loop(journal.record_intent, kind, payload, target)
    try:
        result = await send()
    except ZuduError as exc:
        with anyio.CancelScope(shield=True):
            await off_loop(journal.record_outcome, entry, "unknown" if exc.may_have_acted else "failed", error=type(exc).__name__)
        raise
    except BaseException:
        with anyio.CancelScope(shield=True):
            await off_loop(journal.record_outcome, entry, "unknown", error="interrupted")
        raise
    await off_loop(journal.record_outcome, entry, "ok", batch_call_id=result.batch_call_id if result else target, status=result.status if result else None)
    return result
