"""Streamable HTTP for teams: one stateless server many assistants share, behind a plain load balancer.

Stateless (any worker answers any request: consent tokens and the journal live in the shared
state directory), JSON responses, a bearer token checked before the MCP layer sees a byte,
DNS-rebinding protection with configurable hosts and origins, a request size limit, /healthz.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from zudu_mcp import __version__
from zudu_mcp.config import Settings

OPTIONS_VARIABLE = "ZUDU_MCP_HTTP_OPTIONS"  # how the CLI hands host and port to each worker process
LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost", "[::1]"]
LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class BearerAuth:
    """401 with WWW-Authenticate unless the request carries the configured token; /healthz stays open."""

    def __init__(self, app: ASGIApp, token: str):
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != "/healthz":
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                response = JSONResponse(
                    {"error": "unauthorized", "error_description": "Send Authorization: Bearer <ZUDU_MCP_AUTH_TOKEN>."},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="zudu-mcp", error="invalid_token"'},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_http_app(settings: Settings, *, host: str, port: int, json_response: bool = True) -> ASGIApp:
    from mcp.server.transport_security import TransportSecuritySettings

    from zudu_mcp.server import create_server

    server = create_server(settings)

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__, "sandbox": settings.sandbox})

    extra_hosts = [h.strip() for h in settings.mcp_allowed_hosts.split(",") if h.strip()]
    extra_origins = [o.strip() for o in settings.mcp_allowed_origins.split(",") if o.strip()]
    hosts = LOOPBACK_HOSTS + [f"{host}:{port}", host] + extra_hosts
    origins = LOOPBACK_ORIGINS + extra_origins
    app = server.streamable_http_app(
        stateless_http=True,
        json_response=json_response,
        max_request_body_size=settings.mcp_max_request_mb * 1_048_576,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins),
        host=host,
    )
    token = settings.auth_token()
    return BearerAuth(app, token) if token else app


def app_from_environment() -> ASGIApp:
    """The uvicorn factory each worker process calls."""
    options = json.loads(os.environ[OPTIONS_VARIABLE])
    settings = Settings(**options.pop("settings"))
    return create_http_app(settings, **options)


def check_exposure(settings: Settings, host: str, insecure_no_auth: bool) -> str | None:
    """Why the server must not start as asked, or None."""
    if is_loopback(host) or insecure_no_auth or settings.auth_token():
        return None
    return (
        f"Refusing to serve on {host} without authentication: anyone who can reach it could place calls. "
        "Set ZUDU_MCP_AUTH_TOKEN (or ZUDU_MCP_AUTH_TOKEN_FILE), or pass --insecure-no-auth if a proxy in front authenticates."
    )
