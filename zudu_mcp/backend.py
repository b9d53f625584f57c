"""Which Zudu the server talks to: the real API with the operator's credentials, or the sandbox.

The sandbox is chosen only on request (--sandbox / ZUDU_SANDBOX=1); without credentials the
real backend refuses each call with the fix instead of quietly falling back to it.

On a team server (HTTP with a `Tenancy`) each request may act for another organization: the
backend then hands out that account's own client and journal view, made on first use and kept
(a bounded number of accounts), so the tools stay the same and one organization's plans, tokens
and idempotency rows are never another's.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from zudu_mcp.config import Settings
from zudu_mcp.zudu.errors import CredentialsMissing

if TYPE_CHECKING:
    from pathlib import Path

    from zudu_mcp.journal import Journal
    from zudu_mcp.organizations import Credentials, Tenancy
    from zudu_mcp.sandbox import SandboxState
    from zudu_mcp.zudu.client import ZuduClient

SANDBOX_BASE_URL = "http://sandbox.zudu.invalid"
MAX_ACCOUNTS = 256  # accounts whose client and journal view one process keeps; the least recently used goes first

MISSING_CREDENTIALS = (
    "Zudu credentials are not configured, so nothing was sent. Set ZUDU_API_KEY and ZUDU_API_SECRET "
    "(from the Zudu dashboard) in this server's environment, e.g. in the 'env' block of the MCP client "
    "config, or start the server with --sandbox (or ZUDU_SANDBOX=1) to use the built-in emulator "
    "without an account."
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Backend:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        transport: Any = None,
        sleep: Any = None,
        tenancy: Tenancy | None = None,
    ):
        self.settings = settings
        self.clock = clock
        self._transport = transport  # tests inject an httpx transport here
        self._client_options = {"sleep": sleep} if sleep is not None else {}  # and a fast sleep for retries
        self._client: ZuduClient | None = None
        self._journal: Journal | None = None
        self.sandbox_state: SandboxState | None = None
        self.tenancy = None if settings.sandbox else tenancy  # the sandbox is one shared rehearsal room
        self._accounts: OrderedDict[str, tuple[ZuduClient, Journal]] = OrderedDict()

    @property
    def sandbox(self) -> bool:
        return self.settings.sandbox

    def now(self) -> datetime:
        """The injected clock (tests), else in sandbox mode the sandbox's own (accelerated) time, so plans,
        summaries and the emulator agree at ZUDU_SANDBOX_SPEED; else the wall clock."""
        if self.settings.sandbox and self.clock is utc_now and self._transport is None:
            if self.sandbox_state is None:
                self.client()
            if self.sandbox_state is not None:
                return datetime.fromtimestamp(self.sandbox_state.now_ms() / 1000, tz=UTC)
        return self.clock()

    async def sleep(self, seconds: float) -> None:
        """Waiting that does not read the clock (tests inject a fast sleep that moves their clock)."""
        import anyio

        await self._client_options.get("sleep", anyio.sleep)(seconds)

    def client(self) -> ZuduClient:
        chosen = self.tenancy.choose() if self.tenancy is not None else None
        if chosen is not None:
            return self._account(chosen)[0]
        if self._client is None:
            self._client = self._open()
        return self._client

    def journal(self) -> Journal:
        """On disk for the real API; in memory for the sandbox, whose batches vanish with the process too."""
        chosen = self.tenancy.choose() if self.tenancy is not None else None
        if chosen is not None:
            return self._account(chosen)[1]
        return self._own_journal()

    def _own_journal(self) -> Journal:
        if self._journal is None:
            import hashlib

            from zudu_mcp.journal import Journal

            settings = self.settings
            path: str | Path  # a file, or the shared journal's URL
            if settings.sandbox:  # its own file: a sandbox rehearsal never touches live state
                path, account = settings.state_dir / "sandbox" / "journal.sqlite3", "sandbox"
            else:
                path = settings.mcp_journal_url.get_secret_value() if settings.mcp_journal_url else settings.state_dir / "journal.sqlite3"
                key = settings.api_key.get_secret_value() if settings.api_key else ""
                account = hashlib.sha256(f"{settings.base_url}|{key}".encode()).hexdigest()[:16]  # never the key itself
            self._journal = Journal(path, account=account, clock=lambda: self.now().timestamp())
        return self._journal

    def _account(self, credentials: Credentials) -> tuple[ZuduClient, Journal]:
        """This organization's client and journal view (one database connection serves every account)."""
        import copy

        from zudu_mcp.zudu.client import ZuduClient

        account = credentials.account(self.settings.base_url)
        found = self._accounts.get(account)
        if found is not None:
            self._accounts.move_to_end(account)
            return found
        client = ZuduClient(
            base_url=self.settings.base_url,
            api_key=credentials.api_key,
            api_secret=credentials.api_secret,
            timeout=self.settings.timeout_seconds,
            transport=self._transport,
            **self._client_options,
        )
        view = copy.copy(self._own_journal())  # same connection and lock, another partition
        view.account = account
        self._accounts[account] = (client, view)
        if len(self._accounts) > MAX_ACCOUNTS:
            self._accounts.popitem(last=False)  # not closed: a request may still be using it; its pool goes with it
        return client, view

    def _open(self) -> ZuduClient:
        from zudu_mcp.zudu.client import ZuduClient  # httpx loads on first use, not at start-up

        settings = self.settings
        transport = self._transport
        if settings.sandbox:
            from zudu_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET, create_app, open_sandbox

            if transport is None:
                import httpx

                # In <state_dir>/sandbox/, apart from the live journal, so the next process sees this one's batches;
                # an injected clock (tests) drives the sandbox, else its own accelerated clock does.
                clock = None if self.clock is utc_now else (lambda: int(self.now().timestamp() * 1000))
                self.sandbox_state = open_sandbox(settings.state_dir, speed=settings.sandbox_speed, clock=clock)
                transport = httpx.ASGITransport(app=create_app(self.sandbox_state))
            base_url, key, secret = SANDBOX_BASE_URL, SANDBOX_API_KEY, SANDBOX_API_SECRET
        elif settings.api_key is None or settings.api_secret is None:
            raise CredentialsMissing(MISSING_CREDENTIALS)
        else:
            base_url, key, secret = settings.base_url, settings.api_key.get_secret_value(), settings.api_secret.get_secret_value()
        return ZuduClient(base_url=base_url, api_key=key, api_secret=secret, timeout=settings.timeout_seconds, transport=transport, **self._client_options)

    async def aclose(self) -> None:
        for client, _ in self._accounts.values():
            await client.aclose()
        self._accounts.clear()
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self.sandbox_state is not None:
            self.sandbox_state.close()
            self.sandbox_state = None
