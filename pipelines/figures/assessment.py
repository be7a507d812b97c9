"""The assessment of DOMAIN §7: indicator points, bonuses, deductions, 一票评优/一票否优, score, ranks, and the
score ledger that says where every point came from (the projects or (project, period) pairs behind it)."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import duckdb
import numpy as np
import pandas as pd

from pipelines.admin import tasks
from pipelines.figures import duty, measures
from pipelines.months import previous_month_end
from pipelines.settings import Settings, current
from pipelines.store import queries
from pipelines.vocabulary import TARGET_FIELDS, TARGETS


class Indicator(NamedTuple):
    id: str
    label: str
    weight: str  # field of AssessmentSettings
    actual: str  # column of unit_figures
    target: str | None  # column of targets_as_of; None for the rates, whose targets are settings
    subjects: str  # project_facts flag marking the projects behind it


INDICATORS: tuple[Indicator, ...] = (
    Indicator("signed_major", "签约亿元以上项目数", "weight_signed_major", "signed", "signed_major", "signed"),
    Indicator("signed_amount", "签约金额", "weight_signed_amount", "signed_amount_wan", "signed_amount_wan", "signed"),
    Indicator("commenced", "新开工项目数", "weight_commenced", "commenced", "commenced", "commenced"),
    Indicator("production", "新投产项目数", "weight_production", "production", "production", "production"),
    Indicator("commencement_rate", "签约项目开工率", "weight_commencement_rate", "commencement_rate", None,
              "commencement_rate_base"),
    Indicator("stats_rate", "开工项目纳统率", "weight_stats_rate", "stats_rate", None, "stats_rate_base"),
    # The further targets (DOMAIN §7): weight 0 by default — shown with completion, scored once an admin weights them.
    Indicator("in_stats", "新纳统项目数", "weight_in_stats", "in_stats", "in_stats", "in_stats"),
    Indicator("signed_50yi", "签约50亿元以上项目数", "weight_signed_50yi", "signed_50yi", "signed_50yi", "signed_50yi"),
    Indicator("signed_10_50yi", "签约10亿至50亿元项目数", "weight_signed_10_50yi", "signed_10_50yi", "signed_10_50yi",
              "signed_10_50yi"),
    Indicator("signed_5_10yi", "签约5亿至10亿元项目数", "weight_signed_5_10yi", "signed_5_10yi", "signed_5_10yi",
              "signed_5_10yi"),
    Indicator("invested_year", "本年完成投资", "weight_invested_year", "invested_year_wan", "invested_year_wan",
              "invested_this_year"),
)
# What each item of a unit warning's subject ('U03:commenced') is called: the indicators, and the targets that
# are not one (7亿元以上制造业项目数).
ITEM_LABELS = {**{t.id: t.label for t in TARGETS}, **{i.id: i.label for i in INDICATORS}}
BONUS_LABEL, DEDUCTION_LABEL = "加分", "扣分"
# The two deductions of DOMAIN §7, each a ledger item: the late months, and the forgotten (project, month) pairs.
DEDUCTIONS = {"late_reports": "扣分：迟报月度报表", "forgotten_updates": "扣分：按时报表中漏报项目",
              "late_tasks": "扣分：督办事项逾期"}


@dataclass
class Assessment:
    """Units with figures, points, score and ranks (best first), and the ledger of every point."""

    as_of: dt.date  # the period end E
    year: int
    time_progress: float
    units: pd.DataFrame
    ledger: pd.DataFrame | None  # None when assessed without it (assess with ledger=False)
    overall: dict
    known_by: dt.date | None = None  # the knowledge day K of a month's report; None: as of `as_of`
    reports: duty.UnitReports | None = None
    # targets_as_of by unit code (blank: not set; no row: no target at all)
    targets: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(TARGET_FIELDS)))

    @property
    def known(self) -> dt.date:
        return self.known_by or self.as_of

    def county_completion(self) -> dict[str, dict]:
        """`completion` for the county: its figures against the sum of the units' targets (county_targets)."""
        return completion(self.overall, county_targets(self.targets), self.time_progress)


def _blank(target: object) -> bool:
    """Whether a target read from targets_as_of is not set: None, NaN or pandas' NA (pd.isna costs microseconds
    a call, thousands of calls a report)."""
    return target is None or target is pd.NA or (isinstance(target, float) and math.isnan(target))


def _rate_target(indicator: Indicator, settings: Settings) -> float:
    fig = settings.figures
    return fig.commencement_target if indicator.id == "commencement_rate" else fig.stats_target


