"""Target-gap guidance for one unit: what it lacks against each rate target and each annual target by 序时进度, with
the completion of every target set and the gap to 序时进度, and which of its projects could close the gap (DOMAIN
§5, §7; issue 3 'target-gap guidance', issue 17)."""
from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from pipelines.figures import assessment, measures
from pipelines.settings import Settings, current
from pipelines.store import queries
from pipelines.vocabulary import (
    MANUFACTURING,
    SIGNED_BANDS,
    TARGETS,
    WAN_PER_YI,
    Target,
)


@dataclass
class Gap:
    item: str  # commencement_rate / stats_rate, or a target id (pipelines.vocabulary.TARGETS)
    label: str
    needed: float  # how many more projects (or 万元 for the money targets); 0 when on track
    message: str  # what a unit head reads, e.g. 还需开工2个项目可达75%
    candidates: list[dict] = field(default_factory=list)  # projects that could close it: code, name, date, amount_wan
    # A target's figures (None for the rates, and where no target is set): the year's actual (个, or 万元 for the
    # money targets), the annual target, actual ÷ target, and (actual ÷ target − 序时进度) × 100.
    actual: float | None = None
    target: float | None = None
    completion: float | None = None
    gap_points: float | None = None


# The classic targets, scored by default: one without a target says so; the further ones are listed only when set.
_ALWAYS_LISTED = ("signed", "signed_amount", "commenced", "production")
# The stages of a project not yet signed that can still be (在谈: 研判通过; 已审批), nearest to signing first.
SIGNING_STAGES = {"approved": "已审批", "evaluated": "在谈"}


def _ceil(value: float) -> int:
    # Rounded first: 0.8 × 5 − 4 is 4.4e-16 in floating point, which is no gap at all.
    return max(0, math.ceil(round(value, 9)))


def _candidates(rows: pd.DataFrame, date_column: str) -> list[dict]:
    ordered = rows.sort_values(date_column)
    return [{"code": c, "name": n, "date": d.date() if pd.notna(d) else None, "amount_wan": a}
            for c, n, d, a in zip(ordered["project_code"], ordered["project_name"],
                                  pd.to_datetime(ordered[date_column]), ordered["total_investment_wan"])]


def _staged(rows: pd.DataFrame, stages: pd.Series, dates: pd.Series, order: list[str]) -> list[dict]:
    """`rows` with their stage label (`stages`) and date, by stage in `order`, then date (longest ago first), then
    code: code, name, stage, date, amount_wan."""
    ordered = rows.assign(_stage=stages, _order=stages.map({stage: i for i, stage in enumerate(order)}),
                          _date=pd.to_datetime(dates)).sort_values(["_order", "_date", "project_code"])
    return [{"code": c, "name": n, "stage": s, "date": d.date() if pd.notna(d) else None, "amount_wan": a}
            for c, n, s, d, a in zip(ordered["project_code"], ordered["project_name"], ordered["_stage"],
                                     ordered["_date"], ordered["total_investment_wan"])]


def _signing_candidates(rows: pd.DataFrame) -> list[dict]:
    """Projects not yet signed, 已审批 first then 在谈, each by the day it reached its stage (longest waiting first)."""
    reached = rows["approved_date"].where(rows["stage"] == "approved", rows["evaluated_date"])
    return _staged(rows, rows["stage"].map(SIGNING_STAGES), reached, list(SIGNING_STAGES.values()))


def _producing_candidates(rows: pd.DataFrame) -> list[dict]:
    """Projects commenced and not yet in production: 已竣工 first, then 在建, each longest since 开工 first, with
    their stage and 开工日期."""
    stages = rows["completed_date"].notna().map({True: "已竣工", False: "在建"})
    return _staged(rows, stages, rows["commenced_date"], ["已竣工", "在建"])


def _rate_gap(item: str, label: str, verb: str, base: pd.DataFrame, hits: pd.Series, target: float,
              open_rows: pd.DataFrame, date_column: str) -> Gap:
    needed = _ceil(target * len(base) - int(hits.sum()))
    if not len(base):
        return Gap(item, label, 0, f"{label}暂无统计基数")
    if needed == 0:
        return Gap(item, label, 0, f"{label}已达到{target:.0%}目标")
    message = f"还需{verb}{needed}个项目可达{target:.0%}"
    if len(open_rows) < needed:
        message += f"（可{verb}的项目只有{len(open_rows)}个）"
    return Gap(item, label, needed, message, _candidates(open_rows, date_column))


def _not_signed(mine: pd.DataFrame, settings: Settings) -> dict[str, pd.DataFrame]:
    """Per 签约 target: the unit's projects (of the assessed population) not yet signed, 在谈 or 已审批 and not
    terminated, of the size the target counts."""
    open_ = mine[mine["stage"].isin(list(SIGNING_STAGES)) & (mine["status"] != "terminated")]
    total = open_["total_investment_wan"]
    found = {"signed": open_, "signed_amount": open_,
             "major_manufacturing": open_[(open_["industry"] == MANUFACTURING)
                                          & (total >= settings.assessment.major_manufacturing_min_wan)]}
    for column, low, high in SIGNED_BANDS:
        found[column] = open_[(total >= low) & (total < high)]
    return found


@dataclass(frozen=True)
class _Open:
    """The projects that could close a target's gap: the rows, what the message calls them, and how they are
    listed (Gap.candidates)."""

    rows: pd.DataFrame
    kind: str
    listed: Callable[[pd.DataFrame], list[dict]]


