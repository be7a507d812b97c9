"""Target-gap guidance for one unit: what it lacks against each rate target and each 序时 target, and which of
its projects could close the gap (DOMAIN §5; issue 3 'target-gap guidance')."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from pipelines.figures import measures
from pipelines.settings import Settings, current
from pipelines.store import queries
from pipelines.vocabulary import WAN_PER_YI


@dataclass
class Gap:
    item: str  # commencement_rate / stats_rate / signed_major / signed_amount / commenced / production
    label: str
    needed: float  # how many more projects (or 万元 for signed_amount); 0 when on track
    message: str  # what a unit head reads, e.g. 还需开工2个项目可达75%
    candidates: list[dict] = field(default_factory=list)  # projects that could close it: code, name, date


def _ceil(value: float) -> int:
    # Rounded first: 0.8 × 5 − 4 is 4.4e-16 in floating point, which is no gap at all.
    return max(0, math.ceil(round(value, 9)))


def _candidates(rows: pd.DataFrame, date_column: str) -> list[dict]:
    ordered = rows.sort_values(date_column)
    return [{"code": c, "name": n, "date": d.date() if pd.notna(d) else None, "amount_wan": a}
            for c, n, d, a in zip(ordered["project_code"], ordered["project_name"],
                                  pd.to_datetime(ordered[date_column]), ordered["total_investment_wan"])]


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


def target_gaps(con: duckdb.DuckDBPyConnection, as_of: dt.date, unit_code: str,
                settings: Settings | None = None, facts: pd.DataFrame | None = None) -> list[Gap]:
    """What `unit_code` lacks as of `as_of`: the two rates against their targets with the candidate projects
    (signed but not commenced; commenced but not 纳统 and big enough to be), and each annual target against
    序时进度. `facts` may pass measures.project_facts (with details) as of `as_of`."""
    settings = settings or current()
    fig = settings.figures
    facts = measures.project_facts(con, as_of, settings) if facts is None else facts
    facts = measures.select(facts, "assessed")
    mine = facts[facts["unit_code"] == unit_code]
    active = mine["status"] != "terminated"
    gaps = []
    signed = mine[mine["commencement_rate_base"]]
    not_commenced = signed[~signed["commencement_rate_hits"] & active.loc[signed.index]]
    gaps.append(_rate_gap("commencement_rate", "签约项目开工率", "开工", signed, signed["commencement_rate_hits"],
                          fig.commencement_target, not_commenced, "signed_date"))
    commenced = mine[mine["stats_rate_base"]]
    not_in_stats = commenced[~commenced["stats_rate_hits"] & active.loc[commenced.index]
                             & (commenced["total_investment_wan"] >= fig.stats_min_investment_wan)]
    gaps.append(_rate_gap("stats_rate", "开工项目纳统率", "纳统", commenced, commenced["stats_rate_hits"],
                          fig.stats_target, not_in_stats, "commenced_date"))

    progress = measures.time_progress(as_of, settings)
    targets = queries.frame(con, "targets_as_of", year=as_of.year, as_of=as_of).set_index("unit_code")
    row = targets.loc[unit_code] if unit_code in targets.index else None
    actual = {"signed_major": int(mine["signed"].sum()), "signed_amount_wan": float(mine["signed_amount_wan"].sum()),
              "commenced": int(mine["commenced"].sum()), "production": int(mine["production"].sum())}
    for item, label, unit in (("signed_major", "签约亿元以上项目数", "个"), ("signed_amount_wan", "签约金额", "亿元"),
                              ("commenced", "新开工项目数", "个"), ("production", "新投产项目数", "个")):
        target = None if row is None else row[item]
        if target is None or pd.isna(target) or target <= 0:
            gaps.append(Gap(item, label, 0, f"{label}未下达年度目标"))
            continue
        due = target * progress
        if unit == "亿元":
            lack = max(0.0, round(due - actual[item], 6))
            message = (f"{label}距序时进度还差{lack / WAN_PER_YI:.2f}亿元" if lack
                       else f"{label}已达序时进度（{actual[item] / WAN_PER_YI:.2f}/{target / WAN_PER_YI:.2f}亿元）")
        else:
            lack = _ceil(due - actual[item])
            message = (f"{label}距序时进度还差{lack}个" if lack
                       else f"{label}已达序时进度（{actual[item]}/{int(target)}个）")
        gaps.append(Gap(item, label, lack, message))
    return gaps
