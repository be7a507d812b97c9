"""Benchmark of the report (figures, scores, ranks, overdue updates, ledger) at province scale.

Usage: .venv/bin/python -m bench.report [--units 200] [--projects 100000] [--months 60] [--seed 7]
                                        [--as-of 2024-11-20] [--runs 11] [--baseline-runs 3] [--rebuild]
                                        [--out bench/out] [--profile]

It builds the data straight into DuckDB (not through the workbook pipeline), in a database of the real schema
(opened with pipelines.store.db.connect) under bench/out, reused while the parameters are the same (--rebuild
forces a new one): units in four assessment groups; projects that enter the list at different months (most
are already in the pool when the data start), move through the milestones lead → … → production, a few
terminated or paused; one submission per (unit, month) received mostly by day 10 of the next month, some
late, a few months missing for a unit or a project, a few corrected workbooks sent again; targets per unit
and year, some revised mid-year and some left blank; then the stored as-of state from those snapshots
(pipelines.store.timeline.rebuild, as the migration does for a database that predates it). Everything is hash-based
on --seed, so the same arguments give the same data.

Then, in a fresh process and as of one day near the end of the data, it times (median of --runs after one
warm-up): the floor (one raw scan of the snapshot table), the full report (pipelines.report.report: figures
counted in the database, scores, ranks, overdue updates, the units' reports; not the ledger, which it does not
print) and the report for the month before the as-of month known by the as-of day (E ≠ K), these three in
rounds, one call of each per round, so that their ratios are taken under the same load; and on their own, for
context, one pass grouping the snapshots by project, the parts (project_facts, assess with its ledger,
duty.overdue_updates on its own) and
a straightforward pandas implementation of the headline figures (the two rates and the overdue updates per
unit, from SELECT * FROM snapshots), and the peak RSS of the process after the report. It asserts that the
pandas figures equal the report's, and that the report equals the one assess with its ledger gives (figures
counted from the projects' facts in numpy), and prints the table with the goals of issues 3 and 15: each report at most
0.3 s and within 15× of the floor, at least 10× faster than the pandas baseline, peak memory under 2 GB.
--profile prints the 30 most expensive functions (cumulative) of one report to stderr.
This is a benchmark, not a test: pytest does not collect it."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

GOAL_SECONDS = 0.3  # issue 15: the as-of report and a month's report each
GOAL_FLOOR_RATIO = 15
GOAL_BASELINE_RATIO = 10
GOAL_PEAK_MB = 2048
FIRST_PERIOD = dt.date(2020, 1, 1)
# Assessment groups and the unit kind each holds, with their share of the units.
GROUPS = (("园区组", "园区", 0.2), ("乡镇组", "乡镇街道", 0.5), ("部门组", "部门", 0.2), ("专班组", "专班", 0.1))

# u01(key, salt): a deterministic uniform number in (0, 1) from the key, a salt naming what it decides, and the
# seed. hash() keeps the data the same across runs and thread counts, which random() under setseed does not.
_MACROS = """
CREATE OR REPLACE TEMP MACRO u01(key, salt) AS (hash(key, salt, getvariable('bench_seed')) % 1000000 + 0.5) / 1e6;
CREATE OR REPLACE TEMP MACRO month_start(m) AS CAST(DATE '2020-01-01' + to_months(CAST(m AS INTEGER)) AS DATE);
"""

_UNITS = """
INSERT INTO units
SELECT printf('B%03d', i), printf('基准单元%03d', i),
       CASE WHEN i <= $g1 THEN '园区' WHEN i <= $g2 THEN '乡镇街道' WHEN i <= $g3 THEN '部门' ELSE '专班' END,
       CASE WHEN i <= $g1 THEN '园区组' WHEN i <= $g2 THEN '乡镇组' WHEN i <= $g3 THEN '部门组' ELSE '专班组' END,
       TIMESTAMP '2019-12-01', TIMESTAMP '2019-12-01'
