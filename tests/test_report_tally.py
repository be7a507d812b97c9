"""The report's figures counted in the database (measures.unit_tally: assess without its ledger, as
pipelines.report runs it) equal those counted from the projects' facts in numpy (assess with its ledger): every
unit's column, the county's, the report masks and the JSON of DOMAIN §9, in the demo county across month and year
boundaries and in a small county with the cases only a few projects have."""
from __future__ import annotations

import datetime as dt
import math

import duckdb
import pytest

from pipelines import settings
from pipelines.figures import measures
from pipelines.figures.assessment import assess
from pipelines.report import _as_json, month_report, report
from tests.factories import project, snapshot

D = dt.date


def _same(a: object, b: object) -> bool:
    """Equal, numbers within float summation order (the database adds in another order than numpy)."""
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _differences(con: duckdb.DuckDBPyConnection, period_end: dt.date, known_by: dt.date | None) -> list[str]:
    """What differs between the two ways of assessing the period end known by the day, as 'unit column a b'."""
    counted = assess(con, period_end, known_by=known_by, ledger=False)
    listed = assess(con, period_end, known_by=known_by)
    assert counted.ledger is None and listed.ledger is not None
    found = []
    assert list(counted.units.columns) == list(listed.units.columns)
    for mine, theirs in zip(counted.units.to_dict("records"), listed.units.to_dict("records")):
        found += [f"{mine['code']} {c} {mine[c]!r} {theirs[c]!r}" for c in mine if not _same(mine[c], theirs[c])]
    found += [f"county {k} {v!r} {listed.overall[k]!r}" for k, v in counted.overall.items()
              if not _same(v, listed.overall[k])]
    registered = list(counted.units["code"])
    mine, theirs = counted.reports.masks.reindex(registered), listed.reports.masks.reindex(registered).fillna(0)
    found += [f"{code} masks" for code, a, b in zip(registered, mine.to_numpy().tolist(), theirs.to_numpy().tolist())
              if a != b]
    if not _same(_as_json(counted), _as_json(listed)):
        found.append("report JSON")
    return found


@pytest.fixture(scope="module")
def demo(demo_county):
    connection = duckdb.connect(str(demo_county), read_only=True)
    yield connection
    connection.close()


@pytest.mark.parametrize(("period_end", "known_by"), [
    (D(2025, 12, 31), None),  # the last day of a year
    (D(2026, 1, 1), None),  # the first day of the next: nothing of the year yet
    (D(2026, 1, 9), None),  # December's reports due tomorrow
    (D(2026, 1, 10), None),  # ... due today
    (D(2026, 2, 28), None),
    (D(2026, 6, 30), None),
    (D(2026, 10, 9), None),
    (D(2026, 10, 31), None),
    (D(2025, 12, 31), D(2026, 1, 9)),  # December's report before its due day
    (D(2025, 12, 31), D(2026, 2, 20)),  # ... after January's files came in: states of the next year
    (D(2026, 9, 30), D(2026, 10, 10)),
    (D(2026, 6, 30), D(2026, 10, 31)),  # an earlier edition reproduced
])
def test_the_demo_county_counted_both_ways(demo, period_end, known_by):
    """Every unit's figures, scores, ranks and report counts and the county's agree for as-of days and months'
    reports around the year's turn and the due day."""
    settings.use(None)
    assert _differences(demo, period_end, known_by) == []


@pytest.fixture
def county(units):
    """U01: A signed 2025 and commenced, 累计完成投资 1000 in December, 1500 in January (a state of 2026 when
    December's report is produced in February); B 服务业 signed 2026, 3亿 (a bonus project that is not
    manufacturing); M 7亿 manufacturing signed 2026, its December file replaced by one without it;
    S 5000万 (below the assessed size), signed 2026. U02 a project reported late twice; U03 none."""
    a, b, m = project(units, "A", "U01"), project(units, "B", "U01"), project(units, "M", "U01")
    s, late = project(units, "S", "U01"), project(units, "L", "U02")
    old = {"signed_date": "2025-05-01", "commenced_date": "2025-08-01"}
    snapshot(units, a, "2025-11", "2025-12-05", **old, invested_to_date_wan=800, annual_plan_wan=2000)
    snapshot(units, m, "2025-11", "2025-12-05", total=70000, signed_date="2025-11-20", funds_in_place_wan=7000)
    snapshot(units, a, "2025-12", "2026-01-08", **old, invested_to_date_wan=1000, annual_plan_wan=3000)
    snapshot(units, m, "2025-12", "2026-01-08", total=70000, signed_date="2025-11-20")
    snapshot(units, a, "2025-12", "2026-01-09", replace=True, **old, invested_to_date_wan=1100)
    snapshot(units, a, "2026-01", "2026-02-08", **old, invested_to_date_wan=1500, annual_plan_wan=4000)
    snapshot(units, b, "2026-01", "2026-02-08", industry="服务业", total=30000, signed_date="2026-01-20")
    snapshot(units, s, "2026-01", "2026-02-08", total=5000, signed_date="2026-01-25")
    snapshot(units, late, "2025-11", "2025-12-20", unit="U02", **old)
    snapshot(units, late, "2026-01", "2026-02-25", unit="U02", **old, in_stats_date="2026-01-30")
    return units


@pytest.mark.parametrize(("period_end", "known_by"), [
    (D(2025, 12, 31), None), (D(2026, 1, 31), None), (D(2026, 2, 10), None), (D(2026, 2, 28), None),
    (D(2025, 12, 31), D(2026, 1, 8)), (D(2025, 12, 31), D(2026, 2, 9)), (D(2025, 11, 30), D(2026, 2, 28)),
])
def test_a_small_county_counted_both_ways(county, period_end, known_by):
    """Next-year states and their 本年完成投资 baselines, a bonus outside manufacturing, a replaced file, a project below the
    assessed size, late files and a unit with nothing to report agree both ways."""
    assert _differences(county, period_end, known_by) == []


def test_a_report_of_december_produced_in_february(county):
    """December's report known by 02-09 reads A's January state (1500) against the baseline before 2025 (none):
    本年完成投资 1500, as the ledger's way counts it. M, left out of December's replacement, still counts as signed
    in 2025 from its November report: 签约 A (2亿, 2025-05) and M (7亿), 签约金额 9亿."""
    u01 = next(u for u in month_report(county, D(2025, 12, 1), D(2026, 2, 9))["units"] if u["code"] == "U01")
    assert u01["invested_year_wan"] == pytest.approx(1500)
    assert u01["signed"] == 2 and u01["signed_amount_wan"] == pytest.approx(90000)


def test_the_tally_counts_in_the_database(county):
    """unit_tally gives every registered unit, in the register's order, without reading project rows into
    Python: U03 has no projects and counts zeros, no rates."""
    found, _ = measures.unit_tally(county, D(2026, 2, 28))
    assert list(found["code"]) == ["U02", "U03", "U01"]  # 乡镇组, then 园区组
    u03 = found.set_index("code").loc["U03"]
    assert u03["signed"] == 0 and u03["overdue_updates"] == 0 and u03["commencement_rate"] is None
    assert report(county, D(2026, 2, 28))["units"]  # the report runs on it
