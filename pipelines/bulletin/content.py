"""The monthly 通报 a bureau circulates (issue 18), as plain data: the 版头 (机关名称, 期号, 编发单位, date, 主送), the
five parts of its body — 一、总体情况 (the county against every annual target it has and 序时进度, the rates, the
reports), 二、各单元完成情况 (one ranking table), 三、督办与预警 (per unit, the late important tasks by name, the red
warnings counted per unit and rule), 四、存在问题 (drafted from the figures, editable), 五、下步工作 (the admin's
text) — the 附件 (the month's newly signed, commenced and producing projects, the late reports and the projects
still unreported), and for the workbook the detailed tables behind them: every unit's figures, the reports, the
two rates, the progress on each target, the groups, what needs attention, the tasks, every red warning, the score
changes and the whole ledger.

The content is gathered once (`bulletin_content`: paragraphs and tables) and written either as the Word document
(pipelines.bulletin.word: the body and the 附件) or as the Excel workbook of every table plus the score ledger
(pipelines.bulletin.excel), so the two always say the same thing. Every number comes from
pipelines.figures.assessment; the warnings are the conditions of alerts.rules holding as of the day (not the live
warnings table, which only knows today)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pandas as pd

from alerts.rules import RULE_BY_ID, RULES, conditions
from pipelines.admin import tasks
from pipelines.figures import duty
from pipelines.figures.assessment import (
    Assessment,
    assess,
    completion,
    rank_changes,
)
from pipelines.months import due_date, is_month_end, previous_month_end
from pipelines.settings import Settings, current
from pipelines.store import queries
from pipelines.vocabulary import RED, TARGETS, WAN_PER_YI, Target

TITLE = "招商引资项目推进情况通报"
SUMMARY_SHEET = "通报汇总"
# The workbook's sheets, in order; each section of the content names the sheet that holds it.
MONTH_SHEET = "本月项目"
SHEETS = (SUMMARY_SHEET, "单元排名", "报送情况", "两率", "完成进度", "分组排名", "需要关注", "督办事项", "红色预警",
          MONTH_SHEET, "得分明细")
# The parts of the body, in the order Word numbers them 一、…五、.
PARTS = ("总体情况", "各单元完成情况", "督办与预警", "存在问题", "下步工作")
NO_VALUE = "—"
_CHINESE_NUMERALS = "一二三四五六七八九十"

_LEDGER_MEASURES = {"signed_amount": "万元", "commencement_rate": "比率", "stats_rate": "比率", "late_reports": "月",
                    "forgotten_updates": "项次"}


class NoUnits(ValueError):
    """The database has no unit register yet, so there is nobody to report on."""


@dataclass(frozen=True)
class Column:
    header: str
    # text / count / amount (亿元) / points / delta (signed points) / percent / gap (signed percentage points) /
    # number / date
    kind: str = "text"


@dataclass(frozen=True)
class Band:
    """A header over `span` neighbouring columns (a target over its 完成, 全年目标, 完成率 and 较序时进度)."""

    label: str
    span: int


@dataclass(frozen=True)
class Table:
    """Rows of plain Python values (None where there is no value) under a title (none when it is the section's
    only subject); `empty` is said instead of the table when it has no rows. `bands` head the table's last
    columns in groups, left to right; the columns before them stand alone (a renderer may split a banded table
    between whole bands, repeating those columns)."""

    title: str
    columns: tuple[Column, ...]
    rows: list[tuple]
    empty: str = "无。"
    bands: tuple[Band, ...] = ()

    @property
    def unbanded(self) -> int:
        """How many columns stand before the bands (all of them when there are none)."""
        return len(self.columns) - sum(band.span for band in self.bands)


@dataclass(frozen=True)
class Section:
    """A headed part of the 通报: paragraphs (str) and tables in reading order, and the sheet that holds it.
    `in_document` is False for what only the workbook carries (the detailed tables and the whole ledger); `annex`
    makes it a 附件 of the document (on pages of its own after the body); `in_workbook` is False for an annex whose
    tables a workbook sheet already holds."""

    heading: str
    sheet: str
    blocks: list = field(default_factory=list)
    in_document: bool = True
    annex: bool = False
    in_workbook: bool = True


@dataclass(frozen=True)
class Masthead:
    """The 版头 and 版记 of one edition (GB/T 9704): 机关名称 (settings [bulletin] title), 期号 (None: a draft, not
    numbered), 编发单位, the day it is dated (the knowledge day), 主送 and 抄送."""

    title: str
    number: int | None
    issuer: str
    date: dt.date
    recipients: str
    copy_to: str

    @property
    def number_line(self) -> str:
        """'第3期', or for a draft '第  期（草稿）': a draft gets its number only when it is produced."""
        return f"第{self.number}期" if self.number is not None else "第  期（草稿）"

    @property
    def date_line(self) -> str:
        return f"{self.date.year}年{self.date.month}月{self.date.day}日"


@dataclass(frozen=True)
class Bulletin:
    month: str  # the month the 通报 reports on, '2024年6月'
    as_of_line: str  # the as-of day, 序时进度 and what the numbers cover
    headline: str
    sections: list[Section]
    masthead: Masthead
    problems: str = ""  # 四、存在问题 as printed: the draft or the admin's text, one paragraph a line
    next_steps: str = ""  # 五、下步工作 as printed

    @property
    def title(self) -> str:
        """The document's title under the 版头, one line at 二号: '2024年6月招商引资项目推进情况通报'."""
        return f"{self.month}招商引资项目推进情况通报"

    @property
    def body(self) -> list[Section]:
        """The parts of the body, 一、…五、 in Word."""
        return [s for s in self.sections if s.in_document and not s.annex]

    @property
    def annexes(self) -> list[Section]:
        """The 附件, 附件1 … in Word."""
        return [s for s in self.sections if s.in_document and s.annex]


