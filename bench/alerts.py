"""Benchmark (not a test): one full evaluation of the warning rules at province scale.

Uses the database of bench/report.py (200 units, 100,000 projects, 60 months; built there when missing), on a
copy so the benchmark data stays unchanged. Times the rule conditions alone, the first evaluation (which opens
every warning) and a second one on the same data (which changes nothing). Goal (issue 4): under 2 s.

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

GOAL_SECONDS = 2.0


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
    print(f"as of {args.as_of}: {len(found):,} conditions; first evaluation opened {len(first):,} warnings, "
          f"the second changed {len(second)}")
    print(f"rule conditions (median of {args.runs})  {statistics.median(timings):6.2f} s")
    print(f"first evaluation (opens all)        {first_s:6.2f} s")
    print(f"second evaluation (steady state)    {second_s:6.2f} s   goal < {GOAL_SECONDS:g} s: "
          f"{'ok' if second_s < GOAL_SECONDS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
