"""OpenAI Agents SDK, strict mode, end to end: the SDK's own MCP integration (`MCPServerStdio` and
`mcp_config={"convert_schemas_to_strict": True}`) and an Agent whose Model is scripted (no network,
no key). The script sees the tools as the SDK converted them (`FunctionTool.params_json_schema`)
and the tool output as the SDK passes it to a model (the text content), and sends every property.

Usage: python openai_agents_e2e.py <server-python> <seed-request-json> ; prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import sys
from itertools import count

from agents import Agent, ModelSettings, RunConfig, Runner
from agents.items import ModelResponse
from agents.mcp import MCPServerStdio
from agents.models.interface import Model
from agents.usage import Usage
from common_e2e import SERVER_ARGS, Script, server_environment, versions
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText

python, seed = sys.argv[1], json.loads(sys.argv[2])
script = Script(seed)
strict_tools: dict[str, bool] = {}
ids = count(1)


def last_output(items) -> str | None:
    """The newest tool output in the Responses-format input, as the model would read it."""
    if isinstance(items, str):
        return None
    for item in reversed(items):
        if isinstance(item, dict) and item.get("type") == "function_call_output":
            output = item.get("output")
            return output if isinstance(output, str) else json.dumps(output)
    return None


class ScriptedModel(Model):
    async def get_response(self, system_instructions, input, model_settings, tools, output_schema, handoffs, tracing, **_):
        strict_tools.update({tool.name: tool.strict_json_schema for tool in tools})
        seen = last_output(input)
        call = script.next_call({tool.name: tool.params_json_schema for tool in tools}, seen)
        if call is None:
            text = ResponseOutputText(type="output_text", text=seen or "", annotations=[])
            message = ResponseOutputMessage(id=f"msg_{next(ids)}", type="message", role="assistant", status="completed", content=[text])
            return ModelResponse(output=[message], usage=Usage(), response_id=None)
        name, arguments = call
        n = next(ids)
        tool_call = ResponseFunctionToolCall(id=f"fc_{n}", call_id=f"call_{n}", type="function_call", name=name, arguments=json.dumps(arguments))
        return ModelResponse(output=[tool_call], usage=Usage(), response_id=None)

    def stream_response(self, *args, **kwargs):
        raise NotImplementedError("the scripted model only answers Runner.run")


async def main() -> None:
    params = {"command": python, "args": SERVER_ARGS, "env": server_environment()}
    async with MCPServerStdio(params=params, name="zudu", client_session_timeout_seconds=120) as zudu:
        agent = Agent(
            name="campaigns",
            instructions="Run the person's voice campaigns.",
            model=ScriptedModel(),
            model_settings=ModelSettings(),
            mcp_servers=[zudu],
            mcp_config={"convert_schemas_to_strict": True},
        )
        result = await Runner.run(
            agent,
            "Call these two customers tomorrow at 10am, then move it to the day after at 11am.",
            max_turns=20,
            run_config=RunConfig(tracing_disabled=True),
        )
    print(
        script.report(
            "openai-agents (strict)", versions("openai-agents", "openai", "mcp"), list(strict_tools), strict=strict_tools, final=str(result.final_output)
        )
    )


asyncio.run(main())
