"""Hostile list files: each is refused with a clear error naming the limit, quickly and in bounded memory.

No traceback, no gigabytes: a zip-bomb spreadsheet, a huge CSV cell, JSON nested to exhaustion, paths
that point elsewhere. And no error shows the allowed folders or what the file contains.
"""

from __future__ import annotations

import io
import json
import time
import tracemalloc
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest

from zudu_mcp.recipients.sources import FileAccess, LimitExceeded, Limits, ListError, read_csv_text, read_file

SECRET = "TOP-SECRET-CONTENT"
SHEET_START = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_END = b"</sheetData></worksheet>"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    allowed = tmp_path / "lists"
    allowed.mkdir()
    return allowed


def access(folder: Path, **limits: object) -> FileAccess:
    return FileAccess((folder,), 50 * 1_048_576, Limits(**limits))  # type: ignore[arg-type]


def refused(folder: Path, name: str, **limits: object) -> ListError:
    """The error reading `name` gives, checked to be one clear sentence that shows neither roots nor contents."""
    with pytest.raises(ListError) as caught:
        list(read_file(name, access(folder, **limits)))
    message = str(caught.value)
    assert str(folder) not in message and str(folder.parent) not in message and SECRET not in message
    assert "Traceback" not in message and len(message) < 600
    return caught.value


