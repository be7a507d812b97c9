"""The as-of state kept as a timeline: per project, the spans of days over which each of its states held
(project_spans, project_current) and the arrivals its update duty is judged by (project_cover); per unit, the
files that brought its monthly reports (unit_reports).

Working the state out of millions of snapshots on every page view costs a pass over all of them; the timeline
makes a day's state one small read (the macro state_at). Every writer of snapshots calls `refresh` in the same
transaction, so the timeline is never behind the snapshots; `rebuild` recomputes it from scratch (after the
migration that creates it, and after a test or a benchmark edits snapshots or files by hand).

A file received on day c changes nothing before c: `refresh` recomputes, from c on, the projects of the file
and, for a replacement, of the files it supersedes (same unit and report month), and leaves every earlier
span as it was — for a monthly report that closes one span and opens one per project.

`python -m pipelines.timeline` is the command that rebuilds it."""
from __future__ import annotations

import datetime as dt

import duckdb

from pipelines.store import queries

# Projects per batch when rebuilding: the spans query joins each day to the project's earlier snapshots, so a
# batch's memory grows with its projects' history (100,000 projects × 60 months at once took 2.7 GB).
REBUILD_BATCH = 20_000
_BEGINNING = dt.date(1, 1, 1)

_STATE_COLUMNS = ("project_id, valid_from, submission_id, first_period, reported_until, terminated_period, "
                  "unit_code, period, industry, total_investment_wan, status, lead_date, evaluated_date, "
                  "approved_date, signed_date, commenced_date, in_stats_date, completed_date, production_date, "
                  "project_name, investor, investor_uscc, planned_start_date, annual_plan_wan, invested_to_date_wan, "
                  "funds_in_place_wan, invested_before_year")
# The projects of submission $sid and, when it is a replacement (DOMAIN §3), of every file of the same unit and
# report month: the ones it supersedes. An amendment changes only the projects it lists.
_FILE_PROJECTS = """
CREATE OR REPLACE TEMP TABLE timeline_projects AS
SELECT DISTINCT project_id FROM snapshots
WHERE submission_id = $sid
   OR submission_id IN (SELECT o.id FROM submissions o JOIN submissions n ON n.id = $sid
                        WHERE o.unit_code = n.unit_code AND o.period = n.period AND o.kind = 'projects'
                          AND n.id IN (SELECT submission_id FROM replacements))
"""
# The unit reports a file brings: one row per unit and report month it has accepted rows for.
_UNIT_REPORTS = """
INSERT INTO unit_reports
SELECT submission_id, unit_code, period, min(received_at), count(*) FROM snapshots
WHERE {where} GROUP BY submission_id, unit_code, period
"""
# Applying the new states from $from_day on: drop the spans that start then or later, end the ones running
# past it there, close the current states that started before it, then write the new ones.
_APPLY = (
    "DELETE FROM project_spans WHERE project_id IN (SELECT project_id FROM timeline_projects)"
    " AND valid_from >= $from_day",
    "UPDATE project_spans SET valid_until = $from_day"
    " WHERE project_id IN (SELECT project_id FROM timeline_projects) AND valid_until > $from_day",
    f"INSERT INTO project_spans BY NAME SELECT {_STATE_COLUMNS}, CAST($from_day AS DATE) AS valid_until"
    " FROM project_current WHERE project_id IN (SELECT project_id FROM timeline_projects) AND valid_from < $from_day",
    "DELETE FROM project_current WHERE project_id IN (SELECT project_id FROM timeline_projects)",
    "INSERT INTO project_spans BY NAME SELECT * FROM timeline_new"
    " WHERE valid_until IS NOT NULL AND submission_id IS NOT NULL ORDER BY valid_until, project_id",
    f"INSERT INTO project_current SELECT {_STATE_COLUMNS} FROM timeline_new"
    " WHERE valid_until IS NULL AND submission_id IS NOT NULL",
)


def refresh(con: duckdb.DuckDBPyConnection, submission_id: int) -> None:
    """Bring the timeline up to date with submission `submission_id`, just written (inside the caller's
    transaction)."""
    found = con.execute("SELECT CAST(received_at AS DATE) FROM submissions WHERE id = $sid",
                        {"sid": submission_id}).fetchone()
    if found is None:
        return
    con.execute(_FILE_PROJECTS, {"sid": submission_id})
    _recompute(con, found[0])
    con.execute("DELETE FROM unit_reports WHERE submission_id = $sid", {"sid": submission_id})
    con.execute(_UNIT_REPORTS.format(where="submission_id = $sid"), {"sid": submission_id})


def rebuild(con: duckdb.DuckDBPyConnection, batch: int = REBUILD_BATCH) -> None:
    """Recompute the whole timeline from the snapshots, in batches of `batch` projects (inside the caller's
    transaction, if any)."""
    con.execute("DELETE FROM project_spans")
    con.execute("DELETE FROM project_current")
    con.execute("DELETE FROM project_cover")
    con.execute("DELETE FROM unit_reports")
    con.execute(_UNIT_REPORTS.format(where="true"))
    bounds = con.execute("SELECT min(project_id), max(project_id) FROM snapshots").fetchone()
    if bounds[0] is None:
        return
    for low in range(bounds[0], bounds[1] + 1, batch):
        con.execute("CREATE OR REPLACE TEMP TABLE timeline_projects AS SELECT DISTINCT project_id FROM snapshots"
                    " WHERE project_id >= $low AND project_id < $high", {"low": low, "high": low + batch})
        _compute(con, _BEGINNING, first=low == bounds[0])
    # All batches' spans written at once, in the order of valid_until (see the schema: the rows in force on a
    # day then lie together).
    con.execute("CREATE OR REPLACE TEMP TABLE timeline_projects AS SELECT DISTINCT project_id FROM timeline_new")
    _apply(con, _BEGINNING)


def _recompute(con: duckdb.DuckDBPyConnection, from_day: dt.date) -> None:
    _compute(con, from_day, first=True)
    _apply(con, from_day)


def _compute(con: duckdb.DuckDBPyConnection, from_day: dt.date, first: bool) -> None:
    """Put (`first`) or add the states from `from_day` on of the projects in timeline_projects into the temporary
    table timeline_new, and replace their project_cover rows."""
    # timeline_new is made from the first rows, not empty: with DuckDB 2.0.0 a temporary table created empty
    # (CREATE TABLE AS … LIMIT 0) read back no rows after a large insert in the same transaction.
    into = "CREATE OR REPLACE TEMP TABLE timeline_new AS " if first else "INSERT INTO timeline_new BY NAME "
    con.execute(into + queries.sql("timeline_spans"), {"from_day": from_day})
    con.execute("DELETE FROM project_cover WHERE project_id IN (SELECT project_id FROM timeline_projects)")
    con.execute("INSERT INTO project_cover BY NAME " + queries.sql("timeline_cover"))


def _apply(con: duckdb.DuckDBPyConnection, from_day: dt.date) -> None:
    for statement in _APPLY:
        con.execute(statement, {"from_day": from_day} if "$from_day" in statement else {})
    con.execute("DROP TABLE timeline_new")
    con.execute("DROP TABLE timeline_projects")
