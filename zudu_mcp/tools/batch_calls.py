"""Batch-call tools: parse arguments, call Zudu through the backend, format what a person reads."""

import inspect
import typing
from datetime import UTC, datetime
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zudu_mcp.backend import Backend
from zudu_mcp.campaign import Plan, Refusal, build_plan, describe_recipients
from zudu_mcp.delivery import Created, PartFailed, create_parts
from zudu_mcp.recipients.calling_window import outside_calling_window, parse_window
from zudu_mcp.scheduling import ScheduledTime
from zudu_mcp.scheduling.instants import describe_instant
from zudu_mcp.tools import ToolSpec, annotations, results
from zudu_mcp.tools.confirmation import Gate
from zudu_mcp.tools.scheduling import (
    describe_defaults,
    quiet_hours_line,
    reading_notes,
)
from zudu_mcp.zudu.errors import ZuduError
from zudu_mcp.zudu.models import (
    MAX_NAME_LENGTH,
    AgentId,
    BatchStatus,
    CreateBatchCallRequest,
    PhoneNumber,
    QuietHours,
    RetryConfig,
    RetryRule,
    TimeZoneName,
)

# Places real, billable calls that cannot be taken back; the same request twice creates two batches.
CREATE_ANNOTATIONS = annotations("Create a batch call (dials real people)", read_only=False, destructive=True, idempotent=False)

CREATE_DESCRIPTION = """Create a Zudu batch call: an AI voice agent phones every recipient in `tasks`.

This places real, billable phone calls. Before calling it, read back to the person: how many
recipients, the caller number, the agent, and the exact start time in their time zone.
Who: `tasks` inline, `recipients_csv` (CSV text) or `recipients_file` (a .csv/.json/.jsonl/.xlsx
path); numbers in any national or international form are normalised to E.164, duplicates and
invalid rows are dropped and reported, lists over 1000 become several batches.
When: send `schedule` with what the person said ("tomorrow at 10am", "Dec 5 15:00") or an ISO
time; it is resolved in `timezone` and echoed with every assumption (check it first with
resolve_schedule). Or send `trigger_timestamp` (Unix ms), `send_now: true` to dial at once, or
`status: "draft"` to save without dialing.
Returns the batch id, status and start time in the batch time zone and in UTC."""


class RecipientInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_number: str = Field(max_length=64, description="Phone number: E.164 ('+919600011957') or national ('096000 11957'), read with default_region.")
    dynamic_variables: dict[str, str | int | float | bool] | None = Field(
        default=None, description="Values for the agent, e.g. {'name': 'Aswathi', 'order_id': '5001201'}; sent as text, at most 5 KB."
    )


RETRY_IS_SAFE = (
    " Calling create_batch_call again with the same arguments is safe: the server looks for the batch at Zudu "
    "before it sends anything again."
)