# ---------------------------------------------------------------------------------------------------- content


def _number(value: object) -> float | None:
    """A plain float, or None for a missing value (None or NaN)."""
    if value is None or pd.isna(value):
        return None
    return float(value)


def _yi(amount_wan: object) -> float | None:
    amount = _number(amount_wan)
    return None if amount is None else amount / WAN_PER_YI


def _status(status: object) -> str:
    """达标/黄/红, or — without a rate."""
    return NO_VALUE if status is None or pd.isna(status) else str(status)


def _rates(config: Settings) -> tuple[tuple[str, str, float], ...]:
    """Each rate: its column in the figures, its name and its target."""
    fig = config.figures
    return (("commencement_rate", "签约项目开工率", fig.commencement_target),
            ("stats_rate", "开工项目纳统率", fig.stats_target))


def _movement(change: object) -> str:
    """↑2 (up two places), ↓1, or — (no change, or nothing to compare with)."""
    change = _number(change)
    if not change:
        return NO_VALUE
    return f"↑{int(change)}" if change > 0 else f"↓{-int(change)}"


def _day_phrase(as_of: dt.date) -> str:
    """'6月底' on the month's last day, else '6月15日'."""
    if is_month_end(as_of):
        return f"{as_of.month}月底"
    return f"{as_of.month}月{as_of.day}日"


def _rounded(value: float, decimals: int) -> Decimal:
    """`value` rounded half up (四舍五入, as the bureaus round) to `decimals` places; float noise far below the
    last place (18.299999999999997) does not decide it."""
    return Decimal(f"{value:.9f}").quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)


def versus_schedule(completion_share: float, gap_points: float, decimals: int) -> str:
    """'完成全年目标的93.3%，高于序时进度18.3个百分点' (低于 when behind; 与序时进度持平 when the gap rounds to 0):
    a completion (actual / target) and its gap to 序时进度 in percentage points, in the bureau's words, both to
    `decimals` places (settings figures.completion_decimals)."""
    gap = _rounded(gap_points, decimals)
    versus = "与序时进度持平" if gap == 0 else f"{'高于' if gap > 0 else '低于'}序时进度{abs(gap)}个百分点"
    return f"完成全年目标的{_rounded(completion_share * 100, decimals)}%，{versus}"


def _achieved(target: Target, actual: object) -> str:
    """What a target's actual amounts to, as the bureau writes it: '5个', '26.00亿元' (money is kept in 万元)."""
    if target.unit == "亿元":
        return f"{float(actual) / WAN_PER_YI:.2f}亿元"
    return f"{int(actual)}{target.unit}"


def _target_clauses(actuals: Mapping, figures: dict, decimals: int) -> list[str]:
    """One clause per target set (`figures`: assessment.completion's), in the order of vocabulary.TARGETS:
    '新开工项目数完成3个，完成全年目标的75.0%，高于序时进度25.0个百分点'. A target nobody set says nothing, but the
    year's 新纳统 count is always told, as the 通报 always did."""
    clauses = []
    for target in TARGETS:
        share = figures["completion"][target.id]
        if share is not None:
            # '本年完成投资1.40亿元', not '本年完成投资完成…': a label that says 完成 already takes no second one.
            done = "" if "完成" in target.label else "完成"
            clauses.append(f"{target.label}{done}{_achieved(target, actuals[target.actual])}，"
                           + versus_schedule(share, figures["schedule_gap_points"][target.id], decimals))
        elif target.id == "in_stats":
            clauses.append(f"新纳统项目{_achieved(target, actuals[target.actual])}")
    return clauses


def _rate_clauses(overall: Mapping, config: Settings) -> list[str]:
    """The two rates against their targets (暂无统计基数 without a cohort), then 资金到位率, 投资完成率 and 开工项目投产率
    where they have a value (with their target when one is set)."""
    clauses = []
    for rate, label, target in _rates(config):
        value = _number(overall[rate])
        clauses.append(f"{label}{'暂无统计基数' if value is None else f'{value:.1%}'}（目标{target:.0%}）")
    fig = config.figures
    for rate, label, target in (("funds_rate", "资金到位率", fig.funds_target),
                                ("investment_completion_rate", "投资完成率", 0),
                                ("production_rate", "开工项目投产率", fig.production_target)):
        value = _number(overall[rate])
        if value is not None:
            clauses.append(f"{label}{value:.1%}" + (f"（目标{target:.0%}）" if target else ""))
    return clauses


def _headline(result: Assessment, config: Settings) -> str:
    """The bureau's headline paragraph: the county's actual against every annual target it has (the sum of the
    units') and 序时进度, then the rates."""
    clauses = _target_clauses(result.overall, result.county_completion(), config.figures.completion_decimals)
    clauses.append("，".join(_rate_clauses(result.overall, config)))
    return f"截至{_day_phrase(result.as_of)}，全县" + "；".join(clauses) + "。"


