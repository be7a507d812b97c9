"""The leadership big screen (领导驾驶舱) as of a day, for the whole county or one unit: the headline figures
against their targets and 序时进度, the two rates, the funnel, the ranking by group with rank changes, the
monthly trend, the warnings open then, the industry and size-band mix, the projects stuck longest in their
stage and each unit's report for the month being collected (本期报送).

Nothing here is a new figure: flows, rates and mixes come from pipelines.figures.measures, scores and ranks from
pipelines.figures.assessment, stages from the as-of state (pipelines.store.state), warnings from the table
alerts.evaluate keeps (read through alerts.centre). This module only picks, scopes and arranges them. The screen's
numbers (how many rows, how many months, when data counts as old) are [screen] in settings.toml."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from alerts import centre
from pipelines.admin import tasks
from pipelines.figures import assessment, duty, measures
from pipelines.months import add_months, previous_month_end
from pipelines.settings import Settings, current
from pipelines.store import queries, state
from pipelines.vocabulary import MILESTONE_BY_ID, RED, STATUSES, TARGET_BY_ID, YELLOW

# A day -> the project facts (with details) and the assessment as of that day (screen_figures).
Assessed = Callable[[dt.date], tuple[pd.DataFrame, assessment.Assessment]]
COUNTY = "全县"  # the scope name when the screen shows every unit
# The headline strip, in order: targets (pipelines.vocabulary.TARGETS) by id; each card shows the year's actual
# against the scope's target, or the figure alone where none is set.
HEADLINE: tuple[str, ...] = ("signed", "signed_amount", "commenced", "in_stats", "production", "invested_year")
# The gauges, in order: the rate (a column of the figures), its name, and its cohort's hits and base (columns of
# the figures) with what they measure: projects (count) or 万元 (amount). Targets: measures.rate_targets and
# [figures] funds_target; a rate without one is drawn without a status.
GAUGES: tuple[tuple[str, str, str, str, str], ...] = (
    ("commencement_rate", "签约项目开工率", "commencement_rate_hits", "commencement_rate_base", "count"),
    ("stats_rate", "开工项目纳统率", "stats_rate_hits", "stats_rate_base", "count"),
    ("funds_rate", "资金到位率", "funds_cohort_wan", "funds_cohort_total_wan", "amount"),
    ("production_rate", "开工项目投产率", "production_rate_hits", "production_rate_base", "count"),
)
TREND_COLUMNS = ("signed", "signed_amount_wan", "commenced", "in_stats", "production",
                 "commencement_rate", "stats_rate")
# The columns of trend_point.sql, in order.
_TREND_COUNTED = ("signed", "signed_amount_wan", "commenced", "in_stats", "production", "commencement_rate_base",
                  "commencement_rate_hits", "stats_rate_base", "stats_rate_hits")


@dataclass(frozen=True)
class Cockpit:
    """Everything the big screen shows as of one day for one scope (None: the whole county)."""

    as_of: dt.date
    year: int
    time_progress: float
    scope: str | None
    scope_name: str
    headline: pd.DataFrame  # item, label, unit, actual, target, due, completion, gap_points, on_pace, plan_rate
    rates: pd.DataFrame  # rate, label, value, target, status, hits, base, measure
    funnel: pd.DataFrame  # measures.funnel
    funnel_cohort: str  # year / all
    ranking: pd.DataFrame  # every unit, by group and group rank, with rank changes; in_scope marks the scope's
    trend: pd.DataFrame  # day, month, TREND_COLUMNS: the figures as of each of the last month-ends and the day
    industry_mix: pd.DataFrame  # measures.mix by industry of the projects not terminated
    size_mix: pd.DataFrame  # measures.mix by size band of the same projects
    stuck: pd.DataFrame  # the projects longest in their current stage
    reporting: pd.DataFrame  # 本期报送: each unit's report for the month being collected (see `reporting`)
    warnings: pd.DataFrame  # the latest open warnings, red first
    warning_counts: dict[str, int]  # open warnings per grade (yellow, red)
    task_counts: dict[str, int] = field(default_factory=dict)  # 督办: open, late, closed this year (task_counts)


def screen_figures(con: duckdb.DuckDBPyConnection, as_of: dt.date, scope: str | None = None,
                   settings: Settings | None = None, assessed: Assessed | None = None) -> dict:
    """The screen's figures as of the end of `as_of` for `scope` (None: the county, else a unit code): every
    field of Cockpit but the warnings. They change only with the data (and the day). `assessed(day)` gives the
    project facts (with details) and the assessment as of a day — the as-of day's and, for the rank changes, the
    previous month-end's — when a caller keeps them (default: computed here)."""
    settings = settings or current()
    screen = settings.screen
    register = state.unit_register(con)
    names = dict(zip(register["code"], register["name"]))
    if scope is not None and scope not in names:
        raise LookupError(f"unknown unit {scope!r}")
    if assessed is None:
        def assessed(day: dt.date) -> tuple[pd.DataFrame, assessment.Assessment]:
            day_facts = measures.project_facts(con, day, settings)
            return day_facts, assessment.assess(con, day, settings, day_facts)
    facts, result = assessed(as_of)
    previous_day = previous_month_end(as_of)
    previous = assessed(previous_day)[1] if previous_day.year == result.year else None
    now = _scoped_figures(result.units, result.overall, scope)
    mine = _in_scope(facts, scope)
    live = mine[mine["status"] != "terminated"]
    return {
        "as_of": as_of, "year": result.year, "time_progress": result.time_progress, "scope": scope,
        "scope_name": COUNTY if scope is None else names[scope],
        "headline": headline(now, _scope_targets(result, scope), result.time_progress),
        "rates": rates(now, settings),
        "funnel": measures.funnel(mine, as_of, screen.funnel_cohort), "funnel_cohort": screen.funnel_cohort,
        "ranking": ranking(result, previous, scope),
        "trend": trend(con, as_of, scope, settings),
        "industry_mix": measures.mix(live, "industry"), "size_mix": measures.mix(live, "size_band"),
        "stuck": stuck_projects(mine, as_of, names, screen.stuck_shown),
        "reporting": reporting(con, as_of, scope, settings, now),
    }


