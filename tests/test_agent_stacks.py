"""The main job end to end from three agent stacks, each through its own MCP integration, with a
scripted model (no API key, no network): resolve the time, plan, confirm, then reschedule with
update_batch_call and confirm that, every call sending every property as a strict client does.

- OpenAI Agents SDK, strict (`MCPServerStdio`, `convert_schemas_to_strict=True`, a scripted `Model`)
- google-genai's MCP session path (`tools=[session]`, automatic function calling, a scripted Gemini
  behind httpx's MockTransport)
- pydantic-ai (`MCPServerStdio` toolset, `FunctionModel`)

Each stack runs in its own environment (their pins conflict with ours: several need mcp<2) and
starts our server over stdio in sandbox mode with consent by token. The scripts and the shared
script of the conversation: tests/clients/*_e2e.py, tests/clients/pydantic_ai_agent.py. Without an
environment the stack's tests are skipped and say how to install it. docs/agent-stacks.md says
how each stack connects.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from zudu_mcp.demo import SEED_REQUEST

CI = Path(__file__).resolve().parent.parent / ".ci"
CLIENTS = Path(__file__).resolve().parent / "clients"

# stack -> (its environment under .ci, the script, what installs it)
STACKS = {
    "openai-agents-strict": ("converters/openai-agents", "openai_agents_e2e.py", "bash .ci/install-converters"),
    "google-genai-session": ("converters/google-genai", "google_genai_e2e.py", "bash .ci/install-converters"),
    "pydantic-ai": ("clients/pydantic-ai", "pydantic_ai_agent.py", "bash .ci/install-clients"),
}
UPDATE_FIELDS = {"batch_call_id", "name", "schedule", "trigger_timestamp", "timezone", "status", "confirmation_token"}
# Tools the Agents SDK cannot make strict today; it silently falls back to a non-strict tool.
NOT_STRICT: dict[str, str] = {}  # every tool is strict since dynamic_variables is published as a list of {name, value}

from zudu_mcp.config import Settings  # noqa: E402
from zudu_mcp.server import published_specs  # noqa: E402

PUBLISHED = len(published_specs(Settings(mcp_tools="")))  # the default toolset's size


@cache
def run(stack: str) -> dict[str, Any]:
    env, script, installer = STACKS[stack]
    python = CI / env / "bin" / "python"
    if not python.exists():
        marker = CI / f"{env}.UNAVAILABLE"
        reason = marker.read_text().strip() if marker.exists() else f"not installed: run `{installer}` once"
        pytest.skip(f"agent stack {stack} ({env}): {reason}")
    done = subprocess.run([str(python), str(CLIENTS / script), sys.executable, json.dumps(SEED_REQUEST)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def steps(outcome: dict[str, Any], tool: str) -> list[dict[str, Any]]:
    return [step for step in outcome["steps"] if step["tool"] == tool]


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_the_main_job_end_to_end(stack: str, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run(stack)
    with capsys.disabled():
        print(f"\n  agent stack {stack}: " + ", ".join(f"{name} {version}" for name, version in outcome["versions"].items()), end="")
    assert len(outcome["tools"]) == PUBLISHED, outcome["tools"]
    for step in outcome["steps"]:
        assert step["all_fields"], f"{step['tool']} was sent without every property: {sorted(step['arguments'])}"
    [resolved] = steps(outcome, "resolve_schedule")
    assert "10:00" in resolved["output"]
    [preview] = steps(outcome, "preview_batch_call")
    assert "Nothing has been sent. Plan:" in preview["output"] and "create_batch_call(confirmation_token=" in preview["output"]
    [create] = steps(outcome, "create_batch_call")
    assert create["arguments"]["confirmation_token"], "the model found no confirmation_token in what the stack showed it"
    assert "Batch call created" in create["output"]
    updates = steps(outcome, "update_batch_call")
    plan, *confirms = updates
    assert set(plan["arguments"]) == UPDATE_FIELDS
    assert plan["arguments"]["schedule"] and plan["arguments"]["confirmation_token"] is None
    assert all(plan["arguments"][field] is None for field in ("name", "trigger_timestamp", "timezone", "status"))
    assert "Nothing has been changed. Plan:" in plan["output"]
    assert confirms and all(step["arguments"]["confirmation_token"] for step in confirms)
    assert "Updated." in confirms[-1]["output"] and "Start moved from" in confirms[-1]["output"], confirms[-1]["output"][:2000]


def test_the_agents_sdk_ran_the_tools_strict() -> None:
    """Strict mode really was on: every tool strict but those it cannot convert (listed, with why)."""
    outcome = run("openai-agents-strict")
    for tool, strict in outcome["strict"].items():
        if tool in NOT_STRICT:
            assert not strict, f"the Agents SDK now makes {tool} strict: remove it from NOT_STRICT ({NOT_STRICT[tool]})"
        else:
            assert strict, f"the Agents SDK fell back to a non-strict {tool}"


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_the_update_is_confirmed_with_the_token_alone_as_its_plan_says(stack: str) -> None:
    plan, confirm, *_ = steps(run(stack), "update_batch_call")
    assert confirm["arguments"]["schedule"] is None and confirm["arguments"]["confirmation_token"]
    assert "Updated." in confirm["output"], confirm["output"][:1000]
