"""考核排名 (issue 5): the assessment's ranking as of the end of a month, a quarter or a year, overall and per
group, with the places moved and the points gained or lost since the comparison day and why, 一票评优 and
一票否优, and one unit's score ledger opened down to the projects behind each item.

Scores are cumulative within the assessment year as of the day (DOMAIN §7), so a period is only an as-of day
and a day to compare with: a month or a quarter is compared with the end of the one before it in the same year
(January and the first quarter with nothing, as scores start again each year), a year with the end of the year
before. Every figure comes from pipelines.figures.assessment; this module picks the days, compares two assessments
and scopes the ledger: a unit user reads the ranking of every unit but only its own unit's ledger."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import duckdb
import pandas as pd

from pipelines.access import OutOfScope
from pipelines.figures import measures
from pipelines.figures.assessment import (
    BONUS_LABEL,
    DEDUCTIONS,
    INDICATORS,
    Assessment,
    Indicator,
    assess,
    completion,
    rank_moves,
)
from pipelines.months import (
    add_months,
    due_date,
    month_end,
    previous_month_end,
    previous_quarter_end,
    previous_year_end,
)
from pipelines.settings import Settings, current
from pipelines.store import queries
from pipelines.vocabulary import MILESTONE_BY_ID, TARGET_BY_ID, TARGETS, WAN_PER_YI

PERIOD_KINDS = {"month": "月度", "quarter": "季度", "year": "年度"}
_QUARTER_NAMES = "一二三四"


# ------------------------------------------------------------------------------------------------- periods


def year_end(year: int, today: dt.date) -> dt.date:
    """The as-of day of a year's view: its last day, or today while the year is still running."""
    return min(dt.date(year, 12, 31), today)


_PREVIOUS_END = {"month": previous_month_end, "quarter": previous_quarter_end, "year": previous_year_end}


def comparison_day(kind: str, as_of: dt.date, first_day: dt.date | None) -> dt.date | None:
    """The day a period's ranking is compared with: the end of the previous month, quarter or year; None when
    that is in another assessment year for a month or a quarter (scores start again each January) or before
    anything was known (`first_day`, the first receipt of data)."""
    previous = _PREVIOUS_END[kind](as_of)
    if kind != "year" and previous.year != as_of.year:
        return None
    if first_day is None or previous < first_day:
        return None
    return previous


@dataclass(frozen=True)
class Period:
    """A month, quarter or year as the ranking shows it (DOMAIN §4): the report for its last month — period end
    `as_of`, knowledge day `known_by` — and the period end it is compared with, known by the same day; the running
    year is live (as of today, `known_by` None)."""

    kind: str  # month / quarter / year
    label: str  # '2026年10月', '2026年第三季度', '2026年', '2026年（截至11月22日）'
    as_of: dt.date
    compare_as_of: dt.date | None
    known_by: dt.date | None = None

    @property
    def month(self) -> dt.date | None:
        """The report month (first day) of a month's report; None for a live view."""
        return None if self.known_by is None else self.as_of.replace(day=1)

    @property
    def comparison(self) -> str:
        """What the rank and score changes are measured against, or why there are none."""
        if self.compare_as_of is not None:
            return f"与{_day_phrase(self.compare_as_of, self.as_of)}相比"
        if self.kind != "year" and _PREVIOUS_END[self.kind](self.as_of).year != self.as_of.year:
            first = "1月为年度首月" if self.kind == "month" else "第一季度为年度首季"
            return f"{first}，得分从零累计，不与上年比较"
        return "此前没有数据，不作比较"


def _day_phrase(day: dt.date, as_of: dt.date) -> str:
    """'9月底' within the as-of year, '2025年底' before it."""
    return f"{day.month}月底" if day.year == as_of.year else f"{day.year}年底"


def _period(kind: str, label: str, as_of: dt.date, first_day: dt.date, known_by: dt.date | None) -> Period:
    return Period(kind, label, as_of, comparison_day(kind, as_of, first_day), known_by)


