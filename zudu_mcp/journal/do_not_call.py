"""The do-not-call list's rows: keyed hashes per account, never numbers (the list itself is zudu_mcp.suppression)."""

from __future__ import annotations

from zudu_mcp.journal.store import Store


class DoNotCallList(Store):
    def add_do_not_call(self, hashes: list[str]) -> int:
        """How many were new."""
        added = 0
        for number_hash in hashes:
            cursor = self.db.run(
                "INSERT INTO do_not_call (account, number_hash, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", (self.account, number_hash, self.clock())
            )
            added += max(cursor.rowcount, 0)
        return added

    def remove_do_not_call(self, hashes: list[str]) -> int:
        removed = 0
        for number_hash in hashes:
            removed += self.db.run("DELETE FROM do_not_call WHERE account = ? AND number_hash = ?", (self.account, number_hash)).rowcount
        return removed

    def do_not_call_hashes(self) -> set[str]:
        return {row[0] for row in self.db.run("SELECT number_hash FROM do_not_call WHERE account = ?", (self.account,)).fetchall()}
