"""After create: progress, per-recipient results, run now, reschedule, hold, delete.

Zudu offers no pause or cancel for a batch that is already dialing; these tools say so instead
of pretending. Every result names what the person can do next.
"""

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from zudu_mcp.backend import Backend
from zudu_mcp.consent import check_handle, new_handle, usable
from zudu_mcp.delivery import journaled
from zudu_mcp.journal import StoredPlan, off_loop
from zudu_mcp.plan import Finding, calling_findings, digest
from zudu_mcp.refusal import Refusal
from zudu_mcp.scheduling import ScheduledTime
from zudu_mcp.scheduling.defaults import Resolution, resolve
from zudu_mcp.scheduling.instants import describe_instant
from zudu_mcp.tools import ToolSpec, annotations, results
from zudu_mcp.tools.confirmation import Gate, next_call
from zudu_mcp.tools.scheduling import describe_defaults, describe_resolution, reading_notes
from zudu_mcp.untrusted import clean, clean_facts, quote
from zudu_mcp.zudu.models import (
    MAX_NAME_LENGTH,
    BatchCall,
    BatchCallId,
    BatchStatus,
    BatchTask,
    TimeZoneName,
    UpdateBatchCallRequest,
    check_trigger_timestamp,
)

BatchIdArgument = Annotated[BatchCallId, Field(description="batch_call_... (any part of a split campaign).")]
TaskStatus = Literal["PENDING", "CALLING", "COMPLETED", "FAILED"]
MAX_REASONS = 5  # failure reasons a result names; the rest are counted
MAX_SHOWN = 10  # items a list result shows: with the text twice (content and structured `message`) that is what fits in 8 KB

NEXT_STEPS = {
    "draft": "It dials nobody until run: execute_batch_call to start now, update_batch_call with schedule and status 'scheduled' to schedule it, or delete_batch_call.",
    "scheduled": "Before it starts: update_batch_call with status 'draft' holds it back, with a schedule moves it; execute_batch_call starts it now.",
    "sent": "Calls are going out. batch_report shows who answered and who did not; get_batch_call with wait_seconds waits for the end. It cannot be paused: Zudu's API has no pause or cancel call.",
    "completed": "All calls are done. batch_report tells how it went and who to call again; delete_batch_call removes it.",
    "failed": "Zudu could not run it (see the error). Fix the cause and create a new batch call.",
}


def percent(part: int | None, whole: int | None) -> str:
    return f"{100 * (part or 0) / whole:.0f}%" if whole else "-"


def when(batch: BatchCall, backend: Backend) -> str:
    if not batch.scheduled_timestamp:
        return "no start time"
    start = describe_instant(batch.scheduled_timestamp, batch.timezone or "UTC", backend.now())
    return f"{start.local}, {start.relative}; UTC {start.utc}"


def progress_report(batch: BatchCall, backend: Backend) -> list[str]:
    total = batch.recipients
    status = batch.status or "unknown"
    lines = [f"Batch {clean(batch.batch_call_id)} {quote(batch.name)}: {clean(status, 20)}"]
    lines.append(f"{'Starts' if status in ('draft', 'scheduled') else 'Started'}: {when(batch, backend)}")
    lines.append(
        f"Progress: {total} recipients; sent (dialed) {batch.sent or 0} ({percent(batch.sent, total)}), "
        f"picked up {batch.picked_up or 0} ({percent(batch.picked_up, total)}), completed {batch.completed or 0} ({percent(batch.completed, total)})"
    )
    if status in ("sent", "completed"):
        lines.append("Note: 'sent' counts calls dialed, not answered; 'picked up' is the answered count.")
    if batch.last_sent_timestamp:
        last = describe_instant(batch.last_sent_timestamp, batch.timezone or "UTC", backend.now())
        lines.append(f"Last call placed: {last.local} ({last.relative})")
    if batch.error:
        lines.append(f"Error from Zudu: {quote(batch.error, 300)}")
    lines.append(f"Next: {NEXT_STEPS.get(status, 'get_batch_call shows its state.')}")
    return lines


