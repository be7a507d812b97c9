"""项目详情 (`project?code=ZS000123`): one project as known today — its milestones in a row, its size band and
approval tier, what it reports, the history of its monthly reports with what each changed and which file brought
it, and its warnings. A unit user opens only its own unit's projects; contacts are masked on another unit's projects.
On a phone (below widgets.PHONE_PX) it is one column: cards and milestones two a row, the facts as wrapped lines,
the warnings as stacked blocks; only the history, a genuinely wide table, scrolls sideways inside its grid."""
import datetime as dt

import pandas as pd
import streamlit as st

from pipelines.access import OutOfScope
from ui import auth, data, format, widgets

actor = auth.require_actor()
st.set_page_config(layout="wide")
code = st.query_params.get("code", "").strip()
if not code:
    st.title("项目详情")
    st.info("请从项目库或预警中心点击项目编号打开项目详情。", icon=":material/info:")
    st.stop()

today = dt.date.today()
try:
    view = data.project_page(code, actor, today)  # refuses another unit's project to a unit user
except OutOfScope as refused:
    st.title("项目详情")
    st.error(format.text(refused), icon=":material/block:")
    st.stop()
except LookupError as missing:
    st.title("项目详情")
    st.warning(format.text(missing), icon=":material/search_off:")  # it repeats the address's code
    st.stop()

project = view.project
DAY = "%Y-%m-%d"


def _day(value) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime(DAY)


def _amount(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:,.2f}"


def _text(value) -> str:
    return "—" if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "" else str(value)


# ---- identity and headline
st.title(format.text(view.name))
moved = (f"　·　首报单元 {format.text(view.first_unit_name or view.first_unit_code)}"
         if view.first_unit_code != view.unit_code else "")
st.caption(f"{view.code}　·　{format.text(view.unit_name)}（{view.unit_code}）{moved}　·　{project['industry']}"
           f"{'　·　' + format.text(project['chain']) if isinstance(project['chain'], str) and project['chain'] else ''}"
           f"　·　数据截至 {view.as_of:{DAY}}，最近报告期 {pd.Timestamp(project['period']):%Y-%m}")
cards = widgets.phone_pairs("project_cards").columns(5)
cards[0].metric("所处阶段", view.stage_label, border=True, height="stretch")
cards[1].metric("项目状态", view.status_label, border=True, height="stretch")
cards[2].metric("计划总投资(亿元)", format.yi(project["total_investment_wan"]), border=True, height="stretch")
cards[3].metric("规模档次", view.size_band, border=True, height="stretch")
open_warnings = view.warnings[view.warnings["resolved_at"].isna()]
cards[4].metric("在办预警", f"{len(open_warnings)} 条", border=True, height="stretch")
# The tier's name is too long for a metric card ("分管副县长（县长同意）"): a line of its own under the cards.
st.markdown(f"**审批层级**：{view.approval_tier}", help="按用地面积和产业类别确定的落地审批层级（仅供参考，不作强制）")

# ---- milestones
st.subheader("项目节点")
steps = widgets.phone_pairs("project_steps").columns(len(view.milestones) + 1)
for column, step in zip(steps, view.milestones.itertuples(index=False)):
    with column.container(border=True):
        if step.reached:
            st.markdown(f":green[●] **{step.label}**")
            st.markdown(f"{step.date:{DAY}}")
            st.caption(f"距上一节点 {int(step.days_after_previous)} 天" if pd.notna(step.days_after_previous)
                       else "已达成")
        else:
            st.markdown(f":gray[○] :gray[{step.label}]")
            st.markdown(":gray[未达成]")
            st.caption("—")
with steps[-1].container(border=True):
    st.markdown(":blue[◇] **计划开工**")
    st.markdown(_day(view.planned_start_date) or ":gray[未填报]")
    st.caption("计划日期")

# ---- what it reports, its history, its warnings
facts, reports, warned = st.tabs(["项目信息", f"报送历史（{len(view.history)}）", f"预警（{len(view.warnings)}）"])
with facts:
    left, right = st.columns(2, gap="large")
    with left:
        widgets.field_list({
            "投资方": _text(project["investor"]), "统一社会信用代码": _text(project["investor_uscc"]),
            "是否外资": {True: "是", False: "否"}.get(project["is_foreign"], "—"),
            **{label: _amount(project[field]) for label, field in (
                ("计划总投资(万元)", "total_investment_wan"), ("固定资产投资(万元)", "fixed_investment_wan"),
                ("外资金额(万美元)", "foreign_investment_usd_wan"), ("用地面积(亩)", "land_mu"))}})
    with right:
        widgets.field_list({
            **{label: _amount(project[field]) for label, field in (
                ("年度计划投资(万元)", "annual_plan_wan"), ("累计完成投资(万元)", "invested_to_date_wan"),
                ("累计到位资金(万元)", "funds_in_place_wan"))},
            "包联领导": _text(project["liaison_leader"]), "联系人": _text(project["contact_name"]),
            "联系电话": _text(project["contact_phone"]), "首次登记": _day(view.registered_at) or "—"})
    st.markdown("**本月进展**")
    st.text(_text(project["progress_note"]))
    st.markdown("**存在问题**")
    st.text(_text(project["issues"]))

with reports:
    history = view.history.iloc[::-1]  # newest first
    st.dataframe(pd.DataFrame({
        "报告期": pd.to_datetime(history["period"]).dt.strftime("%Y-%m"),
        "类型": [kind + ("（已被更正）" if superseded else "") for kind, superseded in
               zip(history["kind"], history["superseded"])],
        "本期变化": history["change_text"], "本月进展": history["progress_note"].fillna(""),
        "填报单位": history["unit_name"], "文件": history["file_name"],
        "收到时间": pd.to_datetime(history["received_at"]).dt.strftime("%Y-%m-%d %H:%M"),
        "报送人": history["submitted_by_name"],
    }), hide_index=True, width="stretch", height=min(38 + 35 * len(history), 560),
        column_config={"本期变化": st.column_config.TextColumn(width="large"),
                       "本月进展": st.column_config.TextColumn(width="medium")})
    st.caption("每期与上一期报送相比变化的字段；同一报告期重新报送的文件为“同月更正”，以最后收到的为准。")

with warned:
    if view.warnings.empty:
        st.success("该项目没有预警记录。", icon=":material/verified:")
    else:
        shown = view.warnings
        widgets.stacked_table(pd.DataFrame({
            "状态": ["在办" if pd.isna(r) else "已解除" for r in shown["resolved_at"]],
            "等级": shown["grade_label"], "预警规则": shown["rule_name"], "详情": shown["detail"],
            "起始日期": shown["since"].map(_day), "首次发现": shown["first_seen"].map(_day),
            "解除日期": shown["resolved_at"].map(_day), "确认说明": shown["ack_note"].fillna(""),
        }), row_classes=format.grade_classes(shown["grade"].where(shown["resolved_at"].isna(), "resolved")))
        st.caption("预警的处理与确认请到预警中心。")

