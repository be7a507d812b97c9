"""pipelines.store.db: the schema is migrated once and versioned; transactions are all-or-nothing; a database held by
another process is reported, not forced."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from pipelines.store import db

TABLES = ["api_tokens", "audit_log", "bulletin_editions", "exemptions", "issue_acknowledgements", "notification_channels", "notification_log",
          "project_cover", "project_current", "project_spans", "projects", "reminders", "replacements", "row_problems",
          "scheduler_runs", "schema_migrations", "screen_links", "sessions", "settings_overrides", "snapshots", "submissions", "targets",
          "task_actions", "task_warnings",
          "unit_reports", "units", "users", "veto_decisions", "veto_flags", "warning_events", "warnings"]


def _tables(con) -> list[str]:
    return [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]


def test_fresh_database_gets_every_migration_once(tmp_path):
    """Opening a new file applies every schema file and records each in schema_migrations."""
    con = db.connect(tmp_path / "new.duckdb")
    assert _tables(con) == TABLES
    files = db.migrations()
    assert [v for v, _ in files] == sorted({v for v, _ in files})
    assert con.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall() == [
        (version, path.name) for version, path in files]
    con.close()


def test_reopening_does_not_reapply(tmp_path):
    """A second open finds every version applied and changes nothing; migrate() returns the same version."""
    path = tmp_path / "z.duckdb"
    con = db.connect(path)
    con.execute("INSERT INTO units VALUES ('U01', '经济开发区', '园区', '园区组', now(), now())")
    applied = con.execute("SELECT * FROM schema_migrations").fetchall()
    con.close()
    con = db.connect(path)
    assert con.execute("SELECT * FROM schema_migrations").fetchall() == applied
    assert con.execute("SELECT code FROM units").fetchall() == [("U01",)]
    assert db.migrate(con) == max(v for v, _ in db.migrations())
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchone() == (len(applied),)
    con.close()


def test_a_failing_migration_leaves_no_trace(tmp_path, monkeypatch):
    """A schema file that fails part-way is rolled back and not recorded; the earlier ones stay applied."""
    schema = tmp_path / "schema"
    schema.mkdir()
    for _, path in db.migrations():
        (schema / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (schema / "0999_broken.sql").write_text("CREATE TABLE half_done (x INTEGER); SELECT * FROM no_such_table;",
                                            encoding="utf-8")
    monkeypatch.setattr(db, "SCHEMA_DIR", schema)
    with pytest.raises(Exception, match="no_such_table"):
        db.connect(tmp_path / "m.duckdb")
    con = db.connect(tmp_path / "m.duckdb", read_only=True)
    assert "half_done" not in _tables(con)
    assert 999 not in {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
    assert "units" in _tables(con)
    con.close()


def test_transaction_rolls_back_everything_on_error(con):
    """Inside db.transaction an exception undoes every statement of the block and is re-raised."""
    with pytest.raises(ValueError):
        with db.transaction(con):
            con.execute("INSERT INTO units VALUES ('U01', '经济开发区', '园区', '园区组', now(), now())")
            db.audit(con, "测试管理员", "unit.upsert", "U01", {})
            raise ValueError("中途失败")
    assert con.execute("SELECT (SELECT count(*) FROM units), (SELECT count(*) FROM audit_log)").fetchone() == (0, 0)
    with db.transaction(con):
        con.execute("INSERT INTO units VALUES ('U01', '经济开发区', '园区', '园区组', now(), now())")
    assert con.execute("SELECT count(*) FROM units").fetchone() == (1,)


def test_audit_entry_keeps_actor_action_and_detail(con):
    """An audit entry records who did what to which subject, with the detail as JSON (dates as text)."""
    db.audit(con, "测试管理员", "submission.loaded", "城东街道10月.xlsx", {"submission_id": 3, "on": dt.date(2024, 11, 5)})
    actor, action, subject, detail = con.execute("SELECT actor, action, subject, detail FROM audit_log").fetchone()
    assert (actor, action, subject, json.loads(detail)) == (
        "测试管理员", "submission.loaded", "城东街道10月.xlsx", {"submission_id": 3, "on": "2024-11-05"})


@pytest.mark.parametrize("as_of, stage", [
    (dt.date(2024, 2, 29), None),
    (dt.date(2024, 3, 1), "lead"),
    (dt.date(2024, 5, 31), "signed"),
    (dt.date(2024, 6, 1), "commenced"),
    (dt.date(2024, 12, 31), "production"),
])
def test_stage_is_the_furthest_milestone_reached_by_the_day(con, as_of, stage):
    """stage_of(row, day) is the furthest milestone whose date is on or before the day, else NULL."""
    row = con.execute(
        "SELECT stage_of(r, $d) FROM (SELECT DATE '2024-03-01' AS lead_date, NULL::DATE AS evaluated_date, "
        "NULL::DATE AS approved_date, DATE '2024-05-31' AS signed_date, DATE '2024-06-01' AS commenced_date, "
        "NULL::DATE AS in_stats_date, NULL::DATE AS completed_date, DATE '2024-12-31' AS production_date) r",
        {"d": as_of}).fetchone()
    assert row == (stage,)


def test_database_held_by_another_process_raises_store_busy(tmp_path):
    """While another process holds the file, connect() raises StoreBusy with a one-line Chinese explanation."""
    path = tmp_path / "held.duckdb"
    db.connect(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
                               "sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(db.StoreBusy) as caught:
            db.connect(path)
        assert str(caught.value) == (f"数据库 {path} 正被另一进程（通常是看板服务）占用：请通过服务操作，或先停止服务后再运行此命令")
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
