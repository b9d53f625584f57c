"""`zudu-mcp`: serve over stdio (default), run the demo or the standalone sandbox, or check the set-up."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from pydantic import ValidationError

CONNECT_HINT = """\
zudu-mcp is an MCP server: it speaks JSON-RPC on stdin/stdout and waits for an MCP client, so \
there is nothing to type here (Ctrl-C quits). To use it from Claude Desktop, add it under \
"mcpServers" in claude_desktop_config.json with "command": "uvx" (or the path to zudu-mcp), \
"args": ["zudu-mcp"] and an "env" block holding ZUDU_API_KEY and ZUDU_API_SECRET; see \
examples/claude_desktop_config.json. To try it without an account, run `zudu-mcp demo`."""


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="zudu-mcp", description="MCP server for Zudu outbound voice campaigns.")
    root.add_argument("--sandbox", action="store_true", help="use the built-in Zudu emulator (no account, no real calls)")
    root.add_argument("--file-root", action="append", default=[], metavar="DIR", help="a folder call-list files may be read from (repeatable; adds to ZUDU_MCP_FILE_ROOTS)")
    commands = root.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="serve MCP over stdio (the default)")
    serve.add_argument("--sandbox", action="store_true", default=argparse.SUPPRESS, help="use the built-in emulator")
    commands.add_parser("demo", help="run a full assistant session against the sandbox and print it")
    sandbox = commands.add_parser("sandbox", help="run the Zudu emulator as an HTTP server")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8080)
    journal = commands.add_parser("journal", help="print the latest entries of the request journal")
    journal.add_argument("--limit", type=int, default=20)
    doctor = commands.add_parser("doctor", help="print the effective configuration, secrets masked")
    doctor.add_argument("--sandbox", action="store_true", default=argparse.SUPPRESS, help="as the server would run with --sandbox")
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = args.command or "serve"
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if command == "demo":
        import anyio

        from zudu_mcp.demo import run_demo

        return anyio.run(run_demo, sys.stdout)
    if command == "sandbox":
        return run_sandbox(args.host, args.port)
    settings = load_settings(sandbox=args.sandbox, file_roots=args.file_root)
    if settings is None:
        return 2
    if command == "doctor":
        return doctor(settings)
    if command == "journal":
        return print_journal(settings, args.limit)
    return serve(settings)


def load_settings(*, sandbox: bool, file_roots: list[str]):
    from zudu_mcp.config import Settings

    try:
        settings = Settings(sandbox=True) if sandbox else Settings()
        if file_roots:
            roots = [settings.mcp_file_roots, *file_roots] if settings.mcp_file_roots else file_roots
            settings = settings.model_copy(update={"mcp_file_roots": os.pathsep.join(roots)})
        return settings
    except ValidationError as exc:
        for problem in exc.errors(include_url=False):
            sys.stderr.write(f"zudu-mcp: configuration error: {problem['msg'].removeprefix('Value error, ')}\n")
        return None


def serve(settings) -> int:
    from zudu_mcp.server import create_server

    logging.getLogger().setLevel(settings.log_level)
    if sys.stdin.isatty():
        sys.stderr.write(CONNECT_HINT + "\n")
    create_server(settings).run("stdio")
    return 0


def doctor(settings) -> int:
    out = sys.stdout
    out.write("zudu-mcp effective configuration\n")  # stdout-ok: a CLI report, not the server
    for key, value in settings.describe().items():
        out.write(f"  {key:22} {value}\n")  # stdout-ok
    if not settings.sandbox and not settings.has_credentials:
        out.write("\nNo credentials: every tool call will say so. Set ZUDU_API_KEY and ZUDU_API_SECRET, or use --sandbox.\n")  # stdout-ok
        return 1
    return 0


def print_journal(settings, limit: int) -> int:
    from zudu_mcp.backend import Backend
    from zudu_mcp.journal import describe_entry

    if settings.sandbox:
        sys.stderr.write("The sandbox keeps its journal in memory; there is nothing to show here.\n")
        return 1
    entries = Backend(settings).journal().recent(limit)
    out = sys.stdout
    out.write(f"Journal at {settings.state_dir / 'journal.sqlite3'} ({len(entries)} latest, newest first)\n")  # stdout-ok
    for entry in entries:
        out.write(describe_entry(entry) + "\n")  # stdout-ok
    return 0


def run_sandbox(host: str, port: int) -> int:
    import uvicorn

    from zudu_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET, create_app

    sys.stderr.write(
        f"Zudu sandbox on http://{host}:{port} (in memory; no real calls). Point a client at it with\n"
        f"  ZUDU_BASE_URL=http://{host}:{port} ZUDU_API_KEY={SANDBOX_API_KEY} ZUDU_API_SECRET={SANDBOX_API_SECRET}\n"
    )
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
