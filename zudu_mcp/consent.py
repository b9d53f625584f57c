"""Consent: the person approves a stored plan, and its handle is the confirmation token.

A handle is random (unguessable) and looked up only in this server's own account (sandbox, or
which API and key), so a plan made under --sandbox can never authorise real calls. What a
handle allows is decided here from the plan's state and clock, in words the assistant can act on.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from zudu_mcp.journal import StoredPlan
from zudu_mcp.refusal import Refusal
from zudu_mcp.scheduling.instants import describe_instant

POLICIES = ("auto", "elicit", "token", "off")
LIVE_PREFIX, SANDBOX_PREFIX = "zp_", "zps_"


def new_handle(sandbox: bool) -> str:
    return (SANDBOX_PREFIX if sandbox else LIVE_PREFIX) + secrets.token_urlsafe(15)


def check_handle(token: str, *, sandbox: bool) -> str:
    token = token.strip()
    if token.startswith(SANDBOX_PREFIX) and not sandbox:
        raise Refusal(
            "confirmation_token was made by the sandbox (--sandbox), where nothing is real: it cannot authorise real calls. "
            "Preview the campaign again on this server and confirm its summary with the person.",
            "sandbox_token",
        )
    if token.startswith(LIVE_PREFIX) and sandbox:
        raise Refusal("confirmation_token was made by a live server, not this sandbox: preview again here.", "live_token")
    if not token.startswith((LIVE_PREFIX, SANDBOX_PREFIX)) or len(token) > 64:
        raise Refusal("confirmation_token is not a token this server issued: preview again and use the token it returns.", "invalid_token")
    return token


def usable(stored: StoredPlan | None, action: str, now: datetime) -> StoredPlan:
    """The plan a token names, when it may still be acted on; otherwise why not, naming what to do."""
    if stored is None:
        raise Refusal(
            "confirmation_token is not a plan this server made for this account (another server, another Zudu account, or "
            "forged): preview again and confirm the new summary with the person.",
            "unknown_token",
        )
    if stored.action != action:
        raise Refusal(f"confirmation_token was issued for {stored.action}, not {action}: preview this action to get its own token.", "wrong_action")
    if stored.state == "open" and now.timestamp() > stored.expires_at:
        made = describe_instant(int(stored.created_at * 1000), "UTC", now)
        raise Refusal(
            f"confirmation_token has expired: the plan was made {made.relative} and was valid for "
            f"{int(stored.expires_at - stored.created_at) // 60} minutes. Preview again and confirm the new summary with the person.",
            "expired",
        )
    if stored.state == "void":
        raise Refusal("confirmation_token belongs to a plan that was withdrawn: preview again.", "void")
    return stored
