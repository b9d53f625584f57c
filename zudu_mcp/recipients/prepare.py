"""From rows to Zudu tasks in one pass: E.164 numbers, text variables within 5 KB, duplicates dropped.

`normalise` streams: it yields each kept task as its row arrives and keeps in memory only what a
decision needs (the numbers already kept, for duplicates) and a bounded report (counts, the first
problems, zones). Its cost is libphonenumber's: a number is parsed once per distinct raw form, and
a row's variables are measured arithmetically rather than serialised.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from zudu_mcp.recipients.sources import Row
from zudu_mcp.zudu.models import MAX_DYNAMIC_VARIABLES_BYTES, MAX_NAME_LENGTH, MAX_TASKS

MAX_EXAMPLES = 20  # problems quoted in a report; the rest are counted by kind
MAX_OTHER_REGION_EXAMPLES = 5
PARSE_CACHE_SIZE = 10_000  # distinct raw numbers remembered at once (a bounded cache: emptied when full)

INVALID, NO_NUMBER, DUPLICATE, CALLER, TOO_LARGE = "invalid number", "no phone number", "duplicate", "caller number", "variables over 5 KB"


@dataclass(frozen=True)
class Rejection:
    line: int
    value: str  # the raw text as given: untrusted, the caller quotes it
    reason: str


@dataclass
class RecipientReport:
    """What happened to a list, filled while its rows stream: bounded whatever the list's size."""

    kept: int = 0
    do_not_call: int = 0  # kept by normalise, then skipped: on the do-not-call list (plan.without_suppressed)
    refused: int = 0  # invalid numbers, the caller number, variables over 5 KB
    duplicates: int = 0
    examples: list[Rejection] = field(default_factory=list)  # the first MAX_EXAMPLES problems, in line order
    reasons: Counter[str] = field(default_factory=Counter)  # problem kind -> count
    converted_columns: set[str] = field(default_factory=set)  # columns whose numbers/booleans were sent as text
    read_with_region: int = 0  # numbers written without a country code, read in default_region
    also_valid_in_other_region: int = 0  # of those, how many are another valid number in other_region
    other_region_examples: list[int] = field(default_factory=list)  # a few line numbers of such rows
    zones: Counter[str] = field(default_factory=Counter)  # kept recipients per IANA zone
    unknown_zone: int = 0

    def problem(self, rejection: Rejection, kind: str) -> None:
        if kind == DUPLICATE:
            self.duplicates += 1
        else:
            self.refused += 1
        self.reasons[kind] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(rejection)


def normalise(
    rows: Iterable[Row],
    *,
    from_number: str | None,
    default_region: str | None,
    other_region: str | None = None,
    report: RecipientReport,
) -> Iterator[dict[str, Any]]:
    """Yields Zudu task dicts {"to_number": E.164, "dynamic_variables": {str: str}} (no dynamic_variables
    key when there are none), one per kept row, in order; fills `report` as it goes.

    `other_region` (the region the campaign's time zone implies, when it differs from default_region)
    is only compared: numbers are read in default_region, and the report counts those that other_region
    would read as another valid number.
    """
    from zudu_mcp.recipients.phones import InvalidNumber, as_text, read_plain  # lazy: phone metadata

    if other_region == default_region:
        other_region = None
    readings: dict[Any, Any] = {}  # raw form -> (E.164, national, zone, other-region E.164) or InvalidNumber
    first_line: dict[int, int] = {}  # E.164 digits -> line it was kept from (an int key is half a str's memory)
    problem, zones, limit = report.problem, report.zones, MAX_DYNAMIC_VARIABLES_BYTES
    for row in rows:
        raw = row.number
        key = raw if type(raw) is str else as_text(raw)
        found = readings.get(key)
        if found is None:
            try:
                found = read_plain(raw, default_region, other_region)
            except InvalidNumber as exc:
                found = exc
            if len(readings) >= PARSE_CACHE_SIZE:
                readings.clear()
            readings[key] = found
        if type(found) is not tuple:
            problem(Rejection(row.line, _shown(raw), str(found)), cast(InvalidNumber, found).kind)
            continue
        e164, national, zone, other = found
        if e164 == from_number:
            problem(Rejection(row.line, _shown(raw), f"{e164} is the caller number (from_number); a batch cannot call itself"), CALLER)
            continue
        digits = int(e164)  # '+' and digits: int() accepts the sign
        first = first_line.get(digits)
        if first is not None:
            problem(Rejection(row.line, _shown(raw), f"same number as line {first}"), DUPLICATE)
            continue
        variables = row.variables  # reused, not copied: lists can be large
        if variables:
            try:  # one join of the names and one of the values measure the row (TypeError: not all text yet)
                names, values = "".join(variables), "".join(variables.values())
            except TypeError:
                variables = _as_text_variables(variables, report.converted_columns)
                names, values = "".join(variables), "".join(variables.values())
            size = 8 * len(variables) + _escaped_length(names) + _escaped_length(values)
            if size > limit:
                problem(Rejection(row.line, _shown(raw), f"its variables are {size} bytes; Zudu takes at most {limit}"), TOO_LARGE)
                continue
        first_line[digits] = row.line
        report.kept += 1
        if national:
            report.read_with_region += 1
            if other is not None:
                report.also_valid_in_other_region += 1
                if len(report.other_region_examples) < MAX_OTHER_REGION_EXAMPLES:
                    report.other_region_examples.append(row.line)
        if zone is None:
            report.unknown_zone += 1
        else:
            zones[zone] += 1
        yield {"to_number": e164, "dynamic_variables": variables} if variables else {"to_number": e164}


