"""Who is sending: this process's identity in the journal, and whether another sender still runs.

A pending row names its sender as host:pid:start. On this host a sender that no longer runs
(or whose pid now belongs to another process) is known to be gone at once; on another host only
its lease tells.
"""

from __future__ import annotations

import os
import socket

HOST = os.environ.get("ZUDU_MCP_HOST_ID") or socket.gethostname()  # tests run two "hosts" on one machine


def process_start(pid: int) -> str:
    """When a process started (Linux), so that a reused pid is not mistaken for the sender that died."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


OWNER = f"{HOST}:{os.getpid()}:{process_start(os.getpid())}"


def owner_gone(owner: str | None) -> bool:
    """True only when the sender ran on this host and that very process no longer runs."""
    host, _, rest = (owner or "").partition(":")
    pid, _, started = rest.partition(":")
    if host != HOST or not pid.isdigit():
        return False  # another host: only its lease tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return bool(started) and process_start(int(pid)) not in ("", started)
