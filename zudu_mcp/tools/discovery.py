"""What an assistant needs before it can fill in a batch: the organization's agents and numbers."""

from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

from zudu_mcp.backend import Backend
from zudu_mcp.tools import ToolSpec, annotations, results
from zudu_mcp.untrusted import clean, clean_facts, quote


def list_agents_tool(backend: Backend):
    async def list_agents(page: Annotated[int, Field(ge=0, description="From 0.")] = 0) -> CallToolResult:
        found, agents = await backend.client().list_agents(page=page, limit=AGENTS_PER_PAGE)
        lines = [f"Voice agents ({len(agents)} on page {page}):"] if agents else ["No agents found."]
        lines += [f"- {clean(a.agent_id)} · {quote(a.name or '(no name)', 60)}" + (f" · {quote(a.language, 20)}" if a.language else "") for a in agents]
        if found.has_next_page:
            lines.append(f"More: call list_agents with page={page + 1}.")
        structured = {"agents": [clean_facts(a.model_dump()) for a in agents], "page": page, "has_next_page": found.has_next_page}
        return results.ok("\n".join(lines), structured, sandbox=backend.sandbox)

    return list_agents


def list_phone_numbers_tool(backend: Backend):
    async def list_phone_numbers(
        available: Annotated[bool, Field(description="Only numbers no agent uses.")] = False,
        page: Annotated[int, Field(ge=0, description="From 0.")] = 0,
    ) -> CallToolResult:
        numbers = await backend.client().list_phone_numbers(available=available)
        title = "Your numbers not assigned to any agent" if available else "Your numbers (usable as from_number)"
        shown = numbers[page * NUMBERS_PER_PAGE : (page + 1) * NUMBERS_PER_PAGE]
        lines = [f"{title}: {len(numbers)}" + (f", page {page}" if len(numbers) > NUMBERS_PER_PAGE else "")]
        for number in shown:
            details = [quote(number.nickname, 30) if number.nickname else None, quote(number.country, 10) if number.country else None]
            details.append(f"outbound agent {clean(number.outbound_agent_id)}" if number.outbound_agent_id else None)
            lines.append(f"- {clean(number.phone_number, 20)}" + "".join(f" · {d}" for d in details if d))
        if (page + 1) * NUMBERS_PER_PAGE < len(numbers):
            lines.append(f"More: call list_phone_numbers with page={page + 1}.")
        structured = {"phone_numbers": [clean_facts(n.model_dump()) for n in shown], "total": len(numbers), "page": page}
        return results.ok("\n".join(lines), structured, sandbox=backend.sandbox)

    return list_phone_numbers


AGENTS_PER_PAGE = 15  # what fits in an 8 KB result (the text counts twice: content and structured `message`)
NUMBERS_PER_PAGE = 15


READ = annotations("", read_only=True, destructive=False, idempotent=True)

TOOLS = [
    ToolSpec(list_agents_tool, "Voice agents: id, name, language.", READ.model_copy(update={"title": "List voice agents"})),
    ToolSpec(list_phone_numbers_tool, "Phone numbers (caller ids) and their agents.", READ.model_copy(update={"title": "List phone numbers"})),
]
