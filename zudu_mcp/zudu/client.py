"""Async client for Zudu's REST API: auth headers, envelopes, and errors by what the caller can do.

httpx's exception tree tells us whether a request left the machine: connect errors and pool
timeouts mean it did not; read timeouts and broken connections after sending mean Zudu may
have acted. That distinction is kept in the error types (see errors.py), never guessed away.
"""

from __future__ import annotations

import functools
import logging
import random
import re
import ssl
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import anyio
import httpx

from zudu_mcp import __version__
from zudu_mcp.untrusted import quote
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
from zudu_mcp.zudu.models import (
    MAX_PAGE_LIMIT,
    Agent,
    BatchCall,
    BatchTask,
    Call,
    CreateBatchCallRequest,
    Page,
    PhoneNumberInfo,
    UpdateBatchCallRequest,
    check_batch_call_id,
    check_call_id,
    read_page,
    unwrap,
)

logger = logging.getLogger(__name__)

MAX_UPSTREAM_MESSAGE = 500
MAX_ATTEMPTS = 3
MAX_RETRY_AFTER_SECONDS = 30.0  # a longer wait is Zudu's to announce, not ours to sit through


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle takes ~25 ms, and every organization's client needs it."""
    return httpx.create_ssl_context()


class ZuduClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        api_secret: str,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ):
        self._sleep = sleep
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
            verify=tls_context(),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def create_batch_call(self, request: CreateBatchCallRequest) -> BatchCall:
        return await self.create_batch_call_body(request.to_wire())

    async def create_batch_call_body(self, body: dict[str, Any] | bytes) -> BatchCall:
        """Sends a body exactly as planned (validated when the plan was made); bytes are its JSON, sent as they are."""
        if isinstance(body, bytes):
            payload = await self._request("POST", "/batch-call", content=body)
        else:
            payload = await self._request("POST", "/batch-call", json=body)
        return self._batch(payload, wrote=True)

    async def get_batch_call(self, batch_call_id: str) -> BatchCall:
        return self._batch(await self._request("GET", self._batch_path(batch_call_id)), wrote=False)

    async def list_batch_calls(
        self,
        *,
        page: int = 0,
        limit: int = 20,
        status: Sequence[str] | None = None,
        agent_id: Sequence[str] | None = None,
        name: Sequence[str] | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> tuple[Page, list[BatchCall]]:
        """Always sends `limit`: Zudu returns every batch at once when it is omitted."""
        limit = max(1, min(limit, MAX_PAGE_LIMIT))
        sort = {k: v for k, v in (("sort_by", sort_by), ("sort_order", sort_order)) if v}
        criteria = {k: v for k, v in (("status", status), ("agent_id", agent_id), ("name", name)) if v}
        if criteria:
            body = {"filter_criteria": criteria, "pagination": {"page": page, "limit": limit}, **sort}
            payload = await self._request("POST", "/batch-call/list", json=body, safe_to_repeat=True)
        else:
            payload = await self._request("GET", "/batch-call/list", params={"page": page, "limit": limit, **sort})
        result = self._page(payload, page, limit)
        return result, [self._batch(item, wrote=False) for item in result.items]

    async def list_tasks(self, batch_call_id: str, *, page: int = 0, limit: int = 100) -> tuple[Page, list[BatchTask]]:
        limit = max(1, min(limit, MAX_PAGE_LIMIT))
        path = self._batch_path(batch_call_id) + "/tasks"
        result = self._page(await self._request("GET", path, params={"page": page, "limit": limit}), page, limit)
        return result, [BatchTask.model_validate(item) for item in result.items]

    async def execute_batch_call(self, batch_call_id: str) -> BatchCall | None:
        payload = await self._request("POST", self._batch_path(batch_call_id) + "/execute")
        return self._maybe_batch(payload)

    async def update_batch_call(self, batch_call_id: str, update: UpdateBatchCallRequest) -> BatchCall | None:
        payload = await self._request("PATCH", self._batch_path(batch_call_id), json=update.to_wire())
        return self._maybe_batch(payload)

    async def delete_batch_call(self, batch_call_id: str) -> None:
        await self._request("DELETE", self._batch_path(batch_call_id))

    async def list_agents(self, *, page: int = 0, limit: int = 50) -> tuple[Page, list[Agent]]:
        limit = max(1, min(limit, MAX_PAGE_LIMIT))
        result = self._page(await self._request("GET", "/api/agents", params={"page": page, "limit": limit}), page, limit)
        return result, [Agent.model_validate(item) for item in result.items]

    async def list_phone_numbers(self, *, available: bool = False) -> list[PhoneNumberInfo]:
        path = "/api/phone-numbers/available" if available else "/api/phone-numbers"
        result = self._page(await self._request("GET", path), 0, MAX_PAGE_LIMIT)
        return [PhoneNumberInfo.model_validate(item) for item in result.items]

    async def get_call(self, call_id: str) -> Call:
        """One call: status, times, end reason, and the transcript when Zudu returns it."""
        payload = await self._request("GET", f"/api/calls/{check_call_id(call_id)}")
        try:
            return Call.model_validate(unwrap(payload))
        except ValueError:
            raise UpstreamFailure("Zudu answered, but not with a call object.") from None

    async def list_calls(
        self,
        *,
        page: int = 0,
        limit: int = 20,
        call_status: list[str] | None = None,
        call_type: list[str] | None = None,
        agent_id: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> tuple[Page, list[Call]]:
        """POST /api/calls is a read: it is sent again like a GET. No batch filter is documented,
        so a batch's calls are found through its tasks' call_id instead."""
        limit = max(1, min(limit, MAX_PAGE_LIMIT))
        criteria = {k: v for k, v in (("call_status", call_status), ("call_type", call_type), ("agent_id", agent_id)) if v}
        body: dict[str, Any] = {"page": page, "limit": limit, **{k: v for k, v in (("sort_by", sort_by), ("sort_order", sort_order)) if v}}
        if criteria:
            body["filter_criteria"] = criteria
        result = self._page(await self._request("POST", "/api/calls", json=body, safe_to_repeat=True), page, limit)
        return result, [Call.model_validate(item) for item in result.items if item.get("call_id") or item.get("id")]

    @staticmethod
    def _batch_path(batch_call_id: str) -> str:
        return f"/batch-call/{check_batch_call_id(batch_call_id)}"

    def _page(self, payload: Any, page: int, limit: int) -> Page:
        try:
            return read_page(payload, page=page, limit=limit)
        except ValueError:
            raise UpstreamFailure("Zudu answered, but not with a list.") from None

    def _maybe_batch(self, payload: Any) -> BatchCall | None:
        """Execute and PATCH may answer with the batch or with a bare message."""
        data = unwrap(payload)
        return self._batch(payload, wrote=True) if isinstance(data, dict) and data.get("batch_call_id") else None

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        safe_to_repeat: bool = False,
        content: bytes | None = None,
    ) -> Any:
        """Sends again only when Zudu provably did not act: never after a write may have been received."""
        wrote = method != "GET" and not safe_to_repeat
        attempt = 1
        while True:
            try:
                return await self._send(method, path, json=json, params=params, wrote=wrote, content=content)
            except ZuduError as exc:
                delay = retry_delay(exc, attempt, wrote)
                if delay is None:
                    if wrote and isinstance(exc, RateLimited):
                        raise OutcomeUnknown(
                            f"Zudu answered HTTP {exc.status_code} after the request was sent, so it may have been applied "
                            "(Zudu documents no rate limits or idempotency): check before sending it again.",
                            status_code=exc.status_code,
                        ) from None
                    raise
            logger.info("%s %s failed; trying again in %.1f s", method, path, delay)
            await self._sleep(delay)
            attempt += 1

    async def _send(self, method: str, path: str, *, json: Any, params: dict[str, Any] | None, wrote: bool, content: bytes | None = None) -> Any:
        try:
            if content is not None:  # JSON encoded already (a plan part): not decoded and encoded again
                response = await self._http.request(method, path, content=content, params=params, headers={"Content-Type": "application/json"})
            else:
                response = await self._http.request(method, path, json=json, params=params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise RequestNotSent(
                f"Could not reach Zudu ({type(exc).__name__}); nothing was sent. Check the network and ZUDU_BASE_URL, then try again."
            ) from None
        except httpx.TransportError as exc:
            what = (
                f"did not answer within {self._timeout:g} s" if isinstance(exc, httpx.TimeoutException) else (f"dropped the connection ({type(exc).__name__})")
            )
            if not wrote:
                raise UpstreamFailure(f"Zudu {what}. Nothing was changed; try again shortly.") from None
            raise OutcomeUnknown(f"Zudu {what} after the request was sent. It may have been received: check the batch list before sending it again.") from None
        logger.debug("%s %s -> %s", method, path, response.status_code)
        return self._read(response, wrote=wrote)

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
                f"Zudu refused the credentials (HTTP {status}: {message}). Check ZUDU_API_KEY and ZUDU_API_SECRET; both come from the Zudu dashboard.",
                status_code=status,
            )
        if status == 404:
            raise NotFound(f"Zudu found nothing there (HTTP 404: {message}). Check the id.", status_code=status)
        retry_after = _seconds(response.headers.get("Retry-After"))
        if status == 429 or (status == 503 and retry_after is not None):
            wait = f"try again in {retry_after:g} s" if retry_after is not None else "wait a minute and try again"
            what = "is rate limiting requests" if status == 429 else "is unavailable for now"
            raise RateLimited(f"Zudu {what} (HTTP {status}): {wait}. Nothing was changed.", status_code=status, retry_after=retry_after)
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
        return quote(self.redact(text), MAX_UPSTREAM_MESSAGE)

    def redact(self, text: str) -> str:
        """Masks the key and secret before anything is cut, in any case and in their usual encodings."""
        for secret in self._secrets:
            for form in secret_forms(secret):
                text = re.sub(re.escape(form), "***", text, flags=re.IGNORECASE)
        return text

    def _batch(self, payload: Any, *, wrote: bool) -> BatchCall:
        try:
            return BatchCall.model_validate(unwrap(payload))
        except ValueError:
            raise (OutcomeUnknown if wrote else UpstreamFailure)(
                "Zudu answered, but not with a batch object"
                + (": whether the request was applied is unknown; check the batch list before sending it again." if wrote else "."),
            ) from None


def secret_forms(secret: str) -> set[str]:
    import base64
    from urllib.parse import quote as url_quote

    raw = secret.encode()
    forms = {secret, url_quote(secret, safe=""), base64.b64encode(raw).decode().rstrip("="), base64.urlsafe_b64encode(raw).decode().rstrip("="), raw.hex()}
    return {form for form in forms if len(form) >= 8}


def retry_delay(error: ZuduError, attempt: int, wrote: bool) -> float | None:
    """How long to wait before sending again, or None. Only when Zudu provably did not act: the
    request never left, Zudu said when to come back, or it was a read."""
    if attempt >= MAX_ATTEMPTS:
        return None
    if wrote and not isinstance(error, RequestNotSent):
        return None  # a write that reached Zudu is never sent again automatically, whatever the status said
    if isinstance(error, RateLimited):
        if error.retry_after is None or error.retry_after > MAX_RETRY_AFTER_SECONDS:
            return None
        return error.retry_after + random.uniform(0, 0.25)
    if isinstance(error, RequestNotSent) or (isinstance(error, UpstreamFailure) and not wrote):
        return random.uniform(0.5, 1.5) * 0.2 * 2 ** (attempt - 1)  # jittered backoff: 0.2 s, 0.4 s
    return None


def _seconds(header: str | None) -> float | None:
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None


__all__ = ["ZuduClient", "ZuduError"]
