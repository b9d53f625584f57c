"""The one-pass pipeline: rows stream through normalise() into tasks, and a bounded report says what happened."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zudu_mcp.recipients.calling_window import outside_window, region_of_zone
from zudu_mcp.recipients.prepare import (
    MAX_EXAMPLES,
    PARSE_CACHE_SIZE,
    RecipientReport,
    json_string_length,
    normalise,
    prepare_recipients,
    variables_size,
)
from zudu_mcp.recipients.sources import FileAccess, ListError, Row, read_csv_text, read_file
from zudu_mcp.zudu.models import MAX_DYNAMIC_VARIABLES_BYTES

FROM = "+918035315547"
TEXT = st.text(st.characters(codec="utf-8"), max_size=60)  # every character UTF-8 can carry: controls, quotes, emoji


@given(TEXT)
def test_a_text_is_measured_exactly_as_json_dumps_encodes_it(text: str) -> None:
    assert json_string_length(text) == len(json.dumps(text, ensure_ascii=False).encode())


@given(st.dictionaries(TEXT, TEXT, max_size=8))
def test_variables_are_measured_exactly_as_json_dumps_encodes_them(variables: dict[str, str]) -> None:
    assert variables_size(variables) == len(json.dumps(variables, ensure_ascii=False).encode())


@given(st.dictionaries(TEXT, st.one_of(TEXT, st.integers(), st.booleans(), st.floats(allow_nan=False), st.none()), min_size=1, max_size=6))
def test_normalise_refuses_exactly_the_rows_json_dumps_finds_over_5_kb(variables: dict[str, object]) -> None:
    """Padded to the limit's edge: a row of exactly 5,120 bytes is kept, one byte more is refused."""
    for extra in (0, 1):
        report = RecipientReport()
        row = dict(variables)
        padding = MAX_DYNAMIC_VARIABLES_BYTES + extra - len(json.dumps(_as_sent(row | {"pad": ""}), ensure_ascii=False).encode())
        if padding < 0:
            continue
        row["pad"] = "x" * padding
        tasks = list(normalise([Row(2, "+919600011957", row)], from_number=FROM, default_region="IN", report=report))
        size = len(json.dumps(_as_sent(variables | {"pad": "x" * padding}), ensure_ascii=False).encode())
        assert (size <= MAX_DYNAMIC_VARIABLES_BYTES) == bool(tasks) == (extra == 0)
        if tasks:
            assert len(json.dumps(tasks[0]["dynamic_variables"], ensure_ascii=False).encode()) == size
        else:
            assert report.reasons == {"variables over 5 KB": 1} and f"its variables are {size} bytes" in report.examples[0].reason


def _as_sent(variables: dict[str, object]) -> dict[str, str]:
    from zudu_mcp.recipients.prepare import text_of

    return {str(k): v if isinstance(v, str) else text_of(v) for k, v in variables.items()}


MESSY = (
    "\ufeffName;Phone Number;Order ID;City\n"
    "Aswathi;+91 96000 11957;5001201;Bangalore\n"
    "\n"
    'Dev;094452-16009;5001202;"Hyderabad, Madhapur"\n'
    "Asha;9.19600011957E+11;5001203;Bangalore\n"
    "Sam;555-0123;5001204;San Francisco\n"
    "Ravi;+1 415 555 0123;5001205;San Francisco\n"
    "Office;+91 80 3531 5547;5001206;Bangalore\n"
    "Nobody;12345;5001207;Nowhere\n"
    "Lee;+44 20 7946 0958;5001208;London\n"
    "Toll;+1 800 555 0199;5001209;Anywhere\n"
)


def test_the_report_counts_groups_and_quotes_in_line_order() -> None:
    report = RecipientReport()
    tasks = list(normalise(read_csv_text(MESSY), from_number=FROM, default_region="IN", report=report))
    assert [t["to_number"] for t in tasks] == ["+919600011957", "+919445216009", "+14155550123", "+442079460958", "+18005550199"]
    assert (report.kept, report.refused, report.duplicates) == (5, 3, 1)
    assert report.reasons == {"invalid number": 2, "caller number": 1, "duplicate": 1}
    assert [(r.line, r.value) for r in report.examples] == [(5, "9.19600011957E+11"), (6, "555-0123"), (8, "+91 80 3531 5547"), (9, "12345")]
    assert report.read_with_region == 1  # 094452-16009; the others carry their country code
    assert report.zones == {"Asia/Calcutta": 2, "America/Los_Angeles": 1, "Europe/London": 1}
    assert report.unknown_zone == 1  # a US toll-free number is in no one zone


