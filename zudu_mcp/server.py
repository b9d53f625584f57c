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
from zudu_mcp.refusal import Refusal
from zudu_mcp.tools.batch_calls import CONTROL_FIELDS, CREATE_UNATTENDED
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
                known = sorted(self.fn_metadata.arg_model.model_fields)
                raise ToolError(explain_validation_error(exc.__cause__, self.name, known)) from exc.__cause__
            raise


def build_tool(spec: ToolSpec, backend: Backend) -> Tool:
    built = spec.build(backend)
    fn, arg_model, consent = built if isinstance(built, tuple) else (built, None, None)

    @functools.wraps(fn)
    async def reporting_zudu_errors(*args: Any, **kwargs: Any) -> Any:
        try:
            return await fn(*args, **kwargs)
        except ZuduError as exc:  # every Zudu failure reaches the assistant as a sentence with the fix
            return error(str(exc), sandbox=backend.sandbox, code=type(exc).__name__)
        except Refusal as refusal:
            return error(str(refusal), sandbox=backend.sandbox, code=refusal.code)

    if arg_model is None:
        tool = CheckedTool.from_function(
            reporting_zudu_errors, name=spec.name or None, description=spec.description, annotations=spec.annotations, structured_output=False
        )
        tool.fn_metadata.arg_model.model_config["extra"] = "forbid"  # a misspelled argument is refused, never ignored
        tool.fn_metadata.arg_model.model_rebuild(force=True)
    else:
        tool = model_tool(spec, reporting_zudu_errors, arg_model, consent)
    tool.parameters = publishable(tool.parameters)
    if spec.name == "create_batch_call":
        unattended = backend.settings.mcp_confirm == "off"
        if not unattended:  # the plan holds the campaign: only the token and two switches are published
            tool.parameters["properties"] = {k: v for k, v in tool.parameters["properties"].items() if k in CONTROL_FIELDS}
            tool.parameters.pop("required", None)
        else:
            tool.parameters["properties"].pop("confirmation_token", None)
            tool.description = CREATE_UNATTENDED
    return tool


def model_tool(spec: ToolSpec, fn: Any, arg_model: type, consent: Any) -> Tool:
    """A tool whose arguments are one pydantic model (the campaign), not a function signature."""
    from typing import get_args

    from mcp.server.mcpserver.resolve import build_resolver_plans
    from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata

    resolved = {"confirmation": (get_args(consent)[1], True)} if consent is not None else {}
    return CheckedTool(
        fn=fn,
        name=spec.name,
        description=spec.description,
        parameters=arg_model.model_json_schema(by_alias=True),
        fn_metadata=FuncMetadata(arg_model=arg_model),
        is_async=True,
        context_kwarg="ctx",
        resolved_params=resolved,
        resolver_plans=build_resolver_plans(resolved, set(arg_model.model_fields)) if resolved else {},
        annotations=spec.annotations,
    )


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
    return spec.name or spec.build.__name__.removesuffix("_tool")


class LazyTool(CheckedTool):
    """A tool published from its cached schema; its argument model is built on its first call, not at start-up.

    Building the tools' argument models and their JSON schemas was a third of start-up; tools/list
    needs only the schemas, and most sessions call a few tools. The real tool is the one
    build_tool makes, built once and then used for every call.
    """

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        return await self.real().run(arguments, context, convert_result)

    def real(self) -> Tool:
        built = self.__dict__.get("_real")
        if built is None:
            spec, backend = self.fn
            built = self.__dict__["_real"] = build_tool(spec, backend)
        return built


def lazy_tools(specs: list[ToolSpec], backend: Backend) -> list[Tool] | None:
    """The tools from the schema cache, or None (no cache yet, or made by other code): then they are built and cached."""
    from zudu_mcp import schema_cache

    key = schema_cache.key(variant=f"confirm={backend.settings.mcp_confirm == 'off'}")
    cached = schema_cache.load(key)
    if cached is None:
        tools = [build_tool(spec, backend) for spec in specs]
        schema_cache.save(key, {tool.name: published_fields(tool) for tool in tools})
        return tools
    names = [spec_name(spec) for spec in specs]
    if any(name not in cached for name in names):
        return None
    placeholder = placeholder_metadata()
    return [LazyTool.model_construct(fn=(spec, backend), fn_metadata=placeholder, is_async=True, context_kwarg=None, resolved_params={},
                                     resolver_plans={}, icons=None, meta=None, annotations=spec.annotations, **cached[name])
            for spec, name in zip(specs, names, strict=True)]


def published_fields(tool: Tool) -> dict[str, Any]:
    return {"name": tool.name, "title": tool.title, "description": tool.description, "parameters": tool.parameters}


@functools.cache
def placeholder_metadata() -> Any:
    from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata

    return FuncMetadata(arg_model=ArgModelBase)


def create_server(settings: Settings | None = None, *, backend: Backend | None = None) -> MCPServer:
    backend = backend or Backend(settings or Settings())
    specs = published_specs(backend.settings)
    tools = lazy_tools(specs, backend) or [build_tool(spec, backend) for spec in specs]
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
