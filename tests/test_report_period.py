"""The report period of DOMAIN §4–§7, worked by hand at the month boundary: the same county as of 11-30, 12-06 and
12-10, and the report for 2026-11 known by 12-06 and by 12-10; 序时进度 by completed months; January; 报送率 and
及时率 with a missing month, a late month and a unit that owes nothing."""
from __future__ import annotations

import datetime as dt

import pytest

from pipelines.figures import measures
from pipelines.figures.assessment import assess, previous_month
from pipelines.report import month_report, report
from tests.factories import project, snapshot

D = dt.date
NOVEMBER = D(2026, 11, 1)


@pytest.fixture
def county(units):
    """U01's A (制造业, 2亿元) signed 2026-03-01, reported every month from January by the 5th of the next month; its
    November report (开工 2026-11-20) arrives 12-08. U02's B is reported every month too, June's late (07-15), and
    November's not at all. U03 holds no project: it owes nothing. Only U01 has a target: 新开工 12."""
    con = units
    con.execute("INSERT INTO targets (submission_id, received_at, year, unit_code, commenced) "
                "VALUES (1, '2026-01-10', 2026, 'U01', 12)")
    a, b = project(con, "A", "U01"), project(con, "B", "U02")
    for month in range(1, 11):
        received = f"2026-{month + 1:02d}-05"
        signed = {"signed_date": "2026-03-01"} if month >= 3 else {}
        snapshot(con, a, f"2026-{month:02d}", received, "U01", **signed)
        snapshot(con, b, f"2026-{month:02d}", "2026-07-15" if month == 6 else received, "U02", total=15000)
    snapshot(con, a, "2026-11", "2026-12-08", "U01", signed_date="2026-03-01", commenced_date="2026-11-20")
    return con


def _u(data: dict, code: str) -> dict:
    return next(u for u in data["units"] if u["code"] == code)


def test_time_progress_counts_completed_months():
    """11-30 completes November: 11/12; the day before, 10/12; on 12-06 still 11/12 (December not over), 12-31
    12/12; every day of January before the 31st, 0."""
    assert [measures.time_progress(day) for day in (D(2026, 11, 29), D(2026, 11, 30), D(2026, 12, 6),
                                                    D(2026, 12, 30), D(2026, 12, 31), D(2026, 1, 1),
                                                    D(2026, 1, 30), D(2026, 1, 31))] == [
        10 / 12, 11 / 12, 11 / 12, 11 / 12, 1.0, 0.0, 0.0, 1 / 12]


def test_as_of_days_around_the_due_day(county):
    """As of 11-30 and 12-06 A's November report has not arrived: 0 commenced. As of 12-10 it has: 1. 序时进度 is
    11/12 on all three days, so U01's 新开工 scores 20 × 1/11 of its share on 12-10 (scaled ×2: only 新开工 and
    the two rates count, 50 of 100), plus 开工率 1/1 = 15: (20/11 + 15) × 2 = 33.6364."""
    for day, commenced in ((D(2026, 11, 30), 0), (D(2026, 12, 6), 0), (D(2026, 12, 10), 1)):
        data = report(county, day)
        assert (data["time_progress"], data["period_end"], data["known_by"]) == (11 / 12, f"{day}", f"{day}")
        assert _u(data, "U01")["commenced"] == commenced
    assert _u(report(county, D(2026, 12, 10)), "U01")["score"] == pytest.approx((20 / 11 + 15) * 2)


def test_the_november_report_known_by_two_days(county):
    """The report for 2026-11 known by 12-06: period end 11-30, A's November report unknown, both U01 and U02 not
    yet reported (due 12-10), duty through October only. Known by 12-10: A commenced (11-20 ≤ 11-30), U02 alone
    missing; November now counts: U02's late report (−1) beside June's (−1)."""
    early = month_report(county, NOVEMBER, D(2026, 12, 6))
    assert (early["period_end"], early["known_by"], early["due_date"], early["time_progress"]) == (
        "2026-11-30", "2026-12-06", "2026-12-10", 11 / 12)
    assert [u["code"] for u in early["not_reported"]] == ["U01", "U02"]
    assert (_u(early, "U01")["commenced"], _u(early, "U01")["score"]) == (0, 0)
    assert (_u(early, "U02")["reports_expected"], _u(early, "U02")["late_reports"], _u(early, "U02")["deduction"]) == (
        10, 1, 1.0)
    late = month_report(county, NOVEMBER, D(2026, 12, 10))
    assert [u["code"] for u in late["not_reported"]] == ["U02"]
    assert _u(late, "U01")["commenced"] == 1
    assert _u(late, "U01")["score"] == pytest.approx((20 / 11 + 15) * 2)
    assert (_u(late, "U02")["late_reports"], _u(late, "U02")["deduction"]) == (2, 2.0)


def test_reporting_and_on_time_rates(county):
    """Known by 12-10 the duty covers January–November: U01 owed 11 reports, all on time (1.0, 1.0); U02 owed 11,
    sent 10 (November missing), 9 on time (June late): 10/11 and 9/11; U03 owes nothing: no rates. The county:
    22 expected, 21 received, 20 on time."""
    data = month_report(county, NOVEMBER, D(2026, 12, 10))
    fields = ("reports_expected", "reports_received", "reports_on_time", "reporting_rate", "on_time_rate")
    assert [_u(data, "U01")[f] for f in fields] == [11, 11, 11, 1.0, 1.0]
    assert [_u(data, "U02")[f] for f in fields] == [11, 10, 9, pytest.approx(10 / 11), pytest.approx(9 / 11)]
    assert [_u(data, "U03")[f] for f in fields] == [0, 0, 0, None, None]
    assert [data["overall"][f] for f in fields] == [22, 21, 20, pytest.approx(21 / 22), pytest.approx(20 / 22)]
    assert (_u(data, "U02")["forgotten_updates"], _u(data, "U02")["overdue_updates"]) == (0, 2)


def test_january_scores_full_points_before_anything_is_due(county):
    """As of 2026-01-20 序时进度 is 0: U01's 新开工 target scores its full 20 though nothing started; the rates have
    no cohort yet (0 each); scaled ×2: 40. No report is due yet (December 2025 is last year's): no deduction."""
    u01 = assess(county, D(2026, 1, 20)).units.set_index("code").loc["U01"]
    assert (u01["score"], u01["deduction"], u01["reports_expected"]) == (40.0, 0.0, 0)


def test_rank_changes_compare_with_the_previous_month_known_by_the_same_day(county):
    """The November report known by 12-10 compares with October known by 12-10 (not as of 10-31)."""
    result = assess(county, D(2026, 11, 30), known_by=D(2026, 12, 10))
    before = previous_month(county, result)
    assert (before.as_of, before.known_by) == (D(2026, 10, 31), D(2026, 12, 10))
