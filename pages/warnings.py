"""预警中心: the open warnings by grade, rule and unit — pick one for its details, its history and the
acknowledgement form (for an admin also 转为督办事项 and 豁免) — the resolved ones, the exemptions (豁免清单, revoked by
an admin), the scheduler's state and the notification log. A unit user sees its own unit's warnings, exemptions and
channels and may acknowledge its warnings; leaders read everything and acknowledge nothing."""
import datetime as dt

import pandas as pd
import streamlit as st

from alerts import centre, exemptions
from alerts.rules import RULE_BY_ID, RULES
from pipelines import settings
from pipelines.access import OutOfScope
from pipelines.admin.tasks import TaskRefused
from pipelines.screens import project as project_screen
from pipelines.vocabulary import GRADE_LABELS, RED, YELLOW
from ui import auth, data, format

actor = auth.require_actor()
scope = actor.unit_scope  # a unit user reads only its own unit's warnings, whatever the filters say
st.set_page_config(layout="wide")
st.title("预警中心")

GRADE_ROWS = {RED: "background-color: #fdecec; color: #9b1c1c", YELLOW: "background-color: #fff6d5"}
FAILED_ROW = "background-color: #fdecec; color: #9b1c1c"
DAY, MINUTE = "%Y-%m-%d", "%Y-%m-%d %H:%M"
PROJECT_LINK = st.column_config.LinkColumn("项目页", display_text="打开", width="small")
WIDE = st.column_config.TextColumn(width="large")
SHOWN_MAX = 1000  # open warnings listed at once (each row is styled; a province has tens of thousands)
RESOLVED_MAX = 500  # resolved warnings listed, the latest first
EXEMPT_DAYS = 90  # the 豁免至 day the form offers first: this many days from today
ENDED_ROW = "color: #6b7280"  # an exemption no longer in force


def _day(value, fmt: str = DAY) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime(fmt)


def _coloured(shown: pd.DataFrame, styles: list[str]):
    """The table with each row in its style (same order)."""
    return shown.style.apply(lambda row: [styles[row.name]] * len(row), axis=1)


def _links(codes: pd.Series) -> list[str]:
    """The project pages of the warnings about a project ('' for a unit's)."""
    return [project_screen.project_url(code) if isinstance(code, str) else "" for code in codes]


today = dt.date.today()
version = data.warnings_version()
counts = data.warning_counts(scope, today, version)

# ---- header
cards = st.columns(5)
cards[0].metric("红色预警", f"{counts['red']} 条", border=True, help="当前未解除的红色预警")
cards[1].metric("黄色预警", f"{counts['yellow']} 条", border=True, help="当前未解除的黄色预警")
cards[2].metric("今日新增", f"{counts['new_today']} 条", border=True)
cards[3].metric("本周解除", f"{counts['resolved_this_week']} 条", border=True, help="本周一以来条件消除、自动解除的预警")
cards[4].metric("待确认", f"{counts['unacknowledged']} 条", border=True, help="尚无人确认的在办预警")
evaluated = counts["evaluated_at"]
st.caption(("预警规则最近一次评估于 " + _day(evaluated, MINUTE) if evaluated else "预警规则尚未评估")
           + ("　·　本单元的预警与通知" if scope else "　·　全县各单元"))

# ---- filters (a unit user's unit is fixed)
register = data.unit_register(data.facts()["data_version"])
unit_names = dict(zip(register["code"], register["name"]))
by_grade, by_rule, by_unit = st.columns([1, 2, 2])
grades = by_grade.multiselect("预警等级", [RED, YELLOW], format_func=GRADE_LABELS.get, placeholder="全部等级")
rules = by_rule.multiselect("预警规则", [rule.id for rule in RULES], format_func=lambda r: RULE_BY_ID[r].name,
                            placeholder="全部规则")
units = by_unit.multiselect("招商单元", [scope] if scope else list(unit_names), default=[scope] if scope else None,
                            format_func=lambda code: unit_names.get(code, code), placeholder="全部单元",
                            disabled=scope is not None)
chosen = (tuple(grades), tuple(rules), tuple(units))

