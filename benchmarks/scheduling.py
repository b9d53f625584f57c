"""Scheduling: corpus accuracy, first-phrase latency in a fresh process, median latency per call.

Run: uv run python benchmarks/scheduling.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_scheduling_corpus import CASES, run, verdict  # noqa: E402

FIRST_PHRASE = """
import time, datetime
started = time.perf_counter()
from zudu_mcp.scheduling import resolve_schedule
now = datetime.datetime.fromisoformat("2026-11-28T10:15:00+05:30")
resolve_schedule({phrase!r}, "Asia/Kolkata", now=now)
print(time.perf_counter() - started)
"""


def first_phrase_ms(phrase: str, runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", FIRST_PHRASE.format(phrase=phrase)], capture_output=True, text=True, check=True, cwd=ROOT)
        samples.append(float(done.stdout) * 1000)
    return statistics.median(samples)


def main() -> None:
    verdicts = [verdict(case, run(case)) for case in CASES]
    matched, wrong = verdicts.count("match"), verdicts.count("wrong")
    print(f"corpus: {matched}/{len(CASES)} match expected/accept/window ({100 * matched / len(CASES):.1f}%), {wrong} silently wrong")

    print(f"first phrase in a fresh process (import + resolve), median of 5: "
          f"rule-based 'tomorrow at 9am' {first_phrase_ms('tomorrow at 9am'):.0f} ms; "
          f"library fallback 'first of December 10am' {first_phrase_ms('first of December 10am'):.0f} ms")

    per_call = []
    for _ in range(5):
        for case in CASES:
            now = datetime.fromisoformat(case["now"])
            from zudu_mcp.scheduling import resolve_schedule

            started = time.perf_counter()
            resolve_schedule(case["phrase"], case["tz"], now=now, date_order=case["date_order"])
            per_call.append((time.perf_counter() - started) * 1e6)
    print(f"per call over the corpus x5: median {statistics.median(per_call):.0f} µs, p95 {sorted(per_call)[int(len(per_call) * 0.95)]:.0f} µs")


if __name__ == "__main__":
    main()