def xlsx(path: Path, sheet: Iterable[bytes] | None = None, compresslevel: int = 1) -> Path:
    """A real workbook from openpyxl, its first sheet's XML replaced by `sheet` (written in pieces, never held)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["phone", "name"])
    workbook.active.append(["+919600011957", SECRET])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as target:
        for info in source.infolist():
            if sheet is not None and info.filename == "xl/worksheets/sheet1.xml":
                with target.open(info.filename, "w", force_zip64=True) as out:
                    for piece in sheet:
                        out.write(piece)
            else:
                target.writestr(info, source.read(info.filename))
    return path


def repeated_rows(count: int) -> Iterable[bytes]:
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>+919600011957</t></is></c></row>' * 10_000
    yield SHEET_START
    for _ in range(count // 10_000):
        yield row
    yield SHEET_END


@pytest.mark.parametrize(("rows", "limit"), [(4_000_000, "max_xlsx_uncompressed_bytes"), (2_000_000, "max_xlsx_ratio")])
def test_a_zip_bomb_spreadsheet_is_refused_before_it_is_unpacked(folder: Path, rows: int, limit: str) -> None:
    """2-4 MB on disk, 150-300 MB of sheet XML inside: refused from the zip's directory in well under a second of work."""
    path = xlsx(folder / "bomb.xlsx", repeated_rows(rows))
    assert 1_000_000 < path.stat().st_size < 4_500_000
    tracemalloc.start()
    started = time.process_time()
    try:
        error = refused(folder, "bomb.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(error, LimitExceeded) and error.limit == limit and limit in str(error)
    assert "export" in str(error).lower()  # the fix
    assert time.process_time() - started < 5  # generous: it reads only the zip's directory
    assert peak < 8 * 1_048_576, f"peak {peak / 1_048_576:.1f} MiB"


def test_a_row_with_megabytes_of_cells_is_refused_before_openpyxl_builds_it(folder: Path) -> None:
    cells = b'<c r="B1"><v>1</v></c>' * 60_000  # about 1.3 MB of XML in one row
    xlsx(folder / "wide.xlsx", [SHEET_START, b'<row r="1"><c r="A1" t="inlineStr"><is><t>phone</t></is></c>', cells, b"</row>", SHEET_END])
    tracemalloc.start()
    try:
        error = refused(folder, "wide.xlsx", max_xlsx_ratio=1_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(error, LimitExceeded) and error.limit == "max_xlsx_row_bytes"
    assert peak < 16 * 1_048_576


def test_a_sheet_that_declares_a_million_rows_is_read_by_the_rows_it_has(folder: Path) -> None:
    """A dimension of A1:XFD1048576 made openpyxl pad every row to 16,384 cells; the rows present are what count."""
    sheet = [
        SHEET_START.replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>'),
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>phone</t></is></c></row>',
        b'<row r="3"><c r="A3" t="inlineStr"><is><t>+919600011957</t></is></c></row>',
        SHEET_END,
    ]
    xlsx(folder / "tall.xlsx", sheet)
    rows = list(read_file("tall.xlsx", access(folder)))
    assert [(r.line, r.number, r.variables) for r in rows] == [(3, "+919600011957", {})]


def test_gaps_of_empty_rows_count_against_the_row_limit(folder: Path) -> None:
    sheet = [
        SHEET_START,
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>phone</t></is></c></row>',
        b'<row r="1000000"><c r="A1000000"><v>1</v></c></row>',
        SHEET_END,
    ]
    xlsx(folder / "gap.xlsx", sheet)
    error = refused(folder, "gap.xlsx", max_rows=10_000)
    assert isinstance(error, LimitExceeded) and error.limit == "max_rows" and "10,000 rows" in str(error)


@pytest.mark.parametrize(
    ("cells", "limits", "limit"),
    [
        (b'<c r="A2"><v>1</v></c><c r="AAA2"><v>2</v></c>', {"max_columns": 100}, "max_columns"),
        (b'<c r="A2" t="inlineStr"><is><t>' + b"x" * 40_000 + b"</t></is></c>", {}, "max_cell_chars"),
        (b'<c r="A2"><v>1</v></c>', {"max_read_seconds": 0.0}, "max_read_seconds"),
    ],
)
def test_spreadsheet_cells_rows_and_time_are_limited(folder: Path, cells: bytes, limits: dict[str, object], limit: str) -> None:
    sheet = [SHEET_START, b'<row r="1"><c r="A1" t="inlineStr"><is><t>phone</t></is></c></row>', b'<row r="2">', cells, b"</row>", SHEET_END]
    xlsx(folder / "x.xlsx", sheet)
    error = refused(folder, "x.xlsx", **limits)
    assert isinstance(error, LimitExceeded) and error.limit == limit and limit in str(error)


@pytest.mark.parametrize("content", [b"PK\x03\x04 not really a zip", b"phone\n+919600011957\n", b""])
def test_a_broken_spreadsheet_is_one_clear_sentence(folder: Path, content: bytes) -> None:
    (folder / "broken.xlsx").write_bytes(content)
    assert "not a valid .xlsx" in str(refused(folder, "broken.xlsx"))


def test_a_zip_that_is_no_workbook_is_one_clear_sentence(folder: Path) -> None:
    with zipfile.ZipFile(folder / "other.xlsx", "w") as archive:
        archive.writestr("hello.txt", SECRET)
    assert "could not be opened as a spreadsheet" in str(refused(folder, "other.xlsx"))


def test_a_csv_cell_over_csvs_field_limit_names_the_line_and_the_fix(folder: Path) -> None:
    (folder / "big.csv").write_text('phone,note\n+919600011957,ok\n+919600011958,"' + SECRET + "x" * 200_000 + '"\n')
    error = refused(folder, "big.csv")
    assert isinstance(error, LimitExceeded) and "line 3 has a cell longer than 131,072 characters" in str(error)
    with pytest.raises(LimitExceeded, match="line 2 has a cell longer"):
        list(read_csv_text('phone,note\n+919600011957,"' + "x" * 200_000 + '"\n'))


def test_a_csv_line_over_the_line_limit_is_refused_before_it_is_read_whole(folder: Path) -> None:
    (folder / "long.csv").write_text("phone," + "," * 3_000_000 + "\n")
    tracemalloc.start()
    try:
        error = refused(folder, "long.csv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(error, LimitExceeded) and error.limit == "max_line_chars" and "line 1" in str(error)
    assert peak < 16 * 1_048_576


def test_too_many_columns_and_rows_in_a_csv(folder: Path) -> None:
    (folder / "wide.csv").write_text("phone,name\n+919600011957" + ",x" * 2_000 + "\n")
    assert refused(folder, "wide.csv").limit == "max_columns"  # type: ignore[attr-defined]
    (folder / "tall.csv").write_text("phone\n" + "+919600011957\n" * 11)
    assert refused(folder, "tall.csv", max_rows=10).limit == "max_rows"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "content"),
    [("nul.csv", b"phone\n+919600011957\x00" + SECRET.encode() + b"\n"), ("nul.jsonl", b'{"phone": "+919600011957"}\n{"\x00": 1}\n')],
)
def test_nul_bytes_mean_not_a_text_file(folder: Path, name: str, content: bytes) -> None:
    (folder / name).write_bytes(content)
    assert "line 2 contains a NUL byte" in str(refused(folder, name))


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("deep.json", '[{"phone": "+919600011957", "x": ' + DEEP + "}]", "record 1 is nested too deeply"),
        ("deep.json", '{"tasks": ' + DEEP + "}", "nested too deeply"),
        ("deep.jsonl", '{"phone": "+919600011957", "x": ' + DEEP + "}\n", "line 1 is nested too deeply"),
        ("top.json", DEEP, "record 1 is not an object"),
        ("number.json", "5", "must hold a list of objects"),
        ("numbers.json", "[1, 2]", "record 1 is not an object"),
        ("object.json", '{"phone": "+919600011957"}', "must hold a list of objects"),
        ("empty.json", "", "must hold a list of objects"),
        ("empty-list.json", "[]", "has no recipients"),
        ("broken.json", '[{"phone": "+919600011957"}, {"phone": ' + json.dumps(SECRET), "record 2 is not valid JSON"),
        ("comma.json", '[{"phone": "+919600011957"} {"phone": "1"}]', "after record 1, expected ',' or ']'"),
        ("line.jsonl", '{"phone": "+919600011957"}\n[1]\n', "record 2 is not an object"),
        ("bad.jsonl", '{"phone": "+919600011957"}\n{"phone": ' + json.dumps(SECRET) + "\n", "line 2 is not valid JSON"),
    ],
)
def test_json_that_is_not_a_list_of_objects(folder: Path, name: str, content: str, expected: str) -> None:
    (folder / name).write_text(content)
    assert expected in str(refused(folder, name))


