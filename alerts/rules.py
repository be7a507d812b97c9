"""The warning rules of DOMAIN §8 as data, and for each the conditions that hold as of a day.

A condition is one row: rule, subject (project code, or 'unit:item' for unit rules), unit_code, grade
(yellow/red), since (the day it first held at yellow, when known) and detail (Chinese). Empty or missing data
never makes a condition; terminated projects raise no project warnings. Thresholds come from [warnings] of
settings.toml."""
from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from collections.abc import Callable
from typing import NamedTuple

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.admin import tasks
from pipelines.figures import duty, measures
from pipelines.figures.assessment import completion
from pipelines.months import add_months_clamped, due_date, months_between
from pipelines.settings import Settings, current
from pipelines.store import queries
from pipelines.vocabulary import RED, TARGETS, YELLOW

CONDITION_COLUMNS = ["rule", "subject", "unit_code", "grade", "since", "detail"]


class Rule(NamedTuple):
    """One rule of DOMAIN §8: its id, name, whether it watches projects or units, the settings ("section.key")
    holding its 黄 and 红 thresholds (None where the grade has none or is fixed), and a description whose
    {yellow}, {red} and {name} fields are filled from the settings in force (describe)."""

    id: str
    name: str
    subject_kind: str  # project / unit / task
    description: str
    yellow: str | None = None
    red: str | None = None

    def thresholds(self, settings: Settings) -> dict[str, float | None]:
        """The rule's 黄 and 红 thresholds in force, by grade (None where it has none)."""
        return {grade: None if key is None else getattr(getattr(settings, key.split(".")[0]), key.split(".")[1])
                for grade, key in ((YELLOW, self.yellow), (RED, self.red))}

    def describe(self, settings: Settings) -> str:
        """The rule in words with the thresholds in force (magnitudes: a gap of −10 points reads '10')."""
        values = {grade: f"{abs(value):g}" for grade, value in self.thresholds(settings).items() if value is not None}
        return self.description.format(**values, stats_min=f"{settings.figures.stats_min_investment_wan:g}",
                                       min_base=f"{settings.warnings.rate_min_denominator:g}")


RULES: tuple[Rule, ...] = (
    Rule("stale_update", "逾期未更新", "project",
         "单元已报送月度报表、但表中漏报该项目：落后{yellow}个月为黄，{red}个月及以上为红",
         "warnings.stale_update_yellow_months", "warnings.stale_update_red_months"),
    Rule("report_missing", "本期未报送", "unit",
         "单元最近一个已过截止日的月份的项目进展表未报送为黄，最近两个及以上月份均未报送为红（其项目不再逐个预警）"),
    Rule("task_due", "督办临期/逾期", "task", "督办事项办理期限前{yellow}天内未反馈为黄，逾期仍未办理为红",
         "tasks.remind_days"),
    Rule("signed_not_commenced", "签约未开工", "project", "签约满{yellow}个月未开工为黄，满{red}个月为红",
         "warnings.signed_not_commenced_yellow_months", "warnings.signed_not_commenced_red_months"),
    Rule("planned_start_missed", "应开工未开工", "project", "计划开工日期已过仍未开工为黄，超过{red}个月为红",
         None, "warnings.planned_start_missed_red_months"),
    Rule("commenced_not_in_stats", "开工未纳统", "project",
         "计划总投资{stats_min}万元以上项目开工满{yellow}个月未纳统为黄，满{red}个月为红",
         "warnings.commenced_not_in_stats_yellow_months", "warnings.commenced_not_in_stats_red_months"),
    Rule("lead_not_evaluated", "线索未研判", "project", "线索登记满{yellow}天未研判为黄，满{red}天为红",
         "warnings.lead_not_evaluated_yellow_days", "warnings.lead_not_evaluated_red_days"),
    Rule("investment_stalled", "投资停滞", "project", "在建项目累计完成投资连续{yellow}期未增长为黄，连续{red}期为红",
         "warnings.investment_stalled_yellow_reports", "warnings.investment_stalled_red_reports"),
    Rule("rate_below_target", "开工率/纳统率未达标", "unit",
         "单元两率低于目标为黄，低于目标{red}个百分点以上为红（基数不少于{min_base}）",
         None, "figures.rate_yellow_band_points"),
    Rule("behind_schedule", "落后序时进度", "unit", "目标完成率落后序时进度{yellow}个百分点为黄，{red}个百分点为红",
         "warnings.behind_schedule_yellow_points", "warnings.behind_schedule_red_points"),
    Rule("duplicate_project", "疑似重复项目", "project", "其他单元有同名、同投资方的项目"),
)
RULE_BY_ID = {rule.id: rule for rule in RULES}