def create_batch_call_tool(backend: Backend):
    gate = Gate(backend, "create_batch_call", lambda arguments: summary_or_none(backend, arguments), preview_tool="preview_batch_call")

    async def create_batch_call(
        ctx: Context,
        name: Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH, description="Campaign name, at most 255 characters. Over 1000 recipients: parts '<name> (part i of n)'.")],
        agent_id: Annotated[AgentId, Field(description="Voice agent making the calls: 'agent_' + UUID (see list_agents).")],
        from_number: Annotated[PhoneNumber, Field(description="Caller id in E.164, e.g. '+918035315547' (see list_phone_numbers).")],
        tasks: Annotated[list[RecipientInput] | None, Field(min_length=1, description="Recipients inline (or use recipients_csv / recipients_file).")] = None,
        recipients_csv: Annotated[str | None, Field(max_length=20_000_000, description="CSV text with a header row: a phone column (phone, mobile, number...); other columns become dynamic variables named as their headers.")] = None,
        recipients_file: Annotated[str | None, Field(max_length=4096, description="Path of a .csv/.json/.jsonl/.xlsx list inside the operator's allowed folders.")] = None,
        phone_column: Annotated[str | None, Field(max_length=255, description="Name of the phone column when it is not detected.")] = None,
        default_region: Annotated[str | None, Field(min_length=2, max_length=2, description="Region for numbers without a country code, e.g. 'IN'; default: that of from_number.")] = None,
        schedule: Annotated[str | None, Field(max_length=500, description="When to start, as the person said it ('tomorrow at 10am', 'in 2 hours') or ISO 8601; read in `timezone`.")] = None,
        trigger_timestamp: Annotated[int | None, Field(gt=0, description="When to start, as Unix milliseconds; instead of schedule.")] = None,
        send_now: Annotated[bool, Field(description="true dials as soon as it is created.")] = False,
        timezone: Annotated[TimeZoneName | None, Field(description="IANA zone of the campaign, e.g. 'Asia/Kolkata' (Zudu's default: UTC).")] = None,
        quiet_hours: Annotated[QuietHours | None, Field(description="Daily window with no calls, e.g. 22:00-08:00 in a zone.")] = None,
        retry_config: Annotated[RetryConfig | None, Field(description="Retry policy, e.g. {enabled: true, max_attempts: 3}.")] = None,
        retry_rules: Annotated[list[RetryRule] | None, Field(description="Per outcome: retry at a clock time ('AT' + time) or after a delay ('AFTER' + duration_minutes).")] = None,
        status: Annotated[BatchStatus | None, Field(description="'draft' saves without dialing; otherwise implied.")] = None,
        organization_id: Annotated[str | None, Field(description="Only for multi-organization accounts (org_...).")] = None,
        confirmation_token: Annotated[str | None, Field(max_length=2000, description="From preview_batch_call, after the person agreed to its summary.")] = None,
        allow_duplicate: Annotated[bool, Field(description="Create again even if an identical create succeeded in the last 24 h.")] = False,
        confirmation: Any = None,
    ) -> CallToolResult:
        arguments = {
            "from_number": from_number, "name": name, "agent_id": agent_id, "retry_config": retry_config, "quiet_hours": quiet_hours,
            "retry_rules": retry_rules, "send_now": send_now, "timezone": timezone, "trigger_timestamp": trigger_timestamp,
            "status": status, "organization_id": organization_id, "schedule": schedule, "tasks": tasks,
            "recipients_csv": recipients_csv, "recipients_file": recipients_file, "phone_column": phone_column,
            "default_region": default_region,
        }
        plan = plan_or_refusal(backend, arguments, "create_batch_call was not run (nothing was sent)", "create_batch_call")
        if isinstance(plan, CallToolResult):
            return plan
        client = backend.client()  # missing credentials are said before anything else
        refusal = gate.refusal(confirmation, confirmation_token, plan.digest)
        if refusal is not None:
            return results.error(refusal, sandbox=backend.sandbox)

        async def progress(done: int, total: int) -> None:
            await ctx.report_progress(done, total, f"created {done} of {total} parts")

        try:
            created = await create_parts(
                client, backend.journal(), plan.request, len(plan.parts), allow_duplicate=allow_duplicate, progress=progress,
                lease_seconds=backend.settings.timeout_seconds * 3 + 10,  # the longest a create can take, retries included
            )
        except PartFailed as failure:
            if failure.created:
                return results.error(describe_partial(failure, plan), sandbox=backend.sandbox)
            return results.error(str(failure.error) + (RETRY_IS_SAFE if failure.error.may_have_acted else ""), sandbox=backend.sandbox)
        text, structured = describe_created(created, plan, backend)
        return results.ok(text, structured, sandbox=backend.sandbox)

    return gate.bind(create_batch_call)


PREVIEW_DESCRIPTION = """Check a batch call before creating it: the same arguments as create_batch_call, every check,
the time resolved, the recipients normalised and split, and nothing sent. Returns a summary to
read to the person ("812 calls from +91 80 3531 5547 with agent Sales-Renewals, Sun 29 Nov 2026
10:00 IST; ...") and a confirmation_token bound to exactly these arguments (it expires and works
once): pass it to create_batch_call after the person agrees."""
PREVIEW_ANNOTATIONS = annotations("Preview a batch call", read_only=True, destructive=False, idempotent=True)


