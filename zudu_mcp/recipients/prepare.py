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


# ---- streaming API (one pass, bounded memory) ----------------------------------------------

MAX_EXAMPLES = 20


@dataclass
class RecipientReport:
    """What one pass over a list found; bounded whatever the list size."""

    kept: int = 0
    refused: int = 0
    duplicates: int = 0
    examples: list[Rejection] = field(default_factory=list)
    reasons: Any = None  # Counter of problem kinds
    converted_columns: set[str] = field(default_factory=set)
    read_with_region: int = 0
    also_valid_in_other_region: int = 0
    other_region_examples: list[int] = field(default_factory=list)
    zones: Any = None  # Counter: kept recipients per primary zone
    unknown_zone: int = 0

    def __post_init__(self) -> None:
        from collections import Counter

        self.reasons = Counter() if self.reasons is None else self.reasons
        self.zones = Counter() if self.zones is None else self.zones

    def problem(self, rejection: Rejection, kind: str) -> None:
        self.reasons[kind] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(rejection)


def normalise(rows: Iterable[Row], *, from_number: str | None, default_region: str | None, other_region: str | None = None,
              report: RecipientReport) -> Any:
    """Yields Zudu task dicts, one per kept row, in order; fills `report` as it goes."""
    from zudu_mcp.recipients.phones import InvalidNumber, to_e164, zones_of

    seen: dict[str, int] = {}
    for row in rows:
        shown = "" if row.number is None else str(row.number)
        try:
            number = to_e164(row.number, default_region)
        except InvalidNumber as exc:
            report.refused += 1
            report.problem(Rejection(row.line, shown, str(exc)), "invalid number")
            continue
        if number == from_number:
            report.refused += 1
            report.problem(Rejection(row.line, shown, "the caller number (from_number); a batch cannot call itself"), "caller number")
            continue
        if number in seen:
            report.duplicates += 1
            report.problem(Rejection(row.line, shown, f"same number as line {seen[number]}"), "duplicate")
            continue
        variables = row.variables
        for name, value in variables.items():
            if not isinstance(value, str):
                report.converted_columns.add(str(name))
                variables[name] = text_of(value)
        size = len(json.dumps(variables, ensure_ascii=False).encode()) if variables else 0
        if size > MAX_DYNAMIC_VARIABLES_BYTES:
            report.refused += 1
            report.problem(Rejection(row.line, shown, f"its variables are {size} bytes; Zudu takes at most {MAX_DYNAMIC_VARIABLES_BYTES}"), "variables over 5 KB")
            continue
        seen[number] = row.line
        if not shown.strip().startswith(("+", "00")):
            report.read_with_region += 1
            if other_region and other_region != default_region:
                try:
                    to_e164(shown, other_region)
                    report.also_valid_in_other_region += 1
                    if len(report.other_region_examples) < 5:
                        report.other_region_examples.append(row.line)
                except InvalidNumber:
                    pass
        zones = zones_of(number)
        if zones:
            report.zones[zones[0]] += 1
        else:
            report.unknown_zone += 1
        report.kept += 1
        yield {"to_number": number, "dynamic_variables": variables} if variables else {"to_number": number}


def region_of_zone(zone_name: str | None) -> str | None:
    """The one country an IANA zone belongs to (Europe/London -> GB), from tzdata's zone table; None if several or none."""
    if not zone_name:
        return None
    table = _zone_countries()
    return table.get(zone_name)


_ZONE_COUNTRIES: dict[str, str] = {}


def _zone_countries() -> dict[str, str]:
    if not _ZONE_COUNTRIES:
        import zoneinfo
        from pathlib import Path

        for base in zoneinfo.TZPATH:
            table = Path(base) / "zone.tab"
            if table.is_file():
                for line in table.read_text().splitlines():
                    if line and not line.startswith("#"):
                        country, _, name, *_ = line.split("\t")
                        _ZONE_COUNTRIES[name] = country
                break
        aliases = {"Asia/Calcutta": "IN", "Asia/Saigon": "VN", "Asia/Katmandu": "NP", "Asia/Rangoon": "MM", "US/Eastern": "US",
                   "US/Central": "US", "US/Mountain": "US", "US/Pacific": "US", "Europe/Kiev": "UA"}
        for name, country in aliases.items():
            _ZONE_COUNTRIES.setdefault(name, country)
    return _ZONE_COUNTRIES
