"""Display formatting: Chinese column names, money in 亿元, dates as YYYY-MM-DD."""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
from pandas.io.formats.style import Styler

from alerts.rules import RULE_BY_ID
from pipelines.admin import tasks
from pipelines.bulletin.content import versus_schedule
from pipelines.figures.assessment import INDICATORS, Indicator
from pipelines.figures.guidance import Gap
from pipelines.screens import project as project_screen
from pipelines.screens.ranking import LedgerItem
from pipelines.screens.unit import LATE, ON_TIME, OPEN, ReportStatus
from pipelines.settings import Settings, current
from pipelines.vocabulary import MILESTONES, STATUSES, WAN_PER_YI

# The project library's columns, in display order: source column → header.
LIBRARY_COLUMNS: dict[str, str] = {
    "project_code": "项目编号",
    "project_name": "项目名称",
    "unit_name": "填报单位",
    "industry": "产业类别",
    "chain": "产业链",
    "total_investment_yi": "计划总投资(亿元)",
    "size_band": "规模档次",
    "stage_label": "所处阶段",
    "status_label": "项目状态",
    "signed_date": "签约日期",
    "commenced_date": "开工日期",
    "investor": "投资方",
    "period": "最近报告期",
    "warning_label": "在办预警",
    "months_behind": "逾期月数",
    "project_page": "详情",
}


def library_table(projects: pd.DataFrame) -> pd.DataFrame:
    """The project library as shown (pipelines.screens.project.library's rows): Chinese headers, 计划总投资 in 亿元,
    dates without time, the warnings and months behind, and the address of each project's page."""
    shown = projects.assign(total_investment_yi=projects["total_investment_wan"] / WAN_PER_YI,
                            project_page=[project_screen.project_url(code) for code in projects["project_code"]])
    shown = shown.fillna({"chain": "", "investor": ""})
    for column in ("signed_date", "commenced_date"):
        shown[column] = pd.to_datetime(shown[column]).dt.strftime("%Y-%m-%d").fillna("")
    shown["period"] = pd.to_datetime(shown["period"]).dt.strftime("%Y-%m")
    return shown[list(LIBRARY_COLUMNS)].rename(columns=LIBRARY_COLUMNS)


def yi(amount_wan: float | None) -> str:
    """An amount in 万元 shown in 亿元 with two decimals."""
    return "—" if amount_wan is None or pd.isna(amount_wan) else f"{amount_wan / WAN_PER_YI:,.2f}"


def percent(rate: float | None, digits: int = 1) -> str:
    """A fraction as a percentage ('63.3%'); '—' when there is no value (an empty cohort is never 0%)."""
    return "—" if rate is None or pd.isna(rate) else f"{rate:.{digits}%}"


def gap_points(gap: float | None, digits: int = 1) -> str:
    """A gap to 序时进度 in percentage points with its sign ('+3.2', '−12.5'); '—' without a target."""
    if gap is None or pd.isna(gap):
        return "—"
    shown = round(gap, digits) + 0.0  # + 0.0: a gap that rounds to nothing is '+0.0', never '−0.0'
    return f"+{shown:.{digits}f}" if shown >= 0 else f"−{-shown:.{digits}f}"


def rank_change(places: float | None) -> str:
    """Places moved since the comparison day (last month-end on the big screen): '▲2' up, '▼1' down, '—'
    unchanged or not comparable (January)."""
    if places is None or pd.isna(places) or places == 0:
        return "—"
    return f"▲{int(places)}" if places > 0 else f"▼{int(-places)}"


def points(value: float | None) -> str:
    """Points with two decimals ('87.20'); '—' for an item left out (no target)."""
    return "—" if value is None or pd.isna(value) else f"{value + 0.0:.2f}"  # + 0.0: no '-0.00' for a zero deduction


def points_change(change: float | None) -> str:
    """A change of points with its sign ('+2.45', '−0.50'); '—' when not compared."""
    if change is None or pd.isna(change):
        return "—"
    return f"+{change:.2f}" if round(change, 2) >= 0 else f"−{-change:.2f}"


