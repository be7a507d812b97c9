"""单元看板: one unit's own page — its score and ranks with the change since last month, the score ledger down to
the projects behind each item, what it lacks against its targets and which projects could close the gap, its
open warnings and projects behind on their updates, and the month's report with the days left to its due date.
Admins and leaders pick any unit (also as `?unit=U01`); a unit user sees its own, whatever it asks for.

On a phone (below widgets.PHONE_PX) it is one column: the cards two by two, the tables as stacked "label: value"
blocks. The ledger's projects, the trend and the files are tabs drawn only when opened (the trend's chart library
and month-ends cost a first view more than the rest of the page)."""
import datetime as dt

import streamlit as st

from pipelines.admin.tasks import TaskRefused
from pipelines.screens import unit as unit_screen
from pipelines.settings import current
from pipelines.vocabulary import WAN_PER_YI
from ui import auth, data, format, plots, widgets

actor = auth.require_actor()
st.set_page_config(layout="wide")
facts = data.facts()
if not facts["projects"]:
    st.title("单元看板")
    widgets.no_data_yet()
    st.stop()

register = data.unit_register(facts["data_version"])
names = dict(zip(register["code"], register["name"]))
codes = list(names)
today = dt.date.today()
head = st.container()  # the title comes first but names the unit picked below it
pick, day, _ = st.columns([2, 1, 3], vertical_alignment="bottom")
# The one place the actor's scope applies, to the URL's ?unit= and to the widget alike: a unit user reads its own
# unit whatever it asks for.
asked = unit_screen.visible_unit(actor, st.query_params.get("unit"), codes)
picked = pick.selectbox("招商单元", codes, index=codes.index(asked), key="unit",
                        format_func=lambda code: f"{names[code]}（{code}）")
as_of = day.date_input("截至日期", value=today, max_value=today, format="YYYY-MM-DD", key="as_of")
unit = unit_screen.visible_unit(actor, picked, codes)
st.query_params["unit"] = unit  # the address names the unit shown, so it can be shared
view = data.unit_page(unit, as_of)

with head:
    st.title(f"单元看板 · {format.text(view.name)}")
    st.caption(f"{view.code} · {format.text(view.group)} · 数据截至 {view.as_of:%Y-%m-%d} · {view.year}年序时进度 "
               f"{format.percent(view.time_progress)} · 排名与得分变化{view.comparison}")
if picked != unit:
    st.info(f"单元用户只能查看本单元的看板，以下是{format.text(view.name)}的情况。")
if view.excellent:
    st.badge("一票评优 · 优秀", icon=":material/workspace_premium:", color="green")
if view.vetoed:
    st.badge(f"一票否优{'：' + view.veto_note if view.veto_note else ''}", icon=":material/block:", color="red")

# ---- headline
card = {"border": True, "height": "stretch"}
cards = widgets.phone_pairs("unit_cards").columns(5)  # two a row on a phone, not five screens of one
cards[0].metric("考核得分", format.points(view.score), **card, **format.score_delta(view.score_change))
cards[1].metric("全县排名", f"第 {view.rank} 名", delta=format.rank_delta(view.rank_change), **card,
                help=f"共 {view.units_ranked} 个单元")
cards[2].metric(f"{view.group}排名", f"第 {view.group_rank} 名", delta=format.rank_delta(view.group_rank_change),
                **card, help=f"组内共 {view.group_units} 个单元")
warned = view.warning_counts
cards[3].metric("在办预警", f"{warned['red'] + warned['yellow']} 条", **card,
                delta=f"红 {warned['red']} · 黄 {warned['yellow']}", delta_color="off", delta_arrow="off")
cards[4].metric("逾期未更新项目", f"{len(view.stale)} 个", **card, help="已过报送截止日仍未报送月度进展的项目",
                delta=f"本年扣分 {format.points(view.deduction)}", delta_color="off", delta_arrow="off")

# ---- the month's report
REPORT_CALLOUT = {unit_screen.ON_TIME: st.success, unit_screen.LATE: st.warning, unit_screen.OPEN: st.info,
                  unit_screen.OVERDUE: st.error}
REPORT_ICON = {unit_screen.ON_TIME: ":material/task_alt:", unit_screen.LATE: ":material/schedule:",
               unit_screen.OPEN: ":material/hourglass_top:", unit_screen.OVERDUE: ":material/error:"}
# Amber when rows were refused: the report arrived, but the projects of those rows count as left out until resent.
callout = st.warning if view.report.rejected and view.report.state == unit_screen.ON_TIME else \
    REPORT_CALLOUT[view.report.state]
callout(format.report_sentence(view.report), icon=REPORT_ICON[view.report.state])
deductions = format.deductions_sentence(view.score_items, current().duty.due_day)
if deductions:
    st.warning(deductions, icon=":material/remove_circle:")

