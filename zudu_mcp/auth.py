"""OAuth 2.1 for the HTTP server: a resource server as the MCP authorization specification asks.

Clients find the authorization server through this server's protected-resource metadata (RFC 9728,
served at /.well-known/oauth-protected-resource and its /mcp-suffixed form, and named in every 401's
`WWW-Authenticate`), get an access token for this server's resource URL, and send it as a bearer
token. Each token is a JWT checked here: signature by a key from the issuer's JWKS (found through
the issuer's metadata), issuer, audience (ZUDU_MCP_RESOURCE_URL), expiry, and scopes. The read
scope lets a token in; the write scope is needed for the tools that dial, change or delete
(`ScopedToolset`), so a token with only `zudu:read` sees and runs only the read-only toolset.

Keys rotate: a token signed with a key id not yet seen makes the server fetch the JWKS again, at
most once per cooldown when such a look-up finds nothing (a stream of made-up key ids costs one
request to the issuer per cooldown, not one per token), and keys older than an hour are refreshed
so a withdrawn key stops working. The static bearer token (ZUDU_MCP_AUTH_TOKEN) is still accepted
alongside, with every scope: it is the operator's own key.

PyJWT is imported on first use: a stdio server never pays for it.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
from mcp.server.auth.provider import AccessToken

logger = logging.getLogger(__name__)

ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
STATIC_CLIENT = "static-token"  # the client id a request with ZUDU_MCP_AUTH_TOKEN is known by
MISS_COOLDOWN_SECONDS = 10.0
KEYS_MAX_AGE_SECONDS = 3600.0


class IssuerKeys:
    """The issuer's signing keys by key id, fetched from the `jwks_uri` its metadata names.

    One fetch at a time (concurrent requests for an unknown key share it). A key id that is not in
    the set triggers a refetch, unless one such refetch already came back without a new key within
    the cooldown: rotation is handled at once, guessing costs the issuer at most one request per cooldown.
    """

    def __init__(
        self,
        issuer: str,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
        miss_cooldown: float = MISS_COOLDOWN_SECONDS,
        max_age: float = KEYS_MAX_AGE_SECONDS,
    ):
        self.issuer = issuer
        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(10.0), follow_redirects=False)
        self.clock = clock
        self.miss_cooldown = miss_cooldown
        self.max_age = max_age
        self.keys: dict[str | None, Any] = {}
        self.declared: dict[str | None, str] = {}  # key id -> the algorithm the issuer published it for
        self.jwks_uri: str | None = None
        self.fetched_at: float | None = None
        self.missed_at: float | None = None
        self.fetches = 0  # for tests and the log: how often the issuer was asked
        self.lock = asyncio.Lock()  # one fetch at a time; the others wait for its keys

    async def key(self, kid: str | None) -> Any | None:
        if self.fresh() and (found := self.find(kid)) is not None:
            return found
        async with self.lock:
            if self.fresh() and (found := self.find(kid)) is not None:
                return found  # another request fetched it meanwhile
            if not self.cooling():
                if not await self.refresh() or self.find(kid) is None:
                    self.missed_at = self.clock()
            return self.find(kid)  # while cooling down: what is known, even if old

    def fresh(self) -> bool:
        return self.fetched_at is not None and self.clock() - self.fetched_at <= self.max_age

    def cooling(self) -> bool:
        """A look-up failed or found no such key moments ago: the issuer is not asked again yet."""
        return self.missed_at is not None and self.clock() - self.missed_at < self.miss_cooldown

    def find(self, kid: str | None) -> Any | None:
        if kid is None and len(self.keys) == 1:
            return next(iter(self.keys.values()))
        return self.keys.get(kid)

    async def refresh(self) -> bool:
        """Fetches the metadata (once) and the key set; False, logged with the fix, when the issuer cannot be read."""
        import jwt

        try:
            if self.jwks_uri is None:
                self.jwks_uri = await self.discover()
            response = await self.http.get(self.jwks_uri, headers={"Accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning(
                "Could not read the signing keys of the OAuth issuer %s (%s): tokens are refused until it answers", self.issuer, describe_failure(exc)
            )
            return False
        keys: dict[str | None, Any] = {}
        declared: dict[str | None, str] = {}
        for entry in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            if entry.get("alg") is not None and entry["alg"] not in ASYMMETRIC_ALGORITHMS:
                continue  # a symmetric or unknown algorithm: never a signing key here
            try:
                keys[entry.get("kid")] = jwt.PyJWK(entry)
            except jwt.PyJWTError:  # an algorithm or key type this server does not use
                continue
            if entry.get("alg"):
                declared[entry.get("kid")] = entry["alg"]
        self.keys, self.declared, self.fetched_at = keys, declared, self.clock()
        self.fetches += 1
        logger.info("Fetched %d signing key(s) of the OAuth issuer %s", len(keys), self.issuer)
        return True

    async def discover(self) -> str:
        """The issuer's `jwks_uri`: RFC 8414 metadata first, then OpenID Connect discovery; the issuer must name itself."""
        parts = urlsplit(self.issuer)
        path = parts.path.rstrip("/")
        candidates = [
            f"{parts.scheme}://{parts.netloc}/.well-known/oauth-authorization-server{path}",
            f"{self.issuer.rstrip('/')}/.well-known/openid-configuration",
        ]
        problems = []
        for url in candidates:
            response = await self.http.get(url, headers={"Accept": "application/json"})
            if response.status_code != 200:
                problems.append(f"{url} answered {response.status_code}")
                continue
            metadata = response.json()
            if not isinstance(metadata, dict) or metadata.get("issuer", "").rstrip("/") != self.issuer.rstrip("/"):
                raise ValueError(f"the metadata at {url} names another issuer, not {self.issuer}")
            if not isinstance(metadata.get("jwks_uri"), str):
                raise ValueError(f"the metadata at {url} names no jwks_uri")
            return metadata["jwks_uri"]
        raise ValueError("no authorization server metadata: " + "; ".join(problems))