def points_delta(change: float) -> str:
    """A change of points as a metric's delta ('+2.45 分', '-0.50 分': the ASCII sign colours the arrow)."""
    return f"{change:+.2f} 分"


def score_delta(change: float | None) -> dict[str, str | None]:
    """A metric's delta arguments for a score's change since the comparison: '+2.45 分' / '-0.50 分' with its arrow,
    '持平' in grey without one when it rounds to 0.00 (not a green '+0.00 分'), none when not compared."""
    if change is None or pd.isna(change):
        return {"delta": None}
    if round(change, 2) == 0:
        return {"delta": "持平", "delta_color": "off", "delta_arrow": "off"}
    return {"delta": points_delta(change)}


def rank_delta(places: float | None) -> str | None:
    """Places moved as a metric's delta ('+2 名', '-1 名'), None when unchanged or not compared."""
    if places is None or pd.isna(places) or places == 0:
        return None
    return f"{int(places):+d} 名"


def merit(excellent: bool, vetoed: bool) -> str:
    """The 评优 mark of a unit: 优秀 (一票评优) or 一票否优."""
    return "★ 优秀" if excellent else "一票否优" if vetoed else ""


def score_reasons(reasons: list[tuple[str, float]]) -> str:
    """The ledger items whose points moved: '新开工项目数 +0.67、扣分 −0.50'."""
    return "、".join(f"{label} {points_change(change)}" for label, change in reasons)


_OWN_ROW = "background-color: #fff4d6"  # the unit user's own unit in the ranking
_MOVED = {"▲": "color: #1a7f37", "▼": "color: #c62828"}  # places moved up or down, coloured as metric deltas


# The bureaus' shorthand for the indicators in a table's header (the 通报's unit table says the same); the others
# by their label.
_SHORT_LABELS = {"signed_major": "签约亿元以上", "commenced": "新开工", "production": "新投产", "in_stats": "新纳统",
                 "commencement_rate": "开工率", "stats_rate": "纳统率"}


def indicator_header(indicator: Indicator, settings: Settings | None = None) -> str:
    """The header of an indicator's points column: '新开工（满分20）', its weight in force, so that the column reads
    as points, not as the indicator's count ('签约亿元以上项目数 25.00' read as 25 projects)."""
    label = _SHORT_LABELS.get(indicator.id, indicator.label)
    return f"{label}（满分{getattr((settings or current()).assessment, indicator.weight):g}）"


def ranking_text_numbers(settings: Settings | None = None) -> tuple[str, ...]:
    """The ranking's columns of numbers that may have no value: shown as text ('25.00', '—'), because a table shows
    an empty cell as 'None' whatever its format says; pages align them right."""
    return ("较上期", *(indicator_header(i, settings) for i in INDICATORS), "报送率", "及时率")


def scored_indicators(table: pd.DataFrame) -> list[Indicator]:
    """The indicators that score for some unit of the ranking `table` (a target set and a weight): the others
    (usually the further targets, weighing 0) would be columns of '—' only."""
    return [i for i in INDICATORS if i.id in table and table[i.id].notna().any()]


def ranking_table(table: pd.DataFrame, in_group: bool = False, own: str | None = None,
                  detail: bool = True, indicators: list[Indicator] | None = None) -> Styler:
    """The ranking as shown: rank (in the group, with the county rank after), the places moved as ▲/▼, the score
    and its change, each indicator's points under its name and 满分 (indicator_header; '—' when left out; only
    `indicators`, by default those scoring for some unit of `table`), 扣分 as points lost and the 评优 mark; scores
    show two decimals and sort as numbers. `own` (a unit name) is highlighted. Without `detail` (a unit user's view, Ranking.for_scope)
    the two rates stand where the points would. 报送率 and 及时率 (DOMAIN §6) close both."""
    rank, change = ("group_rank", "group_rank_change") if in_group else ("rank", "rank_change")
    shown = pd.DataFrame({
        "组内排名" if in_group else "排名": table[rank],
        "变化": table[change].map(rank_change),
        "单元": table["name"],
        **({} if in_group else {"组别": table["group"]}),
        "得分": table["score"],
        "较上期": table["score_change"].map(points_change),
    })
    if detail:
        for indicator in scored_indicators(table) if indicators is None else indicators:
            shown[indicator_header(indicator)] = table[indicator.id].map(points)
        shown["加分"] = table["bonus"]
        shown["扣分"] = table["deduction"]
    else:
        shown["签约项目开工率"] = table["commencement_rate_value"].map(percent)
        shown["开工项目纳统率"] = table["stats_rate_value"].map(percent)
    shown["报送率"] = table["reporting_rate"].map(percent)
    shown["及时率"] = table["on_time_rate"].map(percent)
    if in_group:
        shown["全县排名"] = table["rank"]
    shown["评优"] = [merit(e, v) for e, v in zip(table["excellent"], table["vetoed"])]
    styled = shown.style.format("{:.2f}", subset=["得分", *(["加分", "扣分"] if detail else [])]).map(
        lambda moved: _MOVED.get(moved[:1], ""), subset=["变化"])
    if own is not None:
        styled = styled.apply(lambda row: [_OWN_ROW if row["单元"] == own else ""] * len(row), axis=1)
    return styled


