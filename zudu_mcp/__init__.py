"""zudu-mcp: an MCP server for Zudu outbound voice campaigns."""

__all__ = ["__version__", "create_server", "resolve_schedule"]


def package_version() -> str:
    """The version stated once, in pyproject.toml: read from the installed package's metadata.

    A checkout run without installing (`python -m zudu_mcp` from the source tree, no `uv sync`) has
    no metadata, so it reads pyproject.toml beside the package instead.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("zudu-mcp")
    except PackageNotFoundError:
        import tomllib
        from pathlib import Path

        try:
            return tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]["version"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "0+unknown"


def __getattr__(name: str):
    # Lazy, so `import zudu_mcp` (the CLI, the version) stays cheap.
    if name == "__version__":
        value = globals()["__version__"] = package_version()
        return value
    if name == "create_server":
        from zudu_mcp.server import create_server

        return create_server
    if name == "resolve_schedule":
        from zudu_mcp.scheduling import resolve_schedule

        return resolve_schedule
    raise AttributeError(name)
