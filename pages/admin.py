"""系统管理: the unit register, accounts, annual targets, rule thresholds and score weights, 一票否优, notification
channels, 集成 (big-screen links and API tokens), the audit log and the backup — for the bureau's admins only. Every
change is made and audited by pipelines.admin.register, pipelines.admin.overrides, pipelines.admin.users,
pipelines.admin.screen_links and pipelines.admin.tokens, which refuse anyone else."""
import datetime as dt
import functools
from pathlib import Path

import pandas as pd
import streamlit as st

from alerts import channels
from pipelines import template
from pipelines.admin import overrides, register, screen_links, tokens, users
from pipelines.ingest.columns import COLUMNS_BY_KIND
from pipelines.ingest.desk import Upload
from pipelines.settings import SettingsError, current
from pipelines.store import state
from pipelines.vocabulary import TARGET_FIELDS, UNIT_KINDS
from ui import auth, data, format, widgets

actor = auth.require_actor()
st.title("系统管理")
if actor.role != "admin":
    st.error("仅系统管理员可用", icon=":material/lock:")
    st.stop()

TABS = ["单元", "用户", "目标任务", "规则与权重", "一票否优", "通知渠道", "集成", "审计日志", "备份"]
YEARS_OFFERED = 4  # targets and flags can be set for the next year and the three before the current one
TARGETS_PER_ROW = 5  # target inputs side by side in the 目标任务 form
NOTICE = "admin_notice"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TARGET_LABELS = {c.id: c.header for c in COLUMNS_BY_KIND["targets"]}
ROBOT_GUIDE = Path(__file__).resolve().parents[1] / "docs" / "robot_setup.md"  # 如何添加群机器人, a document to edit
today = dt.date.today()


def done(message: str, secret: str | None = None) -> None:
    """Say what was done at the top of the tab after the rerun (with a password or token to copy, shown once)."""
    st.session_state[NOTICE] = (message, secret)
    st.rerun()


def attempt(change, *args, **kwargs) -> tuple[bool, object]:
    """Make one change: (True, what it returned), or (False, None) with the refusal shown in Chinese where the
    form is."""
    try:
        return True, data.write(change, *args, **kwargs)
    except (ValueError, LookupError, SettingsError) as refused:
        st.error(format.text(refused), icon=":material/error:")
        return False, None


def notice() -> None:
    shown = st.session_state.pop(NOTICE, None)
    if shown:
        message, secret = shown
        st.success(message, icon=":material/check_circle:")
        if secret:
            st.code(secret, language=None)
            st.caption("请立即复制并安全地交给使用人：关闭或刷新页面后不会再显示。")


def upload_box(kind: str, label: str, key: str) -> None:
    """A workbook of `kind` uploaded and loaded through the same checks as a file sent on the 数据填报 page."""
    with st.expander(f"上传{label}", icon=":material/upload_file:"):
        file = widgets.workbook_uploader(label, key, label_visibility="collapsed")
        if file is not None and st.button("载入", key=f"{key}_load", type="primary"):
            ok, report = attempt(register.load_workbook, actor, Upload(file.name, file.getvalue()), kind)
            if not ok:
                return
            if report.status == "loaded" and not report.rows_rejected:
                done(f"已载入 {format.text(file.name)}：{report.rows_loaded} 行")
            elif report.status == "loaded":
                st.warning(f"已载入 {report.rows_loaded} 行，拒收 {report.rows_rejected} 行：")
                st.dataframe([{"行号": p.row, "列": p.column, "原因": p.reason} for p in report.rejections],
                             hide_index=True, width="stretch", placeholder="")
            else:
                st.error(format.text(report.message) if report.message else "文件未载入")


def shown_message(shown: channels.ShownMessage) -> None:
    """A message as its channel shows it: drawn as the robot draws it next to its exact text (e-mail and the
    webhook: the text only, as they do not render Markdown)."""
    if shown.title is not None:
        st.caption(f"标题：{format.text(shown.title)}")
    if shown.markdown:
        drawn, raw = st.columns(2, gap="medium")
        with drawn.container(border=True):
            st.markdown(shown.text)
        raw.code(shown.text, language=None, wrap_lines=True)
    else:
        st.code(shown.text, language=None, wrap_lines=True)