def periods(kind: str, today: dt.date, first_day: dt.date | None, known_by: dt.date | None = None) -> list[Period]:
    """The periods that can be shown on `today`, newest first: the months and quarters already ended, the years
    (the running one as of today), none before `first_day` (the first receipt of data) or without data. Each
    ended one is the report for its last month known by `known_by` (default `today`; an earlier day reproduces an
    earlier edition), so only periods ended by then are listed."""
    known = min(known_by or today, today)
    today = known
    if first_day is None:
        return []
    found: list[Period] = []
    if kind == "month":
        month = add_months(today.replace(day=1), -1)
        while month_end(month) >= first_day:
            found.append(_period(kind, f"{month.year}年{month.month}月", month_end(month), first_day, known))
            month = add_months(month, -1)
    elif kind == "quarter":
        end = previous_quarter_end(today)
        while end >= first_day:
            quarter = end.month // 3
            found.append(_period(kind, f"{end.year}年第{_QUARTER_NAMES[quarter - 1]}季度", end, first_day, known))
            end = previous_quarter_end(end)
    elif kind == "year":
        for year in range(today.year, first_day.year - 1, -1):
            as_of = year_end(year, today)
            running = as_of == today
            label = f"{year}年（截至{today.month}月{today.day}日）" if running else f"{year}年"
            found.append(_period(kind, label, as_of, first_day, None if running else known))
    else:
        raise ValueError(f"unknown period kind {kind!r}")
    return found


