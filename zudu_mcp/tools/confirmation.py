"""Asking the person before the server dials or deletes (ZUDU_MCP_CONFIRM: auto, elicit, token, off).

The question is always a stored plan's own summary, and what is sent after a yes is that plan.
Elicitation runs as a resolved parameter (the SDK's Resolve pattern), which works in both
protocol eras; on 2026-07-28 the resolver runs again when the client comes back with the
answer, finds the same stored plan by its intent, and so asks the very same question.
Without elicitation the answer is a normal result: the summary, the token, the one next call.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.elicitation import AcceptedElicitation, CancelledElicitation, DeclinedElicitation, ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit, Resolve
from pydantic import BaseModel, Field

from zudu_mcp.backend import Backend
from zudu_mcp.journal import StoredPlan

NOT_ASKED = "not asked"  # what the resolver hands over when the policy or the client rules out a question


class Confirm(BaseModel):
    confirm: bool = Field(description="Yes, go ahead")


def supports_elicitation(ctx: Context) -> bool:
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


@dataclass(frozen=True)
class Decision:
    go: bool
    kind: str  # consent_off, confirmed, token, resumed, declined, needs_confirmation, cannot_ask
    message: str = ""


class Gate:
    """One action's consent: the question from the plan, then the decision from the answer or the token."""

    def __init__(self, backend: Backend, obtain: Callable[[dict[str, Any]], Awaitable[StoredPlan | None]]):
        self.backend = backend

        async def ask(ctx: Context, **arguments: Any) -> Any:
            if backend.settings.mcp_confirm not in ("auto", "elicit") or not supports_elicitation(ctx):
                return NOT_ASKED
            try:
                plan = await obtain(arguments)
            except Exception:  # the tool body reports why the arguments cannot go ahead
                return NOT_ASKED
            if plan is None or plan.state != "open":
                return NOT_ASKED
            return Elicit(f"{plan.doc['summary']}\n\nGo ahead?", Confirm)

        self._ask = ask
        self.parameter = Annotated[ElicitationResult[Confirm], Resolve(ask)]

    def bind(self, tool: Callable[..., Any], names: list[str]) -> Callable[..., Any]:
        """Gives the resolver the tool's argument names (it receives them validated, by name)."""
        self._ask.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
            + [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in names]
        )
        tool.__annotations__["confirmation"] = self.parameter
        return tool

    def decide(self, plan: StoredPlan, outcome: Any, token: str | None) -> Decision:
        policy = self.backend.settings.mcp_confirm
        if plan.state != "open":
            return Decision(True, "resumed")  # consent was given when it was confirmed: a retry resumes or reports
        if policy == "off":
            return Decision(True, "consent_off")
        if isinstance(outcome, AcceptedElicitation) and isinstance(outcome.data, Confirm):
            if outcome.data.confirm:
                return Decision(True, "confirmed")
            return Decision(False, "declined", "The person did not confirm, so nothing was sent.")
        if isinstance(outcome, DeclinedElicitation):
            return Decision(False, "declined", "The person declined, so nothing was sent.")
        if isinstance(outcome, CancelledElicitation):
            return Decision(False, "declined", "The person cancelled the confirmation, so nothing was sent.")
        if token:
            return Decision(True, "token")
        if policy == "elicit":
            return Decision(
                False,
                "cannot_ask",
                "This server asks the person to confirm (ZUDU_MCP_CONFIRM=elicit), but this client cannot show a "
                "confirmation. Nothing was sent. The operator can set ZUDU_MCP_CONFIRM=auto to allow confirmation tokens.",
            )
        return Decision(False, "needs_confirmation")


def next_call(action: str, handle: str, extra: str = "") -> str:
    return f'{action}(confirmation_token="{handle}"{extra})'
