"""google-genai's own MCP support: an MCP ClientSession passed in `tools=` is listed and each tool
goes through `_mcp_utils.mcp_to_gemini_tools` (via McpToGenAiToolAdapter). One bad tool makes the
whole list fail, so the list is converted as a whole too ("google-genai-session")."""

from convert_common import convert_each, published_tools, report, versions
from google.genai import _mcp_utils
from google.genai._adapters import McpToGenAiToolAdapter
from mcp.types import ListToolsResult, Tool

tools = published_tools()
per_tool = convert_each(tools, lambda tool: _mcp_utils.mcp_to_gemini_tool(Tool.model_validate(tool)))
whole = convert_each(
    [{"name": "all tools", "tools": tools}],
    lambda listed: McpToGenAiToolAdapter(None, ListToolsResult(tools=[Tool.model_validate(t) for t in listed["tools"]])).tools,
)
report(versions("google-genai", "mcp"), {"google-genai": per_tool, "google-genai-session": whole})