def _frame(rows: pd.DataFrame, rule: str, grade: pd.Series, since: pd.Series, detail: pd.Series) -> pd.DataFrame:
    if not len(rows):
        return pd.DataFrame(columns=CONDITION_COLUMNS)
    return pd.DataFrame({
        "rule": rule, "subject": rows["project_code"].to_numpy(), "unit_code": rows["unit_code"].to_numpy(),
        "grade": grade.to_numpy(), "since": pd.to_datetime(since).dt.date.to_numpy(), "detail": detail.to_numpy(),
    })


def _reached(facts: pd.DataFrame, column: str, as_of: dt.date) -> pd.Series:
    return pd.to_datetime(facts[column]) <= pd.Timestamp(as_of)


def _fmt(days: pd.Series) -> pd.Series:
    return pd.to_datetime(days).dt.strftime("%Y-%m-%d")


def _by_age(facts: pd.DataFrame, rule: str, start: str, yellow: int, red: int, as_of: dt.date,
            what: str) -> pd.DataFrame:
    """Projects whose `start` date is at least `yellow` calendar months old (red from `red`)."""
    age = months_between(facts[start], as_of)
    hit = facts[age >= yellow]
    age = age[age >= yellow]
    grade = pd.Series(np.where(age >= red, RED, YELLOW), index=hit.index)
    detail = hit["project_name"] + f"：{what} " + _fmt(hit[start]) + "，已 " + age.astype(str) + " 个月"
    return _frame(hit, rule, grade, add_months_clamped(hit[start], yellow), detail)


def stale_update(con, as_of, facts, settings) -> pd.DataFrame:
    """Currently stale projects left out of a report (DOMAIN §8): their unit has sent a report for a month at or
    after the project's earliest unreported month. A unit whose whole report is missing raises report_missing
    instead, not one warning per project."""
    w = settings.warnings
    stale = duty.stale_projects(con, as_of, settings, facts=facts)  # the facts say it: no second pass
    stale = stale[stale["months_behind"] >= w.stale_update_yellow_months]
    latest = duty.latest_reports(con, as_of)
    reported = [latest.get(unit) is not None and latest[unit] >= pd.Timestamp(oldest).date()
                for unit, oldest in zip(stale["unit_code"], stale["oldest_missing"])]
    stale = stale[np.array(reported, dtype=bool)]
    rows = stale.merge(facts[["project_id", "project_code", "project_name"]], on="project_id")
    grade = pd.Series(np.where(rows["months_behind"] >= w.stale_update_red_months, RED, YELLOW))
    since = pd.Series([due_date(p.date(), settings.duty.due_day) + dt.timedelta(days=1)
                       for p in pd.to_datetime(rows["oldest_missing"])], dtype=object)
    detail = rows["project_name"] + "：已 " + rows["months_behind"].astype(str) + " 个月未更新（自 " + \
        pd.to_datetime(rows["oldest_missing"]).dt.strftime("%Y-%m") + " 起）"
    return _frame(rows, "stale_update", grade, since, detail)


def signed_not_commenced(con, as_of, facts, settings) -> pd.DataFrame:
    w = settings.warnings
    rows = facts[_reached(facts, "signed_date", as_of) & ~_reached(facts, "commenced_date", as_of)]
    return _by_age(rows, "signed_not_commenced", "signed_date", w.signed_not_commenced_yellow_months,
                   w.signed_not_commenced_red_months, as_of, "签约于")


def planned_start_missed(con, as_of, facts, settings) -> pd.DataFrame:
    w = settings.warnings
    planned = pd.to_datetime(facts["planned_start_date"])
    rows = facts[(planned < pd.Timestamp(as_of)) & ~_reached(facts, "commenced_date", as_of)]
    months = months_between(rows["planned_start_date"], as_of)
    grade = pd.Series(np.where(months >= w.planned_start_missed_red_months, RED, YELLOW), index=rows.index)
    detail = rows["project_name"] + "：计划 " + _fmt(rows["planned_start_date"]) + " 开工，至今未开工"
    return _frame(rows, "planned_start_missed", grade,
                  pd.to_datetime(rows["planned_start_date"]) + pd.Timedelta(days=1), detail)


