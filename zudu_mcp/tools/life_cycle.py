"""After create: progress, per-recipient results, run now, reschedule, hold, delete.

Zudu offers no pause or cancel for a batch that is already dialing; these tools say so instead
of pretending. Every result names what the person can do next.
"""

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from mcp.types import CallToolResult
from pydantic import Field, ValidationError

from zudu_mcp.backend import Backend
from zudu_mcp.delivery import journaled
from zudu_mcp.journal import payload_hash
from zudu_mcp.scheduling import ScheduledTime
from zudu_mcp.scheduling.defaults import Resolution, resolve
from zudu_mcp.scheduling.instants import describe_instant
from zudu_mcp.tools import ToolSpec, annotations, results
from zudu_mcp.tools.confirmation import Gate
from zudu_mcp.tools.scheduling import describe_defaults, describe_resolution, reading_notes
from zudu_mcp.zudu.errors import ZuduError
from zudu_mcp.zudu.models import MAX_NAME_LENGTH, BatchCall, BatchCallId, BatchStatus, BatchTask, TimeZoneName, UpdateBatchCallRequest

BatchIdArgument = Annotated[BatchCallId, Field(description="The batch id, e.g. 'batch_call_73077b8359a4478189e503a1547a9147' (from create_batch_call or list_batch_calls).")]
TaskStatus = Literal["PENDING", "CALLING", "COMPLETED", "FAILED"]
MAX_TASKS_FETCHED = 1000  # a batch holds at most 1000 tasks: 10 pages of 100
MAX_SHOWN = 50

class Refusal(Exception):
    """Stops an update before anything is sent."""


