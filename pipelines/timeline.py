"""Rebuild the stored as-of timeline (pipelines.store.timeline) of a database, e.g. after editing files in SQL.

Usage: python -m pipelines.timeline [--db PATH]"""
from __future__ import annotations

import argparse
import sys
import time

from pipelines import cli
from pipelines.store import db
from pipelines.store.timeline import rebuild


@cli.refuses_when_busy
def main(argv: list[str] | None = None) -> int:
    """Rebuild the timeline of the configured database; refuses (exit 2) while the server holds it."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.timeline",
                                     description="重建项目状态时间线（按报送记录重新计算）")
    parser.add_argument("--db", help="database file (default: ZS_DB or settings)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with cli.database(args.db) as con, db.transaction(con):
        rebuild(con)
        projects = con.execute("SELECT count(*) FROM project_current").fetchone()[0]
    print(f"已重建项目状态时间线：{projects} 个项目，用时 {time.perf_counter() - started:.1f} 秒")
    return 0


if __name__ == "__main__":
    sys.exit(main())
