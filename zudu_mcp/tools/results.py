"""What every tool returns: a short text a person can read, plus structured content for agents."""

from __future__ import annotations

from typing import Any

from mcp.types import CallToolResult, TextContent
from pydantic import ValidationError

SANDBOX_BANNER = "SANDBOX: nothing here reached Zudu and no real calls were placed (built-in emulator)."


def ok(text: str, structured: dict[str, Any], *, sandbox: bool) -> CallToolResult:
    if sandbox:
        text = f"{SANDBOX_BANNER}\n{text}"
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content={"sandbox": sandbox, **structured},
    )


def plain(text: str, structured: dict[str, Any], *, is_error: bool = False) -> CallToolResult:
    """For tools that never reach Zudu, so there is nothing to say about the sandbox."""
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured, is_error=is_error)


def error(text: str, *, sandbox: bool = False) -> CallToolResult:
    if sandbox:
        text = f"{SANDBOX_BANNER}\n{text}"
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def explain_validation_error(exc: ValidationError, tool: str) -> str:
    """One line per problem, each naming the field and what to send instead."""
    lines = [f"{tool} was not run (nothing was sent): fix these arguments and call it again."]
    for problem in exc.errors(include_url=False):
        path = field_path(problem["loc"])  # empty for rules that span fields; their text names them
        lines.append(f"- {path}: {explain(problem)}" if path else f"- {explain(problem)}")
    return "\n".join(lines)


def field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in ("function-after", "function-before") and not str(part).startswith(("function-", "json-or-python")):
            path += f".{part}" if path else str(part)
    return path


def explain(problem: Any) -> str:
    kind, message = problem["type"], problem["msg"]
    if kind == "missing":
        return "required but missing; send it"
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return "is not a field of this object; remove it (check the spelling)"
    received = problem.get("input")
    shown = repr(received) if isinstance(received, str | int | float | bool) or received is None else type(received).__name__
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{message} (got {shown})"