NEXT_STEPS = {
    "draft": "It dials nobody until run: execute_batch_call to start now, update_batch_call with schedule and status 'scheduled' to schedule it, or delete_batch_call.",
    "scheduled": "Before it starts: hold_batch_call to hold it back (it becomes a draft), update_batch_call to move it, execute_batch_call to start now.",
    "sent": "Calls are going out. list_batch_call_tasks shows who answered and who failed. It cannot be paused: Zudu's API has no pause or cancel call.",
    "completed": "All calls are done. list_batch_call_tasks groups the failures by reason; delete_batch_call removes it.",
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
    total = batch.total or batch.total_task_count or 0
    status = batch.status or "unknown"
    lines = [f"Batch {batch.batch_call_id} \"{batch.name or ''}\": {status}"]
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
        lines.append(f"Error from Zudu: {batch.error}")
    lines.append(f"Next: {NEXT_STEPS.get(status, 'get_batch_call shows its state.')}")
    return lines


def batch_line(batch: BatchCall, backend: Backend) -> str:
    start = ""
    if batch.scheduled_timestamp:
        shown = describe_instant(batch.scheduled_timestamp, batch.timezone or "UTC", backend.now())
        start = f" · {shown.local_iso[:16].replace('T', ' ')} {batch.timezone or 'UTC'}"
    total = batch.total or batch.total_task_count or 0
    return f"- {batch.batch_call_id} · \"{batch.name or ''}\" · {batch.status}{start} · {total} recipients, {batch.sent or 0} dialed, {batch.picked_up or 0} picked up"


# ---- tools ------------------------------------------------------------------------------------


def get_batch_call_tool(backend: Backend):
    async def get_batch_call(batch_call_id: BatchIdArgument) -> CallToolResult:
        batch = await backend.client().get_batch_call(batch_call_id)
        return results.ok("\n".join(progress_report(batch, backend)), {"batch_call": batch.model_dump()}, sandbox=backend.sandbox)

    return get_batch_call


def list_batch_calls_tool(backend: Backend):
    async def list_batch_calls(
        status: Annotated[list[Literal["draft", "scheduled", "sent", "completed", "failed"]] | None, Field(description="Only batches in these states, e.g. ['scheduled'].")] = None,
        agent_id: Annotated[str | None, Field(description="Only batches of this agent (agent_...).")] = None,
        name: Annotated[str | None, Field(max_length=255, description="Only batches whose name contains this text.")] = None,
        sort_by: Annotated[Literal["created_at", "updated_at", "scheduled_timestamp", "name", "status", "total_task_count"] | None, Field(description="Sort field; default created_at.")] = None,
        sort_order: Annotated[Literal["asc", "desc"] | None, Field(description="Default desc (newest first).")] = None,
        page: Annotated[int, Field(ge=0, description="Page number, from 0.")] = 0,
        limit: Annotated[int, Field(ge=1, le=MAX_SHOWN, description=f"Batches per page, 1 to {MAX_SHOWN}; default 20.")] = 20,
    ) -> CallToolResult:
        found, batches = await backend.client().list_batch_calls(
            page=page, limit=limit, status=status, agent_id=[agent_id] if agent_id else None, name=[name] if name else None,
            sort_by=sort_by, sort_order=sort_order,
        )
        of_total = f" of {found.total}" if found.total is not None else ""
        lines = [f"Batch calls, page {page} ({len(batches)} shown{of_total}):"] if batches else ["No batch calls match."]
        lines += [batch_line(batch, backend) for batch in batches]
        if found.has_next_page:
            lines.append(f"More: call list_batch_calls with page={page + 1}.")
        structured = {"batch_calls": [b.model_dump() for b in batches], "page": page, "limit": limit,
                      "has_next_page": found.has_next_page, "total": found.total}
        return results.ok("\n".join(lines), structured, sandbox=backend.sandbox)

    return list_batch_calls


async def all_tasks(backend: Backend, batch_call_id: str) -> list[BatchTask]:
    """Every task (at most 1000, in pages of 100): counts and failure groups need the whole batch."""
    tasks: list[BatchTask] = []
    page = 0
    while len(tasks) < MAX_TASKS_FETCHED:
        found, chunk = await backend.client().list_tasks(batch_call_id, page=page, limit=100)
        tasks += chunk
        if not found.has_next_page or not chunk:
            break
        page += 1
    return tasks


def list_batch_call_tasks_tool(backend: Backend):
    async def list_batch_call_tasks(
        batch_call_id: BatchIdArgument,
        status: Annotated[TaskStatus | None, Field(description="Show only tasks in this state, e.g. 'FAILED'.")] = None,
        page: Annotated[int, Field(ge=0, description="Page of the shown tasks, from 0.")] = 0,
        limit: Annotated[int, Field(ge=1, le=MAX_SHOWN, description=f"Tasks shown per page, 1 to {MAX_SHOWN}; default 20.")] = 20,
    ) -> CallToolResult:
        tasks = await all_tasks(backend, batch_call_id)
        counts = Counter(task.status or "UNKNOWN" for task in tasks)
        failures = Counter(task.error_message or "no reason given" for task in tasks if task.status == "FAILED")
        samples = {reason: [t.to_number for t in tasks if t.status == "FAILED" and (t.error_message or "no reason given") == reason][:3] for reason in failures}
        chosen = [task for task in tasks if status is None or task.status == status]
        shown = chosen[page * limit : (page + 1) * limit]
        lines = [f"Tasks of {batch_call_id}: {len(tasks)} total; " + ", ".join(f"{name} {count}" for name, count in counts.most_common())]
        if failures:
            lines.append("Failures by reason: " + "; ".join(f"{reason} {count} (e.g. {', '.join(samples[reason])})" for reason, count in failures.most_common()))
        label = status or "all"
        if shown:
            lines.append(f"Showing {label} {page * limit + 1}-{page * limit + len(shown)} of {len(chosen)}:")
            lines += [f"- {t.to_number} {t.status}" + (f": {t.error_message}" if t.error_message else "") for t in shown]
        else:
            lines.append(f"No {label} tasks on page {page}.")
        if (page + 1) * limit < len(chosen):
            lines.append(f"More: call list_batch_call_tasks with page={page + 1}.")
        structured = {
            "batch_call_id": batch_call_id,
            "total": len(tasks),
            "counts": dict(counts),
            "failures": [{"error_message": r, "count": c, "examples": samples[r]} for r, c in failures.most_common()],
            "tasks": [t.model_dump() for t in shown],
            "page": page,
            "limit": limit,
            "matching": len(chosen),
        }
        return results.ok("\n".join(lines), structured, sandbox=backend.sandbox)

    return list_batch_call_tasks


TokenArgument = Annotated[str | None, Field(max_length=2000, description="The confirmation_token from this tool's earlier answer, after the person agreed.")]


def summarizing(backend: Backend, describe: Callable[[BatchCall], str | None]) -> Callable[[dict[str, Any]], Awaitable[str | None]]:
    """The consent question for an action on one batch: None when it cannot go ahead (the tool says why)."""

    async def summarize(arguments: dict[str, Any]) -> str | None:
        try:
            return describe(await backend.client().get_batch_call(arguments["batch_call_id"]))
        except ZuduError:
            return None

    return summarize


def execute_batch_call_tool(backend: Backend):
    gate = Gate(backend, "execute_batch_call", summarizing(backend, execute_summary))

    async def execute_batch_call(batch_call_id: BatchIdArgument, confirmation_token: TokenArgument = None, confirmation: Any = None) -> CallToolResult:
        client = backend.client()
        batch = await client.get_batch_call(batch_call_id)
        payload = {"batch_call_id": batch_call_id}
        refusal = gate.refusal(confirmation, confirmation_token, payload_hash(payload), execute_summary(batch))
        if refusal is not None:
            return results.error(refusal, sandbox=backend.sandbox)
        started = await journaled(backend.journal(), "execute", payload, batch_call_id, lambda: client.execute_batch_call(batch_call_id))
        batch = await client.get_batch_call(batch_call_id) if started is None else started
        lines = ["Started: Zudu is dialing this batch now (it runs asynchronously)."] + progress_report(batch, backend)
        return results.ok("\n".join(lines), {"batch_call": batch.model_dump()}, sandbox=backend.sandbox)

    return gate.bind(execute_batch_call)


def execute_summary(batch: BatchCall) -> str:
    count = batch.total or batch.total_task_count or 0
    return f"Start dialing \"{batch.name}\" now: {count} recipients from {batch.from_number} with agent {batch.agent_id} (it is {batch.status})."


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
        notes = [f"From {schedule!r}. {describe_defaults(resolution)}", *reading_notes(resolution.result)]
    if trigger is not None and trigger <= backend.now().timestamp() * 1000:
        raise Refusal("the new start time is in the past. Send a future time.")
    request = UpdateBatchCallRequest(name=arguments["name"], status=arguments["status"], trigger_timestamp=trigger, timezone=arguments["timezone"])
    return Change(request, notes, resolution)


def change_summary(backend: Backend, before: BatchCall, change: Change) -> str:
    parts = []
    if change.request.trigger_timestamp is not None:
        after = describe_instant(change.request.trigger_timestamp, change.request.timezone or before.timezone or "UTC", backend.now())
        parts.append(f"start moved from {when(before, backend)} to {after.local} ({after.relative})")
    if change.request.status is not None:
        parts.append(f"status {before.status} -> {change.request.status}")
    if change.request.name is not None:
        parts.append(f"renamed to \"{change.request.name}\"")
    return f"Change \"{before.name}\" ({before.total or before.total_task_count or 0} recipients): " + "; ".join(parts) + "."


def update_batch_call_tool(backend: Backend):
    async def summarize(arguments: dict[str, Any]) -> str | None:
        try:
            before = await backend.client().get_batch_call(arguments["batch_call_id"])
            change = plan_change(backend, before, arguments)
        except (ZuduError, Refusal, ValidationError):
            return None
        return change_summary(backend, before, change) if change.needs_consent else None

    gate = Gate(backend, "update_batch_call", summarize)

    async def update_batch_call(
        batch_call_id: BatchIdArgument,
        name: Annotated[str | None, Field(min_length=1, max_length=MAX_NAME_LENGTH, description="New name.")] = None,
        schedule: Annotated[str | None, Field(max_length=500, description="New start time as the person said it ('Monday 10am', 'in 2 hours') or ISO; read in the batch's zone unless `timezone` is sent.")] = None,
        trigger_timestamp: Annotated[int | None, Field(gt=0, description="New start time as Unix milliseconds; use instead of schedule.")] = None,
        timezone: Annotated[TimeZoneName | None, Field(description="New IANA time zone of the batch, e.g. 'America/New_York'.")] = None,
        status: Annotated[BatchStatus | None, Field(description="'scheduled' to schedule a draft, 'draft' to hold a scheduled batch (or use hold_batch_call), 'sent' to start now.")] = None,
        confirmation_token: TokenArgument = None,
        confirmation: Any = None,
    ) -> CallToolResult:
        arguments = {"name": name, "schedule": schedule, "trigger_timestamp": trigger_timestamp, "timezone": timezone, "status": status}
        client = backend.client()
        before = await client.get_batch_call(batch_call_id)
        try:
            change = plan_change(backend, before, arguments)
        except Refusal as refusal:
            return results.error(f"update_batch_call was not run (nothing was changed): {refusal}", sandbox=backend.sandbox)
        except ValidationError as exc:
            return results.error(results.explain_validation_error(exc, "update_batch_call"))
        payload = {"batch_call_id": batch_call_id, "update": change.request.to_wire()}
        if change.needs_consent:
            refusal = gate.refusal(confirmation, confirmation_token, payload_hash(payload), change_summary(backend, before, change))
            if refusal is not None:
                return results.error(refusal, sandbox=backend.sandbox)
        send = lambda: client.update_batch_call(batch_call_id, change.request)  # noqa: E731
        after = await journaled(backend.journal(), "update", payload, batch_call_id, send) or await client.get_batch_call(batch_call_id)
        lines = ["Updated."]
        if change.request.trigger_timestamp is not None:
            lines.append(f"Start moved from {when(before, backend)} to {when(after, backend)}.")
            lines += [f"  {note}" for note in change.notes]
        if after.status == "draft" and change.request.trigger_timestamp is not None:
            lines.append("It is a draft, so it will not dial at that time unless scheduled (status 'scheduled') or executed.")
        lines += progress_report(after, backend)
        structured = {"batch_call": after.model_dump(), "schedule": change.resolution.result.as_dict() if change.resolution else None}
        return results.ok("\n".join(lines), structured, sandbox=backend.sandbox)

    return gate.bind(update_batch_call)


def hold_batch_call_tool(backend: Backend):
    async def hold_batch_call(batch_call_id: BatchIdArgument) -> CallToolResult:
        client = backend.client()
        batch = await client.get_batch_call(batch_call_id)
        if batch.status == "draft":
            return results.ok(f"{batch_call_id} is already a draft: it dials nobody until executed or scheduled.", {"batch_call": batch.model_dump()}, sandbox=backend.sandbox)
        if batch.status != "scheduled":
            reason = {
                "sent": "it is already dialing, and Zudu's API offers no pause or cancel call: calls already under way go on",
                "completed": "it has already finished",
                "failed": "it has failed; nothing will dial",
            }.get(batch.status or "", f"its status is {batch.status}")
            return results.error(f"{batch_call_id} cannot be held: {reason}.", sandbox=backend.sandbox)
        hold = UpdateBatchCallRequest(status="draft")  # holding back dials nobody: no confirmation needed
        payload = {"batch_call_id": batch_call_id, "update": hold.to_wire()}
        send = lambda: client.update_batch_call(batch_call_id, hold)  # noqa: E731
        held = await journaled(backend.journal(), "update", payload, batch_call_id, send) or await client.get_batch_call(batch_call_id)
        lines = [
            "Held: the batch is now a draft and will not dial at its scheduled time.",
            "To resume: update_batch_call with status 'scheduled' (and a new schedule if the time has passed), or execute_batch_call to start now.",
        ] + progress_report(held, backend)
        return results.ok("\n".join(lines), {"batch_call": held.model_dump()}, sandbox=backend.sandbox)

    return hold_batch_call


def delete_batch_call_tool(backend: Backend):
    gate = Gate(backend, "delete_batch_call", summarizing(backend, lambda batch: delete_summary(batch) if deletable(batch) else None))

    async def delete_batch_call(batch_call_id: BatchIdArgument, confirmation_token: TokenArgument = None, confirmation: Any = None) -> CallToolResult:
        client = backend.client()
        batch = await client.get_batch_call(batch_call_id)
        if not deletable(batch):
            hint = "hold_batch_call first (it becomes a draft)" if batch.status == "scheduled" else "wait until it completes"
            return results.error(
                f"{batch_call_id} is {batch.status}; Zudu deletes only draft or completed batches. To delete it, {hint}.",
                sandbox=backend.sandbox,
            )
        payload = {"batch_call_id": batch_call_id, "delete": True}
        refusal = gate.refusal(confirmation, confirmation_token, payload_hash(payload), delete_summary(batch))
        if refusal is not None:
            return results.error(refusal, sandbox=backend.sandbox)
        await journaled(backend.journal(), "delete", payload, batch_call_id, lambda: client.delete_batch_call(batch_call_id))
        return results.ok(f"Deleted {batch_call_id} \"{batch.name or ''}\" ({batch.status}) permanently.", {"deleted": batch_call_id}, sandbox=backend.sandbox)

    return gate.bind(delete_batch_call)


def deletable(batch: BatchCall) -> bool:
    return batch.status in ("draft", "completed")


def delete_summary(batch: BatchCall) -> str:
    return f"Delete \"{batch.name}\" ({batch.status}, {batch.total or batch.total_task_count or 0} recipients) permanently; this cannot be undone."


READ = annotations("", read_only=True, destructive=False, idempotent=True)

TOOLS = [
    ToolSpec(get_batch_call_tool, "Progress report of one batch call: status, start time (local and UTC), recipients, dialed, picked up, completed, and what can be done next.", READ.model_copy(update={"title": "Batch call progress"})),
    ToolSpec(list_batch_calls_tool, "List batch calls, newest first, optionally only some states, one agent, or a name; one page at a time.", READ.model_copy(update={"title": "List batch calls"})),
    ToolSpec(list_batch_call_tasks_tool, "Per-recipient results of a batch: counts per state (PENDING, CALLING, COMPLETED, FAILED), failures grouped by reason, and one page of recipients.", READ.model_copy(update={"title": "Recipients of a batch call"})),
    ToolSpec(execute_batch_call_tool, "Start a draft or scheduled batch call now: Zudu begins dialing real people at once. Confirm with the person first.", annotations("Run a batch call now (dials real people)", read_only=False, destructive=True, idempotent=False)),
    ToolSpec(update_batch_call_tool, "Rename, reschedule (from what the person said, or Unix ms), change the time zone, or change the status of a batch that has not finished. Read the new time back to the person.", annotations("Change a batch call", read_only=False, destructive=True, idempotent=True)),
    ToolSpec(hold_batch_call_tool, "Hold back a scheduled batch call (it becomes a draft and dials nobody). A batch already dialing cannot be paused: Zudu has no such call.", annotations("Hold a scheduled batch call", read_only=False, destructive=False, idempotent=True)),
    ToolSpec(delete_batch_call_tool, "Delete a draft or completed batch call permanently. Scheduled or dialing batches cannot be deleted.", annotations("Delete a batch call", read_only=False, destructive=True, idempotent=True)),
]
