"""督办中心: the 督办事项 as they stand today — open, due soon, late, answered and waiting, closed — filtered by unit,
source and importance, each with its requirement and history; the unit answers its own (办理情况), the admin returns,
closes, extends or cancels, and issues new ones by hand. Leaders read everything; a unit user sees its own unit's."""
import datetime as dt

import pandas as pd
import streamlit as st

from pipelines.admin.tasks import (
    ACTION_LABELS,
    SOURCE_LABELS,
    STATE_LABELS,
    TaskRefused,
)
from pipelines.settings import current
from ui import auth, data, format

actor = auth.require_actor()
scope = actor.unit_scope
st.set_page_config(layout="wide")
st.title("督办中心")

today = dt.date.today()
remind_days = current().tasks.remind_days
facts = data.facts()
register = data.unit_register(facts["data_version"])
names = dict(zip(register["code"], register["name"]))
found = data.task_list(today, scope)
# A link from a notification (?code=DB2026-003) opens that task: every view, no filter, the task picked.
linked = st.query_params.get("code")
if linked and any(t.code == linked for t in found) and st.session_state.get("task_linked") != linked:
    st.session_state.update(task_linked=linked, task_view="全部", task_unit=None, task_source=None,
                            task_important=False, task_pick=linked)

# The views of the list: what a reader looks for first.
VIEWS = {
    "办理中": lambda t: t.state == "open",
    "临期": lambda t: t.due_soon(today, remind_days),
    "逾期": lambda t: t.late(today) and t.state in ("open", "responded"),
    "待审核": lambda t: t.state == "responded",
    "已办结": lambda t: t.state == "closed",
    "已撤销": lambda t: t.state == "cancelled",
    "全部": lambda t: True,
}

cards = st.columns(5)
for card, (label, test), hint in zip(cards, list(VIEWS.items())[:4] + [("已办结", VIEWS["已办结"])],
                                     ("未反馈的事项", f"办理期限前{remind_days}天内、尚未反馈",
                                      "过了办理期限仍未反馈，或反馈晚于期限", "单位已反馈、等待管理员办结或退回",
                                      "本年办结的事项")):
    count = sum(1 for t in found if test(t) and (label != "已办结" or t.deadline.year == today.year))
    card.metric(label, f"{count} 项", border=True, help=hint)
st.caption(("本单元的督办事项：请在办理期限前填写办理情况。" if scope else "全县各单元的督办事项。")
           + f"临期：办理期限前{remind_days}天内尚未反馈；逾期：过了期限仍未反馈，或反馈晚于期限（延期后按新期限计算）。")

# ---- 一票否优 proposals: a unit with an important task late (admins decide; nothing is vetoed by itself)
if actor.role == "admin":
    for proposal in data.veto_proposals(today):
        unit_name = names.get(proposal["unit"], proposal["unit"])
        listed = "；".join(f"{t.code}“{format.text(t.title)}”（期限{t.deadline:%m月%d日}）" for t in proposal["tasks"])
        with st.container(border=True):
            st.warning(f"一票否优建议：{format.text(unit_name)}有影响重大的督办事项逾期——{listed}", icon=":material/gavel:")
            with st.form(f"veto_{proposal['unit']}", clear_on_submit=True):
                reason = st.text_input("说明（驳回时必填）")
                confirm_col, dismiss_col, _ = st.columns([1, 1, 4])
                confirmed = confirm_col.form_submit_button("确认一票否优", type="primary")
                dismissed = dismiss_col.form_submit_button("驳回")
                if confirmed or dismissed:
                    try:
                        data.decide_veto(actor, proposal["unit"], "confirmed" if confirmed else "dismissed", today,
                                         reason)
                    except TaskRefused as refused:
                        st.session_state["task_message"] = ("error", str(refused))
                    else:
                        st.session_state["task_message"] = ("success", f"已{'确认' if confirmed else '驳回'}"
                                                                       f"{unit_name}的一票否优建议")
                    st.rerun()

# ---- the list
view = st.segmented_control("查看", list(VIEWS), default="办理中", required=True, key="task_view")
unit_col, source_col, important_col, _ = st.columns([1.5, 1.2, 1, 1.3], vertical_alignment="bottom")
unit = None if scope else unit_col.selectbox("责任单位", [None, *names], key="task_unit",
                                              format_func=lambda c: "全部单元" if c is None else names.get(c, c))
source = source_col.selectbox("来源", [None, *SOURCE_LABELS], format_func=lambda s: "全部来源" if s is None
                              else SOURCE_LABELS[s], key="task_source")
important_only = important_col.toggle("只看影响重大", key="task_important")
shown = [t for t in found if VIEWS[view](t) and (unit is None or t.unit == unit)
         and (source is None or t.source == source) and (not important_only or t.important)]


def _left(task) -> str:
    return "" if task.state in ("closed", "cancelled") else format.days_left(task.deadline, today)


if not shown:
    st.info(f"没有{view}的督办事项。" if view != "全部" else "还没有督办事项。")
