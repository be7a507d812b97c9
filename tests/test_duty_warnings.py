"""The stale-update warning (DOMAIN §8) and the overdue-update deductions (§7) read one update duty (§6): the
months a warning says a project is behind are exactly its overdue months not yet sent, each of them in the
assessment year is a deduction charged to the same unit, and the deductions it does not name were sent late."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from alerts.rules import conditions
from pipelines.figures.assessment import assess
from pipelines.figures.duty import overdue_updates
from pipelines.months import add_months
from pipelines.settings import current
from tests.factories import project, snapshot

D = dt.date
DETAIL = re.compile(r"已 (\d+) 个月未更新（自 (\d{4})-(\d{2}) 起）$")


@pytest.fixture
def county(units):
    """Nine projects in three units, due day 10; each unit sends one file a month (a second file for the same
    month would replace the first), so a project is late when its unit's file leaves it out. A file sent on the
    due day itself is on time.

    U01  ontime     in every file, Jan–May, each sent on its due day (May's at 18:00 on 06-10)
         late_once  left out of February's file, back in March's (sent 04-10)
         stale2     Jan–Mar, left out since
    U02  stale1     Jan–Apr, left out of May's file
         caught_up  in January's file, then only from April's (sent 05-09)
         terminated January, February reported 终止
         moved      January reported by U01, then in U02's March file: charged to U02, nothing since
    U03  old_stale  2023-10 and 2023-11, nothing since
         producing  January, with 投产 on 01-20; nothing since
         newcomer   first reported for April, in a file sent on 05-20 (late); May not sent"""
    con = units
    ids = {code: project(con, code, unit) for code, unit in (
        ("ontime", "U01"), ("late_once", "U01"), ("stale2", "U01"), ("stale1", "U02"), ("caught_up", "U02"),
        ("terminated", "U02"), ("moved", "U01"), ("old_stale", "U03"), ("producing", "U03"),
        ("newcomer", "U03"))}
    producing = {"signed_date": "2023-03-01", "commenced_date": "2023-05-01", "production_date": "2024-01-20"}
    files = [  # unit, period, received, the projects in the file (with fields of their own)
        ("U01", "2024-01", "2024-02-10", {"ontime": {}, "late_once": {}, "stale2": {}, "moved": {}}),
        ("U01", "2024-02", "2024-03-10 18:00:00", {"ontime": {}, "stale2": {}}),
        ("U01", "2024-03", "2024-04-10", {"ontime": {}, "late_once": {}, "stale2": {}}),
        ("U01", "2024-04", "2024-05-10", {"ontime": {}, "late_once": {}}),
        ("U01", "2024-05", "2024-06-10 18:00:00", {"ontime": {}, "late_once": {}}),
        ("U02", "2024-01", "2024-02-05", {"stale1": {}, "caught_up": {}, "terminated": {}}),
        ("U02", "2024-02", "2024-03-05", {"stale1": {}, "terminated": {"status": "terminated"}}),
        ("U02", "2024-03", "2024-04-05", {"stale1": {}, "moved": {}}),
        ("U02", "2024-04", "2024-05-09", {"stale1": {}, "caught_up": {}}),
        ("U02", "2024-05", "2024-06-05", {"caught_up": {}}),
        ("U03", "2023-10", "2023-11-05", {"old_stale": {}}),
        ("U03", "2023-11", "2023-12-05", {"old_stale": {}}),
        ("U03", "2024-01", "2024-02-05", {"producing": producing}),
        ("U03", "2024-04", "2024-05-20", {"newcomer": {}}),
    ]
    for unit, period, received, rows in files:
        for code, fields in rows.items():
            snapshot(con, ids[code], period, received, unit, project_name=f"{code}项目", **fields)
    return con


def _warned(con, as_of: dt.date) -> dict[str, tuple[str, str, list[str]]]:
    """project → (unit, grade, the months its stale_update warning says are missing, from its detail)."""
    found = conditions(con, as_of)
    warned = {}
    for _, w in found[found["rule"] == "stale_update"].iterrows():
        behind, year, month = DETAIL.search(w["detail"]).groups()
        warned[w["subject"]] = (w["unit_code"], w["grade"],
                                [f"{add_months(D(int(year), int(month), 1), n):%Y-%m}" for n in range(int(behind))])
    return warned


def _deducted(con, as_of: dt.date) -> set[tuple[str, str, str]]:
    """(unit, project, month) of every overdue-update deduction in the score ledger."""
    ledger = assess(con, as_of).ledger
    return {(row["unit_code"], *subject.split("@")) for _, row in ledger[ledger["item"] == "deduction"].iterrows()
            for subject in row["subjects"]}


def test_stale_warnings_on_mays_due_day(county):
    """On 06-10 May's update is due: stale1 and newcomer are one month behind (yellow), stale2 and moved two
    (red), old_stale six since 2023-12 (red); caught_up, late_once and the on-time, terminated and producing
    projects are not stale."""
    assert _warned(county, D(2024, 6, 10)) == {
        "stale2": ("U01", "red", ["2024-04", "2024-05"]),
        "stale1": ("U02", "yellow", ["2024-05"]),
        "moved": ("U02", "red", ["2024-04", "2024-05"]),
        "old_stale": ("U03", "red", ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]),
        "newcomer": ("U03", "yellow", ["2024-05"]),
    }


def test_deductions_on_mays_due_day(county):
    """The 2024 deductions on 06-10: every stale month of 2024 plus the months sent late (late_once's and
    moved's February, caught_up's February and March, newcomer's April), each charged to the project's latest
    unit; old_stale's December 2023 belongs to last year's assessment."""
    assert _deducted(county, D(2024, 6, 10)) == {
        ("U01", "late_once", "2024-02"), ("U01", "stale2", "2024-04"), ("U01", "stale2", "2024-05"),
        ("U02", "stale1", "2024-05"), ("U02", "caught_up", "2024-02"), ("U02", "caught_up", "2024-03"),
        ("U02", "moved", "2024-02"), ("U02", "moved", "2024-04"), ("U02", "moved", "2024-05"),
        ("U03", "newcomer", "2024-04"), ("U03", "newcomer", "2024-05"),
        *{("U03", "old_stale", f"2024-{m:02d}") for m in range(1, 6)},
    }


def test_day_before_the_due_day(county):
    """On 06-09 May is not yet due: no May warning or deduction; newcomer's late April report has been sent."""
    assert _warned(county, D(2024, 6, 9)) == {
        "stale2": ("U01", "yellow", ["2024-04"]),
        "moved": ("U02", "yellow", ["2024-04"]),
        "old_stale": ("U03", "red", ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04"]),
    }
    assert _deducted(county, D(2024, 6, 9)) == {
        ("U01", "late_once", "2024-02"), ("U01", "stale2", "2024-04"),
        ("U02", "caught_up", "2024-02"), ("U02", "caught_up", "2024-03"), ("U02", "moved", "2024-02"),
        ("U02", "moved", "2024-04"),
        ("U03", "newcomer", "2024-04"), *{("U03", "old_stale", f"2024-{m:02d}") for m in range(1, 5)},
    }


def test_new_year_warns_without_deducting(county):
    """On 2024-01-15 old_stale is one month behind for December 2023: a warning, but no 2024 deduction."""
    assert _warned(county, D(2024, 1, 15)) == {"old_stale": ("U03", "yellow", ["2023-12"])}
    assert _deducted(county, D(2024, 1, 15)) == set()


@pytest.mark.parametrize("as_of", [D(2024, 1, 15), D(2024, 4, 10), D(2024, 5, 31), D(2024, 6, 9), D(2024, 6, 10),
                                   D(2024, 8, 31)])
def test_warnings_and_deductions_read_one_duty(county, as_of):
    """Whatever the day: the months the warnings name are exactly the overdue months not yet sent, graded by how
    many there are; the deductions are exactly the year's overdue months; so every warned month of the year is
    a deduction charged to the warned unit, and every deduction not warned about was sent late."""
    overdue = overdue_updates(county, as_of)
    overdue = {(u, c, f"{p:%Y-%m}"): sent for u, c, p, sent in
               overdue[["unit_code", "project_code", "period", "received"]].itertuples(index=False, name=None)}
    warned = _warned(county, as_of)
    deducted = _deducted(county, as_of)
    named = {(unit, code, month) for code, (unit, _, months) in warned.items() for month in months}
    assert named == {pair for pair, sent in overdue.items() if not sent}
    assert deducted == {pair for pair in overdue if pair[2].startswith(str(as_of.year))}
    assert {pair for pair in named if pair[2].startswith(str(as_of.year))} <= deducted
    assert deducted - named == {pair for pair in deducted if overdue[pair]}
    red = current().warnings.stale_update_red_months
    assert all((grade == "red") == (len(months) >= red) for _, grade, months in warned.values())
