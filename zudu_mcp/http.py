"""Streamable HTTP for teams: one stateless server many assistants share, behind a plain load balancer.

Stateless (any worker answers any request: consent tokens and the journal live in the shared
state directory), JSON responses, a bearer token checked before the MCP layer sees a byte,
DNS-rebinding protection with configurable hosts and origins, a request size limit, /healthz.

The connection layer is hardened for hostile clients (issue 11): every connection must send its
headers and its body within a time limit, idle keep-alive connections close, each worker holds at
most a fixed number of connections (the oldest idle one makes room for a new one), and repeated log
lines are rate limited, so a flood of half-open connections neither stops the server answering nor
fills the disk. Accepted sockets get TCP_NODELAY, which uvicorn's multi-worker mode leaves off.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol, RequestResponseCycle

from zudu_mcp.config import Settings

OPTIONS_VARIABLE = "ZUDU_MCP_HTTP_OPTIONS"  # how the CLI hands host and port to each worker process
LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost", "[::1]"]
LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
MCP_PATH = "/mcp"
logger = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class BearerAuth:
    """401 with WWW-Authenticate unless the request carries the configured token; /healthz stays open.

    RFC 6750 §3.1: a request that sent no credentials gets the challenge without an error code;
    `error="invalid_token"` is for a token that was sent and is wrong.
    """

    def __init__(self, app: ASGIApp, token: str):
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != "/healthz":
            given = dict(scope["headers"]).get(b"authorization")
            if given is None or not hmac.compare_digest(given, self.expected):
                if given is None:
                    challenge, description = 'Bearer realm="zudu-mcp"', "No token was sent: send Authorization: Bearer <ZUDU_MCP_AUTH_TOKEN>."
                else:
                    challenge = 'Bearer realm="zudu-mcp", error="invalid_token"'
                    description = "The bearer token is not the one this server expects (ZUDU_MCP_AUTH_TOKEN)."
                response = JSONResponse({"error": "unauthorized", "error_description": description}, status_code=401, headers={"WWW-Authenticate": challenge})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class NoStandaloneStream:
    """`GET /mcp` answers 405 (Allow: POST) instead of opening an event stream that never ends.

    A stateless server has no channel for messages of its own, so it offers no GET stream; the
    specification's answer for that is 405. The SDK's legacy stateless path would hold the GET open
    forever with nothing to send (its modern path already answers 405).
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].rstrip("/") == MCP_PATH:
            response = JSONResponse(
                {"error": "method_not_allowed", "error_description": "This stateless server offers no event stream: send requests with POST."},
                status_code=405,
                headers={"Allow": "POST"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_http_app(settings: Settings, *, host: str, port: int, json_response: bool = True, clock: Callable[[], float] = time.time) -> ASGIApp:
    """The whole HTTP server; `clock` (tests) is the one access-token expiry is checked against."""
    from mcp.server.request_state import RequestStateSecurity
    from mcp.server.transport_security import TransportSecuritySettings

    from zudu_mcp import __version__
    from zudu_mcp.backend import Backend
    from zudu_mcp.organizations import CredentialHeaders
    from zudu_mcp.server import create_server

    options: dict = {"request_state_security": RequestStateSecurity(keys=request_state_keys(settings))}
    if settings.oauth:
        options |= oauth_options(settings, clock)
    server = create_server(backend=Backend(settings, tenancy=tenancy_of(settings)), **options)

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__, "sandbox": settings.sandbox})

    extra_hosts = [h.strip() for h in settings.mcp_allowed_hosts.split(",") if h.strip()]
    extra_origins = [o.strip() for o in settings.mcp_allowed_origins.split(",") if o.strip()]
    hosts = LOOPBACK_HOSTS + [f"{host}:{port}", host] + extra_hosts
    origins = LOOPBACK_ORIGINS + extra_origins
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=json_response,
        max_request_body_size=settings.mcp_max_request_mb * 1_048_576,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins),
        host=host,
    )
    app = CredentialHeaders(NoStandaloneStream(app))
    if settings.oauth:
        return ProtectedResourceMetadata(app, settings)
    token = settings.auth_token()
    return BearerAuth(app, token) if token else app