def _unit_section(result: Assessment, changes: pd.Series, vetoes: pd.DataFrame, compared: bool,
                  config: Settings) -> Section:
    columns = (Column("排名", "count"), Column("单元"), Column("组别"), Column("签约亿元以上项目数", "count"),
               Column("签约金额(亿元)", "amount"), Column("新开工", "count"), Column("新纳统", "count"),
               Column("新投产", "count"), Column("开工率", "percent"), Column("纳统率", "percent"),
               Column("报送率", "percent"), Column("及时率", "percent"), Column("加分", "points"),
               Column("扣分", "points"), Column("得分", "points"), Column("排名变化"), Column("评优"))
    rows = [(int(u["rank"]), u["name"], u["group"], int(u["signed"]), _yi(u["signed_amount_wan"]),
             int(u["commenced"]), int(u["in_stats"]), int(u["production"]), _number(u["commencement_rate"]),
             _number(u["stats_rate"]), _number(u["reporting_rate"]), _number(u["on_time_rate"]), float(u["bonus"]),
             float(u["deduction"]), float(u["score"]), _movement(changes.get(u["code"])),
             "优秀" if u["excellent"] else "")
            for _, u in result.units.iterrows()]
    notes = ["注：得分保留两位小数；得分相同时按签约金额、单元编码排序；报送率、及时率为本年应报月度报表中已报送、"
             "按时报送的比例（无应报月份记“—”）；"
             + ("排名变化为与上月末相比（↑上升、↓下降、—持平）。" if compared
                else "本月为年度首月，排名变化不与上年比较。")]
    excellent = result.units.loc[result.units["excellent"], "name"].tolist()
    if excellent:
        major = config.assessment.major_manufacturing_min_wan / WAN_PER_YI
        notes.append(f"一票评优：{'、'.join(excellent)}本年签约{major:g}亿元以上制造业项目数超过年度目标，评为优秀。")
    reasons = dict(zip(vetoes["unit_code"], vetoes["note"]))
    for _, unit in result.units[result.units["vetoed"] & result.units["qualifies"]].iterrows():
        reason = reasons.get(unit["code"])
        because = f"（{reason}）" if reason and not pd.isna(reason) else ""
        notes.append(f"一票否优：{unit['name']}本年达到一票评优条件，但被一票否优{because}，不评为优秀。")
    table = Table("", columns, rows)
    return Section("各单元考核得分及排名", "单元排名", [table, *notes])


def _progress_section(result: Assessment) -> Section:
    """完成进度 (马鞍山's per 载体): per unit and for the county, every target the county has — the actual, the
    annual target (— where the unit has none), completion and its gap to 序时进度 in percentage points."""
    county = result.county_completion()
    shown_targets = [t for t in TARGETS if county["targets"][t.id] is not None]
    heading, sheet = "年度目标完成进度", "完成进度"
    if not shown_targets:
        return Section(heading, sheet, ["各单元均未下达年度目标。"])
    columns, bands = [Column("单元")], []
    for target in shown_targets:
        kind = "amount" if target.unit == "亿元" else "count"
        columns += [Column("完成", kind), Column("全年目标", kind), Column("完成率", "percent"), Column("较序时进度", "gap")]
        bands.append(Band(f"{target.label}（{target.unit}）", 4))

    def amount(target: Target, value: object) -> float | int | None:
        value = _number(value)
        if value is None:
            return None
        return value / WAN_PER_YI if target.unit == "亿元" else int(value)

    def row(name: str, actuals: Mapping, figures: dict) -> tuple:
        values: list = [name]
        for target in shown_targets:
            values += [amount(target, actuals[target.actual]), amount(target, figures["targets"][target.id]),
                       figures["completion"][target.id], figures["schedule_gap_points"][target.id]]
        return tuple(values)

    targets = result.targets.to_dict("index")
    rows = [row(u["name"], u, completion(u, targets.get(u["code"]), result.time_progress))
            for u in result.units.to_dict("records")]
    rows.append(row("全县", result.overall, county))
    note = (f"注：完成率 = 完成 ÷ 全年目标；较序时进度 = 完成率 − 序时进度（{result.time_progress:.1%}），单位为百分点，"
            f"正数为快于序时进度；未下达该项目标的单元记“{NO_VALUE}”；全县目标为各单元目标之和。")
    return Section(heading, sheet, [Table("", tuple(columns), rows, bands=tuple(bands)), note])


def _group_section(result: Assessment, group_changes: pd.Series) -> Section:
    columns = (Column("组内排名", "count"), Column("单元"), Column("得分", "points"), Column("排名变化"),
               Column("全县排名", "count"))
    tables = []
    for group in sorted(result.units["group"].unique()):
        members = result.units[result.units["group"] == group].sort_values("group_rank")
        rows = [(int(u["group_rank"]), u["name"], float(u["score"]), _movement(group_changes.get(u["code"])),
                 int(u["rank"])) for _, u in members.iterrows()]
        tables.append(Table(group, columns, rows))
    return Section("分组排名", "分组排名", tables)


