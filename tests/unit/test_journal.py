"""The plan store, called directly on SQLite (a file) and, when ZUDU_TEST_POSTGRES_URL is set, on PostgreSQL.

Every rule delivery relies on is checked here with an injected clock: who may send a part, when
a part counts as abandoned, when a plan is found again, and that accounts never see each other.
"""

from __future__ import annotations

import copy
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from zudu_mcp.journal import DUPLICATE_WINDOW_SECONDS, HOST, OWNER, Journal

ADMIN_URL = os.environ.get("ZUDU_TEST_POSTGRES_URL")  # read at import: the autouse fixture clears ZUDU_* for each test
T0 = 1_770_883_200.0  # 2026-02-12 08:00 UTC
TASKS = '[{"to_number":"+919600011957"},{"to_number":"+919600011958"}]'
ACTION = "create_batch_call"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str]:
    """One throwaway database for this module (emptied before each test): a database per test would cost seconds."""
    if ADMIN_URL is None:
        pytest.skip("no PostgreSQL: set ZUDU_TEST_POSTGRES_URL (`.ci/start-postgres` prints one; `.ci/run` sets it)")
    import psycopg

    name = f"zudu_unit_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    Journal(url, account="schema").close()
    yield url
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "journal.sqlite3")
    url = request.getfixturevalue("postgres_database")
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute("TRUNCATE requests, plans, plan_parts, do_not_call")
    return url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def open_journal(location: str, clock: Clock) -> Iterator[Callable[..., Journal]]:
    opened: list[Journal] = []

    def open_(account: str = "a") -> Journal:
        journal = Journal(location, account=account, clock=clock)
        opened.append(journal)
        return journal

    yield open_
    for journal in opened:
        journal.close()


@pytest.fixture
def journal(open_journal: Callable[..., Journal]) -> Journal:
    return open_journal()


def stored_plan(journal: Journal, handle: str = "zp_1", intent: str = "intent-1", *, parts: int = 1, expires_in: float = 900, state: str = "open") -> str:
    """A plan as obtain_plan stores it: saved while building, its parts added as the list is read, then finished."""
    journal.save_plan(handle, ACTION, "building:" + handle, journal.clock() + expires_in, {}, state="building")
    for index in range(parts):
        journal.add_part(handle, index, 2, TASKS)
    names = [(index, f"Renewals (part {index + 1} of {parts})" if parts > 1 else "Renewals", f"hash-{index}") for index in range(parts)]
    journal.finish_plan(handle, intent, {"summary": "2 calls", "settings": {"agent_id": "agent_x"}}, names, state=state)
    return handle


# ---- storing a plan -----------------------------------------------------------------------------


def test_a_finished_plan_has_its_document_and_each_part_named_and_hashed(journal: Journal) -> None:
    stored_plan(journal, parts=2)
    plan = journal.plan("zp_1")
    assert plan is not None
    assert (plan.action, plan.intent, plan.state, plan.created_at, plan.expires_at) == (ACTION, "intent-1", "open", T0, T0 + 900)
    assert plan.doc == {"summary": "2 calls", "settings": {"agent_id": "agent_x"}}
    parts = journal.parts("zp_1")
    assert [(p.index, p.name, p.count, p.body_hash, p.outcome) for p in parts] == [
        (0, "Renewals (part 1 of 2)", 2, "hash-0", "new"),
        (1, "Renewals (part 2 of 2)", 2, "hash-1", "new"),
    ]
    assert journal.part_tasks("zp_1", 1) == TASKS and journal.part_tasks("zp_1", 2) is None


def test_a_plan_still_building_is_not_found_by_its_intent(journal: Journal) -> None:
    journal.save_plan("zp_1", ACTION, "intent-1", T0 + 900, {}, state="building")
    assert journal.plan_by_intent(ACTION, "intent-1") is None
    journal.drop_plan("zp_1")
    assert journal.plan("zp_1") is None and journal.parts("zp_1") == []


# ---- finding a plan again by its intent ------------------------------------------------------------


def test_an_open_plan_is_found_only_until_it_expires(journal: Journal, clock: Clock) -> None:
    stored_plan(journal, expires_in=900)
    clock.advance(899)
    assert journal.plan_by_intent(ACTION, "intent-1").handle == "zp_1"
    assert journal.plan_by_intent("delete_batch_call", "intent-1") is None  # another action is another intent
    clock.advance(2)
    assert journal.plan_by_intent(ACTION, "intent-1") is None


