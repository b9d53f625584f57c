"""What assistants see: the tool list is snapshotted, portable, described and annotated."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from zudu_mcp.config import Settings
from zudu_mcp.server import create_server

SNAPSHOT = Path(__file__).parent / "snapshots" / "tools.json"
FORBIDDEN_KEYS = {"$ref", "$defs", "oneOf", "allOf", "discriminator", "definitions"}

pytestmark = pytest.mark.anyio


async def published_tools(mode: str = "legacy") -> list[dict[str, Any]]:
    async with Client(create_server(), mode=mode) as client:
        listed = await client.list_tools()
    return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in listed.tools]


async def test_tool_list_matches_snapshot(mode: str) -> None:
    """To change what assistants see on purpose: UPDATE_SNAPSHOTS=1 uv run pytest tests/test_published_tools.py"""
    tools = await published_tools(mode)
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(tools, indent=2, ensure_ascii=False) + "\n")
    assert tools == json.loads(SNAPSHOT.read_text()), "tools changed: review, then UPDATE_SNAPSHOTS=1 uv run pytest"


def walk(node: Any, path: str = "$"):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}[{index}]")


async def test_schemas_are_portable_and_every_property_is_described() -> None:
    for tool in await published_tools():
        schema = tool["inputSchema"]
        for path, node in walk(schema):
            assert not FORBIDDEN_KEYS & node.keys(), f"{tool['name']} {path} uses {FORBIDDEN_KEYS & node.keys()}"
            for name, prop in node.get("properties", {}).items() if isinstance(node.get("properties"), dict) else ():
                value = non_null(prop)  # an optional argument is anyOf [T, null]; T carries it all
                assert value.get("description"), f"{tool['name']} {path}.{name} has no description"
                assert "type" in value or "enum" in value, f"{tool['name']} {path}.{name} is untyped"


def non_null(prop: dict[str, Any]) -> dict[str, Any]:
    options = [option for option in prop.get("anyOf", []) if option != {"type": "null"}]
    return options[0] if len(options) == 1 else prop


async def test_optional_objects_and_enums_are_nullable_and_closed_objects_are_left_open() -> None:
    """What the converters need (docs/agent-stacks.md): a strict client must be able to say "not given":
    "" / 0 / false / [] for text, numbers, booleans and lists (the server reads them as not given),
    null for objects and enums; google-genai fails the whole list on a nested `additionalProperties: false`,
    and Gemini drops `exclusiveMinimum`; the description sits inside the non-null alternative."""
    for tool in await published_tools():
        schema = tool["inputSchema"]
        for name, prop in schema["properties"].items():
            nullable = {"type": "null"} in prop.get("anyOf", [])
            optional = name not in schema.get("required", []) and "default" not in prop
            value = prop["anyOf"][0] if nullable else prop
            needs_null = value.get("type") == "object" or "enum" in value
            assert nullable == (optional and needs_null), f"{tool['name']}.{name}"
            if nullable:
                assert set(prop) == {"anyOf"} and len(prop["anyOf"]) == 2, f"{tool['name']}.{name}: only anyOf [T, null]"
        for path, node in walk(schema):
            assert node.get("additionalProperties") is not False, f"{tool['name']} {path} closes an object"
            assert "exclusiveMinimum" not in node and "exclusiveMaximum" not in node, f"{tool['name']} {path}"
            assert not isinstance(node.get("type"), list), f"{tool['name']} {path}: the Anthropic strict transform fails on a list of types"


async def test_every_tool_sets_all_four_annotations() -> None:
    for tool in await published_tools():
        annotations = tool["annotations"]
        for hint in ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"):
            assert isinstance(annotations.get(hint), bool), f"{tool['name']} leaves {hint} unset"


async def test_create_batch_call_is_marked_as_dialing_people() -> None:
    [create] = [tool for tool in await published_tools() if tool["name"] == "create_batch_call"]
    assert create["annotations"] | {"title": None} == {
        "title": None,
        "readOnlyHint": False,
        "destructiveHint": True,
        "idempotentHint": False,
        "openWorldHint": True,
    }
    assert {"name", "agent_id", "tasks", "schedule", "quiet_hours"} <= set(create["inputSchema"]["properties"])  # unattended: one call
    async with Client(create_server(Settings(mcp_confirm="token")), mode="legacy") as client:
        [confirm] = [t for t in (await client.list_tools()).tools if t.name == "create_batch_call"]
    assert set(confirm.input_schema["properties"]) == {"confirmation_token", "allow_duplicate", "resend_unconfirmed"}  # the plan holds the rest


async def test_server_instructions_reach_the_client(mode: str) -> None:
    async with Client(create_server(), mode=mode) as client:
        instructions = client.instructions
    assert instructions and "voice campaigns on Zudu" in instructions and "Sandbox" in instructions and "do not ask twice" in instructions


async def test_tool_names_fit_clients_that_prefix_them() -> None:
    """Claude Code and others publish tools as mcp__<server>__<tool>; providers cap names at 64 characters."""
    import re

    for tool in await published_tools():
        prefixed = f"mcp__zudu__{tool['name']}"
        assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", prefixed), prefixed
