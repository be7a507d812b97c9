"""The stored as-of state (pipelines.store.timeline): on any day it equals DOMAIN §4 worked out from the snapshots
alone (tests/reference/project_facts.sql), through corrections, back-fills and terminations; a rebuild gives
the same timeline as file-by-file refreshes; an older database gets its timeline on opening."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipelines import settings
from pipelines import timeline as timeline_command
from pipelines.figures import duty
from pipelines.store import db, timeline
from tests import factories as f
from tests.reference import assert_agrees


def days(first: str, last: str) -> list[dt.date]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def state_of(con, as_of: str, code: str) -> dict | None:
    """The row of project `code` in the facts as of `as_of` (checked against the reference), or None."""
    found = assert_agrees(con, dt.date.fromisoformat(as_of))
    rows = found[found["project_code"] == code].to_dict("records")
    return rows[0] if rows else None


def timeline_rows(con) -> dict[str, list[tuple]]:
    return {table: sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)  # names from this list
            for table in ("project_spans", "project_current", "project_cover")}


@pytest.fixture
def county(units):
    """U01 sends March (A, B), April (A commenced, B 终止, C), a replacement of April on 15 May (B active after
    all), May (A 纳统, C; B not reported) and a replacement of May on 12 June that leaves A out; E is in March's
    and May's files, not April's. U02's D sends May on 7 June; its April file, received on 20 May (late), is
    loaded after it (a back-fill)."""
    con = units
    a, b, c, d = f.project(con, "A"), f.project(con, "B"), f.project(con, "C"), f.project(con, "D", "U02")
    e = f.project(con, "E")
    f.snapshot(con, e, "2024-03", "2024-04-08")
    f.snapshot(con, e, "2024-05", "2024-06-05")
    signed, commenced = {"signed_date": "2024-03-01"}, {"signed_date": "2024-03-01", "commenced_date": "2024-04-20"}
    f.snapshot(con, a, "2024-03", "2024-04-08", **signed)
    f.snapshot(con, b, "2024-03", "2024-04-08")
    f.snapshot(con, a, "2024-04", "2024-05-09", **commenced)
    f.snapshot(con, b, "2024-04", "2024-05-09", status="terminated")
    f.snapshot(con, c, "2024-04", "2024-05-09", total=600)
    f.snapshot(con, a, "2024-04", "2024-05-15", replace=True, **commenced)
    f.snapshot(con, b, "2024-04", "2024-05-15")
    f.snapshot(con, c, "2024-04", "2024-05-15", total=600)
    f.snapshot(con, a, "2024-05", "2024-06-05", **commenced, in_stats_date="2024-05-30")
    f.snapshot(con, c, "2024-05", "2024-06-05", total=600)
    f.snapshot(con, c, "2024-05", "2024-06-12", total=700, replace=True)
    f.snapshot(con, d, "2024-05", "2024-06-07", "U02")
    f.snapshot(con, d, "2024-04", "2024-05-20", "U02")
    return con


def test_agrees_with_the_reference_on_every_day(county):
    """Every day from before the first file to after the last with the year's duty window, and every fifth day
    with a window of three years."""
    for n, day in enumerate(days("2024-04-01", "2024-07-31")):
        assert_agrees(county, day)
        if n % 5 == 0:
            assert_agrees(county, day, dt.date(2022, 1, 1))


def test_a_correction_that_leaves_a_project_out_drops_it_back_to_its_previous_report(county):
    """A's May report is in force until the correction of 12 June, which leaves A out: from then on A's April
    report (of the April correction) counts again, 纳统 not yet reached; its earliest and latest reported
    months stay, since the superseded file did arrive."""
    before = state_of(county, "2024-06-11", "A")
    assert (before["period"], before["in_stats_date"]) == (pd.Timestamp("2024-05-01"), pd.Timestamp("2024-05-30"))
    after = state_of(county, "2024-06-12", "A")
    assert after["period"] == pd.Timestamp("2024-04-01") and pd.isna(after["in_stats_date"])
    assert after["submission_id"] == f.file_id(county, "U01", "2024-04", "2024-05-15")
    assert state_of(county, "2024-06-12", "C")["total_investment_wan"] == 700
    assert (after["first_period"], after["reported_until"]) == (pd.Timestamp("2024-03-01"), pd.Timestamp("2024-05-01"))


def test_termination_in_a_corrected_file_no_longer_ends_the_duty(county):
    """B reported 终止 in April's file of 9 May; the correction of 15 May reports it active. Until then B is
    terminated; after it B owes May again and, as of 11 June (May due on the 10th, never sent), is stale."""
    assert state_of(county, "2024-05-14", "B")["status"] == "terminated"
    corrected = state_of(county, "2024-06-11", "B")
    assert corrected["status"] == "active" and corrected["months_behind"] == 1


def test_a_back_filled_file_changes_the_past_from_its_received_day(county):
    """D's April file, loaded after its May file but received on 20 May, counts from 20 May: D is unknown
    before, reports April from then, and May from 7 June."""
    assert state_of(county, "2024-05-19", "D") is None
    assert state_of(county, "2024-05-20", "D")["period"] == pd.Timestamp("2024-04-01")
    assert state_of(county, "2024-06-07", "D")["period"] == pd.Timestamp("2024-05-01")


def test_a_month_left_out_is_overdue_though_a_later_report_arrived(county):
    """E skipped April: April (due 10 May) is overdue though May's report arrived on 5 June; March and May were
    on time. D's April file arrived on 20 May, after its due day: overdue too."""
    january = dt.date(2024, 1, 1)
    as_of = dt.date(2024, 6, 11)
    pairs = duty.overdue_pairs(assert_agrees(county, as_of), january, settings.current().duty.due_day)
    overdue = {(code, f"{period:%Y-%m}") for code, period in zip(pairs["project_code"], pairs["period"])}
    assert {pair for pair in overdue if pair[0] in ("D", "E")} == {("E", "2024-04"), ("D", "2024-04")}