def preview_batch_call_tool(backend: Backend):
    create = create_batch_call_tool(backend)
    hints = typing.get_type_hints(create, include_extras=True)
    kept = [p for p in inspect.signature(create).parameters.values() if p.name not in ("ctx", "confirmation", "confirmation_token", "allow_duplicate")]

    async def preview_batch_call(**arguments: Any) -> CallToolResult:
        arguments = {p.name: arguments.get(p.name, p.default) for p in kept}
        plan = plan_or_refusal(backend, arguments, "This batch call could not be created as asked", "preview_batch_call")
        if isinstance(plan, CallToolResult):
            return plan
        summary = await campaign_summary(plan, backend)
        token, expires = backend.tokens().issue("create_batch_call", plan.digest)
        policy = backend.settings.mcp_confirm
        lines = ["Read this to the person and ask for a clear yes:", summary, ""]
        if plan.resolution is not None and isinstance(plan.resolution.result, ScheduledTime):
            lines.append(f"To keep exactly this start, send schedule as '{plan.resolution.result.local_iso}' (a relative time moves).")
        if policy in ("auto", "token"):
            expiry = describe_instant(int(expires * 1000), plan.fields["timezone"] or "UTC", backend.now())
            lines.append(f"Then call create_batch_call with the same arguments and confirmation_token=\"{token}\" (valid once, until {expiry.local}).")
        if policy in ("auto", "elicit"):
            lines.append("Clients that can ask the person directly will show this summary again when create_batch_call runs.")
        structured = {"summary": summary, "confirmation_token": token, "expires_unix_ms": int(expires * 1000),
                      "parts": len(plan.parts), "recipients": len(plan.recipients.tasks)}
        return results.ok("\n".join(lines), structured, sandbox=backend.sandbox)

    preview_batch_call.__signature__ = inspect.Signature(
        [p.replace(annotation=hints[p.name]) for p in kept], return_annotation=CallToolResult
    )
    preview_batch_call.__annotations__ = {p.name: hints[p.name] for p in kept} | {"return": CallToolResult}
    return preview_batch_call


def plan_for(backend: Backend, arguments: dict[str, Any]) -> Plan:
    tasks = arguments.get("tasks")
    return build_plan(backend, arguments | {"tasks": [task.model_dump() for task in tasks] if tasks is not None else None})


def plan_or_refusal(backend: Backend, arguments: dict[str, Any], refused: str, tool: str) -> Plan | CallToolResult:
    try:
        return plan_for(backend, arguments)
    except Refusal as refusal:
        return results.error(f"{refused}: {refusal}")
    except ValidationError as exc:
        return results.error(results.explain_validation_error(exc, tool))


async def summary_or_none(backend: Backend, arguments: dict[str, Any]) -> str | None:
    try:
        return await campaign_summary(plan_for(backend, arguments), backend)
    except (Refusal, ValidationError):
        return None


async def campaign_summary(plan: Plan, backend: Backend) -> str:
    """One paragraph a person can approve: who, from where, with whom, when, and what was dropped."""
    fields, count = plan.fields, len(plan.recipients.tasks)
    agent = await agent_name(backend, fields["agent_id"])
    if fields["status"] == "draft":
        when = "saved as a draft (nobody is called until it is run)"
    elif fields["send_now"] or fields["status"] == "sent":
        when = "starting immediately"
    else:
        start = describe_instant(fields["trigger_timestamp"], fields["timezone"] or "UTC", backend.now())
        when = f"{start.local}, {start.relative}"
    parts = [f"{count} call{'s' if count != 1 else ''} from {pretty_number(fields['from_number'])} with agent {agent}, {when}"]
    if len(plan.parts) > 1:
        parts.append(f"in {len(plan.parts)} batches of at most 1000")
    if fields["quiet_hours"] is not None and fields["quiet_hours"].enabled:
        quiet = fields["quiet_hours"]
        parts.append(f"quiet hours {quiet.start_time}–{quiet.end_time} {quiet.timezone}")
    retries = describe_retries(plan.request(0))
    if retries != "Zudu's defaults":
        parts.append(f"retries: {retries}")
    dropped = [*plan.recipients.rejected, *plan.recipients.duplicates]
    if dropped:
        shown = ", ".join(f"line {p.line} ({p.reason})" for p in sorted(dropped, key=lambda p: p.line)[:3])
        parts.append(f"{len(dropped)} row{'s' if len(dropped) != 1 else ''} dropped: {shown}" + (" ..." if len(dropped) > 3 else ""))
    text = "; ".join(parts) + "."
    if fields["trigger_timestamp"] and fields["status"] != "draft":
        text += "".join(f" {line}" for line in calling_window_lines(fields["trigger_timestamp"], plan, backend))
    return text


async def agent_name(backend: Backend, agent_id: str) -> str:
    """The agent's name when Zudu tells us (best effort: the id is shown otherwise)."""
    try:
        _, agents = await backend.client().list_agents(limit=100)
    except ZuduError:
        return agent_id
    return next((f"{a.name} ({agent_id})" for a in agents if a.agent_id == agent_id and a.name), agent_id)