open_now = data.open_warnings(scope, *chosen, today, version)
labels = [f"在办预警（{len(open_now)}）", "已解除", "豁免清单", *(["调度任务"] if scope is None else []), "通知记录"]
tabs = dict(zip(labels, st.tabs(labels)))


def _history(warning_id: int) -> None:
    """One warning's events as a table."""
    events = data.warning_history(warning_id, scope, version)
    st.dataframe(pd.DataFrame({
        "时间": events["happened_at"].map(lambda t: _day(t, MINUTE)), "事件": events["event_label"],
        "等级": events["grade_label"], "说明": events["detail"], "确认人": events["who_name"].fillna(""),
    }), hide_index=True, width="stretch", column_config={"说明": WIDE})


def _details(warning: pd.Series) -> None:
    """The picked open warning: what, where, since when, its history, and the acknowledgement."""
    rule = RULE_BY_ID[warning["rule"]]
    about, act = st.columns([3, 2], gap="large")
    with about:
        st.subheader(f"{warning['grade_label']}色预警 · {rule.name}")
        st.text(warning["detail"])
        facts = st.columns(4)
        facts[0].caption(f"招商单元\n\n**{warning['unit_name'] or warning['unit_code'] or '—'}**")
        facts[1].caption(f"对象\n\n**{warning['subject_label']}**")
        facts[2].caption(f"起始日期\n\n**{_day(warning['since'])}**（{warning['days_open']} 天）")
        facts[3].caption(f"首次发现\n\n**{_day(warning['first_seen'], MINUTE)}**")
        st.caption(f"规则：{rule.describe(settings.current())}")
        if isinstance(warning["project_code"], str):
            st.link_button("查看项目详情", project_screen.project_url(warning["project_code"]),
                           icon=":material/open_in_new:")
        st.markdown("**处理记录**")
        _history(int(warning["id"]))
    with act:
        if pd.notna(warning["acknowledged_at"]):
            st.info(f"{format.text(warning['acknowledged_by_name'])} 于 {_day(warning['acknowledged_at'], MINUTE)} 确认："
                    f"{format.text(warning['ack_note'])}", icon=":material/task_alt:")
        if not centre.may_acknowledge(actor, warning["unit_code"]):
            st.caption("领导为只读身份，可以查看预警，不能确认。")
            return
        with st.form(f"acknowledge_{warning['id']}", clear_on_submit=True, border=True):
            st.markdown("**确认预警**")
            note = st.text_area("处理说明（必填）", max_chars=centre.NOTE_MAX_CHARS, height=120,
                                placeholder="如：已约谈投资方，计划12月开工；确认后预警仍保留，条件消除时自动解除。")
            if st.form_submit_button("确认", type="primary", icon=":material/done:"):
                try:
                    data.acknowledge_warning(actor, int(warning["id"]), note)
                except (ValueError, LookupError, OutOfScope) as refused:
                    st.error(format.text(refused))
                else:
                    st.toast("已确认该预警", icon=":material/task_alt:")
                    st.rerun()
        if actor.role == "admin":
            _to_task(warning.to_frame().T)
            _exempt(warning)


