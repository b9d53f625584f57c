"""Errors from talking to Zudu, grouped by what the caller can do about them.

The split that matters most: `RequestNotSent` means Zudu provably did not act, so sending
again is safe; `OutcomeUnknown` means Zudu may have acted, so a retry could dial people twice.
Messages never contain credentials: they are built from status codes and Zudu's own text.
"""

from __future__ import annotations


class ZuduError(Exception):
    """Base class: `str(error)` is a sentence an assistant can show a person."""

    may_have_acted = False

    def __init__(self, message: str, *, status_code: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.retry_after = retry_after  # seconds, when Zudu said when to try again


class CredentialsMissing(ZuduError):
    """No API key/secret configured and the sandbox is off."""


class AuthenticationFailed(ZuduError):
    """Zudu refused the key/secret pair (401/403)."""


class RequestRejected(ZuduError):
    """Zudu refused the request as invalid (400/409/422); its own message says why."""


class NotFound(ZuduError):
    """The id does not exist for this organization (404)."""


class RateLimited(ZuduError):
    """Zudu asked us to slow down (429), or to come back later (503 with Retry-After): it did not act."""


class UpstreamFailure(ZuduError):
    """Zudu failed (5xx) or answered something unreadable; a write may have been applied."""

    may_have_acted = True


class RequestNotSent(ZuduError):
    """The request never left this machine (could not connect, pool exhausted): safe to send again."""


class OutcomeUnknown(ZuduError):
    """The request may have reached Zudu but no answer came back: check before sending again."""

    may_have_acted = True
