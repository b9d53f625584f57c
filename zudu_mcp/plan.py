"""A campaign resolved once into a plan: the exact request bodies, every assumption, every warning.

The plan is the unit of consent. It is built once, stored in the journal under a short handle
(the confirmation token), shown to the person, and sent exactly as stored: confirming never
resolves "in 2 hours" again, and a retry of the same intent is recognised whatever the clock
says. Nothing here talks MCP; lookups at Zudu (agents, numbers) come in as values.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from zudu_mcp.campaign import Campaign
from zudu_mcp.refusal import Refusal
from zudu_mcp.scheduling import ScheduledTime
from zudu_mcp.scheduling.instants import describe_instant
from zudu_mcp.untrusted import quote
from zudu_mcp.zudu.models import (
    AGENT_ID_PATTERN,
    MAX_NAME_LENGTH,
    MAX_TASKS,
    CreateBatchCallRequest,
    QuietHours,
    check_e164,
    check_send_rule,
    check_trigger_timestamp,
)

if TYPE_CHECKING:
    from zudu_mcp.config import Settings
    from zudu_mcp.recipients.prepare import RecipientReport

MAX_SHOWN_PROBLEMS = 5
WIRE_ORDER = tuple(CreateBatchCallRequest.model_fields)  # the wire model lists Zudu's fields in the order of Zudu's own example


@dataclass(frozen=True)
class Finding:
    """One thing the person did not say but the plan decided, or should know."""

    kind: str  # time, zone, caller, agent, region, dropped, parts, quiet_hours, calling_window, mode, retries
    text: str
    warning: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "warning": self.warning}


@dataclass
class Part:
    index: int
    name: str
    count: int
    tasks_json: str  # exactly what is sent as `tasks` (emptied once the journal holds it)
    body_hash: str = ""
    tasks_hash: str = ""  # of tasks_json, kept after it is emptied


@dataclass
class Plan:
    """What the person approves. `doc` is what the journal keeps (no phone numbers); parts carry the recipients."""

    action: str
    intent: str
    summary: str
    findings: list[Finding]
    doc: dict[str, Any]
    parts: list[Part] = field(default_factory=list)
    handle: str = ""
    created_at: float = 0.0
    expires_at: float = 0.0
    state: str = "open"

    @property
    def trigger_ms(self) -> int | None:
        return self.doc.get("trigger_ms")

    def body(self, part: Part) -> dict[str, Any]:
        """The exact request body of one part, in the order of Zudu's own example."""
        settings = self.doc["settings"] | {"name": part.name, "tasks": json.loads(part.tasks_json)}
        return {key: settings[key] for key in WIRE_ORDER if key in settings}

    def describe(self) -> dict[str, Any]:
        """Structured facts, the same as the text: for agents whose framework passes only structured content."""
        return {"action": self.action, "summary": self.summary, "findings": [f.as_dict() for f in self.findings]} | {
            key: self.doc[key] for key in ("when", "mode", "recipients", "parts", "agent", "from_number", "batch_call_ids") if key in self.doc
        }