def describe_failure(exc: Exception) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"{exc.request.url} answered {exc.response.status_code}"
    return f"{type(exc).__name__}: {exc}"


def scopes_of(claims: dict[str, Any]) -> list[str]:
    """RFC 9068's space-separated `scope`, or the `scp` list some providers send."""
    scope = claims.get("scope", claims.get("scp", ""))
    if isinstance(scope, str):
        return scope.split()
    if isinstance(scope, list):
        return [s for s in scope if isinstance(s, str)]
    return []


class JwtVerifier:
    """The SDK's TokenVerifier for JWT access tokens from one issuer, for one audience (this server).

    Every refusal is logged once at INFO with its reason (never the token); the client sees the
    SDK's 401 with `WWW-Authenticate` pointing at the protected-resource metadata.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        read_scope: str,
        write_scope: str,
        static_token: str | None = None,
        clock: Callable[[], float] = time.time,
        leeway: float = 30.0,
        keys: IssuerKeys | None = None,
    ):
        self.issuer = issuer
        self.audience = audience
        self.read_scope, self.write_scope = read_scope, write_scope
        self.static_token = static_token.encode() if static_token else None
        self.clock = clock
        self.leeway = leeway
        self.keys = keys or IssuerKeys(issuer)

    async def verify_token(self, token: str) -> AccessToken | None:
        if self.static_token is not None and hmac.compare_digest(token.encode(), self.static_token):
            return AccessToken(token=token, client_id=STATIC_CLIENT, scopes=[self.read_scope, self.write_scope], resource=self.audience)
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return refused("it is not a JWT")
        algorithm = header.get("alg")
        if algorithm not in ASYMMETRIC_ALGORITHMS:
            return refused(f"its algorithm {algorithm!r} is not one of {', '.join(ASYMMETRIC_ALGORITHMS)}")
        key = await self.keys.key(header.get("kid"))
        if key is None:
            return refused(f"no signing key {header.get('kid')!r} at the issuer")
        if self.keys.declared.get(header.get("kid")) not in (None, algorithm):
            return refused(f"its algorithm {algorithm} is not the one its key {header.get('kid')!r} is published for")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=[self.audience, self.audience.rstrip("/") + "/"],
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud"], "verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.InvalidAudienceError:
            return refused(f"it was issued for another audience, not {self.audience}")
        except jwt.InvalidIssuerError:
            return refused(f"it was issued by another issuer, not {self.issuer}")
        except jwt.PyJWTError as exc:
            return refused(f"{type(exc).__name__}: {exc}")
        now = self.clock()
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp + self.leeway < now:
            return refused("it has expired")
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and nbf - self.leeway > now:
            return refused("it is not valid yet")
        scopes = scopes_of(claims)
        if self.read_scope not in scopes and self.write_scope not in scopes:
            return refused(f"it carries neither {self.read_scope} nor {self.write_scope}")
        if self.write_scope in scopes and self.read_scope not in scopes:
            scopes.append(self.read_scope)  # whoever may write may read
        subject = claims.get("sub") if isinstance(claims.get("sub"), str) else None
        client = claims.get("client_id") or claims.get("azp") or subject or "unknown"
        # expires_at is left out on purpose: the SDK would compare it with the wall clock, this check uses ours (and the leeway)
        return AccessToken(token=token, client_id=str(client), scopes=scopes, resource=self.audience, subject=subject, claims=claims)


def refused(why: str) -> AccessToken | None:
    """Logs why a token was refused; always None, typed as verify_token's answer so `return refused(...)` reads as one step."""
    logger.info("Refused a bearer token: %s", why)
    return None


def may_write(token: AccessToken | None, write_scope: str) -> bool:
    """No token (static-token or no-auth set-ups on loopback) means the operator's own access."""
    return token is None or write_scope in token.scopes


class ScopedToolset:
    """SDK middleware: a token without the write scope sees and runs only the read-only tools.

    `tools/list` leaves the others out; `tools/call` on one of them answers with an error result
    naming the scope to ask for, without running it.
    """

    def __init__(self, write_tools: set[str], write_scope: str):
        self.write_tools = write_tools
        self.write_scope = write_scope

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        from mcp.server.auth.middleware.auth_context import get_access_token

        if ctx.method not in ("tools/list", "tools/call") or may_write(get_access_token(), self.write_scope):
            return await call_next(ctx)
        if ctx.method == "tools/call":
            name = (ctx.params or {}).get("name")
            if name in self.write_tools:
                from mcp.types import CallToolResult, TextContent

                message = (
                    f"{name} was not run: this access token has read-only access. Ask the authorization server for a token "
                    f"with the scope {self.write_scope} to create, start, change or delete batch calls."
                )
                return CallToolResult(
                    content=[TextContent(type="text", text=message)],
                    is_error=True,
                    structured_content={"message": message, "error": True, "code": "insufficient_scope"},
                )
            return await call_next(ctx)
        result = await call_next(ctx)
        return without_tools(result, self.write_tools)


def without_tools(result: Any, names: set[str]) -> Any:
    if isinstance(result, dict):
        return result | {"tools": [t for t in result.get("tools", []) if t.get("name") not in names]}
    if hasattr(result, "tools"):
        return result.model_copy(update={"tools": [t for t in result.tools if t.name not in names]})
    return result