def test_a_confirmed_or_done_plan_is_found_for_24_hours_then_no_longer(journal: Journal, clock: Clock) -> None:
    stored_plan(journal, expires_in=900)
    assert journal.set_plan_state("zp_1", "confirmed", only_from=("open",))
    clock.advance(3600)
    assert journal.plan_by_intent(ACTION, "intent-1").state == "confirmed"  # expiry is for consent, not for the delivery
    assert journal.set_plan_state("zp_1", "done")
    clock.advance(DUPLICATE_WINDOW_SECONDS - 3600 - 1)
    assert journal.plan_by_intent(ACTION, "intent-1").state == "done"
    clock.advance(2)
    assert journal.plan_by_intent(ACTION, "intent-1") is None


def test_a_void_plan_is_never_found(journal: Journal) -> None:
    stored_plan(journal)
    assert journal.set_plan_state("zp_1", "void")
    assert journal.plan_by_intent(ACTION, "intent-1") is None


@pytest.mark.parametrize("outcome", ["unknown", "pending"])
def test_a_plan_with_an_unresolved_part_is_found_at_any_age(journal: Journal, clock: Clock, outcome: str) -> None:
    stored_plan(journal, parts=2)
    journal.set_plan_state("zp_1", "confirmed")
    journal.settle_part("zp_1", 0, "ok", batch={"batch_call_id": "batch_call_1"})
    assert journal.claim_part("zp_1", 1, ("new",), 20)
    if outcome == "unknown":
        journal.settle_part("zp_1", 1, "unknown", error="OutcomeUnknown")
    journal.set_plan_state("zp_1", "void")  # whatever its state: Zudu may hold a batch of it
    clock.advance(30 * 86_400)
    assert journal.plan_by_intent(ACTION, "intent-1").handle == "zp_1"
    journal.settle_part("zp_1", 1, "ok", batch={"batch_call_id": "batch_call_2"})
    assert journal.plan_by_intent(ACTION, "intent-1") is None


def test_the_latest_plan_of_an_intent_is_the_one_found(journal: Journal, clock: Clock) -> None:
    stored_plan(journal, "zp_1")
    clock.advance(10)
    stored_plan(journal, "zp_2")
    assert journal.plan_by_intent(ACTION, "intent-1").handle == "zp_2"


# ---- sending a part: claims, leases, outcomes ---------------------------------------------------


def test_only_one_sender_claims_a_part(open_journal: Callable[..., Journal], clock: Clock) -> None:
    first, second = open_journal(), open_journal()  # two connections, as two workers would have
    stored_plan(first)
    assert first.claim_part("zp_1", 0, ("new", "failed"), 20)
    assert not second.claim_part("zp_1", 0, ("new", "failed"), 20)
    assert not first.claim_part("zp_1", 0, ("new", "failed"), 20)
    [part] = second.parts("zp_1")
    assert (part.outcome, part.owner, part.lease_until, part.attempted_at) == ("pending", OWNER, T0 + 20, T0)


def test_a_part_is_claimed_only_from_the_outcomes_named(journal: Journal) -> None:
    stored_plan(journal)
    assert not journal.claim_part("zp_1", 0, ("unknown",), 20)
    assert journal.claim_part("zp_1", 0, ("new",), 20)
    journal.settle_part("zp_1", 0, "failed", error="RequestRejected")
    assert journal.claim_part("zp_1", 0, ("failed",), 20)  # a refused part may be sent again
    journal.settle_part("zp_1", 0, "ok", batch={"batch_call_id": "batch_call_1"})
    assert not journal.claim_part("zp_1", 0, ("new", "failed", "unknown"), 20)  # an existing part never


def test_renewing_a_lease_moves_it_forward_only_while_this_process_sends(journal: Journal, clock: Clock) -> None:
    stored_plan(journal)
    journal.claim_part("zp_1", 0, ("new",), 20)
    clock.advance(15)
    journal.renew_lease("zp_1", 0, 20)
    assert journal.parts("zp_1")[0].lease_until == T0 + 35
    journal.settle_part("zp_1", 0, "unknown", error="OutcomeUnknown")
    clock.advance(5)
    journal.renew_lease("zp_1", 0, 20)
    assert journal.parts("zp_1")[0].lease_until is None  # a settled part has no lease to renew


def test_a_lease_held_by_another_process_is_not_renewed_by_this_one(journal: Journal) -> None:
    stored_plan(journal)
    journal.claim_part("zp_1", 0, ("new",), 20)
    journal.db.run("UPDATE plan_parts SET owner = ? WHERE handle = ?", ("other-host:1:1", "zp_1"))
    journal.renew_lease("zp_1", 0, 999)
    assert journal.parts("zp_1")[0].lease_until == T0 + 20