def canonical(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(payload: Any) -> str:
    return hashlib.sha256(canonical(payload).encode()).hexdigest()


def intent_of(action: str, account: str, given: dict[str, Any]) -> str:
    """What was meant, not what it resolves to now: the same arguments are the same intent at any hour."""
    return identity(action, account, given).intent


def field_hashes(given: dict[str, Any]) -> dict[str, str]:
    return identity("", "", given).fields


@dataclass(frozen=True)
class Identity:
    """A create's intent and its per-field hashes, from ONE canonical encoding of the arguments.

    The intent is the digest of {"action", "account", "arguments"} and a field's hash the digest of
    its value (a test holds that, so stored intents keep matching): 1,000 inline recipients are
    encoded once instead of three times.
    """

    intent: str
    fields: dict[str, str]


def identity(action: str, account: str, given: dict[str, Any]) -> Identity:
    encoded = {key: canonical(value) for key, value in given.items()}
    arguments = ",".join(f"{canonical(key)}:{encoded[key]}" for key in sorted(encoded))
    whole = f'{{"account":{canonical(account)},"action":{canonical(action)},"arguments":{{{arguments}}}}}'
    return Identity(hashlib.sha256(whole.encode()).hexdigest()[:40], {key: hashlib.sha256(text.encode()).hexdigest()[:16] for key, text in encoded.items()})


# ---- lookups at Zudu, done before the heavy part ---------------------------------------------


@dataclass(frozen=True)
class Agent:
    agent_id: str
    name: str | None
    matched_by_name: bool = False

    def shown(self) -> str:
        return f"{quote(self.name, 60)} ({self.agent_id})" if self.name else self.agent_id


def choose_agent(given: str | None, agents: list[Any] | None) -> Agent:
    """An id, or an exact, case-insensitive, unique name; otherwise a refusal listing what matches."""
    if not given:
        raise Refusal("agent_id is required: send the voice agent's id (agent_...) or its exact name (list_agents shows them).", "missing_agent")
    if re.match(AGENT_ID_PATTERN, given):
        name = next((a.name for a in agents or () if a.agent_id == given), None)
        return Agent(given, name)
    if agents is None:
        raise Refusal(
            f"agent_id {quote(given)} is not an agent id, and the agents could not be listed to match it by name: send the id (agent_...).", "unknown_agent"
        )
    wanted = given.strip().casefold()
    exact = [a for a in agents if (a.name or "").strip().casefold() == wanted]
    if len(exact) == 1:
        return Agent(exact[0].agent_id, exact[0].name, matched_by_name=True)
    close = exact or [a for a in agents if wanted in (a.name or "").casefold()]
    listed = "; ".join(f"{quote(a.name, 40)} = {a.agent_id}" for a in close[:5]) or "none"
    why = "several agents have that name" if len(exact) > 1 else "no agent has exactly that name"
    raise Refusal(f"agent_id {quote(given)}: {why}. Matches: {listed}. Send the agent's id.", "unknown_agent")


def choose_caller(given: str | None, numbers: list[str] | None) -> tuple[str, Finding | None]:
    if given:
        try:
            return check_e164(given.strip()), None
        except ValueError as exc:
            raise Refusal(f"from_number: {exc}", "invalid_from_number") from None
    if numbers is not None and len(numbers) == 1:
        return numbers[0], Finding("caller", f"calling from {numbers[0]}, the organization's only number")
    choices = ", ".join(numbers[:5]) if numbers else "none found"
    raise Refusal(f"from_number is required: the organization has {len(numbers or [])} numbers ({choices}); say which one calls.", "missing_from_number")


# ---- the plan of a create ----------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """Everything a plan depends on besides the arguments: values, not services."""

    now: datetime
    account: str
    settings: Settings
    read_rows: Callable[[str, Any, str | None], tuple[Iterator[Any], str]]  # (kind, value, phone_column) -> rows, source
    suppressed: Callable[[str], bool] | None = None  # the do-not-call list (zudu_mcp.suppression): True drops the number


def plan_create(
    campaign: Campaign,
    agent: Agent,
    from_number: str,
    caller_note: Finding | None,
    context: Context,
    store_part: Callable[[Part], None],
    *,
    given: dict[str, Any] | None = None,
    ident: Identity | None = None,
) -> Plan:
    """Every check before anything is sent; parts go to `store_part` as they are read (a list never sits in memory whole).

    `given` and `ident`: campaign.given() and its identity when the caller has them already (dumping and
    encoding 1,000 recipients costs as much as reading them).
    """
    from zudu_mcp.recipients.calling_window import region_of_zone
    from zudu_mcp.recipients.prepare import RecipientReport, normalise

    settings, now = context.settings, context.now
    if not campaign.name:
        raise Refusal("name is required: the campaign's name (at most 255 characters).", "missing_name")
    findings: list[Finding] = []
    if caller_note:
        findings.append(caller_note)
    if agent.matched_by_name:
        findings.append(Finding("agent", f"agent {agent.shown()} matched by its name"))
    timing = plan_time(campaign, context, findings)
    sources = {key: getattr(campaign, key) for key in ("tasks", "recipients_csv", "recipients_file")}
    chosen = [key for key, value in sources.items() if value is not None]
    if len(chosen) != 1:
        raise Refusal(
            "send the recipients in exactly one of tasks, recipients_csv or recipients_file" + (f" (got {', '.join(chosen)})." if chosen else "."), "recipients"
        )
    region, region_source = choose_region(campaign.default_region, from_number, settings)
    zone_region = region_of_zone(timing["timezone"]) if timing["timezone"] else None
    given_args = given if given is not None else campaign.given()
    ident = ident or identity("create_batch_call", context.account, given_args)
    value = given_args["tasks"] if chosen[0] == "tasks" else sources[chosen[0]]  # the same dicts, already dumped (rows copy them)
    rows, source = context.read_rows(chosen[0], value, campaign.phone_column)
    report = RecipientReport()
    recipients = normalise(rows, from_number=from_number, default_region=region, other_region=zone_region, report=report)
    if context.suppressed is not None:
        recipients = without_suppressed(recipients, context.suppressed, report)
    settings_body = wire_settings(campaign, agent, from_number, timing)
    parts = store_parts(recipients, store_part)
    if report.do_not_call:
        findings.append(Finding("do_not_call", f"{report.do_not_call} skipped: on the do-not-call list", warning=True))
        if not report.kept:
            raise Refusal(f"every recipient ({report.do_not_call}) is on the do-not-call list: nobody would be called.", "no_recipients")
    if not report.kept:
        raise Refusal(
            "no usable recipient in the list. " + " ".join(f.text for f in recipient_findings(report, source, region, region_source)), "no_recipients"
        )
    if region_source != "given" and zone_region and region and zone_region != region and report.read_with_region:
        raise Refusal(
            f"{report.read_with_region} numbers have no country code. They would be read as {region} ({region_source}), but the "
            f"campaign's time zone {timing['timezone']} is in {zone_region}. Send default_region '{zone_region}' or '{region}' to say which.",
            "region_conflict",
        )
    names = part_names(campaign.name, len(parts))
    validate_settings(settings_body, names[0], parts[0])
    for part, name in zip(parts, names, strict=True):
        part.name = name
        part.body_hash = digest({"settings": settings_body, "name": name, "tasks": part.tasks_hash})
    findings += recipient_findings(report, source, region, region_source)
    if len(parts) > 1:
        findings.append(Finding("parts", f"in {len(parts)} batches of at most {MAX_TASKS} (Zudu's limit), created one after another"))
    findings += window_findings(timing, report, campaign.quiet_hours, context)
    when = describe_instant(timing["trigger_ms"], timing["timezone"] or "UTC", now) if timing["trigger_ms"] else None
    doc = {
        "settings": settings_body,
        "name": campaign.name,
        "mode": timing["mode"],
        "trigger_ms": timing["trigger_ms"],
        "timezone": timing["timezone"],
        "when": when.as_dict() if when else None,
        "schedule": timing["schedule"],
        "recipients": report.kept,
        "parts": len(parts),
        "agent": {"agent_id": agent.agent_id, "name": agent.name},
        "from_number": from_number,
        "problems": {"refused": report.refused, "duplicates": report.duplicates, "by_reason": dict(report.reasons)},
        "do_not_call": report.do_not_call,
        "zones": dict(report.zones),
        "quiet_hours": campaign.quiet_hours.to_wire() if campaign.quiet_hours else None,
        "digest": digest([part.body_hash for part in parts]),
    }
    summary = create_summary(doc, agent, from_number, timing, findings)
    plan = Plan("create_batch_call", ident.intent, summary, findings, doc, parts)
    doc["fields"] = ident.fields
    return plan


def plan_time(campaign: Campaign, context: Context, findings: list[Finding]) -> dict[str, Any]:
    from zudu_mcp.scheduling.defaults import resolve

    settings, now = context.settings, context.now
    trigger, send_now, status, zone = campaign.trigger_timestamp, bool(campaign.send_now), campaign.status, campaign.timezone
    schedule = None
    if campaign.schedule is not None:
        if trigger is not None or send_now:
            raise Refusal(
                f"schedule and {'trigger_timestamp' if trigger is not None else 'send_now'} both say when to call. Send only one of them.", "contradiction"
            )
        resolution = resolve(campaign.schedule, zone, None, SimpleNamespace(settings=settings, now=lambda: now))
        result = resolution.result
        if not isinstance(result, ScheduledTime):
            raise Refusal("\n".join(result.explain()), result.code)
        trigger, schedule = result.unix_ms, result.as_dict()
        if not zone:
            zone = resolution.timezone.value
            findings.append(Finding("zone", f"time zone {zone} ({resolution.timezone.source})"))
        findings += [Finding("time", f"assumed: {assumption.rstrip('.')}") for assumption in result.assumptions]
        if result.alternatives:
            findings.append(Finding("time", "other readings: " + "; ".join(result.alternatives)))
    try:
        check_send_rule(send_now, trigger, status)
        if trigger is not None:
            check_trigger_timestamp(trigger, now)
    except ValueError as exc:
        raise Refusal(str(exc), "time") from None
    if trigger is not None and trigger <= now.timestamp() * 1000:
        when = describe_instant(trigger, zone or "UTC", now)
        raise Refusal(f"trigger_timestamp is in the past ({when.local}, {when.relative}). Send a future time in Unix milliseconds.", "past")
    mode = "draft" if status == "draft" else "now" if send_now or status == "sent" else "scheduled"
    return {
        "trigger_ms": trigger if mode == "scheduled" or trigger else None,
        "send_now": send_now,
        "status": status,
        "timezone": zone,
        "mode": mode,
        "schedule": schedule,
    }


def choose_region(given: str | None, from_number: str, settings: Settings) -> tuple[str | None, str]:
    from zudu_mcp.recipients.phones import InvalidNumber, region_of, valid_region

    if given:
        try:
            return valid_region(given), "given"
        except InvalidNumber as exc:
            raise Refusal(f"default_region: {exc}", "invalid_region") from None
    if settings.default_region:
        return settings.default_region, "ZUDU_DEFAULT_REGION"
    return region_of(from_number), "the region of from_number"


# Fields the plan decides itself (who, when, how many); every other field the campaign and Zudu's
# request share is passed through as given, so a new Zudu field needs only those two models.
DECIDED_BY_THE_PLAN = ("from_number", "name", "agent_id", "tasks", "send_now", "timezone", "trigger_timestamp", "status")


def wire_settings(campaign: Campaign, agent: Agent, from_number: str, timing: dict[str, Any]) -> dict[str, Any]:
    """The request body of every part, without its name and tasks."""
    body: dict[str, Any] = {"from_number": from_number, "agent_id": agent.agent_id, "send_now": timing["send_now"]}
    for key in CreateBatchCallRequest.model_fields:
        value = getattr(campaign, key, None)
        if key not in DECIDED_BY_THE_PLAN and value is not None:
            body[key] = [item.to_wire() for item in value] if isinstance(value, list) else value.to_wire() if hasattr(value, "to_wire") else value
    for key, value in (
        ("timezone", timing["timezone"]),
        ("trigger_timestamp", timing["trigger_ms"] if timing["mode"] == "scheduled" else None),
        ("status", timing["status"]),
    ):
        if value is not None:
            body[key] = value
    return body


def store_parts(tasks: Iterator[dict[str, Any]], store_part: Callable[[Part], None]) -> list[Part]:
    """Groups tasks into parts of at most 1000 and hands each over as soon as it is full."""
    parts: list[Part] = []
    chunk: list[dict[str, Any]] = []

    def flush() -> None:
        text = json.dumps(chunk, ensure_ascii=False, separators=(",", ":"))
        part = Part(len(parts), "", len(chunk), text)
        part.tasks_hash = hashlib.sha256(text.encode()).hexdigest()
        store_part(part)
        part.tasks_json = ""  # the journal has it now
        parts.append(part)

    for task in tasks:
        chunk.append(task)
        if len(chunk) == MAX_TASKS:
            flush()
            chunk = []
    if chunk:
        flush()
    return parts


def without_suppressed(tasks: Iterator[dict[str, Any]], suppressed: Callable[[str], bool], report: RecipientReport) -> Iterator[dict[str, Any]]:
    """Drops numbers on the do-not-call list as they stream; they no longer count as kept (nor in their zone)."""
    from zudu_mcp.recipients.phones import zone_of

    for task in tasks:
        if suppressed(task["to_number"]):
            report.do_not_call += 1
            report.kept -= 1
            zone = zone_of(task["to_number"])
            if zone and report.zones.get(zone):
                report.zones[zone] -= 1
                if not report.zones[zone]:
                    del report.zones[zone]
            continue
        yield task


def part_names(name: str, count: int) -> list[str]:
    if count <= 1:
        return [name]
    base = name[: MAX_NAME_LENGTH - len(f" (part {count} of {count})")]
    return [f"{base} (part {i} of {count})" for i in range(1, count + 1)]


def validate_settings(settings_body: dict[str, Any], name: str, first: Part) -> None:
    """Zudu's documented rules, checked once with the wire model (the tasks were normalised already)."""
    from pydantic import ValidationError

    try:
        CreateBatchCallRequest.model_validate(settings_body | {"name": name, "tasks": [{"to_number": "+10000000000"}]})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors(include_url=False))
        raise Refusal(f"the batch would be refused by Zudu: {problems}", "invalid_arguments") from None