def message_preview(channel_id: int, name: str) -> None:
    """消息预览: the channel's latest messages as logged, each with when and how it went, and the message it would
    get now for the open warnings."""
    with st.container(border=True):
        st.markdown(f"**消息预览 · {format.text(name)}**")
        logged = data.read(channels.latest_messages, actor, channel_id)
        if not logged:
            st.caption("这个渠道还没有发送记录。")
        for i, message in enumerate(logged):
            label = f"{message.first_attempted_at:%Y-%m-%d %H:%M} · {message.outcome_label}"
            with st.expander(label + (f" · {message.shown.title}" if message.shown.title else ""), expanded=i == 0):
                if message.attempts > 1:
                    st.caption(f"共尝试 {message.attempts} 次，最近一次 {message.last_attempted_at:%Y-%m-%d %H:%M}")
                if message.error:
                    st.error(f"发送失败：{format.text(message.error)}", icon=":material/error:")
                shown_message(message.shown)
        sample = data.read(channels.preview_message, actor, channel_id, today, dt.datetime.now())
        with st.expander("按当前预警生成的示例", expanded=not logged):
            if not sample:
                st.write("当前没有这个渠道会收到的在办预警：有新的预警时才会给它发消息。")
            for n, part in enumerate(sample, 1):
                if len(sample) > 1:
                    st.markdown(f"**第 {n}/{len(sample)} 条**")
                shown_message(part)
            st.caption("领导渠道为每日预警汇总；其他渠道为它会收到的全部在办预警（按新增）。示例不会发送，也不记入发送日志。")


units = data.read(state.unit_register)
unit_names = dict(zip(units["code"], units["name"]))


def unit_label(code: str) -> str:
    return f"{unit_names.get(code, code)}（{code}）"


years = list(range(today.year + 1, today.year - YEARS_OFFERED + 1, -1))
tabs = dict(zip(TABS, st.tabs(TABS, key="admin_tab", on_change="rerun")))

# ---- 单元: the unit register
with tabs["单元"]:
    if tabs["单元"].open:
        notice()
        st.dataframe(units.rename(columns={"code": "单元编码", "name": "单元名称", "kind": "单元类型",
                                           "assess_group": "考核组别"}), hide_index=True, width="stretch", placeholder="")
        groups = sorted(set(units["assess_group"]))
        edit, add = st.columns(2, gap="large")
        with edit.container(border=True):
            st.markdown("**修改单元**")
            code = st.selectbox("单元", list(unit_names), format_func=unit_label, key="unit_pick")
            if code is not None:
                row = units.set_index("code").loc[code]
                with st.form(f"unit_edit_{code}", border=False):
                    name = st.text_input("单元名称", row["name"])
                    kind = st.selectbox("单元类型", UNIT_KINDS, index=UNIT_KINDS.index(row["kind"]))
                    group = st.selectbox("考核组别", groups, index=groups.index(row["assess_group"]),
                                         accept_new_options=True, help="可直接输入新的组别")
                    if st.form_submit_button("保存修改", type="primary"):
                        ok, changed = attempt(register.edit_unit, actor, code, name, kind, group or "")
                        if ok:
                            done(f"已修改单元 {code}" if changed else "没有改动")
        with add.container(border=True):
            st.markdown("**新增单元**")
            with st.form("unit_add", border=False, clear_on_submit=True):
                new_code = st.text_input("单元编码", placeholder="如 U09")
                new_name = st.text_input("单元名称")
                new_kind = st.selectbox("单元类型", UNIT_KINDS, index=None, placeholder="选择单元类型")
                new_group = st.selectbox("考核组别", groups, index=None, accept_new_options=True,
                                         placeholder="选择或输入新的组别")
                if st.form_submit_button("新增", type="primary"):
                    if attempt(register.add_unit, actor, new_code, new_name, new_kind or "", new_group or "")[0]:
                        done(f"已新增单元 {new_code.strip()}")
        upload_box("units", "单元名录表", "units_upload")
        st.caption("单元名录的每次修改都记入审计日志；单元编码一经使用不能修改。")

