"""Recipients at scale, each figure against its floor measured in the same run.

The floor is libphonenumber alone on the same rows: parse, is_valid_number and format_number(E164)
per row, the least any server that validates numbers must do. Measured for 1,000 and 100,000 rows
(and 300,000 with --big):

1. normalise() over rows already in memory (what a plan built from inline tasks costs);
2. a CSV file read from disk and normalised, in a fresh process (its floor measured there too):
   CPU time, and peak RSS (VmHWM) of that process, whole and added by the list;
3. over stdio, `zudu-mcp` as a subprocess spoken to in JSON-RPC lines: a 1,000-recipient
   preview_batch_call with inline tasks; and, from 100,000 rows, an unattended
   (ZUDU_MCP_CONFIRM=off) create_batch_call of a file, against a minimal Zudu on loopback (the
   server's own work: it reads every part's JSON and answers) and, at 100,000 rows, against the
   embedded sandbox (which also plans and stores every call: the sandbox's cost, not the product's).
   The server's CPU time for the call comes from /proc; its peak RSS too; every result's size
   (text plus structured content) is checked against 8 KB.

Times are CPU seconds (the machine is shared: CPU time is what the work costs), each run paired
with a floor run just before it; wall times are in the notes. The last lines check each bound.

Run: uv run python benchmarks/recipients.py [--big] [--runs N]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REGION, FROM = "IN", "+918035315547"


def raw_numbers(count: int, start: int = 0) -> list[str]:
    """Numbers as lists have them: a third international, a third national with a trunk 0, a third US.

    `start` gives other numbers of the same shapes: runs that repeat in one process each read new
    numbers, so no cache kept from one call to the next could flatter a figure.
    """
    shapes = (
        lambda i: f"+91 96{i // 100_000:03d} {i % 100_000:05d}",
        lambda i: f"094{i:08d}",
        lambda i: f"+1 415 {200 + i // 10_000 % 800:03d} {i % 10_000:04d}",
    )
    return [shapes[i % 3](i) for i in range(start, start + count)]


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
    pairs = []
    for index in range(runs):
        numbers = raw_numbers(count, start=index * count)  # new numbers each run, the floor's too
        rows = rows_of(numbers)  # fresh rows: normalise converts variables in place
        base = cpu(lambda: floor(numbers))  # noqa: B023 (run at once, inside the loop)
        kept = 0

        def run() -> None:
            nonlocal kept
            kept = normalise_all(rows)  # noqa: B023 (run at once, inside the loop)

        pairs.append((cpu(run), base))
    assert kept == count, kept
    return Figure(
        f"normalise(), {count:,} rows in memory",
        statistics.median(p[0] for p in pairs),
        statistics.median(p[1] for p in pairs),
        statistics.median(p[0] / p[1] for p in pairs),
    )


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
    return Figure(
        f"CSV file read + normalise(), {count:,} rows",
        statistics.median(p[0] for p in pairs),
        statistics.median(p[1] for p in pairs),
        statistics.median(p[0] / p[1] for p in pairs),
        note,
    )


AGENT = "agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e"  # the sandbox's own agent


class StdioServer:
    """`zudu-mcp --sandbox` as a subprocess spoken to in raw JSON-RPC lines: no client-side SDK cost in the timing."""

    def __init__(self, folder: Path, **env: str):
        import os

        state = Path(tempfile.mkdtemp(dir=folder))
        environ = (
            {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")}
            | {"ZUDU_SANDBOX": "1", "ZUDU_MCP_STATE_DIR": str(state), "ZUDU_MCP_FILE_ROOTS": str(folder), "ZUDU_MCP_MAX_FILE_MB": "200"}
            | env
        )
        binary = Path(sys.executable).parent / "zudu-mcp"
        self.process = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=environ)
        self.ids = 0
        self.call("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}})
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, message: dict) -> None:
        assert self.process.stdin
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()

    def call(self, method: str, params: dict) -> dict:
        self.ids += 1
        self.send({"jsonrpc": "2.0", "id": self.ids, "method": method, "params": params})
        assert self.process.stdout
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise SystemExit("zudu-mcp exited during the benchmark")
            message = json.loads(line)
            if message.get("id") == self.ids:
                if "error" in message:
                    raise SystemExit(f"{method} failed: {message['error']}")
                return message["result"]

    def tool(self, name: str, arguments: dict) -> tuple[float, float, int, dict]:
        """Wall seconds of the round trip, the server's CPU seconds for it, the result's size in bytes, the result."""
        cpu_before = self.cpu_seconds()
        started = time.perf_counter()
        result = self.call("tools/call", {"name": name, "arguments": arguments})
        wall = time.perf_counter() - started
        if result.get("isError"):
            raise SystemExit(f"{name} refused: {result['content'][0]['text'][:500]}")
        size = len(result["content"][0]["text"].encode()) + len(json.dumps(result.get("structuredContent"), ensure_ascii=False).encode())
        return wall, self.cpu_seconds() - cpu_before, size, result

    def cpu_seconds(self) -> float:
        import os

        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss(self) -> int:
        line = next(row for row in Path(f"/proc/{self.process.pid}/status").read_text().splitlines() if row.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait(timeout=30)


def wall(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


SIZES: list[int] = []  # every result's size, checked against the bound at the end
PEAKS: list[int] = []  # the server's peak RSS after each file create


def end_to_end_over_stdio(count: int, runs: int, folder: Path) -> Figure | None:
    """A plan of `count` inline recipients (preview_batch_call) over stdio; wall time of the round trip against the floor's wall time.

    Each run has a new campaign name, so it is a new intent (the same arguments would return the stored plan),
    and new numbers (the floor reads the same ones), so the server has never seen them.
    """
    if count > 1_000:
        return None  # inline tasks are for short lists: long ones are files, measured by file_create_over_stdio

    def tasks_of(numbers: list[str]) -> list[dict]:
        return [{"to_number": n, "dynamic_variables": {"name": f"Person {i}", "order_id": str(5_000_000 + i)}} for i, n in enumerate(numbers)]

    server = StdioServer(folder)
    try:
        arguments = {"name": "warm-up", "agent_id": AGENT, "from_number": FROM, "tasks": tasks_of(raw_numbers(3)), "default_region": REGION, "status": "draft"}
        server.tool("preview_batch_call", arguments)
        walls, cpus, floors, floor_walls = [], [], [], []
        for run in range(runs):
            numbers = raw_numbers(count, start=(run + 1) * count)
            tasks = tasks_of(numbers)
            floor_walls.append(wall(lambda: floors.append(cpu(lambda: floor(numbers)))))  # noqa: B023 (run at once, inside the loop)
            took, cpu_s, size, _ = server.tool("preview_batch_call", arguments | {"name": f"Bench {run}", "tasks": tasks})
            SIZES.append(size)
            walls.append(took)
            cpus.append(cpu_s)
    finally:
        server.close()
    return server_figure(f"preview_batch_call over stdio, {count:,} inline", cpus, floors, walls, floor_walls, f"result {max(SIZES[-runs:]):,} B")


def server_figure(label: str, cpus: list[float], floors: list[float], walls: list[float], floor_walls: list[float], note: str) -> Figure:
    """The server's CPU time for the call (from /proc: 10 ms ticks, so totals over the runs, not medians) against the floor's.

    CPU, like the other figures: the machine is shared, and wall time waits for other people's work.
    The note gives both wall times (median) for the record.
    """
    ratio = sum(cpus) / sum(floors)
    note = f"wall {statistics.median(walls) * 1000:.0f} ms (floor {statistics.median(floor_walls) * 1000:.0f} ms); {note}"
    return Figure(label, sum(cpus) / len(cpus), sum(floors) / len(floors), ratio, note)


class MinimalZudu:
    """The least any Zudu must do with a create: read the body, parse its JSON, answer a batch. In this process, on loopback.

    The create's floor is libphonenumber on the rows; what Zudu itself does is not the server's
    cost. Against this stand-in the figure is the server's own work (plus this stand-in's parse,
    which runs in another process and so is not in the server's CPU time). The embedded sandbox,
    which also plans every call and stores it, is measured beside it for the record.
    """

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        created = self.created = [0]

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in separate writes: no 40 ms delayed-ACK wait per create

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                created[0] += 1
                self.answer(
                    {
                        "batch_call_id": f"batch_call_{created[0]:032x}",
                        "name": body["name"],
                        "status": body.get("status") or "scheduled",
                        "total_task_count": len(body["tasks"]),
                        "from_number": body["from_number"],
                        "agent_id": body["agent_id"],
                    }
                )

            def do_GET(self) -> None:  # noqa: N802
                self.answer({"status": "success", "data": {"agents": [{"agent_id": AGENT, "name": "Bench"}], "phone_numbers": []}})

            def answer(self, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def file_create_over_stdio(count: int, runs: int, folder: Path, *, sandbox: bool = False) -> Figure | None:
    """create_batch_call with recipients_file, unattended (ZUDU_MCP_CONFIRM=off): read, normalise, store, send every part to the sandbox.

    Floor: libphonenumber on the same rows (wall time, in this process). The server's peak RSS is the
    whole process's, read from /proc after the create.
    """
    if count < 100_000:
        return None
    path = folder / f"list-{count}.csv"  # written by from_file
    numbers = [line.split(",", 1)[0] for line in path.read_text().splitlines()[1:]]
    walls, cpus, floors, floor_walls, peaks = [], [], [], [], []
    zudu = None if sandbox else MinimalZudu()
    for run in range(runs):
        target = {} if zudu is None else {"ZUDU_SANDBOX": "0", "ZUDU_BASE_URL": zudu.url, "ZUDU_API_KEY": "sk_bench", "ZUDU_API_SECRET": "bench"}
        server = StdioServer(folder, ZUDU_MCP_CONFIRM="off", **target)
        try:
            server.tool("list_agents", {})  # the sandbox is open
            floor_walls.append(wall(lambda: floors.append(cpu(lambda: floor(numbers)))))
            arguments = {
                "name": f"File {run}",
                "agent_id": AGENT,
                "from_number": FROM,
                "recipients_file": path.name,
                "default_region": REGION,
                "status": "draft",
            }
            took, cpu_s, size, result = server.tool("create_batch_call", arguments)
            SIZES.append(size)
            peaks.append(server.peak_rss())
            PEAKS.append(peaks[-1])
        finally:
            server.close()
        walls.append(took)
        cpus.append(cpu_s)
    if zudu is not None:
        zudu.close()
    note = f"peak RSS {max(peaks) / 1_048_576:.0f} MiB; result {SIZES[-1]:,} B"
    against = "the embedded sandbox" if sandbox else "a minimal Zudu"
    return server_figure(f"create over stdio, {count:,}-row file, {against}", cpus, floors, walls, floor_walls, note)


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
    parser.add_argument("--runs", type=int, default=0, help="runs per figure (default: 15 for 1,000 rows, 3 for 100,000, 1 for 300,000)")
    args = parser.parse_args()
    compile_bytecode()
    floor(raw_numbers(3))  # loads the metadata of the regions used, for both sides
    normalise_all(rows_of(raw_numbers(3)))
    sizes = [1_000, 100_000] + ([300_000] if args.big else [])
    print(
        f"Recipients benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]} on {sys.platform}"
    )
    print(
        "floor = libphonenumber parse + is_valid_number + format_number(E164) on the same rows; CPU time (over stdio: the server "
        "process's CPU for the call, from /proc), wall time in the notes"
    )
    checks: list[tuple[str, bool]] = []
    with tempfile.TemporaryDirectory() as folder:
        for count in sizes:
            runs = args.runs or (15 if count <= 1_000 else 3 if count <= 100_000 else 1)
            print(f"{count:,} rows ({runs} runs):")
            figures = [
                in_memory(count, runs),
                from_file(count, runs, Path(folder)),
                end_to_end_over_stdio(count, runs, Path(folder)),
                file_create_over_stdio(count, runs, Path(folder)),
            ]
            if count == 100_000:
                figures.append(file_create_over_stdio(count, runs, Path(folder), sandbox=True))
            for figure in figures:
                if figure is None:
                    continue
                print(figure, flush=True)
                if figure.label.startswith("preview") or "minimal Zudu" in figure.label:
                    checks.append((f"{figure.label} <= 1.5x", figure.ratio <= 1.5))
                if count == 300_000 and "minimal Zudu" in figure.label:
                    peak = PEAKS[-1] / 1_048_576
                    checks.append((f"peak RSS at 300,000 rows {peak:.0f} MiB <= 150 MiB", peak <= 150))
    checks.append((f"largest tool result {max(SIZES):,} B <= 8 KB", max(SIZES) <= 8 * 1024))
    print("Checks:")
    for label, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {label}")


if __name__ == "__main__":
    main()