def _to_task(chosen: pd.DataFrame) -> None:
    """An admin turns one or more open warnings of one unit into a 督办事项 (DOMAIN §10): title, unit, project and
    details prefilled; the task names every warning, so 督办中心 shows whether each is still open."""
    units_of = chosen["unit_code"].dropna().unique().tolist()
    if len(units_of) != 1:
        st.warning("所选预警属于不同单元：督办事项只交办给一个责任单位，请按单元分别选择后交办。",
                   icon=":material/call_split:")
        return
    warning = chosen.iloc[0]
    several = len(chosen) > 1
    projects = chosen["project_code"].dropna().unique().tolist()
    with st.form(f"to_task_{'_'.join(str(i) for i in chosen['id'])}", clear_on_submit=True, border=True):
        st.markdown(f"**将所选 {len(chosen)} 条预警合并为一项督办事项**" if several else "**转为督办事项**")
        title = st.text_input("事项标题", value=(f"{warning['unit_name'] or units_of[0]}{len(chosen)}条预警整改" if several
                                               else f"{warning['rule_name']}：{warning['subject_label']}"))
        requirement = st.text_area("办理要求", height=90 if not several else 150, value="\n".join(
            (f"{n}. " if several else "") + f"{w['rule_name']}：{w['detail'] or w['subject_label']}"
            for n, (_, w) in enumerate(chosen.iterrows(), 1)))
        left, right = st.columns(2, vertical_alignment="bottom")
        deadline = left.date_input("办理期限", value=today + dt.timedelta(days=14), min_value=today,
                                   format="YYYY-MM-DD")
        important = right.checkbox("影响重大", help="影响重大产业项目招引或落地推进：逾期将建议一票否优")
        if st.form_submit_button("交办", icon=":material/assignment_add:"):
            project = projects[0] if len(projects) == 1 else None
            try:
                made = data.task_issue(actor, title=title, requirement=requirement, unit=units_of[0],
                                       project=project, source="warning", source_rule=warning["rule"],
                                       source_subject=warning["subject"], deadline=deadline, important=important,
                                       warnings=list(zip(chosen["rule"], chosen["subject"])))
            except TaskRefused as refused:
                st.error(format.text(refused))
            else:
                st.success(f"已交办 {made.code}：{format.text(made.title)}，可在“督办中心”跟踪。",
                           icon=":material/assignment_turned_in:")


def _exempt(warning: pd.Series) -> None:
    """An admin exempts the warning's rule and object through a day, with a reason (DOMAIN §8)."""
    with st.form(f"exempt_{warning['id']}", clear_on_submit=True, border=True):
        st.markdown("**豁免**")
        st.caption("豁免期内该对象不再产生此项预警、不发通知；到期或撤销后如条件仍成立，将重新预警。")
        until = st.date_input("豁免至（含当日）", value=today + dt.timedelta(days=EXEMPT_DAYS), min_value=today,
                              max_value=today + dt.timedelta(days=exemptions.LONGEST_DAYS), format="YYYY-MM-DD")
        reason = st.text_area("豁免理由（必填）", max_chars=exemptions.REASON_MAX_CHARS, height=90,
                              placeholder="如：项目因合同纠纷诉讼暂停，待法院判决后恢复推进。")
        if st.form_submit_button("豁免", icon=":material/notifications_paused:"):
            try:
                data.grant_exemption(actor, warning["rule"], warning["subject"], until, reason)
            except exemptions.ExemptionRefused as refused:
                st.error(format.text(refused))
            else:
                st.toast(f"已豁免至 {until:%Y-%m-%d}，该预警已解除", icon=":material/notifications_paused:")
                st.rerun()


def _exemptions() -> None:
    """The exemptions in force, then those ended lately; an admin picks one in force to revoke it."""
    listed = data.exemption_list(today, scope)
    if listed.empty:
        st.info(f"没有生效中或近 {exemptions.RECENT_DAYS} 天内结束的豁免。管理员可在“在办预警”中选中一条预警设置豁免。")
        return
    shown = pd.DataFrame({
        "规则": listed["rule_name"], "单元": listed["unit_name"], "对象": listed["subject_label"],
        "豁免至": listed["until"].map(_day), "理由": listed["reason"], "设置人": listed["created_by_name"],
        "设置时间": listed["created_at"].map(lambda t: _day(t, MINUTE)), "状态": listed["state_label"],
        "撤销": [f"{name} {_day(at, MINUTE)}" if isinstance(name, str) else ""
                 for name, at in zip(listed["revoked_by_name"], listed["revoked_at"])],
    })
    admin = actor.role == "admin"
    picked = st.dataframe(_coloured(shown, ["" if state == "active" else ENDED_ROW for state in listed["state"]]),
                          hide_index=True, width="stretch", key="exemption_table",
                          on_select="rerun" if admin else "ignore", selection_mode="single-row",
                          column_config={"理由": WIDE})
    in_force = int((listed["state"] == "active").sum())
    st.caption(f"生效中 {in_force} 条；另列出近 {exemptions.RECENT_DAYS} 天内到期或撤销的豁免。"
               + ("选中一条生效中的豁免可以撤销。" if admin else "豁免由招商办设置和撤销。"))
    rows = picked.selection.rows if admin else []
    if not rows or listed.iloc[rows[0]]["state"] != "active":
        return
    chosen = listed.iloc[rows[0]]
    if st.button(f"撤销豁免：{chosen['rule_name']} · {format.text(chosen['subject_label'])}", icon=":material/undo:"):
        try:
            data.revoke_exemption(actor, int(chosen["id"]))
        except exemptions.ExemptionRefused as refused:
            st.error(format.text(refused))
        else:
            st.toast("已撤销豁免；下次评估时如条件仍成立将重新预警", icon=":material/undo:")
            st.rerun()


