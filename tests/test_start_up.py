"""Start-up stays cheap: what it must not import, and tools published from the schema cache exactly as built."""

from __future__ import annotations

import subprocess
import sys

import anyio
import pytest
from mcp import Client

from zudu_mcp import schema_cache
from zudu_mcp.backend import Backend
from zudu_mcp.config import Settings
from zudu_mcp.server import LazyTool, build_tool, create_server, published_specs

NOT_AT_START_UP = ("pydantic_settings", "dotenv", "phonenumbers", "sqlite3", "openpyxl", "psycopg", "platformdirs", "dateparser", "httpx")


def test_start_up_loads_none_of_the_modules_only_calls_need() -> None:
    probe = (
        "import sys, anyio; from mcp import Client; from zudu_mcp.config import Settings; from zudu_mcp.server import create_server\n"
        "async def main():\n"
        "    async with Client(create_server(Settings())) as c: await c.list_tools()\n"
        f"anyio.run(main); print(sorted(m for m in {NOT_AT_START_UP!r} if m in sys.modules))"
    )
    for _ in range(2):  # the first run may write the schema cache, the second reads it
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
        assert done.stdout.strip() == "[]", done.stdout + done.stderr


@pytest.mark.parametrize("confirm", ["auto", "off"])
def test_cached_tools_publish_exactly_what_building_them_publishes(confirm: str) -> None:
    settings = Settings(sandbox=True, mcp_confirm=confirm)
    create_server(settings)  # writes the cache if needed
    cached = create_server(settings)
    assert all(isinstance(tool, LazyTool) for tool in cached._tool_manager.list_tools())

    async def listed(server) -> list[dict]:
        async with Client(server) as client:
            return [tool.model_dump() for tool in (await client.list_tools()).tools]

    backend = Backend(settings)
    from mcp.server.mcpserver import MCPServer

    built = MCPServer(name="zudu", tools=[build_tool(spec, backend) for spec in published_specs(settings)])
    assert anyio.run(listed, cached) == anyio.run(listed, built)


def test_a_cache_of_other_sources_is_not_used(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(schema_cache, "folders", lambda: [tmp_path])
    schema_cache.save("stale", {"resolve_schedule": {"name": "resolve_schedule", "title": None, "description": "old", "parameters": {}}})
    monkeypatch.setattr(schema_cache, "key", lambda variant: "fresh")
    tools = create_server(Settings(sandbox=True))._tool_manager.list_tools()
    assert not any(isinstance(tool, LazyTool) for tool in tools)  # a miss builds them
    assert (tmp_path / "tool-schemas-fresh.json").exists()
    assert next(t for t in create_server(Settings(sandbox=True))._tool_manager.list_tools() if t.name == "resolve_schedule").description != "old"


def test_a_lazy_tool_validates_and_runs_like_the_built_one() -> None:
    settings = Settings(sandbox=True)
    create_server(settings)
    server = create_server(settings)

    async def calls() -> tuple:
        async with Client(server) as client:
            good = await client.call_tool("resolve_schedule", {"text": "tomorrow at 10am", "timezone": "Asia/Kolkata"})
            bad = await client.call_tool("resolve_schedule", {"txt": "tomorrow"})
            return good, bad

    good, bad = anyio.run(calls)
    assert not good.is_error
    assert bad.is_error and "did you mean" in bad.content[0].text