def _target_gap(target: Target, figures: dict, progress: float, opening: _Open | None) -> Gap:
    """One annual target against 序时进度: how much is lacking, in words, with the projects that could close it."""
    value, actual = figures["targets"][target.id], figures["actual"]
    completion, gap = figures["completion"][target.id], figures["schedule_gap_points"][target.id]
    money = target.unit == "亿元"
    if value is None:
        return Gap(target.id, target.label, 0, f"{target.label}未下达年度目标", actual=actual)
    due = value * progress
    if money:
        lack = max(0.0, round(due - actual, 6))
        message = (f"{target.label}距序时进度还差{lack / WAN_PER_YI:.2f}亿元" if lack
                   else f"{target.label}已达序时进度（{actual / WAN_PER_YI:.2f}/{value / WAN_PER_YI:.2f}亿元）")
    else:
        lack = _ceil(due - actual)
        message = (f"{target.label}距序时进度还差{lack}个" if lack
                   else f"{target.label}已达序时进度（{actual:g}/{value:g}个）")
    found: list[dict] = []
    if lack and opening is not None:
        found, kind, amount = opening.listed(opening.rows), opening.kind, float(opening.rows["total_investment_wan"].sum())
        if not found:
            message += f"（没有{kind}）"
        elif money and amount < lack:
            message += f"（{kind}计划总投资合计只有{amount / WAN_PER_YI:.2f}亿元）"
        elif not money and len(found) < lack:
            message += f"（{kind}只有{len(found)}个）"
    return Gap(target.id, target.label, lack, message, found, actual, value, completion, gap)


def target_gaps(con: duckdb.DuckDBPyConnection, as_of: dt.date, unit_code: str,
                settings: Settings | None = None, facts: pd.DataFrame | None = None,
                known_by: dt.date | None = None) -> list[Gap]:
    """What `unit_code` lacks as of `as_of`: the two rates against their targets with the candidate projects
    (signed but not commenced; commenced but not 纳统 and big enough to be), then every annual target
    (pipelines.vocabulary.TARGETS; the four classic ones also when none is set) against 序时进度 with its
    completion and gap, the 签约 targets with the projects 在谈 or 已审批 of their size, 新开工 with the projects
    signed but not commenced (by 计划开工日期), 新纳统 with the projects commenced but not yet 纳统, 新投产 with the
    projects commenced but not in production (已竣工 first). For a month's report, `known_by` is its knowledge day
    (DOMAIN §4: the targets and the facts known by its end; default `as_of`). `facts` may pass measures.project_facts (with details) for the
    same days."""
    settings = settings or current()
    fig = settings.figures
    facts = measures.project_facts(con, as_of, settings, known_by=known_by) if facts is None else facts
    facts = measures.select(facts, "assessed")
    mine = facts[facts["unit_code"] == unit_code]
    active = mine["status"] != "terminated"
    gaps = []
    signed = mine[mine["commencement_rate_base"]]
    not_commenced = signed[~signed["commencement_rate_hits"] & active.loc[signed.index]]
    gaps.append(_rate_gap("commencement_rate", "签约项目开工率", "开工", signed, signed["commencement_rate_hits"],
                          fig.commencement_target, not_commenced, "signed_date"))
    commenced = mine[mine["stats_rate_base"]]
    statable = active & (mine["total_investment_wan"] >= fig.stats_min_investment_wan)
    not_in_stats = commenced[~commenced["stats_rate_hits"] & statable.loc[commenced.index]]
    gaps.append(_rate_gap("stats_rate", "开工项目纳统率", "纳统", commenced, commenced["stats_rate_hits"],
                          fig.stats_target, not_in_stats, "commenced_date"))

    progress = measures.time_progress(as_of, settings)
    targets = queries.frame(con, "targets_as_of", year=as_of.year, as_of=known_by or as_of).set_index("unit_code")
    row = targets.loc[unit_code].to_dict() if unit_code in targets.index else None
    actuals = {t.actual: mine[t.actual].sum() for t in TARGETS}
    figures = assessment.completion(actuals, row, progress)
    day = pd.Timestamp(as_of)
    # 新开工, 新纳统 and 新投产 can come from any project signed (commenced) by now, not only this year's, that has
    # not yet reached the milestone and is still active; 纳统 only from the size that can be.
    def reached(column: str) -> pd.Series:
        return pd.to_datetime(mine[column]) <= day

    started = reached("commenced_date")
    openings = {target: _Open(rows, "在谈、已审批的此类项目", _signing_candidates)
                for target, rows in _not_signed(mine, settings).items()}
    openings["commenced"] = _Open(mine[reached("signed_date") & ~started & active], "已签约未开工的项目",
                                  functools.partial(_candidates, date_column="planned_start_date"))
    openings["in_stats"] = _Open(mine[started & ~reached("in_stats_date") & statable], "已开工未纳统的项目",
                                 functools.partial(_candidates, date_column="commenced_date"))
    openings["production"] = _Open(mine[started & ~reached("production_date") & active], "已开工未投产的项目",
                                   _producing_candidates)
    for target in TARGETS:
        if figures["targets"][target.id] is None and target.id not in _ALWAYS_LISTED:
            continue
        actual = float(actuals[target.actual])
        found = {**figures, "actual": actual if target.unit == "亿元" else int(actual)}
        gaps.append(_target_gap(target, found, progress, openings.get(target.id)))
    return gaps