_AUTOLINK = re.compile(r"(?i)https?(?=:)|ftp(?=:)|mailto(?=:)|www(?=\.)|@")  # what starts a bare address
_MARKS = frozenset("\\`*_{}[]()<>#+-.!|~:$=^&\"'@%/;,?")  # ASCII punctuation Markdown or Streamlit may act on


def text(value: object) -> str:
    """What a user or a workbook wrote, made to show as written wherever Streamlit renders Markdown (titles,
    captions, messages, expander and widget labels): every mark escaped, so `![x](http://host/p.png)` stays text
    and fetches nothing, `**x**`, `:red[x]` and `[x](url)` neither style nor link; line breaks kept. The one
    escaping rule of the pages; tests/test_escaping.py runs every page on hostile texts."""
    # GitHub-flavoured Markdown links bare addresses (http://…, www.…, a@b.cn) whatever their escapes: an invisible
    # word joiner after the scheme, "www" or "@" keeps them text.
    unlinked = _AUTOLINK.sub(lambda m: m.group(0) + "\u2060", str(value))
    escaped = "".join(f"\\{c}" if c in _MARKS else c for c in unlinked)
    return escaped.replace("\r\n", "\n").replace("\n", "  \n")


def score_movers(movers: pd.DataFrame) -> str:
    """Units whose score moved, as Markdown lines: the unit, its score then and now with the change, and the
    items whose points moved ('**桃源乡**　74.78 → 82.33（**+7.56**）  签约金额 +1.00、…')."""
    return "\n".join(
        f"- **{text(m['name'])}**　{points(m['previous_score'])} → {points(m['score'])}"
        f"（**{points_change(m['score_change'])}**）" + (f"  \n  {score_reasons(m['reasons'])}" if m["reasons"] else "")
        for m in movers.to_dict("records"))


_MEASURE_UNITS = {"count": "个", "times": "次"}


def ledger_quantity(measure: str, value: float | None) -> str:
    """A ledger quantity or target in its measure: '7个', '24.20亿元', '71.4%', '3次'; '—' without one."""
    if value is None or pd.isna(value):
        return "—"
    if measure == "amount":
        return f"{yi(value)}亿元"
    if measure == "rate":
        return percent(value)
    return f"{value:g}{_MEASURE_UNITS[measure]}"


def ledger_title(item: LedgerItem) -> str:
    """A ledger item in one line: '**新开工项目数**　9个 / 目标 10个　→　18.67 分', '不计分' when left out."""
    shown = "不计分" if item.points is None else f"{points(item.points)} 分"
    goal = "" if item.target is None else f" / 目标 {ledger_quantity(item.measure, item.target)}"
    return f"**{item.label}**　{ledger_quantity(item.measure, item.quantity)}{goal}　→　{shown}"


# What is behind a ledger item, in display order: source column → header; each item has some of them.
LEDGER_PROJECT_COLUMNS: dict[str, str] = {
    "project_code": "项目编号",
    "project_name": "项目名称",
    "industry": "产业类别",
    "total_investment_yi": "计划总投资(亿元)",
    **{m.date_field: m.header for m in MILESTONES},
    "status": "项目状态",
    "period": "报告期",
    "due_date": "应报截止日",
    "note": "说明",
}


