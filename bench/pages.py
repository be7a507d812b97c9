"""Benchmark (not a test): every page rendered at province scale, server side.

Uses the database of bench/report.py (200 units, 100,000 projects, 60 months; built there when missing), on a
copy with the warnings evaluated as of --as-of (64,103 open as of 2024-11-20). Each page is run with Streamlit's
AppTest as the role that uses it, showing the day --as-of where it has a date to pick (项目库, 单元看板, 驾驶舱;
the bench data end in 2024), twice: the first run computes and fills the page caches (what the first reader
after a new load waits for), the second is served from them (every later reader). AppTest runs the page script
in this process, so the times are the server's work without the browser's drawing (bench/screen.py measures
that for the big screen). Streamlit's own first-run costs (scanning the installed packages for components, ~0.5 s)
are paid once before the first page, as a server pays them when it starts.

--db times another database instead, as it is (no warnings evaluated), as of today unless --as-of says otherwise:
the demo county (`python -m pipelines.demo --db /tmp/demo.duckdb`) gives the demo-size numbers.

Usage: .venv/bin/python -m bench.pages [--as-of YYYY-MM-DD] [--only PAGE] [--db FILE]"""
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


def _cases(as_of: dt.date, units: list[str]):
    """(page file, who opens it, session state set before the first run, whether the caches of the case before
    are kept: a second unit's page after the first, sharing the county's assessment and the trend's month-ends).
    The unit users are those of the first two of `units` (the register's codes, sorted)."""
    from pipelines.access import Actor

    first, second = (Actor(code.lower(), "unit", code) for code in units[:2])
    admin, leader, unit = Actor("admin", "admin"), Actor("leader", "leader"), first
    dated = {"as_of": as_of}
    return [("cockpit.py", leader, dated, False), ("unit.py", unit, dated, False),
            ("unit.py", second, dated, True), ("ranking.py", leader, {}, False),
            ("projects.py", admin, dated, False), ("projects.py", unit, dated, False),
            ("warnings.py", admin, {}, False), ("warnings.py", unit, {}, False), ("submit.py", unit, {}, False),
            ("admin.py", admin, {}, False)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", type=dt.date.fromisoformat, help="default 2024-11-20, with --db today")
    parser.add_argument("--only", help="one page file, e.g. unit.py")
    parser.add_argument("--db", type=Path, help="time this database (a copy of it) instead of the province's")
    args = parser.parse_args(argv)
    as_of = args.as_of or (dt.date.today() if args.db else dt.date(2024, 11, 20))
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # AppTest outside a server warns on every run
    source = args.db or report_bench.province_database()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pages.duckdb"
        shutil.copy(source, path)
        os.environ["ZS_DB"] = str(path)
        from alerts.evaluate import evaluate
        from pipelines.store import db, state

        con = db.connect(path)
        units = sorted(state.unit_register(con)["code"])
        if args.db is None:
            print(f"as of {as_of}: {len(evaluate(con, as_of)):,} open warnings; seconds per page run (first fills the "
                  "caches)")
        else:
            print(f"{args.db} as of {as_of}; seconds per page run (first fills the caches)")
        con.close()
        _start_streamlit(Path(tmp))
        print(f"{'page':14} {'as':6} {'first':>7} {'second':>7}")
        failed = False
        for page, actor, session, keep in _cases(as_of, units):
            if args.only and page != args.only:
                continue
            first, second, error = _time_page(page, actor, session, keep)
            failed |= error is not None
            who = actor.unit_code.lower() if actor.unit_code else actor.role
            print(f"{page:14} {who:6} {first:7.2f} {second:7.2f}" + ("  (caches of the row above kept)" if keep else "")
                  + (f"  ERROR {error}" if error else ""))
        db.close_for_process()
    return 1 if failed else 0


def _start_streamlit(folder: Path) -> None:
    """Run an empty script once: AppTest's first run scans the installed packages for components, which a server
    does once when it starts, not at a page view."""
    from streamlit.testing.v1 import AppTest

    empty = folder / "empty.py"
    empty.write_text("")
    AppTest.from_file(str(empty)).run()


def _time_page(page: str, actor, state: dict, keep: bool) -> tuple[float, float, str | None]:
    """Two runs of the page as `actor` with `state` set first, the page caches emptied before unless `keep`:
    (first s, second s, the exception if any)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui.auth import TEST_ACTOR_KEY

    if not keep:
        st.cache_data.clear()
        st.cache_resource.clear()  # the shared assessments (ui.data.assessment) too: a new load misses them
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
