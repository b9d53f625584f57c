"""Batch-call tools: parse arguments, call Zudu through the backend, format what a person reads."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field, ValidationError

from zudu_mcp.backend import Backend
from zudu_mcp.scheduling import ScheduledTime
from zudu_mcp.scheduling.instants import describe_instant
from zudu_mcp.tools import ToolSpec, annotations, results
from zudu_mcp.tools.scheduling import (
    Resolution,
    describe_defaults,
    describe_resolution,
    quiet_hours_line,
    reading_notes,
    resolve,
)
from zudu_mcp.zudu.models import (
    MAX_NAME_LENGTH,
    MAX_TASKS,
    AgentId,
    BatchCall,
    BatchStatus,
    CreateBatchCallRequest,
    PhoneNumber,
    QuietHours,
    RetryConfig,
    RetryRule,
    Task,
    TimeZoneName,
)

# Places real, billable calls that cannot be taken back; the same request twice creates two batches.
CREATE_ANNOTATIONS = annotations("Create a batch call (dials real people)", read_only=False, destructive=True, idempotent=False)

CREATE_DESCRIPTION = """Create a Zudu batch call: an AI voice agent phones every recipient in `tasks`.

This places real, billable phone calls. Before calling it, read back to the person: how many
recipients, the caller number, the agent, and the exact start time in their time zone.
When: send `schedule` with what the person said ("tomorrow at 10am", "Dec 5 15:00") or an ISO
time; it is resolved in `timezone` and echoed with every assumption (check it first with
resolve_schedule). Or send `trigger_timestamp` (Unix ms), `send_now: true` to dial at once, or
`status: "draft"` to save without dialing.
Returns the batch id, status and start time in the batch time zone and in UTC."""


def create_batch_call_tool(backend: Backend):
    async def create_batch_call(
        name: Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH, description="Campaign name shown in Zudu, at most 255 characters, e.g. 'December renewals'.")],
        agent_id: Annotated[AgentId, Field(description="The Zudu voice agent that makes the calls: 'agent_' + UUID, e.g. 'agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e'.")],
        from_number: Annotated[PhoneNumber, Field(description="Caller id: a number of the organization in E.164, e.g. '+918035315547'. Must not also be a recipient.")],
        tasks: Annotated[list[Task], Field(min_length=1, max_length=MAX_TASKS, description="Recipients, 1 to 1000: each {to_number (E.164), dynamic_variables (optional text values for the agent)}.")],
        schedule: Annotated[str | None, Field(max_length=500, description="When to start, as the person said it ('tomorrow at 10am', 'next Monday 9:30 IST', 'in 2 hours') or ISO 8601. Resolved in `timezone`; refused when vague, past or ambiguous. Use instead of trigger_timestamp.")] = None,
        trigger_timestamp: Annotated[int | None, Field(gt=0, description="When to start, as Unix milliseconds (13 digits) in the future, e.g. 1796095800000. Required unless send_now is true or status is 'draft'.")] = None,
        send_now: Annotated[bool, Field(description="true dials as soon as the batch is created; leave false when sending trigger_timestamp.")] = False,
        timezone: Annotated[TimeZoneName | None, Field(description="IANA time zone of the campaign, e.g. 'Asia/Kolkata'; Zudu's default is UTC. Used for retry 'AT' times and for showing the start time.")] = None,
        quiet_hours: Annotated[QuietHours | None, Field(description="A daily window with no calls, e.g. {start_time '22:00', end_time '08:00', timezone 'Asia/Kolkata'}.")] = None,
        retry_config: Annotated[RetryConfig | None, Field(description="Retry policy, e.g. {enabled: true, max_attempts: 3}.")] = None,
        retry_rules: Annotated[list[RetryRule] | None, Field(description="When to retry each outcome (no_answer, busy, voicemail): at a clock time ('AT' + time 'HH:MM') or after a delay ('AFTER' + duration_minutes).")] = None,
        status: Annotated[BatchStatus | None, Field(description="'draft' saves without dialing (run it later); 'scheduled' or 'sent' are normally implied by trigger_timestamp / send_now.")] = None,
        organization_id: Annotated[str | None, Field(description="Only for accounts with several organizations: the Zudu organization id (org_...). Normally omit it.")] = None,
    ) -> CallToolResult:
        resolution = None
        if schedule is not None:
            if trigger_timestamp is not None or send_now:
                other = "trigger_timestamp" if trigger_timestamp is not None else "send_now"
                return results.error(
                    f"create_batch_call was not run (nothing was sent): schedule and {other} both say when to call. "
                    "Send only one of them."
                )
            resolution = resolve(schedule, timezone, None, backend)
            if not isinstance(resolution.result, ScheduledTime):
                lines = describe_resolution(resolution)
                return results.error("create_batch_call was not run (nothing was sent). " + "\n".join(lines))
            trigger_timestamp = resolution.result.unix_ms
            timezone = timezone or resolution.timezone.value
        try:
            request = CreateBatchCallRequest(
                from_number=from_number,
                name=name,
                agent_id=agent_id,
                retry_config=retry_config,
                quiet_hours=quiet_hours,
                retry_rules=retry_rules,
                send_now=send_now,
                tasks=tasks,
                timezone=timezone,
                trigger_timestamp=trigger_timestamp,
                status=status,
                organization_id=organization_id,
            )
        except ValidationError as exc:
            return results.error(results.explain_validation_error(exc, "create_batch_call"))
        now = backend.now()
        if request.trigger_timestamp is not None and request.trigger_timestamp <= now.timestamp() * 1000:
            when = describe_instant(request.trigger_timestamp, request.timezone or "UTC", now)
            return results.error(
                f"create_batch_call was not run (nothing was sent): trigger_timestamp is in the past "
                f"({when.local}, {when.relative}). Send a future time in Unix milliseconds."
            )
        batch = await backend.client().create_batch_call(request)
        text, structured = describe_created(batch, request, backend, resolution)
        return results.ok(text, structured, sandbox=backend.sandbox)

    return create_batch_call


def describe_created(
    batch: BatchCall, request: CreateBatchCallRequest, backend: Backend, resolution: Resolution | None
) -> tuple[str, dict]:
    zone = batch.timezone or request.timezone or "UTC"
    recipients = batch.total_task_count or batch.total or len(request.tasks)
    lines = [f"Batch call created: {batch.batch_call_id} \"{batch.name or request.name}\"", f"Status: {batch.status or 'unknown'}"]
    start = None
    if (batch.status or "") == "draft":
        lines.append("When: not scheduled; it is a draft and dials nobody until it is executed.")
    elif batch.scheduled_timestamp:
        start = describe_instant(batch.scheduled_timestamp, zone, backend.now())
        lines.append(f"When: {start.local}, {start.relative}; UTC {start.utc}")
        if (note := quiet_hours_line(batch.scheduled_timestamp, request.quiet_hours, zone, backend)) is not None:
            lines.append(note)
    if resolution is not None and isinstance(resolution.result, ScheduledTime):
        lines.append(f"  From {resolution.result.input!r}. {describe_defaults(resolution)}")
        lines += [f"  {line}" for line in reading_notes(resolution.result)]
    lines.append(f"Recipients: {recipients}, calling from {batch.from_number or request.from_number}")
    lines.append(f"Agent: {batch.agent_id or request.agent_id}")
    lines.append(f"Retries: {describe_retries(request)}")
    lines.append(f"Quiet hours: {describe_quiet_hours(request.quiet_hours)}")
    structured = {
        "batch_call": batch.model_dump(),
        "start": start.as_dict() if start else None,
        "schedule": resolution.result.as_dict() if resolution else None,
    }
    return "\n".join(lines), structured


def describe_retries(request: CreateBatchCallRequest) -> str:
    config = request.retry_config
    if config is not None and not config.enabled:
        return "off"
    parts = [f"up to {config.max_attempts} attempts"] if config else []
    for rule in request.retry_rules or ():
        if not rule.enabled:
            continue
        timing = rule.retry_timing
        when = f"at {timing.time}" if timing.type == "AT" else f"after {timing.duration_minutes} min"
        parts.append(f"{rule.condition.replace('_', ' ')} {when}")
    return "; ".join(parts) if parts else "Zudu's defaults"


def describe_quiet_hours(quiet: QuietHours | None) -> str:
    if quiet is None or not quiet.enabled:
        return "none"
    return f"{quiet.start_time}–{quiet.end_time} {quiet.timezone} (no calls in this window)"


TOOLS = [ToolSpec(create_batch_call_tool, CREATE_DESCRIPTION, CREATE_ANNOTATIONS)]