def batch_line(batch: BatchCall, backend: Backend) -> str:
    start = ""
    if batch.scheduled_timestamp:
        shown = describe_instant(batch.scheduled_timestamp, batch.timezone or "UTC", backend.now())
        start = f" · {shown.local_iso[:16].replace('T', ' ')} {clean(batch.timezone or 'UTC')}"
    total = batch.recipients
    return f"- {clean(batch.batch_call_id)} · {quote(batch.name, 60)} · {clean(batch.status, 20)}{start} · {total} recipients, {batch.sent or 0} dialed, {batch.picked_up or 0} picked up"


LISTED_FIELDS = ("batch_call_id", "name", "status", "scheduled_timestamp", "timezone", "total", "sent", "picked_up", "completed", "agent_id")


def listed(batch: BatchCall) -> dict[str, Any]:
    """A batch as a list shows it: the facts a person asks about, text from Zudu cut short (get_batch_call has the rest)."""
    return clean_facts(batch.model_dump(include=set(LISTED_FIELDS)))


# ---- tools ------------------------------------------------------------------------------------


def get_batch_call_tool(backend: Backend):
    async def get_batch_call(
        ctx: Context,
        batch_call_id: BatchIdArgument,
        wait_seconds: Annotated[int, Field(ge=0, le=120, description="Wait this long at most.")] = 0,
    ) -> CallToolResult:
        if wait_seconds:
            from zudu_mcp.tools.outcomes import wait_for  # the results tools build on this module

            return await wait_for(ctx, backend, batch_call_id, wait_seconds)
        batch = await backend.client().get_batch_call(batch_call_id)
        return results.ok("\n".join(progress_report(batch, backend)), {"batch_call": batch.model_dump()}, sandbox=backend.sandbox)

    return get_batch_call


def list_batch_calls_tool(backend: Backend):
    async def list_batch_calls(
        status: Annotated[list[Literal["draft", "scheduled", "sent", "completed", "failed"]] | None, Field(description="Only these states.")] = None,
        agent_id: Annotated[str | None, Field(description="Only this agent's.")] = None,
        name: Annotated[str | None, Field(max_length=255, description="Name contains.")] = None,
        sort_by: Annotated[
            Literal["created_at", "updated_at", "scheduled_timestamp", "name", "status", "total_task_count"] | None, Field(description="Default created_at.")
        ] = None,
        sort_order: Annotated[Literal["asc", "desc"] | None, Field(description="Default desc.")] = None,
        page: Annotated[int, Field(ge=0, description="From 0.")] = 0,
        limit: Annotated[int, Field(ge=1, le=MAX_SHOWN, description="Per page.")] = MAX_SHOWN,
    ) -> CallToolResult:
        found, batches = await backend.client().list_batch_calls(
            page=page,
            limit=limit,
            status=status,
            agent_id=[agent_id] if agent_id else None,
            name=[name] if name else None,
            sort_by=sort_by,
            sort_order=sort_order,
        )
        of_total = f" of {found.total}" if found.total is not None else ""
        lines = [f"Batch calls, page {page} ({len(batches)} shown{of_total}):"] if batches else ["No batch calls match."]
        lines += [batch_line(batch, backend) for batch in batches]
        if found.has_next_page:
            lines.append(f"More: call list_batch_calls with page={page + 1}.")
        structured = {
            "batch_calls": [listed(b) for b in batches],
            "page": page,
            "limit": limit,
            "has_next_page": found.has_next_page,
            "total": found.total,
        }
        return results.ok("\n".join(lines), structured, sandbox=backend.sandbox)

    return list_batch_calls


async def all_tasks(backend: Backend, batch_call_id: str) -> list[BatchTask]:
    """Every task (at most 1000): counts and failure groups need the whole batch."""
    from zudu_mcp.outcomes import tasks_of

    return await tasks_of(backend.client(), batch_call_id)