def _rates_section(result: Assessment, config: Settings) -> Section:
    fig = config.figures
    (_, commencement, commencement_target), (_, stats, stats_target) = _rates(config)
    columns = (Column("单元"), Column("签约项目数", "count"), Column("其中已开工", "count"),
               Column(f"{commencement}（目标{commencement_target:.0%}）", "percent"), Column("开工率状态"),
               Column("开工项目数", "count"), Column("其中已纳统", "count"),
               Column(f"{stats}（目标{stats_target:.0%}）", "percent"), Column("纳统率状态"))

    def row(name: str, figures: dict | pd.Series) -> tuple:
        return (name, int(figures["commencement_rate_base"]), int(figures["commencement_rate_hits"]),
                _number(figures["commencement_rate"]), _status(figures["commencement_rate_status"]),
                int(figures["stats_rate_base"]), int(figures["stats_rate_hits"]), _number(figures["stats_rate"]),
                _status(figures["stats_rate_status"]))

    rows = [row(u["name"], u) for _, u in result.units.iterrows()] + [row("全县", result.overall)]
    cohort = "本年" if fig.rate_cohort == "year" else "截至统计日累计"
    note = (f"注：签约项目开工率 = {cohort}签约项目中已开工的比例，开工项目纳统率 = {cohort}开工项目中已纳统的比例；"
            f"达到目标为达标，低于目标{fig.rate_yellow_band_points:g}个百分点以内为黄，低于更多为红；"
            f"无统计基数时记“{NO_VALUE}”。")
    return Section("两率完成情况", "两率", [Table("", columns, rows), note])


def _attention_section(result: Assessment, stale: pd.DataFrame, projects: pd.DataFrame,
                       unit_names: dict[str, str], config: Settings) -> Section:
    red = []
    for _, u in result.units.iterrows():
        for rate, label, target in _rates(config):
            if u[f"{rate}_status"] == "红":
                red.append((u["name"], label, _number(u[rate]), target,
                            f"{int(u[f'{rate}_hits'])}/{int(u[f'{rate}_base'])}"))
    red_table = Table("两率为红色的单元", (Column("单元"), Column("指标"), Column("完成值", "percent"),
                                          Column("目标", "percent"), Column("已完成/基数")),
                      red, "各单元两率均未处于红色区间。")

    names = dict(zip(projects["project_code"], projects["project_name"]))
    subjects = result.ledger.set_index(["unit_code", "item"])["subjects"]
    late = []
    for _, u in result.units[result.units["deduction"] > 0].iterrows():
        months = "、".join(f"{int(m[5:])}月" for m in subjects.get((u["code"], "late_reports"), []))
        projects_months: dict[str, list[str]] = {}
        for subject in subjects.get((u["code"], "forgotten_updates"), []):
            code, period = subject.rsplit("@", 1)  # forgotten updates are 'code@YYYY-MM' of this year
            projects_months.setdefault(code, []).append(str(int(period[5:])))
        forgotten = "；".join(f"{names.get(code, code)}（{'、'.join(found)}月）" for code, found in projects_months.items())
        late.append((u["name"], int(u["late_reports"]), months or "—", int(u["forgotten_updates"]), forgotten or "—",
                     float(u["deduction"])))
    overdue_table = Table("本年迟报与漏报", (Column("单元"), Column("迟报(月)", "count"), Column("迟报月份"),
                                       Column("漏报(项次)", "count"), Column("漏报项目（月份）"), Column("扣分", "points")),
                          late, "本年各单元均按时报送月度报表，无漏报项目。")

    codes = dict(zip(projects["project_id"], projects["project_code"]))
    stale = stale.assign(code=stale["project_id"].map(codes))
    stale = stale.sort_values(["months_behind", "unit_code", "code"], ascending=[False, True, True])
    stale_rows = [(unit_names.get(s["unit_code"], s["unit_code"]), s["code"], names.get(s["code"], ""),
                   int(s["months_behind"]), f"{pd.Timestamp(s['oldest_missing']):%Y-%m}")
                  for _, s in stale.iterrows()]
    stale_table = Table("目前仍未报送进展的项目", (Column("单元"), Column("项目编号"), Column("项目名称"),
                                             Column("未报月数", "count"), Column("最早未报报告期")),
                        stale_rows, "目前没有逾期未报送进展的项目。")
    return Section("需要关注", "需要关注", [red_table, overdue_table, stale_table])


def _warnings_section(found: pd.DataFrame, projects: pd.DataFrame, unit_names: dict[str, str],
                      as_of: dt.date) -> Section:
    """The red warnings holding as of the day, one line each by unit and rule (oldest first), after a count by
    rule and the number of yellow ones, which are not listed."""
    red = found[found["grade"] == RED]
    yellow = len(found) - len(red)
    rule_order = {rule.id: i for i, rule in enumerate(RULES)}
    names = dict(zip(projects["project_code"], projects["project_name"]))
    ordered = red.assign(order=red["rule"].map(rule_order)).sort_values(["unit_code", "order", "since", "subject"])
    rows = []
    for _, w in ordered.iterrows():
        rule = RULE_BY_ID[w["rule"]]
        unit = unit_names.get(w["unit_code"], w["unit_code"])
        subject = unit if rule.subject_kind == "unit" else names.get(w["subject"], w["subject"])
        since = None if rule.subject_kind == "unit" else w["since"]  # unit rules do not know it
        # The detail opens with the subject's name, which the row already shows.
        rows.append((unit, rule.name, subject, since, str(w["detail"]).removeprefix(subject).removeprefix("：")))
    unlisted = f"另有黄色预警{yellow}条，不在此列出。" if yellow else "没有黄色预警。"
    if not rows:
        return Section("红色预警", "红色预警", [f"截至{_day_phrase(as_of)}，全县没有红色预警；{unlisted}"])
    counts = red["rule"].value_counts()
    by_rule = "、".join(f"{rule.name}{counts[rule.id]}条" for rule in RULES if rule.id in counts)
    summary = (f"截至{_day_phrase(as_of)}，全县有红色预警{len(rows)}条，涉及{red['unit_code'].nunique()}个单元"
               f"（{by_rule}），逐条列于下表；{unlisted}")
    columns = (Column("单元"), Column("预警规则"), Column("对象"), Column("持续自", "date"), Column("说明"))
    unit_rules = "、".join(rule.name for rule in RULES if rule.subject_kind == "unit")
    note = (f"注：按单元、预警规则排列；持续自为该情形首次达到黄色预警标准的日期，{unit_rules}按统计日的数据判断，"
            f"不列持续自。")
    return Section("红色预警", "红色预警", [summary, Table("", columns, rows), note])