def test_prepare_recipients_still_lists_every_problem() -> None:
    rows = [Row(i, "12345", {}) for i in range(2, 2 + MAX_EXAMPLES + 5)]
    prepared = prepare_recipients(rows, from_number=FROM, default_region="IN")
    assert len(prepared.rejected) == MAX_EXAMPLES + 5 and prepared.tasks == []
    report = RecipientReport()
    assert list(normalise(rows, from_number=FROM, default_region="IN", report=report)) == []
    assert report.refused == MAX_EXAMPLES + 5 and len(report.examples) == MAX_EXAMPLES
    assert [r.line for r in report.examples] == list(range(2, 2 + MAX_EXAMPLES))


def test_numbers_without_a_country_code_that_the_campaign_zone_reads_otherwise_are_counted() -> None:
    rows = [
        Row(2, "07911 123456", {}),  # India reads +91 7911 123456; Britain +44 7911 123456
        Row(3, "96000 11957", {}),  # only Indian
        Row(4, "+44 7400 123456", {}),  # has its country code
        Row(5, "07400 123456", {}),  # both again
    ]
    report = RecipientReport()
    tasks = list(normalise(rows, from_number=FROM, default_region="IN", other_region=region_of_zone("Europe/London"), report=report))
    assert [t["to_number"] for t in tasks] == ["+917911123456", "+919600011957", "+447400123456", "+917400123456"]
    assert (report.read_with_region, report.also_valid_in_other_region, report.other_region_examples) == (3, 2, [2, 5])
    same = RecipientReport()
    list(normalise(rows, from_number=FROM, default_region="IN", other_region="IN", report=same))
    assert same.also_valid_in_other_region == 0


@pytest.mark.parametrize(
    ("zone", "region"),
    [
        ("Europe/London", "GB"),
        ("Asia/Calcutta", "IN"),
        ("Asia/Kolkata", "IN"),
        ("America/Chicago", "US"),
        ("US/Central", "US"),
        ("Europe/Zurich", "CH"),
        ("UTC", None),
        ("Etc/GMT+5", None),
        ("CET", None),
        ("EST5EDT", None),
        ("Nowhere/Land", None),
    ],
)
def test_the_region_a_campaign_zone_implies(zone: str, region: str | None) -> None:
    assert region_of_zone(zone) == region


def test_the_calling_window_works_from_the_report_zones() -> None:
    from datetime import UTC, datetime, time

    start = datetime(2026, 11, 28, 4, 30, tzinfo=UTC)  # 10:00 in India, 04:30 in London
    outside = outside_window(start, {"Asia/Calcutta": 3, "Europe/London": 2}, (time(8), time(21)))
    assert [(o.zone, o.count, o.local_time) for o in outside] == [("Europe/London", 2, "Sat 04:30")]


def test_a_number_is_parsed_once_per_distinct_raw_form(monkeypatch: pytest.MonkeyPatch) -> None:
    import zudu_mcp.recipients.phones as phones

    calls = []
    real = phones.read_plain
    monkeypatch.setattr(phones, "read_plain", lambda raw, region, other: calls.append(raw) or real(raw, region, other))
    rows = [Row(i, raw, {}) for i, raw in enumerate(["+91 96000 11957", "12345", "+91 96000 11957", "12345", "096000 11957"], start=2)]
    report = RecipientReport()
    assert len(list(normalise(rows, from_number=FROM, default_region="IN", report=report))) == 1
    assert calls == ["+91 96000 11957", "12345", "096000 11957"]
    assert report.reasons == {"duplicate": 2, "invalid number": 2}
    assert PARSE_CACHE_SIZE >= 10_000