FROM range(1, $units + 1) t(i)
"""

# One row per project: its unit, the month it enters the list (s), its size and industry, how far it will get
# (final_stage 1..8) and the date of each milestone it reaches, and when it is terminated or paused.
_PLAN = """
CREATE TEMP TABLE plan AS
WITH base AS (
    SELECT p,
           -- bigger units hold more projects: a mild skew over the unit list
           least($units, 1 + floor($units * pow(u01(p, 'unit'), 1.15)))::INTEGER AS unit_no,
           CASE WHEN u01(p, 'pool') < 0.75 THEN 0
                ELSE least($months - 1, floor($months * pow(u01(p, 'start'), 2.0)))::INTEGER END AS s,
           -- 计划总投资 (万元), log-normal around 8000 (Box-Muller)
           least(800000, greatest(300, round(exp(ln(8000) + 1.4 * sqrt(-2 * ln(u01(p, 'z1')))
                                                  * cos(2 * pi() * u01(p, 'z2'))), 1))) AS total,
           u01(p, 'industry') AS r_industry,
           u01(p, 'stage') AS r_stage,
           u01(p, 'term') AS r_term, u01(p, 'term_month') AS r_term_month,
           u01(p, 'pause') AS r_pause
    FROM range(1, $projects + 1) t(p)
), staged AS (
    SELECT *,
           CASE WHEN r_industry < 0.50 THEN '制造业' WHEN r_industry < 0.70 THEN '服务业'
                WHEN r_industry < 0.78 THEN '农业' WHEN r_industry < 0.88 THEN '文旅'
                WHEN r_industry < 0.95 THEN '康养' ELSE '其他' END AS industry,
           CASE WHEN r_stage < 0.08 THEN 1 WHEN r_stage < 0.16 THEN 2 WHEN r_stage < 0.26 THEN 3
                WHEN r_stage < 0.40 THEN 4 WHEN r_stage < 0.52 THEN 5 WHEN r_stage < 0.62 THEN 6
                WHEN r_stage < 0.74 THEN 7 ELSE 8 END AS final_stage,
           -- projects of the first month's pool were registered up to ~3 years before the data start
           CASE WHEN s = 0 THEN DATE '2020-01-01' - CAST(floor(u01(p, 'lead') * 1000) AS INTEGER)
                ELSE month_start(s) + CAST(floor(u01(p, 'lead') * 27) AS INTEGER) END AS lead_day
    FROM base
), gaps AS (
    -- cumulative days from 线索 to each later milestone, 20..220 days per step
    SELECT *,
           list_transform(range(2, 9), lambda i: 20 + CAST(floor(u01(p, 'gap' || i) * 200) AS INTEGER)) AS g
    FROM staged
)
SELECT p, unit_no, printf('B%03d', unit_no) AS unit_code, s, total, industry, final_stage,
       lead_day AS lead_date,
       CASE WHEN final_stage >= 2 THEN lead_day + g[1] END AS evaluated_date,
       CASE WHEN final_stage >= 3 THEN lead_day + g[1] + g[2] END AS approved_date,
       CASE WHEN final_stage >= 4 THEN lead_day + g[1] + g[2] + g[3] END AS signed_date,
       CASE WHEN final_stage >= 5 THEN lead_day + g[1] + g[2] + g[3] + g[4] END AS commenced_date,
       -- 纳统 is only possible from 500万 (DOMAIN §2)
       CASE WHEN final_stage >= 6 AND total >= 500 THEN lead_day + g[1] + g[2] + g[3] + g[4] + g[5] END
           AS in_stats_date,
       CASE WHEN final_stage >= 7 THEN lead_day + g[1] + g[2] + g[3] + g[4] + g[5] + g[6] END AS completed_date,
       CASE WHEN final_stage >= 8 THEN lead_day + g[1] + g[2] + g[3] + g[4] + g[5] + g[6] + g[7] END
           AS production_date,
       CASE WHEN r_term < 0.06 THEN s + CAST(floor(r_term_month * ($months - s)) AS INTEGER) END AS term_month,
       r_pause < 0.05 AS pauses
FROM gaps
"""

# One projects submission per (unit, month), except a few months a unit never sent; 8% of them sent again as a
# corrected workbook a few days later. Received by day 10 of the next month, 12% later (up to day 45).
_SUBMISSIONS = """
CREATE TEMP TABLE bench_submissions AS
WITH originals AS (
    SELECT u AS unit_no, m,
           (u - 1) * $months + m + 1 AS id,
           month_start(m + 1)
             + to_days(CASE WHEN u01(u * 1000 + m, 'late') < 0.08 THEN 10 + CAST(floor(u01(u * 1000 + m, 'lag') * 35) AS INTEGER)
                            ELSE CAST(floor(u01(u * 1000 + m, 'lag') * 10) AS INTEGER) END)
             + to_seconds(CAST(floor(u01(u * 1000 + m, 'second') * 86400) AS BIGINT)) AS received_at,
           false AS correction
    FROM range(1, $units + 1) a(u), range(0, $months) b(m)
    WHERE u01(u * 1000 + m, 'unit_missing') >= 0.015
)
SELECT * FROM originals
UNION ALL
SELECT unit_no, m, id + $units * $months, received_at + to_days(1 + CAST(floor(u01(id, 'resent') * 14) AS INTEGER)),
       true
