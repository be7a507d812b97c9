"""`python -m alerts [--db PATH]`: run the warning scheduler without the dashboard, until stopped (Ctrl+C or
SIGTERM) — for a deployment where the dashboard does not run, or runs with `scheduler.enabled = false`.

It holds the database the way the server does, so it refuses in one line (exit 2) while the server runs."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from alerts import scheduler
from pipelines import cli, settings
from pipelines.admin import overrides
from pipelines.store import db


@cli.refuses_when_busy
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alerts", description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database file (default: ZS_DB or settings)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it logs every run at INFO; the run log has them
    path = settings.db_path(args.db)
    config = settings.current()
    if not config.scheduler.enabled:
        print("scheduler.enabled 为 false：没有要运行的后台任务", file=sys.stderr)
        return 1
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    db.open_for_process(path)
    try:
        with db.cursor() as cur:  # the admins' settings overrides, as the dashboard applies them
            config = overrides.apply(cur)
        scheduler.start(config)
        print(f"招引智控后台任务已启动（数据库 {path}，每 {config.scheduler.evaluate_interval_minutes:g} 分钟评估预警，"
              f"每日 {config.scheduler.daily_hour:02d}:{config.scheduler.daily_minute:02d} 汇总）；Ctrl+C 停止",
              flush=True)
        stop.wait()
    finally:
        scheduler.shutdown()
        db.close_for_process()
    return 0


if __name__ == "__main__":
    sys.exit(main())
