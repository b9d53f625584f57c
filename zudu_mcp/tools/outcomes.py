"""Campaign results as tools: the report, calling people again, the do-not-call list, and waiting for the end.

Thin: the join and the report are `zudu_mcp.outcomes`, the list is `zudu_mcp.suppression`, a
follow-up campaign is an ordinary plan (`obtain_plan`) confirmed like any create.
"""

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, TextContent
from pydantic import Field, ValidationError

from zudu_mcp.backend import Backend
from zudu_mcp.campaign import Campaign
from zudu_mcp.consent import check_handle, new_handle, usable
from zudu_mcp.journal import off_loop
from zudu_mcp.outcomes import LABELS, campaign_report, describe, describe_detail
from zudu_mcp.plan import digest
from zudu_mcp.refusal import Refusal
from zudu_mcp.suppression import MAX_NUMBERS, for_backend, read_numbers
from zudu_mcp.tools import ToolSpec, annotations, results
from zudu_mcp.tools.batch_calls import consent_result, delivered_already, obtain_plan
from zudu_mcp.tools.confirmation import next_call
from zudu_mcp.tools.life_cycle import targets
from zudu_mcp.tools.resources import BATCH_URI, watcher
from zudu_mcp.untrusted import quote
from zudu_mcp.zudu.models import MAX_NAME_LENGTH, BatchCallId

Group = Literal["answered", "voicemail", "no_answer", "busy", "failed", "pending"]
Listed = Literal["all", "answered", "voicemail", "no_answer", "busy", "failed", "pending"]
REMOVE = "do_not_call_remove"
MAX_WAIT_SECONDS = 120
POLL_SECONDS, SANDBOX_POLL_SECONDS = 2.0, 0.25
DONE = ("completed", "failed")
BatchIdArgument = Annotated[BatchCallId, Field(description="batch_call_...")]


def batch_report_tool(backend: Backend):
    async def batch_report(
        batch_call_id: BatchIdArgument,
        group: Annotated[Listed, Field(description="Who to list")] = "all",
        page: Annotated[int, Field(description="From 0")] = 0,
        detail_call_ids: Annotated[list[str], Field(max_length=5, description="Transcripts")] = [],  # noqa: B006 (never mutated)
    ) -> CallToolResult:
        found = await targets(backend, batch_call_id)
        await watcher(backend).observed(found.batches)
        name = found.campaign.doc.get("name") if found.campaign else None
        report = await campaign_report(backend.client(), found.batches, name)
        lines, structured = describe(report, backend.now(), group=None if group == "all" else group, page=max(0, min(page, 40)))
        if detail_call_ids:
            said, facts = describe_detail(report, detail_call_ids)
            lines += said
            structured["transcripts"] = facts
        elif report.counts["answered"] or report.counts["voicemail"]:
            lines.append("Transcripts: batch_report with detail_call_ids (the call_id of each person, in the structured groups).")
        if not structured["complete"]:
            lines.append(f"Not finished yet: get_batch_call with wait_seconds waits for it (or subscribe to {BATCH_URI.format(batch_call_id=batch_call_id)}).")
        elif report.counts["no_answer"] or report.counts["busy"]:
            lines.append("To call the people who did not answer again: call_again with outcomes ['no_answer', 'busy'].")
        return results.reply("\n".join(lines), structured, sandbox=backend.sandbox)

    return batch_report


