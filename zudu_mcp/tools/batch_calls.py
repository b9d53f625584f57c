"""Plan and create batch calls: two calls for the main job, preview (the plan) and confirm (send exactly it).

The tools parse arguments into the one `Campaign` model, ask the domain for a stored plan,
let the consent gate decide, hand the plan to delivery, and format what happened.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp.types import CallToolResult
from pydantic import ConfigDict, Field

from zudu_mcp.backend import Backend
from zudu_mcp.campaign import CAMPAIGN_FIELDS, Campaign
from zudu_mcp.consent import check_handle, new_handle, usable
from zudu_mcp.delivery import Delivery, Options, PartResult, Stopped, deliver
from zudu_mcp.journal import Journal, StoredPlan, off_loop
from zudu_mcp.plan import Context as PlanContext
from zudu_mcp.plan import Identity, choose_agent, choose_caller, describe_retries, digest, field_hashes, identity, intent_of, plan_create
from zudu_mcp.refusal import Refusal
from zudu_mcp.scheduling.instants import describe_instant
from zudu_mcp.tools import ToolSpec, results
from zudu_mcp.tools import annotations as hints
from zudu_mcp.tools.confirmation import Gate, next_call
from zudu_mcp.untrusted import quote
from zudu_mcp.zudu.errors import ZuduError

ACTION, RESEND = "create_batch_call", "resend_part"
CREATE_ANNOTATIONS = hints("Create a batch call (dials real people)", read_only=False, destructive=True, idempotent=False)
PREVIEW_ANNOTATIONS = hints("Plan a batch call (nothing is sent)", read_only=True, destructive=False, idempotent=True)

PREVIEW_DESCRIPTION = """Plan a batch call (an AI voice agent phones each recipient); nothing is sent. Returns the
summary to read to the person, with every assumption, and a confirmation_token for
create_batch_call. Long lists: recipients_csv or recipients_file."""

CREATE_DESCRIPTION = """Send the plan from preview_batch_call after the person's yes: real, billable calls.
Exactly that plan is sent. Repeating the call after an error is safe."""

CREATE_UNATTENDED = """Create a batch call at once (unattended server): real, billable calls. Same arguments as
preview_batch_call. Repeating the call after an error is safe."""


class PreviewArguments(Campaign, ArgModelBase):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


class CreateArguments(Campaign, ArgModelBase):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    confirmation_token: str | None = Field(default=None, max_length=200, description="From preview_batch_call.")
    allow_duplicate: bool | None = Field(default=None, description="Create again although an identical one exists.")
    resend_unconfirmed: bool | None = Field(default=None, description="Only when a result says so.")


CONTROL_FIELDS = ("confirmation_token", "allow_duplicate", "resend_unconfirmed")


def read_rows(backend: Backend):
    """How the plan reads a list: inline, CSV text, or a file inside the allowed folders (errors are refusals)."""

    def read(kind: str, value: Any, phone_column: str | None):
        from zudu_mcp.recipients.sources import FileAccess, read_csv_text, read_file, rows_from_tasks

        if kind == "tasks":
            return rows_from_tasks(value), "the inline tasks"
        if kind == "recipients_csv":
            return read_csv_text(value, phone_column), "the CSV"
        access = FileAccess(backend.settings.file_roots, backend.settings.mcp_max_file_mb * 1_048_576)
        return read_file(value, access, phone_column), f"file {quote(value, 60)}"

    return read


async def obtain_plan(backend: Backend, campaign: Campaign, *, again: bool = False) -> StoredPlan:
    """The stored plan of this intent (the same arguments mean the same plan at any hour), else a new one.

    Two trips to a worker thread, not six: one to name the intent and look for its plan, one to
    build, store and read back the new plan (each trip costs a wake-up of the event loop).
    """
    journal = backend.journal()

    def look_up() -> tuple[dict[str, Any], Identity, StoredPlan | None]:
        given = campaign.given()  # once: the plan reuses it (1,000 recipients cost as much to dump as to read)
        ident = identity(ACTION, journal.account, given)
        return given, ident, journal.plan_by_intent(ACTION, ident.intent)

    given, ident, existing = await off_loop(look_up)
    if existing is not None and not (again and existing.state == "done"):
        return existing
    client = backend.client()
    agents = None
    try:
        _, agents = await client.list_agents(limit=100)
    except ZuduError:
        pass  # an id still works; a name needs the list
    agent = choose_agent(campaign.agent_id, agents)
    numbers = None
    if not campaign.from_number:
        try:
            numbers = [n.phone_number for n in await client.list_phone_numbers()]
        except ZuduError:
            numbers = None
    from_number, caller_note = choose_caller(campaign.from_number, numbers)
    now = backend.now()
    handle = new_handle(backend.sandbox)
    expires = now.timestamp() + backend.settings.mcp_confirm_ttl_seconds

    def build() -> StoredPlan:
        from zudu_mcp.suppression import for_backend

        context = PlanContext(now, journal.account, backend.settings, read_rows(backend), for_backend(backend).checker())
        journal.save_plan(handle, ACTION, "building:" + handle, expires, {}, state="building")
        try:
            plan = plan_create(
                campaign,
                agent,
                from_number,
                caller_note,
                context,
                lambda part: journal.add_part(handle, part.index, part.count, part.tasks_json),
                given=given,
                ident=ident,
            )
        except BaseException:
            journal.drop_plan(handle)
            raise
        if again and existing is not None:
            plan.intent = intent_of(ACTION, journal.account, given | {"again_after": existing.handle})
        doc = plan.doc | {"summary": plan.summary, "findings": [f.as_dict() for f in plan.findings]}
        journal.finish_plan(handle, plan.intent, doc, [(p.index, p.name, p.body_hash) for p in plan.parts])
        stored = journal.plan(handle)
        assert stored is not None
        return stored

    try:
        return await off_loop(build)  # reading and normalising a list never stalls other requests
    except Exception as exc:
        refusal = reading_refusal(exc)
        if refusal is None:
            raise
        raise refusal from None


def reading_refusal(exc: Exception) -> Refusal | None:
    """A list that could not be read, said without a path or a traceback."""
    from zudu_mcp.recipients.sources import ListError

    if isinstance(exc, ListError):
        return Refusal(str(exc), "recipients")
    if isinstance(exc, OSError):  # its text may hold a path outside what the assistant may see
        return Refusal(f"could not read the recipients file ({exc.strerror or type(exc).__name__}).", "recipients")
    if isinstance(exc, UnicodeError | RecursionError) or type(exc) is ValueError:
        return Refusal(f"could not read the recipients: {type(exc).__name__}", "recipients")
    return None


def consent_result(backend: Backend, plan: StoredPlan, ctx: Context | None, *, sent_now: bool = False) -> CallToolResult:
    """A normal result, not an error: the summary to read, the token, and the one next call."""
    from zudu_mcp.tools.confirmation import supports_elicitation

    doc = plan.doc
    expiry = describe_instant(int(plan.expires_at * 1000), doc.get("timezone") or "UTC", backend.now())
    call = next_call(ACTION, plan.handle)
    policy = backend.settings.mcp_confirm
    lines = ["Nothing has been sent. Plan:", doc["summary"], ""]
    if policy == "off":
        lines.append(f"This server sends without asking (ZUDU_MCP_CONFIRM=off): {call} sends exactly this plan.")
    elif policy in ("auto", "elicit") and ctx is not None and supports_elicitation(ctx):
        lines.append(f"Call {call}: this client will ask the person to approve exactly this summary (do not ask them twice).")
    else:
        lines.append(f"Read this to the person. After a clear yes, call {call} (no other arguments needed; valid until {expiry.local}).")
    structured = {
        "needs_confirmation": policy != "off",
        "confirmation_token": plan.handle,
        "expires_unix_ms": int(plan.expires_at * 1000),
        "next_call": call,
        "plan": plan_facts(plan),
    }
    return results.reply("\n".join(lines), structured, sandbox=backend.sandbox)


def plan_facts(plan: StoredPlan, *, words: bool = True) -> dict[str, Any]:
    """`words=False` leaves out the summary and the findings' texts: a result whose message says them already stays small."""
    doc = plan.doc
    facts = (
        {"summary": doc["summary"], "findings": doc["findings"]}
        if words
        else {"findings": [{"kind": f["kind"], "warning": f["warning"]} for f in doc["findings"]]}
    )
    return facts | {
        "when": doc.get("when"),
        "mode": doc.get("mode"),
        "recipients": doc.get("recipients"),
        "parts": doc.get("parts"),
        "agent": doc.get("agent"),
        "from_number": doc.get("from_number"),
        "problems": doc.get("problems"),
    }


