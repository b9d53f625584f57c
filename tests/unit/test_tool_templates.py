"""Tools are built once per process and bound to each backend: nothing of one backend leaks into another's tool."""

from __future__ import annotations

import inspect

from tests.conftest import API_KEY, API_SECRET, every_tool
from zudu_mcp.backend import Backend
from zudu_mcp.config import Settings
from zudu_mcp.server import TOOL_SPECS, build_tool, spec_name


def backend(url: str) -> Backend:
    return Backend(Settings(api_key=API_KEY, api_secret=API_SECRET, base_url=url, mcp_tools=every_tool(), mcp_confirm="auto"))


def test_a_second_backend_reuses_the_template_but_gets_its_own_function_and_resolver() -> None:
    one, two = backend("http://127.0.0.1:1"), backend("http://127.0.0.1:2")
    consenting = 0
    for spec in TOOL_SPECS:
        first, second = build_tool(spec, one), build_tool(spec, two)
        assert first.parameters == second.parameters and first.parameters is not second.parameters, spec_name(spec)
        assert first.fn_metadata is second.fn_metadata  # the argument model was built once
        assert first.fn is not second.fn
        for tool, owner in ((first, one), (second, two)):
            for resolve, _ in tool.resolved_params.values():  # the consent question is asked from this backend's journal
                assert inspect.getclosurevars(resolve.fn).nonlocals["backend"] is owner, spec_name(spec)
                consenting += 1
    assert consenting >= 8  # create, execute, update and delete ask for consent, on both backends


def test_the_unattended_create_is_another_template() -> None:
    create = next(spec for spec in TOOL_SPECS if spec_name(spec) == "create_batch_call")
    attended = build_tool(create, Backend(Settings(api_key=API_KEY, api_secret=API_SECRET, base_url="http://127.0.0.1:1", mcp_confirm="token")))
    unattended = build_tool(create, Backend(Settings(api_key=API_KEY, api_secret=API_SECRET, base_url="http://127.0.0.1:1", mcp_confirm="off")))
    assert "confirmation_token" in attended.parameters["properties"] and "confirmation_token" not in unattended.parameters["properties"]
