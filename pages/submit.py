"""数据填报: hand in the month's 月度项目进展表 — download the blank or the prefilled template, upload the workbook,
read the check (rejected rows with row, column and reason; warnings; the changes against the last report) before
anything is stored, confirm to load, and follow every file sent in the history with the rows refused and why.
Unit users submit for their own unit only; admins for any unit, with a received date for back-filling."""
import datetime as dt
import functools

import streamlit as st

from pipelines.ingest import desk
from pipelines.months import due_date
from pipelines.settings import current
from ui import auth, data, format, widgets

actor = auth.require_actor()
st.set_page_config(layout="wide")
st.title("数据填报")
if not actor.may_submit:
    st.warning("领导账户只能查看数据，不能报送月度项目进展表。报送由各招商单元填报员或招商办管理员完成。",
               icon=":material/lock:")
    st.stop()

# How many report months the pickers offer, and how many files the history lists.
MONTHS_OFFERED = 36
HISTORY_ROWS = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SEVERITY_LABELS = {"error": "拒收", "warning": "提示"}
MODES = {"amend": "补充更正（默认）", "replace": "整表替换"}  # DOMAIN §3
# Each group of changes shows the columns that say something about it.
CHANGE_COLUMNS = {
    "新项目": ["unit_code", "project_code", "project_name"],
    "本期未报": ["unit_code", "project_code", "project_name", "before"],
    "被拒收": ["unit_code", "project_code", "project_name", "before"],
    "整表替换后移出": ["unit_code", "project_code", "project_name", "before"],
}
CHANGE_HEADERS = {"change": "变化", "unit_code": "单元", "project_code": "项目编号", "project_name": "项目名称",
                  "field": "项目", "before": "原值", "after": "新值"}

scope = actor.unit_scope  # a unit user's files are its own unit's, whatever a widget says
facts = data.facts()
register = data.unit_register(facts["data_version"])
names = dict(zip(register["code"], register["name"]))
codes = [scope] if scope else list(names)
today = dt.date.today()
due = desk.period_due(today)
months = desk.report_months(today, MONTHS_OFFERED)


def month_label(month: dt.date | None, blank: str = "") -> str:
    return blank if month is None else f"{month.year}年{month.month}月"


def unit_label(code: str | None, blank: str = "") -> str:
    return blank if code is None else f"{names.get(code, code)}（{code}）"


def problem_table(problems) -> None:
    """Problems found in a file: row, column, reason (and the sheet when the file has several)."""
    st.dataframe(problems.rename(columns={"sheet": "工作表", "row": "行号", "column": "列", "reason": "原因"}),
                 hide_index=True, width="stretch",
                 column_order=(["工作表"] if problems["sheet"].nunique() > 1 else []) + ["行号", "列", "原因"],
                 column_config={"原因": st.column_config.TextColumn(width="large")})


deadline = due_date(due, current().duty.due_day)
who = unit_label(scope) if scope else "招商办管理员：可为任一单元报送，或补录历史报送"
st.caption(f"{who} · 本月应报 {month_label(due)}进展，报送截止 {deadline.month}月{deadline.day}日")

# ---- the month's reports of every unit, and 催报 (admins: before the due day the bureau chases who has not sent)
if not scope:
    with st.container(border=True):
        st.subheader(f"本月报送情况 · {month_label(due)}进展（截止 {deadline.month}月{deadline.day}日）")
        reports = data.month_reports(today)
        owing = reports[reports["owes"] | (reports["files"] > 0)]
        waiting = owing[owing["state"] == "not_received"]
        st.caption(f"应报 {len(owing)} 个单元：按时已报 {int((owing['state'] == 'received_on_time').sum())} 个，"
                   f"逾期已报 {int((owing['state'] == 'received_late').sum())} 个，尚未报送 {len(waiting)} 个。"
                   f"截止日前 {current().duty.remind_days_before} 天起，系统每天提醒尚未报送的单元一次。")
        st.dataframe(format.month_reports_table(owing), hide_index=True, width="stretch")
        if len(waiting):
            chase, send_col = st.columns([3, 1], vertical_alignment="bottom")
            chosen = chase.multiselect("催报单元", waiting["code"].tolist(), default=waiting["code"].tolist(),
                                       format_func=unit_label, key="remind_units")
            if send_col.button("立即催报", icon=":material/campaign:", disabled=not chosen, width="stretch",
                               key="remind_now"):
                sent = data.send_reminders(today, chosen, actor)
                lacking = [unit_label(code) for code in sent["without_channel"]]
                st.success(f"已向 {len(sent['reminded'])} 个单元发出催报。" + (
                    f"其中 {'、'.join(lacking)} 没有通知渠道，请在“系统管理”添加或电话催报。" if lacking else ""),
                    icon=":material/campaign:")