def commenced_not_in_stats(con, as_of, facts, settings) -> pd.DataFrame:
    w = settings.warnings
    rows = facts[_reached(facts, "commenced_date", as_of) & ~_reached(facts, "in_stats_date", as_of)
                 & (facts["total_investment_wan"] >= settings.figures.stats_min_investment_wan)]
    return _by_age(rows, "commenced_not_in_stats", "commenced_date", w.commenced_not_in_stats_yellow_months,
                   w.commenced_not_in_stats_red_months, as_of, "开工于")


def lead_not_evaluated(con, as_of, facts, settings) -> pd.DataFrame:
    w = settings.warnings
    later = ("evaluated_date", "approved_date", "signed_date", "commenced_date")  # any of them means 研判 is done
    moved_on = np.logical_or.reduce([_reached(facts, c, as_of) for c in later])
    rows = facts[_reached(facts, "lead_date", as_of) & ~moved_on]
    days = (pd.Timestamp(as_of) - pd.to_datetime(rows["lead_date"])).dt.days
    rows, days = rows[days >= w.lead_not_evaluated_yellow_days], days[days >= w.lead_not_evaluated_yellow_days]
    grade = pd.Series(np.where(days >= w.lead_not_evaluated_red_days, RED, YELLOW), index=rows.index)
    detail = rows["project_name"] + "：线索登记于 " + _fmt(rows["lead_date"]) + "，已 " + days.astype(str) + " 天未研判"
    since = pd.to_datetime(rows["lead_date"]) + pd.Timedelta(days=w.lead_not_evaluated_yellow_days)
    return _frame(rows, "lead_not_evaluated", grade, since, detail)


def investment_stalled(con, as_of, facts, settings) -> pd.DataFrame:
    w = settings.warnings
    short, long = w.investment_stalled_yellow_reports + 1, w.investment_stalled_red_reports + 1
    building = facts[_reached(facts, "commenced_date", as_of) & ~_reached(facts, "completed_date", as_of)]
    watched = pa.table({"project_id": pa.array(building["project_id"].astype("int64"), pa.int64())})
    con.register("watched_projects", watched)
    try:
        recent = queries.frame(con, "recent_investment", as_of=as_of, short=short, long=long)
    finally:
        con.unregister("watched_projects")
    rows = building.merge(recent[recent["flat_short"]], on="project_id")
    grade = pd.Series(np.where(rows["flat_long"], RED, YELLOW))
    start = pd.to_datetime(np.where(rows["flat_long"], rows["long_start"], rows["short_start"]))
    # Report periods are first days of months: month arithmetic on periods, not a DateOffset per row (0.3 s).
    since = (pd.Series(start).dt.to_period("M") + (short - 1)).dt.to_timestamp()
    reports = pd.Series(np.where(rows["flat_long"], long - 1, short - 1)).astype(str)
    detail = rows["project_name"] + "：累计完成投资连续 " + reports + " 期未增长"
    return _frame(rows, "investment_stalled", grade, since, detail)


@functools.cache
def _noise() -> dict[int, None]:
    """What a name's key leaves out (DOMAIN §8: "no spaces or punctuation"): every whitespace, separator (Unicode Z*)
    and punctuation (P*) character of the Basic Multilingual Plane, as a str.translate table. Symbols stay: "5G+智慧工厂"
    is not "5G智慧工厂"."""
    return {c: None for c in range(0x10000)
            if unicodedata.category(chr(c))[0] in "PZ" or chr(c).isspace()}


@functools.lru_cache(maxsize=500_000)
def _text_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_noise())


def _keys(values: pd.Series) -> pd.Series:
    """Each value NFKC, without whitespace or punctuation: what makes two names 'the same' for duplicate
    detection ('' for a blank). Remembered per text, so an evaluation every few minutes over the same 100,000
    names costs a dictionary lookup each."""
    return pd.Series([_text_key(v) if isinstance(v, str) else "" for v in values.tolist()], index=values.index,
                     dtype=object)


