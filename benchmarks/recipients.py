"""Recipients at scale.

1. Server time for a 1,000-recipient create through the in-process MCP client against the
   in-process sandbox (target <= 150 ms median).
2. A 100,000-row CSV file creating 100 batches against `zudu-mcp sandbox` on a loopback port:
   total time and this process's peak RSS (target <= 250 MiB).

Run: uv run python benchmarks/recipients.py
"""

from __future__ import annotations

import asyncio
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from mcp import Client

from zudu_mcp.backend import Backend
from zudu_mcp.config import Settings
from zudu_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET
from zudu_mcp.server import create_server

NOW = datetime(2026, 11, 28, 4, 45, tzinfo=UTC)
BASE = {
    "name": "Benchmark",
    "agent_id": "agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e",
    "from_number": "+918035315547",
    "trigger_timestamp": 1795926600000,
    "timezone": "Asia/Kolkata",
}


def numbers(count: int) -> list[str]:
    return [f"+9196{i:08d}" for i in range(count)]


async def one_thousand(folder: Path, runs: int = 15) -> list[float]:
    # Consent off (an unattended agent) and duplicates allowed: every call really creates a batch.
    backend = Backend(Settings(sandbox=True, mcp_confirm="off", mcp_state_dir=str(folder)), clock=lambda: NOW)
    tasks = [{"to_number": n, "dynamic_variables": {"name": f"Person {i}", "order_id": str(i)}} for i, n in enumerate(numbers(1000))]
    samples = []
    async with Client(create_server(backend=backend)) as client:
        for _ in range(runs + 2):
            started = time.perf_counter()
            result = await client.call_tool("create_batch_call", BASE | {"tasks": tasks, "allow_duplicate": True})
            samples.append((time.perf_counter() - started) * 1000)
            assert not result.is_error, result.content[0].text
    return samples[2:]  # the first calls warm imports and caches


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def hundred_thousand(folder: Path) -> tuple[float, int]:
    path = folder / "big.csv"
    path.write_text("phone,name,order_id\n" + "".join(f"{n},Person {i},{i}\n" for i, n in enumerate(numbers(100_000))))
    port = free_port()
    sandbox = subprocess.Popen([sys.executable, "-m", "zudu_mcp", "sandbox", "--port", str(port)], stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(url + "/batch-call/list?limit=1", headers={"X-API-KEY": "k", "X-API-SECRET": "s"})
                break
            except httpx.ConnectError:
                await asyncio.sleep(0.05)
        settings = Settings(
            api_key=SANDBOX_API_KEY, api_secret=SANDBOX_API_SECRET, base_url=url, mcp_file_roots=str(folder), timeout_seconds=60,
            mcp_confirm="off", mcp_state_dir=str(folder),
        )
        async with Client(create_server(backend=Backend(settings, clock=lambda: NOW))) as client:
            started = time.perf_counter()
            result = await client.call_tool("create_batch_call", BASE | {"recipients_file": "big.csv"})
            elapsed = time.perf_counter() - started
        assert not result.is_error, result.content[0].text
        parts = len(result.structured_content["batch_calls"])
        return elapsed, parts
    finally:
        sandbox.terminate()
        sandbox.wait()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        samples = asyncio.run(one_thousand(Path(folder)))
    print(f"1,000-recipient create, in-process client and sandbox: median {statistics.median(samples):.0f} ms, "
          f"p95 {sorted(samples)[int(len(samples) * 0.95)]:.0f} ms over {len(samples)} calls (target <= 150 ms median)")
    with tempfile.TemporaryDirectory() as folder:
        elapsed, parts = asyncio.run(hundred_thousand(Path(folder)))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"100,000-row CSV -> {parts} batches against the sandbox on a port: {elapsed:.1f} s, peak RSS {peak:.0f} MiB (target <= 250 MiB)")


if __name__ == "__main__":
    main()
