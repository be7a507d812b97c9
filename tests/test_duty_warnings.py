"""The warnings of a missed update (DOMAIN §8: stale_update for a project left out of a report, report_missing for a
unit whose whole report is missing) and the deductions (§7: −1 per late report, −0.5 per forgotten update) read
one update duty (§6), worked by hand on one county at the month boundary."""
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
    """Nine projects in three units, due day 10; each unit sends one file a month, so a project is late when its
    unit's file leaves it out. A file sent on the due day itself is on time.

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


def _missing(con, as_of: dt.date) -> dict[str, tuple[str, str]]:
    """unit → (grade, detail) of its report_missing warning."""
    found = conditions(con, as_of)
    return {w["subject"]: (w["grade"], w["detail"]) for _, w in found[found["rule"] == "report_missing"].iterrows()}


def _deducted(con, as_of: dt.date) -> tuple[dict[str, list[str]], set[tuple[str, str, str]]]:
    """The score ledger's deductions: unit → its late months, and (unit, project, month) of every forgotten
    update."""
    ledger = assess(con, as_of).ledger
    late = {row["unit_code"]: row["subjects"] for _, row in ledger[ledger["item"] == "late_reports"].iterrows()
            if row["subjects"]}
    forgotten = {(row["unit_code"], *subject.split("@")) for _, row in
                 ledger[ledger["item"] == "forgotten_updates"].iterrows() for subject in row["subjects"]}
    return late, forgotten


def test_stale_warnings_on_mays_due_day(county):
    """On 06-10 May's update is due: stale1 is one month behind (yellow), stale2 and moved two (red), old_stale
    six since 2023-12 (red) — their units sent reports for those months and left them out. newcomer is behind for
    May too, but U03 sent no May report at all: U03 gets one report_missing warning instead, naming the month and
    its due day."""
    assert _warned(county, D(2024, 6, 10)) == {
        "stale2": ("U01", "red", ["2024-04", "2024-05"]),
        "stale1": ("U02", "yellow", ["2024-05"]),
        "moved": ("U02", "red", ["2024-04", "2024-05"]),
        "old_stale": ("U03", "red", ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]),
    }
    assert _missing(county, D(2024, 6, 10)) == {
        "U03": ("yellow", "城西街道：2024年5月项目进展表未报送（5月报表截止6月10日）")}


def test_deductions_on_mays_due_day(county):
    """The 2024 deductions on 06-10. U01 and U02 sent every month on time: each project they left out is a
    forgotten update (late_once's February, stale2's April and May; stale1's May, caught_up's February and
    March, moved's February, April and May, charged to its latest unit). U03 owed January–May (old_stale every
    month, producing January, newcomer from April): January came on time without old_stale (forgotten),
    February and March never, April late (05-20), May not yet: four late reports, whatever the projects."""
    late, forgotten = _deducted(county, D(2024, 6, 10))
    assert late == {"U03": ["2024-02", "2024-03", "2024-04", "2024-05"]}
    assert forgotten == {
        ("U01", "late_once", "2024-02"), ("U01", "stale2", "2024-04"), ("U01", "stale2", "2024-05"),
        ("U02", "stale1", "2024-05"), ("U02", "caught_up", "2024-02"), ("U02", "caught_up", "2024-03"),
        ("U02", "moved", "2024-02"), ("U02", "moved", "2024-04"), ("U02", "moved", "2024-05"),
        ("U03", "old_stale", "2024-01"),
    }
    units = assess(county, D(2024, 6, 10)).units.set_index("code")
    assert units.loc[["U01", "U02", "U03"], "deduction"].tolist() == [1.5, 3.0, 4.5]
    assert units.loc["U03", ["reports_expected", "reports_received", "reports_on_time"]].tolist() == [5, 2, 1]


def test_day_before_the_due_day(county):
    """On 06-09 May is not yet due: no May warning or deduction; April is the latest month due, and U03 sent it
    (late), so no report is missing."""
    assert _warned(county, D(2024, 6, 9)) == {
        "stale2": ("U01", "yellow", ["2024-04"]),
        "moved": ("U02", "yellow", ["2024-04"]),
        "old_stale": ("U03", "red", ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04"]),
    }
    assert _missing(county, D(2024, 6, 9)) == {}
    late, forgotten = _deducted(county, D(2024, 6, 9))
    assert late == {"U03": ["2024-02", "2024-03", "2024-04"]}
    assert forgotten == {
        ("U01", "late_once", "2024-02"), ("U01", "stale2", "2024-04"),
        ("U02", "caught_up", "2024-02"), ("U02", "caught_up", "2024-03"), ("U02", "moved", "2024-02"),
        ("U02", "moved", "2024-04"), ("U03", "old_stale", "2024-01"),
    }


def test_new_year_warns_without_deducting(county):
    """On 2024-01-15 December 2023 is due and U03 has not sent it: report_missing (its last report is November),
    not a stale_update for old_stale; and no 2024 deduction."""
    assert _warned(county, D(2024, 1, 15)) == {}
    assert _missing(county, D(2024, 1, 15)) == {
        "U03": ("yellow", "城西街道：2023年12月项目进展表未报送（12月报表截止1月10日）")}
    assert _deducted(county, D(2024, 1, 15)) == ({}, set())


def test_two_missing_months_are_red(county):
    """On 2024-03-20 February is missing (January came on 02-05): yellow. On 2024-04-11 February and March are
    both missing: red, the detail naming both months and the latest one's due day."""
    assert _missing(county, D(2024, 3, 20))["U03"][0] == "yellow"
    grade, detail = _missing(county, D(2024, 4, 11))["U03"]
    assert grade == "red" and detail == "城西街道：2024年2月至2024年3月（2个月）项目进展表未报送（3月报表截止4月10日）"