def duplicate_project(con, as_of, facts, settings) -> pd.DataFrame:
    names = _keys(facts["project_name"])
    # Only a name that occurs more than once can be a duplicate: the rest (nearly all) leave at once.
    shared = names.duplicated(keep=False) & (names != "")
    facts, names = facts[shared], names[shared]
    unit_names = dict(con.execute("SELECT code, name FROM units").fetchall())
    flagged: dict[int, set[str]] = {}
    for investor in (facts["investor_uscc"].fillna(""), _keys(facts["investor"])):
        keyed = pd.DataFrame({"i": facts.index, "name": names, "investor": investor, "unit": facts["unit_code"],
                              "code": facts["project_code"]})
        keyed = keyed[(keyed["name"] != "") & (keyed["investor"] != "")]
        # Only groups spanning several units matter; finding them vectorised keeps the loop below small.
        spread = keyed.groupby(["name", "investor"])["unit"].transform("nunique")
        for _, group in keyed[spread > 1].groupby(["name", "investor"]):
            for i, unit in zip(group["i"], group["unit"]):
                others = group[group["unit"] != unit]
                flagged.setdefault(i, set()).update(f"{unit_names.get(u, u)}的 {c}" for c, u in zip(others["code"],
                                                                                                 others["unit"]))
    rows = facts.loc[sorted(flagged)]
    detail = pd.Series([f"{n}：与 {'、'.join(sorted(flagged[i]))} 同名且同投资方" for i, n in
                        zip(rows.index, rows["project_name"])], index=rows.index, dtype=object)
    return _frame(rows, "duplicate_project", pd.Series(YELLOW, index=rows.index),
                  pd.Series(pd.Timestamp(as_of), index=rows.index), detail)


def _unit_frame(records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=CONDITION_COLUMNS)


def rate_below_target(con, as_of, units, settings) -> pd.DataFrame:
    labels = {"commencement_rate": "签约项目开工率", "stats_rate": "开工项目纳统率"}
    targets = {"commencement_rate": settings.figures.commencement_target,
               "stats_rate": settings.figures.stats_target}
    records = []
    for _, unit in units.iterrows():
        for rate, label in labels.items():
            status = unit[f"{rate}_status"]
            if unit[f"{rate}_base"] < settings.warnings.rate_min_denominator or status not in ("黄", "红"):
                continue
            records.append({"rule": "rate_below_target", "subject": f"{unit['code']}:{rate}",
                            "unit_code": unit["code"], "grade": RED if status == "红" else YELLOW, "since": None,
                            "detail": f"{unit['name']}{label} {unit[rate]:.1%}（{unit[f'{rate}_hits']}/"
                                      f"{unit[f'{rate}_base']}），目标 {targets[rate]:.0%}"})
    return _unit_frame(records)


def report_missing(con, as_of, units, settings) -> pd.DataFrame:
    """Units whose report for the latest month already due has not arrived (DOMAIN §8): 黄 for that month, 红 when
    the month before it is missing too; the detail names the months and the due day."""
    names = dict(zip(units["code"], units["name"]))
    records = []
    for row in duty.missing_reports(con, as_of, settings).to_dict("records"):
        latest, oldest, due = row["latest"], row["oldest"], row["due_date"]
        months = (f"{latest.year}年{latest.month}月" if row["months"] == 1 else
                  f"{oldest.year}年{oldest.month}月至{latest.year}年{latest.month}月（{row['months']}个月）")
        records.append({"rule": "report_missing", "subject": row["unit_code"], "unit_code": row["unit_code"],
                        "grade": RED if row["months"] >= 2 else YELLOW,
                        "since": due_date(oldest, settings.duty.due_day) + dt.timedelta(days=1),
                        "detail": f"{names.get(row['unit_code'], row['unit_code'])}：{months}项目进展表未报送"
                                  f"（{latest.month}月报表截止{due.month}月{due.day}日）"})
    return _unit_frame(records)


