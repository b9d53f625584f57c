"""The do-not-call list: people who asked not to be called are never dialed again by any campaign.

Every plan applies it (`plan.Context.suppressed`), so a create, a preview and a follow-up campaign
all drop the same numbers. The list lives in the journal's database, per account, as keyed hashes
(HMAC-SHA256 of the E.164 number with a key kept in the state directory): the database never holds
a phone number in the clear, and its rows cannot be reversed by hashing every number of a country
without the key. The operator may add a file (ZUDU_MCP_DO_NOT_CALL_FILE, one number per line, `#`
comments), read lazily on the first check and hashed in memory the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zudu_mcp.journal import Journal

KEY_FILE = "do-not-call.key"
MAX_NUMBERS = 1000  # per tool call


def load_key(state_dir: Path) -> bytes:
    """The state directory's HMAC key, created (0600) on first use. Instances that share a PostgreSQL
    journal must share this file too, or each sees only the numbers it added."""
    path = Path(state_dir) / KEY_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return bytes.fromhex(path.read_text().strip())
        with os.fdopen(fd, "w") as handle:
            handle.write(key.hex())
        return key


@dataclass
class Reading:
    """Numbers read from a tool's arguments: what could be read in E.164, and what could not (with why)."""

    numbers: list[str]
    refused: list[tuple[str, str]]


def read_numbers(values: Iterable[str], default_region: str | None) -> Reading:
    from zudu_mcp.recipients.phones import InvalidNumber, to_e164

    numbers: list[str] = []
    refused: list[tuple[str, str]] = []
    for value in values:
        try:
            e164 = to_e164(value, default_region)
        except InvalidNumber as exc:
            refused.append((value, str(exc)))
            continue
        numbers.append(e164)
    return Reading(list(dict.fromkeys(numbers)), refused)  # each once, in order (a set lookup: files can be large)


class DoNotCall:
    """One account's list: the journal's hashed rows plus the operator's file."""

    def __init__(self, journal: Journal, key: bytes, file: Path | None = None, default_region: str | None = None):
        self.journal, self.key, self.file, self.default_region = journal, key, file, default_region
        self._from_file: set[str] | None = None

    def digest(self, e164: str) -> str:
        return hmac.new(self.key, e164.encode(), hashlib.sha256).hexdigest()

    def file_hashes(self) -> set[str]:
        """The operator file's numbers, hashed; read once. A missing file is an operator error said at check time."""
        if self._from_file is None:
            found: set[str] = set()
            if self.file is not None:
                try:
                    text = Path(self.file).read_text(encoding="utf-8-sig")
                except (OSError, UnicodeError) as exc:  # never plan around a list that could not be read
                    from zudu_mcp.refusal import Refusal

                    why = getattr(exc, "strerror", None) or type(exc).__name__
                    raise Refusal(
                        f"the operator's do-not-call file (ZUDU_MCP_DO_NOT_CALL_FILE) could not be read ({why}), so nothing "
                        "was planned: the operator must fix or unset it.",
                        "do_not_call_file",
                    ) from None
                lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
                reading = read_numbers([line for line in lines if line], self.default_region)
                found = {self.digest(number) for number in reading.numbers}
            self._from_file = found
        return self._from_file

    def checker(self) -> Callable[[str], bool]:
        """A check for one plan: the list is read once, then each number costs one HMAC."""
        listed = self.journal.do_not_call_hashes() | self.file_hashes()
        if not listed:
            return lambda e164: False
        return lambda e164: self.digest(e164) in listed

    def where(self, e164: str) -> str | None:
        """'list', 'file' or None: where a number is listed."""
        number_hash = self.digest(e164)
        if number_hash in self.file_hashes():
            return "file"
        return "list" if number_hash in self.journal.do_not_call_hashes() else None

    def add(self, numbers: list[str]) -> int:
        return self.journal.add_do_not_call([self.digest(n) for n in numbers])

    def remove_hashes(self, hashes: list[str]) -> int:
        return self.journal.remove_do_not_call(hashes)


def for_backend(backend) -> DoNotCall:
    """The backend's list (one per backend: the operator file is read once per process)."""
    found = getattr(backend, "_do_not_call", None)
    if found is None:
        settings = backend.settings
        state = settings.state_dir / "sandbox" if settings.sandbox else settings.state_dir
        file = Path(settings.mcp_do_not_call_file).expanduser() if settings.mcp_do_not_call_file else None
        found = DoNotCall(backend.journal(), load_key(state), file, settings.default_region)
        backend._do_not_call = found
    return found