def pretty_number(e164: str) -> str:
    import phonenumbers

    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def describe_partial(failure: PartFailed, plan: Plan) -> str:
    total = len(plan.parts)
    lines = [f"Only part of the campaign exists: part {failure.index} of {total} failed and the parts after it were not sent."]
    lines += [f"- part {i}: {c.batch.batch_call_id} \"{c.batch.name}\" exists" for i, c in enumerate(failure.created, start=1)]
    lines.append(f"- part {failure.index}: {failure.error}")
    if failure.index < total:
        lines.append(f"- parts {failure.index + 1} to {total}: not sent")
    lines.append("Calling create_batch_call again with the same arguments resumes: parts that exist are not sent again.")
    return "\n".join(lines)


def describe_created(outcomes: list[Created], plan: Plan, backend: Backend) -> tuple[str, dict]:
    created = [c.batch for c in outcomes]
    first, request = created[0], plan.request(0)
    zone = first.timezone or request.timezone or "UTC"
    recipients = len(plan.recipients.tasks)
    duplicates = [c for c in outcomes if c.duplicate_of is not None]
    if len(created) == 1:
        verb = "Not created again: an identical create already made" if duplicates else "Batch call created:"
        lines = [f"{verb} {first.batch_call_id} \"{first.name or request.name}\"", f"Status: {first.status or 'unknown'}"]
    else:
        lines = [f"Created {len(created)} batch calls for {recipients} recipients (Zudu takes at most 1000 per batch):"]
        lines += [f"- {b.batch_call_id} \"{b.name}\": {len(tasks)} recipients, {b.status}" for b, (_, tasks) in zip(created, plan.parts, strict=True)]
    start = None
    if (first.status or "") == "draft":
        lines.append("When: not scheduled; it is a draft and dials nobody until it is executed.")
    elif first.scheduled_timestamp:
        start = describe_instant(first.scheduled_timestamp, zone, backend.now())
        lines.append(f"When: {start.local}, {start.relative}; UTC {start.utc}")
        if (note := quiet_hours_line(first.scheduled_timestamp, request.quiet_hours, zone, backend)) is not None:
            lines.append(note)
    resolution = plan.resolution
    if resolution is not None and isinstance(resolution.result, ScheduledTime):
        lines.append(f"  From {resolution.result.input!r}. {describe_defaults(resolution)}")
        lines += [f"  {line}" for line in reading_notes(resolution.result)]
    lines.append(f"Recipients: {recipients}, calling from {first.from_number or request.from_number}")
    lines += describe_recipients(plan.recipients, plan.source, plan.region, plan.region_source)
    if first.scheduled_timestamp and (first.status or "") != "draft":
        lines += calling_window_lines(first.scheduled_timestamp, plan, backend)
    lines.append(f"Agent: {first.agent_id or request.agent_id}")
    lines.append(f"Retries: {describe_retries(request)}")
    lines.append(f"Quiet hours: {describe_quiet_hours(request.quiet_hours)}")
    if duplicates:
        lines.append(
            f"{len(duplicates)} of {len(created)} batch(es) already existed from an identical request in the last 24 hours "
            "and were not sent again (allow_duplicate: true creates another)."
        )
    structured = {
        "duplicates": [c.batch.batch_call_id for c in duplicates],
        "batch_call": first.model_dump(),
        "batch_calls": [b.model_dump() for b in created],
        "start": start.as_dict() if start else None,
        "schedule": resolution.result.as_dict() if resolution else None,
        "recipients": {
            "kept": recipients,
            "refused": [vars(r) for r in plan.recipients.rejected],
            "duplicates": [vars(r) for r in plan.recipients.duplicates],
        },
    }
    return "\n".join(lines), structured


def calling_window_lines(start_ms: int, plan: Plan, backend: Backend) -> list[str]:
    window = parse_window(backend.settings.calling_window)
    start = datetime.fromtimestamp(start_ms / 1000, tz=UTC)
    outside = outside_calling_window(start, [task["to_number"] for task in plan.recipients.tasks], window)
    if not outside:
        return []
    count = sum(zone.count for zone in outside)
    where = "; ".join(f"{zone.count} in {zone.zone} ({zone.local_time})" for zone in outside[:5])
    return [
        f"Warning: {count} recipients would be called outside {window[0]:%H:%M}-{window[1]:%H:%M} their local time: {where}. "
        "Consider another start time or a separate batch for them (ZUDU_CALLING_WINDOW sets the hours)."
    ]


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


TOOLS = [
    ToolSpec(preview_batch_call_tool, PREVIEW_DESCRIPTION, PREVIEW_ANNOTATIONS),
    ToolSpec(create_batch_call_tool, CREATE_DESCRIPTION, CREATE_ANNOTATIONS),
]
