"""Messy real-world call lists: every row's fate is exact, files stay inside their roots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zudu_mcp.recipients.phones import InvalidNumber, to_e164
from zudu_mcp.recipients.prepare import prepare_recipients, split_parts
from zudu_mcp.recipients.sources import FileAccess, ListError, read_csv_text, read_file

FROM = "+918035315547"


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+91 96000 11957", "IN", "+919600011957"),
        ("096000-11957", "IN", "+919600011957"),
        ("(0)96000 11957", "IN", "+919600011957"),
        ("919600011957", "IN", "+919600011957"),  # international without '+'
        ("9.19600011957E+11", "IN", "+919600011957"),  # Excel's scientific notation
        (919600011957.0, "IN", "+919600011957"),  # a spreadsheet cell
        ("(415) 555-0123", "US", "+14155550123"),
        ("1-415-555-0123", "US", "+14155550123"),
        ("+1 415 555 0123", "IN", "+14155550123"),  # an explicit country code wins over the region
        ("0044 20 7946 0958", "IN", "+442079460958"),
        ("14155550123", "IN", "+14155550123"),  # no '+', not Indian: read as international
    ],
)
def test_numbers_typed_every_way_become_e164(raw: object, region: str, expected: str) -> None:
    assert to_e164(raw, region) == expected


@pytest.mark.parametrize(("raw", "reason"), [("12345", "not a valid phone number for region IN"), ("", "no phone number"), ("call me", "not a valid")])
def test_invalid_numbers_say_why(raw: str, reason: str) -> None:
    with pytest.raises(InvalidNumber, match=reason):
        to_e164(raw, "IN")


MESSY = (
    "\ufeffName;Phone Number;Order ID;City\n"
    "Aswathi;+91 96000 11957;5001201;Bangalore\n"
    "\n"
    'Dev;094452-16009;5001202;"Hyderabad, Madhapur"\n'
    "Asha;9.19600011957E+11;5001203;Bangalore\n"  # duplicate of line 2 once normalised
    "Sam;555-0123;5001204;San Francisco\n"  # a US local number: not valid in IN
    "Ravi;+1 415 555 0123;5001205;San Francisco\n"
    "Office;+91 80 3531 5547;5001206;Bangalore\n"  # the caller number itself
    "Nobody;12345;5001207;Nowhere\n"
    "Lee;+44 20 7946 0958;5001208;London\n"
)


def test_a_messy_list_keeps_reports_and_refuses_exactly() -> None:
    rows = read_csv_text(MESSY)
    prepared = prepare_recipients(rows, from_number=FROM, default_region="IN")
    assert [task["to_number"] for task in prepared.tasks] == ["+919600011957", "+919445216009", "+14155550123", "+442079460958"]
    assert prepared.tasks[1]["dynamic_variables"] == {"Name": "Dev", "Order ID": "5001202", "City": "Hyderabad, Madhapur"}
    assert [(d.line, d.reason) for d in prepared.duplicates] == [(5, "same number as line 2")]
    assert [(r.line, r.value) for r in prepared.rejected] == [(6, "555-0123"), (8, "+91 80 3531 5547"), (9, "12345")]
    assert "not a valid phone number for region IN" in prepared.rejected[0].reason
    assert "is the caller number" in prepared.rejected[1].reason


def test_headers_are_kept_exactly_and_scalars_become_text(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text(json.dumps([{"Mobile": 919600011957, "order_ID": 5001201, "VIP": True, "score": 4.5}]))
    rows = read_file(str(path), FileAccess((tmp_path,), 1_000_000))
    prepared = prepare_recipients(rows, from_number=FROM, default_region="IN")
    assert prepared.tasks == [{"to_number": "+919600011957", "dynamic_variables": {"order_ID": "5001201", "VIP": "true", "score": "4.5"}}]
    assert prepared.converted_columns == {"order_ID", "VIP", "score"}


def test_jsonl_xlsx_and_named_phone_column(tmp_path: Path) -> None:
    from openpyxl import Workbook

    (tmp_path / "a.jsonl").write_text('{"who": "A", "cell no": "096000 11957"}\n\n{"who": "B", "cell no": "+1 415 555 0123"}\n')
    workbook = Workbook()
    workbook.active.append(["Customer", "Contact"])
    workbook.active.append(["A", 919600011957])
    workbook.save(tmp_path / "b.xlsx")
    access = FileAccess((tmp_path,), 1_000_000)
    jsonl = read_file("a.jsonl", access, phone_column="cell no")
    xlsx = read_file(str(tmp_path / "b.xlsx"), access)
    # JSONL rows are numbered by the line a person sees in an editor, blank lines included
    assert [(r.line, r.number, r.variables) for r in jsonl] == [(1, "096000 11957", {"who": "A"}), (3, "+1 415 555 0123", {"who": "B"})]
    assert [(r.line, r.number, r.variables) for r in xlsx] == [(2, 919600011957, {"Customer": "A"})]


def test_missing_phone_column_names_the_columns() -> None:
    with pytest.raises(ListError, match="No phone column found among: name, city"):
        read_csv_text("name,city\nA,B\n")
    with pytest.raises(ListError, match="No column named 'tel'; the columns are: name, mobile"):
        read_csv_text("name,mobile\nA,+919600011957\n", phone_column="tel")


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, Path]:
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    (outside / "secret.csv").write_text("phone\n+919600011957\n")
    (allowed / "ok.csv").write_text("phone\n+919600011957\n")
    return allowed, outside


@pytest.mark.parametrize("path", ["../outside/secret.csv", "{outside}/secret.csv", "link.csv", "linkdir/secret.csv"])
def test_files_outside_the_roots_are_refused(roots: tuple[Path, Path], path: str) -> None:
    allowed, outside = roots
    (allowed / "link.csv").symlink_to(outside / "secret.csv")
    (allowed / "linkdir").symlink_to(outside)
    with pytest.raises(ListError, match="outside the folders this server may read"):
        read_file(path.format(outside=outside), FileAccess((allowed,), 1_000_000))


def test_file_input_is_off_without_roots_and_large_files_are_refused(roots: tuple[Path, Path]) -> None:
    allowed, _ = roots
    with pytest.raises(ListError, match="ZUDU_MCP_FILE_ROOTS"):
        read_file(str(allowed / "ok.csv"), FileAccess((), 1_000_000))
    with pytest.raises(ListError, match="ZUDU_MCP_MAX_FILE_MB"):
        read_file("ok.csv", FileAccess((allowed,), 10))
    with pytest.raises(ListError, match="only .csv, .json, .jsonl, .xlsx"):
        (allowed / "x.txt").write_text("phone\n")
        read_file("x.txt", FileAccess((allowed,), 1_000_000))


def test_split_names_parts_and_keeps_order() -> None:
    tasks = [{"to_number": str(i)} for i in range(2500)]
    parts = split_parts("x" * 255, tasks)
    assert [len(part) for _, part in parts] == [1000, 1000, 500]
    assert all(len(name) <= 255 and name.endswith(f"(part {i} of 3)") for i, (name, _) in enumerate(parts, start=1))
    assert [t for _, part in parts for t in part] == tasks
    assert split_parts("small", tasks[:3]) == [("small", tasks[:3])]