def _score_change_section(result: Assessment, previous: Assessment) -> Section:
    keys = ["unit_code", "item"]
    now = result.ledger[[*keys, "label", "points"]]
    before = previous.ledger[[*keys, "points"]].rename(columns={"points": "before"})
    items = now.merge(before, on=keys, how="left").fillna({"points": 0.0, "before": 0.0})
    items["delta"] = items["points"] - items["before"]
    scores = dict(zip(previous.units["code"], previous.units["score"]))
    gained, lost = [], []
    for _, u in result.units.iterrows():
        was = float(scores.get(u["code"], 0.0))
        delta = float(u["score"]) - was
        if round(delta, 2) == 0:
            continue
        moved = items[(items["unit_code"] == u["code"]) & (items["delta"].round(2) != 0)]
        why = "、".join(f"{m['label']} {m['delta']:+.2f}分" for _, m in moved.iterrows())
        (gained if delta > 0 else lost).append((u["name"], was, float(u["score"]), delta, why))
    columns = (Column("单元"), Column("上月末得分", "points"), Column("本期得分", "points"), Column("变化", "delta"),
               Column("变动项目"))
    by_change = sorted(gained, key=lambda r: -r[3]), sorted(lost, key=lambda r: r[3])
    return Section("得分变化", SUMMARY_SHEET, [
        f"与{previous.as_of.month}月底相比各单元得分的变化及其原因（按考核项目列出变动的分值）。",
        Table("得分上升的单元", columns, by_change[0], "无。"),
        Table("得分下降的单元", columns, by_change[1], "无。"),
    ])


def _ledger_section(result: Assessment, unit_names: dict[str, str]) -> Section:
    columns = (Column("单元编码"), Column("单元"), Column("考核项目"), Column("数量", "number"), Column("计量"),
               Column("目标", "number"), Column("得分", "points"), Column("涉及项目"))
    rows = [(r["unit_code"], unit_names.get(r["unit_code"], r["unit_code"]), r["label"], _number(r["quantity"]),
             _LEDGER_MEASURES.get(r["item"], "个"), _number(r["target"]), _number(r["points"]),
             "、".join(r["subjects"]))
            for _, r in result.ledger.sort_values("unit_code", kind="stable").iterrows()]
    note = ("得分为空的考核项目因该单元未下达目标而不计分，其余指标权重按比例折算为100分；迟报月度报表列出迟报的月份，"
            "漏报项目中“编号@年-月”为按时报表中漏报该项目的报告期。")
    return Section("得分明细", "得分明细", [Table("", columns, rows), note], in_document=False)


def _year_tasks(con: duckdb.DuckDBPyConnection, year: int, known: dt.date) -> list[tasks.Task]:
    """The 督办事项 with their deadline in `year`, as they stood at the end of the knowledge day (DOMAIN §10)."""
    return [t for t in tasks.tasks_as_of(con, known) if t.deadline.year == year]


def _criticised(found: list[tasks.Task], known: dt.date, unit_names: dict[str, str]) -> str:
    """The 批评通报: every late important task by unit, title and deadline, or that there is none."""
    late_important = [t for t in found if t.important and t.late(known)]
    if not late_important:
        return "本年影响重大的督办事项均未逾期。"
    return "以下影响重大的督办事项逾期未办，予以通报批评：" + "；".join(
        f"{unit_names.get(t.unit, t.unit)}“{t.title}”（办理期限{t.deadline.month}月{t.deadline.day}日）"
        for t in late_important) + "。"


def _tasks_section(found: list[tasks.Task], known: dt.date, unit_names: dict[str, str]) -> Section:
    """督办事项 (DOMAIN §10): per unit the tasks of the year (deadline in it) issued, closed and late at the end of
    the knowledge day, and every late important task by name (the 批评通报)."""
    rows = []
    for code, name in unit_names.items():
        mine = [t for t in found if t.unit == code]
        if mine:
            rows.append((name, len(mine), sum(t.state == "closed" for t in mine),
                         sum(t.state in ("open", "responded") for t in mine), sum(t.late(known) for t in mine)))
    columns = (Column("单元"), Column("交办(项)", "count"), Column("已办结", "count"), Column("办理中", "count"),
               Column("逾期", "count"))
    return Section("督办事项", "督办事项", [Table("", columns, rows, "本年没有截止的督办事项。"),
                                         _criticised(found, known, unit_names)])


_REPORT_STATES = {"received_on_time": "按时报送", "received_late": "逾期报送", "not_received": "未报送",
                  "not_owed": "无应报项目"}