else:
    table = pd.DataFrame({
        "编号": [t.code for t in shown], "事项": [t.title for t in shown],
        "责任单位": [names.get(t.unit, t.unit) for t in shown], "项目": [t.project or "" for t in shown],
        "来源": [SOURCE_LABELS[t.source] for t in shown], "重要": ["是" if t.important else "" for t in shown],
        "交办日期": [f"{t.issued_at:%Y-%m-%d}" for t in shown], "办理期限": [f"{t.deadline:%Y-%m-%d}" for t in shown],
        "剩余": [_left(t) for t in shown],
        "状态": [STATE_LABELS[t.state] + ("（逾期）" if t.late(today) else "") for t in shown],
    })
    st.dataframe(table, hide_index=True, width="stretch", column_config={"事项": st.column_config.TextColumn(width="large")})

    # ---- one task: its requirement, history and the actions the reader may take
    by_code = {t.code: t for t in shown}
    code = st.selectbox("查看事项", list(by_code), key="task_pick",
                        format_func=lambda c: f"{c} · {by_code[c].title}（{names.get(by_code[c].unit, by_code[c].unit)}）")
    task = by_code[code]
    with st.container(border=True):
        st.markdown(f"**{format.text(task.title)}**　{format.text(names.get(task.unit, task.unit))} · "
                    f"办理期限 {task.deadline:%Y-%m-%d} · {STATE_LABELS[task.state]}")
        if task.requirement:
            st.markdown("办理要求：" + format.text(task.requirement))
        if task.source == "warning":
            sources = data.task_sources(task)
            st.caption("来源预警：" + "；".join(
                f"{format.text(w['rule_name'])} · {format.text(w['detail'] or w['subject'])}——"
                + (f"**仍未解除**（{w['grade_label']}）" if w["open"] else
                   f"已解除（{pd.Timestamp(w['resolved_at']):%Y-%m-%d}）" if w["resolved_at"] is not None else "已解除")
                for w in sources))
        elif task.source == "issue":
            st.caption(f"来源：{format.text(task.project)} {task.source_period:%Y年%m月}报送的存在问题")
        history = pd.DataFrame([{"时间": f"{h['at']:%Y-%m-%d %H:%M}", "操作": h["label"], "操作人": h["actor"],
                                 "说明": h["text"] or "", "新期限": f"{h['deadline']:%Y-%m-%d}"
                                 if h["deadline"] and h["label"] in ("交办", "延期") else ""} for h in task.history])
        st.dataframe(history, hide_index=True, width="stretch", column_config={"说明": st.column_config.TextColumn(width="large")})

        def _do(action: str, **fields) -> None:
            try:
                data.task_act(actor, task.code, action, **fields)
            except TaskRefused as refused:
                st.session_state["task_message"] = ("error", str(refused))
            else:
                st.session_state["task_message"] = ("success", f"已{ACTION_LABELS[action]}：{task.code}")

        may_respond = task.state == "open" and (actor.role == "admin" or actor.unit_code == task.unit)
        if may_respond:
            with st.form(f"respond_{task.code}", clear_on_submit=True):
                answer = st.text_area("办理情况", help="写明已做的工作、结果和后续安排（必填）")
                if st.form_submit_button("提交办理情况", type="primary"):
                    _do("respond", text=answer)
                    st.rerun()
        if actor.role == "admin" and task.state in ("open", "responded"):
            left, right = st.columns(2, gap="large")
            with left.form(f"review_{task.code}", clear_on_submit=True):
                note = st.text_input("办结说明 / 退回或撤销理由")
                buttons = st.columns(3)
                if task.state == "responded" and buttons[0].form_submit_button("办结", type="primary"):
                    _do("close", text=note)
                    st.rerun()
                if task.state == "responded" and buttons[1].form_submit_button("退回"):
                    _do("return", text=note)
                    st.rerun()
                if buttons[2].form_submit_button("撤销"):
                    _do("cancel", text=note)
                    st.rerun()
            with right.form(f"extend_{task.code}", clear_on_submit=True):
                new_deadline = st.date_input("新的办理期限", value=task.deadline + dt.timedelta(days=7),
                                             min_value=task.deadline + dt.timedelta(days=1), format="YYYY-MM-DD")
                reason = st.text_input("延期理由")
                if st.form_submit_button("延期"):
                    _do("extend", deadline=new_deadline, text=reason)
                    st.rerun()

message = st.session_state.pop("task_message", None)
if message:
    (st.error if message[0] == "error" else st.success)(format.text(message[1]))

# ---- issuing by hand (admins)
if actor.role == "admin":
    with st.expander("手工交办督办事项", icon=":material/add_task:"):
        with st.form("issue_task", clear_on_submit=True):
            title = st.text_input("事项标题（必填）")
            requirement = st.text_area("办理要求")
            cols = st.columns([1.5, 1, 1, 1], vertical_alignment="bottom")
            issue_unit = cols[0].selectbox("责任单位", list(names), format_func=lambda c: names.get(c, c))
            project = cols[1].text_input("项目编号（可选）")
            deadline = cols[2].date_input("办理期限", value=today + dt.timedelta(days=14), min_value=today,
                                          format="YYYY-MM-DD")
            important = cols[3].checkbox("影响重大", help="影响重大产业项目招引或落地推进：逾期将建议一票否优")
            if st.form_submit_button("交办", type="primary"):
                try:
                    made = data.task_issue(actor, title=title, requirement=requirement, unit=issue_unit,
                                           project=project.strip() or None, deadline=deadline, important=important)
                except TaskRefused as refused:
                    st.session_state["task_message"] = ("error", str(refused))
                else:
                    st.session_state["task_message"] = ("success", f"已交办：{made.code} {made.title}")
                st.rerun()