def list_batch_call_tasks_tool(backend: Backend):
    async def list_batch_call_tasks(
        batch_call_id: BatchIdArgument,
        status: Annotated[TaskStatus | None, Field(description="Only this state.")] = None,
        page: Annotated[int, Field(ge=0, description="From 0.")] = 0,
        limit: Annotated[int, Field(ge=1, le=MAX_SHOWN, description="Per page.")] = MAX_SHOWN,
    ) -> CallToolResult:
        tasks = await all_tasks(backend, batch_call_id)
        counts = Counter(clean(task.status or "UNKNOWN", 20) for task in tasks)
        failures = Counter(task.error_message or "no reason given" for task in tasks if task.status == "FAILED")
        samples = {
            reason: [clean(t.to_number or "(no number)", 20) for t in tasks if t.status == "FAILED" and (t.error_message or "no reason given") == reason][:3]
            for reason in failures
        }
        chosen = [task for task in tasks if status is None or task.status == status]
        shown = chosen[page * limit : (page + 1) * limit]
        lines = [f"Tasks of {batch_call_id}: {len(tasks)} total; " + ", ".join(f"{name} {count}" for name, count in counts.most_common())]
        if failures:
            lines.append(
                "Failures by reason: "
                + "; ".join(f"{quote(reason, 60)} {count} (e.g. {', '.join(samples[reason])})" for reason, count in failures.most_common(MAX_REASONS))
                + (f"; and {len(failures) - MAX_REASONS} other reasons" if len(failures) > MAX_REASONS else "")
            )
        label = status or "all"
        if shown:
            lines.append(f"Showing {label} {page * limit + 1}-{page * limit + len(shown)} of {len(chosen)}:")
            lines += [f"- {clean(t.to_number, 20)} {clean(t.status, 20)}" + (f": {quote(t.error_message, 60)}" if t.error_message else "") for t in shown]
        else:
            lines.append(f"No {label} tasks on page {page}.")
        if (page + 1) * limit < len(chosen):
            lines.append(f"More: call list_batch_call_tasks with page={page + 1}.")
        structured = {
            "batch_call_id": batch_call_id,
            "total": len(tasks),
            "counts": dict(counts),
            "failures": [{"error_message": r[:64], "count": c, "examples": samples[r]} for r, c in failures.most_common(MAX_REASONS)],
            "tasks": [t.model_dump(include={"to_number", "status", "call_id"}) | {"error_message": (t.error_message or "")[:64] or None} for t in shown],
            "page": page,
            "limit": limit,
            "matching": len(chosen),
        }
        return results.ok("\n".join(lines), structured, sandbox=backend.sandbox)

    return list_batch_call_tasks


TokenArgument = Annotated[str | None, Field(max_length=200, description="From this tool's plan, after the person's yes.")]


@dataclass
class Targets:
    """The batches an action applies to: every part of the campaign the given batch belongs to."""

    batches: list[BatchCall]
    campaign: StoredPlan | None

    @property
    def ids(self) -> list[str]:
        return [b.batch_call_id for b in self.batches]

    @property
    def recipients(self) -> int:
        return sum(b.recipients for b in self.batches)

    def title(self) -> str:
        first = self.batches[0]
        name = self.campaign.doc.get("name") if self.campaign else first.name
        parts = f" ({len(self.batches)} batches)" if len(self.batches) > 1 else ""
        return f"{quote(name or first.batch_call_id)}{parts}"


async def targets(backend: Backend, batch_call_id: str) -> Targets:
    client = backend.client()
    found = await off_loop(backend.journal().campaign_of, batch_call_id)
    if found is None:
        return Targets([await client.get_batch_call(batch_call_id)], None)
    stored, parts = found
    ids = [p.batch_call_id for p in parts if p.batch_call_id] or [batch_call_id]
    return Targets([await client.get_batch_call(i) for i in ids], stored)