def preview_batch_call_tool(backend: Backend):
    async def preview_batch_call(ctx: Context, **arguments: Any) -> CallToolResult:
        campaign = Campaign.model_construct(**{key: arguments.get(key) for key in CAMPAIGN_FIELDS})
        try:
            plan = await obtain_plan(backend, campaign)
        except Refusal as refusal:
            return results.error(f"This batch call could not be planned: {refusal}", sandbox=backend.sandbox, code=refusal.code)
        if plan.state != "open":
            return await delivered_already(backend, plan)
        return consent_result(backend, plan, ctx)

    return preview_batch_call, PreviewArguments, None


def create_batch_call_tool(backend: Backend):
    async def obtain_for(arguments: dict[str, Any]) -> StoredPlan | None:
        token = arguments.get("confirmation_token")
        if token:
            return await off_loop(backend.journal().plan, check_handle(token, sandbox=backend.sandbox))
        campaign = Campaign.model_construct(**{key: arguments.get(key) for key in CAMPAIGN_FIELDS})
        return await obtain_plan(backend, campaign, again=bool(arguments.get("allow_duplicate")))

    gate = Gate(backend, obtain_for)

    async def create_batch_call(ctx: Context, confirmation: Any = None, **arguments: Any) -> CallToolResult:
        token = arguments.get("confirmation_token")
        campaign = Campaign.model_construct(**{key: arguments.get(key) for key in CAMPAIGN_FIELDS})
        journal = backend.journal()
        client = backend.client()  # missing credentials are said before anything else
        resend = False
        try:
            if token:
                found = await off_loop(journal.plan, check_handle(token, sandbox=backend.sandbox))
                stored = usable(found, RESEND if found is not None and found.action == RESEND else ACTION, backend.now())
                if stored.action == RESEND:
                    resend, target = True, await off_loop(journal.plan, stored.doc["target"])
                    if target is None:
                        raise Refusal("the plan this resend belongs to is gone.", "unknown_token")
                    decision = gate.decide(stored, confirmation, token)
                    if not decision.go:
                        return refused_consent(backend, stored, decision, ctx)
                    await off_loop(journal.set_plan_state, stored.handle, "done")
                    stored = target
                else:
                    check_same(campaign, stored)
            else:
                stored = await obtain_plan(backend, campaign, again=bool(arguments.get("allow_duplicate")))
        except Refusal as refusal:
            return results.error(f"create_batch_call was not run (nothing was sent): {refusal}", sandbox=backend.sandbox, code=refusal.code)
        if not resend:
            decision = gate.decide(stored, confirmation, token)
            if not decision.go:
                return refused_consent(backend, stored, decision, ctx)
            if stored.state == "done":
                return await delivered_already(backend, stored, by_token=bool(token))
            if stored.state == "open":
                passed = start_passed(backend, stored)
                if passed is not None:
                    await off_loop(journal.set_plan_state, stored.handle, "void", only_from=("open",))
                    return results.error(passed, sandbox=backend.sandbox, code="start_passed")
                stored = await off_loop(confirm, journal, stored)
        return await send(backend, client, stored, ctx, resend=resend or bool(arguments.get("resend_unconfirmed") and backend.settings.mcp_confirm == "off"))

    names = [*CAMPAIGN_FIELDS, *CONTROL_FIELDS]
    return gate.bind(create_batch_call, names), CreateArguments, gate.parameter