def _indicator_points(unit: Mapping, indicator: Indicator, target: float | None, progress: float,
                      settings: Settings) -> float | None:
    """Unscaled points of one indicator, or None when the unit has no target for it, or it weighs nothing (a
    further target an admin has not weighted: shown, not scored): left out of the score and the rescaling."""
    weight = getattr(settings.assessment, indicator.weight)
    if not weight:
        return None
    actual = unit[indicator.actual]
    if indicator.target is None:
        rate_target = _rate_target(indicator, settings)
        return 0.0 if actual is None else weight * min(actual / rate_target, 1.0)
    if _blank(target):
        return None
    if target * progress <= 0:  # nothing is due yet (January, or a target of 0): full points (DOMAIN §7)
        return float(weight)
    return weight * min(float(actual) / (target * progress), 1.0)


def _sorted_by_unit(units: np.ndarray, values: np.ndarray) -> dict[str, list[str]]:
    """unit → its values, sorted. Grouped with numpy: at province scale (10⁵ projects, 10⁵ overdue pairs) a
    Python loop per value or pandas groupby costs tens of milliseconds; the facts come in project-code order, so
    each unit's list is nearly sorted already and sorted() only checks it."""
    groups, keys = pd.factorize(units)
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(len(keys) + 1))
    values = values[order]
    return {unit: sorted(values[start:end].tolist()) for unit, start, end in zip(keys, bounds[:-1], bounds[1:])}


def _codes_by_unit(units: np.ndarray, codes: np.ndarray, flag: np.ndarray) -> dict[str, list[str]]:
    """unit → sorted codes of its projects where `flag` is set (units and codes: one per project)."""
    return _sorted_by_unit(units[flag], codes[flag])


def _overdue_pairs_by_unit(overdue: pd.DataFrame) -> dict[str, list[str]]:
    """unit → sorted 'code@YYYY-MM' of the overdue updates given."""
    which, months = pd.factorize(overdue["period"])
    month_labels = [f"{month:%Y-%m}" for month in months]  # few distinct months: format each once
    labels = [f"{code}@{month_labels[i]}" for code, i in zip(overdue["project_code"].tolist(), which.tolist())]
    return _sorted_by_unit(overdue["unit_code"].to_numpy(dtype=object), np.array(labels, dtype=object))


