"""Benchmark (not a test): one full evaluation of the warning rules at province scale.

Uses the database of bench/report.py (200 units, 100,000 projects, 60 months; built there when missing), on a
copy so the benchmark data stays unchanged, with 督办事项 added (ten per unit, open, answered, closed and late,
back-filled before the day) and one exemption per unit. Times the rule conditions alone, the first evaluation
(which opens every warning) and a second one on the same data (which changes nothing). Goal (issue 16): the
steady-state evaluation within 1 s.

Usage: .venv/bin/python -m bench.alerts [--as-of YYYY-MM-DD]"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import report as report_bench  # the province-scale data

GOAL_SECONDS = 1.0
TASKS_PER_UNIT = 10


def add_tasks(con, as_of: dt.date) -> int:
    """Ten tasks per unit issued 20 days before `as_of` with deadlines from 15 days before it to 14 after, every
    third answered and every ninth closed; one exemption per unit (its first project's 签约未开工). Returns the
    number of tasks."""
    from pipelines.access import Actor
    from pipelines.admin import tasks

    admin = Actor("bench", "admin")
    issued_at = dt.datetime.combine(as_of - dt.timedelta(days=20), dt.time(9))
    now = dt.datetime.combine(as_of, dt.time(18))
    units = [code for (code,) in con.execute("SELECT code FROM units ORDER BY code").fetchall()]
    made = 0
    for u, unit in enumerate(units):
        for i in range(TASKS_PER_UNIT):
            n = u * TASKS_PER_UNIT + i
            task = tasks.issue(con, admin, title=f"督办事项{n}", unit=unit, important=n % 7 == 0,
                               deadline=as_of + dt.timedelta(days=n % 30 - 15), at=issued_at, now=now)
            if n % 3 == 0:
                tasks.act(con, admin, task.code, "respond", text="已办理", at=issued_at + dt.timedelta(days=5),
                          now=now)
                if n % 9 == 0:
                    tasks.act(con, admin, task.code, "close", at=issued_at + dt.timedelta(days=6), now=now)
            made += 1
    from alerts import exemptions

    first = con.execute("SELECT unit_code, min(code) FROM projects GROUP BY unit_code").fetchall()
    for unit, code in first:
        exemptions.grant(con, admin, "signed_not_commenced", code, as_of + dt.timedelta(days=30), "诉讼暂停",
                         now=dt.datetime.combine(as_of, dt.time(8)))
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2024, 11, 20))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    from alerts.evaluate import evaluate
    from alerts.rules import conditions
    from pipelines.store import db

    source = report_bench.province_database()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "alerts.duckdb"
        shutil.copy(source, path)
        con = db.connect(path)
        made = add_tasks(con, args.as_of)
        conditions(con, args.as_of)  # warm-up
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            found = conditions(con, args.as_of)
            timings.append(time.perf_counter() - started)
        started = time.perf_counter()
        first = evaluate(con, args.as_of)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        second = evaluate(con, args.as_of)
        second_s = time.perf_counter() - started
        con.close()
    print(f"as of {args.as_of}: {made:,} 督办事项; {len(found):,} conditions; first evaluation opened "
          f"{len(first):,} warnings, the second changed {len(second)}")
    print(f"rule conditions (median of {args.runs})  {statistics.median(timings):6.2f} s")
    print(f"first evaluation (opens all)        {first_s:6.2f} s")
    print(f"second evaluation (steady state)    {second_s:6.2f} s   goal < {GOAL_SECONDS:g} s: "
          f"{'ok' if second_s < GOAL_SECONDS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
