"""单元看板 (issue 5): one unit's own page as of a day — its score and ranks overall and in its group with the
change since the end of last month, the score ledger opened down to the projects behind each item with each
item's maximum, what it lacks against its targets and the projects that could close the gap, its open warnings,
its projects behind on their monthly update, and the state of the month's report with the days left to its due
date — and which unit an actor may see.

Nothing here is a new figure: scores, ranks and the ledger come from pipelines.figures.assessment through
pipelines.screens.ranking, the gaps from pipelines.figures.guidance, the update duty from pipelines.figures.duty,
the warnings from the table alerts.evaluate keeps (as alerts.centre reads them as of a day). This module picks,
scopes and arranges."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from alerts import centre
from pipelines.access import Actor
from pipelines.figures import duty, guidance, measures
from pipelines.figures.assessment import INDICATORS, Assessment, assess
from pipelines.figures.guidance import Gap
from pipelines.months import add_months, due_date
from pipelines.screens import ranking
from pipelines.screens.ranking import LedgerItem
from pipelines.settings import Settings, current
from pipelines.store import queries
from pipelines.vocabulary import RED, YELLOW

# The states of the month's report.
ON_TIME, LATE, OPEN, OVERDUE = "on_time", "late", "open", "overdue"


def visible_unit(actor: Actor, requested: str | None, units: Sequence[str]) -> str:
    """The unit whose page `actor` sees when asking for `requested` (a widget's value or the URL's ?unit=): a unit
    user always its own unit, whatever it asks for; an admin or a leader the unit asked for when it is one of
    `units` (the register's codes), else the first of them."""
    if actor.unit_scope is not None:
        return actor.unit_scope
    if requested in units:
        return requested
    if not units:
        raise LookupError("no units registered")
    return units[0]


@dataclass(frozen=True)
class ReportStatus:
    """The unit's monthly report collected in the as-of month: the one for the month before it."""

    period: dt.date  # the report month (first day)
    due_date: dt.date  # the last day on which it is on time
    days_left: int  # from the as-of day to the due date; negative: the due date passed that many days ago
    state: str  # on_time / late (arrived after the due date) / open (not yet, still in time) / overdue (not yet)
    received_at: dt.datetime | None  # when the first file with the unit's rows for the month arrived
    rows: int  # the unit's rows in the month's files; 0 when none arrived
    corrections: int  # later files for the month that amended or replaced the first
    refused_at: dt.datetime | None  # when nothing arrived: when the unit's latest file for the month was refused
    refusal: str | None  # and why
    rejected: int = 0  # rows the month's files refused (their projects count as left out until resent)

    @property
    def days_late(self) -> int | None:
        """How many days after the due date the report arrived (0 or less: on time); None before it arrives."""
        return None if self.received_at is None else (self.received_at.date() - self.due_date).days


@dataclass(frozen=True)
class UnitView:
    """Everything the unit's page shows as of one day."""

    as_of: dt.date
    year: int
    time_progress: float
    code: str
    name: str
    group: str
    comparison: str  # what the changes are measured against ('与10月底相比'), or why there are none
    units_ranked: int  # how many units the overall rank is out of
    group_units: int  # how many units the group rank is out of
    rank: int
    rank_change: int | None  # places moved up since the comparison day (negative: down); None: not compared
    group_rank: int
    group_rank_change: int | None
    score: float
    score_change: float | None
    deduction: float  # the year's deductions, late reports and forgotten updates together (DOMAIN §7)
    excellent: bool  # 一票评优
    vetoed: bool  # 一票否优 set for the year
    veto_note: str | None
    score_items: list[LedgerItem]  # the ledger: each indicator, 加分, 扣分, with the projects behind it
    maxima: dict[str, float | None]  # item → the most points it can give (扣分: take); None: left out
    lacking: list[Gap]  # the targets the unit falls short of, with the projects that could close the gap
    on_track: list[Gap]  # the targets it meets, and those without a target or a cohort
    stale: pd.DataFrame  # projects behind on their monthly update: code, name, months_behind, oldest_missing, …
    report: ReportStatus
    submissions: pd.DataFrame  # unit_submissions.sql: the unit's files received by the as-of day, newest first
    warnings: pd.DataFrame  # the unit's warnings open at the end of the as-of day, red first
    warning_counts: dict[str, int]  # open warnings per grade (yellow, red)


def item_maxima(items: Sequence[LedgerItem], settings: Settings | None = None) -> dict[str, float | None]:
    """The most points each ledger item can give: an indicator its weight, scaled as the assessment scales the
    indicators the unit has targets for up to 100 (None for one left out); 加分 its cap; each 扣分 the most the
    deductions can take together, as a negative number."""
    rules = (settings or current()).assessment
    weights = {i.id: getattr(rules, i.weight) for i in INDICATORS}
    counted = [item.item for item in items if item.item in weights and item.points is not None]
    total = sum(weights[item] for item in counted)
    maxima: dict[str, float | None] = {item.item: None for item in items}
    maxima.update({item: weights[item] * 100 / total for item in counted})
    maxima.update(bonus=rules.bonus_cap, late_reports=-rules.deduction_cap, forgotten_updates=-rules.deduction_cap)
    return maxima


def report_status(submissions: pd.DataFrame, as_of: dt.date, settings: Settings | None = None) -> ReportStatus:
    """The state of the report for the month before the as-of month, from the unit's files (unit_submissions.sql
    run for that month): on time, late, still open or overdue, with the days left to its due date."""
    period = add_months(as_of.replace(day=1), -1)
    due = due_date(period, (settings or current()).duty.due_day)
    days_left = (due - as_of).days
    files = submissions[submissions["for_period"]]
    arrived = files[files["unit_rows"] > 0].sort_values(["received_at", "id"])
    if len(arrived):
        first = arrived.iloc[0]
        received = first["received_at"].to_pydatetime()
        return ReportStatus(period, due, days_left, ON_TIME if received.date() <= due else LATE, received,
                            int(arrived["unit_rows"].sum()), len(arrived) - 1, None, None,
                            int(arrived["rows_rejected"].sum()))
    refused_at = refusal = None
    if len(files):  # files for the month that loaded none of the unit's rows: the newest says why
        newest = files.iloc[0]
        refused_at = newest["received_at"].to_pydatetime()
        refusal = newest["message"] if newest["status"] == "rejected" else "文件中本单元的数据行均未通过校验"
    return ReportStatus(period, due, days_left, OPEN if days_left >= 0 else OVERDUE, None, 0, 0, refused_at,
                        refusal)


def stale_projects(con: duckdb.DuckDBPyConnection, unit_code: str, as_of: dt.date,
                   settings: Settings | None = None, facts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The unit's projects currently behind on their monthly update as of `as_of` (DOMAIN §6), most months
    behind first: project_code, project_name, months_behind, oldest_missing (month), last_period (the latest
    month reported). `facts` may pass measures.project_facts (with details) as of `as_of`, of every project or of
    the unit's own at least."""
    settings = settings or current()
    facts = measures.project_facts(con, as_of, settings) if facts is None else facts
    facts = facts[facts["unit_code"] == unit_code]
    stale = duty.stale_projects(con, as_of, settings, facts)
    projects = facts[["project_id", "project_code", "project_name", "period"]]
    found = stale.merge(projects, on="project_id", how="left").rename(columns={"period": "last_period"})
    found = found.sort_values(["months_behind", "project_code"], ascending=[False, True])
    return found[["project_code", "project_name", "months_behind", "oldest_missing", "last_period"]].reset_index(
        drop=True)


@dataclass(frozen=True)
class County:
    """What every unit's page reads of the whole county as of one day: the projects' facts (with details), the
    assessment and the ranking against the end of last month. Computed once for all units."""

    facts: pd.DataFrame
    assessment: Assessment
    standing: ranking.Ranking


def county(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: Settings | None = None) -> County:
    """The county's state as of the end of `as_of` that a unit's ranks and ledger are read from."""
    settings = settings or current()
    compare = ranking.comparison_day("month", as_of, ranking.first_data_day(con))
    facts = measures.project_facts(con, as_of, settings)
    now = assess(con, as_of, settings, facts)
    return County(facts, now, ranking.ranking(con, as_of, compare, settings, now))


def _unit_facts(whole: County, unit_code: str) -> pd.DataFrame:
    """The facts of the unit's own projects and of every project its ledger names (a project that moved to another
    unit since it counted here): all the ledger and the guidance read, a few hundred rows out of the county's."""
    facts, result = whole.facts, whole.assessment
    named = result.ledger.loc[result.ledger["unit_code"] == unit_code, "subjects"]
    overdue = result.reports.overdue
    codes = {code for subjects in named for code in subjects} | set(
        overdue.loc[overdue["unit_code"] == unit_code, "project_code"])
    return facts[(facts["unit_code"] == unit_code).to_numpy() | facts["project_code"].isin(codes).to_numpy()]


def view_figures(con: duckdb.DuckDBPyConnection, unit_code: str, as_of: dt.date,
                 settings: Settings | None = None, whole: County | None = None) -> dict:
    """Every field of UnitView but the warnings, for `unit_code` as of the end of `as_of`: they change only with
    the data (and the day). `whole` may pass county() of the same day, which every unit shares. LookupError for
    a unit that is not registered."""
    settings = settings or current()
    whole = county(con, as_of, settings) if whole is None else whole
    standing = whole.standing
    if unit_code not in set(standing.table["code"]):
        raise LookupError(f"unknown unit {unit_code!r}")
    mine = standing.unit(unit_code)
    facts = _unit_facts(whole, unit_code)
    ledger = ranking.unit_ledger(con, as_of, unit_code, None, settings, whole.assessment, facts)
    gaps = guidance.target_gaps(con, as_of, unit_code, settings, facts)
    period = add_months(as_of.replace(day=1), -1)
    submissions = queries.frame(con, "unit_submissions", unit=unit_code, as_of=as_of, period=period)
    month = ranking.Period("month", f"{as_of.year}年{as_of.month}月", as_of, standing.compare_as_of)
    return {
        "as_of": as_of, "year": standing.year, "time_progress": standing.time_progress, "code": unit_code,
        "name": mine["name"], "group": mine["group"], "comparison": month.comparison,
        "units_ranked": len(standing.table), "group_units": len(standing.in_group(mine["group"])),
        "rank": int(mine["rank"]), "rank_change": _whole(mine["rank_change"]),
        "group_rank": int(mine["group_rank"]), "group_rank_change": _whole(mine["group_rank_change"]),
        "score": float(mine["score"]), "deduction": float(mine["deduction"]),
        "score_change": None if pd.isna(mine["score_change"]) else float(mine["score_change"]),
        "excellent": bool(mine["excellent"]), "vetoed": bool(mine["vetoed"]),
        "veto_note": None if pd.isna(mine["veto_note"]) else mine["veto_note"],
        "score_items": ledger.items, "maxima": item_maxima(ledger.items, settings),
        "lacking": [g for g in gaps if g.needed > 0], "on_track": [g for g in gaps if g.needed <= 0],
        "stale": stale_projects(con, unit_code, as_of, settings, facts),
        "report": report_status(submissions, as_of, settings),
        "submissions": submissions,
    }


def view_warnings(con: duckdb.DuckDBPyConnection, unit_code: str, as_of: dt.date) -> dict:
    """The unit's warnings open at the end of `as_of` (red first, then the most recently raised or regraded) and
    how many per grade. They change with every evaluation, without new data."""
    found = centre.latest_warnings(con, as_of, unit_code)
    counts = {grade: int((found["grade"] == grade).sum()) for grade in (YELLOW, RED)}
    return {"warnings": found, "warning_counts": counts}


def unit_view(con: duckdb.DuckDBPyConnection, unit_code: str, as_of: dt.date,
              settings: Settings | None = None) -> UnitView:
    """Everything the page of `unit_code` shows as of the end of `as_of`. The caller decides which unit the actor
    may see (visible_unit)."""
    return UnitView(**view_figures(con, unit_code, as_of, settings), **view_warnings(con, unit_code, as_of))


def _whole(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
