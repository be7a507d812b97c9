"""The demo county (pipelines.demo): the same arguments give the same data, a non-empty database is refused,
the mess of real units is there, and every later screen has something to show (DOMAIN §5–§8)."""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines import report, settings
from pipelines.demo import county, plan
from pipelines.demo.__main__ import main as demo_main
from tests.reference import assert_agrees

UNTIL = "2025-06"
AS_OF = dt.date(2025, 7, 20)  # the demo's today for --until 2025-06: day AS_OF_DAY of the next month
YEAR_START = dt.date(AS_OF.year, 1, 1)

# The as-of state of DOMAIN §4, written here on purpose rather than taken from pipelines.store.state.
LATEST = """
    SELECT * FROM snapshots
    WHERE received_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
    QUALIFY row_number() OVER (PARTITION BY project_id ORDER BY period DESC, received_at DESC, submission_id DESC) = 1
"""


@dataclass
class DemoRun:
    db: Path
    out: Path
    printed: str
    exit_code: int


def _run(base: Path) -> DemoRun:
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        patch.delenv("ZS_SETTINGS", raising=False)
        settings.use(None)
        code = demo_main(["--until", UNTIL, "--db", str(base / "demo.duckdb"), "--out", str(base / "files")])
    settings.use(None)
    return DemoRun(base / "demo.duckdb", base / "files", printed.getvalue(), code)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The demo loaded once into a database of this module's own."""
    return _run(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def demo_db(demo_run: DemoRun):
    """A read-only connection to the demo database."""
    connection = duckdb.connect(str(demo_run.db), read_only=True)
    yield connection
    connection.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, **params: object) -> list[tuple]:
    return con.execute(sql, params).fetchall()


def _rates(con: duckdb.DuckDBPyConnection, basis: str, reached: str) -> dict[str, float]:
    """Per unit, this year's share of assessed projects with `basis` in [1 Jan, as-of] that reached `reached`
    by the as-of date (DOMAIN §5); units with an empty denominator are left out."""
    sql = f"""
        SELECT unit_code, avg(CASE WHEN {reached} <= $as_of THEN 1.0 ELSE 0.0 END)
        FROM ({LATEST})
        WHERE total_investment_wan >= $min AND {basis} BETWEEN $start AND $as_of
        GROUP BY unit_code
    """
    minimum = settings.current().figures.assess_min_investment_wan
    return dict(_rows(con, sql, as_of=AS_OF, min=minimum, start=YEAR_START))


def _bands(rates: dict[str, float], target: float) -> set[str]:
    width = settings.current().figures.rate_yellow_band_points / 100
    return {"green" if r >= target else "yellow" if r >= target - width else "red" for r in rates.values()}


def test_summary_reports_files_rows_projects_and_as_of(demo_run: DemoRun):
    """The run exits 0 and its summary names the files, rows, projects and the as-of date."""
    assert demo_run.exit_code == 0
    for text in ("文件：载入", "整份拒收 0 个", "数据行：载入", "项目：", f"数据截至：{AS_OF:%Y-%m-%d}"):
        assert text in demo_run.printed


def test_same_arguments_give_the_same_data(demo_run: DemoRun, demo_db, tmp_path: Path):
    """A second run with the same arguments into another database gives identical tables."""
    second = _run(tmp_path)
    tables = {
        "snapshots": "SELECT * FROM snapshots ORDER BY submission_id, row_number",
        "projects": "SELECT * EXCLUDE (created_at) FROM projects ORDER BY id",
        "row_problems": "SELECT * FROM row_problems ORDER BY submission_id, row_number, reason",
        "submissions": "SELECT * EXCLUDE (created_at) FROM submissions ORDER BY id",
        "targets": "SELECT * FROM targets ORDER BY year, unit_code",
    }
    other = duckdb.connect(str(second.db), read_only=True)
    try:
        for sql in tables.values():
            assert _rows(demo_db, sql) == _rows(other, sql)
    finally:
        other.close()
    assert len(_rows(demo_db, tables["snapshots"])) > 5000