def confirm(journal: Journal, stored: StoredPlan) -> StoredPlan:
    """The plan to deliver: this one, confirmed now; else the identical plan already being delivered (this one is then void)."""
    if journal.set_plan_state(stored.handle, "confirmed", only_from=("open",)):
        return stored
    other = journal.plan_by_intent(ACTION, stored.intent)
    if other is not None and other.handle != stored.handle:
        journal.set_plan_state(stored.handle, "void", only_from=("open",))
    return other or journal.plan(stored.handle) or stored


def check_same(campaign: Campaign, stored: StoredPlan) -> None:
    """Arguments sent with a token must be the plan's own; the plan holds the rest."""
    sent, planned = field_hashes(campaign.given()), stored.doc.get("fields", {})
    different = sorted(key for key, value in sent.items() if planned.get(key) != value)
    if different:
        raise Refusal(
            f"{', '.join(different)} differ{'s' if len(different) == 1 else ''} from the confirmed plan. Send only confirmation_token "
            "to send the plan as the person approved it, or call preview_batch_call with the new arguments and confirm that summary.",
            "plan_mismatch",
        )


def start_passed(backend: Backend, stored: StoredPlan) -> str | None:
    trigger = stored.doc.get("trigger_ms")
    now = backend.now()
    if trigger is not None and trigger <= now.timestamp() * 1000:
        when = describe_instant(trigger, stored.doc.get("timezone") or "UTC", now)
        return (
            f"Nothing was sent: the approved start ({when.local}) has passed ({when.relative}). The server never moves an approved "
            "time on its own: preview again with a new time and confirm that summary with the person."
        )
    return None


