"""Load over streamable HTTP: 50 concurrent clients x 20 calls (resolve, preview, get) on loopback.

Run: uv run python benchmarks/load_http.py [--clients 50] [--calls 20] [--workers 2]
The HTTP server runs with 2 worker processes against `zudu-mcp sandbox` on its own port (one
emulator, so every worker sees the same batches). Prints errors and p50/p99 latency per call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import httpx
from mcp import Client

from zudu_mcp.demo import SEED_REQUEST, seed_request_for_tomorrow
from zudu_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, headers: dict | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url, headers=headers, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def one_client(url: str, calls: int, batch_id: str, preview_args: dict, latencies: list[float], errors: list[str]) -> None:
    async with Client(url, mode="legacy") as client:
        for i in range(calls):
            name, args = [
                ("resolve_schedule", {"text": "tomorrow at 10am", "timezone": "Asia/Kolkata"}),
                ("preview_batch_call", preview_args),
                ("get_batch_call", {"batch_call_id": batch_id}),
            ][i % 3]
            started = time.perf_counter()
            try:
                result = await client.call_tool(name, args)
                if result.is_error:
                    errors.append(f"{name}: {result.content[0].text[:120]}")
            except Exception as exc:  # counted, not raised: the run reports every failure
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
            latencies.append((time.perf_counter() - started) * 1000)


async def run(clients: int, calls: int, url: str, batch_id: str) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    preview_args = {k: v for k, v in SEED_REQUEST.items() if k != "trigger_timestamp"} | {"schedule": "tomorrow at 10am"}
    started = time.perf_counter()
    await asyncio.gather(*(one_client(url, calls, batch_id, preview_args, latencies, errors) for _ in range(clients)))
    return latencies, errors, time.perf_counter() - started


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--clients", type=int, default=50)
    options.add_argument("--calls", type=int, default=20)
    options.add_argument("--workers", type=int, default=2)
    args = options.parse_args()
    sandbox_port, http_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")}
    with tempfile.TemporaryDirectory() as state:
        env |= {"ZUDU_BASE_URL": f"http://127.0.0.1:{sandbox_port}", "ZUDU_API_KEY": SANDBOX_API_KEY,
                "ZUDU_API_SECRET": SANDBOX_API_SECRET, "ZUDU_MCP_STATE_DIR": state}
        sandbox = subprocess.Popen([sys.executable, "-m", "zudu_mcp", "sandbox", "--port", str(sandbox_port)], env=env, stderr=subprocess.DEVNULL)
        server = subprocess.Popen(
            [sys.executable, "-m", "zudu_mcp", "serve", "--transport", "http", "--port", str(http_port), "--workers", str(args.workers)],
            env=env, stderr=subprocess.DEVNULL,
        )
        try:
            auth = {"X-API-KEY": SANDBOX_API_KEY, "X-API-SECRET": SANDBOX_API_SECRET}
            wait_for(f"http://127.0.0.1:{sandbox_port}/batch-call/list?limit=1", auth)
            wait_for(f"http://127.0.0.1:{http_port}/healthz")
            from datetime import UTC, datetime

            created = httpx.post(f"http://127.0.0.1:{sandbox_port}/batch-call", json=seed_request_for_tomorrow(datetime.now(UTC)), headers=auth).json()
            latencies, errors, elapsed = asyncio.run(run(args.clients, args.calls, f"http://127.0.0.1:{http_port}/mcp", created["batch_call_id"]))
        finally:
            server.terminate()
            sandbox.terminate()
            server.wait()
            sandbox.wait()
    ordered = sorted(latencies)
    print(f"{args.clients} clients x {args.calls} calls over HTTP, {args.workers} workers: {len(latencies)} calls in {elapsed:.1f} s, "
          f"{len(errors)} errors; p50 {statistics.median(ordered):.0f} ms, p99 {ordered[int(len(ordered) * 0.99) - 1]:.0f} ms")
    for error in errors[:5]:
        print("  error:", error)


if __name__ == "__main__":
    main()
