"""`zudu-mcp install <client>` against a temporary home directory, and the issue's Done-when:
install the tool from this checkout, configure Claude Desktop, start exactly what was configured."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from zudu_mcp.install import CLIENTS, InstallError, config_path, install, launch_command

ROOT = Path(__file__).resolve().parent.parent
KEY, SECRET = "sk_installkey0123456789", "s3cr3t_installsecret0123456789"
NOW = datetime(2026, 12, 1, 9, 30, 0)


def run(client: str, home: Path, **options) -> tuple[int, str]:
    out = io.StringIO()
    options.setdefault("environ", {})
    options.setdefault("platform", "linux")
    code = install(client, home=home, out=out, now=options.pop("now", NOW), **options)
    return code, out.getvalue()


@pytest.mark.parametrize(
    ("client", "platform", "expected"),
    [
        ("claude-desktop", "darwin", "Library/Application Support/Claude/claude_desktop_config.json"),
        ("claude-desktop", "linux", ".config/Claude/claude_desktop_config.json"),
        ("claude-desktop", "win32", "AppData/Roaming/Claude/claude_desktop_config.json"),
        ("vscode", "darwin", "Library/Application Support/Code/User/mcp.json"),
        ("vscode", "linux", ".config/Code/User/mcp.json"),
        ("vscode", "win32", "AppData/Roaming/Code/User/mcp.json"),
        ("claude-code", "darwin", ".claude.json"),
        ("claude-code", "win32", ".claude.json"),
        ("cursor", "linux", ".cursor/mcp.json"),
    ],
)
def test_each_client_file_is_where_that_client_reads_it(tmp_path: Path, client: str, platform: str, expected: str) -> None:
    assert config_path(client, home=tmp_path, platform=platform, environ={}) == tmp_path / expected


def test_platform_conventions_for_the_config_folder_are_honoured(tmp_path: Path) -> None:
    assert config_path("claude-desktop", home=tmp_path, platform="linux", environ={"XDG_CONFIG_HOME": "/x"}) == Path("/x/Claude/claude_desktop_config.json")
    assert config_path("vscode", home=tmp_path, platform="win32", environ={"APPDATA": "/r"}) == Path("/r/Code/User/mcp.json")


def test_a_new_file_holds_the_entry_with_credentials_and_nothing_secret_is_printed(tmp_path: Path) -> None:
    code, printed = run("claude-desktop", tmp_path, api_key=KEY, api_secret=SECRET)
    path = tmp_path / ".config/Claude/claude_desktop_config.json"
    entry = json.loads(path.read_text())["mcpServers"]["zudu"]
    assert code == 0 and entry["env"] == {"ZUDU_API_KEY": KEY, "ZUDU_API_SECRET": SECRET}
    assert os.path.isabs(entry["command"]) and "type" not in entry
    assert (path.stat().st_mode & 0o777) == 0o600, "the file holds the API secret"
    assert f"added the server 'zudu' in {path}" in printed and "ZUDU_API_KEY=set (" in printed
    assert KEY not in printed and SECRET not in printed and KEY[-6:] not in printed


def test_credentials_come_from_the_environment_when_not_given(tmp_path: Path) -> None:
    run("cursor", tmp_path, environ={"ZUDU_API_KEY": KEY, "ZUDU_API_SECRET": SECRET})
    assert json.loads((tmp_path / ".cursor/mcp.json").read_text())["mcpServers"]["zudu"]["env"]["ZUDU_API_SECRET"] == SECRET


def test_without_credentials_or_sandbox_nothing_is_written_and_the_fix_is_named(tmp_path: Path) -> None:
    with pytest.raises(InstallError, match="ZUDU_API_SECRET not given") as refused:
        run("cursor", tmp_path, api_key=KEY)
    assert "--api-secret" in str(refused.value) and "--sandbox" in str(refused.value)
    assert not (tmp_path / ".cursor").exists()


def test_running_twice_changes_nothing_the_second_time_and_says_so(tmp_path: Path) -> None:
    run("claude-desktop", tmp_path, sandbox=True)
    path = config_path("claude-desktop", home=tmp_path, platform="linux", environ={})
    before = path.read_bytes()
    code, printed = run("claude-desktop", tmp_path, sandbox=True, now=datetime(2026, 12, 1, 10, 0, 0))
    assert code == 0 and "already up to date; nothing changed" in printed
    assert path.read_bytes() == before and not list(path.parent.glob("*.bak")), "no write, so no backup either"


def test_merging_keeps_every_other_server_and_setting_and_backs_up_the_old_file(tmp_path: Path) -> None:
    """Claude Code's ~/.claude.json holds much more than servers: all of it survives."""
    path = tmp_path / ".claude.json"
    original = {"numStartups": 41, "projects": {"/p": {"mcpServers": {"x": {"command": "y"}}}}, "mcpServers": {"other": {"command": "npx", "args": ["o"]}}}
    path.write_text(json.dumps(original))
    code, printed = run("claude-code", tmp_path, sandbox=True)
    document = json.loads(path.read_text())
    assert code == 0
    assert {k: v for k, v in document.items() if k != "mcpServers"} == {k: v for k, v in original.items() if k != "mcpServers"}
    assert document["mcpServers"]["other"] == original["mcpServers"]["other"]
    assert document["mcpServers"]["zudu"]["type"] == "stdio" and document["mcpServers"]["zudu"]["args"][-1] == "--sandbox"
    backup = path.with_name(".claude.json.20261201-093000.bak")
    assert json.loads(backup.read_text()) == original and f"backup of the previous file: {backup}" in printed