async def recipient_zones(backend: Backend, found: Targets) -> dict[str, int]:
    """Recipients per zone, for the calling window: from the plan when this server made it, else from Zudu's tasks."""
    if found.campaign is not None and found.campaign.doc.get("zones") is not None:
        return dict(found.campaign.doc["zones"])
    from zudu_mcp.recipients.phones import zones_of

    zones: Counter[str] = Counter()
    for batch in found.batches:
        for task in await all_tasks(backend, batch.batch_call_id):
            if task.to_number and (where := zones_of(task.to_number)):
                zones[where[0]] += 1
    return dict(zones)


async def window_notes(backend: Backend, found: Targets, start_ms: int, zone: str) -> list[Finding]:
    quiet = found.campaign.doc.get("quiet_hours") if found.campaign is not None else None
    return calling_findings(start_ms, await recipient_zones(backend, found), quiet, backend.settings.calling_window, zone, backend.now())


async def lifecycle_plan(backend: Backend, action: str, found: Targets, summary: str, findings: list[Finding], extra: dict[str, Any]) -> StoredPlan:
    """Execute, update and delete are approved as plans too: one confirmation for every part, the same words."""
    journal = backend.journal()
    intent = digest({"action": action, "targets": found.ids, "extra": extra})[:40]
    existing = await off_loop(journal.plan_by_intent, action, intent)
    if existing is not None and existing.state == "open":
        return existing
    handle = new_handle(backend.sandbox)
    text = "; ".join([summary, *(f.text.rstrip(".") for f in findings)]) + "."
    doc = {"summary": text, "findings": [f.as_dict() for f in findings], "targets": found.ids, "timezone": found.batches[0].timezone} | extra
    await off_loop(journal.save_plan, handle, action, intent, backend.now().timestamp() + backend.settings.mcp_confirm_ttl_seconds, doc)
    stored = await off_loop(journal.plan, handle)
    assert stored is not None
    return stored


async def consent_for(backend: Backend, gate: Gate, action: str, token: str | None, confirmation: Any, plan: Any) -> CallToolResult | StoredPlan:
    """The approved plan, or the result to return instead (a normal needs-confirmation result, or why not)."""
    journal = backend.journal()
    if token:
        stored = usable(await off_loop(journal.plan, check_handle(token, sandbox=backend.sandbox)), action, backend.now())
    else:
        stored = await plan()
    decision = gate.decide(stored, confirmation, token)
    if decision.go:
        return stored
    if decision.kind == "needs_confirmation":
        call = next_call(action, stored.handle)
        lines = ["Nothing has been changed. Plan:", stored.doc["summary"], "", f"Read this to the person. After a clear yes, call {call}."]
        return results.reply(
            "\n".join(lines),
            {
                "needs_confirmation": True,
                "confirmation_token": stored.handle,
                "next_call": call,
                "plan": {"summary": stored.doc["summary"], "findings": stored.doc["findings"], "targets": stored.doc["targets"]},
            },
            sandbox=backend.sandbox,
        )
    if decision.kind == "declined":
        return results.reply(decision.message, {"sent": False, "declined": True}, sandbox=backend.sandbox)
    return results.error(decision.message, sandbox=backend.sandbox, code=decision.kind)


def per_part(found: Targets, done: list[tuple[str, str]]) -> list[str]:
    if len(found.batches) <= 1:
        return []
    return [f"- {batch_id}: {what}" for batch_id, what in done]


def lifecycle_gate(backend: Backend, planner: Callable[[dict[str, Any]], Awaitable[StoredPlan | None]]) -> Gate:
    async def obtain(arguments: dict[str, Any]) -> StoredPlan | None:
        token = arguments.get("confirmation_token")
        if token:
            return await off_loop(backend.journal().plan, check_handle(token, sandbox=backend.sandbox))
        return await planner(arguments)

    return Gate(backend, obtain)


