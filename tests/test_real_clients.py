"""The clients people use, not only ours: the MCP Inspector CLI (stdio and HTTP, both eras),
langchain-mcp-adapters converting every tool, and a pydantic-ai agent driven by a scripted model.

`.ci/install-clients` installs them (CI runs it); without them each test is skipped and says why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.test_http import TOKEN, start
from zudu_mcp.demo import SEED_REQUEST

CI = Path(__file__).resolve().parent.parent / ".ci"
INSPECTOR = CI / "node" / "node_modules" / ".bin" / "mcp-inspector"
# The node .ci/install-clients installs beside the Inspector (from the npm registry): the Inspector 2.x
# needs node >= 22.19, and the machine's own node may be older.
NODE = CI / "node" / "node_modules" / ".bin" / "node"
INSPECTOR_VERSION, MINIMUM_NODE = "2.12.0", (22, 19)
CLIENTS = Path(__file__).resolve().parent / "clients"
ENV = {"ZUDU_MCP_CONFIRM": "off"}

from zudu_mcp.config import Settings  # noqa: E402
from zudu_mcp.server import published_specs  # noqa: E402

PUBLISHED = len(published_specs(Settings(mcp_tools="")))  # the default toolset's size


def require(path: Path, marker: Path) -> None:
    if not path.exists():
        reason = marker.read_text().strip() if marker.exists() else "not installed: run `bash .ci/install-clients` once"
        pytest.skip(f"{path.name}: {reason}")


def node_environment() -> dict[str, str]:
    """Our node first on PATH, so anything the Inspector starts with `node` gets the same one."""
    return dict(os.environ) | {"PATH": os.pathsep.join([str(NODE.parent), os.environ.get("PATH", "")])}


def inspector(*args: str) -> subprocess.CompletedProcess[str]:
    require(INSPECTOR, CI / "node" / "UNAVAILABLE")
    require(NODE, CI / "node" / "UNAVAILABLE")
    return subprocess.run(
        [str(NODE), str(INSPECTOR), "--cli", *args, "--format", "json", "-q"], capture_output=True, text=True, timeout=120, env=node_environment()
    )


def test_the_inspector_runs_on_a_node_it_supports() -> None:
    """Which node and which Inspector the tests below ran (printed, and checked against what the Inspector needs)."""
    require(INSPECTOR, CI / "node" / "UNAVAILABLE")
    require(NODE, CI / "node" / "UNAVAILABLE")
    node = subprocess.run([str(NODE), "--version"], capture_output=True, text=True, timeout=30, env=node_environment()).stdout.strip()
    package = json.loads((CI / "node" / "node_modules" / "@modelcontextprotocol" / "inspector" / "package.json").read_text())
    print(f"MCP Inspector {package['version']} on node {node} ({NODE})")
    assert package["version"] == INSPECTOR_VERSION
    assert tuple(int(part) for part in node.lstrip("v").split(".")[:2]) >= MINIMUM_NODE, f"node {node} is older than the Inspector needs"


# Its own state directory: the Inspector starts servers with a bare environment, and the sandbox persists.
SERVER = [sys.executable, "-m", "zudu_mcp", "--sandbox", "-e", "ZUDU_MCP_CONFIRM=off", "-e", f"ZUDU_MCP_STATE_DIR={tempfile.mkdtemp(prefix='zudu-inspector-')}"]


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_inspector_lists_tools_over_stdio_with_no_portability_errors(era: str) -> None:
    done = inspector(*SERVER, "--protocol-era", era, "--method", "tools/list", "--strict")
    assert done.returncode == 0, done.stderr
    names = {tool["name"] for tool in json.loads(done.stdout)["result"]["tools"]}
    assert {"resolve_schedule", "preview_batch_call", "create_batch_call", "get_batch_call"} <= names and len(names) == PUBLISHED


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_inspector_creates_a_sandbox_batch_over_stdio(era: str, tmp_path) -> None:
    arguments = {k: v for k, v in SEED_REQUEST.items() if k != "trigger_timestamp"} | {"schedule": "tomorrow at 10am"}
    done = inspector(
        *SERVER[:-2],
        "-e",
        f"ZUDU_MCP_STATE_DIR={tmp_path}",
        "--protocol-era",
        era,
        "--method",
        "tools/call",
        "--tool-name",
        "create_batch_call",
        "--tool-args-json",
        json.dumps(arguments),
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    assert result["isError"] is False and "Batch call created" in result["content"][0]["text"]


def test_inspector_over_http_with_the_bearer_token() -> None:
    require(INSPECTOR, CI / "node" / "UNAVAILABLE")
    process, url = start(env={"ZUDU_MCP_AUTH_TOKEN": TOKEN})
    try:
        ok = inspector(
            "--transport",
            "http",
            "--server-url",
            url + "/mcp",
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--method",
            "tools/call",
            "--tool-name",
            "resolve_schedule",
            "--tool-args-json",
            '{"text": "tomorrow 9am", "timezone": "UTC"}',
        )
        refused = inspector("--transport", "http", "--server-url", url + "/mcp", "--method", "tools/list")
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert ok.returncode == 0, ok.stderr
    assert "09:00 UTC" in json.loads(ok.stdout)["result"]["content"][0]["text"]
    assert refused.returncode != 0 and "auth_required" in refused.stderr + refused.stdout  # it saw the 401


def framework(name: str, script: str, *args: str) -> dict:
    python = CI / "clients" / name / "bin" / "python"
    require(python, CI / "clients" / f"{name}.UNAVAILABLE")
    done = subprocess.run([str(python), str(CLIENTS / script), sys.executable, *args], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_langchain_converts_every_tool() -> None:
    converted = framework("langchain", "langchain_convert.py")
    assert len(converted["tools"]) == PUBLISHED
    assert all(schema.get("type") == "object" for schema in converted["schemas"].values())
    assert "Sun" in converted["answer"] or "IST" in converted["answer"]


def test_pydantic_ai_agent_drives_resolve_preview_create() -> None:
    outcome = framework("pydantic-ai", "pydantic_ai_agent.py", json.dumps(SEED_REQUEST))
    assert len(outcome["tools"]) == PUBLISHED
    assert "batch_call_" in outcome["output"] and "'status': 'scheduled'" in outcome["output"]
