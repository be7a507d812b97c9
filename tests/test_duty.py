"""The update duty of DOMAIN §6: which (project, period) pairs are overdue, and which projects are stale."""
from __future__ import annotations

import datetime as dt

import pytest

from pipelines.figures.duty import last_due_period, overdue_updates, stale_projects
from pipelines.months import due_date
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
    """Four projects (three of U01, the terminated one of U02) with the histories worked through below."""
    con = units
    ids = {name: project(con, name) for name in ("late", "terminated", "producing", "newcomer")}
    snapshot(con, ids["late"], "2024-01", "2024-02-05")
    snapshot(con, ids["late"], "2024-02", "2024-03-15")  # due 03-10: late
    snapshot(con, ids["late"], "2024-04", "2024-05-08")  # March never sent; April on time
    # In U02: a second U01 file for February would supersede U01's first one.
    snapshot(con, ids["terminated"], "2024-01", "2024-02-05", "U02")
    snapshot(con, ids["terminated"], "2024-02", "2024-03-05", "U02", status="terminated")
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
    assert set(overdue["unit_code"]) == {"U01"}  # the terminated U02 project owes nothing


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


def test_correction_file_supersedes_state_not_timing(units):
    """U01 sends May on time with X and Y, then a May file on 06-20 with X only, as a replacement (整表替换; an
    amendment would keep Y's May row, see test_timeline): from 06-20 on Y's
    state drops back to its April report, but both May updates arrived on time (DOMAIN §6 judges arrivals),
    so nothing is overdue or stale; Y is stale once June's file also leaves it out."""
    from pipelines.store.state import projects_as_of

    x, y = project(units, "X"), project(units, "Y")
    for pid in (x, y):
        snapshot(units, pid, "2024-04", "2024-05-06")
        snapshot(units, pid, "2024-05", "2024-06-05")
    snapshot(units, x, "2024-05", "2024-06-20", investor="更正后", replace=True)
    before = projects_as_of(units, D(2024, 6, 19)).set_index("project_code")
    after = projects_as_of(units, D(2024, 6, 30)).set_index("project_code")
    assert [f"{p:%Y-%m}" for p in before["period"]] == ["2024-05", "2024-05"]
    assert (f"{after.loc['X', 'period']:%Y-%m}", after.loc["X", "investor"]) == ("2024-05", "更正后")
    assert f"{after.loc['Y', 'period']:%Y-%m}" == "2024-04"
    assert len(overdue_updates(units, D(2024, 6, 30))) == 0
    snapshot(units, x, "2024-06", "2024-07-05")
    assert list(stale_projects(units, D(2024, 7, 20))["project_id"]) == [y]
