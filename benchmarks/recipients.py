"""Recipients at scale, each figure against its floor measured in the same run.

The floor is libphonenumber alone on the same rows: parse, is_valid_number and format_number(E164)
per row, the least any server that validates numbers must do. Measured for 1,000 and 100,000 rows
(and 300,000 with --big):

1. normalise() over rows already in memory (what a plan built from inline tasks costs);
2. a CSV file read from disk and normalised, in a fresh process (its floor measured there too):
   CPU time, and peak RSS (VmHWM) of that process, whole and added by the list;
3. end to end over stdio: plugged in by `end_to_end_over_stdio` once the new plan tools land.

Times are CPU seconds of this process (the machine is shared: CPU time is what the work costs),
each normalise run paired with a floor run just before it; the ratio is the median of the pairs.

Run: uv run python benchmarks/recipients.py [--big] [--runs N]
"""

from __future__ import annotations

import argparse
import compileall
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REGION, FROM = "IN", "+918035315547"


def raw_numbers(count: int) -> list[str]:
    """Numbers as lists have them: a third international, a third national with a trunk 0, a third US."""
    shapes = (lambda i: f"+91 96{i // 100_000:03d} {i % 100_000:05d}", lambda i: f"094{i:08d}", lambda i: f"+1 415 {200 + i // 10_000 % 800:03d} {i % 10_000:04d}")
    return [shapes[i % 3](i) for i in range(count)]


def rows_of(numbers: list[str]) -> list:
    from zudu_mcp.recipients.sources import Row

    return [Row(i + 2, number, {"name": f"Person {i}", "order_id": str(5_000_000 + i)}) for i, number in enumerate(numbers)]


def floor(numbers: list[str]) -> None:
    """libphonenumber's own work on the same numbers: the floor."""
    import phonenumbers
    from phonenumbers import PhoneNumberFormat

    for raw in numbers:
        number = phonenumbers.parse(raw, REGION)
        if phonenumbers.is_valid_number(number):
            phonenumbers.format_number(number, PhoneNumberFormat.E164)


def normalise_all(rows: list) -> int:
    from zudu_mcp.recipients.prepare import RecipientReport, normalise

    report = RecipientReport()
    for _ in normalise(rows, from_number=FROM, default_region=REGION, report=report):
        pass
    return report.kept