def call_again_tool(backend: Backend):
    async def call_again(
        ctx: Context,
        batch_call_id: BatchIdArgument,
        outcomes: Annotated[list[Group], Field(min_length=1, description="Whom to call")],
        schedule: Annotated[str, Field(max_length=500, description="As said, or ISO")] = "",
        send_now: Annotated[bool, Field(description="Dial at once")] = False,
    ) -> CallToolResult:
        found = await targets(backend, batch_call_id)
        first = found.batches[0]
        earlier = (found.campaign.doc.get("name") if found.campaign else None) or first.name or batch_call_id
        report = await campaign_report(backend.client(), found.batches, earlier)
        chosen = [o for o in report.outcomes if o.outcome in outcomes and o.to_number]
        wanted = ", ".join(LABELS[o] for o in outcomes)
        if not chosen:
            return results.error(
                f"Nobody in {quote(earlier)} is in {wanted}, so there is no one to call again (nothing was planned). batch_report shows who is in each group.",
                sandbox=backend.sandbox,
                code="no_recipients",
            )
        settings = found.campaign.doc.get("settings", {}) if found.campaign else {}
        arguments: dict[str, Any] = {
            "name": f"{earlier[: MAX_NAME_LENGTH - 13]} (call again)",  # update_batch_call renames it
            "agent_id": first.agent_id or settings.get("agent_id"),
            "from_number": first.from_number or settings.get("from_number"),
            "tasks": [{"to_number": o.to_number, "dynamic_variables": o.variables or None} for o in chosen],
            "timezone": first.timezone or settings.get("timezone"),
            "schedule": schedule or None,
            "send_now": send_now or None,
            **{key: settings.get(key) for key in ("quiet_hours", "retry_config", "retry_rules")},
        }
        try:
            campaign = Campaign.model_validate(arguments)
            plan = await obtain_plan(backend, campaign)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)[:3])
            return results.error(f"The follow-up campaign could not be planned: {problems}", sandbox=backend.sandbox, code="invalid_arguments")
        except Refusal as refusal:
            return results.error(f"The follow-up campaign could not be planned: {refusal}", sandbox=backend.sandbox, code=refusal.code)
        if plan.state != "open":
            return await delivered_already(backend, plan)
        result = consent_result(backend, plan, ctx)
        head = f"Follow-up of {quote(earlier)}: the {len(chosen)} recipient{'s' if len(chosen) != 1 else ''} in {wanted}, with their variables where Zudu returned them.\n"
        shown = result.content[0]
        assert isinstance(shown, TextContent)  # results.reply() gives one text block
        shown.text = (head + shown.text) if not backend.sandbox else shown.text.replace("\n", "\n" + head, 1)
        result.structured_content["message"] = shown.text
        result.structured_content["follow_up_of"] = [b.batch_call_id for b in found.batches]
        return result

    return call_again


def do_not_call_tool(backend: Backend):
    async def do_not_call(
        action: Annotated[Literal["add", "remove", "check"], Field(description="What to do")],
        numbers: Annotated[list[str], Field(max_length=MAX_NUMBERS, description="E.164")] = [],  # noqa: B006 (never mutated)
        confirmation_token: Annotated[str, Field(max_length=200, description="For remove")] = "",
    ) -> CallToolResult:
        listing = await off_loop(for_backend, backend)
        if action == "remove" and confirmation_token:
            return await confirm_removal(backend, listing, confirmation_token)
        if not numbers:
            return results.error(f"do_not_call {action}: numbers is required, e.g. ['+919600011957'].", sandbox=None, code="invalid_arguments")
        reading = read_numbers(numbers, backend.settings.default_region)
        refused = "".join(f"\nNot read: {quote(value, 30)} ({why})" for value, why in reading.refused[:5])
        if not reading.numbers:
            return results.error("None of the numbers could be read; send them in E.164 (+ country code)." + refused, sandbox=None, code="invalid_numbers")
        if action == "add":
            added = await off_loop(listing.add, reading.numbers)
            text = (
                f"Added {added} number{'s' if added != 1 else ''} to the do-not-call list"
                + (f" ({len(reading.numbers) - added} were on it already)" if added < len(reading.numbers) else "")
                + ". Every campaign planned from now on skips them."
            )
            return results.reply(text + refused, {"added": added, "numbers": reading.numbers}, sandbox=None)
        where = {n: await off_loop(listing.where, n) for n in reading.numbers}
        if action == "check":
            lines = [
                f"- {n}: " + {"list": "on the do-not-call list", "file": "on the operator's do-not-call file", None: "not listed"}[w] for n, w in where.items()
            ]
            return results.reply("\n".join(lines) + refused, {"listed": {n: w is not None for n, w in where.items()}}, sandbox=None)
        removable = [n for n, w in where.items() if w == "list"]
        notes = [f"{n} is in the operator's file (ZUDU_MCP_DO_NOT_CALL_FILE): only the operator can remove it." for n, w in where.items() if w == "file"]
        notes += [f"{n} is not on the list." for n, w in where.items() if w is None]
        if not removable:
            return results.reply("Nothing to remove. " + " ".join(notes) + refused, {"removed": 0}, sandbox=None)
        return await removal_plan(backend, listing, removable, notes)

    return do_not_call


async def removal_plan(backend: Backend, listing: Any, numbers: list[str], notes: list[str]) -> CallToolResult:
    """Removing means these people may be called again: it is a plan the person confirms, holding hashes, never numbers."""
    journal = backend.journal()
    hashes = sorted(listing.digest(n) for n in numbers)
    intent = digest({"remove": hashes, "account": journal.account})[:40]
    stored = await off_loop(journal.plan_by_intent, REMOVE, intent)
    if stored is None or stored.state != "open":
        handle = new_handle(backend.sandbox)
        summary = (
            f"Remove {len(numbers)} number{'s' if len(numbers) != 1 else ''} ({', '.join(numbers[:10])}) from the do-not-call list: "
            "later campaigns may call them again."
        )
        await off_loop(
            journal.save_plan,
            handle,
            REMOVE,
            intent,
            backend.now().timestamp() + backend.settings.mcp_confirm_ttl_seconds,
            {"summary": summary.replace(", ".join(numbers[:10]), f"{len(numbers)} listed"), "findings": [], "hashes": hashes},
        )
        stored = await off_loop(journal.plan, handle)
        assert stored is not None
        shown = summary
    else:
        shown = stored.doc["summary"]
    call = next_call("do_not_call", stored.handle, ', action="remove"')
    text = f"Nothing was removed yet. {shown}\nOnly after the person confirms, call {call}." + ("\n" + " ".join(notes) if notes else "")
    return results.reply(text, {"needs_confirmation": True, "confirmation_token": stored.handle, "next_call": call}, sandbox=None)


