"""Which Zudu the server talks to: the real API with the operator's credentials, or the sandbox.

The sandbox is chosen only on request (--sandbox / ZUDU_SANDBOX=1); without credentials the
real backend refuses each call with the fix instead of quietly falling back to it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from zudu_mcp.config import Settings
from zudu_mcp.zudu.errors import CredentialsMissing

if TYPE_CHECKING:
    from zudu_mcp.journal import Journal
    from zudu_mcp.sandbox import SandboxState
    from zudu_mcp.zudu.client import ZuduClient

SANDBOX_BASE_URL = "http://sandbox.zudu.invalid"

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
        self, settings: Settings, *, clock: Callable[[], datetime] = utc_now, transport: Any = None, sleep: Any = None
    ):
        self.settings = settings
        self.clock = clock
        self._transport = transport  # tests inject an httpx transport here
        self._client_options = {"sleep": sleep} if sleep is not None else {}  # and a fast sleep for retries
        self._client: ZuduClient | None = None
        self._journal: Journal | None = None
        self.sandbox_state: SandboxState | None = None

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
        if self._client is None:
            self._client = self._open()
        return self._client

    def journal(self) -> Journal:
        """On disk for the real API; in memory for the sandbox, whose batches vanish with the process too."""
        if self._journal is None:
            import hashlib

            from zudu_mcp.journal import Journal

            settings = self.settings
            if settings.sandbox:  # its own file: a sandbox rehearsal never touches live state
                path, account = settings.state_dir / "sandbox" / "journal.sqlite3", "sandbox"
            else:
                path = settings.mcp_journal_url.get_secret_value() if settings.mcp_journal_url else settings.state_dir / "journal.sqlite3"
                key = settings.api_key.get_secret_value() if settings.api_key else ""
                account = hashlib.sha256(f"{settings.base_url}|{key}".encode()).hexdigest()[:16]  # never the key itself
            self._journal = Journal(path, account=account, clock=lambda: self.now().timestamp())
        return self._journal

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
        return ZuduClient(
            base_url=base_url, api_key=key, api_secret=secret, timeout=settings.timeout_seconds, transport=transport, **self._client_options
        )

    async def aclose(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self.sandbox_state is not None:
            self.sandbox_state.close()
            self.sandbox_state = None
