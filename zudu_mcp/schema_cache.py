"""The published tool schemas, cached on disk so that start-up does not build the tools' argument models.

Building 12 argument models and their JSON schemas was a third of start-up. The cache is keyed by
everything the schemas come from: this package's source files (path, size, modification time),
the pydantic and SDK versions, and the settings that change what is published. A key that does
not match is a miss: the tools are built as before and the cache written again, so a stale
cache can never publish a wrong schema. Where nothing is writable there is simply no cache.

It lives in the package's own __pycache__ (where Python keeps its bytecode), else in the user's
cache directory; no platformdirs at start-up.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent
PREFIX = "tool-schemas-"


def key(*, variant: str) -> str:
    import mcp
    import pydantic

    sources = hashlib.sha256(f"{pydantic.VERSION}|{variant}".encode())
    for anchor in (Path(mcp.__file__),):
        stat = anchor.stat()
        sources.update(f"{anchor}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    for path in sorted(source_files(PACKAGE)):
        stat = os.stat(path)
        sources.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return sources.hexdigest()[:24]


def source_files(folder: Path) -> list[str]:
    found = []
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
            found += source_files(Path(entry.path))
        elif entry.name.endswith(".py"):
            found.append(entry.path)
    return found


def folders() -> list[Path]:
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return [PACKAGE / "__pycache__", Path(home) / "zudu-mcp"]


def load(wanted: str) -> dict[str, Any] | None:
    for folder in folders():
        try:
            return json.loads((folder / f"{PREFIX}{wanted}.json").read_text())
        except (OSError, ValueError):
            continue
    return None


def save(wanted: str, tools: dict[str, Any]) -> None:
    """Merges into what the same key holds (an allowlist publishes some tools only); removes other keys' files."""
    text = json.dumps((load(wanted) or {}) | tools, ensure_ascii=False)
    for folder in folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            temporary = folder / f".{PREFIX}{wanted}.{os.getpid()}.tmp"
            temporary.write_text(text)
            os.replace(temporary, folder / f"{PREFIX}{wanted}.json")
        except OSError:
            continue
        for old in folder.glob(f"{PREFIX}*.json"):
            if old.name != f"{PREFIX}{wanted}.json" and old.stat().st_mtime < (folder / f"{PREFIX}{wanted}.json").stat().st_mtime - 3600:
                old.unlink(missing_ok=True)
        return