def recipient_findings(report: RecipientReport, source: str, region: str | None, region_source: str) -> list[Finding]:
    found = []
    problems = report.refused + report.duplicates
    if problems:
        shown = ", ".join(f"line {p.line} {quote(p.value, 30)} ({p.reason})" for p in report.examples[:MAX_SHOWN_PROBLEMS])
        more = f" and {problems - MAX_SHOWN_PROBLEMS} more" if problems > MAX_SHOWN_PROBLEMS else ""
        found.append(
            Finding(
                "dropped",
                f"{problems} row{'s' if problems != 1 else ''} of {source} not called ({report.refused} refused, "
                f"{report.duplicates} duplicate{'s' if report.duplicates != 1 else ''}): {shown}{more}",
                warning=True,
            )
        )
    if report.read_with_region:
        found.append(
            Finding(
                "region",
                f"{report.read_with_region} number{'s' if report.read_with_region != 1 else ''} without a country code read as {region} ({region_source})",
            )
        )
    if report.converted_columns:
        found.append(Finding("variables", f"numbers in {', '.join(sorted(report.converted_columns))} sent as text"))
    return found


def window_findings(timing: dict[str, Any], report: RecipientReport, quiet: QuietHours | None, context: Context) -> list[Finding]:
    """Quiet hours and each recipient's local calling window, at the moment dialing starts."""
    if timing["mode"] == "draft":
        return []
    start_ms = timing["trigger_ms"] or int(context.now.timestamp() * 1000)
    return calling_findings(start_ms, dict(report.zones), quiet, context.settings.calling_window, timing["timezone"] or "UTC", context.now)