def test_an_ok_part_forgets_its_recipients_and_keeps_zudus_answer(journal: Journal) -> None:
    stored_plan(journal)
    journal.claim_part("zp_1", 0, ("new",), 20)
    assert journal.settle_part("zp_1", 0, "ok", batch={"batch_call_id": "batch_call_1", "status": "scheduled"})
    [part] = journal.parts("zp_1")
    assert (part.outcome, part.batch_call_id, part.batch, part.lease_until) == (
        "ok",
        "batch_call_1",
        {"batch_call_id": "batch_call_1", "status": "scheduled"},
        None,
    )
    assert journal.part_tasks("zp_1", 0) is None


@pytest.mark.parametrize("outcome", ["failed", "unknown"])
def test_a_part_that_does_not_exist_for_sure_keeps_its_recipients(journal: Journal, outcome: str) -> None:
    stored_plan(journal)
    journal.claim_part("zp_1", 0, ("new",), 20)
    journal.settle_part("zp_1", 0, outcome, error="x")
    assert journal.part_tasks("zp_1", 0) == TASKS and journal.parts("zp_1")[0].error == "x"


def test_settling_with_an_expected_outcome_does_nothing_when_it_changed(journal: Journal) -> None:
    stored_plan(journal)
    journal.claim_part("zp_1", 0, ("new",), 20)
    assert not journal.settle_part("zp_1", 0, "ok", batch={"batch_call_id": "b"}, expected="unknown")
    assert journal.parts("zp_1")[0].outcome == "pending"
    assert journal.settle_part("zp_1", 0, "unknown", expected="pending")


def test_a_pending_part_is_abandoned_only_once_its_lease_ran_out(journal: Journal, clock: Clock) -> None:
    stored_plan(journal)
    journal.claim_part("zp_1", 0, ("new",), 20)
    journal.db.run("UPDATE plan_parts SET owner = ? WHERE handle = ?", ("other-host:1:1", "zp_1"))  # only its lease tells
    clock.advance(19)
    assert not journal.abandon_part("zp_1", 0, "other-host:1:1")
    assert journal.parts("zp_1")[0].outcome == "pending"
    clock.advance(2)
    assert journal.abandon_part("zp_1", 0, "other-host:1:1")
    [part] = journal.parts("zp_1")
    assert (part.outcome, part.error) == ("unknown", "abandoned mid-request")
    assert not journal.abandon_part("zp_1", 0)  # only a pending part


def dead_pid() -> int:
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1  # no process can have it


@pytest.mark.parametrize("owner", [f"{HOST}:{dead_pid()}:1", f"{HOST}:{os.getpid()}:not-my-start-time"], ids=["exited", "pid reused"])
def test_a_pending_part_whose_sender_died_on_this_host_is_abandoned_at_once(journal: Journal, owner: str) -> None:
    stored_plan(journal)
    journal.claim_part("zp_1", 0, ("new",), 20)
    journal.db.run("UPDATE plan_parts SET owner = ? WHERE handle = ?", (owner, "zp_1"))
    assert journal.abandon_part("zp_1", 0, owner)  # the lease has 20 s to go
    [part] = journal.parts("zp_1")
    assert (part.outcome, part.error) == ("unknown", "sender died mid-request")


def test_a_live_sender_in_this_process_is_not_abandoned_before_its_lease(journal: Journal) -> None:
    stored_plan(journal)
    journal.claim_part("zp_1", 0, ("new",), 20)
    assert not journal.abandon_part("zp_1", 0, OWNER)
    assert journal.parts("zp_1")[0].outcome == "pending"


def test_one_look_up_at_zudu_per_unknown_part_at_a_time(open_journal: Callable[..., Journal], clock: Clock) -> None:
    first, second = open_journal(), open_journal()
    stored_plan(first)
    assert not first.lock_reconcile("zp_1", 0, 60)  # a new part has nothing to look up
    first.claim_part("zp_1", 0, ("new",), 20)
    first.settle_part("zp_1", 0, "unknown", error="OutcomeUnknown")
    assert first.lock_reconcile("zp_1", 0, 60)
    assert not second.lock_reconcile("zp_1", 0, 60)
    clock.advance(61)
    assert second.lock_reconcile("zp_1", 0, 60)  # a holder that died lets go when its lock runs out
    second.unlock_reconcile("zp_1", 0)
    assert first.lock_reconcile("zp_1", 0, 60)


# ---- one delivery per intent, campaigns, accounts --------------------------------------------------


