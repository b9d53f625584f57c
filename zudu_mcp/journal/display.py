"""One ledger entry as a line for people: the journal command and the zudu://journal resource."""

from __future__ import annotations

from datetime import UTC, datetime

from zudu_mcp.journal.ledger import Entry


def describe_entry(entry: Entry) -> str:
    when = datetime.fromtimestamp(entry.created_at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    outcome = {"pending": "pending (no answer recorded: may have reached Zudu)", "unknown": "unknown (may have reached Zudu)"}.get(entry.outcome, entry.outcome)
    details = ", ".join(x for x in (entry.batch_call_id, entry.status, entry.error) if x)
    return f"{when}  {entry.kind:<7} {entry.target or '':<40.40} {outcome}" + (f"  [{details}]" if details else "")