def ledger_projects(behind: pd.DataFrame) -> Styler:
    """The projects (or overdue updates) behind a ledger item as shown: Chinese headers, 亿元, plain dates."""
    shown = behind.copy()
    shown.attrs.clear()  # the facts' duty parameters (dates), which the grid would try to send along as JSON
    if "total_investment_wan" in shown:
        shown["total_investment_yi"] = shown["total_investment_wan"] / WAN_PER_YI
    for column in [m.date_field for m in MILESTONES] + ["due_date"]:
        if column in shown:
            shown[column] = pd.to_datetime(shown[column]).dt.strftime("%Y-%m-%d").fillna("")
    if "period" in shown:
        shown["period"] = pd.to_datetime(shown["period"]).dt.strftime("%Y-%m")
    if "status" in shown:
        shown["status"] = shown["status"].map(STATUSES)
    shown = shown[[c for c in LEDGER_PROJECT_COLUMNS if c in shown]].rename(columns=LEDGER_PROJECT_COLUMNS)
    money = [LEDGER_PROJECT_COLUMNS["total_investment_yi"]]
    return shown.style.format("{:.2f}", subset=[c for c in money if c in shown])


# ---- 单元看板

def month_day(day) -> str:
    """A day as '11月6日'."""
    return f"{day.month}月{day.day}日"


def report_sentence(report: ReportStatus) -> str:
    """The state of the month's report in one sentence: '本月（2026年10月进展）报送截止 11月10日，已于11月6日报送，
    载入42行', '…距截止还有3天，尚未报送', '…已逾期2天，尚未报送'."""
    head = f"本月（{report.period.year}年{report.period.month}月进展）报送截止 {month_day(report.due_date)}，"
    if report.state in (ON_TIME, LATE):
        when = (f"已于{month_day(report.received_at)}报送" if report.state == ON_TIME
                else f"于{month_day(report.received_at)}补报（逾期{report.days_late}天）")
        later = f"，其后更正{report.corrections}次" if report.corrections else ""
        rejected = (f"；{report.rejected}行被拒收，相应项目计为漏报，请在“数据填报”查看原因、改正后重报"
                    if report.rejected else "")
        return f"{head}{when}，载入{report.rows}行{later}{rejected}"
    if report.state == OPEN:
        left = "今天截止，尚未报送" if report.days_left == 0 else f"距截止还有{report.days_left}天，尚未报送"
    else:
        left = f"已逾期{-report.days_left}天，尚未报送"
    refused = f"（{month_day(report.refused_at)}报送的文件被退回：{report.refusal}）" if report.refused_at else ""
    return head + left + refused


def score_items_table(items: list[LedgerItem], maxima: dict[str, float | None], digits: int = 1) -> pd.DataFrame:
    """The ledger's items against their maximum: item, what was done, the target, an annual target's completion
    and gap to 序时进度 in points (`digits` decimals), points ('不计分' for a target shown but not scored, '—' for an
    item left out), the most the item can give and the share of it earned (none for 扣分, whose maximum is the most
    it can take)."""
    rows = []
    for item in items:
        most = maxima.get(item.item)
        shown_only = item.points is None and item.target is not None
        rows.append({"考核项目": item.label, "完成": ledger_quantity(item.measure, item.quantity),
                     "目标": ledger_quantity(item.measure, item.target),
                     "完成率": percent(item.completion, digits), "较序时进度": gap_points(item.gap_points, digits),
                     "得分": "不计分" if shown_only else points(item.points), "满分": points(most),
                     "得分率": item.points / most if item.points is not None and most and most > 0 else None})
    return pd.DataFrame(rows)


def _target_amount(unit: str, value: float | None) -> str:
    """A target's figure in its unit: '7个', '24.20亿元' (money comes in 万元); '—' without one."""
    return ledger_quantity("amount" if unit == "亿元" else "count", value)


