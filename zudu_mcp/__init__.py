"""zudu-mcp: an MCP server for Zudu outbound voice campaigns."""

__version__ = "0.1.0"

__all__ = ["__version__", "create_server", "resolve_schedule"]


def __getattr__(name: str):
    # Lazy, so `import zudu_mcp` (the CLI, the version) stays cheap.
    if name == "create_server":
        from zudu_mcp.server import create_server

        return create_server
    if name == "resolve_schedule":
        from zudu_mcp.scheduling import resolve_schedule

        return resolve_schedule
    raise AttributeError(name)
