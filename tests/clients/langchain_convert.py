"""Run in its own environment (langchain-mcp-adapters needs mcp<2): converts every tool of the server.

Usage: python langchain_convert.py <python> ; prints one JSON object.
"""

import asyncio
import json
import sys

from langchain_mcp_adapters.client import MultiServerMCPClient


async def main() -> None:
    python = sys.argv[1]
    client = MultiServerMCPClient(
        {"zudu": {"transport": "stdio", "command": python, "args": ["-m", "zudu_mcp", "--sandbox"], "env": {"ZUDU_MCP_CONFIRM": "off"}}}
    )
    tools = await client.get_tools()
    resolve = next(tool for tool in tools if tool.name == "resolve_schedule")
    answer = await resolve.ainvoke({"text": "tomorrow at 10am", "timezone": "Asia/Kolkata"})
    print(
        json.dumps(
            {
                "tools": sorted(tool.name for tool in tools),
                "schemas": {t.name: t.args_schema if isinstance(t.args_schema, dict) else t.args_schema.model_json_schema() for t in tools},
                "answer": str(answer),
            }
        )
    )


asyncio.run(main())
