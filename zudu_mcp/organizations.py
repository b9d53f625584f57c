"""Each organization's own Zudu credentials on a shared HTTP server.

A team server answers several organizations; each one's calls must go out with its own Zudu key
and secret, and its journal, confirmation tokens and idempotency must be its own. The key and
secret of a request come from, in this order:

1. the headers `X-Zudu-Api-Key` and `X-Zudu-Api-Secret`, when the operator allows clients to send
   them (ZUDU_MCP_CLIENT_CREDENTIALS=true);
2. the operator's mapping (ZUDU_MCP_ORGANIZATIONS_FILE, JSON or TOML) from the authenticated
   identity (the token claim ZUDU_MCP_ORGANIZATION_CLAIM, `sub` by default) to a key and secret,
   given inline or as the names of environment variables that hold them;
3. the server's own ZUDU_API_KEY / ZUDU_API_SECRET, when there is no mapping (one organization)
   or the request carries the operator's static token.

An identity the mapping does not know never falls back to the operator's key: its tool calls say
what to do instead. Credentials appear in no log line, error or result; an account is known by a
hash of the base URL and key, which is what partitions the journal.
"""

from __future__ import annotations

import hashlib
import json
import os
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from zudu_mcp.untrusted import quote
from zudu_mcp.zudu.errors import CredentialsMissing

KEY_HEADER, SECRET_HEADER = "X-Zudu-Api-Key", "X-Zudu-Api-Secret"
MAX_HEADER_CHARS = 512

sent_credentials: ContextVar[tuple[str | None, str | None] | None] = ContextVar("zudu_sent_credentials", default=None)


@dataclass(frozen=True)
class Credentials:
    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)

    def account(self, base_url: str) -> str:
        """The journal's partition: never the key itself."""
        return account_of(base_url, self.api_key)


def account_of(base_url: str, api_key: str) -> str:
    return hashlib.sha256(f"{base_url}|{api_key}".encode()).hexdigest()[:16]


class OrganizationsFileError(ValueError):
    pass


def load_organizations(path: str | Path) -> dict[str, Credentials]:
    """Reads the operator's mapping; every problem names the file and the entry, never a secret.

    JSON: {"organizations": {"acme": {"api_key": "...", "api_secret": "..."},
                             "globex": {"api_key_env": "GLOBEX_ZUDU_KEY", "api_secret_env": "GLOBEX_ZUDU_SECRET"}}}
    TOML (a file ending in .toml): [organizations.acme] api_key = "..." ...
    """
    path = Path(path).expanduser()
    where = f"ZUDU_MCP_ORGANIZATIONS_FILE {path}"
    try:
        text = path.read_text()
    except OSError as exc:
        raise OrganizationsFileError(f"{where} cannot be read ({exc.strerror})") from None
    try:
        if path.suffix.lower() == ".toml":
            import tomllib

            document: Any = tomllib.loads(text)
        else:
            document = json.loads(text)
    except ValueError as exc:
        raise OrganizationsFileError(f"{where} is not valid {'TOML' if path.suffix.lower() == '.toml' else 'JSON'} ({exc})") from None
    entries = document.get("organizations") if isinstance(document, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise OrganizationsFileError(f'{where} must hold an "organizations" table: identity -> {{api_key, api_secret}} or {{api_key_env, api_secret_env}}')
    found: dict[str, Credentials] = {}
    for identity, entry in entries.items():
        if not isinstance(entry, dict):
            raise OrganizationsFileError(f"{where}: organization {identity!r} must be a table with api_key and api_secret (or api_key_env and api_secret_env)")
        found[str(identity)] = Credentials(value_of(entry, "api_key", where, identity), value_of(entry, "api_secret", where, identity))
    return found


def value_of(entry: dict[str, Any], name: str, where: str, identity: str) -> str:
    if isinstance(entry.get(name), str) and entry[name].strip():
        return entry[name].strip()
    variable = entry.get(f"{name}_env")
    if isinstance(variable, str) and variable:
        value = os.environ.get(variable, "").strip()
        if not value:
            raise OrganizationsFileError(f"{where}: organization {identity!r} takes {name} from ${variable}, which is not set")
        return value
    raise OrganizationsFileError(f"{where}: organization {identity!r} has no {name} (or {name}_env naming a variable)")


class CredentialHeaders:
    """ASGI: hands the request's X-Zudu-Api-Key / X-Zudu-Api-Secret to the tools (a context variable), never to a log."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key, secret = headers.get(KEY_HEADER.lower().encode()), headers.get(SECRET_HEADER.lower().encode())
        sent = (decoded(key), decoded(secret)) if key is not None or secret is not None else None
        token = sent_credentials.set(sent)
        try:
            await self.app(scope, receive, send)
        finally:
            sent_credentials.reset(token)


def decoded(value: bytes | None) -> str | None:
    if value is None:
        return None
    text = value.decode("latin-1").strip()
    return text[:MAX_HEADER_CHARS] or None


class Tenancy:
    """Chooses the credentials of the current request (see the module's docstring for the order)."""

    def __init__(self, *, organizations: dict[str, Credentials] | None, claim: str, accept_headers: bool, operator: Credentials | None):
        self.organizations = organizations
        self.claim = claim
        self.accept_headers = accept_headers
        self.operator = operator

    def choose(self) -> Credentials | None:
        """The request's credentials; None for the operator's own (the Backend's usual path); CredentialsMissing with the fix."""
        from mcp.server.auth.middleware.auth_context import get_access_token

        from zudu_mcp.auth import STATIC_CLIENT

        sent = sent_credentials.get()
        if sent is not None:
            if not self.accept_headers:
                raise CredentialsMissing(
                    f"This request sent {KEY_HEADER} / {SECRET_HEADER}, but this server does not take Zudu credentials from clients, "
                    "so nothing was sent. Leave the headers out (the server then uses the credentials its operator configured), "
                    "or ask the operator to set ZUDU_MCP_CLIENT_CREDENTIALS=true."
                )
            key, secret = sent
            if not key or not secret:
                raise CredentialsMissing(
                    f"Send both {KEY_HEADER} and {SECRET_HEADER} (the key and secret from the Zudu dashboard); only one came, so nothing was sent."
                )
            return Credentials(key, secret)
        token = get_access_token()
        if token is None or token.client_id == STATIC_CLIENT or self.organizations is None:
            if self.operator is None and self.accept_headers:
                raise CredentialsMissing(
                    f"No Zudu credentials came with this request, so nothing was sent. Send your organization's key and secret "
                    f"from the Zudu dashboard in the headers {KEY_HEADER} and {SECRET_HEADER}."
                )
            return None
        identity = (token.claims or {}).get(self.claim) if self.claim not in ("client_id",) else token.client_id
        found = self.organizations.get(str(identity)) if identity is not None else None
        if found is not None:
            return found
        headers = f", or send your organization's key and secret in the headers {KEY_HEADER} and {SECRET_HEADER}" if self.accept_headers else ""
        who = f"the organization {quote(str(identity))} (token claim {self.claim})" if identity is not None else f"a token without the claim {self.claim}"
        raise CredentialsMissing(
            f"This server has no Zudu credentials for {who}, so nothing was sent. The operator adds it to ZUDU_MCP_ORGANIZATIONS_FILE{headers}."
        )