def refused_consent(backend: Backend, stored: StoredPlan, decision: Any, ctx: Context | None) -> CallToolResult:
    if decision.kind == "needs_confirmation":
        if stored.action == RESEND:
            return resend_result(backend, stored)
        return consent_result(backend, stored, ctx)
    if decision.kind == "declined":
        return results.reply(decision.message, {"sent": False, "declined": True}, sandbox=backend.sandbox)
    return results.error(decision.message, sandbox=backend.sandbox, code=decision.kind)


async def delivered_already(backend: Backend, stored: StoredPlan, *, by_token: bool = False) -> CallToolResult:
    parts = await off_loop(backend.journal().parts, stored.handle)
    all_ids = [p.batch_call_id for p in parts if p.batch_call_id]
    ids, hidden = ends(all_ids)
    made = describe_instant(int(stored.created_at * 1000), stored.doc.get("timezone") or "UTC", backend.now())
    head = "Already created with this confirmation" if by_token else "Not created again: an identical create already made"
    shown = ", ".join(ids[:SHOWN_FIRST] + ([f"... {hidden} more"] if hidden else []) + ids[SHOWN_FIRST:])
    lines = [f"{head} ({made.relative}): {shown}. Nothing was sent now.", "get_batch_call shows its progress; allow_duplicate: true creates another campaign."]
    if hidden:
        lines.append(f"All {len(all_ids)} parts: {rest_of(stored.doc.get('name') or '')}.")
    from zudu_mcp.zudu.models import BatchCall

    batches = [BatchCall.model_validate(p.batch) for p in ends([p for p in parts if p.batch])[0]]
    dumps = [batch.model_dump() for batch in batches] if len(all_ids) <= 1 else [brief(batch) for batch in batches]
    return results.reply(
        "\n".join(lines),
        {
            "duplicates": ids,
            "batch_call": batches[0].model_dump() if batches else None,
            "batch_calls": dumps,
            "parts": {"total": len(parts), "shown": len(ids)},
        },
        sandbox=backend.sandbox,
    )