FROM originals
WHERE u01(id, 'correction') < 0.08
"""

_SUBMISSION_ROWS = """
INSERT INTO submissions
SELECT id, 'projects', printf('B%03d_%s.xlsx', unit_no, strftime(month_start(m), '%Y-%m')),
       md5(CAST(id AS VARCHAR)), printf('B%03d', unit_no), month_start(m), received_at, 'bench', 0, 0, 'loaded',
       NULL, received_at
FROM bench_submissions
"""

_PROJECTS = """
INSERT INTO projects
SELECT p, printf('BP%06d', p), unit_code, '基准项目' || p, 1, TIMESTAMP '2020-01-01' FROM plan
"""

# A project is on its unit's list from month s, until the month it is reported 终止; 2.5% of its monthly rows
# are missing (never its first or its terminating month). Milestones show once their date has passed by the
# end of the report month. Inserted in order of receipt, as the append-only table grows in real use.
_SNAPSHOTS = """
INSERT INTO snapshots
WITH listed AS (
    SELECT sub.id AS submission_id, pl.*, sub.m, sub.received_at, sub.correction,
           last_day(month_start(sub.m)) AS period_end
    FROM plan pl
    JOIN bench_submissions sub ON sub.unit_no = pl.unit_no AND sub.m >= pl.s
                                AND (pl.term_month IS NULL OR sub.m <= pl.term_month)
    WHERE sub.m = pl.s OR sub.m = pl.term_month OR u01(pl.p * 100 + sub.m, 'row_missing') >= 0.025
)
SELECT submission_id, p, '项目进展', 3 + p % 5000, unit_code, month_start(m), received_at,
       '基准项目' || p, '投资方' || (p % 7919), NULL, industry, '产业链' || (p % 13), p % 10 = 0,
       total, round(total * 0.8, 1), CASE WHEN p % 10 = 0 THEN round(total * 0.1 / 7.2, 1) ELSE 0 END,
       round(5 + (p % 300), 1),
       CASE WHEN lead_date <= period_end THEN lead_date END,
       CASE WHEN evaluated_date <= period_end THEN evaluated_date END,
       CASE WHEN approved_date <= period_end THEN approved_date END,
       CASE WHEN signed_date <= period_end THEN signed_date END,
       CASE WHEN commenced_date <= period_end THEN commenced_date END,
       CASE WHEN in_stats_date <= period_end THEN in_stats_date END,
       CASE WHEN completed_date <= period_end THEN completed_date END,
       CASE WHEN production_date <= period_end THEN production_date END,
       CASE WHEN signed_date <= period_end THEN signed_date + 60 END,
       CASE WHEN m = term_month THEN 'terminated' WHEN pauses AND m BETWEEN s + 6 AND s + 12 THEN 'paused'
            ELSE 'active' END,
       round(total * 0.2, 1),
       CASE WHEN commenced_date <= period_end
            THEN round(total * least(1.0, (period_end - commenced_date) / 900.0) * (CASE WHEN correction THEN 1.01 ELSE 1 END), 1)
            ELSE 0 END,
       CASE WHEN commenced_date <= period_end THEN round(total * least(1.0, (period_end - commenced_date) / 800.0), 1)
            ELSE 0 END,
       list_extract(['主体厂房封顶', '完成桩基施工', '设备进场安装', '办理施工许可', '土地摘牌', '方案设计中',
                     '已试生产', '洽谈合同条款'], 1 + CAST(hash(p, m) % 8 AS INTEGER)),
       list_extract(['', '用电指标待落实', '用地指标紧张', '融资进度慢', '环评待批复', '无'], 1 + CAST(hash(p, m, 1) % 6 AS INTEGER)),
       list_extract(['王副县长', '李副县长', '陈常委', '赵主任', '周书记'], 1 + CAST(p % 5 AS INTEGER)),
       '联系人' || (p % 97), printf('139%08d', p)
