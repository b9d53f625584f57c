"""`zudu-mcp`: serve over stdio (default), set up a client, run the demo or the standalone sandbox, or check the set-up."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from pydantic import ValidationError

CONNECT_HINT = """\
zudu-mcp is an MCP server: it speaks JSON-RPC on stdin/stdout and waits for an MCP client, so \
there is nothing to type here (Ctrl-C quits). To connect it, run `zudu-mcp install claude-desktop` \
(or claude-code, cursor, vscode), which writes the client's configuration file; add --sandbox to \
try it without an account. To watch a whole session right now, run `zudu-mcp demo`."""

NO_CREDENTIALS_WARNING = (
    "zudu-mcp: warning: no Zudu credentials (ZUDU_API_KEY and ZUDU_API_SECRET are not set) and no --sandbox: "
    "every tool that reaches Zudu will refuse until you set both, or restart with --sandbox to use the built-in emulator."
)


class VersionAction(argparse.Action):
    """`--version`, read from the package metadata only when asked (start-up stays cheap)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help="print the version and exit"):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from zudu_mcp import package_version

        sys.stdout.write(f"zudu-mcp {package_version()}\n")  # stdout-ok: a CLI answer, not the server
        parser.exit()


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--sandbox", action="store_true", default=argparse.SUPPRESS, help="use the built-in Zudu emulator (no account, no real calls)")
    common.add_argument(
        "--file-root",
        action="append",
        default=argparse.SUPPRESS,
        metavar="DIR",
        help="a folder call-list files may be read from (repeatable; adds to ZUDU_MCP_FILE_ROOTS)",
    )
    common.add_argument("--tools", default=argparse.SUPPRESS, metavar="A,B", help="publish only these tools (ZUDU_MCP_TOOLS)")
    common.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS, help="publish only tools that read or preview (ZUDU_MCP_READ_ONLY)")
    root = argparse.ArgumentParser(prog="zudu-mcp", description="MCP server for Zudu outbound voice campaigns.", parents=[common])
    root.add_argument("--version", action=VersionAction)
    commands = root.add_subparsers(dest="command")
    serve = commands.add_parser("serve", parents=[common], help="serve MCP over stdio (the default) or streamable HTTP")
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP: interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP: port (default 8000); the endpoint is /mcp")
    serve.add_argument("--workers", type=int, default=1, help="HTTP: worker processes (they share the state directory)")
    serve.add_argument("--sse", action="store_true", help="HTTP: answer with SSE streams instead of plain JSON")
    serve.add_argument("--insecure-no-auth", action="store_true", help="HTTP: allow a non-loopback host without a bearer token")
    from zudu_mcp.install import CLIENTS

    install = commands.add_parser(
        "install",
        parents=[common],
        help="add this server to an MCP client's configuration file",
        description="Writes or merges this server into the client's MCP configuration (a backup is kept), then says what it changed. "
        "Credentials come from --api-key/--api-secret or ZUDU_API_KEY/ZUDU_API_SECRET; --sandbox needs none.",
    )
    install.add_argument("client", choices=list(CLIENTS), help="the MCP client to configure")
    install.add_argument("--name", default="zudu", help="the server's name in that client (default zudu)")
    install.add_argument("--api-key", metavar="KEY", help="Zudu X-API-KEY (default: $ZUDU_API_KEY)")
    install.add_argument("--api-secret", metavar="SECRET", help="Zudu X-API-SECRET (default: $ZUDU_API_SECRET)")
    install.add_argument("--uvx", action="store_true", help="configure `uvx zudu-mcp` (the published package) instead of this installation's path")
    commands.add_parser("demo", help="run a full assistant session against the sandbox and print it")
    sandbox = commands.add_parser("sandbox", help="run the Zudu emulator as an HTTP server")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8080)
    journal = commands.add_parser("journal", parents=[common], help="print the latest entries of the request journal")
    journal.add_argument("--limit", type=int, default=20)
    commands.add_parser("doctor", parents=[common], help="print the effective configuration, secrets masked")
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
    if command == "install":
        return install_client(args)
    overrides = flag_overrides(args)
    settings = load_settings(overrides)
    if settings is None:
        return 2
    if command == "doctor":
        return doctor(settings)
    if command == "journal":
        return print_journal(settings, args.limit)
    if getattr(args, "transport", "stdio") == "http":
        return serve_http(settings, overrides, args)
    return serve(settings)


def flag_overrides(args: argparse.Namespace) -> dict:
    """Flags win over the environment; they are also what HTTP workers are handed."""
    overrides: dict = {}
    if getattr(args, "sandbox", False):
        overrides["sandbox"] = True
    if getattr(args, "file_root", None):
        configured = os.environ.get("ZUDU_MCP_FILE_ROOTS", "")
        overrides["mcp_file_roots"] = os.pathsep.join([r for r in [configured, *args.file_root] if r])
    if getattr(args, "tools", None):
        overrides["mcp_tools"] = args.tools
    if getattr(args, "read_only", False):
        overrides["mcp_read_only"] = True
    return overrides


def load_settings(overrides: dict):
    from zudu_mcp.config import Settings

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        for problem in exc.errors(include_url=False):
            sys.stderr.write(f"zudu-mcp: configuration error: {problem['msg'].removeprefix('Value error, ')}\n")
        return None


def install_client(args: argparse.Namespace) -> int:
    from zudu_mcp.install import InstallError, install

    server_args: list[str] = []
    for root in getattr(args, "file_root", None) or []:
        folder = os.path.abspath(os.path.expanduser(root))  # the client starts the server from a folder of its own
        if not os.path.isdir(folder):
            sys.stderr.write(f"zudu-mcp: --file-root {root}: no such folder (nothing was changed)\n")
            return 2
        server_args += ["--file-root", folder]
    if getattr(args, "tools", None):
        server_args += ["--tools", args.tools]
    if getattr(args, "read_only", False):
        server_args.append("--read-only")
    try:
        return install(
            args.client,
            name=args.name,
            sandbox=getattr(args, "sandbox", False),
            api_key=args.api_key,
            api_secret=args.api_secret,
            server_args=server_args,
            uvx=args.uvx,
        )
    except (InstallError, OSError) as exc:
        sys.stderr.write(f"zudu-mcp install: {exc}\n")
        return 2


def stop_at_once(signum: int, frame: object) -> None:
    """Ctrl-C ends the stdio server now and quietly.

    The SDK reads stdin in a worker thread that KeyboardInterrupt cannot wake, so the default
    handling waits for a line that never comes (and a second Ctrl-C prints a traceback). Leaving at
    once loses nothing: a create is in the journal before its request is sent.
    """
    os._exit(128 + signum)


def serve(settings) -> int:
    import gc
    import signal

    gc.disable()  # the SDK and the tools are hundreds of thousands of objects that live as long as the process:
    from zudu_mcp.server import create_server  # no collection walks them while they load (settle_heap turns it back on)

    logging.getLogger().setLevel(settings.log_level)
    signal.signal(signal.SIGINT, stop_at_once)
    try:
        server = create_server(settings)
    except ValueError as exc:
        gc.enable()
        sys.stderr.write(f"zudu-mcp: configuration error: {exc}\n")
        return 2
    if sys.stdin.isatty():
        sys.stderr.write(CONNECT_HINT + "\n")
    warn_without_credentials(settings)
    settle_heap()
    server.run("stdio")
    return 0


def settle_heap() -> None:
    """What is loaded by now (the SDK, pydantic, the tools' schemas) lives as long as the process: the
    garbage collector stops walking it. Without this, a full collection walks ~90,000 objects, every
    few large requests (docs/performance.md: 0.3x of a 1,000-recipient plan's floor)."""
    import gc

    gc.freeze()
    gc.enable()


def warn_without_credentials(settings) -> None:
    if not settings.sandbox and not settings.has_credentials:
        sys.stderr.write(NO_CREDENTIALS_WARNING + "\n")


def serve_http(settings, overrides: dict, args: argparse.Namespace) -> int:
    from zudu_mcp.http import check_exposure, check_team, serve
    from zudu_mcp.server import published_specs

    try:
        published_specs(settings)  # an unknown --tools name or an unreadable token file fails here, not in every worker
        settings.auth_token()
        refusal = check_team(settings) or check_exposure(settings, args.host, args.insecure_no_auth)
    except ValueError as exc:
        refusal = str(exc)
    if refusal:
        sys.stderr.write(f"zudu-mcp: {refusal}\n")
        return 2
    warn_without_credentials(settings)
    serve(settings, overrides, host=args.host, port=args.port, workers=args.workers, json_response=not args.sse)
    return 0


def doctor(settings) -> int:
    out = sys.stdout
    out.write("zudu-mcp effective configuration\n")  # stdout-ok: a CLI report, not the server
    for key, value in settings.describe().items():
        out.write(f"  {key:28} {value}\n")  # stdout-ok
    if not settings.sandbox and not settings.has_credentials:
        out.write("\nNo credentials: every tool call will say so. Set ZUDU_API_KEY and ZUDU_API_SECRET, or use --sandbox.\n")  # stdout-ok
        return 1
    return 0


def print_journal(settings, limit: int) -> int:
    """Every account's latest entries, labelled: the live journal(s) and the sandbox's, without needing the server's exact key."""
    from zudu_mcp.journal import Journal, describe_entry

    out = sys.stdout
    places = [("PostgreSQL (ZUDU_MCP_JOURNAL_URL)", settings.mcp_journal_url.get_secret_value())] if settings.mcp_journal_url else []
    places += [(str(path), path) for path in (settings.state_dir / "journal.sqlite3", settings.state_dir / "sandbox" / "journal.sqlite3") if path.exists()]
    if not places:
        out.write(f"No journal yet in {settings.state_dir}: nothing has been sent.\n")  # stdout-ok
        return 0
    for where, location in places:
        journal = Journal(location, account="")
        for account, entries in journal.recent_by_account(limit).items():
            label = "sandbox (nothing real)" if account == "sandbox" else f"live account {account}"
            out.write(f"{where}: {label}, {len(entries)} latest, newest first\n")  # stdout-ok
            for entry in entries:
                out.write("  " + describe_entry(entry) + "\n")  # stdout-ok
        journal.close()
    return 0


def run_sandbox(host: str, port: int) -> int:
    """The persistent sandbox of the state directory, on a port: the same batches and clock as `--sandbox` servers."""
    import uvicorn

    from zudu_mcp.config import Settings
    from zudu_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET, create_app, open_sandbox, sandbox_path

    settings = Settings()
    state = open_sandbox(settings.state_dir, speed=settings.sandbox_speed)
    sys.stderr.write(
        f"Zudu sandbox on http://{host}:{port} (state in {sandbox_path(settings.state_dir)}, {settings.sandbox_speed:g}x time; "
        f"no real calls). Point a client at it with\n"
        f"  ZUDU_BASE_URL=http://{host}:{port} ZUDU_API_KEY={SANDBOX_API_KEY} ZUDU_API_SECRET={SANDBOX_API_SECRET}\n"
    )
    try:
        uvicorn.run(create_app(state), host=host, port=port, log_level="warning")
    finally:
        state.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