# ---- ① the template
with st.container(border=True):
    st.subheader("① 下载模板")
    picks = st.columns([1, 1.5, 1, 1], vertical_alignment="bottom")
    period = picks[0].selectbox("报告期", months, index=months.index(due), format_func=month_label,
                                key="template_period")
    if scope or not codes:
        unit = scope
        picks[1].text_input("填报单位", unit_label(scope, "—"), disabled=True)
    else:
        unit = picks[1].selectbox("填报单位", codes, format_func=unit_label, key="template_unit")
    picks[2].download_button("空白模板", functools.partial(data.template_file, None, None), mime=XLSX,
                             file_name="招商引资项目月度进展表（空白模板）.xlsx", on_click="ignore",
                             icon=":material/draft:", width="stretch")
    picks[3].download_button("预填模板", functools.partial(data.template_file, unit, period), mime=XLSX,
                             file_name=f"{names.get(unit, '')}{month_label(period)}招商引资项目推进情况表.xlsx",
                             on_click="ignore", icon=":material/download:", type="primary", width="stretch",
                             disabled=unit is None)
    st.caption("预填模板列出该单位截至报告期末在报的项目（已终止、已于此前投产的除外）并保留项目编号：请逐项核对、"
               "更新为本期末的状态，新项目写在表末空行，项目编号留空。表头请勿改动，填写要求见“填表说明”工作表。")

