"""OpenAI Agents SDK: MCPUtil.to_function_tool, the path every MCP server's tools take, with
`convert_schemas_to_strict` off and on. When strict conversion fails the SDK silently falls back
to a non-strict tool; that fallback is reported here as a failure of the strict variant."""

from agents.mcp import MCPServerStdio
from agents.mcp.util import MCPUtil
from convert_common import convert_each, published_tools, report, versions
from mcp.types import Tool

server = MCPServerStdio(params={"command": "true"}, name="zudu")  # never started: only its policies are read


def convert(strict: bool):
    def one(tool: dict) -> dict:
        function_tool = MCPUtil.to_function_tool(Tool.model_validate(tool), server, convert_schemas_to_strict=strict)
        if strict and not function_tool.strict_json_schema:
            from agents.strict_schema import ensure_strict_json_schema

            schema = dict(function_tool.params_json_schema)
            ensure_strict_json_schema(schema, _reject_open_objects=True)  # raises the reason the SDK logged
        return function_tool.params_json_schema

    return one


tools = published_tools()
report(
    versions("openai-agents", "mcp"),
    {
        "openai-agents": convert_each(tools, convert(False)),
        "openai-agents-strict": convert_each(tools, convert(True)),
    },
)