def test_a_json_record_over_the_record_limit(folder: Path) -> None:
    (folder / "huge.json").write_text('[{"phone": "+919600011957", "note": "' + "x" * 3_000_000 + '"}]')
    assert refused(folder, "huge.json").limit == "max_record_chars"  # type: ignore[attr-defined]


def test_a_large_json_array_streams_and_a_large_wrapped_one_is_refused(folder: Path) -> None:
    records = [{"phone": f"+9196{i:08d}", "name": f"P{i}"} for i in range(20_000)]
    (folder / "list.json").write_text(json.dumps(records))
    rows = list(read_file("list.json", access(folder, max_whole_json_chars=1_000)))
    assert len(rows) == 20_000 and (rows[-1].line, rows[-1].number, rows[-1].variables) == (20_000, "+919600019999", {"name": "P19999"})
    (folder / "wrapped.json").write_text(json.dumps({"tasks": records}))
    assert refused(folder, "wrapped.json", max_whole_json_chars=1_000).limit == "max_whole_json_chars"  # type: ignore[attr-defined]
    assert len(list(read_file("wrapped.json", access(folder)))) == 20_000


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("~root/list.csv", "another user's home"),
        ("~nobody-here/../../etc/passwd.csv", "another user's home"),
        ("list\x00.csv", "NUL character"),
        ("a/" * 1_000 + "list.csv", "longer than 1,024 characters"),
        ("x" * 300 + ".csv", "cannot be read (File name too long)"),
        ("../outside/secret.csv", "outside the folders this server may read (set by ZUDU_MCP_FILE_ROOTS)"),
        ("missing.csv", "does not exist in the folders this server may read"),
        ("loop/x.csv", "cannot be read"),
    ],
)
def test_paths_that_point_elsewhere_are_refused_without_showing_the_folders(folder: Path, path: str, expected: str) -> None:
    outside = folder.parent / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("phone\n" + SECRET + "\n")
    (folder / "loop").symlink_to(folder / "loop")
    message = str(refused(folder, path))
    assert expected in message


def test_a_home_path_is_still_allowed_when_it_is_inside_a_root(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv("HOME", str(folder))
    (folder / "mine.csv").write_text("phone\n+919600011957\n")
    assert [r.number for r in read_file("~/mine.csv", access(folder))] == ["+919600011957"]
