"""项目库: every project as of a chosen day, filtered by unit, stage, industry, size band and status."""
import datetime as dt

import streamlit as st

from pipelines import state
from pipelines.vocabulary import INDUSTRIES, MILESTONES, SIZE_BANDS, STATUSES
from ui import auth, data, format

actor = auth.require_actor()
scope = actor.unit_scope  # a unit user reads only its own unit, whatever the filters say
st.title("项目库")
facts = data.facts()
if not facts["projects"]:
    st.info("尚无项目数据。请上传各单元的月度项目进展表，或运行 `python -m pipelines.demo` 载入演示县数据。")
    st.stop()

today = dt.date.today()
top = st.columns([1, 2, 2])
as_of = top[0].date_input("截至日期", value=today, max_value=today, format="YYYY-MM-DD")
text = top[1].text_input("搜索", placeholder="项目名称、编号或投资方")
register = data.unit_register(facts["data_version"])
unit_names = dict(zip(register["code"], register["name"]))
units = top[2].multiselect("招商单元", [scope] if scope else list(unit_names), default=[scope] if scope else None,
                          format_func=lambda c: unit_names[c], placeholder="全部单元")

row = st.columns(4)
stage_labels = {m.id: m.label for m in MILESTONES}
stages = row[0].multiselect("所处阶段", list(stage_labels), format_func=stage_labels.get, placeholder="全部阶段")
industries = row[1].multiselect("产业类别", list(INDUSTRIES), placeholder="全部产业")
bands = row[2].multiselect("规模档次", [b.label for b in SIZE_BANDS], placeholder="全部规模")
statuses = row[3].multiselect("项目状态", list(STATUSES), format_func=STATUSES.get, placeholder="全部状态")

projects = data.projects_as_of(as_of, scope, facts["data_version"])
shown = state.filter_projects(projects, units=units, stages=stages, industries=industries, size_bands=bands,
                              statuses=statuses, text=text)
summary = state.library_summary(shown)

metrics = st.columns(4)
metrics[0].metric("项目数", f"{summary['projects']:,}")
metrics[1].metric("计划总投资(亿元)", format.yi(summary["total_investment_wan"]))
metrics[2].metric("已签约", f"{summary['signed']:,}")
metrics[3].metric("已开工", f"{summary['commenced']:,}")

st.dataframe(
    format.library_table(shown),
    hide_index=True,
    width="stretch",
    column_config={"计划总投资(亿元)": st.column_config.NumberColumn(format="%.2f")},
)
st.caption(f"截至 {as_of:%Y-%m-%d} 已收到的报送；最近一次报送于 {facts['last_received_at'] or '—'}。")