# ---- 用户: accounts
with tabs["用户"]:
    if tabs["用户"].open:
        notice()
        accounts = data.read(register.accounts, actor)
        st.dataframe(
            accounts.assign(role=accounts["role"].map(auth.ROLE_LABELS),
                            unit_code=accounts["unit_code"].map(unit_label, na_action="ignore"),
                            demo=accounts["demo"].map({True: "是", False: ""})),
            hide_index=True, width="stretch", placeholder="",
            column_config={"username": "账号", "display_name": "名称", "role": "身份", "unit_code": "单元",
                           "state": "状态", "demo": "演示密码",
                           "last_login_at": st.column_config.DatetimeColumn("最近登录", format="YYYY-MM-DD HH:mm"),
                           "created_at": st.column_config.DatetimeColumn("创建时间", format="YYYY-MM-DD HH:mm")})
        manage, create = st.columns(2, gap="large")
        with manage.container(border=True):
            st.markdown("**管理账户**")
            states = dict(zip(accounts["username"], accounts["state"]))
            name = st.selectbox("账户", list(states), key="account_pick")
            if name is not None:
                buttons = st.columns(3)
                if buttons[0].button("重置密码", key="account_reset", width="stretch"):
                    ok, password = attempt(register.reset_password, actor, name)
                    if ok:
                        done(f"已重置 {name} 的密码，其已登录的会话均已退出。新密码：", password)
                disabled = states[name] == "已停用"
                if buttons[1].button("启用" if disabled else "停用", key="account_toggle", width="stretch",
                                     disabled=name == actor.name):
                    if attempt(users.set_disabled, actor, name, not disabled)[0]:
                        done(f"已{'启用' if disabled else '停用'}账户 {name}")
                if buttons[2].button("解除锁定", key="account_unlock", width="stretch",
                                     disabled=states[name] != "已锁定"):
                    if attempt(users.unlock, actor, name)[0]:
                        done(f"已解除 {name} 的锁定")
                st.caption("重置密码会生成新密码并只显示一次；停用的账户不能登录，其会话立即结束。")
        with create.container(border=True):
            st.markdown("**新建账户**")
            with st.form("account_add", border=False, clear_on_submit=True):
                left, right = st.columns(2)
                username = left.text_input("账号（登录名）", placeholder="如 wangli")
                display = right.text_input("名称", placeholder="如 王丽 或 城东街道填报员")
                role = left.selectbox("身份", list(auth.ROLE_LABELS), format_func=auth.ROLE_LABELS.get)
                unit = right.selectbox("单元（仅单元用户）", list(unit_names), index=None, format_func=unit_label,
                                       placeholder="选择单元")
                if st.form_submit_button("新建", type="primary"):
                    ok, password = attempt(register.create_account, actor, username, display, role, unit)
                    if ok:
                        done(f"已新建账户 {username.strip().lower()}。初始密码：", password)