FROM listed
ORDER BY received_at, submission_id, p
"""

_ROWS_LOADED = """
UPDATE submissions SET rows_loaded = n
FROM (SELECT submission_id, count(*) AS n FROM snapshots GROUP BY submission_id) c
WHERE submissions.id = c.submission_id
"""

# Targets per unit and year, set in mid-January from what the unit's projects will actually do that year (×0.7
# to ×1.4); 10% of units revise them on 1 July; about 4% of the numbers are left blank (indicator left out).
_TARGETS = """
INSERT INTO submissions
SELECT 900000 + y * 10 + revised, 'targets', 'targets_' || y || '.xlsx', md5('t' || y || revised), NULL, NULL,
       CASE WHEN revised = 0 THEN make_timestamp(y, 1, 15, 9, 0, 0) ELSE make_timestamp(y, 7, 1, 9, 0, 0) END,
       'bench', 0, 0, 'loaded', NULL, now()
FROM range(2020, 2020 + CAST(ceil($months / 12) AS INTEGER)) a(y), range(0, 2) b(revised)
"""

_TARGET_ROWS = """
INSERT INTO targets (submission_id, received_at, year, unit_code, signed_major, signed_amount_wan, commenced,
                     production, major_manufacturing)
WITH years AS (SELECT y FROM range(2020, 2020 + CAST(ceil($months / 12) AS INTEGER)) t(y)),
actual AS (
    SELECT u.i AS unit_no, y.y,
           count(*) FILTER (WHERE year(signed_date) = y.y AND total >= 10000) AS signed_major,
           coalesce(sum(total) FILTER (WHERE year(signed_date) = y.y AND total >= 10000), 0) AS signed_amount_wan,
           count(*) FILTER (WHERE year(commenced_date) = y.y AND total >= 10000) AS commenced,
           count(*) FILTER (WHERE year(production_date) = y.y AND total >= 10000) AS production,
           count(*) FILTER (WHERE year(signed_date) = y.y AND total >= 70000 AND industry = '制造业')
               AS major_manufacturing
    FROM range(1, $units + 1) u(i)
    CROSS JOIN years y
    LEFT JOIN plan pl ON pl.unit_no = u.i
    GROUP BY ALL
),
versions AS (
    SELECT a.*, r.revised FROM actual a, range(0, 2) r(revised)
    WHERE r.revised = 0 OR u01(unit_no * 10000 + y, 'revised') < 0.10
)
SELECT 900000 + y * 10 + revised,
       CASE WHEN revised = 0 THEN make_timestamp(y, 1, 15, 9, 0, 0) ELSE make_timestamp(y, 7, 1, 9, 0, 0) END,
       y, printf('B%03d', unit_no),
       CASE WHEN u01(unit_no * 10000 + y * 10 + revised, 'blank1') >= 0.04
            THEN greatest(1, round(signed_major * (0.7 + 0.7 * u01(unit_no * 10000 + y * 10 + revised, 'f1')))) END,
       CASE WHEN u01(unit_no * 10000 + y * 10 + revised, 'blank2') >= 0.04
            THEN greatest(10000, round(signed_amount_wan * (0.7 + 0.7 * u01(unit_no * 10000 + y * 10 + revised, 'f2')), -2)) END,
       CASE WHEN u01(unit_no * 10000 + y * 10 + revised, 'blank3') >= 0.04
            THEN greatest(1, round(commenced * (0.7 + 0.7 * u01(unit_no * 10000 + y * 10 + revised, 'f3')))) END,
       CASE WHEN u01(unit_no * 10000 + y * 10 + revised, 'blank4') >= 0.04
            THEN greatest(1, round(production * (0.7 + 0.7 * u01(unit_no * 10000 + y * 10 + revised, 'f4')))) END,
       CASE WHEN u01(unit_no * 10000 + y * 10 + revised, 'blank5') >= 0.30
            THEN CAST(floor(major_manufacturing * u01(unit_no * 10000 + y * 10 + revised, 'f5')) AS INTEGER) END