def task_due(con, as_of, open_tasks, settings) -> pd.DataFrame:
    """督办事项 (DOMAIN §8, §10): 黄 when open and due within [tasks] remind_days, 红 when open and late."""
    remind_days = settings.tasks.remind_days
    names = dict(con.execute("SELECT code, name FROM units").fetchall())
    records = []
    for task in open_tasks:
        if task.state != "open":
            continue
        unit = names.get(task.unit, task.unit)
        if task.late(as_of):
            grade, since = RED, task.deadline + dt.timedelta(days=1)
        elif task.due_soon(as_of, remind_days):
            grade, since = YELLOW, task.deadline - dt.timedelta(days=remind_days)
        else:
            continue
        when = tasks.time_left(task.deadline, as_of)
        records.append({"rule": "task_due", "subject": task.code, "unit_code": task.unit, "grade": grade,
                        "since": max(since, task.issued_at.date()),
                        "detail": f"{unit}督办事项“{task.title}”：办理期限{task.deadline.month}月{task.deadline.day}日，{when}"})
    return _unit_frame(records)


def behind_schedule(con, as_of, units, settings) -> pd.DataFrame:
    """落后序时进度 (DOMAIN §8) for every target a unit has that counts by 序时进度 (DOMAIN §7: the counts, 签约金额, the
    size bands, 新纳统, 本年完成投资; not 7亿元以上制造业, the 一票评优 target to exceed over the year): completion less
    序时进度 in points at or below the thresholds. The subject is 'unit:item', the item named as the assessment names
    its indicators."""
    w = settings.warnings
    # Plain dicts: 200 units × 10 targets cost ~0.1 s through iterrows and .loc.
    by_code = units.set_index("code").to_dict("index")
    targets = queries.frame(con, "targets_as_of", year=as_of.year, as_of=as_of).to_dict("records")
    progress = measures.time_progress(as_of, settings)
    records = []
    for row in targets:
        unit = by_code.get(row["unit_code"])
        if unit is None:
            continue
        found = completion(unit, row, progress)
        for target in _PACED:
            done, gap = found["completion"][target.id], found["schedule_gap_points"][target.id]
            if gap is None or round(gap, 9) > w.behind_schedule_yellow_points:
                continue
            gap = round(gap, 9)
            records.append({"rule": "behind_schedule", "subject": f"{row['unit_code']}:{_ITEM.get(target.id, target.id)}",
                            "unit_code": row["unit_code"],
                            "grade": RED if gap <= w.behind_schedule_red_points else YELLOW, "since": None,
                            "detail": f"{unit['name']}{target.label}完成 {done:.1%}，"
                                      f"落后序时进度 {-gap:.1f} 个百分点"})
    return _unit_frame(records)


# The item of a behind_schedule subject: the assessment's indicator id where it differs from the target's.
_ITEM = {"signed": "signed_major"}
# The targets behind_schedule watches: all but the 一票评优 one (DOMAIN §8 and §7's further targets).
_PACED = tuple(t for t in TARGETS if t.id != "major_manufacturing")


CONDITIONS: dict[str, Callable[..., pd.DataFrame]] = {
    "stale_update": stale_update,
    "report_missing": report_missing,
    "task_due": task_due,
    "signed_not_commenced": signed_not_commenced,
    "planned_start_missed": planned_start_missed,
    "commenced_not_in_stats": commenced_not_in_stats,
    "lead_not_evaluated": lead_not_evaluated,
    "investment_stalled": investment_stalled,
    "rate_below_target": rate_below_target,
    "behind_schedule": behind_schedule,
    "duplicate_project": duplicate_project,
}


def conditions(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: Settings | None = None) -> pd.DataFrame:
    """Every rule's conditions holding at the end of `as_of`, one row per (rule, subject).

    Project rules receive the live (not terminated) projects' facts; unit rules the unit figures, computed
    once for both."""
    settings = settings or current()
    all_facts = measures.project_facts(con, as_of, settings)
    inputs = {"project": all_facts[all_facts["status"] != "terminated"],
              "unit": measures.unit_figures(con, as_of, settings=settings, facts=all_facts),
              "task": tasks.tasks_as_of(con, as_of)}
    frames = []
    for rule in RULES:
        frame = CONDITIONS[rule.id](con, as_of, inputs[rule.subject_kind], settings)
        if len(frame):
            frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=CONDITION_COLUMNS)
    result = pd.concat(frames, ignore_index=True)
    result["since"] = [s if isinstance(s, dt.date) and not pd.isna(s) else as_of for s in result["since"]]
    return result.reset_index(drop=True)