def oauth_options(settings: Settings, clock: Callable[[], float]) -> dict:
    """The SDK's resource-server wiring: our JWT verifier, its AuthSettings, and the toolset-by-scope middleware."""
    from mcp.server.auth.settings import AuthSettings

    from zudu_mcp.auth import JwtVerifier, ScopedToolset
    from zudu_mcp.server import published_specs, spec_name

    assert settings.mcp_oauth_issuer is not None and settings.mcp_resource_url is not None
    verifier = JwtVerifier(
        issuer=settings.mcp_oauth_issuer,
        audience=settings.mcp_resource_url,
        read_scope=settings.mcp_oauth_read_scope,
        write_scope=settings.mcp_oauth_write_scope,
        static_token=settings.auth_token(),
        clock=clock,
        leeway=settings.mcp_oauth_leeway_seconds,
    )
    auth = AuthSettings(
        issuer_url=settings.mcp_oauth_issuer,  # type: ignore[arg-type]
        resource_server_url=settings.mcp_resource_url,  # type: ignore[arg-type]
        required_scopes=[settings.mcp_oauth_read_scope],
        validate_token_resource=False,  # the verifier checks the audience itself
    )
    write_tools = {spec_name(spec) for spec in published_specs(settings) if not spec.annotations.read_only_hint}
    return {"token_verifier": verifier, "auth": auth, "middleware": [ScopedToolset(write_tools, settings.mcp_oauth_write_scope)]}


class ProtectedResourceMetadata:
    """RFC 9728 metadata at /.well-known/oauth-protected-resource and at its path-suffixed form for /mcp.

    The SDK serves only the suffixed form, and lists only the scopes a token must have; this one
    also answers at the root (what clients that do not suffix ask first) and lists the write scope.
    """

    def __init__(self, app: ASGIApp, settings: Settings):
        from mcp.server.auth.routes import build_resource_metadata_url, create_protected_resource_routes

        self.app = app
        resource = settings.mcp_resource_url
        routes = create_protected_resource_routes(
            resource_url=resource,  # type: ignore[arg-type]
            authorization_servers=[settings.mcp_oauth_issuer],  # type: ignore[list-item]
            scopes_supported=[settings.mcp_oauth_read_scope, settings.mcp_oauth_write_scope],
            resource_name="Zudu voice campaigns (zudu-mcp)",
        )
        self.metadata_app = routes[0].app
        self.paths = {"/.well-known/oauth-protected-resource", urlsplit(str(build_resource_metadata_url(resource))).path}  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") in self.paths:
            await self.metadata_app(scope, receive, send)
            return
        await self.app(scope, receive, send)


def tenancy_of(settings: Settings):
    """Per-organization credentials, when the operator configured a mapping or lets clients send their own."""
    if settings.sandbox or not (settings.mcp_organizations_file or settings.mcp_client_credentials):
        return None
    from zudu_mcp.organizations import Credentials, Tenancy, load_organizations

    operator = Credentials(settings.api_key.get_secret_value(), settings.api_secret.get_secret_value()) if settings.has_credentials else None  # type: ignore[union-attr]
    organizations = load_organizations(settings.mcp_organizations_file) if settings.mcp_organizations_file else None
    return Tenancy(organizations=organizations, claim=settings.mcp_organization_claim, accept_headers=settings.mcp_client_credentials, operator=operator)


def request_state_keys(settings: Settings) -> list[str]:
    """The keys sealing multi-round-trip state (an elicitation's retry may reach another worker or host).

    One key per line; the first seals, every one unseals (rotation: add the new key on top, drop the
    old one after ten minutes). Made on first start in the state directory, which the workers of one
    host share; hosts share it by pointing ZUDU_MCP_REQUEST_STATE_KEY_FILE at the same secret.
    """
    import secrets

    path = settings.request_state_key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.{os.getpid()}")
        scratch.write_text(secrets.token_hex(32) + "\n")
        os.chmod(scratch, 0o600)
        try:
            os.link(scratch, path)  # atomic: two workers starting together end up with one key
        except FileExistsError:
            pass
        finally:
            scratch.unlink(missing_ok=True)
    where = f"ZUDU_MCP_REQUEST_STATE_KEY_FILE {path}"
    try:
        keys = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    except OSError as exc:
        raise ValueError(f"{where} cannot be read ({exc.strerror})") from None
    if not keys or any(len(key) < 32 for key in keys):
        raise ValueError(f"{where} must hold one key per line, each at least 32 characters (e.g. the output of openssl rand -hex 32)")
    return keys