def test_refuses_a_database_that_has_submissions(demo_run: DemoRun, tmp_path: Path):
    """On a database that already holds submissions it prints one line, exits 0 and changes nothing."""
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(demo_run.db, copy)
    before = copy.read_bytes()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = demo_main(["--until", UNTIL, "--db", str(copy), "--out", str(tmp_path / "files")])
    assert code == 0
    assert len(printed.getvalue().strip().splitlines()) == 1 and f"数据库 {copy} 已有" in printed.getvalue()
    assert copy.read_bytes() == before
    assert not (tmp_path / "files").exists()


def test_rejected_rows_name_their_reasons(demo_db):
    """Each kind of bad row is rejected with a reason a 填报员 can act on."""
    reasons = [r for (r,) in _rows(demo_db, "SELECT reason FROM row_problems WHERE severity = 'error'")]
    for fragment in ("不是有效日期", "校验位不正确", "项目名称 为必填项", "未填写签约日期"):
        assert any(fragment in reason for reason in reasons), fragment
    assert all(reason.startswith("第") for reason in reasons)


def test_some_reports_arrive_late_and_some_never(demo_db):
    """Some monthly reports arrive after the due day and some unit skips a month."""
    due_day = settings.current().duty.due_day
    late = _rows(demo_db, """
        SELECT count(*) FROM submissions
        WHERE kind = 'projects' AND received_at >= period + INTERVAL 1 MONTH + to_days(CAST($due AS INTEGER))
    """, due=due_day)[0][0]
    assert late > 0
    gaps = _rows(demo_db, """
        WITH reported AS (SELECT DISTINCT unit_code, period FROM submissions WHERE kind = 'projects')
        SELECT count(*) FROM (SELECT DISTINCT unit_code FROM reported) u, (SELECT DISTINCT period FROM reported) p
        WHERE NOT EXISTS (SELECT 1 FROM reported r WHERE r.unit_code = u.unit_code AND r.period = p.period)
    """)[0][0]
    assert gaps > 0


def test_a_project_is_forgotten_for_one_month(demo_db):
    """Some project is missing from its unit's report for one month and listed again the next."""
    forgotten = _rows(demo_db, """
        WITH listed AS (SELECT DISTINCT project_id, unit_code, period FROM snapshots),
             reports AS (SELECT DISTINCT unit_code, period FROM submissions WHERE kind = 'projects')
        SELECT count(*) FROM listed a JOIN listed b
          ON a.project_id = b.project_id AND b.period = a.period + INTERVAL 2 MONTH
        JOIN reports r ON r.unit_code = a.unit_code AND r.period = a.period + INTERVAL 1 MONTH
        WHERE NOT EXISTS (SELECT 1 FROM listed c WHERE c.project_id = a.project_id AND c.period = r.period)
          AND NOT EXISTS (SELECT 1 FROM row_problems p JOIN submissions s ON s.id = p.submission_id
                          WHERE s.unit_code = r.unit_code AND s.period = r.period AND p.severity = 'error')
    """)[0][0]
    assert forgotten > 0


def test_a_gbk_csv_and_an_xls_are_loaded(demo_run: DemoRun, demo_db):
    """A unit's CSV in GBK and another unit's .xls are loaded, not rejected."""
    loaded = dict(_rows(demo_db, """
        SELECT lower(regexp_extract(file_name, '\\.([a-z]+)$', 1)), count(DISTINCT unit_code) FROM submissions
        WHERE status = 'loaded' AND kind = 'projects' AND rows_loaded > 0 GROUP BY 1
    """))
    assert loaded.get("csv") and loaded.get("xls")
    sample = next(demo_run.out.rglob("*.csv")).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        sample.decode("utf-8")
    assert "项目名称" in sample.decode("gbk")