MAX_VALUE_CHARS = 100  # of a refused row's raw number kept in its Rejection


def _shown(raw: Any) -> str:
    text = "" if raw is None else str(raw)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "..."


def _as_text_variables(variables: dict[Any, Any], converted: set[str]) -> dict[str, str]:
    """Names and values as text, in place when the names already are; notes the converted columns."""
    if all(type(name) is str for name in variables):
        for name, value in variables.items():
            if type(value) is not str:
                converted.add(name)
                variables[name] = text_of(value)
        return variables
    result = {}
    for name, value in variables.items():
        if type(value) is not str:
            converted.add(str(name))
        result[str(name)] = value if type(value) is str else text_of(value)
    return result


_CONTROL = re.compile(r"[\x00-\x1f]")
_SHORT_ESCAPES = frozenset("\b\f\n\r\t")


def json_string_length(text: str) -> int:
    """len(json.dumps(text, ensure_ascii=False).encode()), without building either string."""
    return _escaped_length(text) + 2


def _escaped_length(text: str) -> int:
    """UTF-8 bytes of `text` once JSON-escaped, without its quotes; additive, so a row's texts are measured joined.

    json escapes '"' and '\\' with one more character, \\b \\f \\n \\r \\t likewise, and the other
    control characters as \\u00XX (five more). A lone surrogate (possible from JSON input) counts as
    the three bytes "surrogatepass" gives it.
    """
    length = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    length += text.count('"') + text.count("\\")
    if not text.isprintable():  # every control character is unprintable (most unprintables are not control)
        for char in _CONTROL.findall(text):
            length += 1 if char in _SHORT_ESCAPES else 5
    return length


def variables_size(variables: dict[str, str]) -> int:
    """len(json.dumps(variables, ensure_ascii=False).encode()) for text names and values."""
    if not variables:
        return 2
    return 8 * len(variables) + _escaped_length("".join(variables)) + _escaped_length("".join(variables.values()))


def text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# What main calls today: the whole list at once. The plan code moves to `normalise`.


@dataclass
class PreparedList:
    tasks: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    duplicates: list[Rejection] = field(default_factory=list)
    converted_columns: set[str] = field(default_factory=set)  # numbers/booleans sent as text
    read_with_region: int = 0  # numbers written without a country code


class _EveryProblem(RecipientReport):
    """A report that also keeps every problem, for prepare_recipients' callers."""

    def __init__(self) -> None:
        super().__init__()
        self.all_rejected: list[Rejection] = []
        self.all_duplicates: list[Rejection] = []

    def problem(self, rejection: Rejection, kind: str) -> None:
        super().problem(rejection, kind)
        (self.all_duplicates if kind == DUPLICATE else self.all_rejected).append(rejection)


def prepare_recipients(rows: Iterable[Row], *, from_number: str | None, default_region: str | None) -> PreparedList:
    """The whole list at once (kept for callers that hold it): normalise, collected."""
    report = _EveryProblem()
    tasks = list(normalise(rows, from_number=from_number, default_region=default_region, report=report))
    return PreparedList(tasks, report.all_rejected, report.all_duplicates, report.converted_columns, report.read_with_region)


def split_parts(name: str, tasks: list[dict[str, Any]], size: int = MAX_TASKS) -> list[tuple[str, list[dict[str, Any]]]]:
    """Consecutive batches of at most `size`, named '<name> (part i of n)' when there is more than one."""
    chunks = [tasks[start : start + size] for start in range(0, len(tasks), size)]
    if len(chunks) <= 1:
        return [(name, tasks)]
    total = len(chunks)
    return [(part_name(name, i, total), chunk) for i, chunk in enumerate(chunks, start=1)]


def part_name(name: str, index: int, total: int) -> str:
    """'<name> (part i of n)', the name cut so the whole stays within Zudu's 255 characters."""
    if total <= 1:
        return name
    suffix_room = len(f" (part {total} of {total})")
    return f"{name[: MAX_NAME_LENGTH - suffix_room]} (part {index} of {total})"
