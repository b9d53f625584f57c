"""Where call lists come from: inline tasks, CSV text, or a file inside the operator's allowed folders.

A file path comes from an assistant, so it is treated as untrusted: resolved (symlinks and '..'
included) and read only when it lands inside a configured root and under the size limit.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

PHONE_HEADERS = (
    "to_number", "tonumber", "phone", "phonenumber", "phoneno", "mobile", "mobilenumber", "mobileno", "cell",
    "cellphone", "cellnumber", "number", "contact", "contactnumber", "msisdn", "telephone", "tel", "whatsapp",
)
SUFFIXES = (".csv", ".json", ".jsonl", ".xlsx")


class ListError(ValueError):
    """The list cannot be read at all; the message names the setting or the fix."""


@dataclass(slots=True)
class Row:
    line: int  # as a person counts it in the file: header is line 1 in a CSV
    number: Any
    variables: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FileAccess:
    roots: tuple[Path, ...]
    max_bytes: int


def rows_from_tasks(tasks: list[dict[str, Any]]) -> Iterator[Row]:
    return (Row(index + 1, task.get("to_number"), dict(task.get("dynamic_variables") or {})) for index, task in enumerate(tasks))


def read_csv_text(text: str, phone_column: str | None = None) -> Iterator[Row]:
    text = text.lstrip("\ufeff")
    first = next((line for line in io.StringIO(text) if line.strip()), None)
    if first is None:
        raise ListError("The CSV is empty: send a header row and one row per recipient.")
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    body = ((reader.line_num, row) for row in reader if any(cell.strip() for cell in row))
    header = next(body, (0, []))[1]
    return table_rows(header, body, phone_column)


def table_rows(header: list[Any], body: Iterable[tuple[int, list[Any]]], phone_column: str | None) -> Iterator[Row]:
    """Rows one at a time: a 100,000-row list is never held twice (as cells and as rows)."""
    names = ["" if h is None else str(h).strip() for h in header]
    index = phone_index(names, phone_column)  # checked before the first row is read

    def rows() -> Iterator[Row]:
        for line, cells in body:
            cells = list(cells) + [None] * (len(names) - len(cells))
            yield Row(line, cells[index], {name: cell_text(cells[i]) for i, name in enumerate(names) if i != index and name})

    return rows()


def phone_index(names: list[str], phone_column: str | None) -> int:
    folded = [name.lower().replace(" ", "").replace("_", "").replace("-", "").replace(".", "") for name in names]
    if phone_column:
        wanted = phone_column.strip().lower()
        for i, name in enumerate(names):
            if name.lower() == wanted:
                return i
        raise ListError(f"No column named {phone_column!r}; the columns are: {', '.join(names)}.")
    for candidate in PHONE_HEADERS:
        if candidate in folded:
            return folded.index(candidate)
    raise ListError(
        f"No phone column found among: {', '.join(names)}. Name it 'phone' (or mobile, to_number, number) "
        "or pass phone_column with its name."
    )


def cell_text(value: Any) -> Any:
    """Spreadsheet cells become text the way a person reads them (dates as ISO, 5001201.0 as 5001201)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def read_file(path_text: str, access: FileAccess, phone_column: str | None = None) -> Iterator[Row]:
    path = allowed_path(path_text, access)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx(path, phone_column)
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    if suffix == ".csv":
        return read_csv_text(text, phone_column)
    records = [json.loads(line) for line in text.splitlines() if line.strip()] if suffix == ".jsonl" else json.loads(text)
    if isinstance(records, dict):
        records = records.get("tasks") or records.get("recipients") or []
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ListError(f"{path.name} must hold a list of objects, one per recipient.")
    names = list(dict.fromkeys(key for record in records for key in record))
    return table_rows(names, [(i + 1, [r.get(n) for n in names]) for i, r in enumerate(records)], phone_column)


def read_xlsx(path: Path, phone_column: str | None) -> Iterator[Row]:
    from openpyxl import load_workbook  # lazy: only spreadsheets need it

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        table = [(i, list(row)) for i, row in enumerate(sheet.iter_rows(values_only=True), start=1) if any(c not in (None, "") for c in row)]
    finally:
        workbook.close()
    if not table:
        raise ListError(f"{path.name} has no rows in its first sheet.")
    return table_rows(table[0][1], table[1:], phone_column)


def allowed_path(path_text: str, access: FileAccess) -> Path:
    if not access.roots:
        raise ListError(
            "Reading call lists from files is off. The operator can allow folders with ZUDU_MCP_FILE_ROOTS "
            "(e.g. ZUDU_MCP_FILE_ROOTS=/home/me/campaigns) or --file-root; or send the list as recipients_csv."
        )
    candidate = Path(path_text).expanduser()
    if not candidate.is_absolute():
        candidate = access.roots[0] / candidate
    resolved = candidate.resolve()  # follows symlinks and '..'
    if not any(resolved.is_relative_to(root.resolve()) for root in access.roots):
        roots = ", ".join(str(root) for root in access.roots)
        raise ListError(f"{path_text!r} is outside the folders this server may read ({roots}); set by ZUDU_MCP_FILE_ROOTS.")
    if resolved.suffix.lower() not in SUFFIXES:
        raise ListError(f"{resolved.name}: only {', '.join(SUFFIXES)} files are read.")
    if not resolved.is_file():
        raise ListError(f"{path_text!r} does not exist in the allowed folders.")
    size = resolved.stat().st_size
    if size > access.max_bytes:
        raise ListError(
            f"{resolved.name} is {size / 1_048_576:.1f} MiB; the limit is {access.max_bytes / 1_048_576:.0f} MiB "
            "(ZUDU_MCP_MAX_FILE_MB)."
        )
    return resolved