def test_a_corrected_report_supersedes_the_first(demo_db):
    """One unit uploads a corrected report for the same period later in the month; the correction wins."""
    pairs = _rows(demo_db, """
        SELECT unit_code, period, count(*), count(DISTINCT content_hash) FROM submissions
        WHERE kind = 'projects' AND status = 'loaded' GROUP BY ALL HAVING count(*) > 1
    """)
    assert len(pairs) == 1 and pairs[0][3] == 2
    unit, period = pairs[0][:2]
    differing = _rows(demo_db, f"""
        WITH latest AS ({LATEST})
        SELECT count(*) FROM latest l JOIN snapshots first
          ON first.project_id = l.project_id AND first.period = l.period AND first.received_at < l.received_at
        WHERE l.unit_code = $unit AND l.period = $period
          AND first.invested_to_date_wan IS DISTINCT FROM l.invested_to_date_wan
    """, as_of=dt.date(period.year + (period.month == 12), period.month % 12 + 1, 28), unit=unit, period=period)
    assert differing[0][0] == 1


def test_nothing_is_received_after_the_as_of_date(demo_db):
    """No file is stamped later than the end of the demo's as-of date."""
    latest = _rows(demo_db, "SELECT max(received_at) FROM submissions")[0][0]
    assert AS_OF - dt.timedelta(days=15) < latest.date() <= AS_OF


def test_every_stage_is_present_as_of_the_last_month(demo_db):
    """As of the as-of date there are projects at each of the eight stages."""
    stages = {s for (s,) in _rows(demo_db, f"SELECT DISTINCT stage_of(l, $as_of) FROM ({LATEST}) l", as_of=AS_OF)}
    assert stages == {"lead", "evaluated", "approved", "signed", "commenced", "in_stats", "completed", "production"}


def test_commencement_rate_is_met_by_some_units_and_missed_by_others(demo_db):
    """This year's 签约项目开工率 is at or above target in some units, yellow in some and red in others."""
    rates = _rates(demo_db, "signed_date", "commenced_date")
    assert _bands(rates, settings.current().figures.commencement_target) == {"green", "yellow", "red"}


def test_statistics_rate_is_met_by_some_units_and_missed_by_others(demo_db):
    """This year's 开工项目纳统率 is at or above target in some units, yellow in some and red in others."""
    rates = _rates(demo_db, "commenced_date", "in_stats_date")
    assert _bands(rates, settings.current().figures.stats_target) == {"green", "yellow", "red"}


def test_exactly_one_unit_qualifies_for_excellence(demo_db):
    """Exactly one unit signed more 7亿元以上制造业 projects this year than its target (一票评优)."""
    excellent = _rows(demo_db, f"""
        WITH target AS (
            SELECT unit_code, major_manufacturing FROM targets WHERE year = $year
            QUALIFY row_number() OVER (PARTITION BY unit_code ORDER BY received_at DESC) = 1),
        signed AS (
            SELECT unit_code, count(*) AS n FROM ({LATEST})
            WHERE industry = '制造业' AND total_investment_wan >= $major AND signed_date BETWEEN $start AND $as_of
            GROUP BY unit_code)
        SELECT u.code FROM units u LEFT JOIN target t ON t.unit_code = u.code LEFT JOIN signed s ON s.unit_code = u.code
        WHERE coalesce(s.n, 0) > coalesce(t.major_manufacturing, 0)
    """, year=AS_OF.year, major=settings.current().assessment.major_manufacturing_min_wan, start=YEAR_START, as_of=AS_OF)
    assert excellent == [(county.EXCELLENT_UNIT,)]


def test_one_unit_lacks_one_target_this_year(demo_db):
    """One unit has no 新投产项目数 target for the as-of year, so its weights are rescaled (DOMAIN §7)."""
    missing = _rows(demo_db, "SELECT unit_code FROM targets WHERE year = $year AND production IS NULL",
                    year=AS_OF.year)
    assert missing == [(county.MISSING_TARGET[0],)]