# ---- the unit's 督办事项 still to answer (DOMAIN §10), answered here
open_tasks = [t for t in data.task_list(today, unit) if t.state == "open"] if as_of == today else []
if open_tasks:
    st.subheader(f"待办督办事项（{len(open_tasks)} 项）")
    for task in open_tasks:
        days = (task.deadline - today).days
        with st.expander(f"{task.code} · {format.text(task.title)}　办理期限 {task.deadline:%m月%d日}"
                         f"（{format.days_left(task.deadline, today)}）"
                         + ("　· 影响重大" if task.important else ""), expanded=days <= current().tasks.remind_days,
                         icon=":material/assignment_late:" if days < 0 else ":material/assignment:"):
            if task.requirement:
                st.markdown("办理要求：" + format.text(task.requirement))
            if actor.role == "admin" or actor.unit_code == task.unit:
                with st.form(f"unit_respond_{task.code}", clear_on_submit=True):
                    answer = st.text_area("办理情况", help="写明已做的工作、结果和后续安排（必填），提交后由招商办审核办结")
                    if st.form_submit_button("提交办理情况", type="primary"):
                        try:
                            data.task_act(actor, task.code, "respond", text=answer)
                        except TaskRefused as refused:
                            st.error(format.text(refused))
                        else:
                            st.rerun()

# ---- score and guidance
digits = current().figures.completion_decimals
st.subheader("得分构成")
widgets.stacked_table(format.score_items_table(view.score_items, view.maxima, digits),
                      numeric=("完成", "目标", "完成率", "较序时进度", "得分", "满分"), bars=("得分率",))
st.caption("未下达目标的指标不计分，其余指标的满分按比例折算为100分；权重为0的目标只显示完成进度，不计分。"
           f"完成率为本年累计完成数除以年度目标，较序时进度为完成率减序时进度（{format.percent(view.time_progress)}），"
           "单位为百分点。")
guidance, stale = st.columns([3, 2], gap="large")
with guidance:
    st.subheader("目标差距与建议")
    if not view.lacking:
        st.success("各项目标均已达到或超过序时进度。", icon=":material/check_circle:")
    for gap in view.lacking:
        st.warning(format.gap_sentence(gap, digits), icon=":material/flag:")
        if gap.candidates:
            st.caption(f"可推动的项目（{len(gap.candidates)}个）")
            candidates = format.candidates_table(gap)
            candidates["计划总投资(亿元)"] = candidates["计划总投资(亿元)"].map("{:.2f}".format)
            widgets.stacked_table(candidates, numeric=("计划总投资(亿元)",))
    st.markdown("\n".join(f"- {format.gap_sentence(gap, digits)}" for gap in view.on_track))
with stale:
    st.subheader("逾期未更新项目")
    if view.stale.empty:
        st.success("所有项目均已按期更新。", icon=":material/verified:")
    else:
        widgets.stacked_table(format.stale_table(view.stale), numeric=("落后月数",))

# ---- warnings
st.subheader(f"在办预警（红 {warned['red']} · 黄 {warned['yellow']}）")
if view.warnings.empty:
    st.success("截至当日本单元没有在办预警。", icon=":material/verified:")
else:
    widgets.stacked_table(format.unit_warnings_table(view.warnings), row_classes=format.grade_classes(
        view.warnings["grade"]))

# ---- the ledger's projects, the year month by month, the files: each drawn when its tab is open
TABS = ("得分明细", "月度走势", "报送记录")
tabs = dict(zip(TABS, st.tabs(TABS, key="unit_tab", on_change="rerun")))
with tabs["得分明细"]:
    if tabs["得分明细"].open:
        st.caption("展开各项查看计入的项目。")
        widgets.ledger_expanders(view.score_items, "没有计入的项目。", lazy_key="unit_ledger")
with tabs["月度走势"]:
    if tabs["月度走势"].open:
        rates = current().figures
        st.plotly_chart(plots.trend_figure(data.unit_trend(unit, as_of), {
            "commencement_rate": rates.commencement_target, "stats_rate": rates.stats_target}),
            config={"displayModeBar": False})
        st.caption(f"各月末已知的本年累计新增项目数（考核口径：计划总投资{rates.assess_min_investment_wan / WAN_PER_YI:g}亿元"
                   "以上）与两率；虚线为目标。")
with tabs["报送记录"]:
    if tabs["报送记录"].open:
        if view.submissions.empty:
            st.info("截至当日本单元尚无报送记录。")
        else:
            # Eight columns of a file's history: the grid scrolls sideways inside itself on a phone.
            st.dataframe(format.submissions_table(view.submissions), hide_index=True, width="stretch", height=320,
                         column_config={"说明": st.column_config.TextColumn(width="medium")})
