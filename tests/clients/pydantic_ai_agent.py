"""Run in its own environment: a pydantic-ai agent with a scripted model (no LLM key) drives the tools.

pydantic-ai's own MCP toolset (`MCPServerStdio`) and a `FunctionModel` whose function is the shared
script (common_e2e.py): it sees the tools as pydantic-ai hands them to a model
(`ToolDefinition.parameters_json_schema`) and the tool output as pydantic-ai passes it on (the
structured content when there is one; an error result comes back as a retry prompt), and sends
every property. The job: resolve, plan, confirm, then reschedule with update_batch_call and confirm.

Usage: python pydantic_ai_agent.py <python> <seed-request-json> ; prints one JSON object.
"""

import json
import sys

from common_e2e import SERVER_ARGS, Script, server_environment, versions
from pydantic_ai import Agent
from pydantic_ai.mcp import MCPServerStdio
from pydantic_ai.messages import ModelResponse, RetryPromptPart, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

python, seed = sys.argv[1], json.loads(sys.argv[2])
script = Script(seed)
seen_tools: list[str] = []


def shown(part) -> str:
    """A tool's output as the model reads it: the returned content, or the retry prompt's text."""
    if isinstance(part, RetryPromptPart):
        return part.model_response()
    content = part.content
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, default=str)


def scripted_model(messages, info: AgentInfo) -> ModelResponse:
    seen_tools[:] = [tool.name for tool in info.function_tools]
    returned = [part for part in messages[-1].parts if isinstance(part, (ToolReturnPart, RetryPromptPart))]
    seen = shown(returned[0]) if returned else None
    call = script.next_call({tool.name: tool.parameters_json_schema for tool in info.function_tools}, seen)
    if call is None:  # the last result as pydantic-ai rendered it (tests/test_real_clients.py reads it)
        return ModelResponse(parts=[TextPart(str(returned[0].content) if returned else "")])
    return ModelResponse(parts=[ToolCallPart(call[0], call[1])])


server = MCPServerStdio(python, args=SERVER_ARGS, env=server_environment(), timeout=60, max_retries=3)
agent = Agent(FunctionModel(scripted_model), toolsets=[server])
result = agent.run_sync("Call these two customers tomorrow at 10am, then move it to the day after at 11am.")
print(script.report("pydantic-ai (FunctionModel)", versions("pydantic-ai-slim", "mcp"), seen_tools, final=result.output, output=result.output))