def test_a_project_whose_only_file_is_superseded_without_it_is_unknown_from_then(units):
    """P appears only in U01's June file of the 3rd; the replacement of the 9th leaves it out."""
    p, q = f.project(units, "P"), f.project(units, "Q")
    f.snapshot(units, p, "2024-06", "2024-07-03")
    f.snapshot(units, q, "2024-06", "2024-07-03")
    f.snapshot(units, q, "2024-06", "2024-07-09", replace=True)
    assert state_of(units, "2024-07-08", "P") is not None
    assert state_of(units, "2024-07-09", "P") is None
    assert state_of(units, "2024-07-09", "Q")["submission_id"] == f.file_id(units, "U01", "2024-06", "2024-07-09")


def test_rebuild_gives_the_timeline_that_refreshes_built(county):
    """Recomputing everything at once (in batches of two projects) writes the same rows as the file-by-file
    refreshes did."""
    refreshed = timeline_rows(county)
    with db.transaction(county):
        timeline.rebuild(county, batch=2)
    assert timeline_rows(county) == refreshed
    assert refreshed["project_current"]


def test_a_failed_write_leaves_the_timeline_as_it_was(county):
    """A snapshot written and refreshed in a transaction that then fails leaves no trace in the timeline."""
    before = timeline_rows(county)
    with pytest.raises(RuntimeError), db.transaction(county):
        f.snapshot(county, f.project(county, "F"), "2024-06", "2024-07-05")
        raise RuntimeError("the load failed after its snapshots")
    assert timeline_rows(county) == before


def test_an_older_database_gets_its_timeline_on_opening(tmp_path):
    """A database written before the timeline existed (snapshots in it, schema 8: no timeline tables) is
    brought up to date when opened: its as-of state then agrees with the reference."""
    path = tmp_path / "old.duckdb"
    con = db.connect(path)
    con.execute("INSERT INTO units VALUES ('U01', '经济开发区', '园区', '园区组', now(), now())")
    con.execute("INSERT INTO projects VALUES (1, 'A', 'U01', 'A', 0, now())")
    con.execute("INSERT INTO submissions VALUES (7, 'projects', 'f.xlsx', 'h', 'U01', '2024-05-01',"
                " '2024-06-05', 'test', 1, 0, 'loaded', NULL, now())")
    con.execute("INSERT INTO snapshots (submission_id, project_id, sheet, row_number, unit_code, period,"
                " received_at, project_name, industry, total_investment_wan, status) VALUES"
                " (7, 1, 'S', 2, 'U01', '2024-05-01', '2024-06-05', 'A', '制造业', 20000, 'active')")
    for table in ("project_spans", "project_current", "project_cover", "replacements", "unit_reports", "reminders",
                  "task_actions", "veto_decisions", "exemptions", "task_warnings", "issue_acknowledgements",
                  "bulletin_editions", "screen_links"):
        con.execute(f"DROP TABLE {table}")  # names from this list: the tables of migrations 9 and later
    for sequence in ("reminder_ids", "task_action_ids", "exemption_ids", "screen_link_ids"):
        con.execute(f"DROP SEQUENCE {sequence}")
    con.execute("DELETE FROM schema_migrations WHERE version >= $v", {"v": db.TIMELINE_MIGRATION})
    con.close()
    con = db.connect(path)
    found = assert_agrees(con, dt.date(2024, 7, 20))
    assert found["project_code"].tolist() == ["A"]
    con.close()


def test_the_command_rebuilds_a_timeline_emptied_by_hand(county, tmp_path, capsys):
    """`python -m pipelines.timeline` recomputes the state after the timeline was lost (here: emptied in SQL)."""
    for table in ("project_spans", "project_current", "project_cover"):  # names from this list
        county.execute(f"DELETE FROM {table}")
    county.close()
    assert timeline_command.main(["--db", str(tmp_path / "test.duckdb")]) == 0
    assert "已重建项目状态时间线：5 个项目" in capsys.readouterr().out
    con = db.connect(tmp_path / "test.duckdb")
    assert len(assert_agrees(con, dt.date(2024, 6, 20))) == 5
    con.close()


def test_a_second_file_of_the_month_amends_the_first_by_default(units):
    """U01's June file of the 3rd lists P and Q; a second file of the 9th lists Q alone, not as a replacement:
    P keeps its row of the 3rd, Q takes the new one (DOMAIN §3)."""
    p, q = f.project(units, "P"), f.project(units, "Q")
    f.snapshot(units, p, "2024-06", "2024-07-03")
    f.snapshot(units, q, "2024-06", "2024-07-03")
    f.snapshot(units, q, "2024-06", "2024-07-09", total=30000)
    assert state_of(units, "2024-07-09", "P")["submission_id"] == f.file_id(units, "U01", "2024-06", "2024-07-03")
    assert state_of(units, "2024-07-09", "Q")["total_investment_wan"] == 30000