def execute_batch_call_tool(backend: Backend):
    async def planned(arguments: dict[str, Any]) -> StoredPlan | None:
        found = await targets(backend, arguments["batch_call_id"])
        return await execute_plan(backend, found)

    gate = lifecycle_gate(backend, planned)

    async def execute_batch_call(
        ctx: Context, batch_call_id: BatchIdArgument, confirmation_token: TokenArgument = None, confirmation: Any = None
    ) -> CallToolResult:
        client = backend.client()
        found = await targets(backend, batch_call_id)
        runnable = [b for b in found.batches if b.status in ("draft", "scheduled")]
        if not runnable:
            return results.error(
                f"{batch_call_id} is {found.batches[0].status}: only a draft or scheduled batch can be started.", sandbox=backend.sandbox, code="not_runnable"
            )
        approved = await consent_for(backend, gate, "execute_batch_call", confirmation_token, confirmation, lambda: execute_plan(backend, found))
        if isinstance(approved, CallToolResult):
            return approved
        done = []
        for batch in runnable:
            started = await journaled(
                backend.journal(),
                "execute",
                {"batch_call_id": batch.batch_call_id},
                batch.batch_call_id,
                partial(client.execute_batch_call, batch.batch_call_id),
            )
            done.append((batch.batch_call_id, "started" if started is None else f"started ({started.status})"))
        await off_loop(backend.journal().set_plan_state, approved.handle, "done")
        batch = await client.get_batch_call(runnable[0].batch_call_id)
        lines = ["Started: Zudu is dialing now (it runs asynchronously)."] + per_part(found, done) + progress_report(batch, backend)
        lines += [f"Warning: {f['text']}." for f in approved.doc["findings"] if f["warning"]]
        return results.ok("\n".join(lines), {"batch_call": batch.model_dump(), "started": [i for i, _ in done], "plan": approved.doc}, sandbox=backend.sandbox)

    return gate.bind(execute_batch_call, ["batch_call_id", "confirmation_token"])


async def execute_plan(backend: Backend, found: Targets) -> StoredPlan:
    first = found.batches[0]
    summary = f"Start dialing {found.title()} now: {found.recipients} recipients from {first.from_number} with agent {first.agent_id} (it is {first.status})"
    findings = await window_notes(backend, found, int(backend.now().timestamp() * 1000), first.timezone or "UTC")
    return await lifecycle_plan(backend, "execute_batch_call", found, summary, findings, {})


@dataclass
class Change:
    """What an update asks Zudu for, and the words a person approves it by."""

    request: UpdateBatchCallRequest
    notes: list[str]
    resolution: Resolution | None

    @property
    def needs_consent(self) -> bool:  # moving the time or the status changes when people are called
        return self.request.trigger_timestamp is not None or self.request.status is not None


def plan_change(backend: Backend, before: BatchCall, arguments: dict[str, Any]) -> Change:
    schedule, trigger = arguments["schedule"], arguments["trigger_timestamp"]
    if schedule is not None and trigger is not None:
        raise Refusal("send schedule or trigger_timestamp, not both.")
    fields = ("name", "schedule", "trigger_timestamp", "timezone", "status")
    if all(arguments[key] is None for key in fields):
        raise Refusal("send at least one of name, schedule, trigger_timestamp, timezone, status.")
    if before.status in ("completed", "failed"):
        raise Refusal(f"{before.batch_call_id} is {before.status}; Zudu does not change finished batches. Create a new one instead.")
    notes: list[str] = []
    resolution = None
    if schedule is not None:
        resolution = resolve(schedule, arguments["timezone"] or before.timezone, None, backend)
        if not isinstance(resolution.result, ScheduledTime):
            raise Refusal("\n".join(describe_resolution(resolution)))
        trigger = resolution.result.unix_ms
        notes = [f"from {schedule!r}: {describe_defaults(resolution)}", *reading_notes(resolution.result)]
    if trigger is not None:
        try:
            check_trigger_timestamp(trigger, backend.now())
        except ValueError as exc:
            raise Refusal(str(exc)) from None
        if trigger <= backend.now().timestamp() * 1000:
            raise Refusal("the new start time is in the past. Send a future time.")
    request = UpdateBatchCallRequest(name=arguments["name"], status=arguments["status"], trigger_timestamp=trigger, timezone=arguments["timezone"])
    return Change(request, notes, resolution)