def _reporting_section(con: duckdb.DuckDBPyConnection, result: Assessment, known: dt.date,
                       config: Settings) -> Section:
    """How the units reported the month of the period end (DOMAIN §6): which sent it, when, on time or late, and
    which not yet — before its due day, those the bureau still chases; and the year's 报送率 and 及时率."""
    month = result.as_of.replace(day=1)
    reports = duty.month_reports(con, month, known, config)
    owing = reports[reports["owes"] | (reports["files"] > 0)]
    due = due_date(month, config.duty.due_day)
    late = owing.loc[owing["state"] == "received_late", "name"].tolist()
    missing = owing.loc[owing["state"] == "not_received", "name"].tolist()
    text = (f"{month.month}月项目进展表截止{due.month}月{due.day}日，截至{known.month}月{known.day}日应报{len(owing)}个单元，"
            f"已报送{len(owing) - len(missing)}个")
    if late:
        text += f"（其中逾期报送：{'、'.join(late)}）"
    if missing:
        text += (f"，尚未报送：{'、'.join(missing)}" + ("（未到截止日，报送后数据将更新）" if known <= due else "（已逾期）"))
    overall = result.overall
    rate, on_time = (f"{v:.1%}" if v is not None else NO_VALUE for v in (overall["reporting_rate"], overall["on_time_rate"]))
    text += f"。本年月度报表报送率{rate}，及时率{on_time}。"
    figures = result.units.set_index("code")
    rows = [(r["name"], _REPORT_STATES[r["state"]],
             "" if pd.isna(r["first_received"]) else f"{pd.Timestamp(r['first_received']):%m-%d %H:%M}",
             int(r["rows_loaded"]), int(r["rows_rejected"]),
             _number(figures.at[r["code"], "reporting_rate"]) if r["code"] in figures.index else None,
             _number(figures.at[r["code"], "on_time_rate"]) if r["code"] in figures.index else None)
            for r in owing.to_dict("records")]
    columns = (Column("单元"), Column(f"{month.month}月报表"), Column("首次报送"), Column("载入行数", "count"),
               Column("拒收行数", "count"), Column("本年报送率", "percent"), Column("本年及时率", "percent"))
    return Section("月度报表报送情况", "报送情况", [text, Table("", columns, rows, "本月没有应报的单元。")])


# ------------------------------------------------------------------------------------------------- the body


def _overview_part(headline: str, reporting: Section) -> Section:
    """一、总体情况: the county against its targets and the rates, the month's reports (what the numbers cover is
    the Bulletin's as_of_line, printed under the title)."""
    return Section(PARTS[0], SUMMARY_SHEET, [headline, reporting.blocks[0]])


def _standing_part(result: Assessment, changes: pd.DataFrame, unit_section: Section, compared: bool) -> Section:
    """二、各单元完成情况: one table in the order of the register (unit code), narrow enough for a portrait page —
    score, rank with its change since last month, the counts, the two rates and 签约金额's completion — and the
    一票评优 / 一票否优 notes of the unit table."""
    targets = result.targets.to_dict("index")
    columns = (Column("序号", "count"), Column("单元"), Column("得分", "points"), Column("排名（较上期）"),
               Column("签约亿元以上项目", "count"), Column("签约金额(亿元)", "amount"), Column("新开工", "count"),
               Column("新投产", "count"), Column("开工率", "percent"), Column("纳统率", "percent"),
               Column("签约金额完成率", "percent"))
    rows = []
    for number, u in enumerate(result.units.sort_values("code").to_dict("records"), 1):
        share = completion(u, targets.get(u["code"]), result.time_progress)["completion"]["signed_amount"]
        moved = _movement(changes["rank_change"].get(u["code"]))
        rows.append((number, u["name"], float(u["score"]), f"{int(u['rank'])}" + ("" if moved == NO_VALUE else
                                                                                 f"（{moved}）"),
                     int(u["signed"]), _yi(u["signed_amount_wan"]), int(u["commenced"]), int(u["production"]),
                     _number(u["commencement_rate"]), _number(u["stats_rate"]), share))
    moved = "括号内为较上月末的名次变化" if compared else "年度首月不与上年比较"
    note = f"注：排名为全县排名，{moved}；逐项得分、分组排名及各项目标完成进度见Excel版通报。"
    return Section(PARTS[1], SUMMARY_SHEET, [Table("", columns, rows), note, *unit_section.blocks[2:]])


def _supervision_part(found_tasks: list[tasks.Task], warnings: pd.DataFrame, known: dt.date,
                      unit_names: dict[str, str]) -> Section:
    """三、督办与预警: the red warnings counted by rule and the yellow ones; one table of the units (register order)
    with the year's tasks issued, closed and late and the red warnings holding per rule (the rules with any);
    the late important tasks by name. The Excel workbook lists each red warning."""
    red = warnings[warnings["grade"] == RED]
    counts = red.groupby(["unit_code", "rule"]).size()
    rules = [rule for rule in RULES if rule.id in set(red["rule"])]
    rows = []
    for code, name in unit_names.items():
        mine = [t for t in found_tasks if t.unit == code]
        per_rule = [int(counts.get((code, rule.id), 0)) for rule in rules]
        rows.append((name, len(mine), sum(t.state == "closed" for t in mine), sum(t.late(known) for t in mine),
                     *per_rule, sum(per_rule)))
    columns = (Column("单元"), Column("交办", "count"), Column("已办结", "count"), Column("逾期未办", "count"),
               *(Column(rule.name, "count") for rule in rules), Column("合计", "count"))
    bands = (Band("本年督办事项（项）", 3), Band("红色预警（条）", len(rules) + 1))
    summary = (f"截至{_day_phrase(known)}，全县有红色预警{len(red)}条、黄色预警{len(warnings) - len(red)}条，"
               "分单元、分规则情况见下表（逐条明细见Excel版通报）。")
    return Section(PARTS[2], SUMMARY_SHEET, [summary, Table("", columns, rows, bands=bands),
                                             _criticised(found_tasks, known, unit_names)])


