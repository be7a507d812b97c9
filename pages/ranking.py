"""考核排名: the assessment ranking of a month, quarter or year, overall and per group, with rank and score
changes, 一票评优 / 一票否优, one unit's score ledger down to its projects, and the 通报 and 过堂材料 of the chosen day."""
import datetime as dt

import streamlit as st

from pipelines.access import OutOfScope
from pipelines.bulletin import files, hearing
from pipelines.screens import ranking
from pipelines.settings import current
from ui import auth, data, format, widgets

actor = auth.require_actor()
scope = actor.unit_scope  # a unit user sees every unit's rank and score, but only its own unit's ledger

st.title("考核排名")
facts = data.facts()
if not facts["projects"]:
    widgets.no_data_yet()
    st.stop()

# ---- the period: the report for a month (DOMAIN §4), known by today unless an admin reproduces an earlier edition
today = dt.date.today()
first_day = data.first_data_day(facts["data_version"])
kind_col, period_col, known_col, _ = st.columns([1.35, 1.2, 1, 1.6], vertical_alignment="bottom")
kind = kind_col.segmented_control("考核周期", list(ranking.PERIOD_KINDS), format_func=ranking.PERIOD_KINDS.get,
                                  default="month", required=True, key="period_kind")
known_by = today
if scope is None:
    known_by = known_col.date_input("数据截至", value=today, min_value=first_day, max_value=today,
                                    key="known_by", format="YYYY-MM-DD",
                                    help="默认今天：统计今天以前收到的全部报表。选择以前的某一天，可重现当天印发的排名与通报。")
choices = {p.label: p for p in ranking.periods(kind, today, first_day, known_by)}
if not choices:
    st.info(f"还没有可以排名的{ranking.PERIOD_KINDS[kind]}统计期：最早的数据收到于 {first_day:%Y-%m-%d}。")
    st.stop()
period = choices[period_col.selectbox("统计期", list(choices), key=f"period_{kind}")]
as_of = period.as_of

# ---- downloads, made on click: the 通报 (admins and leaders), the 过堂材料 (filled in below, once the names are read)
bulletin_area, hearing_area = st.columns([1, 1.3], vertical_alignment="bottom")
if scope is not None:  # a unit user has no 通报: its 过堂材料 stands first
    hearing_area = bulletin_area