# ---- ② upload and check
with st.container(border=True):
    st.subheader("② 上传并校验")
    generation = st.session_state.setdefault("submit_generation", 0)
    left, right = st.columns([3, 2], gap="large")
    uploaded = widgets.workbook_uploader(
        "月度项目进展表", f"submit_upload_{generation}", left,
        help="xlsx、xls 或 csv。用系统模板最稳妥；本单位自己的表格只要表头能识别也可以。")
    with right:
        file_period = st.selectbox("报告期（文件中没有“报告期”列时）", [None, *months],
                                   format_func=lambda m: month_label(m, "以文件中的报告期为准"),
                                   help="不选时按文件的“报告期”列；没有该列时按表头上方标题（或文件名）中的月份，"
                                        "如“城关街道2024年10月招商引资项目推进情况表”")
        if scope:
            file_unit, received_day = scope, None
            st.text_input("填报单位", unit_label(scope), disabled=True, help="单元用户只能报送本单位的项目")
        else:
            file_unit = st.selectbox("填报单位（文件中没有“填报单位”列时）", [None, *codes],
                                     format_func=lambda c: unit_label(c, "以文件中的填报单位为准"),
                                     help="不选时按文件的“填报单位”列；没有该列时按标题（或文件名）中的单元名称")
            received_day = st.date_input("收到日期", value=today, max_value=today, format="YYYY-MM-DD",
                                         help="补录历史报送时，填写招商办当时收到文件的日期；“截至某日”的数据按此日期计算")
        mode = st.radio("同一报告期已报送过时", list(MODES), format_func=MODES.get, horizontal=True, key="submit_mode",
                        help="补充更正：只需上传改正或新增的行，未列出的项目保留原报送。整表替换：以本文件为准，"
                             "未列出的项目从本月报表中移出（校验结果会列出这些项目）。")

    if uploaded is not None:
        upload = desk.Upload(uploaded.name, uploaded.getvalue())
        # The bytes are kept under their digest, so that confirming loads exactly the file that was checked.
        st.session_state["submit_files"] = {upload.digest: upload}
        options = {"period": file_period, "unit_code": file_unit, "mode": mode}
        key = (upload.digest, file_period, file_unit, received_day, mode, facts["data_version"])
        checked = st.session_state.get("submit_preview")
        if checked is None or checked[0] != key:
            with st.spinner("正在校验文件…"):
                preview = data.check_upload(upload, actor, received=desk.received_at(received_day, dt.datetime.now()),
                                            **options)
            st.session_state["submit_preview"] = (key, preview)
        preview = st.session_state["submit_preview"][1]
        report = preview.report

        def confirm() -> None:
            """Load the checked bytes with the options they were checked with; show the result below."""
            kept = st.session_state["submit_files"][upload.digest]
            st.session_state["submit_result"] = data.load_upload(
                kept, actor, received=desk.received_at(received_day, dt.datetime.now()), **options)
            st.session_state["submit_generation"] = generation + 1
            st.session_state.pop("submit_preview", None)
            st.session_state.pop("submit_files", None)

        if report.status == "duplicate":
            st.info(f"{format.text(report.message)}。如需更正，请修改后上传新的文件。", icon=":material/content_copy:")
        elif report.status == "rejected":
            st.error(f"整份文件无法载入：{format.text(report.message)}", icon=":material/block:")
        else:
            summary = f"可载入 {report.rows_loaded} 行，拒收 {report.rows_rejected} 行"
            if report.warnings:
                summary += f"，另有 {len(report.warnings)} 处提示"
            st.markdown(f"#### {summary}")
            st.caption(f"文件：{format.text(upload.file_name)} · 以上为校验结果，确认载入之前不会保存任何数据。")
            for note in report.notes:
                st.info(format.text(note), icon=":material/info:")
            if report.rows_rejected:
                st.error(f"{report.rows_rejected} 行未通过校验，确认后不会载入，相应项目在改正重报前计为漏报。"
                         "请按原因改正后重新上传（可只上传改正的行，作为补充更正）。", icon=":material/error:")
                problem_table(desk.problems_frame(report.rejections))
            if report.warnings:
                st.warning(f"{len(report.warnings)} 处需要核实（不影响载入）：", icon=":material/warning:")
                problem_table(desk.problems_frame(report.warnings))

            st.markdown("**与上次报送相比**")
            groups = desk.change_groups(preview.changes)
            titles = {label: f"{label}（{len(found)}）" for label, found in groups.items()}
            first = next((title for label, title in titles.items() if len(groups[label])), None)
            tabs = st.tabs(list(titles.values()), default=first)
            for tab, (label, found) in zip(tabs, groups.items()):
                with tab:
                    if found.empty:
                        st.caption("没有此类变化。")
                        continue
                    columns = CHANGE_COLUMNS.get(label, ["unit_code", "project_code", "project_name", "field",
                                                         "before", "after"])
                    if scope:
                        columns = [c for c in columns if c != "unit_code"]
                    if label == "日期更正":
                        columns = ["change", *columns]
                    st.dataframe(found[columns].rename(columns=CHANGE_HEADERS), hide_index=True, width="stretch")
                    if label == "本期未报":
                        st.caption("这些项目上期在报、本月尚未报送。若项目仍在推进，请补进表中；已终止的请在“项目状态”"
                                   "填写终止后上报，不要直接删除。")
                    elif label == "被拒收":
                        st.caption("这些项目本次的行未通过校验、不会载入：请按上方原因改正后重新报送，否则将计为漏报。")
                    elif label == "整表替换后移出":
                        st.caption("整表替换后，这些项目将从本月报表中移出、退回上一期的报送。若只是更正个别项目，"
                                   "请改选“补充更正”。")

            st.button(f"确认载入 {report.rows_loaded} 行", type="primary", icon=":material/cloud_upload:",
                      disabled=report.rows_loaded == 0, on_click=confirm, key="submit_confirm")
            if report.rows_loaded == 0:
                st.caption("没有可载入的行：请改正后重新上传。")

