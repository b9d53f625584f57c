"""Start-up cost: spawn -> `tools/list` answered over stdio, beside the reference time server.

Run: uv run python benchmarks/startup.py [--runs 21]
Both servers run on the same SDK in the same virtual environment, interleaved, so the ratio
is what our own code adds. RSS is read from /proc once the tool list has been answered.
Bytecode is compiled first (the machine may set PYTHONDONTWRITEBYTECODE), and one warm-up run
of each writes zudu-mcp's tool-schema cache, as the first start after an install does.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HANDSHAKE = [
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
    },
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(command: list[str]) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")}
    started = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert process.stdin and process.stdout
    process.stdin.write("".join(json.dumps(m) + "\n" for m in HANDSHAKE).encode())
    process.stdin.flush()
    while True:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"{command[0]} exited before answering tools/list")
        if json.loads(line).get("id") == 2:
            break
    elapsed = time.perf_counter() - started
    memory = rss_mib(process.pid)
    process.stdin.close()
    process.wait(timeout=10)
    return elapsed, memory


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--runs", type=int, default=21)
    runs = options.parse_args().runs
    for folder in {Path(p) for p in sys.path if p.endswith("site-packages")} | {Path(__file__).resolve().parent.parent / "zudu_mcp"}:
        compileall.compile_dir(folder, quiet=1)
    print(
        f"Start-up benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    bindir = Path(sys.executable).parent
    reference = shutil.which("mcp-server-time", path=str(bindir))
    if reference is None:
        sys.exit("mcp-server-time is not installed: run `uv sync` (it is a dev dependency)")
    commands = {"zudu-mcp": [str(bindir / "zudu-mcp")], "mcp-server-time": [reference]}
    for command in commands.values():
        measure(command)  # warm the file cache and bytecode
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(measure(command))
    medians = {name: (statistics.median(s[0] for s in values), statistics.median(s[1] for s in values)) for name, values in samples.items()}
    print(f"{'server':18} {'median start -> tools/list':>26} {'RSS':>10}   ({runs} runs each, interleaved)")
    for name, (seconds, memory) in medians.items():
        print(f"{name:18} {seconds * 1000:23.0f} ms {memory:7.1f} MiB")
    (ours_t, ours_m), (ref_t, ref_m) = medians["zudu-mcp"], medians["mcp-server-time"]
    print(f"ratio zudu-mcp / mcp-server-time: time {ours_t / ref_t:.2f}x (target <= 1.05x), RSS {ours_m / ref_m:.2f}x")
    paired = statistics.median(a[0] / b[0] for a, b in zip(samples["zudu-mcp"], samples["mcp-server-time"], strict=True))
    print(f"median of the paired ratios (each run beside the reference run right after it): {paired:.2f}x")


if __name__ == "__main__":
    main()