# One condition per project warning rule and grade of DOMAIN §8, over the as-of state. The last period due by
# the as-of date is 2025-06, so a project whose latest report is for 2025-05 is one month behind.
WARNINGS = {
    "stale_update 黄": "period = $one_behind",
    "stale_update 红": "period < $one_behind",
    "signed_not_commenced 黄": "signed_date <= $as_of - INTERVAL 3 MONTH AND signed_date > $as_of - INTERVAL 6 MONTH"
                              " AND commenced_date IS NULL",
    "signed_not_commenced 红": "signed_date <= $as_of - INTERVAL 6 MONTH AND commenced_date IS NULL",
    "planned_start_missed 黄": "planned_start_date < $as_of AND planned_start_date > $as_of - INTERVAL 3 MONTH"
                              " AND commenced_date IS NULL",
    "planned_start_missed 红": "planned_start_date <= $as_of - INTERVAL 3 MONTH AND commenced_date IS NULL",
    "commenced_not_in_stats 黄": "commenced_date <= $as_of - INTERVAL 1 MONTH AND commenced_date > $as_of - INTERVAL 2"
                                " MONTH AND in_stats_date IS NULL AND total_investment_wan >= $stats_min",
    "commenced_not_in_stats 红": "commenced_date <= $as_of - INTERVAL 2 MONTH AND in_stats_date IS NULL"
                                " AND total_investment_wan >= $stats_min",
    "lead_not_evaluated 黄": "lead_date <= $as_of - 30 AND lead_date > $as_of - 60 AND evaluated_date IS NULL",
    "lead_not_evaluated 红": "lead_date <= $as_of - 60 AND evaluated_date IS NULL",
}


@pytest.mark.parametrize("rule", sorted(WARNINGS))
def test_each_project_warning_rule_fires(demo_db, rule: str):
    """Some live project meets the rule's condition as of the as-of date."""
    condition = WARNINGS[rule]
    if rule.startswith("stale_update"):  # behind: its latest report is older than the last one due
        condition += " AND production_date IS NULL"
    figures = settings.current().figures
    params = {"as_of": AS_OF, "stats_min": figures.stats_min_investment_wan, "one_behind": dt.date(2025, 5, 1)}
    sql = f"SELECT count(*) FROM ({LATEST}) WHERE status <> 'terminated' AND {condition}"
    used = {name: value for name, value in params.items() if f"${name}" in sql}
    assert _rows(demo_db, sql, **used)[0][0] > 0


@pytest.mark.parametrize("flat_reports, grade", [(4, "黄"), (7, "红")])
def test_investment_stalls_for_some_projects(demo_db, flat_reports: int, grade: str):
    """Some commenced, unfinished project shows the same 累计完成投资 in exactly its latest N reports."""
    stalled = _rows(demo_db, f"""
        WITH reports AS (
            SELECT project_id, invested_to_date_wan AS invested,
                   row_number() OVER (PARTITION BY project_id ORDER BY period DESC) AS back,
                   first_value(invested_to_date_wan) OVER (PARTITION BY project_id ORDER BY period DESC) AS latest
            FROM (SELECT * FROM snapshots WHERE received_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
                  QUALIFY row_number() OVER (PARTITION BY project_id, period ORDER BY received_at DESC) = 1)),
        building AS (
            SELECT project_id FROM ({LATEST})
            WHERE commenced_date IS NOT NULL AND completed_date IS NULL AND status <> 'terminated')
        SELECT project_id FROM reports JOIN building USING (project_id) GROUP BY project_id
        HAVING count(*) FILTER (WHERE back <= $n AND invested = latest) = $n
           AND count(*) FILTER (WHERE back = $n + 1 AND invested < latest) = 1
    """, as_of=AS_OF, n=flat_reports)
    assert stalled, grade


# Each project's report of each month as it stands (a correction replaces the report it corrects), in order.
MONTHLY = """
    SELECT * FROM snapshots WHERE received_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
    QUALIFY row_number() OVER (PARTITION BY project_id, period ORDER BY received_at DESC, submission_id DESC) = 1
"""


@pytest.mark.parametrize("column", ["invested_to_date_wan", "funds_in_place_wan"])
def test_cumulative_amounts_never_decrease_from_month_to_month(demo_db, column: str):
    """累计完成投资 and 累计到位资金 of every project never fall from one month's report to the next."""
    falls = _rows(demo_db, f"""
        SELECT count(*) FROM (
            SELECT {column} AS amount, lag({column}) OVER (PARTITION BY project_id ORDER BY period) AS before
            FROM ({MONTHLY}))
        WHERE amount < before
    """, as_of=AS_OF)[0][0]
    assert falls == 0


