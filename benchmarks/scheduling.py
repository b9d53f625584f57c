"""Scheduling: corpus accuracy, first-phrase time in a fresh process, median time per phrase.

Budgets (issue 12): median <= 50 µs per phrase read by our rules; first phrase in a fresh
process <= 20 ms when dateparser is not needed. Each figure is printed next to its floor,
measured in the same run on the same machine:
- first phrase: a fresh process that only imports what any phrase needs (re, zoneinfo);
- per phrase: the cheapest input, an ISO 8601 time with offset (no phrase rules at all).

Run: uv run python benchmarks/scheduling.py
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_scheduling_corpus import CASES, PHRASES, run, verdict  # noqa: E402

MEDIAN_BUDGET_US = 50
FIRST_PHRASE_BUDGET_MS = 20

FIRST_PHRASE = """
import time, datetime
started = time.perf_counter()
from zudu_mcp.scheduling import resolve_schedule
now = datetime.datetime.fromisoformat("2026-11-28T10:15:00+05:30")
resolve_schedule({phrase!r}, "Asia/Kolkata", now=now)
print(time.perf_counter() - started)
"""
FLOOR = """
import time, datetime
started = time.perf_counter()
import re, zoneinfo
zoneinfo.ZoneInfo("Asia/Kolkata")
print(time.perf_counter() - started)
"""


def fresh_process_ms(script: str, runs: int = 9) -> tuple[float, float]:
    """(best, median) of `runs` fresh processes: the best is the figure least disturbed by other load on the machine."""
    samples = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
        samples.append(float(done.stdout) * 1000)
    return min(samples), statistics.median(samples)


def machine() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return (
        f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {load}; Python {platform.python_version()} ({platform.python_implementation()})"
    )


def uses_dateparser() -> set[str]:
    """Phrases that reach the dateparser fallback: they are outside 'by our rules'."""
    from zudu_mcp.scheduling import phrases

    reached: set[str] = set()
    original = phrases._library_date

    def spy(leftover, reading):
        reached.add(current[0])
        return original(leftover, reading)

    current = [""]
    phrases._library_date = spy
    try:
        for case in CASES + PHRASES:
            current[0] = case["phrase"]
            run(case)
    finally:
        phrases._library_date = original
    return reached


def per_phrase_us(cases: list[dict], rounds: int = 9) -> list[float]:
    """Each phrase's best time over `rounds` rounds (warm: every phrase has been read once), one figure per phrase."""
    from zudu_mcp.scheduling import resolve_schedule

    prepared = [(c["phrase"], c["tz"], dt.datetime.fromisoformat(c["now"]), c["date_order"]) for c in cases]
    best = [float("inf")] * len(prepared)
    for _ in range(rounds):
        for index, (phrase, zone, now, order) in enumerate(prepared):
            started = time.perf_counter()
            resolve_schedule(phrase, zone, now=now, date_order=order)
            best[index] = min(best[index], (time.perf_counter() - started) * 1e6)
    return best


def verdict_line(name: str, cases: list[dict]) -> str:
    verdicts = [verdict(case, run(case)) for case in cases]
    matched, wrong = verdicts.count("match"), verdicts.count("wrong")
    return f"{name}: {matched}/{len(cases)} match ({100 * matched / len(cases):.1f}%), {wrong} silently wrong"


def main() -> None:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "zudu_mcp")], check=True, capture_output=True)
    print(f"machine: {machine()}")
    print(verdict_line("corpus scheduling-corpus.json", CASES))
    print(verdict_line("corpus scheduling-phrases-2.json", PHRASES))

    floor = fresh_process_ms(FLOOR)
    rules = fresh_process_ms(FIRST_PHRASE.format(phrase="tomorrow at 9am"))
    place = fresh_process_ms(FIRST_PHRASE.format(phrase="tomorrow 9am Chicago time"))
    library = fresh_process_ms(FIRST_PHRASE.format(phrase="banana"), runs=3)  # reaches dateparser, which refuses it
    print("first phrase in a fresh process (import + resolve), best / median of 9 processes:")
    print(f"  floor (import re, zoneinfo; load a zone)      {floor[0]:6.1f} / {floor[1]:6.1f} ms")
    print(
        f"  'tomorrow at 9am'                             {rules[0]:6.1f} / {rules[1]:6.1f} ms   "
        f"[budget {FIRST_PHRASE_BUDGET_MS} ms: {'ok' if rules[0] <= FIRST_PHRASE_BUDGET_MS else 'OVER'}]"
    )
    print(f"  'tomorrow 9am Chicago time' (IANA place table) {place[0]:6.1f} / {place[1]:6.1f} ms")
    print(f"  'banana' (reaches dateparser; 3 processes)    {library[0]:6.0f} / {library[1]:6.0f} ms")

    library_phrases = uses_dateparser()
    ours = [case for case in CASES + PHRASES if case["phrase"] not in library_phrases]
    iso = [case for case in CASES if case["category"] == "iso" and case["expected"] != "error"]
    ours_us, iso_us = per_phrase_us(ours), per_phrase_us(iso)
    median = statistics.median(ours_us)
    print(
        f"per phrase by our rules ({len(ours)} phrases of both corpora, best of 9 rounds each; {len(library_phrases)} phrases "
        f"that reach dateparser left out): median {median:.1f} µs [budget {MEDIAN_BUDGET_US} µs: "
        f"{'ok' if median <= MEDIAN_BUDGET_US else 'OVER'}], p95 {sorted(ours_us)[int(len(ours_us) * 0.95)]:.0f} µs, "
        f"max {max(ours_us):.0f} µs; floor (ISO 8601 with offset) median {statistics.median(iso_us):.1f} µs"
    )


if __name__ == "__main__":
    main()
