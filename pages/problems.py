"""问题清单: every project's latest 存在问题 as the units reported it, as of a day — the month it was written for,
whether the project's latest report still says so, whether a 督办事项 covers it and whether the 招商办 has seen it
(已知悉). An admin marks one 已知悉 or turns it into a 督办事项 (source 存在问题, prefilled); leaders read; a unit
user sees its own unit's."""
import datetime as dt

import pandas as pd
import streamlit as st

from pipelines.admin.tasks import TaskRefused
from ui import auth, data, format

actor = auth.require_actor()
scope = actor.unit_scope
st.set_page_config(layout="wide")
st.title("问题清单")

today = dt.date.today()
facts = data.facts()
register = data.unit_register(facts["data_version"])
names = dict(zip(register["code"], register["name"]))

day_col, unit_col, view_col = st.columns([1, 1.5, 2.5], vertical_alignment="bottom")
as_of = day_col.date_input("截至", value=today, max_value=today, format="YYYY-MM-DD", key="problems_day")
unit = None if scope else unit_col.selectbox("单元", [None, *names], key="problems_unit",
                                              format_func=lambda c: "全部单元" if c is None else names.get(c, c))
VIEWS = {"待处理": "最近一期仍报送、尚未交办也未标记已知悉", "最近一期仍在": "项目最近一期报表仍写有该问题",
         "全部": "每个项目最近一次写明的存在问题"}
view = view_col.segmented_control("查看", list(VIEWS), default="待处理", required=True, key="problems_view",
                                  help="；".join(f"{k}：{v}" for k, v in VIEWS.items()))

found = data.problem_list(as_of, scope)
if unit is not None:
    found = found[found["unit_code"] == unit]
covered = found["tasks"].map(bool)
seen = found["acknowledged_by"].notna()
if view == "待处理":
    found = found[found["current"] & ~covered & ~seen]
elif view == "最近一期仍在":
    found = found[found["current"]]

st.caption(f"截至 {as_of:%Y-%m-%d}：共 {len(found)} 个项目。问题来自各单元月度报表的“存在问题”一栏；"
           "“报告期”是写明该问题的月份，若项目之后的报表不再写，说明问题可能已解决。")
if found.empty:
    st.info("没有符合条件的问题。" if view != "待处理" else "没有待处理的问题：最近一期报送的问题都已交办或标记已知悉。")
    st.stop()

table = pd.DataFrame({
    "项目编号": found["project_code"], "项目名称": found["project_name"], "单元": found["unit_name"],
    "报告期": [f"{p:%Y年%m月}" for p in pd.to_datetime(found["period"])],
    "存在问题": found["issues"],
    "最近一期": ["仍在" if c else f"{pd.Timestamp(p):%Y年%m月}未再报送" for c, p in
                 zip(found["current"], found["latest_period"])],
    "督办": ["、".join(t) for t in found["tasks"]],
    "已知悉": [f"{by}（{pd.Timestamp(at):%m-%d}）" if isinstance(by, str) else "" for by, at in
               zip(found["acknowledged_by"], found["acknowledged_at"])],
})
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"存在问题": st.column_config.TextColumn(width="medium"),
                            "项目名称": st.column_config.TextColumn(width="medium")})

message = st.session_state.pop("problem_message", None)
if message:
    (st.error if message[0] == "error" else st.success)(format.text(message[1]))

if actor.role != "admin":
    st.stop()

# ---- one problem: 已知悉 or 转督办 (admins)
rows = {f"{r.project_code}@{pd.Timestamp(r.period):%Y-%m}": r for r in found.itertuples(index=False)}
picked = st.selectbox("处理问题", list(rows), key="problem_pick",
                      format_func=lambda k: f"{rows[k].project_code} · {rows[k].project_name}："
                                            f"{format.clip(rows[k].issues, 40)}")
row = rows[picked]
period = pd.Timestamp(row.period).date()
seen_col, task_col = st.columns([1, 2], gap="large")
with seen_col.form(f"seen_{picked}", clear_on_submit=True):
    st.markdown("**标记已知悉**")
    note = st.text_input("说明（可选）", placeholder="如：已电话了解，单位正在协调")
    if st.form_submit_button("已知悉"):
        try:
            data.acknowledge_problem(actor, row.project_code, period, note)
        except TaskRefused as refused:
            st.session_state["problem_message"] = ("error", str(refused))
        else:
            st.session_state["problem_message"] = ("success", f"已标记已知悉：{row.project_code} {period:%Y年%m月}的存在问题")
        st.rerun()
with task_col.form(f"task_{picked}", clear_on_submit=True):
    st.markdown("**转为督办事项**")
    title = st.text_input("事项标题", value=f"解决{row.project_name}存在的问题")
    requirement = st.text_area("办理要求", value=f"{period:%Y年%m月}报送的存在问题：{row.issues}。请协调解决并反馈办理情况。")
    deadline_col, important_col = st.columns([1, 1], vertical_alignment="bottom")
    deadline = deadline_col.date_input("办理期限", value=today + dt.timedelta(days=14), min_value=today,
                                       format="YYYY-MM-DD")
    important = important_col.checkbox("影响重大", help="影响重大产业项目招引或落地推进：逾期将建议一票否优")
    st.caption(f"责任单位：{format.text(row.unit_name)}")
    if st.form_submit_button("交办", type="primary"):
        try:
            made = data.task_issue(actor, title=title, requirement=requirement, unit=row.unit_code,
                                   project=row.project_code, source="issue", source_period=period,
                                   deadline=deadline, important=important)
        except TaskRefused as refused:
            st.session_state["problem_message"] = ("error", str(refused))
        else:
            st.session_state["problem_message"] = ("success", f"已交办：{made.code} {made.title}（可在督办中心查看）")
        st.rerun()