def screen_warnings(con: duckdb.DuckDBPyConnection, as_of: dt.date, scope: str | None = None,
                    settings: Settings | None = None) -> dict:
    """The warnings part of the screen: the latest `[screen] warnings_shown` of those open at the end of
    `as_of` in `scope` (red first, then the most recently raised or regraded) and how many are open per grade.
    They change with every evaluation, without new data."""
    shown = centre.latest_warnings(con, as_of, scope)
    counts = {grade: int((shown["grade"] == grade).sum()) for grade in (YELLOW, RED)}
    return {"warnings": shown.head((settings or current()).screen.warnings_shown).reset_index(drop=True),
            "warning_counts": counts}


def task_counts(con: duckdb.DuckDBPyConnection, as_of: dt.date, scope: str | None = None) -> dict[str, int]:
    """督办事项 at the end of `as_of` in `scope` (DOMAIN §10): `open` (not yet closed or cancelled), `late` (of
    those), `closed` (closed in the year of `as_of`). Tasks change without new data: callers do not cache this."""
    found = tasks.tasks_as_of(con, as_of, scope)
    unfinished = [t for t in found if t.state in ("open", "responded")]
    return {"open": len(unfinished), "late": sum(t.late(as_of) for t in unfinished),
            "closed": sum(t.state == "closed" and t.last_acted_at.year == as_of.year for t in found)}


def cockpit(con: duckdb.DuckDBPyConnection, as_of: dt.date, scope: str | None = None,
            settings: Settings | None = None) -> Cockpit:
    """Everything the big screen shows as of the end of `as_of` for `scope` (None: the county, else a unit)."""
    return Cockpit(**screen_figures(con, as_of, scope, settings), **screen_warnings(con, as_of, scope, settings),
                   task_counts=task_counts(con, as_of, scope))


def _scoped_figures(units: pd.DataFrame, overall: dict, scope: str | None) -> dict:
    """The figures of the scope: the county's (summed over units) or one unit's row of unit_figures."""
    return overall if scope is None else units.set_index("code").loc[scope].to_dict()


def _in_scope(facts: pd.DataFrame, scope: str | None) -> pd.DataFrame:
    return facts if scope is None else facts[facts["unit_code"] == scope]


