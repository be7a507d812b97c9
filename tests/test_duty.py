"""The update duty of DOMAIN §6: which (project, period) pairs are overdue, and which projects are stale."""
from __future__ import annotations

import datetime as dt

import pytest

from pipelines.duty import due_date, last_due_period, overdue_updates, stale_projects
from tests.factories import project, snapshot

D = dt.date


@pytest.mark.parametrize(("as_of", "expected"), [
    (D(2024, 5, 9), D(2024, 3, 1)),   # April's update not yet due
    (D(2024, 5, 10), D(2024, 4, 1)),  # due day itself: April's update is due
    (D(2024, 1, 20), D(2023, 12, 1)),  # across the year
    (D(2024, 1, 5), D(2023, 11, 1)),
])
def test_last_due_period(as_of, expected):
    """The latest month whose update is due by the as-of day, with due day 10."""
    assert last_due_period(as_of, 10) == expected


def test_due_date_is_day_ten_of_next_month():
    """The update for December is due on 10 January of the next year."""
    assert due_date(D(2024, 12, 1), 10) == D(2025, 1, 10)


def _months(frame, project_id):
    rows = frame[frame["project_id"] == project_id]
    return sorted(f"{p:%Y-%m}" for p in rows["period"])


@pytest.fixture
def history(units):
    """Four projects of U01 with the reporting histories worked through in each test's docstring."""
    con = units
    ids = {name: project(con, name) for name in ("late", "terminated", "producing", "newcomer")}
    snapshot(con, ids["late"], "2024-01", "2024-02-05")
    snapshot(con, ids["late"], "2024-02", "2024-03-15")  # due 03-10: late
    snapshot(con, ids["late"], "2024-04", "2024-05-08")  # March never sent; April on time
    snapshot(con, ids["terminated"], "2024-01", "2024-02-05")
    snapshot(con, ids["terminated"], "2024-02", "2024-03-05", status="terminated")
    snapshot(con, ids["producing"], "2024-01", "2024-02-05", signed_date="2023-03-01",
             commenced_date="2023-05-01", production_date="2024-01-20")
    snapshot(con, ids["newcomer"], "2024-03", "2024-04-02")
    return con, ids


def test_overdue_pairs_as_of_may_20(history):
    """As of 2024-05-20: 'late' owes Feb (sent 03-15) and Mar (covered only by April's report on 05-08);
    the terminated and producing projects owe nothing after their last month; 'newcomer' owes April."""
    con, ids = history
    overdue = overdue_updates(con, D(2024, 5, 20))
    assert _months(overdue, ids["late"]) == ["2024-02", "2024-03"]
    assert _months(overdue, ids["terminated"]) == []
    assert _months(overdue, ids["producing"]) == []
    assert _months(overdue, ids["newcomer"]) == ["2024-04"]
    assert set(overdue["unit_code"]) == {"U01"}


def test_late_update_keeps_deduction_but_clears_staleness(history):
    """As of 04-30 'late' is stale for March (one month behind); by 05-20 April's report has cleared the
    staleness while March stays overdue."""
    con, ids = history
    stale_april = stale_projects(con, D(2024, 4, 30))
    row = stale_april[stale_april["project_id"] == ids["late"]].iloc[0]
    assert (row["months_behind"], f"{row['oldest_missing']:%Y-%m}") == (1, "2024-03")
    stale_may = stale_projects(con, D(2024, 5, 20))
    assert ids["late"] not in set(stale_may["project_id"])
    assert set(stale_may["project_id"]) == {ids["newcomer"]}
    assert "2024-03" in _months(overdue_updates(con, D(2024, 5, 20)), ids["late"])


def test_as_of_before_later_reports_sees_only_what_was_known(history):
    """As of 2024-04-09 only January and February are due; February's late report counts as overdue."""
    con, ids = history
    overdue = overdue_updates(con, D(2024, 4, 9))
    assert _months(overdue, ids["late"]) == ["2024-02"]
    assert _months(overdue, ids["newcomer"]) == []


@pytest.mark.parametrize(("received", "overdue"), [
    ("2024-02-10 23:59:59", False),  # the last second of the due day is on time
    ("2024-02-11 00:00:00", True),
])
def test_due_day_boundary(units, received, overdue):
    """An update is on time through the end of the due day and overdue from the next day."""
    pid = project(units, "edge")
    snapshot(units, pid, "2024-01", received)
    assert _months(overdue_updates(units, D(2024, 3, 1)), pid) == (["2024-01"] if overdue else [])


def test_overdue_filtered_by_year(units):
    """Deductions count periods of the assessment year only: December 2023 sent late is not a 2024 item."""
    pid = project(units, "dec")
    snapshot(units, pid, "2023-12", "2024-01-20")
    snapshot(units, pid, "2024-01", "2024-02-05")
    assert _months(overdue_updates(units, D(2024, 3, 1)), pid) == ["2023-12"]
    assert _months(overdue_updates(units, D(2024, 3, 1), year=2024), pid) == []


def test_unit_of_latest_snapshot_is_charged(units):
    """A project that moved from U01 to U02 has its overdue months charged to U02, its latest unit."""
    pid = project(units, "moved")
    snapshot(units, pid, "2024-01", "2024-02-20", unit="U01")
    snapshot(units, pid, "2024-02", "2024-03-05", unit="U02")
    overdue = overdue_updates(units, D(2024, 3, 20))
    assert list(overdue["unit_code"]) == ["U02"] and _months(overdue, pid) == ["2024-01"]
