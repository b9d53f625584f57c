"""Builds the MCP server: the tools, their published schemas, and the instructions assistants read."""

from __future__ import annotations

import copy
import functools
import inspect
import re
from typing import Any, cast, get_args

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from pydantic import BaseModel, ValidationError

from zudu_mcp import __version__
from zudu_mcp.backend import Backend
from zudu_mcp.campaign import not_given
from zudu_mcp.config import Settings
from zudu_mcp.refusal import Refusal
from zudu_mcp.tools import ToolSpec, batch_calls, discovery, life_cycle, outcomes, resources, scheduling
from zudu_mcp.tools.batch_calls import CONTROL_FIELDS, CREATE_UNATTENDED
from zudu_mcp.tools.results import error, explain_validation_error
from zudu_mcp.tools.schema import publishable
from zudu_mcp.zudu.errors import ZuduError

TOOL_SPECS: list[ToolSpec] = [*scheduling.TOOLS, *batch_calls.TOOLS, *life_cycle.TOOLS, *outcomes.TOOLS, *discovery.TOOLS]

INSTRUCTIONS = """\
Outbound voice campaigns on Zudu: an AI voice agent phones a list of people. Calls are real and
billable. The main job is two calls: preview_batch_call with the campaign (the agent's id or
name, the caller number unless the organization has one, the recipients, `schedule` in the
person's words) returns a plan: a summary naming everything the server assumed (time readings,
zone, numbers read without a country code, dropped rows, people called outside their local
hours) and a confirmation_token. If this client can show a confirmation, call
create_batch_call(confirmation_token=...) at once: the person is asked there, with that summary
(do not ask twice). Otherwise read the summary to the person and call it only after a clear yes.
Exactly the plan is sent; its time is never resolved again. A result that needs confirmation is
not an error: it gives the one next call. Execute, reschedule and delete work the same way. When
a time is refused, ask the person instead of guessing. After an error, repeating the same call
is safe. Sandbox results say SANDBOX: nothing reaches real phones."""


# What every tool returns as structured content: `message` is the whole text a person reads (so a
# framework that passes only structured content loses nothing), `ok` false on errors, then the facts.
OUTPUT_SCHEMA = {"type": "object", "properties": {"message": {"type": "string"}}}


# Published only when asked for by name: batch_report gives the tasks' counts, failure groups and
# pages of people; update_batch_call(status='draft') holds a campaign back exactly as hold_batch_call does.
ON_REQUEST = ("list_batch_call_tasks", "hold_batch_call")


class CheckedTool(Tool):
    """Reports invalid arguments as a list of fields and fixes instead of pydantic's raw dump."""

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        fields = self.fn_metadata.arg_model.model_fields
        # Strict agent stacks send every argument: null, "" or [] for an optional one means "not given" (one rule, campaign.not_given).
        arguments = {key: value for key, value in arguments.items() if not (key in fields and not fields[key].is_required() and not_given(key, value))}
        try:
            return await super().run(arguments, context, convert_result)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                known = sorted(self.fn_metadata.arg_model.model_fields)
                raise ToolError(explain_validation_error(exc.__cause__, self.name, known)) from exc.__cause__
            raise


def build_tool(spec: ToolSpec, backend: Backend) -> Tool:
    """The spec's tool bound to this backend; its argument model and schema are built once per process.

    Building a tool's pydantic argument model is most of what a server costs to make (the suite
    makes a thousand servers); only the function differs from one backend to the next.
    """
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

    unattended = backend.settings.mcp_confirm == "off"
    # A consent parameter's resolver is made per backend: the key names its kind, and it is bound again below.
    key = (spec_name(spec), RESOLVER.sub("Resolve", str(inspect.signature(fn))), arg_model, RESOLVER.sub("Resolve", repr(consent)), unattended)
    template = TEMPLATES.get(key)
    if template is None:
        template = TEMPLATES[key] = tool_template(spec, reporting_zudu_errors, arg_model, consent, unattended)
    tool = template.model_copy(update={"fn": reporting_zudu_errors, "parameters": copy.deepcopy(template.parameters)})
    if template.resolved_params:  # this backend's resolver, not the one the template was built with
        from mcp.server.mcpserver.resolve import build_resolver_plans, find_resolved_parameters

        resolved = consent_resolver(consent) if arg_model is not None else dict(find_resolved_parameters(reporting_zudu_errors))
        names = {field.alias or name for name, field in template.fn_metadata.arg_model.model_fields.items()}
        tool.resolved_params, tool.resolver_plans = resolved, build_resolver_plans(resolved, names)
    return tool


