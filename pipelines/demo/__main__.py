"""The demo county 青岚县: three years of monthly workbooks from eight units, written as files and loaded
through the ingestion path with the mess real units produce (`python -m pipelines.demo`, DOMAIN §9).

Usage: python -m pipelines.demo [--until YYYY-MM] [--db PATH] [--out DIR]

The county is planned first (units, projects with their true milestone dates, which report arrives when,
what goes wrong in it), then the workbooks are written, then loaded in the order the bureau received them.
The plan is tuned so that every later screen has something to show as of the demo's "today" (the as-of
date): all stages, units on both sides of both rate targets, every project warning rule, one 一票评优 unit.
The same arguments give the same data: only the default --until and the cap "nothing received after now"
come from the clock. A database that already holds submissions is left untouched."""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import duckdb

from pipelines import cli, settings
from pipelines.admin import users
from pipelines.demo.county import COUNTY, DEMO_ACTOR, UNITS
from pipelines.demo.plan import Clock, demo_clock, plan_county
from pipelines.demo.workbooks import Upload, write_workbooks
from pipelines.ingest.run import FileReport, ingest_file
from pipelines.settings import Settings
from pipelines.store import db


# ---------------------------------------------------------------------------------------------------------
# Loading and the command
# ---------------------------------------------------------------------------------------------------------
def load_workbooks(con: duckdb.DuckDBPyConnection, uploads: list[Upload], config: Settings) -> list[FileReport]:
    """Each file through pipelines.ingest.run as the bureau's admin, stamped with the time it was received. The
    files are the demo's own, so they are read in this process (forking a reader for each of ~290 files cost
    10 s of the first start)."""
    return [ingest_file(con, u.path, DEMO_ACTOR, received_at=u.received_at, period=u.period,
                        unit_code=u.unit_code, config=config, isolated=False) for u in uploads]


def _submission_count(path: Path) -> int:
    """How many submissions the database at `path` holds (0 for a file that does not exist yet)."""
    if not path.exists():
        return 0
    con = db.connect(path, read_only=True)
    try:
        found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'submissions'")
        if not found.fetchone()[0]:
            return 0
        return con.execute("SELECT count(*) FROM submissions").fetchone()[0]
    finally:
        con.close()


def summary(con: duckdb.DuckDBPyConnection, reports: list[FileReport], clock: Clock, db_file: Path, out: Path,
            seconds: float) -> str:
    """The lines printed after a run, in Chinese."""
    kinds = {"units": "单元名录", "targets": "年度目标", "projects": "项目月报"}
    loaded = [r for r in reports if r.status == "loaded"]
    by_kind = "、".join(f"{label} {sum(r.kind == kind for r in loaded)}" for kind, label in kinds.items())
    projects = con.execute("SELECT count(*) FROM projects").fetchone()[0]
    first = clock.periods[0]
    return "\n".join((
        f"{COUNTY}演示数据已载入 {db_file}",
        f"  文件：载入 {len(loaded)} 个（{by_kind}），整份拒收 {sum(r.status == 'rejected' for r in reports)} 个",
        f"  数据行：载入 {sum(r.rows_loaded for r in reports)} 行，拒收 {sum(r.rows_rejected for r in reports)} 行",
        f"  项目：{projects} 个，{len(UNITS)} 个招商单元，报告期 {first:%Y-%m} 至 {clock.last_period:%Y-%m}",
        f"  数据截至：{clock.as_of:%Y-%m-%d}（工作簿在 {out}）",
        f"  用时 {seconds:.1f} 秒",
    ))


def main(argv: list[str] | None = None, now: dt.datetime | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--until", type=cli.month, help="last report month, YYYY-MM (default: last month)")
    parser.add_argument("--db", help="database file (default: ZS_DB or settings)")
    parser.add_argument("--out", type=Path, default=settings.ROOT / "data" / "demo",
                        help="where the workbooks are written (default: data/demo)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    config = settings.current()
    try:
        clock = demo_clock(args.until, now or dt.datetime.now(), config.duty.due_day)
    except ValueError as exc:
        parser.error(str(exc))
    db_file = settings.db_path(args.db)
    try:
        existing = _submission_count(db_file)
        if existing:
            print(f"数据库 {db_file} 已有 {existing} 份报送记录，演示数据只载入空数据库，未做任何改动。")
            return 0
        con = db.connect(db_file)
    except db.StoreBusy as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        plan = plan_county(clock, config)
        uploads = write_workbooks(plan, args.out)
        reports = load_workbooks(con, uploads, config)
        accounts = users.create_demo_accounts(con, DEMO_ACTOR)
        print(summary(con, reports, clock, db_file, args.out, time.perf_counter() - started))
        print(f"  演示账号：{'、'.join(accounts)}，密码均为 {users.DEMO_PASSWORD}")
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