def completion_phrase(completion: float | None, gap: float | None, digits: int = 1) -> str:
    """An annual target's completion in the bureau's words: '完成全年目标的93.3%，高于序时进度18.3个百分点' (低于 when
    behind, 与序时进度持平 when level at the decimals shown); '' without a target."""
    if completion is None or pd.isna(completion):
        return ""
    return versus_schedule(completion, gap, digits)  # the 通报's own wording and rounding (half up)


def gap_sentence(gap: Gap, digits: int = 1) -> str:
    """What a unit lacks or meets (Gap.message) and, for an annual target set, its completion against 序时进度:
    '新纳统项目数距序时进度还差2个；完成全年目标的58.3%，低于序时进度33.3个百分点'."""
    phrase = completion_phrase(gap.completion, gap.gap_points, digits)
    return f"{gap.message}；{phrase}" if phrase else gap.message


def progress_targets(progress: pd.DataFrame) -> dict[str, str]:
    """The targets of 完成进度 (Ranking.progress), in order: id → name."""
    return dict(zip(progress["target"], progress["label"]))


def target_progress_table(progress: pd.DataFrame, target: str, digits: int = 1) -> pd.DataFrame:
    """完成进度 of one target (Ranking.progress's rows of it, by rank): unit, group, actual, annual target,
    completion and gap to 序时进度 in points (`digits` decimals; '—' where the unit has no such target)."""
    progress = progress[progress["target"] == target]
    return pd.DataFrame({
        "单元": progress["name"].tolist(), "组别": progress["group"].tolist(),
        "完成": [_target_amount(u, a) for u, a in zip(progress["unit"], progress["actual"])],
        "年度目标": [_target_amount(u, t) for u, t in zip(progress["unit"], progress["annual_target"])],
        "完成率": [percent(c, digits) for c in progress["completion"]],
        "较序时进度": [gap_points(g, digits) for g in progress["gap_points"]],
    })


# The date listed with a gap's candidates; a 签约 target's is the day its stage (在谈 / 已审批) was reached.
_CANDIDATE_DATES = {"commencement_rate": "签约日期", "stats_rate": "开工日期", "in_stats": "开工日期",
                    "commenced": "计划开工日期", "production": "开工日期"}


def candidates_table(gap: Gap) -> pd.DataFrame:
    """The projects that could close a gap: code, name, their stage where it matters (在谈 / 已审批 for a 签约 target,
    已竣工 / 在建 for 新投产), a date (_CANDIDATE_DATES: the day the stage was reached for a 签约 target), 计划总投资
    (亿元)."""
    rows = pd.DataFrame(gap.candidates, columns=["code", "name", "stage", "date", "amount_wan"])
    dates = pd.to_datetime(rows["date"]).dt.strftime("%Y-%m-%d").fillna("")
    staged = rows["stage"].notna().any()
    return pd.DataFrame({
        "项目编号": rows["code"], "项目名称": rows["name"],
        **({"所处阶段": rows["stage"]} if staged else {}),
        _CANDIDATE_DATES.get(gap.item, "研判/审批日期" if staged else "日期"): dates,
        "计划总投资(亿元)": rows["amount_wan"] / WAN_PER_YI,
    })


def unit_warnings_table(warnings: pd.DataFrame) -> pd.DataFrame:
    """A unit's open warnings as shown: grade, rule, the project concerned (the unit itself for unit rules),
    since, detail (widgets.stacked_table colours each row by its grade: grade_classes)."""
    return pd.DataFrame({
        "等级": warnings["grade_label"], "预警规则": warnings["rule_name"],
        "项目编号": [subject if RULE_BY_ID[rule].subject_kind == "project" else "本单元"
                     for rule, subject in zip(warnings["rule"], warnings["subject"])],
        "起始日期": pd.to_datetime(warnings["since"]).dt.strftime("%Y-%m-%d").fillna(""), "详情": warnings["detail"],
    })


def grade_classes(grades: pd.Series) -> list[str]:
    """The row class of each warning grade in widgets.stacked_table: zs-red, zs-yellow."""
    return [f"zs-{grade}" for grade in grades]


