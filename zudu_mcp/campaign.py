"""A campaign as it will be sent: every check done, the time resolved, the list read, split into parts.

Nothing here talks MCP or Zudu: a plan is built from plain arguments and the settings, so the
preview, the create and the consent question all see exactly the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zudu_mcp.backend import Backend
from zudu_mcp.journal import payload_hash
from zudu_mcp.scheduling import ScheduledTime
from zudu_mcp.scheduling.defaults import Resolution, resolve
from zudu_mcp.scheduling.instants import describe_instant
from zudu_mcp.zudu.models import CreateBatchCallRequest, check_send_rule

if TYPE_CHECKING:
    from zudu_mcp.recipients.prepare import PreparedList
    from zudu_mcp.recipients.sources import Row


class Refusal(Exception):
    """Stops a create before anything is sent; the message says what to send instead."""


@dataclass
class Plan:
    """What will be sent: one request per part of at most 1000 recipients, and how the list was read.

    Requests are built when sent (every part was validated already): 100 validated parts of a
    100,000-row list held at once would double the memory a campaign needs.
    """

    fields: dict[str, Any]
    parts: list[tuple[str, list[dict[str, Any]]]]
    recipients: PreparedList
    source: str
    region: str | None
    region_source: str
    resolution: Resolution | None
    digest: str = ""  # what a confirmation binds: the exact body of every part, in order

    def request(self, index: int) -> CreateBatchCallRequest:
        name, tasks = self.parts[index]
        return CreateBatchCallRequest.model_validate(self.fields | {"name": name, "tasks": tasks})


CAMPAIGN_FIELDS = ("from_number", "name", "agent_id", "retry_config", "quiet_hours", "retry_rules", "send_now", "timezone",
                   "trigger_timestamp", "status", "organization_id")


def build_plan(backend: Backend, arguments: dict[str, Any]) -> Plan:
    """Every check, before anything is sent: time, recipients, and the request of each part."""
    from zudu_mcp.recipients.prepare import split_parts

    fields = {key: arguments[key] for key in CAMPAIGN_FIELDS}
    schedule = arguments["schedule"]
    resolution = None
    if schedule is not None:
        if fields["trigger_timestamp"] is not None or fields["send_now"]:
            other = "trigger_timestamp" if fields["trigger_timestamp"] is not None else "send_now"
            raise Refusal(f"schedule and {other} both say when to call. Send only one of them.")
        resolution = resolve(schedule, fields["timezone"], None, backend)
        if not isinstance(resolution.result, ScheduledTime):
            raise Refusal("\n".join(resolution.result.explain()))
        fields["trigger_timestamp"] = resolution.result.unix_ms
        fields["timezone"] = fields["timezone"] or resolution.timezone.value
    try:
        check_send_rule(fields["send_now"], fields["trigger_timestamp"], fields["status"])
    except ValueError as exc:  # checked before a large list is read
        raise Refusal(str(exc)) from None
    now = backend.now()
    trigger = fields["trigger_timestamp"]
    if trigger is not None and trigger <= now.timestamp() * 1000:
        when = describe_instant(trigger, fields["timezone"] or "UTC", now)
        raise Refusal(f"trigger_timestamp is in the past ({when.local}, {when.relative}). Send a future time in Unix milliseconds.")
    sources = {key: arguments[key] for key in ("tasks", "recipients_csv", "recipients_file")}
    given = [key for key, value in sources.items() if value is not None]
    if len(given) != 1:
        raise Refusal("send the recipients in exactly one of tasks, recipients_csv or recipients_file" + (f" (got {', '.join(given)})." if given else "."))
    region, region_source = choose_region(arguments["default_region"], fields["from_number"], backend)
    prepared, source = read_recipients(given[0], sources[given[0]], arguments["phone_column"], fields["from_number"], region, backend)
    if not prepared.tasks:
        raise Refusal("no usable recipient in the list.\n" + "\n".join(describe_recipients(prepared, source, region, region_source)))
    plan = Plan(fields, split_parts(fields["name"], prepared.tasks), prepared, source, region, region_source, resolution)
    # Building each part's request validates it before the first is sent; its hash is kept, not the request.
    plan.digest = payload_hash([payload_hash(plan.request(index).to_wire()) for index in range(len(plan.parts))])
    return plan


def choose_region(given: str | None, from_number: str, backend: Backend) -> tuple[str | None, str]:
    from zudu_mcp.recipients.phones import InvalidNumber, region_of, valid_region  # lazy: phone metadata is large

    if given:
        try:
            return valid_region(given), "given"
        except InvalidNumber as exc:
            raise Refusal(f"default_region: {exc}") from None
    if backend.settings.default_region:
        return backend.settings.default_region, "ZUDU_DEFAULT_REGION"
    return region_of(from_number), "the region of from_number"


def read_recipients(
    kind: str, value: Any, phone_column: str | None, from_number: str, region: str | None, backend: Backend
) -> tuple[PreparedList, str]:
    from zudu_mcp.recipients.prepare import prepare_recipients
    from zudu_mcp.recipients.sources import FileAccess, ListError, read_csv_text, read_file, rows_from_tasks

    try:
        rows: Iterable[Row]
        if kind == "tasks":
            rows, source = rows_from_tasks(value), "the inline tasks"
        elif kind == "recipients_csv":
            rows, source = read_csv_text(value, phone_column), "the CSV"
        else:
            access = FileAccess(backend.settings.file_roots, backend.settings.mcp_max_file_mb * 1_048_576)
            rows, source = read_file(value, access, phone_column), f"file {value}"
        return prepare_recipients(rows, from_number=from_number, default_region=region), source
    except ListError as exc:
        raise Refusal(str(exc)) from None
    except (OSError, UnicodeError, ValueError) as exc:
        raise Refusal(f"could not read {kind}: {exc}") from None



MAX_LISTED_PROBLEMS = 10


def describe_recipients(prepared: PreparedList, source: str, region: str | None, region_source: str) -> list[str]:
    lines = []
    problems = [*prepared.rejected, *prepared.duplicates]
    if problems:
        lines.append(
            f"From {source}: {len(prepared.tasks)} recipients kept, {len(prepared.rejected)} rows refused, "
            f"{len(prepared.duplicates)} duplicates dropped:"
        )
        for problem in sorted(problems, key=lambda p: p.line)[:MAX_LISTED_PROBLEMS]:
            lines.append(f"  - line {problem.line}: {problem.value!r}: {problem.reason}")
        if len(problems) > MAX_LISTED_PROBLEMS:
            lines.append(f"  ... and {len(problems) - MAX_LISTED_PROBLEMS} more (all are in structuredContent.recipients).")
    if region and prepared.read_with_region:
        lines.append(f"{prepared.read_with_region} numbers without a country code were read as {region} ({region_source}).")
    if prepared.converted_columns:
        lines.append(f"Sent as text: the numbers in {', '.join(sorted(prepared.converted_columns))}.")
    return lines
