"""Where call lists come from: inline tasks, CSV text, or a file inside the operator's allowed folders.

Every source streams rows: a CSV or JSONL file is read line by line, a JSON array record by
record, a spreadsheet row by row, so a 300,000-row list is never held in memory. Files come from
an assistant, so they are untrusted: a path is resolved (symlinks and '..' included) and read only
inside a configured root, and every reader has hard limits (`Limits`) that refuse a hostile file
with a clear error before it costs much memory or time. Nothing here uses asyncio: the server runs
it in a worker thread.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

PHONE_HEADERS = (
    "to_number",
    "tonumber",
    "phone",
    "phonenumber",
    "phoneno",
    "mobile",
    "mobilenumber",
    "mobileno",
    "cell",
    "cellphone",
    "cellnumber",
    "number",
    "contact",
    "contactnumber",
    "msisdn",
    "telephone",
    "tel",
    "whatsapp",
)
SUFFIXES = (".csv", ".json", ".jsonl", ".xlsx")

# Hard limits on untrusted lists (the defaults of `Limits`; settings may override them).
MAX_ROWS = 1_000_000  # rows of one list, blank ones included: 1,000 batches
MAX_COLUMNS = 1_000  # cells in one row
MAX_CELL_CHARS = 32_767  # text in one spreadsheet cell (Excel's own limit); CSV cells: csv's field limit
MAX_LINE_CHARS = 1_048_576  # one line of a CSV or JSONL file
MAX_RECORD_CHARS = 1_048_576  # one object of a JSON array
MAX_WHOLE_JSON_CHARS = 8 * 1_048_576  # a JSON object holding the list ({"tasks": [...]}) is parsed whole
MAX_PATH_CHARS = 1_024
MAX_XLSX_UNCOMPRESSED_BYTES = 256 * 1_048_576  # all parts of a spreadsheet once unzipped
MAX_XLSX_PART_BYTES = 16 * 1_048_576  # one part other than a sheet (shared strings, styles): openpyxl loads these whole
MAX_XLSX_RATIO = 100  # unzipped / zipped size of a part over 1 MiB (real sheets: 5-20; zip bombs: 100-1000)
MAX_XLSX_ROW_BYTES = 1_048_576  # a sheet's XML between two rows: one row's cells are built at once
MAX_XLSX_PARTS = 1_000
MAX_READ_SECONDS = 120.0  # time spent reading one spreadsheet (not counting what the caller does with its rows)


class ListError(ValueError):
    """The list cannot be read at all; the message names the setting or the fix."""


class LimitExceeded(ListError):
    """A list over one of the hard limits; `limit` names it (a `Limits` field)."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


@dataclass(frozen=True)
class Limits:
    max_rows: int = MAX_ROWS
    max_columns: int = MAX_COLUMNS
    max_cell_chars: int = MAX_CELL_CHARS
    max_line_chars: int = MAX_LINE_CHARS
    max_record_chars: int = MAX_RECORD_CHARS
    max_whole_json_chars: int = MAX_WHOLE_JSON_CHARS
    max_xlsx_uncompressed_bytes: int = MAX_XLSX_UNCOMPRESSED_BYTES
    max_xlsx_part_bytes: int = MAX_XLSX_PART_BYTES
    max_xlsx_ratio: float = MAX_XLSX_RATIO
    max_xlsx_row_bytes: int = MAX_XLSX_ROW_BYTES
    max_xlsx_parts: int = MAX_XLSX_PARTS
    max_read_seconds: float = MAX_READ_SECONDS


DEFAULT_LIMITS = Limits()


@dataclass(slots=True)
class Row:
    line: int  # as a person counts it: in a CSV the header is line 1; in a JSON array, the record's position
    number: Any
    variables: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FileAccess:
    roots: tuple[Path, ...]
    max_bytes: int
    limits: Limits = DEFAULT_LIMITS


def rows_from_tasks(tasks: list[dict[str, Any]]) -> Iterator[Row]:
    return (Row(index + 1, task.get("to_number"), dict(task.get("dynamic_variables") or {})) for index, task in enumerate(tasks))


# CSV


def read_csv_text(text: str, phone_column: str | None = None, *, limits: Limits = DEFAULT_LIMITS) -> Iterator[Row]:
    return _csv_rows(io.StringIO(text), phone_column, limits, "the CSV")


