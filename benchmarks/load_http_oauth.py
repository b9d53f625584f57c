"""A team server under load with OAuth on: two instances of two workers sharing PostgreSQL.

Run: uv run python benchmarks/load_http_oauth.py [--clients 200] [--calls 20] [--workers 2]
(needs PostgreSQL's binaries, as .ci/start-postgres uses them, or ZUDU_TEST_POSTGRES_URL; and the
OpenID provider from bash .ci/install-oidc; it says so and exits 0 when either is missing)

Set-up, all on loopback: npm's oidc-provider issues the access tokens (client credentials, one per
client, half for each of two organizations); `zudu-mcp sandbox` plays Zudu; two instances ("hosts"
host-a and host-b, each `--workers 2`) share one PostgreSQL journal, one public resource URL (the
tokens' audience) and one request-state key. Half the clients talk to each instance. Each client
makes `--calls` calls in turn: resolve_schedule, preview_batch_call (a journal write), get_batch_call.

The floor, in the same run against the same servers: the same load with the static bearer token,
which skips the JWT check. Printed: errors (must be 0), p50/p99 per call for both, and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import httpx2
from mcp.client.streamable_http import streamable_http_client

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load_http import free_port, stop, wait_for  # noqa: E402
from benchmarks.load_http import one_client as plain_client  # noqa: E402
from tests.oidc.harness import MODULES, SCRIPT, node, unavailable  # noqa: E402
from zudu_mcp.demo import seed_request_for_tomorrow  # noqa: E402
from zudu_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET  # noqa: E402

STATIC_TOKEN = "benchmark-static-token-0123456789abcdef"
RESOURCE = "http://localhost:8443/mcp"  # the one public URL both instances stand behind: the tokens' audience


def postgres() -> tuple[str | None, str | None, str]:
    """(URL, data folder to stop, why not)."""
    if os.environ.get("ZUDU_TEST_POSTGRES_URL"):
        return os.environ["ZUDU_TEST_POSTGRES_URL"], None, ""
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return None, None, "PostgreSQL is not installed (bash .ci/start-postgres installs it) and ZUDU_TEST_POSTGRES_URL is not set"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return None, None, "psycopg is not installed: uv sync (the dev group has it)"
    data = tempfile.mkdtemp(prefix="zudu-pg-bench.")
    done = subprocess.run(["bash", str(ROOT / ".ci" / "start-postgres")], env=os.environ | {"ZUDU_TEST_POSTGRES_DATA": data}, capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        return None, None, f".ci/start-postgres failed: {done.stderr.strip()[-300:]}"
    return done.stdout.strip(), data, ""


def start_provider(log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen([node(), str(SCRIPT), str(MODULES), str(port)], stdout=out, stderr=out, stdin=subprocess.DEVNULL)  # type: ignore[list-item]
    deadline = time.monotonic() + 60
    while "ready " not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"the OpenID provider did not start: {log.read_text()[-1000:]}")
        time.sleep(0.1)
    return process, f"http://127.0.0.1:{port}"


def start_instance(env: dict[str, str], workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "zudu_mcp", "serve", "--transport", "http", "--port", str(port), "--workers", str(workers)],
        env=env,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    wait_for(f"http://127.0.0.1:{port}/healthz", process)
    return process, f"http://127.0.0.1:{port}/mcp"


async def one_client(url: str, token: str, calls: int, batch_id: str, latencies: list[float], errors: list[str]) -> None:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=120)
    try:
        await plain_client(streamable_http_client(url, http_client=http), calls, batch_id, latencies, errors)
    except Exception as exc:
        errors.append(f"session: {type(exc).__name__}: {exc}")
    finally:
        await http.aclose()


async def load(urls: list[str], tokens: list[str], calls: int, batch_id: str) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    await asyncio.gather(*(one_client(urls[i % len(urls)], token, calls, batch_id, latencies, errors) for i, token in enumerate(tokens)))
    return latencies, errors, time.perf_counter() - started


def describe(label: str, latencies: list[float], errors: list[str], elapsed: float) -> tuple[float, float]:
    ordered = sorted(latencies)
    p50, p99 = statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.99) - 1)]
    print(f"{label}: {len(latencies)} calls in {elapsed:.1f} s, {len(errors)} errors; p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    for error in errors[:5]:
        print("  error:", error)
    return p50, p99


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--clients", type=int, default=200)
    options.add_argument("--calls", type=int, default=20)
    options.add_argument("--workers", type=int, default=2)
    args = options.parse_args()
    why = unavailable()
    if why:
        print(f"skipped: no OpenID provider ({why})")
        return 0
    url, data, why = postgres()
    if url is None:
        print(f"skipped: no PostgreSQL ({why})")
        return 0
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "zudu_mcp")], check=False)
    processes: list[subprocess.Popen] = []
    try:
        with tempfile.TemporaryDirectory() as scratch:
            provider, issuer = start_provider(Path(scratch) / "oidc.log")
            processes.append(provider)
            sandbox_port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_") and k != "PYTHONDONTWRITEBYTECODE"}
            processes.append(subprocess.Popen([sys.executable, "-m", "zudu_mcp", "sandbox", "--port", str(sandbox_port)], env=env, stderr=subprocess.DEVNULL))
            auth = {"X-API-KEY": SANDBOX_API_KEY, "X-API-SECRET": SANDBOX_API_SECRET}
            wait_for(f"http://127.0.0.1:{sandbox_port}/batch-call/list?limit=1", processes[-1], auth)
            batch_id = httpx.post(f"http://127.0.0.1:{sandbox_port}/batch-call", json=seed_request_for_tomorrow(datetime.now(UTC)), headers=auth).json()[
                "batch_call_id"
            ]
            key_file = Path(scratch) / "request-state.key"
            key_file.write_text(os.urandom(32).hex() + "\n")
            env |= {
                "ZUDU_BASE_URL": f"http://127.0.0.1:{sandbox_port}",
                "ZUDU_API_KEY": SANDBOX_API_KEY,
                "ZUDU_API_SECRET": SANDBOX_API_SECRET,
                "ZUDU_MCP_CONFIRM": "off",
                "ZUDU_MCP_JOURNAL_URL": url,
                "ZUDU_MCP_OAUTH_ISSUER": issuer,
                "ZUDU_MCP_RESOURCE_URL": RESOURCE,
                "ZUDU_MCP_AUTH_TOKEN": STATIC_TOKEN,
                "ZUDU_MCP_REQUEST_STATE_KEY_FILE": str(key_file),
            }
            urls = []
            for host in ("host-a", "host-b"):
                process, mcp_url = start_instance(env | {"ZUDU_MCP_HOST_ID": host, "ZUDU_MCP_STATE_DIR": str(Path(scratch) / host)}, args.workers)
                processes.append(process)
                urls.append(mcp_url)
            with httpx.Client(timeout=30) as http:
                tokens = [
                    http.post(
                        f"{issuer}/token",
                        data={
                            "grant_type": "client_credentials",
                            "client_id": client,
                            "client_secret": f"secret-{client[-1]}",
                            "scope": "zudu:read zudu:write",
                            "resource": RESOURCE,
                        },
                    ).json()["access_token"]
                    for client in (["org-a", "org-b"] * args.clients)[: args.clients]
                ]
            asyncio.run(load(urls, tokens[:4], 3, batch_id))  # warm every worker's imports and the issuer's keys
            floor = asyncio.run(load(urls, [STATIC_TOKEN] * args.clients, args.calls, batch_id))
            measured = asyncio.run(load(urls, tokens, args.calls, batch_id))
    finally:
        for process in reversed(processes):
            stop(process)
        if data:
            subprocess.run(["bash", str(ROOT / ".ci" / "start-postgres"), "--stop", data], check=False)
    shape = f"{args.clients} clients x {args.calls} calls, 2 instances x {args.workers} workers, shared PostgreSQL"
    floor_p50, floor_p99 = describe(f"{shape}, static token (the floor)", *floor)
    p50, p99 = describe(f"{shape}, OAuth JWT access tokens", *measured)
    print(f"OAuth costs p50 {p50 / floor_p50:.2f}x, p99 {p99 / floor_p99:.2f}x the floor; {len(measured[1])} errors")
    return 1 if measured[1] or floor[1] else 0


if __name__ == "__main__":
    sys.exit(main())