# ---- ③ the result and the history
st.subheader("③ 报送结果与记录")
result = st.session_state.get("submit_result")
if result is not None:
    if result.status == "loaded":
        st.success(f"已载入：第{result.submission_id}号报送《{format.text(result.file)}》，载入 {result.rows_loaded} 行，"
                   f"拒收 {result.rows_rejected} 行。项目库、驾驶舱和排名已按新数据更新。", icon=":material/task_alt:")
    elif result.status == "duplicate":
        st.info(format.text(result.message), icon=":material/content_copy:")
    else:
        st.error(f"整份文件无法载入：{format.text(result.message)}", icon=":material/block:")

history_unit = scope
if not scope:
    history_unit = st.selectbox("单元", [None, *codes], format_func=lambda c: unit_label(c, "全部单元"),
                                key="history_unit")
history = data.submission_history(history_unit, HISTORY_ROWS, facts["data_version"])
if history.empty:
    st.info("还没有报送记录。")
    st.stop()
st.dataframe(
    history.fillna({"message": ""}), hide_index=True, width="stretch", height=min(38 + 35 * len(history), 420),
    column_order=["id", "received_at", "period", *([] if scope else ["unit_name"]), "file_name", "status_label",
                  "rows_loaded", "rows_rejected", "rows_warned", "submitter", "message"],
    column_config={
        "id": st.column_config.NumberColumn("编号", format="%d", width="small"),
        "received_at": st.column_config.DatetimeColumn("收到时间", format="YYYY-MM-DD HH:mm"),
        "period": st.column_config.DateColumn("报告期", format="YYYY-MM", width="small"),
        "unit_name": st.column_config.TextColumn("填报单位"),
        "file_name": st.column_config.TextColumn("文件", width="large"),
        "status_label": st.column_config.TextColumn("状态"),
        "rows_loaded": st.column_config.NumberColumn("载入行数", width="small"),
        "rows_rejected": st.column_config.NumberColumn("拒收行数", width="small"),
        "rows_warned": st.column_config.NumberColumn("提示行数", width="small"),
        "submitter": st.column_config.TextColumn("报送人"),
        "message": st.column_config.TextColumn("说明", width="medium"),
    },
)
if len(history) == HISTORY_ROWS:
    st.caption(f"仅列出最近 {HISTORY_ROWS} 份文件。")

troubled = desk.with_problems(history)
if troubled.empty:
    st.caption("以上文件均无拒收行或提示。")
    st.stop()
ids = troubled["id"].tolist()
labels = {row.id: f"第{row.id}号 · {row.file_name} · {row.status_label}，拒收 {row.rows_rejected} 行、提示 {row.rows_warned} 行"
          for row in troubled.itertuples()}
latest = result.submission_id if result is not None else None
chosen = st.selectbox("查看报送问题", ids, index=ids.index(latest) if latest in ids else 0, format_func=labels.get,
                      key=f"history_problems_{latest}")  # a new load starts on its own problems
picked = troubled[troubled["id"] == chosen].iloc[0]
if picked["status"] == "rejected":
    st.error(f"整份文件被退回：{format.text(picked['message'])}", icon=":material/block:")
else:
    found = data.submission_problems(int(chosen), history_unit, facts["data_version"])
    st.dataframe(found.assign(severity=found["severity"].map(SEVERITY_LABELS)), hide_index=True, width="stretch",
                 column_order=["severity", "sheet", "row_number", "column_name", "reason"],
                 column_config={"severity": st.column_config.TextColumn("类型", width="small"),
                                "sheet": st.column_config.TextColumn("工作表", width="small"),
                                "row_number": st.column_config.NumberColumn("行号", width="small"),
                                "column_name": st.column_config.TextColumn("列"),
                                "reason": st.column_config.TextColumn("原因", width="large")})
