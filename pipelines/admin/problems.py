"""问题清单 (DOMAIN §10): every project's latest non-empty 存在问题 as of a day — what the units wrote in the 存在问题
column of their monthly reports — with whether a 督办事项 covers it, and the admin's 已知悉 mark (seen; no task
needed). A task is issued from a problem through pipelines.admin.tasks.issue with source 'issue', the project and
the report month."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from pipelines.access import Actor
from pipelines.admin.tasks import TaskRefused
from pipelines.store import db, queries

NOTE_MAX_CHARS = 500


def problem_list(con: duckdb.DuckDBPyConnection, as_of: dt.date, scope: str | None = None) -> pd.DataFrame:
    """One row per project with a 存在问题 in a report known by the end of `as_of`, the latest month's first:
    project_code, project_name, unit_code, unit_name, period (the month it was written for), issues, received_at,
    latest_period, current (the project's latest report still says so), acknowledged_by/_at/_note, tasks (codes
    of the tasks covering it: issued from it, or on the project after it arrived). `scope`: one unit or None."""
    found = queries.frame(con, "problem_list", as_of=as_of, scope=scope)
    found["tasks"] = [list(codes) for codes in found["tasks"]]  # plain lists of codes, not arrays
    return found


def acknowledge(con: duckdb.DuckDBPyConnection, actor: Actor, project_code: str, period: dt.date, note: str = "",
                now: dt.datetime | None = None) -> None:
    """Mark the project's 存在问题 of report month `period` 已知悉 (admins only), with an optional note; audited.
    TaskRefused when there is no such problem or for anyone else."""
    if actor.role != "admin":
        raise TaskRefused("只有管理员可以标记问题已知悉", 403)
    note = str(note or "").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise TaskRefused(f"说明不能超过 {NOTE_MAX_CHARS} 字")
    period = period.replace(day=1)
    written = con.execute(
        "SELECT count(*) FROM snapshots s JOIN projects p ON p.id = s.project_id WHERE p.code = ? AND s.period = ? "
        "AND trim(coalesce(s.issues, '')) <> ''", [project_code, period]).fetchone()[0]
    if not written:
        raise TaskRefused(f"项目 {project_code} 在 {period:%Y年%m月} 没有报送存在问题", 404)
    now = now or dt.datetime.now()
    with db.transaction(con):
        con.execute("INSERT OR REPLACE INTO issue_acknowledgements VALUES (?, ?, ?, ?, ?)",
                    [project_code, period, actor.name, now, note or None])
        db.audit(con, actor.name, "problem.acknowledged", project_code, {"period": period.isoformat(), "note": note})
