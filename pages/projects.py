"""项目库: every project as of a chosen day with its open warnings and months behind, filtered by unit, stage,
industry, size band, status, warnings and staleness; each row opens the project's page; the filtered table
downloads as Excel (contacts masked for everyone but admins)."""
import datetime as dt

import streamlit as st

from pipelines.screens import project as project_screen
from pipelines.store import state
from pipelines.vocabulary import INDUSTRIES, MILESTONES, SIZE_BANDS, STATUSES
from ui import auth, data, format, widgets

actor = auth.require_actor()
scope = actor.unit_scope  # a unit user reads only its own unit, whatever the filters say
st.title("项目库")
facts = data.facts()
if not facts["projects"]:
    widgets.no_data_yet()
    st.stop()

today = dt.date.today()
top = st.columns([1, 2, 2])
as_of = top[0].date_input("截至日期", value=today, max_value=today, format="YYYY-MM-DD", key="as_of")
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
marks = st.columns([1, 1, 4], vertical_alignment="center")
warned = marks[0].toggle("只看有预警的项目", help="截至所选日期仍在办的红、黄预警")
stale = marks[1].toggle("只看逾期未更新", help="按月报送义务，截至所选日期仍未收到应报月份的进展")

projects = data.library(as_of, scope, facts["data_version"])
shown = project_screen.filter_library(projects, warned=warned, stale=stale, units=units, stages=stages,
                                      industries=industries, size_bands=bands, statuses=statuses, text=text)
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
    column_config={"计划总投资(亿元)": st.column_config.NumberColumn(format="%.2f"),
                   "逾期月数": st.column_config.NumberColumn(help="应报而未收到进展的月数，0 为按时更新"),
                   "详情": st.column_config.LinkColumn(display_text="打开", width="small")},
)
caption, download = st.columns([4, 1], vertical_alignment="center")
caption.caption(f"截至 {as_of:%Y-%m-%d} 已收到的报送；最近一次报送于 {facts['last_received_at'] or '—'}。"
                + ("" if project_screen.sees_contacts(actor, actor.unit_code) else "导出文件中的联系人与联系电话已脱敏。"))
download.download_button("导出 Excel", data=lambda: project_screen.library_workbook(shown, actor, as_of),
                         file_name=f"项目库_{as_of:%Y%m%d}.xlsx", icon=":material/download:", on_click="ignore",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", width="stretch")