def test_the_month_checks_find_only_the_deliberate_slip(demo_db):
    """No row warns of 累计完成投资 or 累计到位资金 decreasing or of funds above 计划总投资; the one amount warning is the
    累计完成投资 typed with an extra zero in the report that was then corrected."""
    warnings = _rows(demo_db, """
        SELECT p.column_name, s.id IN (SELECT min(id) FROM submissions WHERE kind = 'projects' AND status = 'loaded'
                                       GROUP BY unit_code, period HAVING count(*) > 1)
        FROM row_problems p JOIN submissions s ON s.id = p.submission_id
        WHERE p.severity = 'warning' AND p.column_name IN ('累计完成投资(万元)', '累计到位资金(万元)')
    """)
    assert warnings == [("累计完成投资(万元)", True)]


def test_investment_and_funds_follow_the_milestones(demo_db):
    """累计完成投资 is 0 or blank before 开工 and positive after; 累计到位资金 is blank before 签约 and never above
    计划总投资."""
    before_start, after_start, funds_early, funds_over = _rows(demo_db, """
        SELECT count(*) FILTER (WHERE (commenced_date IS NULL OR commenced_date > last_day(period))
                                  AND invested_to_date_wan > 0),
               count(*) FILTER (WHERE commenced_date <= last_day(period) AND NOT invested_to_date_wan > 0),
               count(*) FILTER (WHERE signed_date IS NULL AND funds_in_place_wan IS NOT NULL),
               count(*) FILTER (WHERE funds_in_place_wan > total_investment_wan)
        FROM snapshots
    """)[0]
    assert (before_start, after_start, funds_early, funds_over) == (0, 0, 0, 0)


def test_the_annual_plan_is_set_in_january_and_kept_through_the_year(demo_db):
    """Every project building at the start of a year reports its 年度计划投资 in January; a project's plan does not
    change within a year."""
    january_without = _rows(demo_db, """
        SELECT count(*) FROM snapshots
        WHERE month(period) = 1 AND commenced_date < period AND completed_date IS NULL AND status = 'active'
          AND annual_plan_wan IS NULL
    """)[0][0]
    changed = _rows(demo_db, """
        SELECT count(*) FROM (SELECT project_id, year(period), count(DISTINCT annual_plan_wan) AS plans
                              FROM snapshots GROUP BY ALL) WHERE plans > 1
    """)[0][0]
    with_plan = _rows(demo_db, "SELECT count(*) FROM snapshots WHERE month(period) = 1 AND annual_plan_wan > 0")[0][0]
    assert (january_without, changed) == (0, 0) and with_plan > 20


def test_the_investment_figures_are_there_on_first_start(demo_db):
    """As of the demo's today the county's 资金到位率, 本年完成投资, 年度投资完成率 and 开工项目投产率 have values a
    leader would believe, and so do the units' 资金到位率 and 年度投资完成率."""
    result = report.report(demo_db, AS_OF)
    overall = result["overall"]
    assert 0.25 <= overall["funds_rate"] <= 0.7
    assert 0.3 <= overall["investment_completion_rate"] <= 0.8  # half the year gone (序时进度 6/12)
    # 开工项目投产率 counts the projects signed this year and commenced: few reach production within the year
    assert overall["invested_year_wan"] > 0 and overall["production_rate"] is not None
    for unit in result["units"]:
        assert unit["funds_rate"] > 0 and unit["investment_completion_rate"] > 0, unit["code"]


def test_some_units_have_size_band_and_statistics_targets_ahead_or_behind_schedule(demo_db):
    """Some units are given 签约10亿至50亿元 / 5亿至10亿元 and 新纳统 targets, every unit an 本年完成投资 target (the
    county's is their sum); against 序时进度 some units are ahead and some behind."""
    result = report.report(demo_db, AS_OF)
    targets = {u["code"]: u["targets"] for u in result["units"]}
    assert {code for code, t in targets.items() if t["signed_10_50yi"]} == {"U01", "U02"}
    assert {code for code, t in targets.items() if t["signed_5_10yi"]} == {"U01", "U02", "U05"}
    assert len({code for code, t in targets.items() if t["in_stats"]}) == 6
    assert all(t["invested_year"] for t in targets.values())
    assert result["overall"]["targets"]["invested_year"] == sum(t["invested_year"] for t in targets.values())
    gaps = [u["schedule_gap_points"]["invested_year"] for u in result["units"]]
    assert min(gaps) < 0 < max(gaps)