def _ranks(units: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's rank overall and in its group: by score, then 签约金额 (both highest first), then code. With numpy:
    a pandas sort per group costs milliseconds."""
    code_order = pd.factorize(units["code"], sort=True)[0]
    groups = pd.factorize(units["group"], sort=True)[0]
    keys = (code_order, -units["signed_amount_wan"].to_numpy(dtype=float), -units["score"].to_numpy(dtype=float))
    rank = np.empty(len(units), dtype=np.int64)
    rank[np.lexsort(keys)] = np.arange(1, len(units) + 1)
    in_groups = np.lexsort((*keys, groups))  # by group, then as the overall order
    starts = np.searchsorted(groups[in_groups], groups[in_groups])  # where each row's group begins
    group_rank = np.empty(len(units), dtype=np.int64)
    group_rank[in_groups] = np.arange(len(units)) - starts + 1
    return rank, group_rank


def assess(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: Settings | None = None,
           facts: pd.DataFrame | None = None, known_by: dt.date | None = None, ledger: bool = True) -> Assessment:
    """The assessment of every unit for the year of the period end `as_of` (E), as known at the end of `known_by`
    (K, default E), DOMAIN §4. `facts` may pass measures.project_facts for the same (E, K) (with or without
    details) when a caller already has them. With `ledger` False and no facts (the report of pipelines.report) the
    figures are counted in the database (measures.unit_tally) and the projects behind them are not listed: the
    result's `ledger` and `reports.overdue` are None."""
    settings = settings or current()
    rules = settings.assessment
    known = known_by or as_of
    year, progress = as_of.year, measures.time_progress(as_of, settings)
    targets = queries.frame(con, "targets_as_of", year=year, as_of=known).set_index("unit_code")
    vetoed = {row[0] for row in queries.rows(con, "veto_flags", year=year, known_by=known)}
    known_tasks = tasks.tasks_as_of(con, as_of)
    late_tasks = _late_tasks(known_tasks, as_of, year)
    proposed = {p["unit"] for p in tasks.veto_proposals(con, as_of, year, known_tasks, decided_by=known)}
    behind: _Behind | None = None
    if ledger or facts is not None:
        all_facts = measures.project_facts(con, as_of, settings, details=False, known_by=known) if facts is None else facts
        units = measures.unit_figures(con, as_of, settings=settings, facts=all_facts)
        # The facts already carry each project's duty of the year: no second pass over the snapshots.
        reports = duty.unit_reports(con, all_facts, all_facts.attrs["duty"])
        behind = _behind(all_facts, reports.overdue)
        per_unit = behind.counts()
    else:
        units, params = measures.unit_tally(con, as_of, settings, known)
        reports = duty.reports_of(units.rename(columns={"code": "unit_code"}).set_index("unit_code"), params)
        per_unit = dict(zip(units["code"].tolist(), records(units[list(_BEHIND_COUNTS)])))
        units = units.drop(columns=list(measures.TALLY_DUTY))
    nothing = dict.fromkeys(_BEHIND_COUNTS, 0)

    rows: list[dict] = []  # the ledger's, when the projects behind the points are listed
    scored: list[dict] = []
    # Plain dicts: 200 units × a dozen lookups each cost tens of milliseconds through iterrows and .loc.
    target_rows = dict(zip(targets.index.tolist(), records(targets)))
    for unit in records(units):
        code = unit["code"]
        unit_targets = target_rows.get(code)
        counts = per_unit.get(code, nothing)
        raw: dict[str, float] = {}
        for indicator in INDICATORS:
            target = None if unit_targets is None or indicator.target is None else unit_targets[indicator.target]
            points = _indicator_points(unit, indicator, target, progress, settings)
            if points is not None:
                raw[indicator.id] = points
        present_weight = sum(getattr(rules, i.weight) for i in INDICATORS if i.id in raw)
        scale = 100 / present_weight if present_weight else 0.0
        bonus_earned = (counts["bonus_major"] * rules.bonus_major_manufacturing
                        + counts["bonus_other"] * rules.bonus_other)
        bonus = min(bonus_earned, rules.bonus_cap)
        # DOMAIN §7: −1 per late report, −0.5 per forgotten update, deduction_per_late_task per late 督办事项,
        # together at most the cap (charged in that order).
        counted = reports.counts(code)
        late_months = [f"{month:%Y-%m}" for month in counted["late_months"]]
        forgotten = counts["forgotten_updates"]
        late_points = min(len(late_months) * rules.deduction_per_late_report, rules.deduction_cap)
        forgotten_points = min(forgotten * rules.deduction_per_forgotten_update, rules.deduction_cap - late_points)
        overdue_tasks = late_tasks.get(code, [])
        task_points = min(len(overdue_tasks) * rules.deduction_per_late_task,
                          rules.deduction_cap - late_points - forgotten_points)
        deduction = late_points + forgotten_points + task_points
        if behind is not None:
            rows += behind.ledger_rows(unit, unit_targets, raw, scale, bonus, settings)
            items = [("late_reports", len(late_months), late_points, late_months),
                     ("forgotten_updates", forgotten, forgotten_points, behind.forgotten.get(code, []))]
            if rules.deduction_per_late_task:  # in the ledger only when late tasks cost points (DOMAIN §7, §10)
                items.append(("late_tasks", len(overdue_tasks), task_points, [t.code for t in overdue_tasks]))
            rows += [{"unit_code": code, "item": item, "label": DEDUCTIONS[item], "quantity": quantity,
                      "target": None, "points": -points, "subjects": subjects}
                     for item, quantity, points, subjects in items]
        indicators_total = sum(raw.values()) * scale
        major_target = None if unit_targets is None else unit_targets["major_manufacturing"]
        # 一票评优: more such projects than the target; with no target "needs one", i.e. the target counts as 0.
        if _blank(major_target):
            major_target = 0
        qualifies = int(unit["major_manufacturing"]) > major_target
        scored.append({"code": code, "indicator_points": indicators_total, "bonus": bonus,
                       "deduction": deduction, "overdue_updates": int(counts["overdue_updates"]),
                       "forgotten_updates": int(forgotten), "late_months": late_months,
                       "late_tasks": len(overdue_tasks),
                       "veto_proposed": code in proposed,
                       **{key: counted[key] for key in REPORT_FIELDS},
                       "score": indicators_total + bonus - deduction,
                       "vetoed": code in vetoed, "qualifies": bool(qualifies),
                       "excellent": bool(qualifies and code not in vetoed)})
    columns = ["code", "indicator_points", "bonus", "deduction", "overdue_updates", "forgotten_updates",
               "late_months", "late_tasks", "veto_proposed", *REPORT_FIELDS, "score", "vetoed", "qualifies",
               "excellent"]
    # scored is in the units' order: put side by side rather than merged
    units = pd.concat([units.reset_index(drop=True), pd.DataFrame(scored, columns=columns).drop(columns="code")],
                      axis=1)
    units["rank"], units["group_rank"] = _ranks(units)
    units = units.take(np.argsort(units["rank"].to_numpy())).reset_index(drop=True)
    overall = measures.overall_figures(units, settings)
    overall["overdue_updates"] = int(units["overdue_updates"].sum()) if len(units) else 0
    overall["forgotten_updates"] = int(units["forgotten_updates"].sum()) if len(units) else 0
    overall["late_tasks"] = int(units["late_tasks"].sum()) if len(units) else 0
    overall.update(_summed_reports(units))
    return Assessment(as_of, year, progress, units, None if behind is None else pd.DataFrame(rows), overall,
                      known_by, reports, targets)


# What the scores count of the projects behind them, per unit (measures.unit_tally's columns of the same names).
_BEHIND_COUNTS = ("bonus_major", "bonus_other", "overdue_updates", "forgotten_updates")


@dataclass
class _Behind:
    """The projects behind a unit's points, by unit code, each list sorted: `subjects` per project_facts flag
    (of the assessed projects), the projects earning a bonus (`majors`: 7亿元以上制造业, `others`), `forgotten`
    updates ('code@YYYY-MM'), and the count of its overdue updates (`overdue`)."""

    subjects: dict[str, dict[str, list[str]]]
    majors: dict[str, list[str]]
    others: dict[str, list[str]]
    forgotten: dict[str, list[str]]
    overdue: dict[str, int]

    def counts(self) -> dict[str, dict[str, int]]:
        """unit → the _BEHIND_COUNTS."""
        units = set(self.majors) | set(self.others) | set(self.forgotten) | set(self.overdue)
        return {code: {"bonus_major": len(self.majors.get(code, [])), "bonus_other": len(self.others.get(code, [])),
                       "overdue_updates": int(self.overdue.get(code, 0)),
                       "forgotten_updates": len(self.forgotten.get(code, []))} for code in units}

    def ledger_rows(self, unit: Mapping, unit_targets: Mapping | None, raw: dict[str, float], scale: float,
                    bonus: float, settings: Settings) -> list[dict]:
        """The ledger rows of one unit's indicators and bonus (its deductions are the caller's)."""
        code, rows = unit["code"], []
        for indicator in INDICATORS:
            target = None if unit_targets is None or indicator.target is None else unit_targets[indicator.target]
            if not getattr(settings.assessment, indicator.weight) and _blank(target):
                continue  # a further target neither weighted nor set for the unit: not in its ledger
            rows.append({
                "unit_code": code, "item": indicator.id, "label": indicator.label,
                "quantity": unit[indicator.actual],
                "target": _rate_target(indicator, settings) if indicator.target is None else target,
                "points": raw[indicator.id] * scale if indicator.id in raw else None,
                "subjects": self.subjects[indicator.subjects].get(code, []),
            })
        major, other = self.majors.get(code, []), self.others.get(code, [])
        rows.append({"unit_code": code, "item": "bonus", "label": BONUS_LABEL, "quantity": len(major) + len(other),
                     "target": None, "points": bonus, "subjects": sorted(major + other)})
        return rows


def _behind(facts: pd.DataFrame, overdue: pd.DataFrame) -> _Behind:
    """_Behind of the project_facts `facts` and their overdue pairs (duty.UnitReports.overdue)."""
    # Strings converted once (each conversion of 10⁵ of them costs milliseconds), flags as numpy arrays.
    unit_codes = facts["unit_code"].to_numpy(dtype=object)
    project_codes = facts["project_code"].to_numpy(dtype=object)

    def flagged(flag: str) -> np.ndarray:
        return facts[flag].to_numpy(dtype=bool)

    assessed = flagged("assessed")
    return _Behind(
        subjects={flag: _codes_by_unit(unit_codes, project_codes, assessed & flagged(flag))
                  for flag in {i.subjects for i in INDICATORS}},
        majors=_codes_by_unit(unit_codes, project_codes, flagged("major_manufacturing")),
        others=_codes_by_unit(unit_codes, project_codes, flagged("bonus_other")),
        forgotten=_overdue_pairs_by_unit(overdue[overdue["forgotten"]]),
        overdue=overdue["unit_code"].value_counts().to_dict())  # only counted: no labels for 10⁵ pairs


def records(frame: pd.DataFrame) -> list[dict]:
    """The rows of `frame` as dicts of Python values, as DataFrame.to_dict("records") gives them (NaN stays NaN)
    in a fraction of its time: a column at a time instead of a value at a time."""
    columns = {name: frame[name].tolist() for name in frame.columns}
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def _late_tasks(known: list[tasks.Task], as_of: dt.date, year: int) -> dict[str, list[tasks.Task]]:
    """unit → its 督办事项 (of `known`, as of the end of `as_of`) late then whose deadline falls in `year` (DOMAIN
    §10), by code."""
    found: dict[str, list[tasks.Task]] = {}
    for task in known:
        if task.deadline.year == year and task.late(as_of):
            found.setdefault(task.unit, []).append(task)
    return found


# The report counts of DOMAIN §6 each unit and the county carry (pipelines.figures.duty.UnitReports.counts).
REPORT_FIELDS = ("reports_expected", "reports_received", "reports_on_time", "reporting_rate", "on_time_rate",
                 "late_reports")


def _summed_reports(units: pd.DataFrame) -> dict:
    """The registered units' report counts summed, the rates from the sums (null when nothing is expected)."""
    sums = {key: int(units[key].sum()) if len(units) else 0
            for key in ("reports_expected", "reports_received", "reports_on_time", "late_reports")}
    return {**sums, **duty.report_rates(sums)}


def previous_month(con: duckdb.DuckDBPyConnection, assessment: Assessment,
                   settings: Settings | None = None) -> Assessment | None:
    """The assessment a rank change compares with: at the end of the previous month — known by the same day for a
    month's report (DOMAIN §4), as of that day for an as-of one. None when it is in another assessment year."""
    previous_day = previous_month_end(assessment.as_of)
    if previous_day.year != assessment.year:
        return None
    return assess(con, previous_day, settings, known_by=assessment.known_by)


def rank_changes(con: duckdb.DuckDBPyConnection, assessment: Assessment,
                 settings: Settings | None = None) -> pd.DataFrame:
    """Per unit: rank and group rank at the end of the previous month (previous_month) and how many places it
    moved up (positive) or down (negative). None where the previous month is in another assessment year."""
    return rank_moves(assessment, previous_month(con, assessment, settings))


def rank_moves(assessment: Assessment, previous: Assessment | None) -> pd.DataFrame:
    """Per unit: rank and group rank in the `previous` assessment and how many places it moved up (positive) or
    down (negative) since. None everywhere when there is nothing to compare with."""
    if previous is None:
        return pd.DataFrame({"code": assessment.units["code"], "previous_rank": None, "rank_change": None,
                             "previous_group_rank": None, "group_rank_change": None})
    before = previous.units[["code", "rank", "group_rank"]]
    before = before.rename(columns={"rank": "previous_rank", "group_rank": "previous_group_rank"})
    now = assessment.units[["code", "rank", "group_rank"]].merge(before, on="code")
    now["rank_change"] = now["previous_rank"] - now["rank"]
    now["group_rank_change"] = now["previous_group_rank"] - now["group_rank"]
    return now[["code", "previous_rank", "rank_change", "previous_group_rank", "group_rank_change"]]


def completion(actuals: Mapping, targets: Mapping | None, progress: float) -> dict[str, dict]:
    """Every target of DOMAIN §9 for one unit (or the county) with its figures: {"targets", "completion",
    "schedule_gap_points"}, each keyed by target id (pipelines.vocabulary.TARGETS): the annual target (money in
    万元, as every money figure), actual / target, and (actual / target − 序时进度) × 100; null where no target is
    set (blank; a target of 0 is set, its completion and gap null). `actuals` holds unit_figures' columns;
    `targets` the targets_as_of row (None: none)."""
    found: dict[str, dict] = {"targets": {}, "completion": {}, "schedule_gap_points": {}}
    for target in TARGETS:
        value = None if targets is None else targets.get(target.column)
        value = None if _blank(value) else float(value)
        done = float(actuals[target.actual]) / value if value else None
        found["targets"][target.id] = value
        found["completion"][target.id] = done
        found["schedule_gap_points"][target.id] = None if done is None else (done - progress) * 100
    return found


def county_targets(targets: pd.DataFrame) -> dict[str, float | None]:
    """The county's targets: the sum of the units' targets of each kind (None where no unit has one)."""
    sums = {}
    for target in TARGETS:
        values = targets[target.column].to_numpy(dtype=float)
        values = values[~np.isnan(values)]  # blank is not set; 0 is
        sums[target.column] = float(values.sum()) if len(values) else None
    return sums