else:
    with bulletin_area:
        st.caption(f"招商引资项目推进情况通报（{period.label}" + ("" if period.known_by is None else
                   f"，数据截至 {period.known_by:%Y-%m-%d}") + "）")
        word, excel = st.columns(2)
        for column, fmt, label, icon, mime in (
            (word, "docx", "下载通报（Word）", ":material/description:",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (excel, "xlsx", "下载通报（Excel）", ":material/table_view:",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ):
            column.download_button(label, data=lambda fmt=fmt: data.bulletin_file(as_of, fmt, scope, period.known_by),
                                   file_name=files.file_name(as_of, fmt, period.known_by), mime=mime, icon=icon,
                                   on_click="ignore", width="stretch", key=f"bulletin_{fmt}")

result = data.period_ranking(period, scope)
if result.table.empty:
    st.info("尚无招商单元名录，无法排名。请先载入单元名录和年度目标。")
    st.stop()

# 过堂材料 (one page per unit for the review meeting): every unit for admins and leaders, a unit user's own page
with hearing_area:
    st.caption(f"过堂材料（{period.label}，每单元一页）")
    formats = (("docx", "过堂材料（Word）", ":material/article:"),
               ("zip", "过堂材料（每单元一份，zip）", ":material/folder_zip:"))
    for column, (fmt, label, icon) in zip(st.columns([1, 1.35] if scope is None else [1.6, 1]),
                                          formats if scope is None else formats[:1]):
        column.download_button(
            label, data=lambda fmt=fmt: data.hearing_file(as_of, fmt, scope, period.known_by),
            file_name=hearing.file_name(as_of, fmt, None if scope is None else result.names.get(scope)),
            mime=hearing.FORMATS[fmt], icon=icon, on_click="ignore", width="stretch", key=f"hearing_{fmt}")
known_text = "" if period.known_by is None else f"，计入 {period.known_by:%Y-%m-%d} 以前收到的报表"
st.caption(
    f"{ranking.PERIOD_KINDS[kind]}排名：截至 {as_of:%Y-%m-%d} 的{result.year}年累计考核得分{known_text}"
    f"（序时进度 {format.percent(result.time_progress)}），排名与得分变化{period.comparison}。"
    "考核得分在年度内从1月1日起累计，月度、季度、年度排名的区别只在统计截至日和比较日。")
if result.not_reported:
    month = period.month
    before_due = period.known_by is not None and period.known_by <= result.due_date
    names = "、".join(format.text(name) for name in result.not_reported)
    (st.info if before_due else st.warning)(
        f"{month.year}年{month.month}月报表{'截止日为' if before_due else '已于'} {result.due_date:%m月%d日}"
        f"{'' if before_due else '截止'}，尚未报送的单元（{len(result.not_reported)} 个）：{names}。"
        + ("本排名在其报送后会变化。" if before_due else "逾期未报按每月扣分。"))
overall = result.overall or {}
st.caption(f"全县本年报送率 {format.percent(overall.get('reporting_rate'))}、及时率 "
           f"{format.percent(overall.get('on_time_rate'))}（应报 {overall.get('reports_expected', 0)} 份，"
           f"已报 {overall.get('reports_received', 0)} 份，按时 {overall.get('reports_on_time', 0)} 份）。")

# ---- highlights
cards = st.columns(4)
boxed = {"border": True, "height": "stretch"}
picked = result.highlights
if scope is not None:
    mine = result.unit(scope)
    cards[0].metric(f"本单元 · {format.text(mine['name'])}", f"全县第 {mine['rank']} 名",
                    delta=format.rank_delta(mine["rank_change"]),
                    help=f"得分 {format.points(mine['score'])}；{format.text(mine['group'])}第 {mine['group_rank']} 名",
                    **boxed)
else:
    cards[0].metric(f"总分第一 · {format.text(picked['top']['name'])}", f"{format.points(picked['top']['score'])} 分",
                    **boxed)
# Unit names are too long for a metric's value (they were cut off): each card names its unit in the label.
excellent = "、".join(format.text(name) for name in result.excellent)
cards[1].metric(f"一票评优 · {excellent}" if excellent else "一票评优", "优秀" if excellent else "暂无", **boxed)
for card, title, unit in ((cards[2], "得分上升最多", picked["gained"]), (cards[3], "得分下降最多", picked["lost"])):
    if unit is None:
        card.metric(title, "无", help=period.comparison, **boxed)
    else:
        card.metric(f"{title} · {format.text(unit['name'])}", f"{format.points(unit['score'])} 分",
                    delta=format.points_delta(unit["score_change"]),
                    help=format.score_reasons(unit["reasons"]) or None, **boxed)

# ---- the ranking, overall and per group
own = None if scope is None else result.unit(scope)["name"]
numbers = {name: st.column_config.TextColumn(alignment="right") for name in format.ranking_text_numbers()}
scored = format.scored_indicators(result.table)  # the same columns in every tab
tabs = st.tabs(["全县排名", *result.groups])
with tabs[0]:
    st.dataframe(format.ranking_table(result.table, own=own, detail=scope is None, indicators=scored),
                 hide_index=True, width="stretch", column_config=numbers)
for tab, group in zip(tabs[1:], result.groups):
    with tab:
        st.dataframe(format.ranking_table(result.in_group(group), in_group=True, own=own, detail=scope is None,
                                          indicators=scored), hide_index=True, width="stretch", column_config=numbers)
st.caption(("各指标列为该项得分，括号内为其满分（指标权重）；未下达目标的指标记“—”、不计分，该单元其余指标的满分按比例"
            "折算至合计100分；没有单元计分的指标不列出；"
            if scope is None else
            "单元用户可查看各单元的排名、得分与两率，本单元的分项得分见下方得分明细；")
           + "得分相同时按签约金额、单元编码排序；变化列 ▲ 上升、▼ 下降、— 持平或不比较。")
for note in result.notes:
    (st.success if note.startswith("一票评优") else st.warning)(note)

# ---- 完成进度: every unit against every target the county has (a unit user: its own unit)
st.subheader("完成进度")
progress = result.progress
if progress is None or progress.empty:
    st.caption("本年尚未下达年度目标。")
else:
    digits = current().figures.completion_decimals
    right = {name: st.column_config.TextColumn(alignment="right") for name in ("完成", "年度目标", "完成率", "较序时进度")}
    labels = format.progress_targets(progress)
    for tab, target in zip(st.tabs(list(labels.values())), labels):
        with tab:
            st.dataframe(format.target_progress_table(progress, target, digits), hide_index=True, width="stretch",
                         column_config=right)
    st.caption(f"完成率为本年累计完成数除以年度目标，较序时进度为完成率减序时进度（{format.percent(result.time_progress)}），"
               "单位为百分点；未下达该项目标的单元记“—”。" + ("" if scope is None else "单元用户只能查看本单元的完成进度。"))

# ---- who gained and lost points, and why
st.subheader("得分变化")
if result.compare_as_of is None:
    st.info(f"本期不比较得分变化：{period.comparison}。")
else:
    st.caption(f"{period.comparison}，各单元得分的变化及其原因（按考核项目列出变动的分值）。")
    sides = zip(st.columns(2, gap="large"), ("得分上升", "得分下降"), (result.gained, result.lost))
    for column, title, movers in sides:
        with column.container(border=True):
            st.markdown(f"**{title}**（{len(movers)} 个单元）")
            st.markdown(format.score_movers(movers) if len(movers) else "无。")

# ---- one unit's ledger, down to the projects behind each item
st.subheader("得分明细")
names = result.names
unit = st.columns(3)[0].selectbox("招商单元", [scope] if scope is not None else list(names), key="ledger_unit",
                                  format_func=lambda code: names.get(code, code),
                                  help=None if scope is None else "单元用户只能查看本单元的得分明细")
try:
    ledger = data.unit_ledger(as_of, unit, scope, facts["data_version"], period.known_by)
except OutOfScope as refused:
    st.error(format.text(refused))
    st.stop()
st.markdown(f"**{format.text(ledger.name)}**（{format.text(ledger.group)}）　得分 **{format.points(ledger.score)}**　"
            f"全县第 {ledger.rank} 名 · 组内第 {ledger.group_rank} 名")
widgets.ledger_expanders(ledger.items, "没有涉及的项目。")