def test_a_duplicate_project_is_registered_by_two_units(demo_db):
    """The same project name and investor appear in two units (疑似重复项目)."""
    pairs = _rows(demo_db, f"""
        WITH latest AS ({LATEST})
        SELECT a.unit_code, b.unit_code FROM latest a JOIN latest b
          ON a.project_name = b.project_name AND a.investor_uscc = b.investor_uscc AND a.unit_code < b.unit_code
    """, as_of=AS_OF)
    assert len(pairs) == 1


@pytest.mark.parametrize("now, until, last, as_of", [
    (dt.datetime(2026, 11, 22, 9), None, dt.date(2026, 10, 1), dt.date(2026, 11, 20)),
    (dt.datetime(2026, 11, 5, 9), None, dt.date(2026, 10, 1), dt.date(2026, 11, 5)),
    (dt.datetime(2026, 11, 5, 9), dt.date(2025, 6, 1), dt.date(2025, 6, 1), dt.date(2025, 7, 20)),
])
def test_the_clock_defaults_to_last_month_and_never_passes_now(now, until, last, as_of):
    """--until defaults to last month; the as-of date is the 20th of the next month or today, if earlier."""
    clock = plan.demo_clock(until, now, settings.current().duty.due_day)
    assert (clock.last_period, clock.as_of, len(clock.periods)) == (last, as_of, plan.HISTORY_MONTHS)
    assert clock.cutoff <= now


def test_the_current_month_cannot_be_the_last_report_month():
    """Reports for this month cannot have been received yet, so --until this month is refused."""
    with pytest.raises(ValueError):
        plan.demo_clock(dt.date(2026, 11, 1), dt.datetime(2026, 11, 22), settings.current().duty.due_day)


def test_the_stored_state_agrees_with_the_snapshots_every_week(demo_db):
    """The timeline the demo's 289 loads kept (corrections, late and skipped months, back-dated files) gives the
    as-of state and update duty that the snapshots alone give, from before the first file to after the last."""
    first, last = demo_db.execute("SELECT min(received_at)::DATE - 2, max(received_at)::DATE + 35 FROM submissions"
                                  ).fetchone()
    day, checked = first, 0
    while day <= last:
        assert_agrees(demo_db, day)
        checked += 1
        day += dt.timedelta(days=7)  # a week on: every weekday and, over the months, every day of the month
    assert checked > 80


@pytest.mark.parametrize("cohort", ["year", "cumulative"])
def test_trend_points_count_what_the_figures_count(demo_db, cohort):
    """The trends' points, counted in the database from each day's state (trend_point.sql), equal
    measures.tally of measures.project_facts of the same day, for the county and every unit: at the last thirteen
    month-ends and the as-of day, and across a year's turn (31 December, 1 January)."""
    from pipelines.figures import measures
    from pipelines.screens import cockpit

    scopes = [None, *(code for (code,) in demo_db.execute("SELECT code FROM units ORDER BY code").fetchall())]
    for as_of, months in ((AS_OF, 14), (dt.date(2025, 1, 1), 2)):
        config = settings.load(overrides={"figures": {"rate_cohort": cohort}, "screen": {"trend_months": months}})
        trends = {scope: cockpit.trend(demo_db, as_of, scope, config).set_index("day") for scope in scopes}
        for day in trends[None].index:
            facts = measures.project_facts(demo_db, day, config, details=False)
            for scope in scopes:
                mine = facts if scope is None else facts[facts["unit_code"] == scope]
                expected = measures.tally(measures.select(mine, "assessed"), None, config).iloc[0]
                for column in cockpit.TREND_COLUMNS:
                    found, wanted = trends[scope].loc[day, column], expected[column]
                    assert (pd.isna(found) and pd.isna(wanted)) or found == wanted, (day, scope, column)