def calling_findings(start_ms: int, zones: dict[str, int], quiet: QuietHours | dict | None, calling_window: str, zone: str, now: datetime) -> list[Finding]:
    """Shared by create, execute and update: the same words for the same facts."""
    from zudu_mcp.recipients.calling_window import parse_window
    from zudu_mcp.scheduling.quiet_hours import first_call_time

    found = []
    start = datetime.fromtimestamp(start_ms / 1000, tz=UTC)
    if isinstance(quiet, dict):
        quiet = QuietHours.model_validate(quiet)
    if quiet is not None and quiet.enabled:
        found.append(Finding("quiet_hours", f"quiet hours {quiet.start_time}–{quiet.end_time} {quiet.timezone}"))
        first = first_call_time(start, quiet.start_time, quiet.end_time, quiet.timezone)
        if first is not None:
            shown = describe_instant(int(first.timestamp() * 1000), zone, now)
            found.append(Finding("quiet_hours", f"the start falls inside quiet hours: calls first go out at {shown.local}", warning=True))
    opens, closes = parse_window(calling_window)
    outside = []
    from zoneinfo import ZoneInfo

    for name, count in sorted(zones.items(), key=lambda item: -item[1]):
        local = start.astimezone(ZoneInfo(name))
        if not opens <= local.time().replace(tzinfo=None) < closes:
            outside.append((name, count, f"{local:%a %H:%M}"))
    if outside:
        total = sum(count for _, count, _ in outside)
        where = "; ".join(f"{count} in {name} ({local})" for name, count, local in outside[:5])
        found.append(
            Finding(
                "calling_window",
                f"{total} recipient{'s' if total != 1 else ''} would be called outside {opens:%H:%M}-{closes:%H:%M} their local time: {where}",
                warning=True,
            )
        )
    return found


