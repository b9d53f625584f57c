"""The real OpenID provider (tests/oidc/provider.mjs, npm's oidc-provider) and an in-process HTTP server for the OAuth tests.

The provider is a subprocess on loopback whose output goes to a file; it is stopped in the
fixture's `finally`. The MCP server runs in a thread under uvicorn on a real loopback port, so
requests travel over HTTP while the test still holds the clock that access-token expiry is checked
against (no waiting for a token to expire).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / ".ci" / "oidc" / "node_modules"
SCRIPT = Path(__file__).with_name("provider.mjs")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def node() -> str | None:
    bundled = ROOT / ".ci" / "node" / "node_modules" / ".bin" / "node"  # node 22 from .ci/install-clients, when there
    if bundled.exists():
        return str(bundled)
    from shutil import which

    return which("node")


def unavailable() -> str | None:
    marker = ROOT / ".ci" / "oidc" / "UNAVAILABLE"
    if marker.exists():
        return marker.read_text().strip()
    if not (MODULES / "oidc-provider").exists():
        return "oidc-provider is not installed: run bash .ci/install-oidc"
    if node() is None:
        return "node is not installed"
    return None


class Provider:
    def __init__(self, process: subprocess.Popen, issuer: str):
        self.process, self.issuer = process, issuer

    def token(self, client: str = "org-a", scope: str = "zudu:read zudu:write", resource: str = "") -> str:
        response = httpx.post(
            f"{self.issuer}/token",
            timeout=30,
            data={
                "grant_type": "client_credentials",
                "client_id": client,
                "client_secret": f"secret-{client[-1]}",
                "scope": scope,
                "resource": resource,
            },
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def rotate(self) -> str:
        """A new signing key; the old one stays published. Returns the new key id."""
        return httpx.post(f"{self.issuer}/_rotate", timeout=30).json()["kid"]


@contextlib.contextmanager
def running_provider() -> Iterator[Provider]:
    reason = unavailable()
    if reason:
        pytest.skip(f"no OpenID provider to test against: {reason}")
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="oidc-", suffix=".log", delete=False)
    process = subprocess.Popen([node(), str(SCRIPT), str(MODULES), str(port)], stdout=log, stderr=log, stdin=subprocess.DEVNULL)  # type: ignore[list-item]
    log.close()
    try:
        deadline = time.monotonic() + 60
        while "ready " not in Path(log.name).read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the OpenID provider did not start: {Path(log.name).read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        yield Provider(process, f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        os.unlink(log.name)


class Clock:
    """Seconds since the epoch, moved by hand: the wall clock plus an offset the test sets."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.at: float | None = None  # a fixed instant instead, so a check near a boundary does not race the wall clock

    def __call__(self) -> float:
        return self.at if self.at is not None else time.time() + self.offset


@contextlib.contextmanager
def serving(settings_for, clock: Clock | None = None) -> Iterator[str]:
    """Runs create_http_app(settings_for(url)) under uvicorn in a thread on a free loopback port; yields http://127.0.0.1:PORT."""
    import uvicorn

    from zudu_mcp.http import create_http_app

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_http_app(settings_for(url), host="127.0.0.1", port=port, clock=clock or time.time)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the in-process HTTP server did not start")
            time.sleep(0.02)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)