def _csv_rows(stream: IO[str], phone_column: str | None, limits: Limits, what: str) -> Iterator[Row]:
    """Rows of a CSV read in chunks of lines; the header is checked before this returns."""
    lines = _bounded_lines(stream, limits, what)
    seen: list[str] = []
    for line in lines:
        seen.append(line.removeprefix("\ufeff") if not seen else line)
        if line.strip():
            break
    else:
        raise ListError(f"{what} is empty: send a header row and one row per recipient.")
    try:
        delimiter = csv.Sniffer().sniff(seen[-1][:4096], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(itertools.chain(seen, lines), delimiter=delimiter)
    previous = 0  # reader.line_num after the last record: a quoted cell may span lines, a row is where it starts
    try:
        for header in reader:
            start, previous = previous + 1, reader.line_num
            if "".join(header).strip():
                break
        else:
            raise ListError(f"{what} is empty: send a header row and one row per recipient.")
    except csv.Error as exc:
        raise _csv_error(exc, what, previous + 1) from None
    names = [name.strip() for name in header]
    index = phone_index(names, phone_column)
    _check_columns(len(names), start, limits, what)
    wanted = [(i, name) for i, name in enumerate(names) if i != index and name]
    return _csv_body(reader, previous, names, index, wanted, limits, what)


def _csv_body(reader: Any, previous: int, names: list[str], index: int, wanted: list[tuple[int, str]], limits: Limits, what: str) -> Iterator[Row]:
    import operator

    width, count, max_rows, max_columns = len(names), 0, limits.max_rows, limits.max_columns
    keys = [name for _, name in wanted]
    pick = operator.itemgetter(*[i for i, _ in wanted]) if len(wanted) >= 2 else None  # one C call per row
    single = wanted[0] if len(wanted) == 1 else None
    try:
        for cells in reader:
            start, previous = previous + 1, reader.line_num
            if not "".join(cells).strip():  # blank rows (",,,") are skipped, as a person skips them
                continue
            count += 1
            if count > max_rows:
                raise _too_many_rows(limits, what)
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            elif len(cells) > max_columns:
                _check_columns(len(cells), start, limits, what)
            if pick is not None:
                variables = dict(zip(keys, pick(cells), strict=False))
            else:
                variables = {single[1]: cells[single[0]]} if single else {}
            yield Row(start, cells[index], variables)
    except csv.Error as exc:
        raise _csv_error(exc, what, previous + 1) from None


CHUNK_CHARS = 262_144


def _bounded_lines(stream: IO[str], limits: Limits, what: str) -> Iterator[str]:
    """Lines of a text stream (\\n, \\r\\n or \\r), read in chunks: a line over the limit is refused before it
    is read whole, and a NUL byte means the file is not text."""
    return itertools.chain.from_iterable(_line_batches(stream, limits, what))


def _line_batches(stream: IO[str], limits: Limits, what: str) -> Iterator[list[str]]:
    limit, carry, counted = limits.max_line_chars, "", 0
    while True:
        chunk = stream.read(CHUNK_CHARS)
        if not chunk:
            if carry:
                yield [carry]
            return
        if "\x00" in chunk:
            number = counted + (carry + chunk[: chunk.index("\x00")]).count("\n") + 1
            raise ListError(f"{what}: line {number} contains a NUL byte, so it is not a text file. Export it as 'CSV UTF-8' (or JSON) and send that.")
        lines = io.StringIO(carry + chunk, newline="").readlines()  # splits as the file object would, in C
        last = lines[-1]
        carry = lines.pop() if last[-1] not in "\n\r" or last[-1] == "\r" else ""  # "\r" may be half of "\r\n"
        longest = max(map(len, lines), default=0)
        if longest > limit or len(carry) > limit:
            number = counted + next((i for i, line in enumerate(lines) if len(line) > limit), len(lines)) + 1
            raise LimitExceeded(
                f"{what}: line {number} is longer than {limit:,} characters (max_line_chars). A call list has one "
                "recipient per line: check the file is a CSV or JSONL list and that its quotes are closed.",
                "max_line_chars",
            )
        counted += len(lines)
        if lines:
            yield lines


def _csv_error(exc: csv.Error, what: str, line: int) -> ListError:
    if "field larger than field limit" in str(exc):
        return LimitExceeded(
            f"{what}: line {line} has a cell longer than {csv.field_size_limit():,} characters (csv's field limit); "
            "a recipient's variables can be at most 5 KB. Shorten or remove that cell, or close its quotes.",
            "csv field limit",
        )
    return ListError(f"{what}: line {line} is not valid CSV ({exc}). Fix that line or export the file again as CSV.")


# JSON and JSONL


def _jsonl_records(stream: IO[str], limits: Limits, what: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(_bounded_lines(stream, limits, what), start=1):
        if line.strip():
            yield number, _json_value(line, f"{what}: line {number}")


def _json_array_records(stream: IO[str], limits: Limits, what: str) -> Iterator[tuple[int, Any]]:
    """Records of a JSON array decoded one at a time; a top-level object holding the list is parsed whole."""
    decoder = json.JSONDecoder()
    chunk_size = 65_536
    buffer, pos, ended = "", 0, False

    def fill() -> None:
        nonlocal buffer, pos, ended
        chunk = stream.read(chunk_size)
        ended = not chunk
        buffer, pos = buffer[pos:] + chunk, 0

    def skip_space() -> str:
        nonlocal pos
        while True:
            pos = _SPACE.match(buffer, pos).end()  # type: ignore[union-attr]
            if pos < len(buffer) or ended:
                return buffer[pos : pos + 1]
            fill()

    fill()
    opening = skip_space()
    if opening == "{":
        text = buffer[pos:] + stream.read(limits.max_whole_json_chars + 1 - (len(buffer) - pos))
        if len(text) > limits.max_whole_json_chars:
            raise LimitExceeded(
                f"{what} is a JSON object over {limits.max_whole_json_chars // 1_048_576} MiB (max_whole_json_chars). "
                "Send a large list as a JSON array of recipients, or as JSONL (one object per line).",
                "max_whole_json_chars",
            )
        holder = _json_value(text, what)
        records = holder.get("tasks") or holder.get("recipients") if isinstance(holder, dict) else None
        if not isinstance(records, list):
            raise _not_a_list(what)
        yield from enumerate(records, start=1)
        return
    if opening != "[":
        raise _not_a_list(what)
    pos += 1
    for index in itertools.count(1):
        following = skip_space()
        if following == "]":
            return
        if index > 1:
            if following != ",":
                raise ListError(f"{what}: after record {index - 1}, expected ',' or ']'. Fix the JSON there.")
            pos += 1
            following = skip_space()
        if following != "{":
            raise ListError(f"{what}: record {index} is not an object. {_LIST_SHAPE}")
        while True:
            try:
                record, end = decoder.raw_decode(buffer, pos)
                break
            except json.JSONDecodeError as exc:
                if ended:
                    raise ListError(f"{what}: record {index} is not valid JSON ({exc.msg}). Fix that record.") from None
                if len(buffer) - pos > limits.max_record_chars:
                    raise LimitExceeded(
                        f"{what}: record {index} is longer than {limits.max_record_chars:,} characters (max_record_chars), "
                        "or not valid JSON. A recipient's variables can be at most 5 KB.",
                        "max_record_chars",
                    ) from None
                fill()
            except RecursionError:
                raise _too_deep(f"{what}: record {index}") from None
        pos = end
        yield index, record


_SPACE = re.compile(r"[ \t\n\r]*")
_LIST_SHAPE = 'A call list in JSON is an array of objects, one per recipient: [{"phone": "+91...", "name": "..."}, ...].'


def _json_value(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ListError(f"{where} is not valid JSON ({exc.msg}, column {exc.colno}).") from None
    except RecursionError:
        raise _too_deep(where) from None


def _too_deep(where: str) -> ListError:
    return ListError(f"{where} is nested too deeply to be a recipient. {_LIST_SHAPE}")


def _not_a_list(what: str) -> ListError:
    return ListError(f"{what} must hold a list of objects, one per recipient. {_LIST_SHAPE}")


def _record_rows(records: Iterator[tuple[int, Any]], phone_column: str | None, limits: Limits, what: str) -> Iterator[Row]:
    """Rows from JSON objects: the phone key is found in the first; each row's variables are its own other keys."""
    first = next(records, None)
    if first is None:
        raise ListError(f"{what} has no recipients.")
    if not isinstance(first[1], dict):
        raise ListError(f"{what}: record {first[0]} is not an object. {_LIST_SHAPE}")
    keys = [str(key) for key in first[1]]
    phone_key = keys[phone_index(keys, phone_column)]

    def rows() -> Iterator[Row]:
        for count, (line, record) in enumerate(itertools.chain([first], records), start=1):
            if count > limits.max_rows:
                raise _too_many_rows(limits, what)
            if not isinstance(record, dict):
                raise ListError(f"{what}: record {line} is not an object. {_LIST_SHAPE}")
            if len(record) > limits.max_columns:
                _check_columns(len(record), line, limits, what)
            number = record.get(phone_key)
            yield Row(line, number, {key: cell_text(value) for key, value in record.items() if key != phone_key and key != ""})

    return rows()


# Spreadsheets


def read_xlsx(path: Path, phone_column: str | None, limits: Limits = DEFAULT_LIMITS) -> Iterator[Row]:
    """The first sheet's rows, after checking the zip cannot unpack into more than the limits allow."""
    import zipfile

    what = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            _check_zip(archive, limits, what)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError):
        raise ListError(f"{what} is not a valid .xlsx file (not a zip archive). Save it again from the spreadsheet as .xlsx.") from None
    except OSError as exc:
        raise ListError(f"{what} cannot be read ({exc.strerror or type(exc).__name__}).") from None
    rows = _xlsx_rows(path, phone_column, limits, what)
    next(rows)  # opens the workbook and checks the header now; the rows follow
    return rows


def _check_zip(archive: Any, limits: Limits, what: str) -> None:
    parts = archive.infolist()
    if len(parts) > limits.max_xlsx_parts:
        raise LimitExceeded(f"{what} has {len(parts):,} parts; a spreadsheet has at most {limits.max_xlsx_parts:,} (max_xlsx_parts).", "max_xlsx_parts")
    total = sum(part.file_size for part in parts)
    if total > limits.max_xlsx_uncompressed_bytes:
        raise LimitExceeded(
            f"{what} unzips to {total / 1_048_576:,.0f} MiB; the limit is {limits.max_xlsx_uncompressed_bytes / 1_048_576:,.0f} MiB "
            "(max_xlsx_uncompressed_bytes). Send a smaller sheet, or export it as CSV.",
            "max_xlsx_uncompressed_bytes",
        )
    for part in parts:
        if part.file_size > 1_048_576 and part.file_size > limits.max_xlsx_ratio * max(part.compress_size, 1):
            raise LimitExceeded(
                f"{what}: one part unzips to {part.file_size / max(part.compress_size, 1):,.0f} times its size; a spreadsheet's "
                f"parts are at most {limits.max_xlsx_ratio:,.0f} times (max_xlsx_ratio). This looks like a zip bomb: export the list as CSV.",
                "max_xlsx_ratio",
            )
        if not part.filename.startswith("xl/worksheets/") and part.file_size > limits.max_xlsx_part_bytes:
            raise LimitExceeded(
                f"{what}: its {part.filename.rsplit('/', 1)[-1]!r} part unzips to {part.file_size / 1_048_576:,.0f} MiB; the limit is "
                f"{limits.max_xlsx_part_bytes / 1_048_576:,.0f} MiB (max_xlsx_part_bytes). Export the list as CSV.",
                "max_xlsx_part_bytes",
            )


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")


def _check_sheet_rows(archive: Any, member: str, limits: Limits, what: str, clock: _Clock) -> None:
    """No stretch of the sheet's XML without a row start is over the limit: openpyxl builds a row whole."""
    gap, last, offset, tail = limits.max_xlsx_row_bytes, 0, 0, b""
    with archive.open(member) as stream:
        while chunk := stream.read(1_048_576):
            data, base = tail + chunk, offset - len(tail)
            for match in _ROW_TAG.finditer(data):
                if base + match.start() - last > gap:
                    break
                last = max(last, base + match.start())
            offset += len(chunk)
            if offset - last > gap:
                raise LimitExceeded(
                    f"{what}: its sheet has over {gap // 1_024:,} KiB of XML in one row (max_xlsx_row_bytes), far more than a "
                    "recipient's row. Export the list as CSV.",
                    "max_xlsx_row_bytes",
                )
            tail = data[-32:]
            clock.check()


class _Clock:
    """Time spent inside a reader, excluding what its caller does between rows."""

    def __init__(self, limits: Limits, what: str) -> None:
        self.spent, self.limit, self.what = 0.0, limits.max_read_seconds, what
        self.started = time.monotonic()

    def pause(self) -> None:
        self.spent += time.monotonic() - self.started

    def resume(self) -> None:
        self.started = time.monotonic()

    def check(self) -> None:
        if self.spent + time.monotonic() - self.started > self.limit:
            raise LimitExceeded(
                f"{self.what} took over {self.limit:.0f} s to read (max_read_seconds). Export the list as CSV, or send a smaller sheet.",
                "max_read_seconds",
            )


def _xlsx_rows(path: Path, phone_column: str | None, limits: Limits, what: str) -> Iterator[Any]:
    import zipfile

    from openpyxl import load_workbook  # lazy: only spreadsheets need it

    clock = _Clock(limits, what)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file; none may reach the caller as a traceback
        raise ListError(f"{what} could not be opened as a spreadsheet ({type(exc).__name__}). Save it again as .xlsx, or export it as CSV.") from None
    try:
        if not workbook.worksheets:
            raise ListError(f"{what} has no sheet.")
        sheet = workbook.worksheets[0]
        member = getattr(sheet, "_worksheet_path", None)
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            for name in [member] if member in names else [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]:
                _check_sheet_rows(archive, name, limits, what, clock)
        sheet.reset_dimensions()  # a sheet's declared size may lie: read the cells it has, no more, no fewer
        cells = iter(sheet.iter_rows(values_only=True))
        count = 0

        def body() -> Iterator[tuple[int, tuple[Any, ...]]]:
            nonlocal count
            max_cell, max_columns = limits.max_cell_chars, limits.max_columns
            for line, row in enumerate(cells, start=1):
                count += 1
                if count > limits.max_rows + 1:
                    raise _too_many_rows(limits, what)
                if len(row) > max_columns:
                    _check_columns(len(row), line, limits, what)
                if count % 64 == 0:
                    clock.check()
                filled = False
                for cell in row:
                    if cell is not None and cell != "":
                        filled = True
                        if type(cell) is str and len(cell) > max_cell:
                            raise LimitExceeded(f"{what}: line {line} has a cell over {max_cell:,} characters (max_cell_chars). Shorten it.", "max_cell_chars")
                if filled:
                    clock.pause()
                    yield line, row
                    clock.resume()

        table = body()
        header = next(table, None)
        if header is None:
            raise ListError(f"{what} has no rows in its first sheet.")
        rows = table_rows(list(header[1]), table, phone_column)
        yield None  # primed: the header was good
        yield from rows
    except ListError:
        raise
    except Exception as exc:  # openpyxl's many kinds for a broken sheet (only reading errors: the caller's run outside)
        raise ListError(f"{what} could not be read as a spreadsheet ({type(exc).__name__}). Save it again as .xlsx, or export it as CSV.") from None
    finally:
        workbook.close()


# Rows from a table (a header and cells)


def table_rows(header: list[Any], body: Iterable[tuple[int, Any]], phone_column: str | None) -> Iterator[Row]:
    """Rows one at a time: a 100,000-row list is never held twice (as cells and as rows)."""
    names = ["" if h is None else str(h).strip() for h in header]
    index = phone_index(names, phone_column)  # checked before the first row is read
    wanted = [(i, name) for i, name in enumerate(names) if i != index and name]

    def rows() -> Iterator[Row]:
        for line, cells in body:
            cells = list(cells) + [None] * (len(names) - len(cells))
            yield Row(line, cells[index], {name: cell_text(cells[i]) for i, name in wanted})

    return rows()


def phone_index(names: list[str], phone_column: str | None) -> int:
    folded = [name.lower().replace(" ", "").replace("_", "").replace("-", "").replace(".", "") for name in names]
    if phone_column:
        wanted = phone_column.strip().lower()
        for i, name in enumerate(names):
            if name.lower() == wanted:
                return i
        raise ListError(f"No column named {_quote(phone_column)}; the columns are: {_columns(names)}.")
    for candidate in PHONE_HEADERS:
        if candidate in folded:
            return folded.index(candidate)
    raise ListError(f"No phone column found among: {_columns(names)}. Name it 'phone' (or mobile, to_number, number) or pass phone_column with its name.")


def _columns(names: list[str]) -> str:
    """The header as a person reads it, cut short: a header row is untrusted file content."""
    shown = ", ".join(name[:40] for name in names[:30])
    return shown + (f", ... ({len(names)} columns)" if len(names) > 30 else "")


def _check_columns(count: int, line: int, limits: Limits, what: str) -> None:
    if count > limits.max_columns:
        raise LimitExceeded(
            f"{what}: line {line} has {count:,} cells; a row has at most {limits.max_columns:,} (max_columns). "
            "Check the delimiter, or drop the columns the calls do not need.",
            "max_columns",
        )


def _too_many_rows(limits: Limits, what: str) -> LimitExceeded:
    return LimitExceeded(f"{what} has more than {limits.max_rows:,} rows (max_rows). Split it into lists of at most {limits.max_rows:,} rows.", "max_rows")


def cell_text(value: Any) -> Any:
    """Spreadsheet cells become text the way a person reads them (dates as ISO, 5001201.0 as 5001201)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# Files


def read_file(path_text: str, access: FileAccess, phone_column: str | None = None) -> Iterator[Row]:
    """Rows of a list file, streamed; the path, the size and the header are checked before this returns."""
    path = allowed_path(path_text, access)
    suffix = path.suffix.lower()
    limits = access.limits
    if suffix == ".xlsx":
        return read_xlsx(path, phone_column, limits)
    try:
        stream = path.open(encoding="utf-8-sig", errors="replace", newline="")
    except OSError as exc:
        raise ListError(f"{path.name} cannot be read ({exc.strerror or type(exc).__name__}).") from None
    rows = _file_rows(stream, suffix, path.name, phone_column, limits)
    try:
        next(rows)  # primed: the header is read and checked now, and the file is closed with the iterator
    except BaseException:
        stream.close()
        raise
    return rows


def _file_rows(stream: IO[str], suffix: str, what: str, phone_column: str | None, limits: Limits) -> Iterator[Any]:
    with stream:
        if suffix == ".csv":
            rows = _csv_rows(stream, phone_column, limits, what)
        else:
            records = _jsonl_records(stream, limits, what) if suffix == ".jsonl" else _json_array_records(stream, limits, what)
            rows = _record_rows(records, phone_column, limits, what)
        yield None
        yield from rows


def allowed_path(path_text: str, access: FileAccess) -> Path:
    """The resolved file, if it is inside a root, readable and small enough; errors never show the roots."""
    if not access.roots:
        raise ListError(
            "Reading call lists from files is off. The operator can allow folders with ZUDU_MCP_FILE_ROOTS "
            "(e.g. ZUDU_MCP_FILE_ROOTS=/home/me/campaigns) or --file-root; or send the list as recipients_csv."
        )
    if not isinstance(path_text, str) or not path_text.strip():
        raise ListError("recipients_file must be a file name or path inside the folders this server may read (set by ZUDU_MCP_FILE_ROOTS).")
    shown = _quote(path_text)
    if "\x00" in path_text:
        raise ListError(f"{shown} contains a NUL character: send the file's name or path as plain text.")
    if len(path_text) > MAX_PATH_CHARS:
        raise LimitExceeded(f"The path {shown} is longer than {MAX_PATH_CHARS:,} characters: send a shorter one.", "max_path_chars")
    if path_text.startswith("~") and not (path_text == "~" or path_text.startswith(("~/", "~\\"))):
        raise ListError(f"{shown}: paths in another user's home (~name) are not read. Give a path inside the folders this server may read.")
    try:
        candidate = Path(path_text).expanduser()
        if not candidate.is_absolute():
            candidate = access.roots[0] / candidate
        resolved = candidate.resolve()  # follows symlinks and '..'
        inside = any(resolved.is_relative_to(root.resolve()) for root in access.roots)
    except (OSError, RuntimeError, ValueError) as exc:  # a name too long, a symlink loop, no home directory
        raise _unreadable(shown, exc) from None
    if not inside:
        raise ListError(
            f"{shown} is outside the folders this server may read (set by ZUDU_MCP_FILE_ROOTS). Give a path inside them, or send the list as recipients_csv."
        )
    if resolved.suffix.lower() not in SUFFIXES:
        raise ListError(f"{_quote(resolved.name)}: only {', '.join(SUFFIXES)} files are read.")
    try:
        if not resolved.is_file():
            raise ListError(f"{shown} does not exist in the folders this server may read.")
        size = resolved.stat().st_size
    except OSError as exc:
        raise _unreadable(shown, exc) from None
    if size > access.max_bytes:
        raise ListError(f"{_quote(resolved.name)} is {size / 1_048_576:.1f} MiB; the limit is {access.max_bytes / 1_048_576:.0f} MiB (ZUDU_MCP_MAX_FILE_MB).")
    return resolved


def _unreadable(shown: str, exc: BaseException) -> ListError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__  # never the path itself
    return ListError(f"{shown} cannot be read ({reason}). Give a path inside the folders this server may read.")


def _quote(text: str, limit: int = 120) -> str:
    """Untrusted text, quoted and cut short for an error message."""
    return repr(text if len(text) <= limit else text[:limit] + "...")