def cpu(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


@dataclass
class Figure:
    label: str
    seconds: float
    floor_seconds: float
    ratio: float
    note: str = ""

    def __str__(self) -> str:
        return f"  {self.label:<44} {self.seconds * 1000:>9.0f} ms   floor {self.floor_seconds * 1000:>8.0f} ms   {self.ratio:>5.2f}x  {self.note}"


def in_memory(count: int, runs: int) -> Figure:
    numbers = raw_numbers(count)
    pairs = []
    for _ in range(runs):
        rows = rows_of(numbers)  # fresh rows: normalise converts variables in place
        base = cpu(lambda: floor(numbers))
        kept = 0

        def run() -> None:
            nonlocal kept
            kept = normalise_all(rows)  # noqa: B023 (run at once, inside the loop)

        pairs.append((cpu(run), base))
    assert kept == count, kept
    return Figure(f"normalise(), {count:,} rows in memory", statistics.median(p[0] for p in pairs),
                  statistics.median(p[1] for p in pairs), statistics.median(p[0] / p[1] for p in pairs))


CHILD = """
import json, sys, time
from pathlib import Path
from zudu_mcp.recipients.prepare import RecipientReport, normalise
from zudu_mcp.recipients.sources import FileAccess, read_file
sys.path.insert(0, sys.argv[5])
from recipients import floor  # the same floor, in the same process

def status(field):  # VmHWM, not ru_maxrss: that one keeps the peak of the process that spawned this one
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(field + ":"))
    return int(line.split()[1]) * 1024

def pipeline():
    report = RecipientReport()
    started = time.process_time()
    for _ in normalise(read_file(path.name, FileAccess((path.parent,), 1 << 30)), from_number=sys.argv[2], default_region=sys.argv[3], report=report):
        pass
    return time.process_time() - started, report.kept

path, warm, runs = Path(sys.argv[1]), Path(sys.argv[4]), int(sys.argv[6])
# A server that has read one list has its metadata loaded: so does the floor
list(normalise(read_file(warm.name, FileAccess((warm.parent,), 1 << 20)), from_number=None, default_region=sys.argv[3], report=RecipientReport()))
floor(warm.read_text().splitlines()[1:])
before = status("VmRSS")
first, kept = pipeline()
peak = status("VmHWM")  # before the floor's own list of numbers is loaded
numbers = [line.split(",", 1)[0] for line in path.read_text().splitlines()[1:]]
pairs = []
for run in range(runs):
    started = time.process_time()
    floor(numbers)
    base = time.process_time() - started
    pairs.append((first if run == 0 else pipeline()[0], base))
print(json.dumps({"pairs": pairs, "kept": kept, "before": before, "peak": peak}))
"""


def from_file(count: int, runs: int, folder: Path) -> Figure:
    """In a fresh process: peak RSS of reading the file is honest, and the floor is measured there too."""
    numbers = raw_numbers(count)
    path = folder / f"list-{count}.csv"
    with path.open("w") as out:
        out.write("phone,name,order_id\n")
        for i, number in enumerate(numbers):
            out.write(f"{number},Person {i},{5_000_000 + i}\n")
    warm = folder / "warm.csv"
    warm.write_text("phone\n" + "\n".join(raw_numbers(3)) + "\n")
    command = [sys.executable, "-c", CHILD, str(path), FROM, REGION, str(warm), str(Path(__file__).parent), str(runs)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the file benchmark's process failed:\n{done.stderr}")
    result = json.loads(done.stdout)
    assert result["kept"] == count, result
    pairs, mib = result["pairs"], 1_048_576
    note = f"peak RSS {result['peak'] / mib:.0f} MiB ({(result['peak'] - result['before']) / mib:.0f} MiB for the list)"
    return Figure(f"CSV file read + normalise(), {count:,} rows", statistics.median(p[0] for p in pairs),
                  statistics.median(p[1] for p in pairs), statistics.median(p[0] / p[1] for p in pairs), note)


def end_to_end_over_stdio(count: int, runs: int, folder: Path) -> Figure | None:
    """A plan (and a create) of `count` recipients through `zudu-mcp` over stdio, against the same floor.

    To plug in once the new plan tools land: start the server as a subprocess (stdio client of the
    MCP SDK, `--sandbox`), send the rows of raw_numbers(count) inline (or as a file for 100,000),
    time each call's round trip, and return Figure(label, median seconds, median floor, median
    ratio, note with the result's size in bytes). Returning None leaves the line out.
    """
    return None


def compile_bytecode() -> None:
    """The machine sets PYTHONDONTWRITEBYTECODE: without .pyc files the child processes would time compiling."""
    import openpyxl
    import phonenumbers

    import zudu_mcp

    for package in (zudu_mcp, phonenumbers, openpyxl):
        compileall.compile_dir(Path(package.__file__).parent, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big", action="store_true", help="also 300,000 rows")
    parser.add_argument("--runs", type=int, default=0, help="runs per figure (default: 15 for 1,000 rows, 3 above)")
    args = parser.parse_args()
    compile_bytecode()
    floor(raw_numbers(3))  # loads the metadata of the regions used, for both sides
    normalise_all(rows_of(raw_numbers(3)))
    sizes = [1_000, 100_000] + ([300_000] if args.big else [])
    print(f"Recipients benchmark, {time.strftime('%Y-%m-%d')}, Python {sys.version.split()[0]} on {sys.platform}; "
          "floor = libphonenumber parse + is_valid_number + format_number(E164) on the same rows; CPU time, median of paired runs")
    with tempfile.TemporaryDirectory() as folder:
        for count in sizes:
            runs = args.runs or (15 if count <= 1_000 else 3)
            print(f"{count:,} rows ({runs} runs):")
            for figure in (in_memory(count, runs), from_file(count, runs, Path(folder)), end_to_end_over_stdio(count, runs, Path(folder))):
                if figure is not None:
                    print(figure, flush=True)


if __name__ == "__main__":
    main()