def first_data_day(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The first day anything about projects was known (the earliest receipt), None in an empty store."""
    return queries.rows(con, "first_data_day")[0][0]


def veto_version(con: duckdb.DuckDBPyConnection, year: int) -> tuple:
    """The year's 一票否优 flags as one comparable value, which changes whenever an admin sets or clears one
    (they change the ranking without new data)."""
    flags = queries.frame(con, "veto_flags", year=year, known_by=None)
    return tuple(sorted(zip(flags["unit_code"], flags["note"].fillna(""), flags["set_at"].astype(str))))


# ------------------------------------------------------------------------------------------------- ranking


# The ranking columns every unit user reads of every unit (DOMAIN §1: rank, score, rates); the rest only of its own.
PUBLIC_COLUMNS = frozenset({"code", "name", "group", "rank", "rank_change", "group_rank", "group_rank_change", "score",
                            "previous_score", "score_change", "commencement_rate_value", "stats_rate_value",
                            "production_rate", "excellent", "qualifies", "vetoed", "reports_expected",
                            "reports_received", "reports_on_time", "reporting_rate", "on_time_rate"})


@dataclass(frozen=True)
class Ranking:
    """Everything the ranking shows as of one day against a comparison day (None: no comparison).

    `table`: one row per unit by overall rank: code, name, group, rank, rank_change, group_rank,
    group_rank_change (places moved up since the comparison day, None without one), score, previous_score,
    score_change, the points of each indicator under its id (None: no target, left out), indicator_points, bonus,
    deduction, overdue_updates, excellent (一票评优), qualifies, vetoed (一票否优) and veto_note.
    commencement_rate_value and stats_rate_value (the two rates as fractions, None without a cohort).
    `gained` / `lost`: the units whose score rose / fell (at the two decimals shown), most first, with `reasons`:
    the (ledger item, points) that moved. `notes`: the 一票评优 and 一票否优 sentences of the 通报."""

    as_of: dt.date
    compare_as_of: dt.date | None
    year: int
    time_progress: float
    table: pd.DataFrame
    gained: pd.DataFrame
    lost: pd.DataFrame
    notes: list[str]
    known_by: dt.date | None = None  # a month's report: the knowledge day; None: as of `as_of`
    overall: dict | None = None  # the county's figures (报送率 and 及时率 among them)
    not_reported: list[str] | None = None  # a month's report: units owing the month whose report had not arrived
    due_date: dt.date | None = None  # a month's report: the day the month's reports were due
    progress: pd.DataFrame | None = None  # 完成进度 (target_progress): every unit × every target the county has

    @property
    def groups(self) -> list[str]:
        return sorted(self.table["group"].unique())

    def for_scope(self, scope: str | None) -> Ranking:
        """What a reader in `scope` may see (DOMAIN §1): everything for admins and leaders (None); for a unit user
        every unit's rank, score and rates and the 评优 marks, but the points, bonus, deductions and score reasons
        of its own unit only (the other units' are None, resp. no reasons)."""
        if scope is None:
            return self
        private = [column for column in self.table.columns if column not in PUBLIC_COLUMNS]
        table = self.table.astype({column: object for column in private})
        table.loc[table["code"] != scope, private] = None
        movers = [frame.assign(reasons=[r if code == scope else [] for code, r in zip(frame["code"], frame["reasons"])])
                  for frame in (self.gained, self.lost)]
        progress = None if self.progress is None else (
            self.progress[self.progress["code"] == scope].reset_index(drop=True))
        return replace(self, table=table, gained=movers[0], lost=movers[1], progress=progress)

    def in_group(self, group: str) -> pd.DataFrame:
        """The group's units by their rank in the group."""
        return self.table[self.table["group"] == group].sort_values("group_rank").reset_index(drop=True)

    def unit(self, code: str) -> dict:
        """One unit's row."""
        return self.table.set_index("code").loc[code].to_dict() | {"code": code}

    @property
    def highlights(self) -> dict[str, dict | None]:
        """The units a reader looks for first: `top` (first overall), `gained` and `lost` (the largest rise and
        fall of score since the comparison day; None when no score rose, resp. fell)."""
        first = {name: None if frame.empty else frame.iloc[0].to_dict()
                 for name, frame in (("gained", self.gained), ("lost", self.lost))}
        return {"top": self.table.iloc[0].to_dict(), **first}

    @property
    def names(self) -> dict[str, str]:
        """Unit code → name, by overall rank."""
        return dict(zip(self.table["code"], self.table["name"]))

    @property
    def excellent(self) -> list[str]:
        """The names of the units rated 优秀 (一票评优), by rank."""
        return self.table.loc[self.table["excellent"], "name"].tolist()


def _number(value: object) -> float | None:
    """A plain float, or None for a missing value (None or NaN)."""
    return None if value is None or pd.isna(value) else float(value)


def _points(value: object) -> float:
    """Ledger points as a number: an item left out (None) counts as none."""
    return _number(value) or 0.0


def score_changes(now: Assessment, before: Assessment) -> pd.DataFrame:
    """Per unit: its score in `before`, the change since, and the ledger items whose points moved, as
    (label, points) pairs in ledger order; an item moves when its change shows at two decimals."""
    earlier = {(r["unit_code"], r["item"]): r["points"] for r in before.ledger.to_dict("records")}
    reasons: dict[str, list[tuple[str, float]]] = {}
    for row in now.ledger.to_dict("records"):
        delta = _points(row["points"]) - _points(earlier.get((row["unit_code"], row["item"])))
        if round(delta, 2) != 0:
            reasons.setdefault(row["unit_code"], []).append((row["label"], delta))
    scores = dict(zip(before.units["code"], before.units["score"]))
    codes = now.units["code"].tolist()
    previous = [float(scores.get(code, 0.0)) for code in codes]
    return pd.DataFrame({"code": codes, "previous_score": previous,
                         "score_change": now.units["score"].to_numpy() - previous,
                         "reasons": [reasons.get(code, []) for code in codes]})


def _merit_notes(table: pd.DataFrame, settings: Settings) -> list[str]:
    """Who is 优秀 by 一票评优 and who was stopped by 一票否优, and why, in the words of the 通报."""
    notes = []
    excellent = table.loc[table["excellent"], "name"].tolist()
    if excellent:
        major = settings.assessment.major_manufacturing_min_wan / WAN_PER_YI
        notes.append(f"一票评优：{'、'.join(excellent)}本年签约{major:g}亿元以上制造业项目数超过年度目标"
                     f"（未下达该目标的须有1个），评为优秀，不论排名。")
    for unit in table[table["vetoed"]].to_dict("records"):
        note = unit["veto_note"]
        because = f"（{note}）" if isinstance(note, str) and note else ""
        outcome = "达到一票评优条件，但被一票否优" if unit["qualifies"] else "本年被一票否优"
        notes.append(f"一票否优：{unit['name']}{outcome}{because}，不评为优秀。")
    return notes


def ranking(con: duckdb.DuckDBPyConnection, as_of: dt.date, compare_as_of: dt.date | None,
            settings: Settings | None = None, now: Assessment | None = None,
            known_by: dt.date | None = None, before: Assessment | None = None) -> Ranking:
    """The ranking for the period end `as_of`, with rank and score changes since the period end `compare_as_of`,
    both as known by the end of `known_by` (a month's report, DOMAIN §4) or each as of its own day (None); `now`
    and `before` may pass the assessments for `as_of` and `compare_as_of` when the caller already has them."""
    settings = settings or current()
    now = assess(con, as_of, settings, known_by=known_by) if now is None else now
    if compare_as_of is None:
        before = None
    elif before is None:
        before = assess(con, compare_as_of, settings, known_by=known_by)
    table = now.units.merge(rank_moves(now, before), on="code", how="left")
    points = {(r["unit_code"], r["item"]): r["points"] for r in now.ledger.to_dict("records")}
    table = table.assign(commencement_rate_value=table["commencement_rate"], stats_rate_value=table["stats_rate"])
    for indicator in INDICATORS:
        table[indicator.id] = [points.get((code, indicator.id)) for code in table["code"]]
    notes = queries.frame(con, "veto_flags", year=now.year, known_by=now.known)
    table["veto_note"] = table["code"].map(dict(zip(notes["unit_code"], notes["note"])))
    if before is None:
        table = table.assign(previous_score=None, score_change=None, reasons=[[] for _ in range(len(table))])
    else:
        table = table.merge(score_changes(now, before), on="code", how="left")
    columns = ["code", "name", "group", "rank", "rank_change", "group_rank", "group_rank_change", "score",
               "previous_score", "score_change", *(i.id for i in INDICATORS), "indicator_points", "bonus",
               "deduction", "late_reports", "forgotten_updates", "overdue_updates", "excellent", "qualifies",
               "vetoed", "veto_note", "commencement_rate_value", "stats_rate_value", "production_rate",
               "reports_expected", "reports_received", "reports_on_time", "reporting_rate", "on_time_rate"]
    moved = table[["code", "name", "group", "previous_score", "score", "score_change", "reasons"]]
    shown_change = pd.to_numeric(moved["score_change"]).round(2)
    gained = moved[shown_change > 0].sort_values(["score_change", "code"], ascending=[False, True])
    lost = moved[shown_change < 0].sort_values(["score_change", "code"])
    not_reported, due = None, None
    if known_by is not None:
        month = as_of.replace(day=1)
        due = due_date(month, settings.duty.due_day)
        names = dict(zip(table["code"], table["name"]))
        not_reported = [names[code] for code in now.reports.not_received(month) if code in names]
    return Ranking(as_of, compare_as_of, now.year, now.time_progress, table[columns].reset_index(drop=True),
                   gained.reset_index(drop=True), lost.reset_index(drop=True), _merit_notes(table, settings),
                   known_by, now.overall, not_reported, due, target_progress(now))


def target_progress(result: Assessment) -> pd.DataFrame:
    """完成进度 (DOMAIN §9): every unit, by rank, against every target that some unit has (pipelines.vocabulary
    .TARGETS, in that order; a target no unit has is left out): code, name, group, target (its id), label, unit (个 /
    亿元), actual, the unit's annual target, completion (actual ÷ target) and gap to 序时进度 in percentage points,
    the last three None where the unit has no such target. Money in 万元. A unit user reads its own rows only
    (Ranking.for_scope)."""
    targets = result.targets
    rows = []
    for unit in result.units.to_dict("records"):
        row = targets.loc[unit["code"]].to_dict() if unit["code"] in targets.index else None
        done = completion(unit, row, result.time_progress)
        rows += [{"code": unit["code"], "name": unit["name"], "group": unit["group"], "target": t.id, "label": t.label,
                  "unit": t.unit, "actual": float(unit[t.actual]), "annual_target": done["targets"][t.id],
                  "completion": done["completion"][t.id], "gap_points": done["schedule_gap_points"][t.id]}
                 for t in TARGETS]
    columns = ["code", "name", "group", "target", "label", "unit", "actual", "annual_target", "completion",
               "gap_points"]
    found = pd.DataFrame(rows, columns=columns)
    has = found.groupby("target", sort=False)["annual_target"].apply(lambda v: v.notna().any())
    found = found[found["target"].map(has).fillna(False).astype(bool)]
    order = {t.id: i for i, t in enumerate(TARGETS)}
    found = found.assign(_order=found["target"].map(order)).sort_values("_order", kind="stable")
    return found.drop(columns="_order").reset_index(drop=True)


# -------------------------------------------------------------------------------------------------- ledger


@dataclass(frozen=True)
class LedgerItem:
    """One line of a unit's score ledger and what is behind it.

    `measure`: count (个), amount (万元), rate (a fraction) or times (次); `points` None: no target, left out;
    `rule`: how the points were reached, in words; `behind`: one row per project (project_code, project_name,
    industry, total_investment_wan, the milestone dates the item counts by, note), for the late reports per month
    (period, due_date, note), for the forgotten updates per (project, month) (project_code, project_name, period,
    due_date, note)."""

    item: str
    label: str
    measure: str
    quantity: float | None
    target: float | None
    points: float | None
    rule: str
    behind: pd.DataFrame
    completion: float | None = None  # an annual target's quantity ÷ target; None for the rates, 加分, 扣分, no target
    gap_points: float | None = None  # (completion − 序时进度) × 100, percentage points


@dataclass(frozen=True)
class UnitLedger:
    code: str
    name: str
    group: str
    as_of: dt.date
    rank: int
    group_rank: int
    score: float
    items: list[LedgerItem]


_PROJECT_COLUMNS = ["project_code", "project_name", "industry", "total_investment_wan"]
_MEASURES = {"signed_amount": "amount", "invested_year": "amount", "commencement_rate": "rate", "stats_rate": "rate",
             "bonus": "count", "late_reports": "times", "forgotten_updates": "times", "late_tasks": "times"}
# The dates behind the flags that are neither a flow nor a rate: the size bands of 签约, 本年完成投资.
_FLAG_DATES = {"signed_50yi": ("signed_date",), "signed_10_50yi": ("signed_date",), "signed_5_10yi": ("signed_date",),
               "invested_this_year": ("commenced_date",)}


_TARGET_OF = {t.column: t for t in TARGETS}  # an indicator's target column → the target (its id in `completion`)


def _dates_of(flag: str) -> tuple[str, ...]:
    """The milestone dates behind a project_facts flag: a flow's own date, or a rate's opening and hit dates."""
    if flag in MILESTONE_BY_ID:
        return (MILESTONE_BY_ID[flag].date_field,)
    if flag in _FLAG_DATES:
        return _FLAG_DATES[flag]
    return measures.RATES[flag.removesuffix("_base")]


def _projects(facts: pd.DataFrame, codes: list[str], dates: tuple[str, ...]) -> pd.DataFrame:
    rows = facts.set_index("project_code").reindex(codes).reset_index()
    return rows[[*_PROJECT_COLUMNS, *dates, "status"]]


def _amount(value_wan: float) -> str:
    return f"{value_wan / WAN_PER_YI:.2f}亿元"


def _indicator_rule(indicator: Indicator, row: dict, unit: dict, progress: float, settings: Settings) -> str:
    target, quantity = row["target"], row["quantity"]
    if indicator.target is None:
        rate = indicator.id
        hits, base = int(unit[f"{rate}_hits"]), int(unit[f"{rate}_base"])
        if base == 0:
            return f"目标{target:.0%}；没有统计基数，无比率，此项记0分。"
        return f"目标{target:.0%}；{hits}/{base} = {quantity:.1%}，达到目标得满分，未达到按比例得分。"
    if target is None or pd.isna(target):
        return "未下达年度目标，此项不计分；其余指标的权重按比例折算为100分。"
    if row["points"] is None or pd.isna(row["points"]):
        return (f"全年目标{_amount(target) if indicator.id == 'invested_year' else f'{target:g}个'}，完成"
                f"{_amount(quantity) if indicator.id == 'invested_year' else f'{quantity:g}个'}；"
                "此项权重为0，只显示完成进度，不计分。")
    due = target * progress
    if indicator.id in ("signed_amount", "invested_year"):
        shown = f"全年目标{_amount(target)}，序时目标{_amount(due)}，完成{_amount(quantity)}"
    else:
        shown = f"全年目标{target:g}个，序时目标{due:.2f}个，完成{quantity:g}个"
    return f"{shown}（序时进度{progress:.1%}）；达到序时目标得满分，未达到按比例得分。"


def _bonus_item(row: dict, facts: pd.DataFrame, settings: Settings) -> tuple[str, pd.DataFrame]:
    rules = settings.assessment
    behind = _projects(facts, row["subjects"], ("signed_date",))
    major = facts.set_index("project_code")["major_manufacturing"].reindex(row["subjects"]).fillna(False).to_numpy()
    major_label = f"{rules.major_manufacturing_min_wan / WAN_PER_YI:g}亿元以上制造业项目 +{rules.bonus_major_manufacturing:g}分"
    other_label = f"其他{rules.bonus_other_min_wan / WAN_PER_YI:g}亿元以上项目 +{rules.bonus_other:g}分"
    behind["note"] = [major_label if m else other_label for m in major]
    rule = f"本年签约的{major_label}，{other_label}；加分合计不超过{rules.bonus_cap:g}分。"
    return rule, behind


def _late_reports_item(code: str, result: Assessment, settings: Settings) -> tuple[str, pd.DataFrame]:
    """The late monthly reports of `code` (DOMAIN §6): one row per month with its due day and whether the
    report came later or not at all."""
    rules, due_day = settings.assessment, settings.duty.due_day
    counted = result.reports.counts(code)
    missing = set(counted["missing_months"])
    behind = pd.DataFrame({
        "period": pd.to_datetime(pd.Series(counted["late_months"], dtype=object)),
        "due_date": pd.to_datetime(pd.Series([due_date(m, due_day) for m in counted["late_months"]], dtype=object)),
        "note": ["未报送" if month in missing else "逾期后补报" for month in counted["late_months"]],
    })
    rule = (f"应报的月度项目进展表未在次月{due_day}日（含）前报送的，每月扣{rules.deduction_per_late_report:g}分，"
            f"不论该单元有多少项目；两项扣分合计不超过{rules.deduction_cap:g}分，逾期后补报不免扣分。")
    return rule, behind


def _forgotten_item(code: str, facts: pd.DataFrame, result: Assessment,
                    settings: Settings) -> tuple[str, pd.DataFrame]:
    """The forgotten updates of `code` (DOMAIN §6): projects left out of (or rejected from) a report that came on
    time, one row per (project, month)."""
    rules = settings.assessment
    overdue = result.reports.overdue
    pairs = overdue[(overdue["unit_code"] == code) & overdue["forgotten"]]
    names = dict(zip(facts["project_code"], facts["project_name"])) if "project_name" in facts else {}
    behind = pd.DataFrame({
        "project_code": pairs["project_code"].to_numpy(),
        "project_name": pairs["project_code"].map(names).to_numpy(),
        "period": pairs["period"].to_numpy(),
        "due_date": pairs["due_date"].to_numpy(),
        "note": ["已补报" if received else "仍未报送" for received in pairs["received"]],
    }).sort_values(["project_code", "period"]).reset_index(drop=True)
    rule = (f"按时报送的月度报表中漏报（或被拒收未重报）的项目，每个项目每月扣{rules.deduction_per_forgotten_update:g}分；"
            f"两项扣分合计不超过{rules.deduction_cap:g}分，逾期后补报不免扣分。")
    return rule, behind


def unit_ledger(con: duckdb.DuckDBPyConnection, as_of: dt.date, unit_code: str, scope: str | None,
                settings: Settings | None = None, result: Assessment | None = None,
                facts: pd.DataFrame | None = None, known_by: dt.date | None = None) -> UnitLedger:
    """The score ledger of `unit_code` for the period end `as_of` known by `known_by` (default: as of `as_of`),
    each item with the projects, months or (project, period) pairs behind it. `scope` is the actor's unit scope: a unit user may read only its own unit's ledger
    (OutOfScope otherwise); LookupError for a unit that does not exist. `result` and `facts` may pass the
    assessment and measures.project_facts (with details) as of `as_of` when the caller already has them."""
    if scope is not None and unit_code != scope:
        raise OutOfScope("单元用户只能查看本单元的得分明细。")
    settings = settings or current()
    facts = measures.project_facts(con, as_of, settings, known_by=known_by) if facts is None else facts
    result = assess(con, as_of, settings, facts, known_by=known_by) if result is None else result
    units = result.units.set_index("code")
    if unit_code not in units.index:
        raise LookupError(f"unknown unit {unit_code!r}")
    facts = facts[facts["unit_code"] == unit_code]  # every project behind a unit's item is its own
    unit = units.loc[unit_code].to_dict()
    rows = {r["item"]: r for r in result.ledger[result.ledger["unit_code"] == unit_code].to_dict("records")}
    targets = result.targets
    target_row = targets.loc[unit_code].to_dict() if targets is not None and unit_code in targets.index else None
    done = completion(unit, target_row, result.time_progress)
    items = []
    for indicator in INDICATORS:
        row = rows.get(indicator.id)
        if row is None:  # a further target neither weighted nor set for this unit (not in the ledger)
            continue
        behind = _projects(facts, row["subjects"], _dates_of(indicator.subjects))
        if indicator.target is None:
            hit = measures.RATES[indicator.id][1]
            label = next(m.label for m in MILESTONE_BY_ID.values() if m.date_field == hit)
            reached = behind[hit].notna() & (behind[hit] <= pd.Timestamp(as_of))
            behind["note"] = [f"已{label}" if r else f"未{label}" for r in reached]
        target = _TARGET_OF.get(indicator.target)
        items.append(LedgerItem(indicator.id, indicator.label, _MEASURES.get(indicator.id, "count"),
                                _number(row["quantity"]), _number(row["target"]), _number(row["points"]),
                                _indicator_rule(indicator, row, unit, result.time_progress, settings), behind,
                                *((done["completion"][target.id], done["schedule_gap_points"][target.id])
                                  if target else ())))
    major = TARGET_BY_ID["major_manufacturing"]
    if done["targets"][major.id] is not None:  # a target that is no indicator: shown with its completion, not scored
        flagged = facts[(facts["unit_code"] == unit_code) & facts["major_manufacturing"]]
        behind = _projects(facts, sorted(flagged["project_code"]), ("signed_date",))
        rule = (f"一票评优：本年签约的{major.label}超过年度目标的，评为优秀，不论排名（一票否优的除外）；"
                "此项不计分。")
        items.append(LedgerItem(major.id, major.label, "count", _number(unit[major.actual]),
                                done["targets"][major.id], None, rule, behind, done["completion"][major.id],
                                done["schedule_gap_points"][major.id]))
    bonus = rows["bonus"]
    bonus_rule, bonus_behind = _bonus_item(bonus, facts, settings)
    items.append(LedgerItem("bonus", BONUS_LABEL, "count", _number(bonus["quantity"]), None,
                            _number(bonus["points"]), bonus_rule, bonus_behind))
    for item, (rule, behind) in (("late_reports", _late_reports_item(unit_code, result, settings)),
                                 ("forgotten_updates", _forgotten_item(unit_code, facts, result, settings))):
        items.append(LedgerItem(item, DEDUCTIONS[item], "times", _number(rows[item]["quantity"]), None,
                                _number(rows[item]["points"]), rule, behind))
    if "late_tasks" in rows:  # only when late 督办事项 cost points
        row = rows["late_tasks"]
        rule = (f"截止日在本年的督办事项逾期未办（或逾期后才反馈）的，每项扣{settings.assessment.deduction_per_late_task:g}分；"
                f"各项扣分合计不超过{settings.assessment.deduction_cap:g}分。")
        items.append(LedgerItem("late_tasks", DEDUCTIONS["late_tasks"], "times", _number(row["quantity"]), None,
                                _number(row["points"]), rule, pd.DataFrame({"task_code": row["subjects"]})))
    return UnitLedger(unit_code, unit["name"], unit["group"], as_of, int(unit["rank"]), int(unit["group_rank"]),
                      float(unit["score"]), items)


# ------------------------------------------------------------------------------------------------ 通报 files