def _behind_clauses(result: Assessment, config: Settings) -> list[str]:
    """Per unit (register order) the targets it is behind 序时进度 on by at least the 落后序时进度 warning's yellow
    gap ([warnings] behind_schedule_yellow_points): '城东街道新投产项目数落后50.0个百分点', or for several the count and
    the furthest behind: '云溪镇7项，其中新纳统项目数落后33.3个百分点'."""
    decimals, limit = config.figures.completion_decimals, config.warnings.behind_schedule_yellow_points
    targets = result.targets.to_dict("index")
    clauses = []
    for u in result.units.sort_values("code").to_dict("records"):
        gaps = completion(u, targets.get(u["code"]), result.time_progress)["schedule_gap_points"]
        behind = [(gaps[t.id], t.label) for t in TARGETS if gaps[t.id] is not None and gaps[t.id] <= limit]
        if behind:
            gap, label = min(behind)
            worst = f"{label}落后{-_rounded(gap, decimals)}个百分点"
            clauses.append(f"{u['name']}{worst}" if len(behind) == 1 else f"{u['name']}{len(behind)}项，其中{worst}")
    return clauses


def _problems(result: Assessment, stale: pd.DataFrame, found_tasks: list[tasks.Task], known: dt.date,
              config: Settings) -> str:
    """四、存在问题 drafted from the figures, one numbered paragraph a line: the units behind 序时进度 on their
    targets, the units below either rate's target, late reports and projects left out or unreported, late 督办事项."""
    units = result.units.sort_values("code")
    found = []
    behind = _behind_clauses(result, config)
    if behind:
        found.append(("部分单元目标任务进度滞后", f"落后序时进度{-config.warnings.behind_schedule_yellow_points:g}个百分点"
                                        "以上的目标有：" + "；".join(behind)))
    rates = []
    for rate, label, target in _rates(config):
        low = [f"{u['name']}（{u[rate]:.1%}）" for _, u in units.iterrows()
               if _number(u[rate]) is not None and u[f"{rate}_status"] != "达标"]
        if low:
            rates.append(f"{label}未达到{target:.0%}目标的有{'、'.join(low)}")
    if rates:
        found.append(("部分单元两率未达标", "；".join(rates)))
    reports = []
    late = [f"{u['name']}{int(u['late_reports'])}次" for _, u in units.iterrows() if u["late_reports"] > 0]
    if late:
        reports.append("本年迟报或未报月度报表的有" + "、".join(late))
    forgotten = [f"{u['name']}{int(u['forgotten_updates'])}项次" for _, u in units.iterrows()
                 if u["forgotten_updates"] > 0]
    if forgotten:
        reports.append("按时报表中漏报项目的有" + "、".join(forgotten))
    if len(stale):
        reports.append(f"目前仍有{len(stale)}个项目逾期未报送进展")
    if reports:
        reports[-1] += f"（详见附件{_OVERDUE_ANNEX}）"
        found.append(("项目进展报送不及时", "；".join(reports)))
    late_tasks = [t for t in found_tasks if t.late(known)]
    if late_tasks:
        by_unit = pd.Series([t.unit for t in late_tasks]).value_counts()
        names = dict(zip(units["code"], units["name"]))
        found.append(("督办事项落实不到位", "逾期未办结的督办事项有" + "、".join(
            f"{names.get(code, code)}{count}项" for code, count in by_unit.items())))
    if not found:
        return "本月各单元目标进度、两率和报表报送均未发现突出问题。"
    return "\n".join(f"（{_CHINESE_NUMERALS[i]}）{title}。{text}。" for i, (title, text) in enumerate(found))


def _lines(text: str) -> list[str]:
    """An admin's text as paragraphs: one a line, blank lines and surrounding spaces dropped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


# ------------------------------------------------------------------------------------------------ the annexes


_MONTH_PROJECTS = (("本月新签约项目", "signed_major", "signed_date", "签约日期"),
                   ("本月新开工项目", "commenced", "commenced_date", "开工日期"),
                   ("本月新投产项目", "production", "production_date", "投产日期"))
_OVERDUE_ANNEX = len(_MONTH_PROJECTS) + 1  # the 附件 number of the late reports and unreported projects


def _month_projects_annex(result: Assessment, projects: pd.DataFrame, heading: str, item: str, date_field: str,
                          date_label: str, unit_names: dict[str, str]) -> Section:
    """A 附件 of the projects the year's figures count for `item` (the ledger's subjects: assessed projects, the
    thresholds and statuses of DOMAIN §5) whose milestone falls in the report month, by unit and day."""
    counted = {code for subjects in result.ledger.loc[result.ledger["item"] == item, "subjects"] for code in subjects}
    first = result.as_of.replace(day=1)
    days = pd.to_datetime(projects[date_field])
    month = projects[projects["project_code"].isin(counted) & (days >= pd.Timestamp(first))
                     & (days <= pd.Timestamp(result.as_of))]
    month = month.assign(day=days[month.index].dt.date).sort_values(["unit_code", "day", "project_code"])
    rows = [(number, unit_names.get(p["unit_code"], p["unit_code"]), p["project_name"], _yi(p["total_investment_wan"]),
             p["day"]) for number, p in enumerate(month.to_dict("records"), 1)]
    columns = (Column("序号", "count"), Column("单元"), Column("项目名称"), Column("计划总投资(亿元)", "amount"),
               Column(date_label, "date"))
    return Section(heading, MONTH_SHEET, [Table("", columns, rows, f"{first.month}月没有{heading[2:]}。")],
                   annex=True)


def _overdue_annex(attention: Section) -> Section:
    """The 附件 of late reports and projects still unreported: the 需要关注 sheet's two tables."""
    tables = [b for b in attention.blocks if isinstance(b, Table)][1:]
    return Section("迟报漏报及逾期未报送进展的项目", attention.sheet, tables, annex=True, in_workbook=False)


