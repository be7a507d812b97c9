"""The background jobs of a process: the warning rules evaluated every few minutes and right after every load,
the daily job (evaluation, the leaders' digest, the units whose report is overdue), 催报 (the units whose report is
due within [duty] remind_days_before days and has not arrived, reminded once a day from the daily hour on: the job
runs at start and hourly, and alerts.remind skips a unit already reminded that day), and the inbox scan (files
dropped into the shared folder are loaded).

One APScheduler BackgroundScheduler per process, started by the server's lifespan (app.py) or by
`python -m alerts`, never by a page: `start()` is idempotent, so reruns, new sessions and cache clears cannot
start a second one. Every run is written to `scheduler_runs` (start, end, outcome, counts, error); a failing run
is logged there and the next one goes ahead. Jobs read the settings in force when they run."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import traceback
import uuid
from collections.abc import Callable

import duckdb
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from alerts import notify, remind, supervision
from alerts.evaluate import change_events, evaluate, open_warning_items
from pipelines.admin import tasks
from pipelines.figures import duty
from pipelines.ingest import load
from pipelines.ingest.inbox import Inbox
from pipelines.settings import Settings, current
from pipelines.store import db

EVALUATE, AFTER_LOAD, DAILY, INBOX, REMIND = "evaluate", "evaluate_after_load", "daily", "inbox", "remind"
AFTER_TASK = "evaluate_after_task"
REMIND_EVERY_MINUTES = 60  # how often the 催报 job looks; each unit is still reminded once a day at most
_log = logging.getLogger(__name__)
_lock = threading.Lock()
_scheduler: BackgroundScheduler | None = None
_scheduler_id: str | None = None
_stop_listening: list[Callable[[], None]] = []
_inbox: Inbox | None = None
_loads = 0  # submissions loaded in this process, so an evaluation knows whether a load came in while it ran


def _record_start(cur: duckdb.DuckDBPyConnection, job_id: str, now: dt.datetime, as_of: dt.date | None) -> int:
    return cur.execute("INSERT INTO scheduler_runs (scheduler_id, job_id, started_at, outcome, as_of) "
                       "VALUES (?, ?, ?, 'running', ?) RETURNING id", [_scheduler_id, job_id, now, as_of]).fetchone()[0]


def _record_end(cur: duckdb.DuckDBPyConnection, run_id: int, outcome: str, counts: dict | None,
                error: str | None) -> None:
    cur.execute("UPDATE scheduler_runs SET finished_at = ?, outcome = ?, counts = ?, error = ? WHERE id = ?",
                [dt.datetime.now(), outcome, None if counts is None else json.dumps(counts, ensure_ascii=False),
                 error, run_id])


def _run(job_id: str, work: Callable[[duckdb.DuckDBPyConnection, dt.date, Settings], dict]) -> None:
    """Run one job as of today on a cursor of its own, with its run-log row; never raise into APScheduler."""
    now = dt.datetime.now()
    with db.cursor() as cur:
        run_id = _record_start(cur, job_id, now, now.date())
        try:
            counts = work(cur, now.date(), current())
        except Exception as exc:  # recorded, and the next run goes ahead
            _log.exception("job %s failed", job_id)
            _record_end(cur, run_id, "failed", None, "".join(traceback.format_exception_only(exc)).strip())
        else:
            _record_end(cur, run_id, "ok", counts, None)


def evaluate_and_notify(cur: duckdb.DuckDBPyConnection, as_of: dt.date, settings: Settings) -> dict:
    """Evaluate every rule as of `as_of` and tell the channels of what changed; again if a load came in meanwhile.
    Messages earlier runs could not deliver are sent again first (notify.redeliver_failed). Returns the counts of the
    run: new / escalated / deescalated / resolved / exempted, open, the notifications and the redeliveries."""
    counts = {"new": 0, "escalated": 0, "deescalated": 0, "resolved": 0, "exempted": 0, "evaluations": 0}
    sent = {"sent": 0, "failed": 0, "logged_dry_run": 0}
    # First what earlier runs could not deliver (a channel that was down); this run's failures wait for the next.
    redelivered = notify.redeliver_failed(cur, settings)
    while True:
        loads_before = _loads
        changes = evaluate(cur, as_of, settings=settings)
        counts["evaluations"] += 1
        for change in changes:
            counts[change.change] += 1
        summary = notify.deliver(cur, change_events(cur, changes), settings)
        for key in sent:
            sent[key] += summary[key]
        if _loads == loads_before:
            break
    announced = supervision.announce_new(cur, settings)  # a new task to its unit (DOMAIN §10)
    counts["open"] = cur.execute("SELECT count(*) FROM warnings WHERE resolved_at IS NULL").fetchone()[0]
    return counts | {"notifications": sent, "redelivered": redelivered, "tasks_announced": len(announced["announced"])}


def daily(cur: duckdb.DuckDBPyConnection, as_of: dt.date, settings: Settings) -> dict:
    """The daily job: evaluate, then send leaders the digest of open warnings and of the units whose report for
    the latest month already due has not arrived."""
    counts = evaluate_and_notify(cur, as_of, settings)
    items = open_warning_items(cur)
    unreported = duty.unreported_units(cur, as_of, settings)
    summary = notify.deliver_digest(cur, items, settings, unreported=list(unreported["name"]),
                                    period=unreported.attrs["period"])
    due_soon = supervision.remind_due_soon(cur, as_of, settings)  # each unit's tasks due soon, once a day
    return counts | {"unreported_units": len(unreported), "tasks_due_soon_units": len(due_soon["reminded"]),
                     "digest": {k: summary[k] for k in ("sent", "failed", "logged_dry_run")}}


def remind_units(cur: duckdb.DuckDBPyConnection, as_of: dt.date, settings: Settings,
                 now: dt.datetime | None = None) -> dict:
    """The 催报 job: from the daily hour on, remind the units whose report for the month being collected has not
    arrived (alerts.remind.send: only within the reminder window, once per unit and day)."""
    now = now or dt.datetime.now()
    config = settings.scheduler
    if now.time() < dt.time(config.daily_hour, config.daily_minute):
        return {"waiting_until": f"{config.daily_hour:02d}:{config.daily_minute:02d}"}
    found = remind.send(cur, as_of, settings, now=now)
    return {key: len(value) if isinstance(value, list) else value for key, value in found.items()}


def scan_inbox(cur: duckdb.DuckDBPyConnection, _as_of: dt.date, settings: Settings) -> dict:
    """The inbox job: load the settled files of the shared folder; counts of files loaded, duplicate, rejected."""
    outcomes = (_inbox or Inbox(settings.inbox)).scan(cur, config=settings)
    return {status: sum(o.status == status for o in outcomes) for status in ("loaded", "duplicate", "rejected")}


def _after_load(_submission_id: int) -> None:
    """A submission loaded in this process: evaluate now (in the scheduler's thread, not the loader's)."""
    global _loads
    _loads += 1
    with _lock:
        if _scheduler is not None and _scheduler.running:
            _scheduler.add_job(_run, "date", args=[AFTER_LOAD, evaluate_and_notify], id=AFTER_LOAD,
                               name="载入后评估预警", replace_existing=True)


def _after_task(_code: str, _action: str) -> None:
    """A task was issued or acted on in this process: evaluate now (its task_due warning follows, a new task is
    announced), in the scheduler's thread."""
    with _lock:
        if _scheduler is not None and _scheduler.running:
            _scheduler.add_job(_run, "date", args=[AFTER_TASK, evaluate_and_notify], id=AFTER_TASK,
                               name="督办变动后评估预警", replace_existing=True)


