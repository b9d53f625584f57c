"""`zudu-mcp install <client>`: put this server into an MCP client's configuration file.

Each client keeps its servers in a JSON file of its own (the path depends on the OS); this writes or
merges one entry there, so a newcomer never edits JSON by hand. It is a CLI, not the server: what it
changed goes to stdout. The file it changes is backed up first; running it twice changes nothing
the second time and says so. Secrets are written to the file (the client needs them) but never
printed.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

SECRET_VARIABLES = ("ZUDU_API_KEY", "ZUDU_API_SECRET", "ZUDU_MCP_AUTH_TOKEN", "ZUDU_MCP_JOURNAL_URL")


@dataclass(frozen=True)
class Client:
    label: str  # as the client names itself
    servers_key: str  # the object in the file that holds the servers, by name
    typed: bool  # whether an entry states "type": "stdio"
    restart_hint: str


CLIENTS: dict[str, Client] = {
    "claude-desktop": Client("Claude Desktop", "mcpServers", False, "Quit and reopen Claude Desktop to load it."),
    "claude-code": Client("Claude Code (user scope)", "mcpServers", True, "Start a new Claude Code session; `/mcp` lists it."),
    "cursor": Client("Cursor", "mcpServers", False, "Cursor picks it up in Settings > MCP (toggle it on if it is off)."),
    "vscode": Client("VS Code (user profile)", "servers", True, "In VS Code run 'MCP: List Servers' and start it, or reload the window."),
}


class InstallError(Exception):
    """What stops the install, in one sentence that names the fix; nothing was written."""


def config_path(client: str, *, home: Path | None = None, platform: str = sys.platform, environ: Mapping[str, str] = os.environ) -> Path:
    """Where `client` keeps its MCP servers for the user whose home is `home` (default: this user's)."""
    home = home if home is not None else Path.home()
    if client == "claude-code":
        return home / ".claude.json"  # user scope: the top-level "mcpServers" of this one file
    if client == "cursor":
        return home / ".cursor" / "mcp.json"
    if platform == "darwin":
        app_data = home / "Library" / "Application Support"
    elif platform == "win32":
        app_data = Path(environ["APPDATA"]) if environ.get("APPDATA") else home / "AppData" / "Roaming"
    else:  # Linux and the other Unixes follow the XDG convention
        app_data = Path(environ["XDG_CONFIG_HOME"]) if environ.get("XDG_CONFIG_HOME") else home / ".config"
    if client == "claude-desktop":
        return app_data / "Claude" / "claude_desktop_config.json"
    if client == "vscode":
        return app_data / "Code" / "User" / "mcp.json"
    raise InstallError(f"unknown client {client!r}; choose one of {', '.join(CLIENTS)}")


def launch_command(*, uvx: bool, argv0: str | None = None) -> tuple[str, list[str]]:
    """The command the client should start: this very installation, by absolute path.

    Clients start servers with a minimal PATH (Claude Desktop on macOS especially), so a bare name is
    not enough. `--uvx` asks for `uvx zudu-mcp` instead, which runs the published package.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    if not uvx and Path(argv0).name.lower() in ("zudu-mcp", "zudu-mcp.exe"):
        found = argv0 if os.sep in argv0 or (os.altsep and os.altsep in argv0) else shutil.which(argv0)
        if found and Path(found).exists():
            if not runs_from_uv_cache(found):
                return os.path.abspath(found), []
            uvx = True  # `uvx zudu-mcp install ...`: that copy lives in uv's cache, which uv may prune at any time
    if uvx:
        return shutil.which("uvx") or "uvx", ["zudu-mcp"]
    return sys.executable, ["-m", "zudu_mcp"]  # run as `python -m zudu_mcp`: the same interpreter and package


def runs_from_uv_cache(path: str) -> bool:
    """True for the throwaway environments `uvx` runs a package in (uv's cache: .../archive-v0/<hash>/bin)."""
    return "archive-v0" in Path(path).parts


def server_entry(client: str, command: str, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "stdio"} if CLIENTS[client].typed else {}
    entry |= {"command": command, "args": args}
    if env:
        entry["env"] = env
    return entry


def merged(document: dict[str, Any], client: str, name: str, entry: dict[str, Any], path: Path) -> tuple[dict[str, Any], str, list[str]]:
    """The document with `entry` under `name`; what happened (added, updated, unchanged); env variables kept.

    Everything else in the file is left as it was. An existing entry keeps its other keys (a client's
    own flags such as "disabled") and any environment variables the user added by hand.
    """
    key = CLIENTS[client].servers_key
    servers = document.get(key, {})
    if not isinstance(servers, dict):
        raise InstallError(f"{path}: {key!r} is not a JSON object; fix or remove it, then run this again (nothing was changed)")
    old = servers.get(name)
    if old is not None and not isinstance(old, dict):
        raise InstallError(f"{path}: the entry {name!r} is not a JSON object; remove it or pass another --name (nothing was changed)")
    new = dict(old or {}) | entry
    kept: list[str] = []
    old_env = (old or {}).get("env")
    if isinstance(old_env, dict):
        kept = sorted(set(old_env) - set(entry.get("env", {})))
        if kept:
            new["env"] = {k: old_env[k] for k in kept} | entry.get("env", {})
    if new == old:
        return document, "unchanged", kept
    return document | {key: servers | {name: new}}, "updated" if old is not None else "added", kept


def read_config(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstallError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "comments and trailing commas are not supported here: fix the file or move it aside, then run this again (nothing was changed)"
        ) from None
    if not isinstance(document, dict):
        raise InstallError(f"{path} does not hold a JSON object; fix the file or move it aside, then run this again (nothing was changed)")
    return document


def write_config(path: Path, document: dict[str, Any], now: datetime) -> Path | None:
    """Writes atomically (a crash leaves the old file or the new one, never half of one); returns the backup."""
    backup = None
    if path.exists():
        backup = path.with_name(f"{path.name}.{now:%Y%m%d-%H%M%S}.bak")
        shutil.copy2(path, backup)
        mode = path.stat().st_mode & 0o777
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = 0o600  # it will hold the API secret
    temporary = path.with_name(f".{path.name}.zudu-mcp-tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    os.replace(temporary, path)
    return backup


def shown(entry: dict[str, Any]) -> tuple[str, list[str]]:
    """The command line and the env lines as printed: secrets masked."""
    command = " ".join([entry["command"], *entry["args"]])
    env = []
    for name, value in (entry.get("env") or {}).items():
        secret = name in SECRET_VARIABLES or any(word in name for word in ("SECRET", "TOKEN", "PASSWORD", "KEY"))
        env.append(f"{name}={'set (' + str(len(value)) + ' characters, hidden)' if secret else value}")
    return command, env


def install(
    client: str,
    *,
    name: str = "zudu",
    sandbox: bool = False,
    api_key: str | None = None,
    api_secret: str | None = None,
    server_args: list[str] | None = None,
    uvx: bool = False,
    home: Path | None = None,
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
    out: TextIO = sys.stdout,
    now: datetime | None = None,
) -> int:
    """Writes the entry and reports it; raises InstallError (nothing written) when it cannot."""
    if client not in CLIENTS:
        raise InstallError(f"unknown client {client!r}; choose one of {', '.join(CLIENTS)}")
    api_key = api_key or environ.get("ZUDU_API_KEY") or None
    api_secret = api_secret or environ.get("ZUDU_API_SECRET") or None
    env: dict[str, str] = {}
    if not sandbox:
        if not (api_key and api_secret):
            missing = " and ".join(n for n, v in (("ZUDU_API_KEY", api_key), ("ZUDU_API_SECRET", api_secret)) if not v)
            raise InstallError(
                f"no Zudu credentials: {missing} not given. Pass --api-key and --api-secret (or set ZUDU_API_KEY and "
                "ZUDU_API_SECRET in this shell), or pass --sandbox to try the built-in emulator without an account"
            )
        env = {"ZUDU_API_KEY": api_key, "ZUDU_API_SECRET": api_secret}
    command, args = launch_command(uvx=uvx)
    args = args + (["--sandbox"] if sandbox else []) + list(server_args or [])
    path = config_path(client, home=home, platform=platform, environ=environ)
    entry = server_entry(client, command, args, env)
    document, outcome, kept = merged(read_config(path), client, name, entry, path)
    label = CLIENTS[client].label
    if outcome == "unchanged":
        out.write(f"{label}: the server {name!r} in {path} is already up to date; nothing changed.\n")  # stdout-ok: a CLI report
        return 0
    backup = write_config(path, document, now or datetime.now())
    line, env_lines = shown(document[CLIENTS[client].servers_key][name])
    out.write(f"{label}: {outcome} the server {name!r} in {path}\n")  # stdout-ok
    out.write(f"  backup of the previous file: {backup}\n" if backup else "  (a new file: there was nothing to back up)\n")  # stdout-ok
    out.write(f"  command: {line}\n")  # stdout-ok
    for env_line in env_lines:
        out.write(f"  env: {env_line}\n")  # stdout-ok
    if kept:
        out.write(f"  kept the variables you had added: {', '.join(kept)}\n")  # stdout-ok
    out.write(("  sandbox: no account, no real calls. " if sandbox else "  ") + CLIENTS[client].restart_hint + "\n")  # stdout-ok
    return 0