@pytest.mark.parametrize("as_of", [D(2024, 1, 15), D(2024, 4, 10), D(2024, 5, 31), D(2024, 6, 9), D(2024, 6, 10),
                                   D(2024, 8, 31)])
def test_warnings_and_deductions_read_one_duty(county, as_of):
    """Whatever the day: the months stale_update names are overdue months not yet sent; every overdue update of
    the year is either a forgotten update or lies in a late month of its unit, never both; a unit with a missing
    report raises no stale_update for the months it did not report at all."""
    overdue = overdue_updates(county, as_of)
    overdue = {(u, c, f"{p:%Y-%m}"): sent for u, c, p, sent in
               overdue[["unit_code", "project_code", "period", "received"]].itertuples(index=False, name=None)}
    warned = _warned(county, as_of)
    named = {(unit, code, month) for code, (unit, _, months) in warned.items() for month in months}
    assert named <= {pair for pair, sent in overdue.items() if not sent}
    late, forgotten = _deducted(county, as_of)
    of_year = {pair for pair in overdue if pair[2].startswith(str(as_of.year))}
    in_late_month = {pair for pair in of_year if pair[2] in late.get(pair[0], [])}
    assert forgotten | in_late_month == of_year and not forgotten & in_late_month
    missing = _missing(county, as_of)
    assert not {unit for unit, _, _ in named} & set(missing) or all(
        month < f"{as_of:%Y-%m}" for unit, _, month in named if unit in missing)
    red = current().warnings.stale_update_red_months
    assert all((grade == "red") == (len(months) >= red) for _, grade, months in warned.values())


def test_a_late_file_costs_one_point_not_one_per_project(units):
    """A unit of forty projects sends May on 06-12 (two days late): one late report, −1 (not 40 × 0.5); before it
    arrives, one report_missing warning and not forty stale_updates."""
    ids = [project(units, f"P{n:02d}", "U01") for n in range(40)]
    for pid in ids:
        snapshot(units, pid, "2024-04", "2024-05-08", "U01")
    assert _warned(units, D(2024, 6, 11)) == {}
    assert list(_missing(units, D(2024, 6, 11))) == ["U01"]
    for pid in ids:
        snapshot(units, pid, "2024-05", "2024-06-12", "U01")
    u01 = assess(units, D(2024, 6, 30)).units.set_index("code").loc["U01"]
    assert (u01["late_reports"], u01["forgotten_updates"], u01["overdue_updates"], u01["deduction"]) == (1, 0, 40, 1.0)
    assert _missing(units, D(2024, 6, 30)) == {}