FROM versions
"""

# 一票否优 on two units for every year.
_VETO = """
INSERT INTO veto_flags
SELECT y, code, '未完成交办任务', 'bench', TIMESTAMP '2020-01-01'
FROM range(2020, 2020 + CAST(ceil($months / 12) AS INTEGER)) t(y), (VALUES ('B001'), ('B002')) v(code)
"""

_META = "CREATE TABLE bench_meta AS SELECT CAST($params AS VARCHAR) AS params"


def _group_bounds(units: int) -> dict[str, int]:
    """The last unit number of each of the first three groups (the fourth takes the rest)."""
    bounds, total = {}, 0.0
    for i, (_, _, share) in enumerate(GROUPS[:3], start=1):
        total += share
        bounds[f"g{i}"] = round(units * total)
    return bounds


def build(path: Path, params: dict) -> dict:
    """Write the benchmark database at `path` (replacing any), return row counts and seconds taken."""
    from pipelines.store import db, timeline

    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    con = db.connect(path)
    con.execute("SET VARIABLE bench_seed = $seed", {"seed": params["seed"]})
    con.execute(_MACROS)
    units, projects, months = params["units"], params["projects"], params["months"]
    con.execute("BEGIN TRANSACTION")
    con.execute(_UNITS, {"units": units, **_group_bounds(units)})
    con.execute(_PLAN, {"units": units, "projects": projects, "months": months})
    con.execute(_SUBMISSIONS, {"units": units, "months": months})
    con.execute(_SUBMISSION_ROWS)
    con.execute(_PROJECTS)
    con.execute(_SNAPSHOTS)
    con.execute(_ROWS_LOADED)
    con.execute(_TARGETS, {"months": months})
    con.execute(_TARGET_ROWS, {"units": units, "months": months})
    con.execute(_VETO, {"months": months})
    con.execute("COMMIT")
    # The snapshots went in straight, not through pipelines.ingest.load: the timeline is built from them in one go.
    timeline_started = time.perf_counter()
    with db.transaction(con):
        timeline.rebuild(con)
    timeline_seconds = time.perf_counter() - timeline_started
    con.execute(_META, {"params": json.dumps(params, sort_keys=True)})  # last: marks a finished build
    con.execute("CHECKPOINT")
    counts = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # names from this list only
              for table in ("units", "projects", "submissions", "snapshots", "targets")}
    con.close()
    return {"counts": counts, "seconds": time.perf_counter() - started, "timeline_seconds": timeline_seconds}


DEFAULT_PARAMS = {"units": 200, "projects": 100_000, "months": 60, "seed": 7}


def database_path(out: Path, params: dict) -> Path:
    """Where the database of these data parameters lives (reused while they are the same)."""
    return out / "report_{units}u_{projects}p_{months}m_s{seed}.duckdb".format(**params)


def province_database(out: Path = ROOT / "bench" / "out") -> Path:
    """The database of the default parameters, which bench/alerts.py and bench/pages.py measure on: built (in a
    process of its own, see main) when missing or built with other parameters."""
    path = database_path(out, DEFAULT_PARAMS)
    if _existing_params(path) != DEFAULT_PARAMS:
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "bench.report", "--build-child", str(path)], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
    return path


def _existing_params(path: Path) -> dict | None:
    if not path.exists():
        return None
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            return json.loads(con.execute("SELECT params FROM bench_meta").fetchone()[0])
        finally:
            con.close()
    except duckdb.Error:
        return None  # a build that did not finish


# ---------------------------------------------------------------------------------------------- the pandas baseline

def pandas_baseline(con, as_of: dt.date, settings) -> dict:
    """The headline figures as an analyst would compute them from the whole snapshot table in pandas:
    per unit 签约项目开工率, 开工项目纳统率 (year cohort, 亿元以上) and the overdue updates of the year (DOMAIN §5–§6).
    Returns {"load": seconds, "units": DataFrame indexed by unit code}."""
    started = time.perf_counter()
    snaps = con.execute("SELECT * FROM snapshots").df()
    loaded = time.perf_counter() - started
    day = pd.Timestamp(as_of)
    year_start = pd.Timestamp(as_of.year, 1, 1)
    known = snaps[snaps["received_at"] < day + pd.Timedelta(days=1)]

    # §4: per project the snapshot with the latest period, among equals the latest received
    latest = known.sort_values(["project_id", "period", "received_at", "submission_id"]).groupby("project_id").tail(1)

    # §5: the two rates over the assessed population
    assessed = latest[latest["total_investment_wan"] >= settings.figures.assess_min_investment_wan]
    signed = pd.to_datetime(assessed["signed_date"]).between(year_start, day)
    commenced_by_d = pd.to_datetime(assessed["commenced_date"]) <= day
    commenced = pd.to_datetime(assessed["commenced_date"]).between(year_start, day)
    in_stats_by_d = pd.to_datetime(assessed["in_stats_date"]) <= day
    cohorts = pd.DataFrame({
        "unit_code": assessed["unit_code"],
        "signed": signed, "signed_commenced": signed & commenced_by_d,
        "commenced": commenced, "commenced_in_stats": commenced & in_stats_by_d,
    }).groupby("unit_code").sum()
    cohorts["commencement_rate"] = cohorts["signed_commenced"] / cohorts["signed"].where(cohorts["signed"] > 0)
    cohorts["stats_rate"] = cohorts["commenced_in_stats"] / cohorts["commenced"].where(cohorts["commenced"] > 0)

    # §6: every (project, month) owed from its first reported month to the last month already due
    due_day = settings.duty.due_day
    periods = known["period"].astype("datetime64[ns]")
    months = periods.dt.year * 12 + periods.dt.month - 1  # month number, to count and step months as integers
    last_due = day.to_period("M") - (1 if as_of.day >= due_day else 2)
    last_due_month = last_due.year * 12 + last_due.month - 1
    first = months.groupby(known["project_id"]).min()
    first = first[first <= last_due_month]
    span = (last_due_month - first + 1).to_numpy()
    starts = np.repeat(span.cumsum() - span, span)
    owed = pd.DataFrame({"project_id": np.repeat(first.index.to_numpy(), span),
                         "month": np.repeat(first.to_numpy(), span) + np.arange(span.sum()) - starts})
    owed["period"] = _month_start(owed["month"])
    # ... except months after one reported 终止 and months starting after 投产
    terminated = periods[known["status"] == "terminated"].groupby(known["project_id"]).min()
    by_project = latest.set_index("project_id")
    production = pd.to_datetime(owed["project_id"].map(by_project["production_date"])).astype("datetime64[ns]")
    stop = owed["project_id"].map(terminated)
    owed = owed[(stop.isna() | (owed["period"] <= stop)) & (production.isna() | (production >= owed["period"]))]
    owed = owed.assign(unit_code=owed["project_id"].map(by_project["unit_code"]))
    # first arrival of any snapshot with period >= P: per reported month, the running minimum from the latest back
    arrivals = (known.assign(period=periods).groupby(["project_id", "period"], as_index=False)["received_at"].min()
                .sort_values(["project_id", "period"], ascending=[True, False]))
    arrivals["first_received"] = arrivals.groupby("project_id")["received_at"].cummin()
    matched = pd.merge_asof(owed.sort_values("period"), arrivals.sort_values("period")[
        ["project_id", "period", "first_received"]], on="period", by="project_id", direction="forward")
    cutoff = _month_start(matched["month"] + 1) + pd.Timedelta(days=due_day)  # end of the due day
    overdue = matched[~(matched["first_received"] < cutoff) & (matched["period"].dt.year == as_of.year)]
    cohorts = cohorts.join(overdue.groupby("unit_code").size().rename("overdue_updates"), how="outer")
    cohorts["overdue_updates"] = cohorts["overdue_updates"].fillna(0).astype(int)
    return {"load": loaded, "units": cohorts}


def _month_start(months):
    """The first day of each month number (year * 12 + month - 1) as datetime64[ns]."""
    return pd.Series((months.to_numpy() - 1970 * 12).astype("datetime64[M]").astype("datetime64[ns]"),
                     index=months.index)


def _check_baseline(report: dict, baseline) -> int:
    """Assert that the pandas per-unit rates and overdue counts equal the report's; return units compared."""
    import math

    for unit in report["units"]:
        code = unit["code"]
        row = baseline.loc[code] if code in baseline.index else None
        for rate in ("commencement_rate", "stats_rate"):
            theirs = None if row is None or math.isnan(row[rate]) else float(row[rate])
            ours = unit[rate]
            assert (ours is None) == (theirs is None) and (ours is None or math.isclose(ours, theirs)), (
                code, rate, ours, theirs)
        theirs = 0 if row is None else int(row["overdue_updates"])
        assert unit["overdue_updates"] == theirs, (code, "overdue_updates", unit["overdue_updates"], theirs)
    return len(report["units"])


