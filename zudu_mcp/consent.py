"""Consent for actions that dial people or destroy data: confirmation tokens bound to one payload.

A preview issues a token that is an HMAC over (action, canonical payload hash, expiry, nonce).
The action is allowed only with a token for exactly the same payload, before it expires, once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

POLICIES = ("auto", "elicit", "token", "off")
PREFIX = "zc1"


class TokenProblem(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def load_or_create_secret(path: Path) -> bytes:
    """One key per state directory, so every worker sharing it accepts the others' tokens."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
        try:
            os.link(draft, path)  # atomic, and fails if another worker got there first: theirs wins
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    return path.read_bytes()


class ConfirmationTokens:
    def __init__(self, secret: bytes, *, ttl_seconds: float = 900, clock=time.time):
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self.clock = clock

    def issue(self, action: str, payload_hash: str) -> tuple[str, float]:
        expires = self.clock() + self.ttl_seconds
        body = json.dumps({"a": action, "h": payload_hash[:32], "e": int(expires), "n": secrets.token_hex(6)}, separators=(",", ":"))
        encoded = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
        return f"{PREFIX}.{encoded}.{self._sign(encoded)}", expires

    def check(self, token: str, action: str, payload_hash: str) -> str:
        """The token's nonce when it allows exactly this action on exactly this payload now."""
        try:
            prefix, encoded, signature = token.strip().split(".")
            if prefix != PREFIX or not hmac.compare_digest(signature, self._sign(encoded)):
                raise ValueError
            claims = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        except (ValueError, TypeError):
            raise TokenProblem("invalid", "confirmation_token is not a token this server issued: preview again and use the token it returns.") from None
        if claims["a"] != action:
            raise TokenProblem("wrong_action", f"confirmation_token was issued for {claims['a']}, not {action}: preview this action to get its own token.")
        if claims["h"] != payload_hash[:32]:
            raise TokenProblem(
                "wrong_payload",
                "confirmation_token was issued for different arguments than these (recipients, time or settings changed "
                "since the preview): preview again with exactly these arguments and read the new summary to the person.",
            )
        if self.clock() > claims["e"]:
            raise TokenProblem("expired", "confirmation_token has expired: preview again and confirm the new summary with the person.")
        return str(claims["n"])

    def _sign(self, encoded: str) -> str:
        digest = hmac.new(self._secret, encoded.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