async def send(backend: Backend, client: Any, stored: StoredPlan, ctx: Context, *, resend: bool) -> CallToolResult:
    journal = backend.journal()

    async def progress(done: int, total: int) -> None:
        await ctx.report_progress(done, total, f"created {done} of {total} parts")

    settings = backend.settings
    options = Options(
        lease_seconds=max(10.0, settings.timeout_seconds),
        settle_seconds=settings.mcp_settle_seconds,
        wait_seconds=settings.mcp_wait_seconds,
        resend_unknown=resend,
        progress=progress,
    )
    try:
        delivery = await deliver(stored, client, journal, options)
    except Stopped as stop:
        return await describe_stopped(backend, stored, stop.delivery)
    await off_loop(journal.set_plan_state, stored.handle, "done")
    text, structured = describe_created(backend, stored, delivery)
    return results.reply(text, structured, sandbox=backend.sandbox)


def describe_created(backend: Backend, stored: StoredPlan, delivery: Delivery) -> tuple[str, dict[str, Any]]:
    doc = stored.doc
    created = delivery.batches
    first = created[0]
    zone = first.timezone or doc.get("timezone") or "UTC"
    earlier = [p for p in delivery.parts if p.status in ("existing", "found")]
    if len(created) == 1:
        verb = "Not created again: an identical create already made" if earlier and earlier[0].status == "existing" else "Batch call created:"
        lines = [f"{verb} {first.batch_call_id} {quote(first.name or doc['name'])}", f"Status: {first.status or 'unknown'}"]
    else:
        lines = [f"Created {len(created)} batch calls for {doc['recipients']} recipients (Zudu takes at most 1000 per batch):"]
        made = [part for part in delivery.parts if part.batch]
        shown, hidden = ends(made)
        for part in shown:
            lines.append(
                f"- {part.batch.batch_call_id} {quote(part.batch.name)}: {part.count} recipients, {part.batch.status}"
                + (" (existed already)" if part.status in ("existing", "found") else "")
            )
            if hidden and part is shown[SHOWN_FIRST - 1]:
                lines.append(f"- ... {hidden} more batches: {rest_of(doc['name'])}")
    start = None
    if (first.status or "") == "draft":
        lines.append("When: not scheduled; it is a draft and dials nobody until it is executed.")
    elif first.scheduled_timestamp:
        start = describe_instant(first.scheduled_timestamp, zone, backend.now())
        lines.append(f"When: {start.local}, {start.relative}; UTC {start.utc}")
    if doc.get("schedule"):
        lines.append(f"  From {doc['schedule']['input']!r}.")
    lines.append(f"Recipients: {doc['recipients']}, calling from {first.from_number or doc['from_number']}")
    agent = doc["agent"]
    lines.append(f"Agent: {quote(agent['name'], 60) + ' ' if agent.get('name') else ''}{first.agent_id or agent['agent_id']}")
    lines.append(f"Retries: {describe_retries(doc['settings'])}")
    quiet = doc["settings"].get("quiet_hours")
    lines.append(
        "Quiet hours: "
        + (f"{quiet['start_time']}–{quiet['end_time']} {quiet['timezone']} (no calls in this window)" if quiet and quiet.get("enabled", True) else "none")
    )
    lines += [
        ("Warning: " if f["warning"] else "Note: ") + f["text"].rstrip(".") + "." for f in doc["findings"] if f["kind"] not in ("quiet_hours",) or f["warning"]
    ]
    shown_batches, hidden = ends(created)
    structured = {
        "duplicates": [p.batch.batch_call_id for p in earlier if p.batch][:SHOWN_FIRST],
        "batch_call": first.model_dump(),
        "batch_calls": [b.model_dump() if len(created) == 1 else brief(b) for b in shown_batches],
        "parts": {
            "total": len(delivery.parts),
            "created": len(created),
            "existed": len(earlier),
            "shown": len(shown_batches),
            "rest": rest_of(doc["name"]) if hidden else None,
        },
        "start": start.as_dict() if start else None,
        "schedule": doc.get("schedule"),
        "plan": plan_facts(stored, words=False),  # the message has every finding's words
    }
    return "\n".join(lines), structured