def test_rows_come_out_before_the_rest_of_the_file_is_read(tmp_path: Path) -> None:
    """A broken line near the end is reached only after the first rows were yielded: the file is streamed."""
    path = tmp_path / "list.csv"
    path.write_text("phone,name\n" + "".join(f"+9196{i:08d},P{i}\n" for i in range(50_000)) + "bad\x00line\n")  # over a read chunk
    rows = read_file("list.csv", FileAccess((tmp_path,), 10_000_000))
    first = [next(rows) for _ in range(3)]
    assert [r.line for r in first] == [2, 3, 4]
    with pytest.raises(ListError, match="line 50002 contains a NUL byte"):
        list(rows)


STREAM_CHILD = """
import sys
from pathlib import Path
import zudu_mcp.recipients.phones as phones
from zudu_mcp.recipients.prepare import RecipientReport, normalise
from zudu_mcp.recipients.sources import FileAccess, read_file

phones.read_plain = lambda raw, region, other: (raw, False, "Asia/Calcutta", None)  # libphonenumber's memory is the benchmark's
folder = Path(sys.argv[1])
def status(field):  # VmHWM, not ru_maxrss: that one keeps the peak of the process that spawned this one
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024

before = status("VmRSS")
report, last = RecipientReport(), None
for last in normalise(read_file("big.csv", FileAccess((folder,), 100_000_000)), from_number=None, default_region="IN", report=report):
    pass
peak = status("VmHWM")
print(report.kept, peak - before, last)
"""


def test_300000_rows_stream_through_normalise_in_bounded_memory(tmp_path: Path) -> None:
    """The list is never held: the memory it adds is what the duplicate check needs, not the rows or the tasks.

    Measured as peak RSS over the start in a fresh process (holding the 300,000 tasks would add about
    200 MiB); libphonenumber is replaced by a lookup so this takes seconds, and its own memory at this size
    is measured by benchmarks/recipients.py.
    """
    import subprocess
    import sys

    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to read the starting RSS")
    with (tmp_path / "big.csv").open("w") as out:
        out.write("phone,name,order_id\n")
        for i in range(300_000):
            out.write(f"+9196{i:08d},Person {i},{i}\n")
    done = subprocess.run([sys.executable, "-c", STREAM_CHILD, str(tmp_path)], capture_output=True, text=True, timeout=300, check=True)
    kept, added, last = done.stdout.split(" ", 2)
    assert int(kept) == 300_000
    assert last.strip() == str({"to_number": "+919600299999", "dynamic_variables": {"name": "Person 299999", "order_id": "299999"}})
    assert int(added) < 60 * 1_048_576, f"the pipeline added {int(added) / 1_048_576:.0f} MiB"


def test_reading_and_normalising_work_from_a_worker_thread(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("phone,name\n+919600011957,A\n")

    def plan() -> tuple[list[dict[str, object]], int]:
        report = RecipientReport()
        rows = read_file("a.csv", FileAccess((tmp_path,), 1_000))
        return list(normalise(rows, from_number=FROM, default_region="IN", report=report)), report.kept

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(plan).result() == ([{"to_number": "+919600011957", "dynamic_variables": {"name": "A"}}], 1)


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 262_144])
def test_rows_and_line_numbers_do_not_depend_on_where_reads_split_the_text(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """\\r\\n split across two reads, \\r alone, a quoted cell over two lines: the same rows whatever the chunk size."""
    import zudu_mcp.recipients.sources as sources

    monkeypatch.setattr(sources, "CHUNK_CHARS", chunk)
    text = 'phone,note\r\n+919600011957,"two\r\nlines"\r\n\r\n+919600011958,cr only\r+919600011959,last'
    rows = [(r.line, r.number, r.variables) for r in read_csv_text(text)]
    assert rows == [(2, "+919600011957", {"note": "two\r\nlines"}), (5, "+919600011958", {"note": "cr only"}), (6, "+919600011959", {"note": "last"})]


def test_a_huge_refused_value_is_quoted_short() -> None:
    report = RecipientReport()
    list(normalise([Row(2, "9" * 100_000, {})], from_number=FROM, default_region="IN", report=report))
    (problem,) = report.examples
    assert len(problem.value) <= 103 and len(problem.reason) < 120 and problem.reason.startswith("'99999")