def _check_counted_both_ways(report: dict, listed: dict) -> None:
    """Assert that the report (figures counted in the database) equals the JSON of the assessment with its ledger
    (figures counted from the projects' facts), every unit's field and the county's, numbers to 1e-9."""
    import math

    def same(a: object, b: object) -> bool:
        if isinstance(a, dict):
            return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, float) and isinstance(b, float | int):
            return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
        return a == b

    assert same(report["overall"], listed["overall"]), "overall"
    for mine, theirs in zip(report["units"], listed["units"], strict=True):
        assert same(mine, theirs), (mine["code"], [k for k in mine if not same(mine[k], theirs[k])])


# --------------------------------------------------------------------------------------------------- measuring

def _interleaved(fns: dict, runs: int) -> dict[str, tuple[float, object]]:
    """Median wall seconds of each function over `runs` rounds after one warm-up round, each round calling every
    function once in turn, and its last result. A ratio of two measures is then taken under the same load: on a
    shared machine the speed drifts by tens of percent over seconds, more than a ratio's goal allows."""
    results = {name: fn() for name, fn in fns.items()}
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            started = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - started)
    return {name: (statistics.median(times[name]), results[name]) for name in fns}


def _median_time(fn, runs: int) -> tuple[float, object]:
    """Median wall seconds of `runs` calls after one warm-up, and the last result."""
    result = fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _child(path: Path, as_of: dt.date, runs: int, baseline_runs: int, profile: bool) -> dict:
    """All timings in this (fresh) process; peak RSS read right after the report's runs."""
    import resource

    from pipelines import settings
    from pipelines.figures import duty, measures
    from pipelines.figures.assessment import assess
    from pipelines.report import _as_json, month_report, report
    from pipelines.store import db

    config = settings.current()
    con = db.connect(path)
    rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # noqa: E731
    before_mb = rss()
    out: dict = {}
    # The report for the month before the as-of month, known by the as-of day (E ≠ K, DOMAIN §4).
    month = (as_of.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    timed = _interleaved({
        "floor": lambda: con.execute(
            "SELECT count(*), sum(total_investment_wan), max(received_at) FROM snapshots").fetchone(),
        "report": lambda: report(con, as_of, config),
        "month_report": lambda: month_report(con, month, as_of, config)}, runs)
    (out["floor"], floor_row), (out["report"], data) = timed["floor"], timed["report"]
    out["month_report"], monthly = timed["month_report"]
    # Context for the floor: the least any as-of figure needs, one pass grouping the snapshots by project.
    out["grouped_scan"], _ = _median_time(lambda: con.execute(
        "SELECT count(*), count(latest) FROM (SELECT project_id, max(period) AS latest FROM snapshots"
        " WHERE received_at < CAST($as_of AS DATE) + INTERVAL 1 DAY GROUP BY project_id)",
        {"as_of": as_of}).fetchone(), runs)
    out["month"] = f"{month:%Y-%m}"
    out["not_reported"] = len(monthly["not_reported"])
    out["peak_mb"] = rss()
    out["assess"], assessment = _median_time(lambda: assess(con, as_of, config), runs)
    out["project_facts"], facts = _median_time(lambda: measures.project_facts(con, as_of, config), runs)
    out["overdue_updates"], overdue = _median_time(
        lambda: duty.overdue_updates(con, as_of, year=as_of.year, settings=config), runs)
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(report, con, as_of, config)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    out["baseline"], baseline = _median_time(lambda: pandas_baseline(con, as_of, config), baseline_runs)
    out["peak_after_baseline_mb"] = rss()
    out["baseline_load"] = baseline["load"]
    out["checked_units"] = _check_baseline(data, baseline["units"])
    _check_counted_both_ways(data, _as_json(assessment))
    out.update(before_mb=before_mb, snapshot_rows=floor_row[0], projects_known=len(facts),
               ledger_rows=len(assessment.ledger), overdue_pairs=len(overdue),
               overall_overdue=data["overall"]["overdue_updates"])
    con.close()
    return out


def _print(params: dict, built: dict | None, r: dict) -> bool:
    report_s, floor_s, baseline_s, month_s = r["report"], r["floor"], r["baseline"], r["month_report"]
    checks = [
        ("as-of report", f"{report_s:.3f} s", f"≤ {GOAL_SECONDS:g} s", report_s <= GOAL_SECONDS),
        ("month report", f"{month_s:.3f} s", f"≤ {GOAL_SECONDS:g} s", month_s <= GOAL_SECONDS),
        ("report / floor", f"{report_s / floor_s:.1f}×", f"≤ {GOAL_FLOOR_RATIO}×", report_s / floor_s <= GOAL_FLOOR_RATIO),
        ("month / floor", f"{month_s / floor_s:.1f}×", f"≤ {GOAL_FLOOR_RATIO}×", month_s / floor_s <= GOAL_FLOOR_RATIO),
        ("baseline / report", f"{baseline_s / report_s:.1f}×", f"≥ {GOAL_BASELINE_RATIO}×",
         baseline_s / report_s >= GOAL_BASELINE_RATIO),
        ("peak RSS (report)", f"{r['peak_mb']:.0f} MB", f"< {GOAL_PEAK_MB} MB", r["peak_mb"] < GOAL_PEAK_MB),
    ]
    print(f"data: {params['units']} units, {params['projects']} projects, {params['months']} months, seed {params['seed']};"
          f" {r['snapshot_rows']:,} snapshot rows" + (f" (built in {built['seconds']:.0f} s, of which the timeline {built['timeline_seconds']:.0f} s)"
                                                    if built else " (reused)"))
    print(f"as of {params['as_of']}: {r['projects_known']:,} projects known, {r['overdue_pairs']:,} overdue updates"
          f" in the year, {r['ledger_rows']:,} ledger rows; pandas figures equal the report's for"
          f" {r['checked_units']} units")
    print()
    print(f"{'measure':<38} {'seconds':>8}")
    rows = [("(a) floor: one raw scan of snapshots", floor_s),
            ("    context: one group-by-project pass", r["grouped_scan"]),
            ("(b) full report (pipelines.report)", report_s),
            (f"(b) report for {r['month']} known by the day", month_s),
            ("(c) assess (figures, scores, ledger)", r["assess"]),
            ("(c) measures.project_facts", r["project_facts"]),
            ("(c) duty.overdue_updates (year)", r["overdue_updates"]),
            ("(d) pandas baseline", baseline_s),
            ("    of which SELECT * … .df()", r["baseline_load"])]
    for name, seconds in rows:
        print(f"{name:<38} {seconds:>8.3f}")
    print()
    print(f"{'goal':<20} {'measured':>10} {'target':>10}  verdict")
    for name, measured, target, ok in checks:
        print(f"{name:<20} {measured:>10} {target:>10}  {'ok' if ok else 'MISSED'}")
    print(f"(RSS before the report {r['before_mb']:.0f} MB; after the pandas baseline {r['peak_after_baseline_mb']:.0f} MB."
          " The ledger is built inside assess, in the same pass as the scores: it has no timing of its own.)")
    return all(ok for *_, ok in checks)


def _run(command: list[str]) -> dict:
    """Run this script in a subprocess and return the JSON object it prints last."""
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=DEFAULT_PARAMS["units"])
    parser.add_argument("--projects", type=int, default=DEFAULT_PARAMS["projects"])
    parser.add_argument("--months", type=int, default=DEFAULT_PARAMS["months"], help="report months from 2020-01")
    parser.add_argument("--seed", type=int, default=DEFAULT_PARAMS["seed"])
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2024, 11, 20))
    parser.add_argument("--runs", type=int, default=11, help="timed runs of each measure after one warm-up")
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="build the database even if it exists")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--build-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    data_params = {"units": args.units, "projects": args.projects, "months": args.months, "seed": args.seed}
    if args.child:
        result = _child(args.child, args.as_of, args.runs, args.baseline_runs, args.profile)
        print(json.dumps(result))
        return 0
    if args.build_child:
        print(json.dumps(build(args.build_child, data_params)))
        return 0
    path = database_path(args.out, data_params)
    args.out.mkdir(parents=True, exist_ok=True)
    # Building and measuring each run in a process of their own, started from this small one: Linux carries a
    # process's peak RSS (ru_maxrss) over into the children it starts, so a parent that had built the data
    # would pass its gigabytes on to the measurement.
    me = [sys.executable, "-m", "bench.report", "--units", str(args.units), "--projects", str(args.projects),
          "--months", str(args.months), "--seed", str(args.seed)]
    built = None
    if args.rebuild or _existing_params(path) != data_params:
        built = _run(me + ["--build-child", str(path)])
    command = me + ["--child", str(path), "--as-of", args.as_of.isoformat(), "--runs", str(args.runs),
                    "--baseline-runs", str(args.baseline_runs)]
    if args.profile:
        command.append("--profile")
    result = _run(command)
    return 0 if _print({**data_params, "as_of": args.as_of.isoformat()}, built, result) else 1


if __name__ == "__main__":
    sys.exit(main())