def bulletin_content(con: duckdb.DuckDBPyConnection, as_of: dt.date, config: Settings | None = None,
                     known_by: dt.date | None = None, *, problems_text: str | None = None,
                     next_steps_text: str | None = None, number: int | None = None) -> Bulletin:
    """Everything the 通报 says for the period end `as_of`, as known by the end of `known_by` (the report for the
    month of `as_of`, DOMAIN §4; default: as of `as_of`), as paragraphs and tables of plain values: the body, the
    附件 and the workbook's detailed tables. `problems_text` and `next_steps_text` replace the drafted 四、存在问题
    and the settings' draft of 五、下步工作 (one paragraph a line); `number` is the edition's 期号 (None: a draft)."""
    config = config or current()
    known = known_by or as_of
    result = assess(con, as_of, config, known_by=known_by)
    if result.units.empty:
        raise NoUnits("数据库中还没有招商单元名录，无法生成通报：请先载入单元名录和年度目标。")
    changes = rank_changes(con, result, config).set_index("code")
    compared = previous_month_end(as_of).year == result.year
    unit_names = dict(zip(result.units.sort_values("code")["code"], result.units.sort_values("code")["name"]))
    projects = queries.frame(con, "projects_as_of", as_of=known, unit=None)
    vetoes = queries.frame(con, "veto_flags", year=result.year, known_by=known)
    stale = duty.stale_projects(con, known, config)
    found_tasks = _year_tasks(con, result.year, known)
    warnings = conditions(con, known, config)
    minimum = config.figures.assess_min_investment_wan / WAN_PER_YI
    received = "" if known == as_of else f"，计入{known.year}年{known.month}月{known.day}日以前收到的报表"
    as_of_line = (f"数据截至{as_of.year}年{as_of.month}月{as_of.day}日{received}，序时进度{result.time_progress:.1%}；"
                  f"项目数与金额均为计划总投资{minimum:g}亿元及以上项目，全年目标为各单元年度目标之和。")
    headline = _headline(result, config)
    units = _unit_section(result, changes["rank_change"], vetoes, compared, config)
    reporting = _reporting_section(con, result, known, config)
    attention = _attention_section(result, stale, projects, unit_names, config)
    problems = problems_text if problems_text is not None else _problems(result, stale, found_tasks, known, config)
    next_steps = next_steps_text if next_steps_text is not None else config.bulletin.next_steps
    body = [
        _overview_part(headline, reporting),
        _standing_part(result, changes, units, compared),
        _supervision_part(found_tasks, warnings, known, unit_names),
        Section(PARTS[3], SUMMARY_SHEET, _lines(problems) or ["无。"]),
        Section(PARTS[4], SUMMARY_SHEET, _lines(next_steps) or ["无。"]),
    ]
    annexes = [_month_projects_annex(result, projects, *annex, unit_names) for annex in _MONTH_PROJECTS]
    annexes.append(_overdue_annex(attention))
    details = [units, reporting, _rates_section(result, config), _progress_section(result),
               _group_section(result, changes["group_rank_change"]), attention,
               _tasks_section(found_tasks, known, unit_names),
               _warnings_section(warnings, projects, unit_names, known)]
    if compared:
        details.append(_score_change_section(result, assess(con, previous_month_end(as_of), config,
                                                            known_by=known_by)))
    details.append(_ledger_section(result, unit_names))
    bulletin = config.bulletin
    masthead = Masthead(bulletin.title, number, bulletin.issuer, known, bulletin.recipients, bulletin.copy_to)
    return Bulletin(f"{as_of.year}年{as_of.month}月", as_of_line, headline,
                    [*body, *annexes, *(dataclasses.replace(s, in_document=False) for s in details)], masthead,
                    problems, next_steps)


def shown(value: object, kind: str) -> str:
    """A table value as the document prints it: amounts and points with 2 decimals, rates as percentages."""
    if value is None:
        return NO_VALUE
    if kind in ("amount", "points"):
        return f"{value:.2f}"
    if kind == "delta":
        return f"{value:+.2f}"
    if kind == "percent":
        return f"{value:.1%}"
    if kind == "gap":
        return f"{value:+.1f}"
    if kind == "number":
        return f"{value:g}"
    return str(value)


def display_width(text: str) -> int:
    """How wide a text is, in Latin characters: two for each wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
