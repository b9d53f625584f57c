"""google-genai's own MCP path end to end: an initialised `mcp.ClientSession` passed as a tool
(`tools=[session]`) to `client.aio.models.generate_content`, whose automatic function calling
converts the server's tools (`McpToGenAiToolAdapter`, `mcp_to_gemini_tools`) and runs each function
call through the session. Only the HTTP transport is replaced (no network, no key): a scripted
Gemini reads the request exactly as Gemini would (the function declarations as the SDK converted
them, the function responses as the SDK wrapped the MCP results) and answers with the next
`functionCall`, every declared parameter present.

Usage: python google_genai_e2e.py <server-python> <seed-request-json> ; prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import sys

import httpx
from common_e2e import SERVER_ARGS, Script, server_environment, versions
from google import genai
from google.genai import types
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

python, seed = sys.argv[1], json.loads(sys.argv[2])
script = Script(seed)
declared: dict[str, dict] = {}


def declarations(body: dict) -> dict[str, dict]:
    found = {}
    for tool in body.get("tools") or []:
        for declaration in tool.get("functionDeclarations") or tool.get("function_declarations") or []:
            found[declaration["name"]] = declaration.get("parameters") or declaration.get("parametersJsonSchema") or {}
    return found


def last_function_response(body: dict) -> str | None:
    for content in reversed(body.get("contents") or []):
        for part in content.get("parts") or []:
            response = part.get("functionResponse") or part.get("function_response")
            if response:
                return json.dumps(response.get("response"), ensure_ascii=False)
    return None


def scripted_gemini(request: httpx.Request) -> httpx.Response:
    """What generateContent would answer: the next function call, or the final text."""
    body = json.loads(request.content)
    declared.update(declarations(body))
    seen = last_function_response(body)
    call = script.next_call(declared, seen)
    part = {"text": seen or ""} if call is None else {"functionCall": {"name": call[0], "args": call[1]}}
    return httpx.Response(
        200, json={"candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP", "index": 0}], "modelVersion": "scripted"}
    )


async def main() -> None:
    transport = httpx.AsyncClient(transport=httpx.MockTransport(scripted_gemini))
    client = genai.Client(api_key="scripted-no-key", http_options=types.HttpOptions(httpx_async_client=transport))
    params = StdioServerParameters(command=python, args=SERVER_ARGS, env=server_environment())
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        # A dict, not GenerateContentConfig(...): generate_content deep-copies a config object, and
        # a live ClientSession cannot be deep-copied (TypeError: cannot pickle '_asyncio.Future').
        config = {"tools": [session], "automatic_function_calling": {"maximum_remote_calls": 20}}
        response = await client.aio.models.generate_content(
            model="gemini-scripted", contents="Call these two customers tomorrow at 10am, then move it to the day after at 11am.", config=config
        )
    variables = ((declared.get("preview_batch_call") or {}).get("properties") or {}).get("tasks") or {}
    print(
        script.report(
            "google-genai (MCP session)",
            versions("google-genai", "mcp", "httpx"),
            list(declared),
            declared_variables=json.dumps(variables)[:2000],
            final=response.text or "",
        )
    )


asyncio.run(main())
