"""From rows to Zudu tasks: E.164 numbers, text variables within 5 KB, duplicates dropped, every refusal explained."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from zudu_mcp.recipients.sources import Row
from zudu_mcp.zudu.models import MAX_DYNAMIC_VARIABLES_BYTES, MAX_NAME_LENGTH, MAX_TASKS


@dataclass(frozen=True)
class Rejection:
    line: int
    value: str
    reason: str


@dataclass
class PreparedList:
    tasks: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    duplicates: list[Rejection] = field(default_factory=list)
    converted_columns: set[str] = field(default_factory=set)  # numbers/booleans sent as text
    read_with_region: int = 0  # numbers written without a country code


def prepare_recipients(rows: Iterable[Row], *, from_number: str | None, default_region: str | None) -> PreparedList:
    from zudu_mcp.recipients.phones import InvalidNumber, to_e164  # lazy: phone metadata is large

    prepared = PreparedList()
    first_line: dict[str, int] = {}
    for row in rows:
        shown = "" if row.number is None else str(row.number)
        try:
            number = to_e164(row.number, default_region)
        except InvalidNumber as exc:
            prepared.rejected.append(Rejection(row.line, shown, str(exc)))
            continue
        if number == from_number:
            prepared.rejected.append(Rejection(row.line, shown, f"{number} is the caller number (from_number); a batch cannot call itself"))
            continue
        if number in first_line:
            prepared.duplicates.append(Rejection(row.line, shown, f"same number as line {first_line[number]}"))
            continue
        variables = row.variables  # reused, not copied: lists can be large
        for name, value in variables.items():
            if not isinstance(value, str):
                prepared.converted_columns.add(str(name))
                variables[name] = text_of(value)
        size = len(json.dumps(variables, ensure_ascii=False).encode())
        if size > MAX_DYNAMIC_VARIABLES_BYTES:
            prepared.rejected.append(Rejection(row.line, shown, f"its variables are {size} bytes; Zudu takes at most {MAX_DYNAMIC_VARIABLES_BYTES}"))
            continue
        first_line[number] = row.line
        if not shown.strip().startswith(("+", "00")):
            prepared.read_with_region += 1
        prepared.tasks.append({"to_number": number, "dynamic_variables": variables} if variables else {"to_number": number})
    return prepared


def text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def split_parts(name: str, tasks: list[dict[str, Any]], size: int = MAX_TASKS) -> list[tuple[str, list[dict[str, Any]]]]:
    """Consecutive batches of at most `size`, named '<name> (part i of n)' when there is more than one."""
    chunks = [tasks[start : start + size] for start in range(0, len(tasks), size)]
    if len(chunks) <= 1:
        return [(name, tasks)]
    total = len(chunks)
    suffix_room = len(f" (part {total} of {total})")
    base = name[: MAX_NAME_LENGTH - suffix_room]
    return [(f"{base} (part {i} of {total})", chunk) for i, chunk in enumerate(chunks, start=1)]
