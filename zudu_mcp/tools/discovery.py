"""What an assistant needs before it can fill in a batch: the organization's agents and numbers."""

from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

from zudu_mcp.backend import Backend
from zudu_mcp.tools import ToolSpec, annotations, results


def list_agents_tool(backend: Backend):
    async def list_agents(page: Annotated[int, Field(ge=0, description="From 0.")] = 0) -> CallToolResult:
        found, agents = await backend.client().list_agents(page=page, limit=50)
        lines = [f"Voice agents ({len(agents)} on page {page}):"] if agents else ["No agents found."]
        lines += [f"- {a.agent_id} · {a.name or '(no name)'}" + (f" · {a.language}" if a.language else "") for a in agents]
        if found.has_next_page:
            lines.append(f"More: call list_agents with page={page + 1}.")
        structured = {"agents": [a.model_dump() for a in agents], "page": page, "has_next_page": found.has_next_page}
        return results.ok("\n".join(lines), structured, sandbox=backend.sandbox)

    return list_agents


def list_phone_numbers_tool(backend: Backend):
    async def list_phone_numbers(
        available: Annotated[bool, Field(description="true: only numbers not assigned to any agent.")] = False,
    ) -> CallToolResult:
        numbers = await backend.client().list_phone_numbers(available=available)
        title = "Your numbers not assigned to any agent" if available else "Your numbers (usable as from_number)"
        lines = [f"{title}: {len(numbers)}"]
        for number in numbers[:100]:
            details = [number.nickname, number.country, f"outbound agent {number.outbound_agent_id}" if number.outbound_agent_id else None]
            lines.append(f"- {number.phone_number}" + "".join(f" · {d}" for d in details if d))
        if len(numbers) > 100:
            lines.append(f"... and {len(numbers) - 100} more (the first 100 are shown).")
        return results.ok("\n".join(lines), {"phone_numbers": [n.model_dump() for n in numbers[:100]], "total": len(numbers)}, sandbox=backend.sandbox)

    return list_phone_numbers


READ = annotations("", read_only=True, destructive=False, idempotent=True)

TOOLS = [
    ToolSpec(list_agents_tool, "The organization's voice agents (id, name, language).", READ.model_copy(update={"title": "List voice agents"})),
    ToolSpec(
        list_phone_numbers_tool, "The organization's phone numbers (caller ids) and their agents.", READ.model_copy(update={"title": "List phone numbers"})
    ),
]