with tabs[labels[0]]:
    if open_now.empty:
        st.success("没有符合条件的在办预警。", icon=":material/verified:")
    else:
        if len(open_now) > SHOWN_MAX:  # a province has tens of thousands: the worst first, the filters for the rest
            st.info(f"共 {len(open_now):,} 条在办预警，下表按等级和持续时间列出前 {SHOWN_MAX:,} 条；"
                    "请用上方的等级、规则、单元筛选查看其余预警。", icon=":material/filter_list:")
            open_now = open_now.head(SHOWN_MAX)
        shown = pd.DataFrame({
            "等级": open_now["grade_label"], "预警规则": open_now["rule_name"], "招商单元": open_now["unit_name"],
            "对象": open_now["subject_label"], "详情": open_now["detail"],
            "起始日期": open_now["since"].map(_day), "持续天数": open_now["days_open"],
            "确认": [f"✓ {name}" if pd.notna(name) else "" for name in open_now["acknowledged_by_name"]],
            "项目页": _links(open_now["project_code"]),
        })
        picked = st.dataframe(_coloured(shown, open_now["grade"].map(GRADE_ROWS).tolist()), hide_index=True,
                              width="stretch", height=min(38 + 35 * len(shown), 460), key="open_table",
                              on_select="rerun", selection_mode="multi-row",
                              column_config={"详情": WIDE, "项目页": PROJECT_LINK})
        rows = picked.selection.rows
        if len(rows) == 1:
            _details(open_now.iloc[rows[0]])
        elif rows:
            selected = open_now.iloc[rows]
            st.markdown(f"**已选 {len(rows)} 条预警**：" + "；".join(
                f"{format.text(w['rule_name'])} · {format.text(w['subject_label'])}" for _, w in selected.iterrows()))
            if actor.role == "admin":
                _to_task(selected)
            else:
                st.caption("选中一条预警查看详情、处理记录并确认。")
        else:
            st.caption("点选表格左侧的方框选中一条预警，查看详情、处理记录并确认；管理员可选中同一单元的多条预警，合并交办为一项督办事项。")

with tabs["已解除"]:
    start = st.date_input("解除日期自", value=today - dt.timedelta(days=90), max_value=today, format="YYYY-MM-DD")
    resolved = data.resolved_warnings(scope, *chosen, start, version, RESOLVED_MAX)
    if resolved.empty:
        st.info("该期间没有符合条件的已解除预警。")
    else:
        shown = pd.DataFrame({
            "最高等级": resolved["worst_grade_label"], "预警规则": resolved["rule_name"],
            "招商单元": resolved["unit_name"], "对象": resolved["subject_label"], "详情": resolved["detail"],
            "首次发现": resolved["first_seen"].map(lambda t: _day(t, MINUTE)),
            "解除时间": resolved["resolved_at"].map(lambda t: _day(t, MINUTE)),
            "持续天数": resolved["duration_days"], "确认人": resolved["acknowledged_by_name"].fillna(""),
            "确认说明": resolved["ack_note"].fillna(""), "项目页": _links(resolved["project_code"]),
        })
        picked = st.dataframe(_coloured(shown, resolved["worst_grade"].map(GRADE_ROWS).tolist()), hide_index=True,
                              width="stretch", height=min(38 + 35 * len(shown), 460), key="resolved_table",
                              on_select="rerun", selection_mode="single-row",
                              column_config={"详情": WIDE, "持续天数": st.column_config.NumberColumn(format="%.1f"),
                                             "项目页": PROJECT_LINK})
        st.caption((f"显示最近解除的 {len(resolved)} 条" if len(resolved) >= RESOLVED_MAX else f"共 {len(resolved)} 条")
                   + "；最高等级为存续期间达到过的等级。选中一行查看处理记录。")
        if picked.selection.rows:
            _history(int(resolved.iloc[picked.selection.rows[0]]["id"]))

