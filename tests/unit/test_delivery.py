"""Delivery called directly: a stored plan, a real ZuduClient against the loopback double, a SQLite journal, no MCP.

The journal's clock is injected, so settle times and leases pass by assignment, never by sleeping;
every test counts what reached the double (`zudu_double.creates`).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import anyio
import pytest

from tests.conftest import API_KEY, API_SECRET, SEED_NOW, Reply, ZuduDouble
from zudu_mcp.campaign import Campaign
from zudu_mcp.config import Settings
from zudu_mcp.delivery import Delivery, Options, Stopped, deliver
from zudu_mcp.journal import OWNER, Journal, StoredPlan
from zudu_mcp.plan import Context, Part, choose_agent, plan_create
from zudu_mcp.recipients.sources import read_csv_text, rows_from_tasks
from zudu_mcp.zudu.client import ZuduClient

pytestmark = pytest.mark.anyio
AGENT_ID = "agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e"
CALLER = "+918035315547"
TRIGGER_MS = int((SEED_NOW + timedelta(days=1)).timestamp() * 1000)
NOW_OPTIONS = Options(settle_seconds=0, wait_seconds=0)  # settle and wait decided by the clock alone


class Clock:
    def __init__(self) -> None:
        self.now = SEED_NOW.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def journal(clock: Clock) -> AsyncIterator[Journal]:
    # In the state directory, so the suite's secrets check reads this journal too.
    journal = Journal(Path(os.environ["ZUDU_MCP_STATE_DIR"]) / "journal.sqlite3", account="acct", clock=clock)
    yield journal
    journal.close()


@pytest.fixture
async def client(zudu_double: ZuduDouble) -> AsyncIterator[ZuduClient]:
    async def no_sleep(seconds: float) -> None:
        raise AssertionError("delivery never retries a create by itself")

    client = ZuduClient(base_url=zudu_double.url, api_key=API_KEY, api_secret=API_SECRET, timeout=5, sleep=no_sleep)
    yield client
    await client.aclose()


def read_rows(kind: str, value: Any, phone_column: str | None):
    return (rows_from_tasks(value), "the inline tasks") if kind == "tasks" else (read_csv_text(value, phone_column), "the CSV")


def stored(journal: Journal, recipients: int = 2, handle: str = "zp_test") -> tuple[StoredPlan, list[dict[str, Any]]]:
    """A plan stored as obtain_plan stores it, confirmed; and the exact body of each part, as Zudu must receive it."""
    campaign = Campaign.model_validate(
        {
            "name": "Renewals",
            "agent_id": AGENT_ID,
            "from_number": CALLER,
            "trigger_timestamp": TRIGGER_MS,
            "recipients_csv": "phone\n" + "\n".join(f"+9196{i:08d}" for i in range(recipients)),
        }
    )
    agent = choose_agent(AGENT_ID, [SimpleNamespace(agent_id=AGENT_ID, name="Sales-Renewals")])
    tasks: dict[int, str] = {}

    def store_part(part: Part) -> None:
        tasks[part.index] = part.tasks_json
        journal.add_part(handle, part.index, part.count, part.tasks_json)

    journal.save_plan(handle, "create_batch_call", "building:" + handle, journal.clock() + 900, {}, state="building")
    plan = plan_create(campaign, agent, CALLER, None, Context(SEED_NOW, journal.account, Settings(), read_rows), store_part)
    journal.finish_plan(handle, plan.intent, plan.doc | {"summary": plan.summary}, [(p.index, p.name, p.body_hash) for p in plan.parts])
    assert journal.set_plan_state(handle, "confirmed", only_from=("open",))
    bodies = [plan.body(Part(p.index, p.name, p.count, tasks[p.index])) for p in plan.parts]
    return journal.plan(handle), bodies


async def bounded(plan: StoredPlan, client: ZuduClient, journal: Journal, options: Options) -> Delivery:
    """A delivery that loops instead of deciding fails the test in seconds instead of hanging it."""
    with anyio.fail_after(5):
        return await deliver(plan, client, journal, options)


async def stopped(plan: StoredPlan, client: ZuduClient, journal: Journal, options: Options) -> list[tuple[str, Any]]:
    with pytest.raises(Stopped) as caught:
        await bounded(plan, client, journal, options)
    return [(part.status, part.batch.batch_call_id if part.batch else None) for part in caught.value.delivery.parts]


async def test_a_plan_is_created_once_exactly_as_stored(zudu_double: ZuduDouble, client: ZuduClient, journal: Journal) -> None:
    plan, bodies = stored(journal)
    delivery = await bounded(plan, client, journal, NOW_OPTIONS)
    assert [p.status for p in delivery.parts] == ["created"] and delivery.complete
    assert [r.body for r in zudu_double.creates] == bodies
    assert bodies[0]["tasks"] == [{"to_number": "+919600000000"}, {"to_number": "+919600000001"}]
    [part] = journal.parts(plan.handle)
    assert (part.outcome, part.batch_call_id) == ("ok", delivery.batches[0].batch_call_id)
    assert journal.part_tasks(plan.handle, 0) is None  # the numbers are forgotten once the batch exists
    [entry] = journal.recent()
    assert (entry.kind, entry.outcome, entry.batch_call_id) == ("create", "ok", part.batch_call_id)
    again = await bounded(plan, client, journal, NOW_OPTIONS)  # a retry of a delivered plan sends nothing
    assert [p.status for p in again.parts] == ["existing"] and len(zudu_double.creates) == 1


async def test_a_lost_answer_is_unknown_and_the_retry_finds_the_batch(zudu_double: ZuduDouble, client: ZuduClient, journal: Journal) -> None:
    plan, _ = stored(journal)
    zudu_double.replies.append(Reply(acts=True, drop=True))  # Zudu creates it, the answer never arrives
    assert await stopped(plan, client, journal, NOW_OPTIONS) == [("unknown", None)]
    assert journal.parts(plan.handle)[0].outcome == "unknown" and journal.recent()[0].outcome == "unknown"
    delivery = await bounded(plan, client, journal, NOW_OPTIONS)
    assert [(p.status, p.batch.batch_call_id) for p in delivery.parts] == [("found", zudu_double.batches[0]["batch_call_id"])]
    assert len(zudu_double.creates) == 1
    assert journal.parts(plan.handle)[0].outcome == "ok"


async def test_before_the_settle_time_an_unknown_part_is_settling_then_found(
    zudu_double: ZuduDouble, client: ZuduClient, journal: Journal, clock: Clock
) -> None:
    plan, _ = stored(journal)
    options = Options(settle_seconds=90, wait_seconds=10)
    zudu_double.replies.append(Reply(acts=True, drop=True))
    await stopped(plan, client, journal, options)
    clock.advance(30)
    with pytest.raises(Stopped) as caught:
        await bounded(plan, client, journal, options)
    [part] = caught.value.delivery.parts
    assert (part.status, part.retry_at) == ("settling", clock() - 30 + 90)
    assert not [r for r in zudu_double.calls if r.path == "/batch-call/list"]  # too early even to look
    clock.advance(61)
    delivery = await bounded(plan, client, journal, options)
    assert [p.status for p in delivery.parts] == ["found"] and len(zudu_double.creates) == 1


async def test_an_empty_list_proves_nothing_and_nothing_is_resent(zudu_double: ZuduDouble, client: ZuduClient, journal: Journal) -> None:
    plan, _ = stored(journal)
    zudu_double.replies.append(Reply(drop=True))  # this time Zudu did not create it: but nobody can know
    await stopped(plan, client, journal, NOW_OPTIONS)
    for _ in range(2):
        assert await stopped(plan, client, journal, NOW_OPTIONS) == [("unconfirmed", None)]
    assert len(zudu_double.creates) == 1
    assert [r.path for r in zudu_double.calls].count("/batch-call/list") >= 2  # it looked each time
    assert journal.part_tasks(plan.handle, 0) is not None  # kept, for an explicit resend


async def test_resend_unknown_sends_exactly_once_more(zudu_double: ZuduDouble, client: ZuduClient, journal: Journal) -> None:
    plan, bodies = stored(journal)
    zudu_double.replies.append(Reply(drop=True))
    await stopped(plan, client, journal, NOW_OPTIONS)
    resend = Options(settle_seconds=0, wait_seconds=0, resend_unknown=True)
    delivery = await bounded(plan, client, journal, resend)
    assert [p.status for p in delivery.parts] == ["created"]
    again = await bounded(plan, client, journal, resend)  # the same yes repeated sends nothing more
    assert [p.status for p in again.parts] == ["existing"]
    assert [r.body for r in zudu_double.creates] == bodies * 2


async def test_a_refused_part_is_failed_and_a_later_delivery_resumes_from_it(zudu_double: ZuduDouble, client: ZuduClient, journal: Journal) -> None:
    plan, bodies = stored(journal, recipients=1500)
    assert [b["name"] for b in bodies] == ["Renewals (part 1 of 2)", "Renewals (part 2 of 2)"]
    first = zudu_double.behave_like_zudu

    def second_refused(request: Any) -> Reply:
        if request.path == "/batch-call" and len(zudu_double.creates) == 2:
            return Reply(400, {"status": "error", "message": "Insufficient balance"})
        return first(request)

    zudu_double.default = second_refused
    assert await stopped(plan, client, journal, NOW_OPTIONS) == [("created", zudu_double.batches[0]["batch_call_id"]), ("failed", None)]
    assert [p.outcome for p in journal.parts(plan.handle)] == ["ok", "failed"]
    zudu_double.default = first
    delivery = await bounded(plan, client, journal, NOW_OPTIONS)
    assert [p.status for p in delivery.parts] == ["existing", "created"]
    assert [r.body for r in zudu_double.creates] == [bodies[0], bodies[1], bodies[1]]
    assert [len(r.body["tasks"]) for r in zudu_double.creates] == [1000, 500, 500]


async def test_a_later_part_is_not_sent_while_an_earlier_one_is_unresolved(zudu_double: ZuduDouble, client: ZuduClient, journal: Journal) -> None:
    plan, _ = stored(journal, recipients=1001)
    zudu_double.replies.append(Reply(drop=True))
    assert await stopped(plan, client, journal, NOW_OPTIONS) == [("unknown", None), ("not_sent", None)]
    assert len(zudu_double.creates) == 1 and [p.outcome for p in journal.parts(plan.handle)] == ["unknown", "new"]


async def test_a_part_another_sender_holds_is_waited_for_not_sent(zudu_double: ZuduDouble, client: ZuduClient, journal: Journal, clock: Clock) -> None:
    plan, _ = stored(journal)
    assert journal.claim_part(plan.handle, 0, ("new",), 20)  # a live sender (this very process) is in flight
    with pytest.raises(Stopped) as caught:
        await bounded(plan, client, journal, NOW_OPTIONS)
    [part] = caught.value.delivery.parts
    assert (part.status, part.retry_at, part.error) == ("waiting", clock() + 20, "another request is sending this part right now")
    assert zudu_double.creates == [] and journal.parts(plan.handle)[0].owner == OWNER
    clock.advance(21)  # its lease ran out without an outcome: Zudu may have acted, so it is looked up, not resent
    assert await stopped(plan, client, journal, NOW_OPTIONS) == [("unconfirmed", None)]
    assert zudu_double.creates == [] and journal.parts(plan.handle)[0].error == "abandoned mid-request"


async def test_progress_is_reported_part_by_part(zudu_double: ZuduDouble, client: ZuduClient, journal: Journal) -> None:
    plan, _ = stored(journal, recipients=1001)
    seen: list[tuple[int, int]] = []

    async def progress(done: int, total: int) -> None:
        seen.append((done, total))

    delivery = await bounded(plan, client, journal, Options(settle_seconds=0, wait_seconds=0, progress=progress))
    assert seen == [(0, 2), (1, 2), (2, 2)] and len(delivery.batches) == 2 and len(zudu_double.creates) == 2
    assert json.dumps([r.body for r in zudu_double.creates]).count("+919600001000") == 1


async def test_a_lease_that_ends_exactly_now_counts_as_run_out(zudu_double: ZuduDouble, client: ZuduClient, journal: Journal, clock: Clock) -> None:
    plan, _ = stored(journal)
    journal.claim_part(plan.handle, 0, ("new",), 20)
    clock.advance(20)
    with anyio.fail_after(1), pytest.raises(Stopped) as caught:
        await deliver(plan, client, journal, NOW_OPTIONS)
    assert [p.status for p in caught.value.delivery.parts] == ["unconfirmed"] and zudu_double.creates == []
