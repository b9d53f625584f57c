"""Whatever an assistant sends (wrong types, huge strings, unicode, nested junk), the answer is a clear
isError or a success: never a traceback, never a protocol error."""

from __future__ import annotations

import json
import re

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from tests.conftest import SEED_NOW, ManualClock, text_of
from zudu_mcp.backend import Backend
from zudu_mcp.config import Settings
from zudu_mcp.demo import SEED_REQUEST
from zudu_mcp.server import create_server

TOOLS = json.loads(open("tests/snapshots/tools.json").read())
NAMES = [tool["name"] for tool in TOOLS]
KEYS = sorted({key for tool in TOOLS for key in tool["inputSchema"].get("properties", {})} | set(SEED_REQUEST))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=50),
    st.integers(5_000, 2_000_000).map(lambda n: "9" * n),
    st.sampled_from(["\u0000", "☎️📞", "batch/../x", "+91 96000 11957", "tomorrow 10am", "DROP TABLE"]),
)
junk = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)
arguments = st.dictionaries(st.sampled_from(KEYS), junk, max_size=8)
near_valid = st.builds(lambda changes: {**SEED_REQUEST, **changes}, st.dictionaries(st.sampled_from(sorted(SEED_REQUEST)), junk, max_size=3))


async def call_all(calls: list[tuple[str, dict]]) -> list:
    backend = Backend(Settings(sandbox=True), clock=ManualClock(SEED_NOW))
    async with Client(create_server(backend=backend), mode="legacy") as client:
        return [await client.call_tool(name, args) for name, args in calls]


def check(results: list) -> None:
    for result in results:
        text = text_of(result)
        assert "Traceback" not in text and 'File "' not in text, text
        assert not re.fullmatch(r"Error executing tool \w+", text.strip()), "the tool crashed (the SDK hides the exception)"
        if result.is_error:
            assert text.strip(), "an error must say something"


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(calls=st.lists(st.tuples(st.sampled_from(NAMES), arguments), min_size=1, max_size=4))
def test_random_arguments_never_break_the_server(calls: list[tuple[str, dict]]) -> None:
    check(anyio.run(call_all, calls))


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(args=near_valid, tool=st.sampled_from(["create_batch_call", "preview_batch_call"]))
def test_almost_valid_campaigns_are_created_or_refused_cleanly(args: dict, tool: str) -> None:
    check(anyio.run(call_all, [(tool, args)]))
