"""Settings, read once from the environment (what MCP clients pass) and overridden by CLI flags."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

DEFAULT_BASE_URL = "https://api.zudu.ai"
MAX_SANDBOX_SPEED = 100_000.0
ENV_PREFIX = "ZUDU_"


class Settings(BaseModel):
    """Every field is read from ZUDU_<FIELD> (any case); arguments given to Settings(...) win over the environment.

    A plain pydantic model reading os.environ itself: what pydantic-settings did here (flat fields,
    no .env file, defaults validated, unknown ZUDU_ variables ignored), without its and dotenv's
    import cost at every start.
    """

    model_config = ConfigDict(extra="ignore", validate_default=True)

    api_key: SecretStr | None = Field(default=None, description="X-API-KEY from the Zudu dashboard (sk_...).")
    api_secret: SecretStr | None = Field(default=None, description="X-API-SECRET from the Zudu dashboard.")
    base_url: str = Field(default=DEFAULT_BASE_URL, description="Zudu API root.")
    sandbox: bool = Field(default=False, description="Talk to the built-in emulator instead of Zudu.")
    timeout_seconds: float = Field(default=30.0, gt=0, le=300, description="Per-request timeout.")
    log_level: str = Field(default="WARNING", description="Server log level (stderr).")
    default_timezone: str | None = Field(default=None, description="Zone for phrases when the batch names none.")
    date_order: str | None = Field(default=None, description="DMY or MDY for numeric dates like 5/12.")
    schedule_horizon_days: int = Field(default=90, ge=1, le=366, description="Refuse spoken times further ahead.")
    default_region: str | None = Field(default=None, description="Region for numbers without a country code (IN, US...).")
    mcp_file_roots: str = Field(default="", description="Folders call-list files may be read from (os.pathsep-separated).")
    mcp_max_file_mb: int = Field(default=20, ge=1, le=1024, description="Largest call-list file read, in MiB.")
    calling_window: str = Field(default="08:00-21:00", description="Local hours recipients may be called.")
    mcp_confirm: str = Field(default="auto", description="Consent before dialing or deleting: auto, elicit, token, off.")
    mcp_confirm_ttl_seconds: int = Field(default=900, ge=30, le=86400, description="How long a preview's token stays valid.")
    mcp_settle_seconds: float = Field(default=90, ge=0, le=3600, description="How long after an unanswered create Zudu may still be creating it.")
    mcp_wait_seconds: float = Field(default=10, ge=0, le=120, description="How long one call waits for another sender or for Zudu to settle.")
    mcp_state_dir: str | None = Field(default=None, description="Where the journal and the token key live.")
    mcp_journal_url: SecretStr | None = Field(default=None, description="postgresql://... to share the journal between hosts.")
    mcp_tools: str = Field(default="", description="Comma-separated allowlist of tools to publish; empty: all.")
    mcp_read_only: bool = Field(default=False, description="Publish only tools that read or preview.")
    mcp_auth_token: SecretStr | None = Field(default=None, description="Bearer token HTTP clients must send.")
    mcp_auth_token_file: str | None = Field(default=None, description="File holding the bearer token.")
    mcp_allowed_hosts: str = Field(default="", description="Extra Host header values the HTTP server accepts.")
    mcp_allowed_origins: str = Field(default="", description="Extra Origin header values the HTTP server accepts.")
    mcp_max_request_mb: int = Field(default=25, ge=1, le=512, description="Largest HTTP request body accepted.")
    mcp_http_header_timeout_seconds: float = Field(default=10, gt=0, le=600, description="HTTP: time a client has to send a request's headers.")
    mcp_http_body_timeout_seconds: float = Field(
        default=60, gt=0, le=3600, description="HTTP: time a client has to send a request's body once its headers are in."
    )
    mcp_http_idle_timeout_seconds: float = Field(default=5, gt=0, le=600, description="HTTP: how long an idle keep-alive connection stays open.")
    mcp_http_max_connections: int = Field(
        default=1000, ge=1, le=1_000_000, description="HTTP: open connections per worker; past it the oldest idle one is closed."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        found = {}
        for key, value in os.environ.items():
            if key[:5].upper() == ENV_PREFIX and key[5:].lower() in fields:
                found[key[5:].lower()] = value
        return found | data

    @field_validator("api_key", "api_secret", "default_timezone", "date_order", "default_region", "mcp_auth_token", "mcp_journal_url", mode="before")
    @classmethod
    def _blank_is_missing(cls, value: Any) -> Any:
        # MCP client configs often carry "" for a variable the user has not filled in.
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"ZUDU_BASE_URL must start with https:// (got {value!r}); the default is {DEFAULT_BASE_URL}")
        return value.rstrip("/")

    @field_validator("default_timezone")
    @classmethod
    def _iana_zone(cls, value: str | None) -> str | None:
        from zudu_mcp.zudu.models import check_timezone

        return checked("ZUDU_DEFAULT_TIMEZONE", check_timezone, value)

    @field_validator("date_order")
    @classmethod
    def _date_order(cls, value: str | None) -> str | None:
        if value is not None and value.upper() not in ("DMY", "MDY"):
            raise ValueError(f"ZUDU_DATE_ORDER must be DMY (5/12 = 5 December) or MDY (5/12 = May 12), not {value!r}")
        return value and value.upper()

    @field_validator("default_region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is None:
            return None  # phone metadata is large: loaded only when a region is set
        from zudu_mcp.recipients.phones import valid_region

        return checked("ZUDU_DEFAULT_REGION", valid_region, value)

    @field_validator("calling_window")
    @classmethod
    def _window(cls, value: str) -> str:
        from zudu_mcp.recipients.calling_window import parse_window

        try:
            parse_window(value)
        except ValueError as exc:
            raise ValueError(f"ZUDU_CALLING_WINDOW must look like 08:00-21:00 ({exc})") from None
        return value

    @field_validator("mcp_confirm")
    @classmethod
    def _policy(cls, value: str) -> str:
        from zudu_mcp.consent import POLICIES

        value = value.strip().lower()
        if value not in POLICIES:
            raise ValueError(f"ZUDU_MCP_CONFIRM must be one of {', '.join(POLICIES)}, not {value!r}")
        return value

    @property
    def tool_allowlist(self) -> list[str]:
        return [name.strip() for name in self.mcp_tools.split(",") if name.strip()]

    def auth_token(self) -> str | None:
        """The HTTP bearer token, from ZUDU_MCP_AUTH_TOKEN or the file ZUDU_MCP_AUTH_TOKEN_FILE names."""
        if self.mcp_auth_token is not None:
            return self.mcp_auth_token.get_secret_value()
        if self.mcp_auth_token_file:
            try:
                token = Path(self.mcp_auth_token_file).expanduser().read_text().strip()
            except OSError as exc:
                raise ValueError(f"ZUDU_MCP_AUTH_TOKEN_FILE {self.mcp_auth_token_file} cannot be read ({exc.strerror})") from None
            if not token:
                raise ValueError(f"ZUDU_MCP_AUTH_TOKEN_FILE {self.mcp_auth_token_file} is empty")
            return token
        return None

    @property
    def state_dir(self) -> Path:
        if self.mcp_state_dir:
            return Path(self.mcp_state_dir).expanduser()
        from platformdirs import user_data_dir  # lazy: only the journal needs it

        return Path(user_data_dir("zudu-mcp", appauthor=False))

    @property
    def file_roots(self) -> tuple[Path, ...]:
        return tuple(Path(part).expanduser() for part in self.mcp_file_roots.split(os.pathsep) if part.strip())

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        value = value.upper()
        if value not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("ZUDU_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value

    @property
    def has_credentials(self) -> bool:
        return self.api_key is not None and self.api_secret is not None

    def describe(self) -> dict[str, str]:
        """The effective configuration for `zudu-mcp doctor`, secrets masked."""
        return {
            "mode": "sandbox (built-in emulator, no real calls)" if self.sandbox else "live (api.zudu.ai or ZUDU_BASE_URL)",
            "ZUDU_BASE_URL": "(in-process sandbox)" if self.sandbox else self.base_url,
            "ZUDU_API_KEY": mask(self.api_key),
            "ZUDU_API_SECRET": mask(self.api_secret),
            "ZUDU_SANDBOX": str(self.sandbox).lower(),
            "ZUDU_TIMEOUT_SECONDS": f"{self.timeout_seconds:g}",
            "ZUDU_LOG_LEVEL": self.log_level,
            "ZUDU_DEFAULT_TIMEZONE": self.default_timezone or "not set (the batch's zone, else this machine's, else UTC)",
            "ZUDU_DATE_ORDER": self.date_order or "not set (M/D for US zones, D/M elsewhere)",
            "ZUDU_SCHEDULE_HORIZON_DAYS": str(self.schedule_horizon_days),
            "ZUDU_DEFAULT_REGION": self.default_region or "not set (the region of from_number)",
            "ZUDU_MCP_FILE_ROOTS": os.pathsep.join(str(root) for root in self.file_roots) or "not set (reading files is off)",
            "ZUDU_MCP_MAX_FILE_MB": str(self.mcp_max_file_mb),
            "ZUDU_CALLING_WINDOW": self.calling_window,
            "ZUDU_MCP_CONFIRM": self.mcp_confirm,
            "ZUDU_MCP_CONFIRM_TTL_SECONDS": str(self.mcp_confirm_ttl_seconds),
            "ZUDU_MCP_SETTLE_SECONDS": f"{self.mcp_settle_seconds:g}",
            "ZUDU_MCP_WAIT_SECONDS": f"{self.mcp_wait_seconds:g}",
            "ZUDU_MCP_TOOLS": self.mcp_tools or "all",
            "ZUDU_MCP_READ_ONLY": str(self.mcp_read_only).lower(),
            "ZUDU_MCP_AUTH_TOKEN": mask(self.mcp_auth_token)
            if self.mcp_auth_token
            else ("from " + self.mcp_auth_token_file if self.mcp_auth_token_file else "not set (HTTP only on loopback)"),
            "ZUDU_MCP_AUTH_TOKEN_FILE": self.mcp_auth_token_file or "not set",
            "ZUDU_MCP_ALLOWED_HOSTS": self.mcp_allowed_hosts or "not set (loopback and the listening address)",
            "ZUDU_MCP_ALLOWED_ORIGINS": self.mcp_allowed_origins or "not set (loopback)",
            "ZUDU_MCP_MAX_REQUEST_MB": str(self.mcp_max_request_mb),
            "ZUDU_MCP_DO_NOT_CALL_FILE": self.mcp_do_not_call_file or "not set (the do-not-call list lives in the journal)",
            "ZUDU_MCP_STATE_DIR": str(self.state_dir) + (" (sandbox files in its sandbox/ folder)" if self.sandbox else ""),
            "ZUDU_MCP_JOURNAL_URL": "set (PostgreSQL, hidden)" if self.mcp_journal_url else "not set (SQLite in the state directory)",
            "journal in effect": "PostgreSQL (ZUDU_MCP_JOURNAL_URL)"
            if self.mcp_journal_url and not self.sandbox
            else str(self.state_dir / ("sandbox" if self.sandbox else "") / "journal.sqlite3"),
            "ZUDU_SANDBOX_SPEED": f"{self.sandbox_speed:g}x (sandbox time runs this many times faster than the wall clock)",
            "ZUDU_MCP_HTTP_HEADER_TIMEOUT_SECONDS": f"{self.mcp_http_header_timeout_seconds:g}",
            "ZUDU_MCP_HTTP_BODY_TIMEOUT_SECONDS": f"{self.mcp_http_body_timeout_seconds:g}",
            "ZUDU_MCP_HTTP_IDLE_TIMEOUT_SECONDS": f"{self.mcp_http_idle_timeout_seconds:g}",
            "ZUDU_MCP_HTTP_MAX_CONNECTIONS": f"{self.mcp_http_max_connections} per worker",
        } | self.describe_team()

    # The sandbox's clock: 60 plays an hour-long campaign in a minute, 600 in six seconds.
    sandbox_speed: float = Field(default=1.0, description="How many times faster sandbox time runs than the wall clock, e.g. 60 or 600.")

    @field_validator("sandbox_speed", mode="before")
    @classmethod
    def _speed(cls, value: Any) -> float:
        try:
            speed = float(value)
        except (TypeError, ValueError):
            speed = float("nan")
        if not 1 <= speed <= MAX_SANDBOX_SPEED:
            raise ValueError(f"ZUDU_SANDBOX_SPEED must be a number from 1 (real time) to {MAX_SANDBOX_SPEED:g}, e.g. 60 or 600, not {value!r}")
        return speed

    # A team server (issue 18): OAuth 2.1 resource server, each organization's own Zudu credentials, consent across workers.
    mcp_oauth_issuer: str | None = Field(default=None, description="OAuth: the authorization server whose JWT access tokens are accepted (its issuer URL).")
    mcp_resource_url: str | None = Field(default=None, description="OAuth: this server's public /mcp URL, the audience tokens must carry.")
    mcp_oauth_read_scope: str = Field(default="zudu:read", description="OAuth: the scope that lets a token in (read-only tools).")
    mcp_oauth_write_scope: str = Field(default="zudu:write", description="OAuth: the scope needed for tools that dial, change or delete.")
    mcp_oauth_leeway_seconds: float = Field(default=30, ge=0, le=300, description="OAuth: clock skew allowed on exp/nbf.")
    mcp_organizations_file: str | None = Field(default=None, description="JSON/TOML file: identity -> that organization's Zudu key and secret.")
    mcp_organization_claim: str = Field(default="sub", description="The token claim that names the organization in ZUDU_MCP_ORGANIZATIONS_FILE.")
    mcp_client_credentials: bool = Field(default=False, description="Accept X-Zudu-Api-Key / X-Zudu-Api-Secret headers from clients.")
    mcp_request_state_key_file: str | None = Field(default=None, description="Key file sealing multi-round-trip state; shared by every worker and host.")

    @field_validator("mcp_oauth_issuer", "mcp_resource_url", "mcp_organizations_file", "mcp_request_state_key_file", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("mcp_oauth_issuer", "mcp_resource_url")
    @classmethod
    def _https_unless_loopback(cls, value: str | None, info: Any) -> str | None:
        if value is None:
            return None
        from urllib.parse import urlsplit

        variable = "ZUDU_" + info.field_name.upper()
        parts = urlsplit(value)
        loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback) or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"{variable} must be an https:// URL without query or fragment (http:// only on loopback), not {value!r}")
        return value

    @property
    def oauth(self) -> bool:
        return self.mcp_oauth_issuer is not None

    def request_state_key_path(self) -> Path:
        return Path(self.mcp_request_state_key_file).expanduser() if self.mcp_request_state_key_file else self.state_dir / "request-state.key"

    def describe_team(self) -> dict[str, str]:
        return {
            "ZUDU_MCP_OAUTH_ISSUER": self.mcp_oauth_issuer or "not set (OAuth off; the static bearer token, if any)",
            "ZUDU_MCP_RESOURCE_URL": self.mcp_resource_url or "not set",
            "ZUDU_MCP_OAUTH_READ_SCOPE": self.mcp_oauth_read_scope,
            "ZUDU_MCP_OAUTH_WRITE_SCOPE": self.mcp_oauth_write_scope,
            "ZUDU_MCP_OAUTH_LEEWAY_SECONDS": f"{self.mcp_oauth_leeway_seconds:g}",
            "ZUDU_MCP_ORGANIZATIONS_FILE": self.mcp_organizations_file or "not set (every request uses ZUDU_API_KEY)",
            "ZUDU_MCP_ORGANIZATION_CLAIM": self.mcp_organization_claim,
            "ZUDU_MCP_CLIENT_CREDENTIALS": str(self.mcp_client_credentials).lower()
            + (" (X-Zudu-Api-Key / X-Zudu-Api-Secret accepted)" if self.mcp_client_credentials else ""),
            "ZUDU_MCP_REQUEST_STATE_KEY_FILE": str(self.request_state_key_path()) + ("" if self.mcp_request_state_key_file else " (HTTP; made on first start)"),
        }

    # The operator's do-not-call file (one number per line), applied by every plan with the journal's list.
    mcp_do_not_call_file: str | None = Field(default=None, description="A file of numbers never to call, one per line (# comments).")


def checked(variable: str, check: Callable[[str], str], value: str | None) -> str | None:
    """Runs a domain check on a setting, naming the variable in its message."""
    if value is None:
        return None
    try:
        return check(value)
    except ValueError as exc:  # InvalidNumber is one too
        raise ValueError(f"{variable}: {exc}") from None


def mask(secret: SecretStr | None) -> str:
    if secret is None:
        return "not set"
    return f"set ({len(secret.get_secret_value())} characters, hidden)"
