"""Builds the MCP server: the tools, their published schemas, and the instructions assistants read."""

from __future__ import annotations

import functools
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from pydantic import ValidationError

from zudu_mcp import __version__
from zudu_mcp.backend import Backend
from zudu_mcp.config import Settings
from zudu_mcp.tools import ToolSpec, batch_calls, discovery, life_cycle, resources, scheduling
from zudu_mcp.tools.results import error, explain_validation_error
from zudu_mcp.tools.schema import publishable
from zudu_mcp.zudu.errors import ZuduError

TOOL_SPECS: list[ToolSpec] = [*scheduling.TOOLS, *batch_calls.TOOLS, *life_cycle.TOOLS, *discovery.TOOLS]

INSTRUCTIONS = """\
This server runs outbound voice campaigns on Zudu: an AI voice agent phones a list of people.
Calls are real and billable. Before creating a batch call: find the agent and caller number
(list_agents, list_phone_numbers), check the person's words for the time with resolve_schedule,
then call preview_batch_call and read its summary to the person (who, from which number, which
agent, the start with weekday and zone, dropped rows). Only after a clear yes, call
create_batch_call with the same arguments (and the preview's confirmation_token when the server
asks for one). Pass times as `schedule` in the person's words or ISO; when the server refuses a
time, ask the person instead of guessing. Results say plainly when the server runs against its
sandbox, where nothing reaches real phones. The prompt plan_outbound_campaign walks through it."""


class CheckedTool(Tool):
    """Reports invalid arguments as a list of fields and fixes instead of pydantic's raw dump."""

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        try:
            return await super().run(arguments, context, convert_result)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(explain_validation_error(exc.__cause__, self.name)) from exc.__cause__
            raise


def build_tool(spec: ToolSpec, backend: Backend) -> Tool:
    fn = spec.build(backend)

    @functools.wraps(fn)
    async def reporting_zudu_errors(*args: Any, **kwargs: Any) -> Any:
        try:
            return await fn(*args, **kwargs)
        except ZuduError as exc:  # every Zudu failure reaches the assistant as a sentence with the fix
            return error(str(exc), sandbox=backend.sandbox)

    tool = CheckedTool.from_function(
        reporting_zudu_errors, description=spec.description, annotations=spec.annotations, structured_output=False
    )
    tool.parameters = publishable(tool.parameters)
    return tool


def published_specs(settings: Settings) -> list[ToolSpec]:
    """Toolsets: an allowlist and a read-only switch shrink what an assistant sees and can do."""
    specs = TOOL_SPECS
    wanted = settings.tool_allowlist
    if wanted:
        known = {spec_name(spec) for spec in specs}
        unknown = [name for name in wanted if name not in known]
        if unknown:
            raise ValueError(f"ZUDU_MCP_TOOLS / --tools names unknown tools: {', '.join(unknown)}; the tools are: {', '.join(sorted(known))}")
        specs = [spec for spec in specs if spec_name(spec) in wanted]
    if settings.mcp_read_only:
        specs = [spec for spec in specs if spec.annotations.read_only_hint]
    return specs


def spec_name(spec: ToolSpec) -> str:
    return spec.build.__name__.removesuffix("_tool")


def create_server(settings: Settings | None = None, *, backend: Backend | None = None) -> MCPServer:
    backend = backend or Backend(settings or Settings())
    tools = [build_tool(spec, backend) for spec in published_specs(backend.settings)]
    server = MCPServer(
        name="zudu",
        title="Zudu voice campaigns",
        instructions=INSTRUCTIONS,
        version=__version__,
        tools=tools,
        log_level=backend.settings.log_level,  # type: ignore[arg-type]
    )
    resources.register(server, backend)
    return server