def check_team(settings: Settings) -> str | None:
    """What stops a team server from starting (said once by the CLI, not by every worker), or None."""
    try:
        if settings.oauth and not settings.mcp_resource_url:
            return (
                "ZUDU_MCP_OAUTH_ISSUER is set but ZUDU_MCP_RESOURCE_URL is not: set it to this server's public URL of the endpoint, "
                "e.g. https://mcp.example.com/mcp (tokens must be issued for it)."
            )
        if settings.mcp_resource_url and not settings.oauth:
            return "ZUDU_MCP_RESOURCE_URL is set but ZUDU_MCP_OAUTH_ISSUER is not: set the authorization server's issuer URL too."
        tenancy_of(settings)
        request_state_keys(settings)
    except ValueError as exc:
        return str(exc)
    return None


def app_from_environment() -> ASGIApp:
    """The uvicorn factory each worker process calls."""
    options = json.loads(os.environ[OPTIONS_VARIABLE])
    settings = Settings(**options.pop("settings"))
    limit_log_rate(settings.log_level)
    return create_http_app(settings, **options)


def check_exposure(settings: Settings, host: str, insecure_no_auth: bool) -> str | None:
    """Why the server must not start as asked, or None."""
    if is_loopback(host) or insecure_no_auth or settings.auth_token() or settings.oauth:
        return None
    return (
        f"Refusing to serve on {host} without authentication: anyone who can reach it could place calls. "
        "Set ZUDU_MCP_AUTH_TOKEN (or ZUDU_MCP_AUTH_TOKEN_FILE), or pass --insecure-no-auth if a proxy in front authenticates."
    )


# --- the connection layer -------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float
    body_timeout: float
    max_connections: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        return cls(settings.mcp_http_header_timeout_seconds, settings.mcp_http_body_timeout_seconds, usable_connections(settings.mcp_http_max_connections))


