"""Asking the person before the server dials or deletes: elicitation where the client can show it,
else a confirmation token from a preview (ZUDU_MCP_CONFIRM: auto, elicit, token, off).

Elicitation runs as a resolved parameter (the SDK's Resolve pattern), which works in both
protocol eras: a standalone request on 2025-11-25, an input-required round trip on 2026-07-28.
The resolver sees the tool's validated arguments by name, so it can put the real summary
("Place 812 calls ...") in the question.
"""

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from mcp.server.elicitation import AcceptedElicitation, CancelledElicitation, DeclinedElicitation, ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit, Resolve
from pydantic import BaseModel, Field

from zudu_mcp.backend import Backend
from zudu_mcp.consent import TokenProblem

NOT_ASKED = "not asked"  # what the resolver hands over when the policy or the client rules out a question


class Confirm(BaseModel):
    confirm: bool = Field(description="Yes, go ahead")


def supports_elicitation(ctx: Context) -> bool:
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


class Gate:
    """One action's consent: builds the question, then decides from the answer or the token."""

    def __init__(
        self,
        backend: Backend,
        action: str,
        summarize: Callable[[dict[str, Any]], Awaitable[str | None]],
        *,
        preview_tool: str | None = None,
    ):
        self.backend = backend
        self.action = action
        self.preview_tool = preview_tool  # where tokens come from; without one, the refusal itself carries a token

        async def ask(ctx: Context, **arguments: Any) -> Any:
            if backend.settings.mcp_confirm not in ("auto", "elicit") or not supports_elicitation(ctx):
                return NOT_ASKED
            summary = await summarize(arguments)
            if summary is None:  # the tool body reports why the arguments cannot go ahead
                return NOT_ASKED
            return Elicit(f"{summary}\n\nGo ahead?", Confirm)

        self._ask = ask
        self.parameter = Annotated[ElicitationResult[Confirm], Resolve(ask)]

    def bind(self, tool: Callable[..., Any]) -> Callable[..., Any]:
        """Gives the resolver the tool's argument names (it receives them validated, by name)."""
        names = [name for name in inspect.signature(tool).parameters if name not in ("ctx", "confirmation")]
        self._ask.__signature__ = inspect.Signature(
            [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
            + [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in names]
        )
        tool.__annotations__["confirmation"] = self.parameter
        return tool

    def refusal(self, outcome: ElicitationResult[Confirm] | None, token: str | None, payload_hash: str, summary: str = "") -> str | None:
        """None when the person agreed (or consent is off); otherwise why nothing was sent.

        `summary` is what the person is asked, for gates that issue their own token (no preview tool).
        """
        policy = self.backend.settings.mcp_confirm
        if policy == "off":
            return None
        if isinstance(outcome, AcceptedElicitation) and isinstance(outcome.data, Confirm):
            return None if outcome.data.confirm else "The person did not confirm, so nothing was sent."
        if isinstance(outcome, DeclinedElicitation):
            return "The person declined, so nothing was sent."
        if isinstance(outcome, CancelledElicitation):
            return "The person cancelled the confirmation, so nothing was sent."
        if policy == "elicit":
            return (
                "This server asks the person to confirm (ZUDU_MCP_CONFIRM=elicit), but this client cannot show a "
                "confirmation. Nothing was sent. The operator can set ZUDU_MCP_CONFIRM=auto to allow preview tokens."
            )
        if not token:
            if self.preview_tool:
                return (
                    f"Nothing was sent: this needs the person's confirmation. Call {self.preview_tool} with the same arguments, "
                    f"read its summary to the person, and after a clear yes call {self.action} again with its confirmation_token."
                )
            return self.ask_for_token(payload_hash, summary)
        try:
            nonce = self.backend.tokens().check(token, self.action, payload_hash)
        except TokenProblem as problem:
            return f"Nothing was sent: {problem.message}"
        if not self.backend.journal().use_token(nonce):
            return "Nothing was sent: confirmation_token was already used. Preview again and confirm with the person."
        return None

    def ask_for_token(self, payload_hash: str, summary: str) -> str:
        token, _ = self.backend.tokens().issue(self.action, payload_hash)
        return (
            f"Nothing was sent yet: this needs the person's confirmation. Read this to them:\n{summary}\n"
            f"If they agree, call {self.action} again with the same arguments and confirmation_token=\"{token}\"."
        )