# ---- 目标任务: annual targets
with tabs["目标任务"]:
    if tabs["目标任务"].open:
        notice()
        year = st.columns(4)[0].selectbox("年度", years, index=years.index(today.year), format_func=lambda y: f"{y}年",
                                          key="target_year")
        table = data.read(register.target_table, actor, year)
        st.dataframe(table, hide_index=True, width="stretch", placeholder="", column_config={
            "code": "单元编码", "name": "单元名称", "assess_group": "考核组别",
            **{register.shown_target(c): st.column_config.NumberColumn(TARGET_LABELS[c], format="%g")
               for c in TARGET_FIELDS},
            "received_at": st.column_config.DatetimeColumn("设定时间", format="YYYY-MM-DD HH:mm"),
            "submitted_by": "设定人"})
        with st.container(border=True):
            st.markdown(f"**设定 {year} 年目标**")
            code = st.selectbox("单元", list(unit_names), format_func=unit_label, key="target_unit")
            if code is not None:
                current_row = table.set_index("code").loc[code]
                with st.form(f"targets_{year}_{code}", border=False):
                    boxes = [box for _ in range(0, len(TARGET_FIELDS), TARGETS_PER_ROW)
                             for box in st.columns(TARGETS_PER_ROW)]
                    values = {}
                    for column, box in zip(TARGET_FIELDS, boxes):
                        shown = current_row[register.shown_target(column)]
                        money = column in register.MONEY_TARGETS
                        values[column] = box.number_input(
                            TARGET_LABELS[column], min_value=0.0 if money else 0, step=0.1 if money else 1,
                            value=None if pd.isna(shown) else (float(shown) if money else int(shown)),
                            format="%g" if money else "%d", placeholder="未下达")
                    if st.form_submit_button("保存目标", type="primary") and \
                            attempt(register.set_targets, actor, year, code, values)[0]:
                        done(f"已设定 {unit_label(code)} {year} 年目标")
            st.caption("签约金额、本年完成投资以亿元填写，其余为项目个数。留空的指标视为未下达目标，不计分，其余指标权重按比例"
                       "折算为100分；填0表示本年不作要求，该项得满分；新纳统、签约规模分档和本年完成投资默认权重为0，只显示完成进度，在“规则与权重”中设定权重后计分。"
                       "每次保存新增一条记录，以最近一次为准，历史记录保留，可按“截至日期”重现。")
        st.download_button(f"下载{year}年度目标任务表（已列出各单元现行目标）",
                           functools.partial(data.read, template.targets_template_bytes, year),
                           file_name=f"{year}年度目标任务表.xlsx", mime=XLSX, on_click="ignore",
                           icon=":material/download:", key="targets_template")
        upload_box("targets", "年度目标任务表", "targets_upload")