async def change_plan(backend: Backend, found: Targets, change: Change) -> StoredPlan:
    before = found.batches[0]
    parts = []
    findings = [Finding("time", note) for note in change.notes]
    zone = change.request.timezone or before.timezone or "UTC"
    if change.request.trigger_timestamp is not None:
        after = describe_instant(change.request.trigger_timestamp, zone, backend.now())
        parts.append(f"start moved from {when(before, backend)} to {after.local} ({after.relative})")
        findings += await window_notes(backend, found, change.request.trigger_timestamp, zone)
    if change.request.status is not None:
        parts.append(f"status {before.status} -> {change.request.status}")
        if change.request.status == "sent":
            findings += await window_notes(backend, found, int(backend.now().timestamp() * 1000), zone)
    if change.request.name is not None:
        parts.append(f"renamed to {quote(change.request.name)}")
    summary = f"Change {found.title()} ({found.recipients} recipients): " + "; ".join(parts)
    return await lifecycle_plan(backend, "update_batch_call", found, summary, findings, {"update": change.request.to_wire()})


def update_batch_call_tool(backend: Backend):
    async def planned(arguments: dict[str, Any]) -> StoredPlan | None:
        found = await targets(backend, arguments["batch_call_id"])
        change = plan_change(backend, found.batches[0], arguments)
        return await change_plan(backend, found, change) if change.needs_consent else None

    gate = lifecycle_gate(backend, planned)

    async def update_batch_call(
        ctx: Context,
        batch_call_id: BatchIdArgument,
        name: Annotated[str | None, Field(max_length=MAX_NAME_LENGTH, description="New name.")] = None,
        schedule: Annotated[str | None, Field(max_length=500, description="New start, as said or ISO.")] = None,
        trigger_timestamp: Annotated[int | None, Field(description="New start, Unix ms.")] = None,
        timezone: Annotated[TimeZoneName | None, Field(description="New IANA zone.")] = None,
        status: Annotated[BatchStatus | None, Field(description="'scheduled', 'draft' (holds it back, no consent) or 'sent' (start now).")] = None,
        confirmation_token: TokenArgument = None,
        confirmation: Any = None,
    ) -> CallToolResult:
        # "", 0 and null were already dropped as "not given" (server.CheckedTool)
        arguments = {"name": name, "schedule": schedule, "trigger_timestamp": trigger_timestamp, "timezone": timezone, "status": status}
        if arguments["status"] == "draft" and not any(arguments[key] for key in ("name", "schedule", "trigger_timestamp", "timezone")):
            return await hold(backend, batch_call_id)  # holding back dials nobody: no consent needed
        client = backend.client()
        found = await targets(backend, batch_call_id)
        if confirmation_token and all(value is None for value in arguments.values()):
            # the plan holds the change: a strict client confirming with the token alone sends the rest as null
            stored = usable(
                await off_loop(backend.journal().plan, check_handle(confirmation_token, sandbox=backend.sandbox)), "update_batch_call", backend.now()
            )
            update = stored.doc["update"]
            arguments = {
                "name": update.get("name"),
                "schedule": None,
                "trigger_timestamp": update.get("trigger_timestamp"),
                "timezone": update.get("timezone"),
                "status": update.get("status"),
            }
        try:
            change = plan_change(backend, found.batches[0], arguments)
        except Refusal as refusal:
            return results.error(f"update_batch_call was not run (nothing was changed): {refusal}", sandbox=backend.sandbox, code=refusal.code)
        approved = None
        if change.needs_consent:
            outcome = await consent_for(backend, gate, "update_batch_call", confirmation_token, confirmation, lambda: change_plan(backend, found, change))
            if isinstance(outcome, CallToolResult):
                return outcome
            approved = outcome
            change.request = UpdateBatchCallRequest.model_validate(approved.doc["update"])  # exactly what was approved
        done = []
        for batch in found.batches:
            payload = {"batch_call_id": batch.batch_call_id, "update": change.request.to_wire()}
            send = lambda b=batch: client.update_batch_call(b.batch_call_id, change.request)  # noqa: E731
            await journaled(backend.journal(), "update", payload, batch.batch_call_id, send)
            done.append((batch.batch_call_id, "updated"))
        if approved is not None:
            await off_loop(backend.journal().set_plan_state, approved.handle, "done")
        after = await client.get_batch_call(found.batches[0].batch_call_id)
        lines = ["Updated."] + per_part(found, done)
        if change.request.trigger_timestamp is not None:
            lines.append(f"Start moved from {when(found.batches[0], backend)} to {when(after, backend)}.")
            lines += [f"  {note}" for note in change.notes]
        if after.status == "draft" and change.request.trigger_timestamp is not None:
            lines.append("It is a draft, so it will not dial at that time unless scheduled (status 'scheduled') or executed.")
        lines += progress_report(after, backend)
        if approved is not None:
            lines += [f"Warning: {f['text']}." for f in approved.doc["findings"] if f["warning"]]
        structured = {
            "batch_call": after.model_dump(),
            "schedule": change.resolution.result.as_dict() if change.resolution else None,
            "updated": [i for i, _ in done],
        }
        return results.ok("\n".join(lines), structured, sandbox=backend.sandbox)

    return gate.bind(update_batch_call, ["batch_call_id", "name", "schedule", "trigger_timestamp", "timezone", "status", "confirmation_token"])