def test_an_update_keeps_the_users_own_additions(tmp_path: Path) -> None:
    path = tmp_path / ".cursor/mcp.json"
    run("cursor", tmp_path, sandbox=True)
    document = json.loads(path.read_text())
    document["mcpServers"]["zudu"] |= {"disabled": False, "env": {"ZUDU_DEFAULT_TIMEZONE": "Asia/Kolkata"}}
    path.write_text(json.dumps(document))
    code, printed = run("cursor", tmp_path, api_key=KEY, api_secret=SECRET, now=datetime(2026, 12, 1, 10, 0, 0))
    entry = json.loads(path.read_text())["mcpServers"]["zudu"]
    assert code == 0 and "updated the server 'zudu'" in printed and "kept the variables you had added: ZUDU_DEFAULT_TIMEZONE" in printed
    assert entry["disabled"] is False and "--sandbox" not in entry["args"]
    assert entry["env"] == {"ZUDU_DEFAULT_TIMEZONE": "Asia/Kolkata", "ZUDU_API_KEY": KEY, "ZUDU_API_SECRET": SECRET}


def test_vscode_uses_servers_and_type_stdio(tmp_path: Path) -> None:
    run("vscode", tmp_path, sandbox=True, server_args=["--file-root", "/data/lists"])
    entry = json.loads((tmp_path / ".config/Code/User/mcp.json").read_text())["servers"]["zudu"]
    assert entry["type"] == "stdio" and entry["args"][-3:] == ["--sandbox", "--file-root", "/data/lists"] and "env" not in entry


def test_a_file_that_is_not_json_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / ".config/Code/User/mcp.json"
    path.parent.mkdir(parents=True)
    path.write_text('{\n  // my servers\n  "servers": {}\n}\n')
    with pytest.raises(InstallError, match=r"is not valid JSON \(line 2") as refused:
        run("vscode", tmp_path, sandbox=True)
    assert "nothing was changed" in str(refused.value)
    assert path.read_text().startswith("{\n  // my servers") and not list(path.parent.glob("*.bak"))


def test_uvx_and_the_installed_executable(tmp_path: Path) -> None:
    run("cursor", tmp_path, sandbox=True, uvx=True)
    entry = json.loads((tmp_path / ".cursor/mcp.json").read_text())["mcpServers"]["zudu"]
    assert Path(entry["command"]).name in ("uvx", "uvx.exe") and entry["args"] == ["zudu-mcp", "--sandbox"]
    script = tmp_path / "bin" / "zudu-mcp"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    assert launch_command(uvx=False, argv0=str(script)) == (str(script), [])
    assert launch_command(uvx=False, argv0="/somewhere/zudu_mcp/__main__.py") == (sys.executable, ["-m", "zudu_mcp"])
    cached = tmp_path / "cache" / "uv" / "archive-v0" / "AbC123" / "bin" / "zudu-mcp"
    cached.parent.mkdir(parents=True)
    cached.write_text("#!/bin/sh\n")
    assert launch_command(uvx=False, argv0=str(cached))[1] == ["zudu-mcp"], "uvx's throwaway copy is not a command to keep"


def clean_environment(home: Path) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_") and k not in ("XDG_CONFIG_HOME", "APPDATA")} | {"HOME": str(home)}


def test_the_cli_command_refuses_a_missing_file_root_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "zudu_mcp", "install", "cursor", "--sandbox", "--file-root", str(tmp_path / "nope")],
        env=clean_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "no such folder" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / ".cursor").exists()


def install_the_tool(tmp_path: Path) -> Path:
    """`uv tool install` of this checkout into tmp_path, as a newcomer installs it; the path of `zudu-mcp`."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed: the install path under test is `uv tool install`")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    env |= {"UV_TOOL_DIR": str(tmp_path / "tools"), "UV_TOOL_BIN_DIR": str(tmp_path / "bin")}
    # --reinstall-package: uv caches a folder's build by pyproject.toml, so this checkout's current code is rebuilt
    command = [uv, "tool", "install", "--python", sys.executable, "--reinstall-package", "zudu-mcp", str(ROOT)]
    done = subprocess.run([*command[:3], "--offline", *command[3:]], env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:  # a cold cache: the same install with the network
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    executable = tmp_path / "bin" / ("zudu-mcp.exe" if os.name == "nt" else "zudu-mcp")
    assert executable.exists(), done.stderr
    return executable


@pytest.mark.anyio
async def test_done_when_install_configure_claude_desktop_and_the_configured_command_answers(tmp_path: Path) -> None:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    executable = install_the_tool(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    done = subprocess.run(
        [str(executable), "install", "claude-desktop", "--sandbox"],
        env=clean_environment(home),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    path = config_path("claude-desktop", home=home, environ={})
    assert str(path) in done.stdout
    entry = json.loads(path.read_text())["mcpServers"]["zudu"]
    assert entry["command"] == str(executable) and entry["args"] == ["--sandbox"]

    # exactly what Claude Desktop would start: the command, its args, its env over the user's own
    configured = StdioServerParameters(command=entry["command"], args=entry["args"], env={"HOME": str(home), **entry.get("env", {})})
    async with Client(configured, mode="legacy", read_timeout_seconds=60) as client:
        assert client.server_info is not None and client.server_info.name
        tools = await client.list_tools()
    assert {"resolve_schedule", "preview_batch_call", "create_batch_call"} <= {tool.name for tool in tools.tools}


def test_every_client_is_documented() -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text()
    assert all(f"zudu-mcp install {client}" in guide for client in CLIENTS)
