"""resolve_schedule: lets an assistant check a spoken time with the person before anything is created."""

from datetime import UTC
from typing import Annotated, Literal

from mcp.types import CallToolResult
from pydantic import Field

from zudu_mcp.backend import Backend
from zudu_mcp.scheduling import ScheduledTime, ScheduleRefusal, describe_instant
from zudu_mcp.scheduling.defaults import Resolution, resolve
from zudu_mcp.scheduling.quiet_hours import first_call_time
from zudu_mcp.tools import ToolSpec, annotations, results
from zudu_mcp.zudu.models import QuietHours, TimeZoneName

# Computed locally: nothing leaves the server, so the world is closed.
RESOLVE_ANNOTATIONS = annotations("Resolve a spoken time", read_only=True, destructive=False, idempotent=True, open_world=False)

RESOLVE_DESCRIPTION = """Turn what the person said ("tomorrow at 10am", "in 2 hours") into one exact instant, with
every assumption and other readings, or a refusal saying what to ask. Read it back."""

DateOrder = Literal["DMY", "MDY"]


def describe_resolution(resolution: Resolution) -> list[str]:
    result = resolution.result
    if isinstance(result, ScheduleRefusal):
        return result.explain()
    lines = [f"{result.input!r} -> {result.local}, {result.relative}", f"UTC {result.utc}; Unix ms {result.unix_ms}"]
    lines += reading_notes(result)
    if result.read_back:
        lines.append("Read this time back to the person before calls are scheduled.")
    return lines


def reading_notes(result: ScheduledTime) -> list[str]:
    lines = [f"Assumed: {assumption}" for assumption in result.assumptions]
    if result.alternatives:
        lines.append("Other readings: " + "; ".join(result.alternatives))
    return lines


def describe_defaults(resolution: Resolution) -> str:
    return f"Time zone {resolution.timezone.value} ({resolution.timezone.source}); date order {resolution.date_order.value} ({resolution.date_order.source})."


def quiet_hours_line(unix_ms: int, quiet: QuietHours | None, zone: str, backend: Backend) -> str | None:
    """Says when the start falls inside quiet hours, and when calls can first go out."""
    if quiet is None or not quiet.enabled:
        return None
    from datetime import datetime

    instant = datetime.fromtimestamp(unix_ms / 1000, tz=UTC)
    first = first_call_time(instant, quiet.start_time, quiet.end_time, quiet.timezone)
    if first is None:
        return None
    shown = describe_instant(int(first.timestamp() * 1000), zone, backend.now())
    return f"Note: the start falls inside quiet hours ({quiet.start_time}–{quiet.end_time} {quiet.timezone}); calls can first go out at {shown.local}."


def resolve_schedule_tool(backend: Backend):
    async def resolve_schedule(
        text: Annotated[str, Field(max_length=500, description="What the person said, or ISO 8601.")],
        timezone: Annotated[TimeZoneName | None, Field(description="IANA zone, e.g. 'Asia/Kolkata'; default: the server's.")] = None,
        date_order: Annotated[DateOrder | None, Field(description="How to read 5/12; default MDY in US zones, else DMY.")] = None,
        quiet_hours: Annotated[QuietHours | None, Field(description="Quiet hours to check against.")] = None,
    ) -> CallToolResult:
        resolution = resolve(text, timezone, date_order, backend)
        now = describe_instant(int(backend.now().timestamp() * 1000), resolution.timezone.value, backend.now())
        lines = describe_resolution(resolution)
        result = resolution.result
        if isinstance(result, ScheduledTime):
            if (note := quiet_hours_line(result.unix_ms, quiet_hours, result.timezone, backend)) is not None:
                lines.append(note)
        lines += [describe_defaults(resolution), f"Server time now: {now.local}."]
        structured = {
            "schedule": result.as_dict(),
            "timezone": {"value": resolution.timezone.value, "source": resolution.timezone.source},
            "date_order": {"value": resolution.date_order.value, "source": resolution.date_order.source},
            "now": now.as_dict(),
        }
        return results.plain("\n".join(lines), structured, is_error=not result.ok)

    return resolve_schedule


TOOLS = [ToolSpec(resolve_schedule_tool, RESOLVE_DESCRIPTION, RESOLVE_ANNOTATIONS)]
