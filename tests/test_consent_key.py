"""The token key is shared by every worker using one state directory, even when they start together."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from zudu_mcp.consent import ConfirmationTokens, load_or_create_secret


def test_workers_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: load_or_create_secret(tmp_path / "confirm.key"), range(16)))
    assert len(set(keys)) == 1 and len(keys[0]) == 32
    assert (tmp_path / "confirm.key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["confirm.key"]


def test_a_token_from_one_worker_is_accepted_by_another(tmp_path: Path) -> None:
    first = ConfirmationTokens(load_or_create_secret(tmp_path / "k"), clock=lambda: 1000.0)
    second = ConfirmationTokens(load_or_create_secret(tmp_path / "k"), clock=lambda: 1001.0)
    token, _ = first.issue("create_batch_call", "ab" * 32)
    assert second.check(token, "create_batch_call", "ab" * 32)