# ---- 规则与权重: settings overrides
with tabs["规则与权重"]:
    if tabs["规则与权重"].open:
        notice()
        entries = data.read(overrides.entries)
        st.caption(f"修改保存后立即生效：各页面在下次刷新时按新设置计算，预警在下一次定时评估（每 "
                   f"{current().scheduler.evaluate_interval_minutes:g} 分钟）时按新阈值更新。"
                   "数据库路径、密钥等只能在设置文件或环境变量中配置。")
        for section, title in overrides.SECTIONS.items():
            rows = [{"设置": e.label, "说明": e.setting.note, "设置文件值": e.setting.shown(e.file_value),
                     "当前值": e.setting.shown(e.value), "修改人": e.changed_by or "", "修改时间": e.changed_at}
                    for e in entries if e.section == section]
            with st.expander(f"{title}（{len(rows)} 项，已修改 {sum(bool(r['修改人']) for r in rows)} 项）",
                             expanded=section == "warnings"):
                st.dataframe(rows, hide_index=True, width="stretch", placeholder="", height="content", column_config={
                    "设置": st.column_config.TextColumn(width="large"), "说明": st.column_config.TextColumn(width="medium"),
                    "设置文件值": st.column_config.TextColumn(width="medium"),
                    "当前值": st.column_config.TextColumn(width="medium"),
                    "修改时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
        with st.container(border=True):
            st.markdown("**修改设置**")
            by_name = {e.name: e for e in entries}
            picked = by_name[st.selectbox("设置", list(by_name), key="setting_pick",
                                          format_func=lambda n: f"{overrides.SECTIONS[by_name[n].section]} · "
                                                                f"{by_name[n].label}")]
            setting = picked.setting
            with st.form(f"setting_{picked.name}", border=False):
                if setting.choices:
                    value = st.selectbox("新值", list(setting.choices), index=list(setting.choices).index(picked.value),
                                         format_func=setting.choices.get)
                elif picked.kind == "bool":
                    value = st.radio("新值", [True, False], index=0 if picked.value else 1, horizontal=True,
                                     format_func=setting.shown)
                elif picked.kind == "str":
                    value = st.text_area("新值", value=picked.value, height=120 if "\n" in picked.value else 68)
                else:
                    value = setting.from_screen(st.number_input(
                        f"新值（{setting.unit}）" if setting.unit else "新值", value=setting.on_screen(picked.value),
                        step=1 if picked.kind == "int" else None, format=None if picked.kind == "int" else "%g"))
                st.caption(f"设置文件值：{setting.shown(picked.file_value)}；当前值：{setting.shown(picked.value)}"
                           + (f"（{picked.changed_by} 于 {picked.changed_at:%Y-%m-%d %H:%M} 修改）" if picked.changed_by else "")
                           + (f"。{setting.note}" if setting.note else ""))
                save, reset, _ = st.columns([1, 2, 5])
                if save.form_submit_button("保存", type="primary") and \
                        attempt(overrides.set_override, actor, picked.section, picked.key, value)[0]:
                    done(f"已将“{picked.label}”改为 {setting.shown(value)}")
                if reset.form_submit_button("恢复为设置文件的值", disabled=picked.changed_by is None) and \
                        attempt(overrides.clear_override, actor, picked.section, picked.key)[0]:
                    done(f"“{picked.label}”已恢复为设置文件的值 {setting.shown(picked.file_value)}")

# ---- 一票否优
with tabs["一票否优"]:
    if tabs["一票否优"].open:
        notice()
        year = st.columns(4)[0].selectbox("年度", years, index=years.index(today.year), format_func=lambda y: f"{y}年",
                                          key="veto_year")
        proposals = data.veto_proposals(today) if year == today.year else []
        for proposal in proposals:  # decided on 督办中心 (pages/tasks.py), where the tasks are
            listed = "；".join(f"{t.code}“{format.text(t.title)}”" for t in proposal["tasks"])
            st.warning(f"一票否优建议待处理：{format.text(unit_label(proposal['unit']))}——影响重大的督办事项逾期：{listed}。"
                       "请到“督办中心”确认或驳回。", icon=":material/gavel:")
        flags = data.read(register.veto_table, actor, year)
        if flags.empty:
            st.info(f"{year} 年没有单元被一票否优。")
        else:
            st.dataframe(flags, hide_index=True, width="stretch", placeholder="", column_config={
                "unit_code": "单元编码", "name": "单元名称", "note": st.column_config.TextColumn("原因", width="large"),
                "set_by": "设定人", "set_at": st.column_config.DatetimeColumn("设定时间", format="YYYY-MM-DD HH:mm")})
        flag, lift = st.columns(2, gap="large")
        with flag.container(border=True):
            st.markdown("**设定一票否优**")
            with st.form(f"veto_set_{year}", border=False, clear_on_submit=True):
                code = st.selectbox("单元", list(unit_names), format_func=unit_label)
                reason = st.text_area("原因", placeholder="如：未完成县委县政府交办的招商任务", height=80)
                if st.form_submit_button("设定", type="primary"):
                    if attempt(register.set_veto, actor, year, code, reason)[0]:
                        done(f"已设定 {unit_label(code)} {year} 年一票否优")
        with lift.container(border=True):
            st.markdown("**取消一票否优**")
            if flags.empty:
                st.write(f"{year} 年没有可取消的一票否优。")
            else:
                code = st.selectbox("单元", list(flags["unit_code"]), format_func=unit_label, key=f"veto_lift_{year}")
                if st.button("取消", key="veto_clear"):
                    if attempt(register.clear_veto, actor, year, code)[0]:
                        done(f"已取消 {unit_label(code)} {year} 年一票否优")
            st.caption("被一票否优的单元当年不能评为优秀（一票评优），排名与得分不受影响。")

# ---- 通知渠道
with tabs["通知渠道"]:
    if tabs["通知渠道"].open:
        notice()
        if current().notify.dry_run:
            st.info("当前处于试运行（通知演练模式）：预警通知和每日汇总只记入发送日志，不会真正发出；“发送测试消息”总是真实发送。"
                    "可在“规则与权重 · 通知”中关闭试运行。", icon=":material/science:")
        else:
            st.caption("通知正式发送中：预警变化和每日汇总会真实发往各个启用的渠道。")
        channel_list = data.read(channels.channel_table, actor)
        if channel_list.empty:
            st.info("还没有通知渠道：预警只在系统内显示，不会发往钉钉、企业微信或邮箱。")
        else:
            st.dataframe(
                channel_list.assign(kind=channel_list["kind"].map(channels.KIND_LABELS),
                                    audience=channel_list["audience"].map(channels.AUDIENCE_LABELS),
                                    unit_code=channel_list["unit_code"].map(unit_label, na_action="ignore"),
                                    enabled=channel_list["enabled"].map({True: "启用", False: "停用"}),
                                    signed=channel_list["signed"].map({True: "已设置", False: ""}),
                                    last_outcome=channel_list["last_outcome"].map(channels.OUTCOME_LABELS)),
                hide_index=True, width="stretch", placeholder="",
                column_config={"id": "编号", "name": "名称", "kind": "类型", "target": "地址", "signed": "加签密钥",
                               "audience": "接收", "unit_code": "单元", "enabled": "状态", "last_outcome": "最近发送",
                               "last_attempted_at": st.column_config.DatetimeColumn("最近发送时间",
                                                                                    format="YYYY-MM-DD HH:mm")})
        manage, add = st.columns(2, gap="large")
        with manage.container(border=True):
            st.markdown("**管理渠道**")
            enabled = dict(zip(channel_list["id"], channel_list["enabled"]))
            names = dict(zip(channel_list["id"], channel_list["name"]))
            if not names:
                st.write("还没有通知渠道：请在右侧添加。")
            else:
                channel = st.selectbox("渠道", list(names), format_func=lambda i: f"{i} · {names[i]}",
                                       key="channel_pick")
                buttons = st.columns(2)
                if buttons[0].button("发送测试消息", key="channel_test", width="stretch"):
                    ok, delivery = attempt(channels.send_test_message, actor, int(channel))
                    if ok and delivery["outcome"] == "failed":
                        st.error(f"测试消息发送失败（尝试 {delivery['attempts']} 次）：{format.text(delivery['error'])}")
                    elif ok:
                        done(f"测试消息：{channels.OUTCOME_LABELS[delivery['outcome']]}（渠道 {names[channel]}）")
                if buttons[1].button("停用" if enabled[channel] else "启用", key="channel_toggle", width="stretch"):
                    if attempt(channels.set_channel_enabled, actor, int(channel), not enabled[channel])[0]:
                        done(f"已{'停用' if enabled[channel] else '启用'}渠道 {names[channel]}")
            st.caption("停用的渠道不再收到任何通知；测试消息不论渠道启用与否、系统是否处于试运行，都会真实发送。")
        with add.container(border=True):
            st.markdown("**添加渠道**")
            with st.form("channel_add", border=False, clear_on_submit=True):
                left, right = st.columns(2)
                name = left.text_input("名称", placeholder="如 城东街道招商群")
                kind = right.selectbox("类型", list(channels.KIND_LABELS), format_func=channels.KIND_LABELS.get)
                target = st.text_input("地址", placeholder="机器人或 Webhook 的网址；电子邮件填收件地址，多个用逗号分隔")
                secret = st.text_input("加签密钥（仅钉钉机器人，可留空）", type="password")
                left, right = st.columns(2)
                audience = left.selectbox("接收", list(channels.AUDIENCE_LABELS),
                                          format_func=channels.AUDIENCE_LABELS.get)
                unit = right.selectbox("单元（接收本单元预警时）", list(unit_names), index=None, format_func=unit_label,
                                       placeholder="选择单元")
                if st.form_submit_button("添加", type="primary"):
                    if attempt(channels.add_channel, actor, name, kind, target, audience, unit, secret)[0]:
                        done(f"已添加渠道 {name.strip()}，可用“发送测试消息”检查")
        if names:
            message_preview(int(channel), names[channel])
        with st.expander("如何添加群机器人（钉钉、企业微信、浙政钉）", icon=":material/help:"):
            st.markdown(ROBOT_GUIDE.read_text(encoding="utf-8"))

# ---- 集成: big-screen links and API tokens
with tabs["集成"]:
    if tabs["集成"].open:
        notice()
        st.subheader("大屏链接", divider="gray")
        st.caption("会商室、大厅的屏幕用大屏链接一直显示领导驾驶舱（全县或某个单元），不用登录，也不会过期。它只能看大屏，"
                   "不能打开其他页面或修改数据。屏幕不再使用或链接外泄时在这里撤销，屏幕下次刷新即不再显示数据。"
                   "链接只在创建时显示一次。")
        links = data.read(screen_links.list_links, current().screen.refresh_seconds)
        links["scope"] = links["unit_name"].fillna("全县")
        if links.empty:
            st.info("还没有大屏链接。")
        else:
            st.dataframe(
                links.assign(state=links["state"].map(screen_links.STATE_LABELS)),
                hide_index=True, width="stretch", placeholder="", height="content",
                column_order=["id", "label", "scope", "shown", "state", "last_seen_at", "created_by", "created_at",
                              "revoked_at"],
                column_config={"id": "编号", "label": "屏幕", "scope": "范围", "shown": "链接密钥开头", "state": "状态",
                               "created_by": "创建人",
                               "last_seen_at": st.column_config.DatetimeColumn("最近显示", format="YYYY-MM-DD HH:mm"),
                               "created_at": st.column_config.DatetimeColumn("创建时间", format="YYYY-MM-DD HH:mm"),
                               "revoked_at": st.column_config.DatetimeColumn("撤销时间", format="YYYY-MM-DD HH:mm")})
        create, revoke = st.columns(2, gap="large")
        with create.container(border=True):
            st.markdown("**创建大屏链接**")
            with st.form("screen_add", border=False, clear_on_submit=True):
                label = st.text_input("屏幕", placeholder="如 三楼会商室大屏")
                scope = st.selectbox("范围", [None, *unit_names], format_func=lambda c: "全县" if c is None else unit_label(c))
                if st.form_submit_button("创建", type="primary"):
                    ok, secret = attempt(screen_links.create_link, actor, label, scope)
                    if ok:
                        done(f"已创建大屏链接“{label.strip()}”。在这块屏幕的浏览器中打开下面的地址（可设为浏览器主页并全屏）：",
                             screen_links.address(auth.site_address(), secret))
        with revoke.container(border=True):
            st.markdown("**撤销大屏链接**")
            showing = links[links["state"] != "revoked"].set_index("id")
            if showing.empty:
                st.write("没有可撤销的大屏链接。")
            else:
                link_id = st.selectbox("大屏链接", list(showing.index), key="screen_pick", format_func=lambda i: (
                    f"{i} · {showing.loc[i, 'label']} · {showing.loc[i, 'scope']}"
                    f"（{showing.loc[i, 'shown']}…）"))
                if st.button("撤销", key="screen_revoke") and \
                        attempt(screen_links.revoke_link, actor, int(link_id))[0]:
                    done(f"已撤销大屏链接 {link_id}：该屏幕下次刷新时显示“{screen_links.REVOKED}”")
            st.caption("撤销后立即失效，不能恢复；需要时可为同一块屏幕重新创建链接。“使用中”表示这块屏幕最近仍在显示大屏。")
        st.subheader("API 令牌", divider="gray")
        listed = data.read(tokens.list_tokens)
        st.caption("供技术人员使用：程序（如单元的报送脚本）调用 HTTP API 时以令牌代表某个账户，权限与该账户在页面上相同。"
                   "不用程序对接的单位不需要令牌。")
        if listed.empty:
            st.info("还没有 API 令牌。")
        else:
            st.dataframe(
                listed.assign(state=listed["state"].map(tokens.STATE_LABELS)), hide_index=True, width="stretch",
                placeholder="", height="content",
                column_order=["id", "username", "display_name", "label", "shown", "state", "created_at", "created_by",
                              "expires_at", "last_used_at"],
                column_config={"id": "编号", "username": "账号", "display_name": "名称", "label": "用途",
                               "shown": "令牌开头", "state": "状态", "created_by": "创建人",
                               "created_at": st.column_config.DatetimeColumn("创建时间", format="YYYY-MM-DD HH:mm"),
                               "expires_at": st.column_config.DatetimeColumn("到期时间", format="YYYY-MM-DD HH:mm"),
                               "last_used_at": st.column_config.DatetimeColumn("最近使用", format="YYYY-MM-DD HH:mm")})
        create, revoke = st.columns(2, gap="large")
        with create.container(border=True):
            st.markdown("**创建令牌**")
            with st.form("token_add", border=False, clear_on_submit=True):
                owner = st.selectbox("代表的账户", list(data.read(register.accounts, actor)["username"]))
                label = st.text_input("用途", placeholder="如 城东街道报送脚本")
                expires = st.date_input("有效期至（含当日；留空为长期有效）", value=None, min_value=today,
                                        format="YYYY-MM-DD")
                if st.form_submit_button("创建", type="primary"):
                    ok, token = attempt(tokens.create_token, actor, owner, label, expires_at=None if expires is None
                                        else dt.datetime.combine(expires + dt.timedelta(days=1), dt.time()))
                    if ok:
                        done(f"已为 {owner} 创建令牌。请求时放在请求头 Authorization: Bearer … 中：", token)
        with revoke.container(border=True):
            st.markdown("**撤销令牌**")
            active = listed[listed["state"] != "revoked"].set_index("id")
            if active.empty:
                st.write("没有可撤销的令牌。")
            else:
                token_id = st.selectbox("令牌", list(active.index), key="token_pick", format_func=lambda i: (
                    f"{i} · {active.loc[i, 'username']} · {active.loc[i, 'label']}（{active.loc[i, 'shown']}…）"))
                if st.button("撤销", key="token_revoke"):
                    if attempt(tokens.revoke_token, actor, int(token_id))[0]:
                        done(f"已撤销令牌 {token_id}")
            st.caption("令牌以所代表账户的身份和单元范围调用 HTTP API；撤销后立即失效，不能恢复。")

# ---- 审计日志
with tabs["审计日志"]:
    if tabs["审计日志"].open:
        names, actions = data.read(register.audit_choices, actor)
        filters = st.columns([1, 1, 1.4])
        who = filters[0].selectbox("操作人", names, index=None, placeholder="全部")
        action = filters[1].selectbox("操作", actions, index=None, placeholder="全部",
                                      format_func=lambda a: f"{register.ACTIONS.get(a, a)}（{a}）")
        days = filters[2].date_input("日期", value=(today - dt.timedelta(days=30), today), max_value=today,
                                     format="YYYY-MM-DD")
        since, until = (days + (None, None))[:2] if isinstance(days, tuple) else (days, days)
        entries = data.read(register.audit_entries, actor, who=who, action=action, since=since, until=until)
        st.caption(f"共 {len(entries)} 条，最新的在前" + ("（只显示最近的这些）" if len(entries) >= 2000 else ""))
        st.dataframe(entries, hide_index=True, width="stretch", placeholder="", height=600, column_order=[
            "logged_at", "actor", "action_label", "subject", "detail"], column_config={
            "logged_at": st.column_config.DatetimeColumn("时间", format="YYYY-MM-DD HH:mm:ss"),
            "actor": "操作人", "action_label": "操作", "subject": "对象",
            "detail": st.column_config.TextColumn("详情（修改前后等）", width="large")})

# ---- 备份
with tabs["备份"]:
    if tabs["备份"].open:
        st.markdown("下载整个数据库的备份：一个 ZIP 文件，内含建表语句和每张表的数据（Parquet 格式），"
                    "为下载那一刻的完整一致的数据。")
        now = dt.datetime.now()
        st.download_button("下载备份", data=lambda: data.read(register.backup, actor), on_click="ignore",
                           file_name=register.backup_file_name(now), mime="application/zip", type="primary",
                           icon=":material/download:")
        st.markdown("**恢复**（由技术人员操作，详见 README“Backup and restore”一节）：\n"
                    "1. 停止看板服务；\n"
                    "2. 将备份 ZIP 解压到一个空文件夹；\n"
                    "3. 用 DuckDB 的 `IMPORT DATABASE '文件夹'` 导入到一个新的数据库文件；\n"
                    "4. 将环境变量 `ZS_DB` 指向新文件后重新启动服务。")
