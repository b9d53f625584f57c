"""Resources and prompts: a batch's live state to read, and a plan an assistant follows before creating."""

import json

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError

from zudu_mcp.backend import Backend
from zudu_mcp.tools.life_cycle import progress_report
from zudu_mcp.zudu.errors import ZuduError
from zudu_mcp.zudu.models import check_batch_call_id

BATCH_URI = "zudu://batch-calls/{batch_call_id}"

PLAN = """\
Plan an outbound voice campaign on Zudu{goal}. Ask the person whenever something is missing;
never guess a phone number, an agent or a time.

1. Agent and caller: list_agents and list_phone_numbers; agree on the agent (its id or exact
   name) and the caller number (it may be left out when the organization has only one).
2. Recipients: inline tasks for a few people; recipients_csv or recipients_file for a list.
3. Time: take the person's words; resolve_schedule shows the reading and its assumptions.
   Ask about quiet hours (e.g. 22:00-08:00) and retries per outcome (no_answer, busy, voicemail).
4. Plan: call preview_batch_call with all of it (schedule in the person's words). It sends
   nothing and returns a summary with every assumption and a confirmation_token.
5. Consent: if this client can show a confirmation, call create_batch_call(confirmation_token=...)
   now and the person is asked there. Otherwise read the summary to the person, word for word on
   the time, the number of people and every warning, and only after a clear yes call
   create_batch_call(confirmation_token=...). Never ask twice.
6. Afterwards: get_batch_call reports progress; hold_batch_call holds a scheduled campaign back;
   update_batch_call and execute_batch_call return their own plan and token the same way.
"""


def register(server: MCPServer, backend: Backend) -> None:
    @server.resource(
        BATCH_URI,
        name="batch_call",
        title="Batch call state",
        description="The current state of one batch call: a progress report and Zudu's batch object.",
        mime_type="application/json",
    )
    async def batch_call(batch_call_id: str) -> str:
        try:
            check_batch_call_id(batch_call_id)
            batch = await backend.client().get_batch_call(batch_call_id)
        except (ValueError, ZuduError) as exc:
            raise ResourceError(str(exc)) from None
        report = progress_report(batch, backend)
        return json.dumps({"sandbox": backend.sandbox, "report": report, "batch_call": batch.model_dump()}, ensure_ascii=False)

    @server.resource(
        "zudu://journal",
        name="journal",
        title="Request journal",
        description="The latest requests this server sent (or was about to send) to Zudu, and what became of each.",
        mime_type="text/plain",
    )
    def journal() -> str:
        from zudu_mcp.journal import describe_entry

        entries = backend.journal().recent(30)
        lines = [describe_entry(entry) for entry in entries] or ["No requests recorded yet."]
        return "\n".join(lines)

    @server.prompt(
        name="plan_outbound_campaign",
        title="Plan an outbound campaign",
        description="Walks through agent, number, recipients, time, quiet hours, retries and a read-back before creating a batch call.",
    )
    def plan_outbound_campaign(goal: str = "") -> str:
        return PLAN.format(goal=f" for: {goal.strip()}" if goal.strip() else "")