def hold_batch_call_tool(backend: Backend):
    async def hold_batch_call(batch_call_id: BatchIdArgument) -> CallToolResult:
        return await hold(backend, batch_call_id)

    return hold_batch_call


async def hold(backend: Backend, batch_call_id: str) -> CallToolResult:
    """update_batch_call(status='draft') and hold_batch_call: every scheduled part becomes a draft."""
    client = backend.client()
    found = await targets(backend, batch_call_id)
    holdable = [b for b in found.batches if b.status == "scheduled"]
    if not holdable:
        batch = found.batches[0]
        if batch.status == "draft":
            return results.ok(
                f"{batch_call_id} is already a draft: it dials nobody until executed or scheduled.", {"batch_call": batch.model_dump()}, sandbox=backend.sandbox
            )
        reason = {
            "sent": "it is already dialing, and Zudu's API offers no pause or cancel call: calls already under way go on",
            "completed": "it has already finished",
            "failed": "it has failed; nothing will dial",
        }.get(batch.status or "", f"its status is {batch.status}")
        return results.error(f"{batch_call_id} cannot be held: {reason}.", sandbox=backend.sandbox, code="not_holdable")
    draft = UpdateBatchCallRequest(status="draft")  # holding back dials nobody: no confirmation needed
    done = []
    for batch in holdable:
        payload = {"batch_call_id": batch.batch_call_id, "update": draft.to_wire()}
        send = lambda b=batch: client.update_batch_call(b.batch_call_id, draft)  # noqa: E731
        await journaled(backend.journal(), "update", payload, batch.batch_call_id, send)
        done.append((batch.batch_call_id, "held (now a draft)"))
    held = await client.get_batch_call(holdable[0].batch_call_id)
    lines = (
        [f"Held {found.title()}: now a draft, it will not dial at its scheduled time."]
        + per_part(found, done)
        + [
            "To resume: update_batch_call with status 'scheduled' (and a new schedule if the time has passed), or execute_batch_call to start now.",
        ]
        + progress_report(held, backend)
    )
    return results.ok("\n".join(lines), {"batch_call": held.model_dump(), "held": [i for i, _ in done]}, sandbox=backend.sandbox)