TEMPLATES: dict[tuple[Any, ...], Tool] = {}  # (name, signature, argument model, consent, unattended) -> the built tool
RESOLVER = re.compile(r"<mcp\.server\.mcpserver\.resolve\.Resolve object at 0x[0-9a-f]+>")


def tool_template(spec: ToolSpec, fn: Any, arg_model: type[BaseModel] | None, consent: Any, unattended: bool) -> Tool:
    if arg_model is None:
        tool = CheckedTool.from_function(fn, name=spec.name or None, description=spec.description, annotations=spec.annotations, structured_output=False)
        tool.fn_metadata.arg_model.model_config["extra"] = "forbid"  # a misspelled argument is refused, never ignored
        tool.fn_metadata.arg_model.model_rebuild(force=True)
    else:
        tool = model_tool(spec, fn, arg_model, consent)
    tool.parameters = publishable(tool.parameters)
    tool.fn_metadata.output_schema = OUTPUT_SCHEMA  # advertised; every result is built by tools.results.reply
    if tool.annotations is not None:  # the four hints stay explicit; a title costs every conversation tokens for a UI label
        tool.annotations = tool.annotations.model_copy(update={"title": None})
    if spec.name == "create_batch_call":
        if not unattended:  # the plan holds the campaign: only the token and two switches are published
            tool.parameters["properties"] = {k: v for k, v in tool.parameters["properties"].items() if k in CONTROL_FIELDS}
            tool.parameters.pop("required", None)
        else:
            tool.parameters["properties"].pop("confirmation_token", None)
            tool.description = CREATE_UNATTENDED
    return tool


def consent_resolver(consent: Any) -> dict[str, Any]:
    """A model tool's consent parameter (Annotated[..., Resolve(ask)]) as the SDK's resolved parameters."""
    return {"confirmation": (get_args(consent)[1], True)}


def model_tool(spec: ToolSpec, fn: Any, arg_model: type[BaseModel], consent: Any) -> Tool:
    """A tool whose arguments are one pydantic model (the campaign), not a function signature."""
    from mcp.server.mcpserver.resolve import build_resolver_plans
    from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata

    resolved = consent_resolver(consent) if consent is not None else {}
    return CheckedTool(
        fn=fn,
        name=spec.name,
        title=None,
        description=spec.description,
        parameters=arg_model.model_json_schema(by_alias=True),
        fn_metadata=FuncMetadata(arg_model=cast("type[ArgModelBase]", arg_model)),
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
    if not wanted:  # tools another one supersedes are published only when asked for by name
        specs = [spec for spec in specs if spec_name(spec) not in ON_REQUEST]
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
            spec, backend = cast("tuple[ToolSpec, Backend]", self.fn)  # a lazy tool's fn holds what builds the real one
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
    from mcp.types import ToolAnnotations

    return [
        LazyTool.model_construct(
            fn=(spec, backend),
            fn_metadata=placeholder,
            is_async=True,
            context_kwarg=None,
            resolved_params={},
            resolver_plans={},
            icons=None,
            meta=None,
            **(cached[name] | {"annotations": ToolAnnotations.model_validate(cached[name]["annotations"])}),
        )
        for spec, name in zip(specs, names, strict=True)
    ]


def published_fields(tool: Tool) -> dict[str, Any]:
    annotations = tool.annotations.model_dump(mode="json", exclude_none=True) if tool.annotations else None
    return {"name": tool.name, "title": tool.title, "description": tool.description, "parameters": tool.parameters, "annotations": annotations}


@functools.cache
def placeholder_metadata() -> Any:
    from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata

    return FuncMetadata(arg_model=ArgModelBase, output_schema=OUTPUT_SCHEMA)


def create_server(settings: Settings | None = None, *, backend: Backend | None = None, **transport_options: Any) -> MCPServer:
    """`transport_options` (HTTP only): the SDK's token_verifier, auth, middleware and request_state_security."""
    backend = backend or Backend(settings or Settings())
    from mcp.server.subscriptions import InMemorySubscriptionBus

    specs = published_specs(backend.settings)
    tools = lazy_tools(specs, backend) or [build_tool(spec, backend) for spec in specs]
    bus = resources.watcher(backend).bus = InMemorySubscriptionBus()  # completion notices reach listen streams through it
    server = MCPServer(
        name="zudu",
        title="Zudu voice campaigns",
        instructions=INSTRUCTIONS,
        version=__version__,
        tools=tools,
        log_level=backend.settings.log_level,  # type: ignore[arg-type]
        **transport_options,
        subscriptions=bus,
    )
    resources.register(server, backend)
    return server