async def confirm_removal(backend: Backend, listing: Any, token: str) -> CallToolResult:
    journal = backend.journal()
    try:
        stored = usable(await off_loop(journal.plan, check_handle(token, sandbox=backend.sandbox)), REMOVE, backend.now())
    except Refusal as refusal:
        return results.error(f"Nothing was removed: {refusal}", sandbox=None, code=refusal.code)
    if stored.state == "done":
        return results.reply("Already removed with this confirmation; nothing changed now.", {"removed": 0}, sandbox=None)
    removed = await off_loop(listing.remove_hashes, stored.doc["hashes"])
    await off_loop(journal.set_plan_state, stored.handle, "done")
    return results.reply(
        f"Removed {removed} number{'s' if removed != 1 else ''} from the do-not-call list: later campaigns may call them.", {"removed": removed}, sandbox=None
    )


async def wait_for(ctx: Context, backend: Backend, batch_call_id: str, timeout_seconds: int) -> CallToolResult:
    """get_batch_call(wait_seconds=...): "tell me when it's done", bounded, with progress while it waits."""
    client, watching = backend.client(), watcher(backend)
    found = await targets(backend, batch_call_id)
    batches = found.batches
    await watching.observed(batches)
    before = [b.status for b in batches]
    waited, interval = 0.0, SANDBOX_POLL_SECONDS if backend.sandbox else POLL_SECONDS
    await ctx.report_progress(0, timeout_seconds, progress_text(batches))
    while not all(s in DONE for s in before) and waited < timeout_seconds:
        step = min(interval, timeout_seconds - waited)
        await backend.sleep(step)  # counts the time slept, never the clock: an injected clock can jump freely
        waited += step
        batches = [await client.get_batch_call(b.batch_call_id) for b in batches]
        await watching.observed(batches)
        await ctx.report_progress(min(waited, timeout_seconds), timeout_seconds, progress_text(batches))
        if [b.status for b in batches] != before:
            break
    statuses = [b.status for b in batches]
    done = all(s in DONE for s in statuses)
    shown = ", ".join(sorted({s or "unknown" for s in statuses}))
    title = found.title()
    if done and waited == 0:
        text = f"{title} is already {shown}."
    elif done:
        text = f"{title} is {shown} (after waiting about {waited:.3g} s)."
    elif statuses != before:
        text = f"{title} changed from {', '.join(sorted({s or 'unknown' for s in before}))} to {shown} (after about {waited:.3g} s)."
    else:
        text = (
            f"Still {shown} after waiting {timeout_seconds} s, the time limit of this wait: {progress_text(batches)}. "
            f"Call get_batch_call with wait_seconds again, or subscribe to {BATCH_URI.format(batch_call_id=batch_call_id)}."
        )
    if done:
        text += " batch_report tells how it went."
    structured = {
        "batch_call_ids": [b.batch_call_id for b in batches],
        "statuses": statuses,
        "completed": done,
        "changed": statuses != before,
        "timed_out": not done and statuses == before,
        "waited_seconds": round(waited, 2),
        "batch_calls": [b.model_dump() for b in batches[:20]],
    }
    return results.reply(text, structured, sandbox=backend.sandbox)


def progress_text(batches: list[Any]) -> str:
    total = sum(b.recipients for b in batches)
    over = sum(b.completed or 0 for b in batches)
    return f"{', '.join(sorted({b.status or 'unknown' for b in batches}))}: {over} of {total} calls over"


TOOLS = [
    ToolSpec(
        batch_report_tool,
        "A campaign's results: reach rate, outcomes, talk time, who, transcripts.",
        annotations("", read_only=True, destructive=False, idempotent=True),
        name="batch_report",
    ),
    ToolSpec(
        call_again_tool,
        "Plan calling a batch's recipients again, by outcome.",
        annotations("", read_only=True, destructive=False, idempotent=True),
        name="call_again",
    ),
    ToolSpec(
        do_not_call_tool,
        "Do-not-call list (every plan skips it): add, check, remove (needs a yes).",
        annotations("", read_only=False, destructive=False, idempotent=True, open_world=False),
        name="do_not_call",
    ),
]