def _scope_targets(result: assessment.Assessment, scope: str | None) -> dict | None:
    """The annual targets in force (targets_as_of's columns): one unit's row (None without one), or the county's,
    the sum of the units' (assessment.county_targets)."""
    targets = result.targets
    if scope is None:
        return assessment.county_targets(targets)
    return targets.loc[scope].to_dict() if scope in targets.index else None


def headline(scoped: dict, targets: dict | None, progress: float) -> pd.DataFrame:
    """The headline strip: each target of HEADLINE with the year's actual (个, or 万元 for money), the annual
    target, what 序时进度 asks of it by now (`due`), its completion (actual ÷ target), the gap to 序时进度 in
    percentage points and whether it is on pace (actual ≥ due); the target columns are None where no target is
    set. `plan_rate` is 年度投资完成率 for 本年完成投资 (None elsewhere and without a 年度计划投资)."""
    figures = assessment.completion(scoped, targets, progress)
    rows = []
    for item in HEADLINE:
        target = TARGET_BY_ID[item]
        actual, value = scoped[target.actual], figures["targets"][item]
        rows.append({"item": item, "label": target.label, "unit": target.unit, "actual": actual, "target": value,
                     "due": None if value is None else value * progress,
                     "completion": figures["completion"][item], "gap_points": figures["schedule_gap_points"][item],
                     "on_pace": None if value is None else bool(actual >= value * progress),
                     "plan_rate": scoped["investment_completion_rate"] if item == "invested_year" else None})
    return pd.DataFrame(rows)


def rates(scoped: dict, settings: Settings | None = None) -> pd.DataFrame:
    """The gauges of the scope (GAUGES): value (None without a cohort), target (None: none set), 达标/黄/红 (None
    without a target or a value), the cohort's hits and base, and what they measure (count / amount, 万元)."""
    settings = settings or current()
    targets = {**measures.rate_targets(settings), "funds_rate": settings.figures.funds_target or None}
    rows = []
    for rate, label, hits, base, measure in GAUGES:
        value = scoped[rate]
        rows.append({"rate": rate, "label": label, "value": None if value is None or pd.isna(value) else value,
                     "target": targets[rate], "status": scoped[f"{rate}_status"],
                     "hits": scoped[hits] if measure == "amount" else int(scoped[hits]),
                     "base": scoped[base] if measure == "amount" else int(scoped[base]), "measure": measure})
    return pd.DataFrame(rows)


def ranking(result: assessment.Assessment, previous: assessment.Assessment | None, scope: str | None) -> pd.DataFrame:
    """Every unit by assessment group and rank in it: score, group rank and overall rank, places moved since
    `previous` (the assessment at the end of last month; None in January), 优秀, the two rates and 签约金额;
    `in_scope` marks the scope's unit. Units see the whole ranking (DOMAIN §1)."""
    changes = assessment.rank_moves(result, previous)
    table = result.units.merge(changes, on="code")
    table["in_scope"] = table["code"] == scope
    columns = ["code", "name", "group", "score", "group_rank", "group_rank_change", "rank", "rank_change",
               "excellent", "commencement_rate", "stats_rate", "signed_amount_wan", "in_scope"]
    return table.sort_values(["group", "group_rank"])[columns].reset_index(drop=True)


def trend_days(as_of: dt.date, months: int) -> list[dt.date]:
    """The last `months` - 1 month-ends before the as-of month, oldest first, then the as-of day itself."""
    first = as_of.replace(day=1)
    ends = [previous_month_end(add_months(first, 1 - back)) for back in range(months - 1, 0, -1)]
    return [*ends, as_of]


def trend(con: duckdb.DuckDBPyConnection, as_of: dt.date, scope: str | None = None,
          settings: Settings | None = None) -> pd.DataFrame:
    """The scope's flows of the year so far, 签约金额 and both rates as known at each of the last
    `[screen] trend_months` month-ends (the last point is the as-of day): one row per day with its month. Each
    point is counted in the database from that day's state (trend_point.sql: what measures.tally gives for the
    day's assessed projects)."""
    settings = settings or current()
    rows = []
    for day in trend_days(as_of, settings.screen.trend_months):
        window = measures.Window.of(day, settings)
        found = queries.rows(con, "trend_point", day=day, year_start=window.year_start,
                             cohort_start=window.cohort_start, unit=scope,
                             assess_min=settings.figures.assess_min_investment_wan)
        counts = dict(zip(_TREND_COUNTED, found[0]))
        for rate in ("commencement_rate", "stats_rate"):
            base = counts.pop(f"{rate}_base")
            counts[rate] = counts.pop(f"{rate}_hits") / base if base else None
        rows.append({"day": day, "month": f"{day:%Y-%m}", **{c: counts[c] for c in TREND_COLUMNS}})
    return pd.DataFrame(rows)


