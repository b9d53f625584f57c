"""Run in its own environment: a pydantic-ai agent with a scripted model (no LLM key) drives the tools.

Usage: python pydantic_ai_agent.py <python> <seed-request-json> ; prints one JSON object.
"""

import json
import sys

from pydantic_ai import Agent
from pydantic_ai.mcp import MCPServerStdio
from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

python, seed = sys.argv[1], json.loads(sys.argv[2])
seen_tools: list[str] = []


def scripted_model(messages, info: AgentInfo) -> ModelResponse:
    """Checks the time, previews, creates, then reports: what an assistant would do."""
    seen_tools[:] = [tool.name for tool in info.function_tools]
    returned = [part for part in messages[-1].parts if isinstance(part, ToolReturnPart)]
    campaign = {k: v for k, v in seed.items() if k != "trigger_timestamp"} | {"schedule": "tomorrow at 10am"}
    if not returned:
        return ModelResponse(parts=[ToolCallPart("resolve_schedule", {"text": "tomorrow at 10am", "timezone": "Asia/Kolkata"})])
    step = returned[0].tool_name
    if step == "resolve_schedule":
        return ModelResponse(parts=[ToolCallPart("preview_batch_call", campaign)])
    if step == "preview_batch_call":
        return ModelResponse(parts=[ToolCallPart("create_batch_call", campaign)])
    return ModelResponse(parts=[TextPart(str(returned[0].content))])


server = MCPServerStdio(python, args=["-m", "zudu_mcp", "--sandbox"], env={"ZUDU_MCP_CONFIRM": "off"}, timeout=30)
agent = Agent(FunctionModel(scripted_model), toolsets=[server])
result = agent.run_sync("Call these two customers tomorrow at 10am.")
print(json.dumps({"tools": sorted(seen_tools), "output": result.output}))
