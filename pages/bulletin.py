"""通报编发: an admin picks the report month and 数据截至, reads the 通报's body as it will print, edits 四、存在问题
(drafted from the figures) and 五、下步工作 (the settings' draft), produces the next numbered edition and downloads any
edition kept, byte for byte as it was produced. pipelines.bulletin.editions does the work and refuses anyone else."""
import datetime as dt

import pandas as pd
import streamlit as st

from pipelines.bulletin import editions
from pipelines.bulletin.content import NoUnits, Table, shown
from pipelines.screens import ranking
from ui import auth, data, format, widgets

MIMES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
NUMERALS = "一二三四五"

actor = auth.require_actor()
st.title("通报编发")
if actor.role != "admin":
    st.error("仅系统管理员可用", icon=":material/lock:")
    st.stop()
facts = data.facts()
if not facts["projects"]:
    widgets.no_data_yet()
    st.stop()

# ---- the month and the knowledge day, as 考核排名 picks them (DOMAIN §4)
today = dt.date.today()
first_day = data.first_data_day(facts["data_version"])
period_col, known_col, _ = st.columns([1.2, 1, 3], vertical_alignment="bottom")
known_by = known_col.date_input("数据截至", value=today, min_value=first_day, max_value=today, key="bulletin_known_by",
                                format="YYYY-MM-DD", help="默认今天：统计今天以前收到的全部报表。通报上的日期即此日。")
choices = {p.label: p for p in ranking.periods("month", today, first_day, known_by)}
if not choices:
    st.info(f"还没有可以通报的月份：最早的数据收到于 {first_day:%Y-%m-%d}。")
    st.stop()
period = choices[period_col.selectbox("统计期", list(choices), key="bulletin_period")]
try:
    draft = data.bulletin_preview(period.month, known_by)
except (NoUnits, editions.EditionRefused) as refused:
    st.info(format.text(refused))
    st.stop()


def show(block: object) -> None:
    """A paragraph as text, a table as a grid of the values the document prints."""
    if isinstance(block, Table):
        if block.title:
            st.markdown(f"**{format.text(block.title)}**")
        if not block.rows:
            st.caption(format.text(block.empty))
            return
        grid = pd.DataFrame([[shown(v, c.kind) for v, c in zip(row, block.columns)] for row in block.rows],
                            columns=[c.header for c in block.columns])
        st.dataframe(grid, hide_index=True, width="stretch")
    else:
        st.markdown(format.text(block))


# ---- the preview: 版头 and 一 … 三 as they print; 四 and 五 to edit
masthead = draft.masthead
with st.container(border=True):
    st.markdown(f"### :red[{format.text(masthead.title)}]")
    st.caption(format.text(f"{masthead.number_line} · {masthead.issuer} · {masthead.date_line} · "
                           f"主送：{masthead.recipients}"))
    st.markdown(f"#### {format.text(draft.title)}")
    st.caption(format.text(draft.as_of_line))
    for number, section in zip(NUMERALS, draft.body[:3]):
        st.markdown(f"**{number}、{section.heading}**")
        for block in section.blocks:
            show(block)

key = f"{period.month:%Y-%m}_{known_by:%Y-%m-%d}"  # the drafts follow the month and the day picked
problems = st.text_area("四、存在问题（按数据起草，可修改；每行一段）", value=draft.problems, height=220,
                        key=f"problems_{key}")
next_steps = st.text_area("五、下步工作（每行一段）", value=draft.next_steps, height=160, key=f"next_steps_{key}")
if next_steps.strip() == draft.next_steps.strip():
    st.warning("“下步工作”仍是默认草稿，请按本月工作改写后再生成。",
               icon=":material/edit_note:")
st.caption("附件另页印出：" + "；".join(f"附件{n}.{a.heading}" for n, a in enumerate(draft.annexes, 1))
           + "。Excel 版另含全部明细表和得分明细。")

number = data.read(editions.next_number, known_by.year)
if st.button(f"生成第{number}期通报", type="primary", icon=":material/print:"):
    try:
        made = data.write(editions.produce, actor, period.month, known_by, problems_text=problems,
                          next_steps_text=next_steps)
    except (PermissionError, ValueError) as refused:
        st.error(format.text(refused), icon=":material/error:")
    else:
        st.success(f"已生成{made.label}通报（{made.period.year}年{made.period.month}月，数据截至 "
                   f"{made.known_by:%Y-%m-%d}），可在下方下载。", icon=":material/check_circle:")

# ---- the editions kept
st.subheader("已印发的通报")
kept = data.read(editions.editions)
if not kept:
    st.caption("还没有印发过通报。")
header = st.columns([1.2, 1, 1, 1.4, 1, 1, 1])
for column, label in zip(header, ["期号", "统计期", "数据截至", "印发时间", "印发人", "", ""]):
    column.markdown(f"**{label}**" if label else "")
for edition in kept:
    row = st.columns([1.2, 1, 1, 1.4, 1, 1, 1], vertical_alignment="center")
    row[0].write(edition.label)
    row[1].write(f"{edition.period.year}年{edition.period.month}月")
    row[2].write(f"{edition.known_by:%Y-%m-%d}")
    row[3].write(f"{edition.produced_at:%Y-%m-%d %H:%M}")
    row[4].write(format.text(edition.produced_by))
    for column, fmt, label in ((row[5], "docx", "Word"), (row[6], "xlsx", "Excel")):
        column.download_button(label, data=lambda e=edition, f=fmt: data.read(editions.edition_file, e.year, e.number, f),
                               file_name=edition.file_name(fmt), mime=MIMES[fmt], on_click="ignore",
                               icon=":material/download:", key=f"edition_{edition.year}_{edition.number}_{fmt}")
