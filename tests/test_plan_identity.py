"""The one-pass identity of a create equals the digests of its parts: intents stored before it keep matching."""

from __future__ import annotations

from zudu_mcp.plan import digest, field_hashes, identity, intent_of


def test_identity_equals_the_separate_hashes() -> None:
    given = {
        "name": "Renewals «Ω»",
        "tasks": [{"to_number": "+919600011957", "dynamic_variables": {"b": "2", "a": "ü"}}, {"to_number": "+14155550123"}],
        "agent_id": "agent_x",
        "send_now": True,
        "trigger_timestamp": 1771573740000,
        "quiet_hours": {"start_time": "22:00", "end_time": "08:00", "timezone": "Asia/Kolkata", "enabled": True},
    }
    found = identity("create_batch_call", "sandbox", given)
    assert found.intent == digest({"action": "create_batch_call", "account": "sandbox", "arguments": given})[:40]
    assert found.fields == {key: digest(value)[:16] for key, value in given.items()}
    assert intent_of("create_batch_call", "sandbox", given) == found.intent and field_hashes(given) == found.fields
    assert identity("create_batch_call", "other", given).intent != found.intent
