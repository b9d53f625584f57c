"""Streamable HTTP on loopback: one client alone with 1 and with 2 workers, then 50 concurrent clients.

Run: uv run python benchmarks/load_http.py [--clients 50] [--calls 20] [--workers 2] [--single-calls 60]

Every server runs against `zudu-mcp sandbox` on its own port (one emulator, so every worker sees
the same batches). Each client makes the same calls in turn: resolve_schedule, preview_batch_call,
get_batch_call.

1. Single client: one client, one call after another, alternating between a 1-worker and a
   2-worker server started side by side (so both see the same machine load). One worker is the floor; with 2 workers the median must stay within 10% of it (issue 15: without
   TCP_NODELAY on the sockets a multi-worker uvicorn hands its workers, every call waited ~40 ms
   for Nagle's algorithm).
2. Concurrent load: `--clients` clients x `--calls` calls against `--workers` workers; errors and
   p50/p99 latency per call.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
from mcp import Client

from zudu_mcp.demo import SEED_REQUEST, seed_request_for_tomorrow
from zudu_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET

PREVIEW_ARGS = {k: v for k, v in SEED_REQUEST.items() if k != "trigger_timestamp"} | {"schedule": "tomorrow at 10am"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, headers: dict | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(url, headers=headers, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextlib.contextmanager
def mcp_server(env: dict[str, str], workers: int) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "zudu_mcp", "serve", "--transport", "http", "--port", str(port), "--workers", str(workers)],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", process)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        stop(process)


def call_for(i: int, batch_id: str) -> tuple[str, dict]:
    return [
        ("resolve_schedule", {"text": "tomorrow at 10am", "timezone": "Asia/Kolkata"}),
        ("preview_batch_call", PREVIEW_ARGS),
        ("get_batch_call", {"batch_call_id": batch_id}),
    ][i % 3]


async def one_client(url: Any, calls: int, batch_id: str, latencies: list[float], errors: list[str]) -> None:
    """`url`: what Client takes (a URL, or a transport with its own HTTP client, as the OAuth run's)."""
    async with Client(url, mode="legacy") as client:
        for i in range(calls):
            name, args = call_for(i, batch_id)
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
    started = time.perf_counter()
    await asyncio.gather(*(one_client(url, calls, batch_id, latencies, errors) for _ in range(clients)))
    return latencies, errors, time.perf_counter() - started


async def alternate(one_url: str, two_url: str, calls: int, batch_id: str) -> tuple[list[float], list[float], int]:
    """The same client's calls, alternating between the two servers so both see the same machine load."""
    latencies: dict[str, list[float]] = {one_url: [], two_url: []}
    errors = 0
    async with Client(one_url, mode="legacy") as one, Client(two_url, mode="legacy") as two:
        for i in range(6 + calls):  # the first 6 of each warm the workers' imports and caches
            name, args = call_for(i, batch_id)
            for url, client in ((one_url, one), (two_url, two)):
                started = time.perf_counter()
                result = await client.call_tool(name, args)
                elapsed = (time.perf_counter() - started) * 1000
                errors += bool(result.is_error)
                if i >= 6:
                    latencies[url].append(elapsed)
    return latencies[one_url], latencies[two_url], errors


def single_client(env: dict[str, str], calls: int, batch_id: str) -> tuple[float, float, int]:
    """Median latency of one client's calls against 1 worker and against 2 workers, and the errors."""
    with mcp_server(env, 1) as one_url, mcp_server(env, 2) as two_url:
        one, two, errors = asyncio.run(alternate(one_url, two_url, calls, batch_id))
    return statistics.median(one), statistics.median(two), errors


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--clients", type=int, default=50)
    options.add_argument("--calls", type=int, default=20)
    options.add_argument("--workers", type=int, default=2)
    options.add_argument("--single-calls", type=int, default=60)
    args = options.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/zudu_mcp"], check=False)
    sandbox_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_") and k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as state:
        env |= {
            "ZUDU_BASE_URL": f"http://127.0.0.1:{sandbox_port}",
            "ZUDU_API_KEY": SANDBOX_API_KEY,
            "ZUDU_API_SECRET": SANDBOX_API_SECRET,
            "ZUDU_MCP_STATE_DIR": state,
            "ZUDU_MCP_CONFIRM": "off",
        }
        sandbox = subprocess.Popen([sys.executable, "-m", "zudu_mcp", "sandbox", "--port", str(sandbox_port)], env=env, stderr=subprocess.DEVNULL)
        try:
            auth = {"X-API-KEY": SANDBOX_API_KEY, "X-API-SECRET": SANDBOX_API_SECRET}
            wait_for(f"http://127.0.0.1:{sandbox_port}/batch-call/list?limit=1", sandbox, auth)
            created = httpx.post(f"http://127.0.0.1:{sandbox_port}/batch-call", json=seed_request_for_tomorrow(datetime.now(UTC)), headers=auth).json()
            batch_id = created["batch_call_id"]
            one_worker, two_workers, single_errors = single_client(env, args.single_calls, batch_id)
            with mcp_server(env, args.workers) as url:
                latencies, errors, elapsed = asyncio.run(run(args.clients, args.calls, url, batch_id))
        finally:
            stop(sandbox)
    ratio = two_workers / one_worker
    print(
        f"single client, {args.single_calls} calls one after another: 1 worker p50 {one_worker:.1f} ms (the floor), "
        f"2 workers p50 {two_workers:.1f} ms = {ratio:.2f}x ({'within' if ratio <= 1.10 else 'NOT within'} 10%); "
        f"{single_errors} errors"
    )
    ordered = sorted(latencies)
    print(
        f"{args.clients} clients x {args.calls} calls over HTTP, {args.workers} workers: {len(latencies)} calls in {elapsed:.1f} s, "
        f"{len(errors)} errors; p50 {statistics.median(ordered):.0f} ms, p99 {ordered[int(len(ordered) * 0.99) - 1]:.0f} ms"
    )
    for error in errors[:5]:
        print("  error:", error)


if __name__ == "__main__":
    main()
