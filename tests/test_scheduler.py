"""alerts.scheduler: the background jobs evaluate the warnings on their interval and after every load, log every
run, notify only changes, send the leaders' daily digest; one scheduler per process, in the server and headless."""
from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import time

import pytest

from alerts import notify, scheduler
from pipelines import settings
from pipelines.figures.duty import last_due_period
from pipelines.ingest.run import ingest_file
from pipelines.store import db
from tests.conftest import ADMIN
from tests.factories import project, snapshot
from tests.fixtures import build
from tests.server import ROOT, get, running_server

TODAY = dt.date.today()
FAST = {"scheduler": {"evaluate_interval_minutes": 0.01}}  # every 0.6 s


def _until(predicate, timeout: float = 30, every: float = 0.2):
    """Wait until predicate() gives something true and return it; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s: {predicate.__doc__ or predicate}")
        time.sleep(every)


def _stale_project(con, code: str = "ZS000001", unit: str = "U01") -> None:
    """A unit whose only project was last reported in January 2024: as of today the unit's report has been missing
    for far more than two months (report_missing, red; DOMAIN §8 raises no stale_update for its project)."""
    snapshot(con, project(con, code, unit), "2024-01", "2024-02-05", unit)


def _runs(con, job_id: str) -> list[tuple]:
    return con.execute("SELECT outcome, counts, error, scheduler_id FROM scheduler_runs WHERE job_id = ? ORDER BY id",
                       [job_id]).fetchall()


@pytest.fixture
def process_store(units, tmp_path):
    """The test database opened as this process's store (as the server's lifespan does); the scheduler stopped
    and the store closed afterwards."""
    db.open_for_process(tmp_path / "test.duckdb")
    yield units
    scheduler.shutdown()
    db.close_for_process()


def test_scheduler_evaluates_at_start_and_on_its_interval_logging_every_run(process_store):
    """Started, the scheduler evaluates at once and then every interval; the first run opens the warning, later
    runs find nothing new; each run has a row with its outcome and counts."""
    _stale_project(process_store)
    scheduler.start(settings.load(env={}, overrides=FAST))
    runs = _until(lambda: len(_runs(process_store, "evaluate")) >= 3 and _runs(process_store, "evaluate"))
    finished = [json.loads(counts) for outcome, counts, _, _ in runs if outcome == "ok"]
    assert finished[0]["new"] == 1 and finished[0]["open"] == 1
    assert all(c["new"] == 0 and c["open"] == 1 for c in finished[1:])
    assert process_store.execute("SELECT rule, subject, grade FROM warnings").fetchall() == [
        ("report_missing", "U01", "red")]


def test_starting_again_keeps_the_one_scheduler(process_store):
    """A second start() in the same process (a rerun, a new session) returns the running scheduler: one start in
    the log, one set of jobs."""
    first = scheduler.start(settings.load(env={}))
    assert scheduler.start(settings.load(env={}, overrides=FAST)) is first
    assert {j.id for j in first.get_jobs()} == {scheduler.EVALUATE, scheduler.DAILY, scheduler.INBOX, scheduler.REMIND}
    assert {(j.coalesce, j.max_instances, j.misfire_grace_time) for j in first.get_jobs()} == {(True, 1, 600)}
    assert str(first.get_job(scheduler.DAILY).trigger) == "cron[hour='8', minute='30']"
    assert len(_runs(process_store, "scheduler")) == 1


def test_disabled_scheduler_does_not_start(process_store):
    """scheduler.enabled = false: nothing runs in this process."""
    assert scheduler.start(settings.load(env={}, overrides={"scheduler": {"enabled": False}})) is None
    assert _runs(process_store, "scheduler") == []


def test_a_load_is_followed_by_an_evaluation(process_store, tmp_path):
    """A workbook loaded in the process triggers an evaluation right away, long before the next interval."""
    scheduler.start(settings.load(env={}, overrides={"scheduler": {"evaluate_interval_minutes": 600}}))
    _until(lambda: _runs(process_store, "evaluate"))
    with db.cursor() as cur:
        report = ingest_file(cur, build.town_report(tmp_path), ADMIN)
    assert report.status == "loaded"
    runs = _until(lambda: [r for r in _runs(process_store, "evaluate_after_load") if r[0] == "ok"])
    assert json.loads(runs[0][1])["evaluations"] >= 1
    # the town report (2024-10) is long overdue for November: its projects are now stale
    assert process_store.execute("SELECT count(*) FROM warnings WHERE rule = 'report_missing'").fetchone()[0] >= 1


def test_a_failing_run_is_logged_and_the_next_one_goes_ahead(process_store, monkeypatch):
    """A run that raises is recorded as failed with its error; the following run succeeds."""
    _stale_project(process_store)
    real = scheduler.evaluate
    calls = []

    def fails_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("规则数据暂不可用")
        return real(*args, **kwargs)

    monkeypatch.setattr(scheduler, "evaluate", fails_once)
    scheduler._run(scheduler.EVALUATE, scheduler.evaluate_and_notify)
    scheduler._run(scheduler.EVALUATE, scheduler.evaluate_and_notify)
    (first, _, error, _), (second, counts, _, _) = _runs(process_store, "evaluate")
    assert (first, error) == ("failed", "RuntimeError: 规则数据暂不可用")
    assert second == "ok" and json.loads(counts)["new"] == 1


def test_only_changes_are_notified(process_store):
    """The first evaluation tells the unit's channel of the new warning; evaluating the same data again tells
    nobody anything."""
    _stale_project(process_store)
    notify.add_channel(process_store, "开发区群", "webhook", "http://127.0.0.1:9/hook", "unit", unit_code="U01")
    config = settings.load(env={})
    with db.cursor() as cur:
        first = scheduler.evaluate_and_notify(cur, TODAY, config)
        second = scheduler.evaluate_and_notify(cur, TODAY, config)
    assert first["notifications"] == {"sent": 0, "failed": 0, "logged_dry_run": 1}
    assert second["notifications"] == {"sent": 0, "failed": 0, "logged_dry_run": 0}
    payload = process_store.execute("SELECT payload FROM notification_log").fetchone()[0]
    assert "经济开发区" in payload and "本期未报送" in payload


def test_daily_job_sends_leaders_the_digest_with_the_units_not_reported(process_store):
    """The daily job evaluates, then sends the leaders' channel the digest: the open warnings and the units whose
    report for the latest month already due has not arrived (U01 last reported long ago; U02 reported it)."""
    _stale_project(process_store)
    due = last_due_period(TODAY, settings.current().duty.due_day)
    snapshot(process_store, project(process_store, "ZS000002", "U02"), due.strftime("%Y-%m"),
             due.replace(day=2).isoformat(), "U02")
    snapshot(process_store, project(process_store, "ZS000003", "U02"), "2024-01", "2024-02-05", "U02")
    leaders = notify.add_channel(process_store, "县领导群", "webhook", "http://127.0.0.1:9/hook", "leaders")
    with db.cursor() as cur:
        counts = scheduler.daily(cur, TODAY, settings.load(env={}))
    assert counts["unreported_units"] == 1 and counts["digest"]["logged_dry_run"] == 1
    payload = process_store.execute(
        "SELECT payload FROM notification_log WHERE channel_id = ? AND change = 'digest'", [leaders]).fetchone()[0]
    text = json.loads(payload)["text"]
    assert f"{due.year}年{due.month}月进展已过报送截止日仍未报送的单元（1个）：经济开发区" in text
    assert "【红】本期未报送" in text


def test_the_server_runs_one_scheduler_that_fires_whatever_the_sessions(units, tmp_path, browser):
    """The real server: its scheduler fires on a short interval and the warning appears; two browser sessions and
    a reload later the same one scheduler is running, and after shutdown the run log shows one start, runs all
    finished, every one by that scheduler."""
    _stale_project(units)
    units.close()
    db_file = tmp_path / "test.duckdb"
    with running_server(db_file, {"ZS_SCHEDULER_EVALUATE_INTERVAL_MINUTES": "0.02"}) as base:
        health = lambda: json.loads(get(f"{base}/api/health"))  # noqa: E731
        first = _until(lambda: (h := health())["open_warnings"] == 1
                       and sum(r["job_id"] == "evaluate" for r in h["scheduler"]["runs"]) >= 2 and h)
        sessions = [browser.new_context().new_page() for _ in range(2)]
        for page in sessions:
            page.goto(base)
            page.locator("form[action='/api/login']").wait_for(timeout=30000)  # a session runs the login screen
        sessions[0].reload()
        sessions[0].locator("form[action='/api/login']").wait_for(timeout=30000)
        later = _until(lambda: (h := health())["scheduler"]["runs"][0]["id"] > first["scheduler"]["runs"][0]["id"] + 2
                       and h)
        assert later["scheduler"]["running"] and later["scheduler"]["scheduler_id"] == first["scheduler"]["scheduler_id"]
    con = db.connect(db_file)
    starts = con.execute("SELECT scheduler_id FROM scheduler_runs WHERE job_id = 'scheduler'").fetchall()
    assert starts == [(first["scheduler"]["scheduler_id"],)]
    assert con.execute("SELECT DISTINCT scheduler_id, outcome FROM scheduler_runs").fetchall() == [starts[0] + ("ok",)]
    assert con.execute("SELECT count(*) FROM warnings WHERE resolved_at IS NULL").fetchone()[0] == 1
    con.close()


def test_headless_scheduler_runs_until_stopped_and_holds_the_database(units, tmp_path):
    """`python -m alerts` runs the same jobs without the dashboard: while it runs other commands refuse; on
    SIGTERM it stops cleanly, leaving its runs and warnings in the database."""
    _stale_project(units)
    units.close()
    db_file = tmp_path / "test.duckdb"
    env = {"ZS_DB": str(db_file), "ZS_SCHEDULER_EVALUATE_INTERVAL_MINUTES": "0.01", "PATH": "/usr/bin:/bin"}
    log = (tmp_path / "alerts.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "alerts"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=log, text=True)
    try:
        assert "后台任务已启动" in process.stdout.readline()
        time.sleep(2)
        busy = subprocess.run([sys.executable, "-m", "alerts.check", "--db", str(db_file)], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert busy.returncode == 2 and "占用" in busy.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        log.close()
    con = db.connect(db_file)
    outcomes = con.execute("SELECT job_id, outcome, count(*) FROM scheduler_runs GROUP BY ALL ORDER BY 1").fetchall()
    assert [(job, outcome) for job, outcome, _ in outcomes] == [("evaluate", "ok"), ("inbox", "ok"), ("remind", "ok"),
                                                                ("scheduler", "ok")]
    assert outcomes[0][2] >= 2
    assert con.execute("SELECT rule FROM warnings").fetchall() == [("report_missing",)]
    con.close()
