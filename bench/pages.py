"""Benchmark (not a test): every page rendered at province scale, server side.

Uses the database of bench/report.py (200 units, 100,000 projects, 60 months; built there when missing), on a
copy with the warnings evaluated as of --as-of (64,103 open as of 2024-11-20). Each page is run with Streamlit's
AppTest as the role that uses it, showing the day --as-of where it has a date to pick (项目库, 单元看板, 驾驶舱;
the bench data end in 2024), twice: the first run computes and fills the page caches (what the first reader
after a new load waits for), the second is served from them (every later reader). AppTest runs the page script
in this process, so the times are the server's work without the browser's drawing (bench/screen.py measures
that for the big screen).

Usage: .venv/bin/python -m bench.pages [--as-of YYYY-MM-DD] [--only PAGE]"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import report as report_bench  # the province-scale data
from bench.report import ROOT


def _cases(as_of: dt.date):
    """(page file, who opens it, session state set before the first run, whether the caches of the case before
    are kept: a second unit's page after the first, sharing the trend's month-ends)."""
    from pipelines.access import Actor

    admin, leader, unit = Actor("admin", "admin"), Actor("leader", "leader"), Actor("b001", "unit", "B001")
    dated = {"as_of": as_of}
    return [("cockpit.py", leader, dated, False), ("unit.py", unit, dated, False),
            ("unit.py", Actor("b002", "unit", "B002"), dated, True), ("ranking.py", leader, {}, False),
            ("projects.py", admin, dated, False), ("projects.py", unit, dated, False),
            ("warnings.py", admin, {}, False), ("warnings.py", unit, {}, False), ("submit.py", unit, {}, False),
            ("admin.py", admin, {}, False)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2024, 11, 20))
    parser.add_argument("--only", help="one page file, e.g. unit.py")
    args = parser.parse_args(argv)
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # AppTest outside a server warns on every run
    source = report_bench.province_database()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pages.duckdb"
        shutil.copy(source, path)
        os.environ["ZS_DB"] = str(path)
        from alerts.evaluate import evaluate
        from pipelines.store import db

        con = db.connect(path)
        opened = len(evaluate(con, args.as_of))
        con.close()
        print(f"as of {args.as_of}: {opened:,} open warnings; seconds per page run (first fills the caches)")
        print(f"{'page':14} {'as':6} {'first':>7} {'second':>7}")
        failed = False
        for page, actor, state, keep in _cases(args.as_of):
            if args.only and page != args.only:
                continue
            first, second, error = _time_page(page, actor, state, keep)
            failed |= error is not None
            who = actor.unit_code.lower() if actor.unit_code else actor.role
            print(f"{page:14} {who:6} {first:7.2f} {second:7.2f}" + ("  (caches of the row above kept)" if keep else "")
                  + (f"  ERROR {error}" if error else ""))
        db.close_for_process()
    return 1 if failed else 0


def _time_page(page: str, actor, state: dict, keep: bool) -> tuple[float, float, str | None]:
    """Two runs of the page as `actor` with `state` set first, the page caches emptied before unless `keep`:
    (first s, second s, the exception if any)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui.auth import TEST_ACTOR_KEY

    if not keep:
        st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=600)
    at.session_state[TEST_ACTOR_KEY] = actor
    for key, value in state.items():
        at.session_state[key] = value
    times = []
    for _ in range(2):
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
    error = at.exception[0].value.splitlines()[0] if at.exception else None
    return times[0], times[1], error


if __name__ == "__main__":
    sys.exit(main())
