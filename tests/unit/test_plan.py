"""The plan of a create, called directly: values in (now, settings, a row reader), a Plan or a Refusal out; no MCP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import SEED_NOW
from zudu_mcp.campaign import Campaign
from zudu_mcp.config import Settings
from zudu_mcp.plan import WIRE_ORDER, Context, Part, Plan, calling_findings, choose_agent, choose_caller, intent_of, plan_create
from zudu_mcp.recipients.sources import read_csv_text, rows_from_tasks
from zudu_mcp.refusal import Refusal
from zudu_mcp.zudu.models import MAX_NAME_LENGTH, CreateBatchCallRequest

AGENT_ID = "agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e"
INDIA_CALLER = "+918035315547"
US_CALLER = "+12025550123"


def read_rows(kind: str, value: Any, phone_column: str | None):
    """The same reader the tool passes in (tools/batch_calls.py), without files."""
    if kind == "tasks":
        return rows_from_tasks(value), "the inline tasks"
    if kind == "recipients_csv":
        return read_csv_text(value, phone_column), "the CSV"
    raise AssertionError(f"unexpected source {kind}")


def build(
    arguments: dict[str, Any], *, now: datetime = SEED_NOW, settings: Settings | None = None, from_number: str = INDIA_CALLER, account: str = "acct"
) -> tuple[Plan, dict[int, str]]:
    """A plan and what was handed to `store_part` (copied at the moment: the plan clears its own copy)."""
    stored: dict[int, str] = {}
    campaign = Campaign.model_validate({"name": "Renewals", "agent_id": AGENT_ID} | arguments)
    agent = choose_agent(campaign.agent_id, [SimpleNamespace(agent_id=AGENT_ID, name="Sales-Renewals")])
    context = Context(now, account, settings or Settings(), read_rows)
    plan = plan_create(campaign, agent, from_number, None, context, lambda part: stored.__setitem__(part.index, part.tasks_json))
    return plan, stored


def refused(arguments: dict[str, Any], **options: Any) -> Refusal:
    with pytest.raises(Refusal) as caught:
        build(arguments, **options)
    return caught.value


def kinds(plan: Plan) -> list[str]:
    return [finding.kind for finding in plan.findings]


def text_of(plan: Plan, kind: str) -> str:
    return " | ".join(finding.text for finding in plan.findings if finding.kind == kind)


# ---- parts and their bodies ---------------------------------------------------------------------


def test_inline_tasks_make_one_part_with_normalised_numbers_and_text_variables() -> None:
    plan, stored = build(
        {"send_now": True, "tasks": [{"to_number": "+91 96000 11957", "dynamic_variables": {"name": "Aswathi", "due": 42}}, {"to_number": "+919600011958"}]}
    )
    assert [(p.index, p.name, p.count) for p in plan.parts] == [(0, "Renewals", 2)]
    assert json.loads(stored[0]) == [{"to_number": "+919600011957", "dynamic_variables": {"name": "Aswathi", "due": "42"}}, {"to_number": "+919600011958"}]
    assert plan.action == "create_batch_call" and plan.doc["recipients"] == 2 and plan.doc["mode"] == "now"
    assert "+9196" not in json.dumps(plan.doc)  # the stored document never holds a recipient's number


def test_the_body_of_a_part_is_the_settings_plus_its_name_and_tasks_in_zudus_order() -> None:
    plan, stored = build(
        {
            "schedule": "tomorrow at 10am",
            "timezone": "Asia/Kolkata",
            "retry_config": {"max_attempts": 3},
            "quiet_hours": {"start_time": "22:00", "end_time": "08:00", "timezone": "Asia/Kolkata"},
            "tasks": [{"to_number": "+919600011957"}],
        }
    )
    part = plan.parts[0]
    body = plan.body(Part(part.index, part.name, part.count, stored[0]))
    assert list(body) == [key for key in WIRE_ORDER if key in body]
    assert body == {
        "from_number": INDIA_CALLER,
        "name": "Renewals",
        "agent_id": AGENT_ID,
        "retry_config": {"enabled": True, "max_attempts": 3},
        "quiet_hours": {"enabled": True, "start_time": "22:00", "end_time": "08:00", "timezone": "Asia/Kolkata"},
        "send_now": False,
        "tasks": [{"to_number": "+919600011957"}],
        "timezone": "Asia/Kolkata",
        "trigger_timestamp": plan.trigger_ms,
    }
    CreateBatchCallRequest.model_validate(body)  # what is sent is what Zudu's own rules accept


def test_over_a_thousand_recipients_are_split_into_named_parts_of_at_most_a_thousand() -> None:
    csv = "phone\n" + "\n".join(f"+9196{index:08d}" for index in range(2500))
    plan, stored = build({"send_now": True, "recipients_csv": csv})
    assert [(p.name, p.count) for p in plan.parts] == [("Renewals (part 1 of 3)", 1000), ("Renewals (part 2 of 3)", 1000), ("Renewals (part 3 of 3)", 500)]
    assert [len(json.loads(stored[i])) for i in range(3)] == [1000, 1000, 500]
    assert json.loads(stored[2])[-1] == {"to_number": "+919600002499"}
    assert "3 batches of at most 1000" in text_of(plan, "parts") and plan.doc["parts"] == 3
    assert len({p.body_hash for p in plan.parts}) == 3


def test_a_long_name_is_cut_so_that_every_part_name_fits_zudus_limit() -> None:
    csv = "phone\n" + "\n".join(f"+9196{index:08d}" for index in range(1001))
    plan, _ = build({"name": "N" * MAX_NAME_LENGTH, "send_now": True, "recipients_csv": csv})
    assert [len(p.name) for p in plan.parts] == [MAX_NAME_LENGTH, MAX_NAME_LENGTH]
    assert plan.parts[1].name.endswith("N (part 2 of 2)")


# ---- findings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "settings", "expected"),
    [
        ({}, Settings(), "1 number without a country code read as IN (the region of from_number)"),
        ({}, Settings(default_region="IN"), "read as IN (ZUDU_DEFAULT_REGION)"),
        ({"default_region": "in"}, Settings(), "read as IN (given)"),
    ],
    ids=["from the caller", "from the setting", "given"],
)
def test_numbers_without_a_country_code_say_which_region_read_them(arguments: dict, settings: Settings, expected: str) -> None:
    plan, stored = build(arguments | {"send_now": True, "tasks": [{"to_number": "96000 11957"}, {"to_number": "+14155550100"}]}, settings=settings)
    assert expected in text_of(plan, "region")
    assert json.loads(stored[0])[0] == {"to_number": "+919600011957"}


def test_dropped_rows_are_a_warning_with_their_lines_and_are_not_sent() -> None:
    plan, stored = build(
        {
            "send_now": True,
            "tasks": [{"to_number": "+919600011957"}, {"to_number": "not a number"}, {"to_number": "+91 96000 11957"}, {"to_number": INDIA_CALLER}],
        }
    )
    [dropped] = [f for f in plan.findings if f.kind == "dropped"]
    assert dropped.warning and dropped.text.startswith("3 rows of the inline tasks not called (2 refused, 1 duplicate")
    assert "line 2" in dropped.text and "line 3" in dropped.text and "line 4" in dropped.text
    assert [t["to_number"] for t in json.loads(stored[0])] == ["+919600011957"]
    assert plan.doc["problems"]["refused"] == 2 and plan.doc["problems"]["duplicates"] == 1


def test_calling_outside_the_recipients_local_window_is_a_warning() -> None:
    # 08:00 UTC is 13:30 in India but 00:00 in San Francisco.
    plan, _ = build({"send_now": True, "tasks": [{"to_number": "+919600011957"}, {"to_number": "+14155550100"}, {"to_number": "+14155550101"}]})
    [window] = [f for f in plan.findings if f.kind == "calling_window"]
    assert window.warning and window.text == ("2 recipients would be called outside 08:00-21:00 their local time: 2 in America/Los_Angeles (Thu 00:00)")


def test_a_draft_calls_nobody_so_has_no_window_findings() -> None:
    plan, _ = build(
        {"status": "draft", "tasks": [{"to_number": "+14155550100"}], "quiet_hours": {"start_time": "07:00", "end_time": "09:00", "timezone": "UTC"}}
    )
    assert plan.doc["mode"] == "draft" and not {"calling_window", "quiet_hours"} & set(kinds(plan))


def test_quiet_hours_that_cover_the_start_say_when_calls_first_go_out() -> None:
    start = int(datetime(2026, 2, 12, 23, 0, tzinfo=ZoneInfo("Asia/Kolkata")).timestamp() * 1000)
    found = calling_findings(
        start, {"Asia/Kolkata": 3}, {"start_time": "22:00", "end_time": "08:00", "timezone": "Asia/Kolkata"}, "08:00-21:00", "Asia/Kolkata", SEED_NOW
    )
    assert [(f.kind, f.warning) for f in found] == [("quiet_hours", False), ("quiet_hours", True), ("calling_window", True)]
    assert found[0].text == "quiet hours 22:00–08:00 Asia/Kolkata"
    assert "calls first go out at Fri 13 Feb 2026, 08:00 IST" in found[1].text
    assert found[2].text == "3 recipients would be called outside 08:00-21:00 their local time: 3 in Asia/Kolkata (Thu 23:00)"


def test_quiet_hours_that_do_not_cover_the_start_are_only_stated() -> None:
    start = int(datetime(2026, 2, 12, 12, 0, tzinfo=ZoneInfo("Asia/Kolkata")).timestamp() * 1000)
    found = calling_findings(
        start, {"Asia/Kolkata": 1}, {"start_time": "22:00", "end_time": "08:00", "timezone": "Asia/Kolkata"}, "08:00-21:00", "Asia/Kolkata", SEED_NOW
    )
    assert [(f.kind, f.warning) for f in found] == [("quiet_hours", False)]
    disabled = {"enabled": False, "start_time": "10:00", "end_time": "14:00", "timezone": "Asia/Kolkata"}
    assert calling_findings(start, {"Asia/Kolkata": 1}, disabled, "08:00-21:00", "Asia/Kolkata", SEED_NOW) == []


def test_the_calling_window_setting_is_the_one_applied() -> None:
    start = int(datetime(2026, 2, 12, 12, 0, tzinfo=ZoneInfo("Asia/Kolkata")).timestamp() * 1000)
    assert calling_findings(start, {"Asia/Kolkata": 1}, None, "08:00-21:00", "UTC", SEED_NOW) == []
    [late] = calling_findings(start, {"Asia/Kolkata": 1}, None, "13:00-18:00", "UTC", SEED_NOW)
    assert "outside 13:00-18:00" in late.text


# ---- regions ------------------------------------------------------------------------------------


def test_a_region_read_from_the_caller_that_contradicts_the_time_zone_is_refused() -> None:
    arguments = {"send_now": True, "timezone": "Asia/Kolkata", "tasks": [{"to_number": "4155550100"}]}
    refusal = refused(arguments, from_number=US_CALLER)
    assert refusal.code == "region_conflict"
    assert "read as US (the region of from_number)" in refusal.message and "Asia/Kolkata is in IN" in refusal.message
    plan, stored = build(arguments | {"default_region": "US"}, from_number=US_CALLER)  # saying which settles it
    assert json.loads(stored[0]) == [{"to_number": "+14155550100"}] and "read as US (given)" in text_of(plan, "region")


def test_full_numbers_never_conflict_with_the_time_zone() -> None:
    plan, _ = build({"send_now": True, "timezone": "Asia/Kolkata", "tasks": [{"to_number": "+14155550100"}]}, from_number=US_CALLER)
    assert "region" not in kinds(plan)


# ---- time ---------------------------------------------------------------------------------------


def test_a_relative_schedule_is_resolved_against_the_injected_now() -> None:
    plan, _ = build({"schedule": "tomorrow at 10am", "timezone": "Asia/Kolkata", "tasks": [{"to_number": "+919600011957"}]})
    assert plan.trigger_ms == int(datetime(2026, 2, 13, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata")).timestamp() * 1000)
    later, _ = build({"schedule": "tomorrow at 10am", "timezone": "Asia/Kolkata", "tasks": [{"to_number": "+919600011957"}]}, now=SEED_NOW + timedelta(days=3))
    assert later.trigger_ms == plan.trigger_ms + 3 * 86_400_000
    soon, _ = build({"schedule": "in 2 hours", "tasks": [{"to_number": "+919600011957"}]}, settings=Settings(default_timezone="Asia/Kolkata"))
    assert soon.trigger_ms == int((SEED_NOW + timedelta(hours=2)).timestamp() * 1000)
    assert soon.doc["settings"]["trigger_timestamp"] == soon.trigger_ms and soon.doc["timezone"] == "Asia/Kolkata"
    assert "time zone Asia/Kolkata" in text_of(soon, "zone")


def test_the_same_arguments_are_the_same_intent_at_any_hour_but_not_in_another_account() -> None:
    arguments = {"schedule": "tomorrow at 10am", "timezone": "Asia/Kolkata", "tasks": [{"to_number": "+919600011957"}]}
    first, _ = build(arguments)
    second, _ = build(arguments, now=SEED_NOW + timedelta(hours=5))
    other, _ = build(arguments, account="someone else")
    assert first.intent == second.intent != other.intent
    assert first.trigger_ms != second.trigger_ms or first.doc["when"]["relative"] != second.doc["when"]["relative"]
    assert first.intent == intent_of("create_batch_call", "acct", Campaign.model_validate({"name": "Renewals", "agent_id": AGENT_ID} | arguments).given())


# ---- refusals -----------------------------------------------------------------------------------

ONE = [{"to_number": "+919600011957"}]
PAST_MS = int((SEED_NOW - timedelta(minutes=1)).timestamp() * 1000)
FUTURE_MS = int((SEED_NOW + timedelta(days=1)).timestamp() * 1000)


@pytest.mark.parametrize(
    ("arguments", "code", "says"),
    [
        ({"name": None, "send_now": True, "tasks": ONE}, "missing_name", "name is required"),
        ({"name": "", "send_now": True, "tasks": ONE}, "missing_name", "name is required"),
        ({"send_now": True, "tasks": ONE, "recipients_csv": "phone\n+919600011958"}, "recipients", "(got tasks, recipients_csv)"),
        ({"send_now": True}, "recipients", "exactly one of tasks, recipients_csv or recipients_file."),
        ({"trigger_timestamp": PAST_MS, "tasks": ONE}, "past", "trigger_timestamp is in the past"),
        ({"trigger_timestamp": FUTURE_MS * 1000, "tasks": ONE}, "time", "looks like micro- or nanoseconds"),
        ({"trigger_timestamp": FUTURE_MS // 1000, "tasks": ONE}, "time", "looks like Unix seconds"),
        ({"tasks": ONE}, "time", "trigger_timestamp is missing"),
        ({"schedule": "tomorrow at 10am", "send_now": True, "tasks": ONE}, "contradiction", "Send only one of them"),
        ({"send_now": True, "tasks": [{"to_number": "garbage"}]}, "no_recipients", "no usable recipient"),
    ],
    ids=["no name", "empty name", "two sources", "no source", "past", "microseconds", "seconds", "no time", "two times", "nobody"],
)
def test_bad_campaigns_are_refused_with_a_code_and_the_fix(arguments: dict, code: str, says: str) -> None:
    refusal = refused(arguments)
    assert (refusal.code, isinstance(refusal, Refusal)) == (code, True)
    assert says in refusal.message, refusal.message


def test_the_microsecond_refusal_names_the_milliseconds_to_send() -> None:
    refusal = refused({"trigger_timestamp": FUTURE_MS * 1000, "tasks": ONE})
    assert str(FUTURE_MS) in refusal.message


# ---- agent and caller ---------------------------------------------------------------------------

AGENTS = [
    SimpleNamespace(agent_id="agent_11111111-1111-1111-1111-111111111111", name="Sales-Renewals"),
    SimpleNamespace(agent_id="agent_22222222-2222-2222-2222-222222222222", name="Support"),
    SimpleNamespace(agent_id="agent_33333333-3333-3333-3333-333333333333", name="support "),
    SimpleNamespace(agent_id="agent_44444444-4444-4444-4444-444444444444", name="Sales-Renewals (old)"),
]


def test_an_agent_is_chosen_by_id_or_by_its_exact_case_insensitive_name() -> None:
    by_id = choose_agent("agent_22222222-2222-2222-2222-222222222222", AGENTS)
    assert (by_id.agent_id, by_id.name, by_id.matched_by_name) == ("agent_22222222-2222-2222-2222-222222222222", "Support", False)
    assert choose_agent("agent_99999999-9999-9999-9999-999999999999", None).agent_id.startswith("agent_9")  # an id needs no list
    by_name = choose_agent("  sales-renewals ", AGENTS)
    assert (by_name.agent_id, by_name.matched_by_name) == ("agent_11111111-1111-1111-1111-111111111111", True)


@pytest.mark.parametrize(
    ("given", "agents", "code", "says"),
    [
        (None, AGENTS, "missing_agent", "agent_id is required"),
        ("SUPPORT", AGENTS, "unknown_agent", "several agents have that name"),
        ("Sales", AGENTS, "unknown_agent", "no agent has exactly that name"),
        ("Sales-Renewals", None, "unknown_agent", "could not be listed"),
    ],
    ids=["none", "ambiguous", "only partly", "no list"],
)
def test_an_agent_that_is_not_one_exact_match_is_refused(given: str | None, agents: list | None, code: str, says: str) -> None:
    with pytest.raises(Refusal) as caught:
        choose_agent(given, agents)
    assert caught.value.code == code and says in caught.value.message


def test_an_ambiguous_name_lists_the_ids_to_choose_from() -> None:
    with pytest.raises(Refusal) as caught:
        choose_agent("support", AGENTS)
    assert "agent_22222222-2222-2222-2222-222222222222" in caught.value.message
    assert "agent_33333333-3333-3333-3333-333333333333" in caught.value.message


def test_the_caller_is_the_given_number_or_the_organizations_only_one() -> None:
    assert choose_caller(" +918035315547 ", ["+12025550123", "+918035315547"]) == (INDIA_CALLER, None)
    number, note = choose_caller(None, [INDIA_CALLER])
    assert number == INDIA_CALLER and note is not None and note.kind == "caller" and "only number" in note.text
    for numbers in ([INDIA_CALLER, US_CALLER], [], None):
        with pytest.raises(Refusal) as caught:
            choose_caller(None, numbers)
        assert caught.value.code == "missing_from_number"
    with pytest.raises(Refusal) as caught:
        choose_caller("080 3531 5547", None)
    assert caught.value.code == "invalid_from_number"


def test_the_callers_note_becomes_a_finding_of_the_plan() -> None:
    campaign = Campaign.model_validate({"name": "Renewals", "agent_id": AGENT_ID, "send_now": True, "tasks": ONE})
    number, note = choose_caller(None, [INDIA_CALLER])
    plan = plan_create(campaign, choose_agent(" SALES-renewals", AGENTS), number, note, Context(SEED_NOW, "acct", Settings(), read_rows), lambda part: None)
    assert kinds(plan)[:2] == ["caller", "agent"] and "matched by its name" in plan.findings[1].text
    assert plan.doc["settings"]["agent_id"] == "agent_11111111-1111-1111-1111-111111111111"


def test_numbers_on_the_do_not_call_list_are_skipped_and_counted() -> None:
    campaign = Campaign.model_validate(
        {"name": "Renewals", "agent_id": AGENT_ID, "send_now": True, "tasks": [{"to_number": "+919600011957"}, {"to_number": "+919600011958"}]}
    )
    stored: dict[int, str] = {}
    context = Context(SEED_NOW, "acct", Settings(), read_rows, suppressed=lambda number: number == "+919600011958")
    plan = plan_create(campaign, choose_agent(AGENT_ID, None), INDIA_CALLER, None, context, lambda p: stored.__setitem__(p.index, p.tasks_json))
    assert json.loads(stored[0]) == [{"to_number": "+919600011957"}] and plan.doc["recipients"] == 1 and plan.doc["do_not_call"] == 1
    assert text_of(plan, "do_not_call") == "1 skipped: on the do-not-call list"
    everyone = Context(SEED_NOW, "acct", Settings(), read_rows, suppressed=lambda number: True)
    with pytest.raises(Refusal) as caught:
        plan_create(campaign, choose_agent(AGENT_ID, None), INDIA_CALLER, None, everyone, lambda p: None)
    assert caught.value.code == "no_recipients"


def test_no_hidden_wall_clock() -> None:
    """A plan made 'now' in 2030 schedules in 2030: nothing reads the machine's clock."""
    now = datetime(2030, 6, 1, 3, 0, tzinfo=UTC)
    plan, _ = build({"schedule": "tomorrow at 10am", "timezone": "UTC", "tasks": ONE}, now=now)
    assert plan.trigger_ms == int(datetime(2030, 6, 2, 10, 0, tzinfo=UTC).timestamp() * 1000)