with tabs["豁免清单"]:
    _exemptions()

if "调度任务" in tabs:
    with tabs["调度任务"]:
        jobs = data.read(centre.scheduler_state, scope)
        if jobs.last_error:
            failure = jobs.last_error
            heading = f"最近一次运行失败：{failure['job_label']}（{_day(failure['started_at'], MINUTE)}）"
            if failure["recovered"]:
                st.warning(heading + "，其后已恢复正常。", icon=":material/history:")
            else:
                st.error(heading, icon=":material/error:")
            st.code(failure["error"], language=None, wrap_lines=True)
        if jobs.running:
            st.success(f"调度器运行中（编号 {jobs.scheduler_id}）：定时评估预警、每日汇总和收件箱载入按计划执行。",
                       icon=":material/schedule:")
        else:
            started = jobs.last_start
            since = f"最近一次启动于 {_day(started['started_at'], MINUTE)}（进程 {started['pid']}）。" if started else ""
            st.warning("本服务进程中没有运行调度器：预警不会自动评估。" + since
                       + "请确认 settings.toml 中 scheduler.enabled 为 true，或另行运行 `python -m alerts`。",
                       icon=":material/pause_circle:")
        st.markdown("**各项任务**")
        if jobs.jobs.empty:
            st.caption("尚无任务记录。")
        else:
            st.dataframe(pd.DataFrame({
                "任务": jobs.jobs["job_label"], "下次运行": jobs.jobs["next_run"].map(lambda t: _day(t, MINUTE)),
                "最近运行": jobs.jobs["started_at"].map(lambda t: _day(t, MINUTE)),
                "结果": jobs.jobs["outcome_label"].fillna(""), "摘要": jobs.jobs["summary"].fillna(""),
            }), hide_index=True, width="stretch", column_config={"摘要": WIDE})
        st.markdown("**最近运行记录**")
        if jobs.runs.empty:
            st.caption("尚无运行记录。")
        else:
            runs = jobs.runs
            st.dataframe(_coloured(pd.DataFrame({
                "任务": runs["job_label"], "开始": runs["started_at"].map(lambda t: _day(t, "%Y-%m-%d %H:%M:%S")),
                "用时(秒)": runs["seconds"], "结果": runs["outcome_label"], "评估截至": runs["as_of"].map(_day),
                "摘要": runs["summary"], "错误": runs["error"].fillna(""),
            }), [FAILED_ROW if outcome == "failed" else "" for outcome in runs["outcome"]]),
                hide_index=True, width="stretch",
                column_config={"用时(秒)": st.column_config.NumberColumn(format="%.1f"), "摘要": WIDE})

with tabs["通知记录"]:
    first, only, _ = st.columns([1, 1, 3])
    failed_first = first.toggle("失败优先", value=True)
    failed_only = only.toggle("只看失败")
    if settings.current().notify.dry_run:
        st.info("当前为通知演练模式：通知只记入发送日志，不会真正发出（可在“系统管理 · 规则与权重 · 通知”中关闭）。", icon=":material/science:")
    log = data.read(centre.notification_log, scope, failed_first=failed_first, failed_only=failed_only)
    st.caption(f"本周发送失败 {counts['failed_notifications']} 次" + ("；仅显示本单元通知渠道的记录。" if scope else "。"))
    if log.empty:
        st.info("没有通知记录。")
    else:
        st.dataframe(_coloured(pd.DataFrame({
            "时间": log["attempted_at"].map(lambda t: _day(t, "%Y-%m-%d %H:%M:%S")), "渠道": log["channel_name"],
            "类型": log["channel_kind_label"], "内容": log["rule_name"], "对象": log["subject"],
            "变化": log["change_label"], "第几次": log["attempt"], "结果": log["outcome_label"],
            "错误": log["error"].fillna(""),
        }), [FAILED_ROW if outcome == "failed" else "" for outcome in log["outcome"]]),
            hide_index=True, width="stretch", column_config={"错误": WIDE})