def stale_table(stale: pd.DataFrame) -> pd.DataFrame:
    """Projects behind on their monthly update: code, name, months behind, the first month missing, the last
    month reported."""
    return pd.DataFrame({
        "项目编号": stale["project_code"], "项目名称": stale["project_name"], "落后月数": stale["months_behind"],
        "最早缺报": pd.to_datetime(stale["oldest_missing"]).dt.strftime("%Y-%m"),
        "最近报告期": pd.to_datetime(stale["last_period"]).dt.strftime("%Y-%m").fillna("—"),
    })


_SUBMISSION_STATUSES = {"loaded": "已载入", "rejected": "被退回"}


def submissions_table(submissions: pd.DataFrame) -> pd.DataFrame:
    """A unit's files as shown: when received, report month, status, why a file was refused, the unit's rows
    loaded, rows refused, who sent it and the file's name."""
    return pd.DataFrame({
        "接收时间": pd.to_datetime(submissions["received_at"]).dt.strftime("%Y-%m-%d %H:%M"),
        "报告期": pd.to_datetime(submissions["period"]).dt.strftime("%Y-%m").fillna("多个"),
        "状态": submissions["status"].map(_SUBMISSION_STATUSES), "说明": submissions["message"].fillna(""),
        "载入行数": submissions["unit_rows"], "拒收行数": submissions["rows_rejected"],
        "报送人": submissions["submitted_by"], "文件": submissions["file_name"],
    })


MONTH_REPORT_STATES = {"received_on_time": "按时报送", "received_late": "逾期报送", "not_received": "尚未报送",
                       "not_owed": "无应报项目"}


def month_reports_table(reports: pd.DataFrame) -> pd.DataFrame:
    """Each unit's report for the month being collected (alerts.remind.status) as 数据填报 shows it: unit, state,
    first received (when, by whom), files, rows loaded and refused, projects owing, the latest reminder."""
    def moment(value: object) -> str:
        return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%m-%d %H:%M}"

    return pd.DataFrame({
        "单元": [str(name) for name in reports["name"]],
        "状态": reports["state"].map(MONTH_REPORT_STATES),
        "报送时间": reports["first_received"].map(moment),
        "报送人": reports["first_by"].fillna(""),
        "文件数": reports["files"].astype(int),
        "载入行数": reports["rows_loaded"].astype(int),
        "拒收行数": reports["rows_rejected"].astype(int),
        "应报项目": reports["projects_owing"].astype(int),
        "最近催报": reports["last_reminded"].map(moment),
    })


def deductions_sentence(items: list[LedgerItem], due_day: int) -> str | None:
    """The year's deductions in words a unit head acts on (DOMAIN §7): which months' reports came late or never and
    which projects were left out of a report that came on time, what each costs, and how to avoid more; None
    without any."""
    found = {item.item: item for item in items if item.item in ("late_reports", "forgotten_updates")}
    late, forgotten = found.get("late_reports"), found.get("forgotten_updates")
    parts = []
    if late is not None and late.quantity:
        months = "、".join(f"{pd.Timestamp(m).month}月" for m in late.behind["period"])
        parts.append(f"迟报月度报表{int(late.quantity)}个月（{months}），扣{points(-(late.points or 0))}分")
    if forgotten is not None and forgotten.quantity:
        names = list(dict.fromkeys(forgotten.behind["project_name"].fillna(forgotten.behind["project_code"])))
        shown = "、".join(text(n) for n in names[:3]) + (f"等{len(names)}个项目" if len(names) > 3 else "")
        parts.append(f"按时报表中漏报{int(forgotten.quantity)}项次（{shown}），扣{points(-(forgotten.points or 0))}分")
    if not parts:
        return None
    return ("本年" + "；".join(parts) + f"。每月{due_day}日前报送完整的月度报表（列全所有在推进的项目，被拒收的行改正后重报）"
            "即可避免再扣分；逾期后补报不免扣分。")


def days_left(deadline: dt.date, today: dt.date) -> str:
    """The time left to a 督办事项's deadline: '还剩3天', '今天到期', '已逾期2天' (the tasks' own wording)."""
    return tasks.time_left(deadline, today)


def clip(value: object, length: int) -> str:
    """A long text cut to `length` characters with '…' (option labels of a select box)."""
    value = str(value or "")
    return value if len(value) <= length else value[: length - 1] + "…"