def create_summary(doc: dict[str, Any], agent: Agent, from_number: str, timing: dict[str, Any], findings: list[Finding]) -> str:
    count = doc["recipients"]
    if timing["mode"] == "draft":
        when = "saved as a draft (nobody is called until it is run)"
    elif timing["mode"] == "now":
        when = "starting immediately"
    else:
        when = f"{doc['when']['local']}, {doc['when']['relative']}"
    head = f"{count} call{'s' if count != 1 else ''} from {pretty_number(from_number)} with agent {agent.shown()}, {when}"
    retries = describe_retries(doc["settings"])
    parts = [head] + ([f"retries: {retries}"] if retries != "Zudu's defaults" else []) + [f.text for f in findings]
    return "; ".join(parts) + "."


def pretty_number(e164: str) -> str:
    import phonenumbers

    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def describe_retries(settings_body: dict[str, Any]) -> str:
    config = settings_body.get("retry_config")
    if config is not None and not config.get("enabled", True):
        return "off"
    parts = [f"up to {config['max_attempts']} attempts"] if config else []
    for rule in settings_body.get("retry_rules") or ():
        if not rule.get("enabled", True):
            continue
        timing = rule["retry_timing"]
        when = f"at {timing['time']}" if timing["type"] == "AT" else f"after {timing['duration_minutes']} min"
        parts.append(f"{rule['condition'].replace('_', ' ')} {when}")
    return "; ".join(parts) if parts else "Zudu's defaults"