async def describe_stopped(backend: Backend, stored: StoredPlan, delivery: Delivery) -> CallToolResult:
    """Part by part: what exists, what failed, what may exist, and the one safe next step."""
    token = stored.handle
    stuck = next(p for p in delivery.parts if p.batch is None and p.status != "not_sent")
    lines = []
    if len(delivery.parts) > 1:
        lines.append(f"Campaign {quote(stored.doc['name'])}: {len(delivery.batches)} of {len(delivery.parts)} batches exist.")
        lines += stopped_lines(delivery, stuck, stored.doc["name"])
    retry = next_call(ACTION, token)
    statuses: dict[str, int] = {}
    for part in delivery.parts:
        statuses[part.status] = statuses.get(part.status, 0) + 1
    structured: dict[str, Any] = {
        "parts": [
            {"index": p.index, "status": p.status, "batch_call_id": p.batch.batch_call_id if p.batch else None, "error": p.error}
            for p in telling_parts(delivery, stuck)
        ],
        "part_counts": statuses,
        "retry_call": retry,
        "confirmation_token": token,
    }
    if stuck.status == "failed":
        lines.insert(0, f"Zudu did not create {quote(stuck.name)}: {stuck.error}")
        lines.append(f"Nothing else was sent. Fix the cause, then {retry} resumes: parts that exist are not sent again.")
        return results.reply("\n".join(lines), structured, sandbox=backend.sandbox, error=True, code="failed")
    if stuck.status in ("waiting", "settling"):
        at = describe_instant(int((stuck.retry_at or 0) * 1000), stored.doc.get("timezone") or "UTC", backend.now())
        why = "another request is sending it right now" if stuck.status == "waiting" else "Zudu may still be creating it after the last attempt"
        lines.insert(0, f"Not sent again: {quote(stuck.name)} may already exist ({why}). Nothing was sent now.")
        lines.append(f"Ask again after {at.local} ({at.relative}) with {retry}: the server then looks for it at Zudu first.")
        structured["retry_at_unix_ms"] = int((stuck.retry_at or 0) * 1000)
        return results.reply("\n".join(lines), structured, sandbox=backend.sandbox, error=True, code=stuck.status)
    # unknown: it may exist at Zudu and the list does not show it (yet)
    lines.insert(0, f"{stuck.error or 'No answer came back'}" if stuck.error else "No answer came back.")
    lines.insert(
        1,
        f"Whether Zudu created {quote(stuck.name)} is unknown, so nothing was sent again. Calling {retry} again is safe: "
        "the server looks for the batch at Zudu before anything is sent again.",
    )
    if stuck.status == "unconfirmed":
        resend = await off_loop(resend_plan, backend, stored, stuck)
        lines.append(
            f"If list_batch_calls shows no such batch and the person accepts that up to {stuck.count} people may be called twice, "
            f"the explicit resend is {next_call(ACTION, resend.handle)}"
            + (" (or resend_unconfirmed: true)" if backend.settings.mcp_confirm == "off" else "")
            + "."
        )
        structured["resend_token"] = resend.handle
    return results.reply("\n".join(lines), structured, sandbox=backend.sandbox, error=True, code="unknown")


SHOWN_FIRST, SHOWN_LAST = 3, 2  # a result names the first and last parts of a long campaign, and where the rest are


def ends(items: list[Any]) -> tuple[list[Any], int]:
    """The first and last few items, and how many lie between: results stay small at 300 parts."""
    if len(items) <= SHOWN_FIRST + SHOWN_LAST:
        return items, 0
    return items[:SHOWN_FIRST] + items[-SHOWN_LAST:], len(items) - SHOWN_FIRST - SHOWN_LAST


def rest_of(name: str) -> str:
    return f"list_batch_calls(name={quote(name, 80)}) lists every part, page by page"