def stuck_projects(facts: pd.DataFrame, as_of: dt.date, unit_names: dict[str, str], limit: int) -> pd.DataFrame:
    """The `limit` projects of `facts` (measures.project_facts as of `as_of`, with details, which carry the stage),
    not terminated and not yet in production, that have been longest in their current stage: code, name, unit,
    stage, status, the day the stage was reached and days since."""
    stage = facts["stage"].to_numpy(dtype=object)
    # The day each project reached its current stage, as numpy (a pandas pass per stage over 10⁵ projects took
    # most of a second); only the `limit` longest are then made into rows.
    stage_date = np.full(len(facts), np.datetime64("NaT"), dtype="datetime64[D]")
    for milestone in MILESTONE_BY_ID.values():
        at = stage == milestone.id
        stage_date[at] = facts[milestone.date_field].to_numpy(dtype="datetime64[D]")[at]
    days = (np.datetime64(as_of, "D") - stage_date).astype("timedelta64[D]").astype(float)  # NaT -> nan
    open_ = ((facts["status"] != "terminated").to_numpy(dtype=bool) & facts["stage"].notna().to_numpy(dtype=bool)
             & (stage != "production"))
    # The candidates: open projects at least as long in their stage as the `limit`-th longest (ties kept).
    ranked = np.where(open_ & ~np.isnan(days), days, -np.inf)
    if 0 < limit < len(ranked):
        ranked_open = ranked[open_]
        least = -np.partition(-ranked_open, limit - 1)[limit - 1] if len(ranked_open) >= limit else -np.inf
        open_ = open_ & ((ranked >= least) | (least == -np.inf))
    picked = facts[open_].assign(stage_date=pd.to_datetime(stage_date[open_]), days=days[open_])
    ordered = picked.sort_values(["days", "project_code"], ascending=[False, True]).head(limit)
    ordered = ordered.assign(
        stage_label=ordered["stage"].map({m.id: m.label for m in MILESTONE_BY_ID.values()}),
        status_label=ordered["status"].map(STATUSES), unit_name=ordered["unit_code"].map(unit_names),
        days=ordered["days"].astype("Int64"))
    columns = ["project_code", "project_name", "unit_code", "unit_name", "stage", "stage_label", "status",
               "status_label", "stage_date", "days"]
    return ordered[columns].reset_index(drop=True)


# The order the 本期报送 panel lists the units in: who is missing first, then who was late, then who was on time.
_REPORT_ORDER = {"not_received": 0, "received_late": 1, "received_on_time": 2}


def reporting(con: duckdb.DuckDBPyConnection, as_of: dt.date, scope: str | None,
              settings: Settings | None = None, figures: dict | None = None) -> pd.DataFrame:
    """本期报送 (DOMAIN §6): each unit that owes the month being collected on `as_of` (the month before it; the
    scope's unit alone when given) or sent it anyway, with its report's state (received_on_time / received_late /
    not_received), when it arrived, the due date and the days left to it (negative: past); missing first. The
    frame's attrs hold the month ("period") and, from the scope's `figures` when given, the year's
    "reporting_rate" and "on_time_rate"."""
    settings = settings or current()
    month = add_months(as_of.replace(day=1), -1)
    found = duty.month_reports(con, month, as_of, settings)
    found = found[(found["owes"] | (found["files"] > 0)) & ((found["code"] == scope) if scope else True)]
    found = found.assign(days_left=[(pd.Timestamp(due).date() - as_of).days for due in found["due_date"]],
                         order=found["state"].map(_REPORT_ORDER))
    found = found.sort_values(["order", "code"]).reset_index(drop=True)
    shown = found[["code", "name", "state", "first_received", "due_date", "days_left"]].copy()
    shown.attrs["period"] = month
    for rate in ("reporting_rate", "on_time_rate"):
        shown.attrs[rate] = None if figures is None else figures.get(rate)
    return shown
