"""The scheduling corpora: no case may be answered with a wrong instant.

scheduling-corpus.json (122 cases, from the parser evaluation): at least 95% must match.
scheduling-phrases-2.json (the phrases people really say: bare times, clock idioms, zone words,
days by rule, week phrases, chat, "ASAP"): every case must match, offer the readings it lists,
state the assumptions it lists, and refuse with the code it names.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from zudu_mcp.scheduling import ScheduledTime, resolve_schedule

CORPUS_FILE = Path(__file__).parent / "data" / "scheduling-corpus.json"
CASES = json.loads(CORPUS_FILE.read_text())
PHRASES_FILE = Path(__file__).parent / "data" / "scheduling-phrases-2.json"
PHRASES = json.loads(PHRASES_FILE.read_text())
ISO_IN_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")


def run(case: dict):
    return resolve_schedule(case["phrase"], case["tz"], now=datetime.fromisoformat(case["now"]), date_order=case["date_order"])


def verdict(case: dict, result) -> str:
    """'match', 'refused' (an error where an instant was expected) or 'wrong' (a silently wrong instant)."""
    answers = [case["expected"], *case.get("accept", [])]
    if not isinstance(result, ScheduledTime):
        return "match" if "error" in answers else "refused"
    got = datetime.fromisoformat(result.local_iso)
    if any(answer != "error" and datetime.fromisoformat(answer) == got for answer in answers):
        return "match"
    if "window" in case:
        low, high = map(datetime.fromisoformat, case["window"])
        if low <= got <= high:
            return "match"
    return "wrong"


@pytest.mark.parametrize("case", CASES, ids=[f"{c['id']}:{c['phrase'][:30]}" for c in CASES])
def test_case_is_never_silently_wrong(case: dict) -> None:
    result = run(case)
    assert verdict(case, result) != "wrong", f"{case['phrase']!r} gave {result.local_iso}, expected {case['expected']}"
    if not isinstance(result, ScheduledTime) and "resolved" in case:
        mentioned = {datetime.fromisoformat(x) for x in ISO_IN_TEXT.findall(result.message + " ".join(result.suggestions))}
        assert datetime.fromisoformat(case["resolved"]) in mentioned, result.message


def test_corpus_accuracy_is_at_least_95_percent() -> None:
    verdicts = [verdict(case, run(case)) for case in CASES]
    assert verdicts.count("wrong") == 0
    assert verdicts.count("match") / len(CASES) >= 0.95, verdicts


@pytest.mark.parametrize("case", PHRASES, ids=[f"{c['id']}:{c['category']}:{c['phrase'][:30]}" for c in PHRASES])
def test_phrase_is_read_as_expected(case: dict) -> None:
    result = run(case)
    if case["expected"] == "error":
        assert not result.ok, f"{case['phrase']!r} gave {getattr(result, 'local_iso', None)}, expected a refusal"
        assert result.code == case["code"], result
        assert case.get("message_has", "") in result.message
        return
    assert result.ok, f"{case['phrase']!r} was refused: {result.code}: {result.message}"
    assert datetime.fromisoformat(result.local_iso) == datetime.fromisoformat(case["expected"]), result
    offered = {datetime.fromisoformat(alternative) for alternative in result.alternatives}
    for alternative in case.get("offers", []):
        assert datetime.fromisoformat(alternative) in offered, (alternative, result.alternatives)
    said = " ".join(result.assumptions)
    for words in case.get("assumes", []):
        assert words in said, (words, result.assumptions)
    assert result.read_back or not result.assumptions


def test_every_kind_of_phrase_is_in_the_new_corpus() -> None:
    kinds = {case["category"] for case in PHRASES}
    assert kinds >= {"bare_time", "twenty_four_hour", "idiom", "zone_word", "season", "small_hours", "calendar", "week", "chat", "immediate"}


@pytest.mark.parametrize(
    ("phrase", "code"),
    [
        ("2026-12-01", "needs_time"),
        ("asap", "vague"),
        ("banana", "unparseable"),
        ("Feb 30 at 10am", "invalid_date"),
        ("12/05/2026 14:00", "date_order"),
        ("tomorrow 9am CST", "ambiguous_timezone"),
        ("yesterday at 5pm", "past"),
        ("2027-06-01 10:00", "beyond_horizon"),
    ],
)
def test_refusals_carry_stable_codes(phrase: str, code: str) -> None:
    result = resolve_schedule(phrase, "Asia/Kolkata", now=datetime.fromisoformat("2026-11-28T10:15:00+05:30"), date_order="DMY")
    assert not result.ok and result.code == code, result


def test_gap_and_fold_codes() -> None:
    gap = resolve_schedule("2026-03-08 02:30", "America/New_York", now=datetime.fromisoformat("2026-03-01T09:00:00-05:00"))
    fold = resolve_schedule("2026-11-01 01:30", "America/New_York", now=datetime.fromisoformat("2026-10-25T09:00:00-04:00"))
    assert (gap.code, fold.code) == ("dst_gap", "dst_fold")
    assert fold.suggestions == ["2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00"]


def test_a_result_carries_every_form_and_its_assumptions() -> None:
    result = resolve_schedule("tomorrow 9", "Asia/Kolkata", now=datetime.fromisoformat("2026-11-28T10:15:00+05:30"))
    assert result.ok
    assert (result.unix_ms, result.utc, result.local_iso) == (1795923000000, "2026-11-29T03:30:00Z", "2026-11-29T09:00:00+05:30")
    assert result.local == "Sun 29 Nov 2026, 09:00 IST (Asia/Kolkata, UTC+05:30)"
    assert result.relative == "in 22h 45m"
    assert result.assumptions == ["'9' read as 09:00 (a.m./p.m. not said)."]
    assert result.alternatives == ["2026-11-29T21:00:00+05:30"]
    assert result.read_back is True


def test_exact_machine_times_need_no_read_back() -> None:
    result = resolve_schedule("2026-12-01T09:00+05:30", "UTC", now=datetime.fromisoformat("2026-11-28T10:15:00+05:30"))
    assert result.ok and result.read_back is False and result.assumptions == []


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        resolve_schedule("tomorrow 9am", "UTC", now=datetime(2026, 11, 28, 10, 15))


def test_a_configured_horizon_is_used_when_rolling_a_date_to_next_year() -> None:
    now = datetime.fromisoformat("2026-11-28T10:15:00+05:30")
    short = resolve_schedule("Jan 10 at 10am", "Asia/Kolkata", now=now, horizon_days=30)
    assert not short.ok and short.code == "past" and "more than 30 days away" in short.message
    long = resolve_schedule("12/5 2pm", "Asia/Kolkata", now=now, date_order="DMY", horizon_days=200)
    assert long.ok and long.local_iso == "2027-05-12T14:00:00+05:30"