def test_only_one_plan_of_an_intent_is_confirmed_at_a_time(journal: Journal) -> None:
    stored_plan(journal, "zp_1")
    stored_plan(journal, "zp_2")
    assert journal.set_plan_state("zp_1", "confirmed", only_from=("open",))
    assert not journal.set_plan_state("zp_2", "confirmed", only_from=("open",))
    assert journal.plan("zp_2").state == "open"
    assert not journal.set_plan_state("zp_1", "confirmed", only_from=("open",))  # already confirmed
    assert journal.set_plan_state("zp_1", "done", only_from=("confirmed",))
    assert journal.set_plan_state("zp_2", "confirmed", only_from=("open",))  # once delivered, a deliberate repeat may go
    stored_plan(journal, "zp_3", "intent-2")
    assert journal.set_plan_state("zp_3", "confirmed")  # another intent is another delivery


def test_the_campaign_of_a_batch_is_the_plan_that_created_it(journal: Journal) -> None:
    stored_plan(journal, parts=2)
    journal.settle_part("zp_1", 1, "ok", batch={"batch_call_id": "batch_call_2"})
    found = journal.campaign_of("batch_call_2")
    assert found is not None
    plan, parts = found
    assert plan.handle == "zp_1" and [p.batch_call_id for p in parts] == [None, "batch_call_2"]
    assert journal.campaign_of("batch_call_elsewhere") is None


@pytest.mark.parametrize("view", ["own connection", "copy on the same connection"])
def test_accounts_never_see_each_others_plans_requests_or_lists(open_journal: Callable[..., Journal], view: str) -> None:
    mine = open_journal("a")
    if view == "own connection":
        theirs = open_journal("b")
    else:  # what the team server's backend does for another organization
        theirs = copy.copy(mine)
        theirs.account = "b"
        assert theirs.db is mine.db
    stored_plan(mine)
    mine.settle_part("zp_1", 0, "ok", batch={"batch_call_id": "batch_call_1"})
    mine.record_intent("create", {"name": "Renewals", "tasks": [{"to_number": "+919600011957"}]}, "Renewals")
    mine.add_do_not_call(["hash-1"])
    assert theirs.plan("zp_1") is None and theirs.plan_by_intent(ACTION, "intent-1") is None
    assert theirs.campaign_of("batch_call_1") is None
    assert not theirs.set_plan_state("zp_1", "void")
    assert theirs.recent() == [] and theirs.do_not_call_hashes() == set()
    assert theirs.previous("create", {"name": "Renewals", "tasks": [{"to_number": "+919600011957"}]}) is None
    assert mine.plan("zp_1").state == "open" and mine.do_not_call_hashes() == {"hash-1"}


def test_recent_by_account_lists_every_account_newest_first_without_numbers(open_journal: Callable[..., Journal]) -> None:
    first, second = open_journal("b"), open_journal("a")
    for index in range(3):
        first.record_intent("create", {"name": f"B{index}", "tasks": [{"to_number": "+919600011957"}]}, f"B{index}")
    entry = second.record_intent("delete", {"batch_call_id": "batch_call_1"}, "batch_call_1")
    second.record_outcome(entry, "ok", batch_call_id="batch_call_1", status="deleted")
    found = first.recent_by_account(limit=2)
    assert list(found) == ["a", "b"]
    assert [e.target for e in found["b"]] == ["B2", "B1"]
    assert (found["a"][0].kind, found["a"][0].outcome, found["a"][0].status) == ("delete", "ok", "deleted")
    assert found["b"][0].redacted == {"name": "B2", "tasks": "1 recipients"}


def test_an_identical_request_is_remembered_for_24_hours(journal: Journal, clock: Clock) -> None:
    body = {"name": "Renewals", "tasks": [{"to_number": "+919600011957"}]}
    entry = journal.record_intent("create", body, "Renewals")
    journal.record_outcome(entry, "ok", batch_call_id="batch_call_1", status="scheduled")
    clock.advance(DUPLICATE_WINDOW_SECONDS - 1)
    assert journal.previous("create", dict(reversed(body.items()))).batch_call_id == "batch_call_1"  # key order does not matter
    clock.advance(2)
    assert journal.previous("create", body) is None


def test_a_transaction_that_fails_leaves_nothing_behind(journal: Journal) -> None:
    stored_plan(journal)
    with pytest.raises(RuntimeError), journal.db.transaction(synced=False) as statements:
        statements.execute("UPDATE plans SET state = ? WHERE handle = ?", ("void", "zp_1"))
        raise RuntimeError("mid-way")
    assert journal.plan("zp_1").state == "open"
    assert journal.set_plan_state("zp_1", "confirmed")  # the connection (and its lock) still work