def start(settings: Settings | None = None) -> BackgroundScheduler | None:
    """Start this process's scheduler once (later calls return the running one); None when the settings turn the
    jobs off. Records the start in scheduler_runs (job 'scheduler')."""
    global _scheduler, _scheduler_id, _stop_listening, _inbox
    settings = settings or current()
    config = settings.scheduler
    with _lock:
        if _scheduler is not None:
            return _scheduler
        if not config.enabled:
            return None
        _scheduler_id = uuid.uuid4().hex[:12]
        scheduler = BackgroundScheduler(job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": int(config.misfire_grace_minutes * 60)})
        scheduler.add_job(_run, IntervalTrigger(seconds=config.evaluate_interval_minutes * 60),
                          args=[EVALUATE, evaluate_and_notify], id=EVALUATE, name="定时评估预警",
                          next_run_time=dt.datetime.now(), replace_existing=True)
        scheduler.add_job(_run, CronTrigger(hour=config.daily_hour, minute=config.daily_minute),
                          args=[DAILY, daily], id=DAILY, name="每日预警汇总", replace_existing=True)
        scheduler.add_job(_run, IntervalTrigger(minutes=REMIND_EVERY_MINUTES), args=[REMIND, remind_units],
                          id=REMIND, name="月度报表催报", next_run_time=dt.datetime.now(), replace_existing=True)
        _inbox = Inbox(settings.inbox)
        scheduler.add_job(_run, IntervalTrigger(seconds=settings.inbox.scan_seconds), args=[INBOX, scan_inbox],
                          id=INBOX, name="收件箱载入", next_run_time=dt.datetime.now(), replace_existing=True)
        with db.cursor() as cur:
            run_id = _record_start(cur, "scheduler", dt.datetime.now(), None)
            _record_end(cur, run_id, "ok", {"pid": os.getpid(), "jobs": [j.id for j in scheduler.get_jobs()]}, None)
        scheduler.start()
        _scheduler = scheduler
        _stop_listening = [load.on_loaded(_after_load), tasks.on_acted(_after_task)]
        _log.info("scheduler %s started: %s", _scheduler_id, ", ".join(j.id for j in scheduler.get_jobs()))
        return scheduler


def shutdown() -> None:
    """Stop the scheduler, waiting for a running job to finish (the caller then checkpoints the database)."""
    global _scheduler, _scheduler_id, _stop_listening, _inbox
    with _lock:
        for stop in _stop_listening:
            stop()
        scheduler, _scheduler, _stop_listening, _inbox = _scheduler, None, [], None
    if scheduler is not None:
        scheduler.shutdown(wait=True)
    _scheduler_id = None


def status(cur: duckdb.DuckDBPyConnection, runs: int = 10) -> dict:
    """The scheduler of this process (running, id, next run of each job) and the latest runs from the log."""
    with _lock:
        scheduler = _scheduler
        jobs = [] if scheduler is None else [
            {"id": j.id, "name": j.name,
             "next_run": j.next_run_time.isoformat(timespec="seconds") if j.next_run_time else None}
            for j in scheduler.get_jobs()]
    latest = cur.execute("SELECT id, scheduler_id, job_id, started_at, finished_at, outcome, as_of, counts, error "
                         "FROM scheduler_runs ORDER BY id DESC LIMIT ?", [runs]).fetchall()
    columns = ("id", "scheduler_id", "job_id", "started_at", "finished_at", "outcome", "as_of", "counts", "error")
    return {"running": scheduler is not None and scheduler.running, "scheduler_id": _scheduler_id, "jobs": jobs,
            "runs": [{k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else
                          json.loads(v) if k == "counts" and v else v) for k, v in zip(columns, row)}
                     for row in latest]}
