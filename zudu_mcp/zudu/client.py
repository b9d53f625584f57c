"""Async client for Zudu's REST API: auth headers, envelopes, and errors by what the caller can do.

httpx's exception tree tells us whether a request left the machine: connect errors and pool
timeouts mean it did not; read timeouts and broken connections after sending mean Zudu may
have acted. That distinction is kept in the error types (see errors.py), never guessed away.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from zudu_mcp import __version__
from zudu_mcp.zudu.errors import (
    AuthenticationFailed,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    RequestNotSent,
    RequestRejected,
    UpstreamFailure,
    ZuduError,
)
from zudu_mcp.zudu.models import BatchCall, CreateBatchCallRequest, unwrap

logger = logging.getLogger(__name__)

MAX_UPSTREAM_MESSAGE = 500


class ZuduClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        api_secret: str,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self._secrets = [s for s in (api_key, api_secret) if s]
        self._timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={
                "X-API-KEY": api_key,
                "X-API-SECRET": api_secret,
                "User-Agent": f"zudu-mcp/{__version__}",
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def create_batch_call(self, request: CreateBatchCallRequest) -> BatchCall:
        payload = await self._request("POST", "/batch-call", json=request.to_wire())
        return self._batch(payload, wrote=True)

    async def _request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        try:
            response = await self._http.request(method, path, json=json, params=params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise RequestNotSent(
                f"Could not reach Zudu ({type(exc).__name__}); nothing was sent. "
                "Check the network and ZUDU_BASE_URL, then try again."
            ) from None
        except httpx.TimeoutException:
            raise OutcomeUnknown(
                f"Zudu did not answer within {self._timeout:g} s. The request may have been received: "
                "check the batch list before sending it again."
            ) from None
        except httpx.TransportError as exc:
            raise OutcomeUnknown(
                f"The connection to Zudu broke after the request was sent ({type(exc).__name__}). "
                "It may have been received: check the batch list before sending it again."
            ) from None
        logger.debug("%s %s -> %s", method, path, response.status_code)
        return self._read(response, wrote=method != "GET")

    def _read(self, response: httpx.Response, *, wrote: bool) -> Any:
        status = response.status_code
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if 200 <= status < 300:
            if payload is None:
                raise (OutcomeUnknown if wrote else UpstreamFailure)(
                    f"Zudu answered HTTP {status} with a body that is not JSON"
                    + (", so whether the request was applied is unknown: check before sending it again." if wrote else "."),
                    status_code=status,
                )
            if isinstance(payload, dict) and payload.get("status") == "error":
                raise RequestRejected(f"Zudu rejected the request: {self._message(payload, response)}", status_code=status)
            return payload
        message = self._message(payload, response)
        if status in (401, 403):
            raise AuthenticationFailed(
                f"Zudu refused the credentials (HTTP {status}: {message}). "
                "Check ZUDU_API_KEY and ZUDU_API_SECRET; both come from the Zudu dashboard.",
                status_code=status,
            )
        if status == 404:
            raise NotFound(f"Zudu found nothing there (HTTP 404: {message}). Check the id.", status_code=status)
        if status == 429:
            retry_after = _seconds(response.headers.get("Retry-After"))
            wait = f"try again in {retry_after:g} s" if retry_after is not None else "wait a minute and try again"
            raise RateLimited(f"Zudu is rate limiting requests (HTTP 429): {wait}.", retry_after=retry_after)
        if 400 <= status < 500:
            raise RequestRejected(f"Zudu rejected the request (HTTP {status}): {message}", status_code=status)
        raise UpstreamFailure(
            f"Zudu failed (HTTP {status}: {message})."
            + (" The request may have been applied: check before sending it again." if wrote else " Try again shortly."),
            status_code=status,
        )

    def _message(self, payload: Any, response: httpx.Response) -> str:
        """Zudu's own words from its error envelope, else a short excerpt of the body."""
        text = ""
        if isinstance(payload, dict):
            for key in ("error", "message", "detail"):
                value = payload.get(key)
                if value and value != "error":
                    text = value if isinstance(value, str) else str(value)
                    break
        if not text:
            text = response.text.strip() or response.reason_phrase or "no details"
        return self.redact(" ".join(text.split())[:MAX_UPSTREAM_MESSAGE])

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _batch(self, payload: Any, *, wrote: bool) -> BatchCall:
        try:
            return BatchCall.model_validate(unwrap(payload))
        except ValueError:
            raise (OutcomeUnknown if wrote else UpstreamFailure)(
                "Zudu answered, but not with a batch object"
                + (": whether the batch was created is unknown; check the batch list before sending again." if wrote else "."),
            ) from None


def _seconds(header: str | None) -> float | None:
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None


__all__ = ["ZuduClient", "ZuduError"]