def brief(batch: Any) -> dict[str, Any]:
    """One part of a long campaign in structured content: what identifies it, not Zudu's whole object."""
    return {
        "batch_call_id": batch.batch_call_id,
        "name": batch.name,
        "status": batch.status,
        "total_task_count": batch.total_task_count,
        "scheduled_timestamp": batch.scheduled_timestamp,
    }


def telling_parts(delivery: Delivery, stuck: PartResult) -> list[PartResult]:
    """The parts a stopped create names: the first and last that exist, the one that stopped, the first not sent."""
    made = [part for part in delivery.parts if part.batch]
    unsent = [part for part in delivery.parts if part.status == "not_sent"]
    if len(delivery.parts) <= SHOWN_FIRST + SHOWN_LAST + 2:
        return delivery.parts
    chosen = ends(made)[0] + [stuck] + unsent[:1]
    return sorted({part.index: part for part in chosen}.values(), key=lambda part: part.index)


def stopped_lines(delivery: Delivery, stuck: PartResult, name: str) -> list[str]:
    if len(delivery.parts) <= SHOWN_FIRST + SHOWN_LAST + 2:  # short: every part by name
        return [f"- part {part.index + 1} {quote(part.name)}: " + describe_part(part) for part in delivery.parts]
    lines, last = [], -1
    unsent = sum(1 for part in delivery.parts if part.status == "not_sent")
    for part in telling_parts(delivery, stuck):
        if part.index > last + 1 and part.status != "not_sent":
            lines.append(f"- ... parts {last + 2}-{part.index} exist: {rest_of(name)}")
        if part.status == "not_sent":
            lines.append(f"- parts {part.index + 1}-{len(delivery.parts)} ({unsent}): not sent")
            break
        lines.append(f"- part {part.index + 1} {quote(part.name)}: " + describe_part(part))
        last = part.index
    return lines


def describe_part(part: PartResult) -> str:
    return {
        "created": "created",
        "found": "found at Zudu",
        "existing": "existed already",
        "failed": f"failed: {part.error}",
        "unknown": "may exist (outcome unknown)",
        "unconfirmed": "may exist (not found at Zudu yet)",
        "waiting": "being sent by another request",
        "settling": "may still be created by Zudu",
        "not_sent": "not sent",
    }[part.status] + (f" ({part.batch.batch_call_id})" if part.batch else "")


def resend_plan(backend: Backend, stored: StoredPlan, part: PartResult) -> StoredPlan:
    """The explicit, confirmed resend of a part whose outcome is unknown: its own plan, naming the risk (blocking: run off the loop)."""
    journal = backend.journal()
    intent = digest({"resend": stored.handle, "part": part.index})[:40]
    existing = journal.plan_by_intent(RESEND, intent)
    if existing is not None and existing.state == "open" and existing.expires_at > backend.now().timestamp():
        return existing
    handle = new_handle(backend.sandbox)
    summary = (
        f"Send {quote(part.name)} to Zudu again although an earlier attempt may have created it: if it did, up to {part.count} people will be called twice."
    )
    journal.save_plan(
        handle,
        RESEND,
        intent,
        backend.now().timestamp() + backend.settings.mcp_confirm_ttl_seconds,
        {"summary": summary, "findings": [], "target": stored.handle, "name": part.name},
    )
    plan = journal.plan(handle)
    assert plan is not None
    return plan


def resend_result(backend: Backend, stored: StoredPlan) -> CallToolResult:
    call = next_call(ACTION, stored.handle)
    text = f"Nothing has been sent. {stored.doc['summary']}\nOnly after the person accepts that risk, call {call}."
    return results.reply(text, {"needs_confirmation": True, "confirmation_token": stored.handle, "next_call": call}, sandbox=backend.sandbox)


TOOLS = [
    ToolSpec(preview_batch_call_tool, PREVIEW_DESCRIPTION, PREVIEW_ANNOTATIONS, name="preview_batch_call"),
    ToolSpec(create_batch_call_tool, CREATE_DESCRIPTION, CREATE_ANNOTATIONS, name="create_batch_call"),
]
