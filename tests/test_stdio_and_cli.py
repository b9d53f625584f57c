"""The real thing: the server as a subprocess over stdio, and the CLI commands people type."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.conftest import API_KEY, API_SECRET, text_of
from zudu_mcp.demo import seed_request_for_tomorrow

pytestmark = pytest.mark.anyio


def server_process(*args: str, env: dict[str, str] | None = None) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "zudu_mcp", *args], env=env)


async def test_stdio_sandbox_session(mode: str, tmp_path) -> None:
    """With the default consent policy: a create without confirmation answers with the plan; then the token sends it."""
    arguments = seed_request_for_tomorrow(datetime.now(UTC))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")} | {"ZUDU_MCP_STATE_DIR": str(tmp_path)}
    async with Client(server_process("--sandbox", env=env), mode=mode, read_timeout_seconds=30) as client:
        tools = await client.list_tools()
        assert "create_batch_call" in [tool.name for tool in tools.tools]
        unconfirmed = await client.call_tool("create_batch_call", arguments)
        assert not unconfirmed.is_error and unconfirmed.structured_content["needs_confirmation"], text_of(unconfirmed)
        preview = await client.call_tool("preview_batch_call", arguments)
        assert "2 calls from +91 80 3531 5547 with agent «Sales-Renewals»" in text_of(preview)
        token = preview.structured_content["confirmation_token"]
        result = await client.call_tool("create_batch_call", {"confirmation_token": token})
    assert not result.is_error, text_of(result)
    assert text_of(result).startswith("SANDBOX:")
    assert "Batch call created: batch_call_" in text_of(result)


async def test_stdio_without_credentials_lists_tools_and_names_the_fix(mode: str) -> None:
    async with Client(server_process(), mode=mode, read_timeout_seconds=30) as client:
        tools = await client.list_tools()
        assert tools.tools
        result = await client.call_tool("create_batch_call", seed_request_for_tomorrow(datetime.now(UTC)))
    assert result.is_error
    assert "ZUDU_API_KEY" in text_of(result) and "--sandbox" in text_of(result)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")}
    return subprocess.run(
        [sys.executable, "-m", "zudu_mcp", *args], env=base | (env or {}), capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )


def test_doctor_masks_secrets() -> None:
    done = run_cli("doctor", env={"ZUDU_API_KEY": API_KEY, "ZUDU_API_SECRET": API_SECRET})
    assert done.returncode == 0, done.stderr
    assert "ZUDU_API_KEY" in done.stdout and "hidden" in done.stdout
    assert API_KEY not in done.stdout + done.stderr and API_SECRET not in done.stdout + done.stderr
    assert API_KEY[-4:] not in done.stdout


def test_doctor_without_credentials_says_what_to_set() -> None:
    done = run_cli("doctor")
    assert done.returncode == 1
    assert "ZUDU_API_KEY and ZUDU_API_SECRET" in done.stdout and "--sandbox" in done.stdout


def test_bad_configuration_is_one_line_not_a_traceback() -> None:
    done = run_cli("doctor", env={"ZUDU_BASE_URL": "api.zudu.ai"})
    assert done.returncode == 2
    assert done.stderr.strip().startswith("zudu-mcp: configuration error: ZUDU_BASE_URL must start with https://")
    assert "Traceback" not in done.stderr


def test_demo_runs_a_full_sandbox_session() -> None:
    done = run_cli("demo")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "create_batch_call" in done.stdout
    assert "SANDBOX:" in done.stdout and "Batch call created: batch_call_" in done.stdout
    assert "Recipients: 2, calling from +918035315547" in done.stdout
    # it ends with the campaign completed (accelerated sandbox), its report, and a follow-up plan for who did not answer
    assert "«new_batch_call_docs» is completed" in done.stdout
    assert "Results of «new_batch_call_docs»: 2 recipients, status completed." in done.stdout
    assert "Reached 1 of 2 calls made (50% reach rate)" in done.stdout
    follow_up = done.stdout[done.stdout.index("call_again") :]
    assert "Follow-up of «new_batch_call_docs»: the 1 recipient in" in follow_up
    assert "1 call from +91 80 3531 5547" in follow_up and 'create_batch_call(confirmation_token="zps_' in follow_up


def test_stdio_server_writes_nothing_but_protocol_to_stdout() -> None:
    """An MCP client would choke on anything else: stdout stays empty when stdin closes at once."""
    done = run_cli("--sandbox")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


def test_started_by_hand_in_a_terminal_it_says_how_to_connect() -> None:
    """stdin is a terminal: a person typed `zudu-mcp`; the hint goes to stderr, stdout stays clean."""
    import pty

    controller, terminal = pty.openpty()
    base = {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")}
    process = subprocess.Popen([sys.executable, "-m", "zudu_mcp", "--sandbox"], stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=base)
    try:
        line = process.stderr.readline().decode()
    finally:
        process.kill()
        process.wait(timeout=10)
        os.close(controller)
        os.close(terminal)
    assert "zudu-mcp install claude-desktop" in line and "--sandbox" in line and "zudu-mcp demo" in line
    assert process.stdout.read() == b""


def output_of(path) -> str:
    return path.read_bytes().decode(errors="replace")


def wait_for_text(path, text: str, process: subprocess.Popen, timeout: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout
    while text not in output_of(path):
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never appeared: {output_of(path)!r}")
        time.sleep(0.2)


def test_ctrl_c_in_a_terminal_stops_the_server_at_once_and_quietly(tmp_path) -> None:
    """Issue 17: one Ctrl-C used to leave the process waiting on stdin; a second printed a traceback."""
    import pty
    import signal

    controller, terminal = pty.openpty()
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"  # files, never a pipe that could fill up
    base = {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")}
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "zudu_mcp", "--sandbox"], stdin=terminal, stdout=out, stderr=err, env=base)
    try:
        wait_for_text(stderr, "zudu-mcp demo", process)  # started: the hint is out, the server reads its terminal
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        os.close(controller)
        os.close(terminal)
    assert code == 128 + signal.SIGINT
    assert "Traceback" not in output_of(stderr) and "KeyboardInterrupt" not in output_of(stderr)
    assert output_of(stdout) == ""


def test_a_start_without_credentials_or_sandbox_warns_in_one_line() -> None:
    done = run_cli()
    warnings = [line for line in done.stderr.splitlines() if "warning" in line]
    assert done.returncode == 0 and len(warnings) == 1
    assert "ZUDU_API_KEY" in warnings[0] and "ZUDU_API_SECRET" in warnings[0] and "--sandbox" in warnings[0]
    assert "warning" not in run_cli("--sandbox").stderr
    assert "warning" not in run_cli(env={"ZUDU_API_KEY": API_KEY, "ZUDU_API_SECRET": API_SECRET}).stderr


def test_version_comes_from_the_package_metadata() -> None:
    from importlib.metadata import version

    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout == f"zudu-mcp {version('zudu-mcp')}\n"


def test_doctor_shows_every_setting_and_the_docs_list_each_one() -> None:
    from pathlib import Path

    from zudu_mcp.config import Settings

    described = Settings().describe()
    documented = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text()
    for name in Settings.model_fields:
        variable = "ZUDU_" + name.upper()
        assert variable in described, f"zudu-mcp doctor does not show {variable}"
        assert f"`{variable}`" in documented, f"docs/configuration.md does not list {variable}"


def test_the_journal_command_shows_every_account_labelled(tmp_path) -> None:
    from zudu_mcp.journal import Journal

    for location, account in ((tmp_path / "journal.sqlite3", "a1b2c3"), (tmp_path / "sandbox" / "journal.sqlite3", "sandbox")):
        journal = Journal(location, account=account)
        entry = journal.record_intent("create", {"name": "n", "tasks": [{"to_number": "+919600011957"}]}, f"campaign of {account}")
        journal.record_outcome(entry, "ok", batch_call_id="batch_call_1", status="scheduled")
        journal.close()
    done = run_cli("journal", env={"ZUDU_MCP_STATE_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert "live account a1b2c3, 1 latest" in done.stdout and "sandbox (nothing real), 1 latest" in done.stdout
    assert "campaign of a1b2c3" in done.stdout and "+919600011957" not in done.stdout


def test_the_readme_is_a_five_minute_read_with_the_two_commands_first() -> None:
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert len(readme.encode()) <= 10 * 1024, len(readme.encode())
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0].split()
    assert " ".join(first_block) == "uv run zudu-mcp demo uv run pytest"
    assert "your-org" not in readme and "mcp-name: io.github.zudu-mcp/zudu-mcp" in readme
