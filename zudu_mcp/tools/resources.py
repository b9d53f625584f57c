"""Resources and prompts: a batch's live state to read, and a plan an assistant follows before creating.

`zudu://batch-calls/{id}` can be subscribed to in both protocol eras: `resources/subscribe` on
2025-11-25 (the SDK serves it when a handler is registered) and `subscriptions/listen` on
2026-07-28 (the SDK's own handler, fed by the bus passed to MCPServer). The server sends
`notifications/resources/updated` when it observes a batch's status change (its completion
included): while get_batch_call waits (wait_seconds), on batch_report and on reads of the resource. It does not
poll Zudu on its own between requests.
"""

import json
import logging
import weakref
from typing import Any

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
6. Afterwards: get_batch_call reports progress (wait_seconds waits for the end); batch_report
   tells how it went and call_again plans the follow-up; update_batch_call with status 'draft' holds it back;
   update_batch_call and execute_batch_call return their own plan and token the same way.
"""


logger = logging.getLogger(__name__)


class Watcher:
    """The last status seen per batch and who listens: a change seen by any request notifies subscribers."""

    def __init__(self) -> None:
        self.bus: Any = None  # the SDK's SubscriptionBus (2026-07-28 listen streams)
        self.sessions: dict[str, list[Any]] = {}  # uri -> 2025-11-25 sessions that subscribed
        self.seen: dict[str, str | None] = {}

    def subscribe(self, uri: str, session: Any) -> None:
        listeners = self.sessions.setdefault(uri, [])
        if session not in listeners:
            listeners.append(session)

    def unsubscribe(self, uri: str, session: Any) -> None:
        if session in self.sessions.get(uri, []):
            self.sessions[uri].remove(session)

    async def observed(self, batches: list[Any]) -> list[str]:
        """Records each batch's status; notifies its resource's subscribers when it changed. Returns the URIs notified."""
        changed = []
        for batch in batches:
            before = self.seen.get(batch.batch_call_id, batch.status)
            self.seen[batch.batch_call_id] = batch.status
            if before != batch.status:
                changed.append(BATCH_URI.format(batch_call_id=batch.batch_call_id))
        for uri in changed:
            await self.notify(uri)
        return changed

    async def notify(self, uri: str) -> None:
        if self.bus is not None:
            from mcp.server.subscriptions import ResourceUpdated

            await self.bus.publish(ResourceUpdated(uri=uri))
        for session in list(self.sessions.get(uri, [])):
            try:
                await session.send_resource_updated(uri)
            except Exception:  # a closed session: forget it
                logger.debug("dropping a closed subscriber of %s", uri)
                self.unsubscribe(uri, session)


_watchers: "weakref.WeakKeyDictionary[Backend, Watcher]" = weakref.WeakKeyDictionary()


def watcher(backend: Backend) -> Watcher:
    if backend not in _watchers:
        _watchers[backend] = Watcher()
    return _watchers[backend]


def register_subscriptions(server: MCPServer, backend: Backend) -> None:
    """The 2025-11-25 resources/subscribe and unsubscribe requests (2026-07-28 uses the SDK's listen handler)."""
    from mcp.types import EmptyResult, SubscribeRequestParams, UnsubscribeRequestParams

    watching = watcher(backend)

    async def subscribe(ctx: Any, params: SubscribeRequestParams) -> EmptyResult:
        watching.subscribe(str(params.uri), ctx.session)
        return EmptyResult()

    async def unsubscribe(ctx: Any, params: UnsubscribeRequestParams) -> EmptyResult:
        watching.unsubscribe(str(params.uri), ctx.session)
        return EmptyResult()

    lowlevel = server._lowlevel_server  # the SDK has no public way to add these two handlers to an MCPServer
    lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, subscribe)
    lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, unsubscribe)


def register(server: MCPServer, backend: Backend) -> None:
    register_subscriptions(server, backend)

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
        await watcher(backend).observed([batch])
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
