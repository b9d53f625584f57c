"""One result path for every tool: the text a person reads and structured content with the same facts.

pydantic-ai shows a model only the structured content, LangChain only the text: so the
structured half carries the whole message too, plus the facts as fields. Sandbox results say
so first; refusals carry a stable code.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from mcp.types import CallToolResult, TextContent
from pydantic import ValidationError

from zudu_mcp.untrusted import NOTE, OPEN

SANDBOX_BANNER = "SANDBOX: nothing here reached Zudu and no real calls were placed (built-in emulator)."


def reply(text: str, structured: dict[str, Any] | None = None, *, sandbox: bool | None, error: bool = False, code: str | None = None) -> CallToolResult:
    """`sandbox=None` for tools that never reach Zudu."""
    if sandbox:
        text = f"{SANDBOX_BANNER}\n{text}"
    if OPEN in text and NOTE not in text:
        text += f"\n{NOTE}"
    content: dict[str, Any] = {"ok": not error}
    if code:
        content["code"] = code
    if sandbox is not None:
        content["sandbox"] = sandbox
    content["message"] = text
    content |= structured or {}
    if size_of(text, content) > MAX_RESULT_BYTES:
        text, content = cut_to_bound(text, content)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=content, is_error=error)


MAX_RESULT_BYTES = 8 * 1024  # text and structured content together: a result never floods an assistant's context
CUT_NOTE = "(Cut to keep this result under 8 KB: ask for less, e.g. a smaller limit or the next page.)"


def size_of(text: str, content: dict[str, Any]) -> int:
    return len(text.encode()) + len(json.dumps(content, ensure_ascii=False, default=str).encode())


ACTIONS = ("confirmation_token", "resend_token", "next_call")  # never handed on without the words they confirm
KEPT_WHEN_TIGHT = ("ok", "code", "sandbox")


def cut_to_bound(text: str, content: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The last guard of the bound (the tools page their lists to fit): lines while they fit (the last one
    shortened), the single-valued facts shortened, the «» note, and a note saying so.

    Lists in the facts are dropped (the text still names them), and so is a confirmation token: a
    person must never be asked to approve a plan whose words were cut.
    """
    facts: dict[str, Any] = {
        key: value[:200] if isinstance(value, str) else value
        for key, value in content.items()
        if key != "message" and key not in ACTIONS and not isinstance(value, list | dict)
    }
    if len(json.dumps(facts, ensure_ascii=False, default=str).encode()) > MAX_RESULT_BYTES // 4:
        facts = {key: facts[key] for key in KEPT_WHEN_TIGHT if key in facts}
    facts["cut"] = True
    notes = [NOTE] if NOTE in text else []  # whatever is cut, the «» note stays
    notes.append(
        CUT_NOTE
        if not any(key in content for key in ACTIONS)
        else CUT_NOTE + " The plan is not shown whole, so it cannot be confirmed: preview it again with a shorter list or fewer details."
    )
    lines = [line for line in text.splitlines() if line != NOTE]
    budget = (MAX_RESULT_BYTES - len(json.dumps(facts, ensure_ascii=False, default=str).encode()) - 2 * len("\n".join(notes).encode()) - 64) // 3
    kept: list[str] = []
    used = 0
    for line in lines:  # a line's JSON escapes can double it: a third of what is left, for the text and the message
        if used + len(line.encode()) + 1 > budget:
            room = budget - used - 1
            if room > 40:
                kept.append(line.encode()[:room].decode(errors="ignore") + "…")
            break
        kept.append(line)
        used += len(line.encode()) + 1
    while True:
        cut = "\n".join([*kept, *notes])
        bounded = {**facts, "message": cut}
        if size_of(cut, bounded) <= MAX_RESULT_BYTES or not kept:
            return cut, bounded
        kept.pop()


def ok(text: str, structured: dict[str, Any], *, sandbox: bool) -> CallToolResult:
    return reply(text, structured, sandbox=sandbox)


def plain(text: str, structured: dict[str, Any], *, is_error: bool = False) -> CallToolResult:
    return reply(text, structured, sandbox=None, error=is_error)


def error(text: str, *, sandbox: bool | None = False, code: str | None = None) -> CallToolResult:
    return reply(text, None, sandbox=sandbox, error=True, code=code or "error")


def explain_validation_error(exc: ValidationError, tool: str, known: list[str] | None = None) -> str:
    """One line per problem, each naming the field and what to send instead."""
    lines = [f"{tool} was not run (nothing was sent): fix these arguments and call it again."]
    for problem in exc.errors(include_url=False):
        path = field_path(problem["loc"])  # empty for rules that span fields; their text names them
        if problem["type"] == "extra_forbidden" and known is not None and len(problem["loc"]) == 1:
            close = difflib.get_close_matches(str(problem["loc"][0]), known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else f"; the arguments are: {', '.join(known)}"
            lines.append(f"- {path}: is not an argument of {tool}{hint}")
            continue
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