def delete_batch_call_tool(backend: Backend):
    async def planned(arguments: dict[str, Any]) -> StoredPlan | None:
        found = await targets(backend, arguments["batch_call_id"])
        return await delete_plan(backend, found) if all(deletable(b) for b in found.batches) else None

    gate = lifecycle_gate(backend, planned)

    async def delete_batch_call(
        ctx: Context, batch_call_id: BatchIdArgument, confirmation_token: TokenArgument = None, confirmation: Any = None
    ) -> CallToolResult:
        client = backend.client()
        found = await targets(backend, batch_call_id)
        blocked = [b for b in found.batches if not deletable(b)]
        if blocked:
            batch = blocked[0]
            hint = "hold it first with update_batch_call status 'draft'" if batch.status == "scheduled" else "wait until it completes"
            return results.error(
                f"{batch.batch_call_id} is {batch.status}; Zudu deletes only draft or completed batches. To delete it, {hint}.",
                sandbox=backend.sandbox,
                code="not_deletable",
            )
        approved = await consent_for(backend, gate, "delete_batch_call", confirmation_token, confirmation, lambda: delete_plan(backend, found))
        if isinstance(approved, CallToolResult):
            return approved
        done = []
        for batch in found.batches:
            await journaled(
                backend.journal(),
                "delete",
                {"batch_call_id": batch.batch_call_id, "delete": True},
                batch.batch_call_id,
                partial(client.delete_batch_call, batch.batch_call_id),
            )
            done.append((batch.batch_call_id, "deleted"))
        await off_loop(backend.journal().set_plan_state, approved.handle, "done")
        lines = [f"Deleted {found.title()} ({found.batches[0].status}) permanently."] + per_part(found, done)
        return results.ok("\n".join(lines), {"deleted": [i for i, _ in done]}, sandbox=backend.sandbox)

    return gate.bind(delete_batch_call, ["batch_call_id", "confirmation_token"])


async def delete_plan(backend: Backend, found: Targets) -> StoredPlan:
    summary = f"Delete {found.title()} ({found.batches[0].status}, {found.recipients} recipients) permanently; this cannot be undone"
    return await lifecycle_plan(backend, "delete_batch_call", found, summary, [], {})


def deletable(batch: BatchCall) -> bool:
    return batch.status in ("draft", "completed")


READ = annotations("", read_only=True, destructive=False, idempotent=True)

TOOLS = [
    ToolSpec(
        get_batch_call_tool,
        "Progress of a batch call (optionally waiting ≤ 120 s for a change or the end).",
        READ.model_copy(update={"title": "Batch call progress"}),
    ),
    ToolSpec(list_batch_calls_tool, "Batch calls, newest first.", READ.model_copy(update={"title": "List batch calls"})),
    ToolSpec(
        list_batch_call_tasks_tool,
        "A batch's recipients: counts per state, failures by reason, one page.",
        READ.model_copy(update={"title": "Recipients of a batch call"}),
    ),
    ToolSpec(
        execute_batch_call_tool,
        "Start a draft or scheduled batch call now (dials real people; asks for consent).",
        annotations("Run a batch call now (dials real people)", read_only=False, destructive=True, idempotent=False),
    ),
    ToolSpec(
        update_batch_call_tool,
        "Rename, reschedule, re-zone or change the status of a batch (time and status need consent).",
        annotations("Change a batch call", read_only=False, destructive=True, idempotent=True),
    ),
    ToolSpec(
        hold_batch_call_tool,
        "Hold a scheduled batch call back (it becomes a draft). Dialing batches cannot be paused.",
        annotations("Hold a scheduled batch call", read_only=False, destructive=False, idempotent=True),
    ),
    ToolSpec(
        delete_batch_call_tool,
        "Delete a draft or completed batch call permanently (asks for consent).",
        annotations("Delete a batch call", read_only=False, destructive=True, idempotent=True),
    ),
]