def usable_connections(configured: int) -> int:
    """The connection limit, kept below this process's file-descriptor limit.

    Past that limit accept() fails with EMFILE, and asyncio then logs a traceback for every pending
    connection while the server answers no one: keep a margin for the journal, Zudu and the rest.
    """
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):  # Windows has no such limit to respect
        return configured
    if soft == resource.RLIM_INFINITY:
        return configured
    return max(16, min(configured, soft - 200))


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with TCP_NODELAY, request deadlines and a connection limit.

    A connection is "waiting" from the moment it opens (or its last response ends) until a request's
    headers are complete: it must get there within the header timeout, and then deliver the body
    within the body timeout. Idle keep-alive connections close after uvicorn's keep-alive timeout
    (ZUDU_MCP_HTTP_IDLE_TIMEOUT_SECONDS). When the worker holds its maximum of connections, the
    oldest waiting one is closed to make room: a flood of half-open connections cannot lock out a
    real client.
    """

    waiting: dict[GuardedH11Protocol, None] = {}  # this process's connections without a request, oldest first

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.deadline: asyncio.TimerHandle | None = None
        self.seen_cycle: RequestResponseCycle | None = None
        self.limits: ConnectionLimits = self.config.limits  # type: ignore[attr-defined]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # uvicorn issue #3149: sockets a worker inherits are not recognised as TCP by asyncio,
            # so Nagle's algorithm stays on and every small response waits ~40 ms for an ACK
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if len(self.connections) > self.limits.max_connections and not self.make_room():
            logger.warning("HTTP connection limit (%d per worker) reached with every connection busy; refusing a new one", self.limits.max_connections)
            transport.close()
            return
        self.wait_for_request()

    def make_room(self) -> bool:
        for oldest in list(self.waiting):
            if oldest.transport.is_closing():  # already on its way out
                self.waiting.pop(oldest, None)
                continue
            oldest.give_up("was the oldest waiting one when the connection limit was reached")
            return True
        return False

    def wait_for_request(self) -> None:
        self.waiting[self] = None
        self.arm(self.limits.header_timeout, "sent no complete request headers in time")

    def arm(self, seconds: float, why: str) -> None:
        self.disarm()
        self.deadline = self.loop.call_later(seconds, self.give_up, why)

    def disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def give_up(self, why: str) -> None:
        self.waiting.pop(self, None)
        self.disarm()
        if not self.transport.is_closing():
            logger.info("Closed an HTTP connection from %s: it %s", self.client[0] if self.client else "?", why)
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        cycle = self.cycle
        if cycle is None or self.transport.is_closing():
            return
        if cycle is not self.seen_cycle:  # a new request's headers are in
            self.seen_cycle = cycle
            self.waiting.pop(self, None)
            if cycle.more_body:
                self.arm(self.limits.body_timeout, "sent no complete request body in time")
            else:
                self.disarm()
        elif not cycle.more_body:
            self.disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self.wait_for_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self.waiting.pop(self, None)
        if hasattr(self, "deadline"):
            self.disarm()
        super().connection_lost(exc)


class RateLimitedLog(logging.Filter):
    """At most `burst` records of one kind (logger and message template) per `window` seconds.

    The next record of that kind after the window says how many were left out. A flood of bad
    connections then costs a few lines, not megabytes.
    """

    def __init__(self, burst: int = 5, window: float = 10.0, clock=time.monotonic):
        super().__init__()
        self.burst, self.window, self.clock = burst, window, clock
        self.kinds: dict[tuple[str, str], list[float | int]] = {}  # kind -> [window start, passed, suppressed]

    def filter(self, record: logging.LogRecord) -> bool:
        now = self.clock()
        kind = (record.name, str(record.msg))
        state = self.kinds.get(kind)
        if state is None or now - state[0] >= self.window:
            suppressed = int(state[2]) if state else 0
            if len(self.kinds) > 1000:
                self.kinds.clear()  # bounded memory whatever the variety of messages
            self.kinds[kind] = [now, 1, 0]
            if suppressed:
                record.msg = f"{record.msg} ({suppressed} more like this in the last {self.window:g} s were not logged)"
            return True
        if state[1] < self.burst:
            state[1] += 1
            return True
        state[2] += 1
        return False


def limit_log_rate(level: str) -> None:
    """Rate-limits the handlers that server and connection messages go through, in this process.

    Each worker calls it. The access log (uvicorn.access, at INFO) is left whole: it is asked for.
    """
    log_filter = RateLimitedLog()
    root = logging.getLogger()
    if not root.handlers:  # a spawned worker: without a handler Python's last-resort one would bypass the filter
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    for name in ("", "uvicorn", "uvicorn.error", "asyncio"):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RateLimitedLog) for f in handler.filters):
                handler.addFilter(log_filter)


@dataclass(frozen=True)
class Announcement:
    """The "listening" line, written once by the first worker whose socket accepts connections.

    uvicorn calls it (as `callback_notify`) from each worker's main loop, which starts only after
    the worker listens; the first worker to create `marker` writes the line, the others stay quiet.
    """

    marker: str
    line: str

    async def __call__(self) -> None:
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
        sys.stderr.write(self.line + "\n")
        sys.stderr.flush()


def serve(settings: Settings, overrides: dict, *, host: str, port: int, workers: int, json_response: bool) -> None:
    """Runs uvicorn with the guarded protocol, in one process or `workers` processes on one socket."""
    import tempfile

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    os.environ[OPTIONS_VARIABLE] = json.dumps({"settings": overrides, "host": host, "port": port, "json_response": json_response})
    shown = f"[{host}]" if ":" in host else host
    with tempfile.TemporaryDirectory(prefix="zudu-mcp-http-") as scratch:
        config = uvicorn.Config(
            "zudu_mcp.http:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            http=GuardedH11Protocol,
            log_level=settings.log_level.lower(),
            # uvicorn annotates this as int, but only hands it to loop.call_later: fractional seconds work
            timeout_keep_alive=settings.mcp_http_idle_timeout_seconds,  # type: ignore[arg-type]
            timeout_graceful_shutdown=10,
            callback_notify=Announcement(
                os.path.join(scratch, "listening"),
                f"zudu-mcp: listening on http://{shown}:{port}{MCP_PATH} (streamable HTTP, {workers} worker(s)); /healthz for probes",
            ),
        )
        config.limits = ConnectionLimits.from_settings(settings)  # type: ignore[attr-defined]  # read by GuardedH11Protocol, in every worker
        server = uvicorn.Server(config)
        try:
            if workers > 1:
                Multiprocess(config, sockets=[config.bind_socket()]).run()
            else:
                server.run()
        except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled, after shutting down cleanly
            pass
        if workers == 1 and not server.started:
            sys.exit(3)  # uvicorn's own exit code for a start-up failure (it has logged why)
