"""The one way domain code says no: a stable code for programs, a sentence with the fix for people."""

from __future__ import annotations


class Refusal(Exception):
    """Stops an action before anything is sent. `code` is stable; `message` says what to send instead."""

    def __init__(self, message: str, code: str = "invalid_arguments"):
        super().__init__(message)
        self.message, self.code = message, code

    def __str__(self) -> str:
        return self.message
