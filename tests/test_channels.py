"""Notification channels as admins keep them: the one label table, the list with secrets hidden, adding with the
reasons for refusals, enabling and disabling, the audit trail, what a channel was sent lately and would be sent now
(exactly as its readers get it), and non-admins refused."""
from __future__ import annotations

import datetime as dt

import pytest

import tests.factories as f
from alerts import channels, notify
from pipelines import settings
from pipelines.access import Actor
from pipelines.figures import duty
from tests.conftest import ADMIN

LEADER = Actor("领导", "leader")
UNIT_USER = Actor("填报员", "unit", "U01")


def test_one_label_for_every_kind_audience_and_outcome():
    """Every channel kind and audience notify accepts, and every outcome it logs, has its one Chinese label."""
    assert list(channels.KIND_LABELS) == list(notify.KINDS)
    assert list(channels.AUDIENCE_LABELS) == list(notify.AUDIENCES)
    assert set(channels.OUTCOME_LABELS) == {"sent", "failed", "dry_run"}
    assert channels.KIND_LABELS["dingtalk"] == "钉钉机器人" and channels.OUTCOME_LABELS["failed"] == "发送失败"


def test_channels_are_listed_with_their_tokens_hidden(units):
    """The list shows a robot's address without its access token, says whether it is signed, keeps e-mail
    addresses, and names the unit of a unit channel."""
    robot = channels.add_channel(units, ADMIN, "领导钉钉群", "dingtalk",
                                 "https://oapi.dingtalk.com/robot/send?access_token=SECRET", "leaders", secret="SEC")
    mail = channels.add_channel(units, ADMIN, "开发区联系人", "email", "a@example.cn", "unit", "U01")
    table = channels.channel_table(units, ADMIN)
    shown = table[["id", "name", "kind", "target", "signed", "audience", "unit_code", "enabled"]]
    assert shown.astype(object).where(shown.notna(), None).values.tolist() == [
        [robot, "领导钉钉群", "dingtalk", "https://oapi.dingtalk.com/robot/send?…", True, "leaders", None, True],
        [mail, "开发区联系人", "email", "a@example.cn", False, "unit", "U01", True]]
    assert "SECRET" not in table.to_string()


@pytest.mark.parametrize(("name", "kind", "target", "audience", "unit", "reason"), [
    (" ", "webhook", "https://example.cn/hook", "all", None, "请填写渠道名称"),
    ("群", "dingtalk", "oapi.dingtalk.com/robot/send", "all", None, "须以 http:// 或 https:// 开头"),
    ("邮件", "email", "nobody", "all", None, "请填写至少一个收件邮箱"),
    ("群", "webhook", "https://example.cn/hook", "unit", None, "须选择单元"),
    ("群", "webhook", "https://example.cn/hook", "unit", "U99", "单元 U99 不在单元名录中"),
])
def test_a_channel_that_cannot_work_is_refused_with_its_reason(units, name, kind, target, audience, unit, reason):
    """Each refusal names what to fix, and nothing is written."""
    with pytest.raises(ValueError, match=reason):
        channels.add_channel(units, ADMIN, name, kind, target, audience, unit)
    assert units.execute("SELECT count(*) FROM notification_channels").fetchone()[0] == 0


def test_enabling_and_disabling_is_audited(units):
    """A disabled channel receives nothing; every change names the admin in the audit log; an unknown channel is
    refused."""
    channel = channels.add_channel(units, ADMIN, "数据平台", "webhook", "https://example.cn/hook", "all")
    channels.set_channel_enabled(units, ADMIN, channel, False)
    assert [c.id for c in notify.channels(units)] == []
    channels.set_channel_enabled(units, ADMIN, channel, True)
    assert [c.id for c in notify.channels(units)] == [channel]
    actions = units.execute("SELECT action, actor FROM audit_log WHERE action LIKE 'channel.%' ORDER BY id").fetchall()
    assert actions == [("channel.added", ADMIN.name), ("channel.disabled", ADMIN.name), ("channel.enabled", ADMIN.name)]
    with pytest.raises(ValueError, match="通知渠道 999 不存在"):
        channels.set_channel_enabled(units, ADMIN, 999, False)


@pytest.mark.parametrize("actor", [LEADER, UNIT_USER])
def test_only_admins_keep_channels(units, actor):
    """Leaders and unit users may neither list nor change channels."""
    with pytest.raises(PermissionError, match="不是管理员"):
        channels.channel_table(units, actor)
    with pytest.raises(PermissionError, match="不是管理员"):
        channels.add_channel(units, actor, "群", "webhook", "https://example.cn/hook", "all")


NOW = dt.datetime(2024, 10, 11, 8, 0)
AS_OF = NOW.date()
RED_U01 = {"rule": "signed_not_commenced", "rule_name": "签约未开工", "subject": "P0001", "unit": "U01",
           "unit_name": "经济开发区", "grade": "red", "change": "new", "detail": "签约已满6个月仍未开工",
           "since": dt.date(2024, 3, 31)}
YELLOW_U02 = {"rule": "stale_update", "rule_name": "逾期未更新", "subject": "P0002", "unit": "U02",
              "unit_name": "城东街道", "grade": "yellow", "change": "new", "detail": "落后1个月未更新",
              "since": dt.date(2024, 9, 11)}
UNREACHABLE = "http://127.0.0.1:9/robot"  # the discard port: nothing listens, a try fails at once


def _settings(**notify_overrides) -> settings.Settings:
    return settings.load(env={}, overrides={"notify": notify_overrides})


def _log_rows(con) -> int:
    return con.execute("SELECT count(*) FROM notification_log").fetchone()[0]


def test_latest_messages_show_each_message_once_with_its_outcome(units):
    """Newest first, one entry per message however many tries and keys it was logged with: a 试运行 message
    (dry_run), a message failed twice then redelivered (sent, no error left), a test message that failed (failed,
    with the latest try's error); `limit` keeps the newest."""
    channel = channels.add_channel(units, ADMIN, "招商群", "dingtalk", UNREACHABLE, "all")
    notify.deliver(units, [RED_U01, YELLOW_U02], _settings(dry_run=True), NOW)
    notify.deliver(units, [dict(RED_U01, change="resolved")], _settings(dry_run=False, max_attempts=2,
                                                                        backoff_seconds=0), NOW, sleep=lambda _: None)
    redelivered = units.execute("SELECT payload FROM notification_log WHERE outcome = 'failed' LIMIT 1").fetchone()[0]
    units.execute("INSERT INTO notification_log (attempted_at, channel_id, rule, subject, change, attempt, outcome, "
                  "payload) VALUES (?, ?, 'signed_not_commenced', 'P0001', 'resolved', 3, 'sent', ?)",
                  [NOW + dt.timedelta(hours=1), channel, redelivered])
    channels.send_test_message(units, ADMIN, channel, config=_settings(max_attempts=1))
    assert _log_rows(units) == 2 + 2 + 1 + 1  # two keys once, one key twice, the redelivery, the test
    found = channels.latest_messages(units, ADMIN, channel)
    assert [(m.outcome, m.outcome_label, m.attempts) for m in found] == [
        ("failed", "发送失败", 1), ("sent", "已发送", 3), ("dry_run", "演练（未发送）", 1)]
    test, resolved, dry = found
    assert test.shown.title == "招引智控测试消息" and "招商群" in test.shown.text
    assert test.error.startswith("URLError") and resolved.error is None and dry.error is None
    assert resolved.last_attempted_at - resolved.first_attempted_at >= dt.timedelta(hours=1)
    assert dry.shown == channels.ShownMessage(notify.events_message([RED_U01, YELLOW_U02], NOW).title,
                                              notify.events_message([RED_U01, YELLOW_U02], NOW).text, True)
    assert [m.outcome for m in channels.latest_messages(units, ADMIN, channel, limit=2)] == ["failed", "sent"]


@pytest.mark.parametrize(("kind", "target", "titled", "markdown"), [
    ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=T", True, True),
    ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K", False, True),
    ("webhook", "https://example.cn/hook", True, False),
    ("email", "a@example.cn", True, False),
])
def test_latest_messages_show_the_text_each_kind_receives(units, kind, target, titled, markdown):
    """DingTalk: markdown.title and markdown.text; WeCom: markdown.content (no title of its own); the webhook: its
    title and text; e-mail: subject and the body without Markdown marks. Robots render Markdown, the others not."""
    channels.add_channel(units, ADMIN, "渠道", kind, target, "all")
    notify.deliver(units, [YELLOW_U02], _settings(dry_run=True), NOW)
    message = notify.events_message([YELLOW_U02], NOW)
    text = message.text.replace("### ", "").replace("**", "") if kind == "email" else message.text
    channel = units.execute("SELECT id FROM notification_channels").fetchone()[0]
    [logged] = channels.latest_messages(units, ADMIN, channel)
    assert logged.shown == channels.ShownMessage(message.title if titled else None, text, markdown)


def test_a_channel_never_sent_anything_has_no_latest_messages(units):
    """A new channel: no message yet, and another channel's messages are not its own."""
    quiet = channels.add_channel(units, ADMIN, "城西街道群", "wecom", UNREACHABLE, "unit", "U03")
    channels.add_channel(units, ADMIN, "数据平台", "webhook", "https://example.cn/hook", "all")
    notify.deliver(units, [RED_U01], _settings(dry_run=True), NOW)
    assert channels.latest_messages(units, ADMIN, quiet) == []


def _open(con, *events: dict) -> None:
    """Open warnings as the evaluation leaves them."""
    con.executemany("INSERT INTO warnings (id, rule, subject, unit_code, grade, since, detail, first_seen, last_seen) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [[i, e["rule"], e["subject"], e["unit"], e["grade"], e["since"], e["detail"], NOW, NOW]
                     for i, e in enumerate(events, 1)])


def test_a_unit_channel_previews_only_its_units_warnings(units):
    """The U01 channel would get U01's open warning announced as new, exactly as notify words it; the 'all'
    channel both; a U03 channel nothing; with [server] public_url each line links to its page, as sent; nothing is
    sent or left in the log."""
    _open(units, RED_U01, YELLOW_U02)
    u01 = channels.add_channel(units, ADMIN, "开发区群", "dingtalk", UNREACHABLE, "unit", "U01")
    everyone = channels.add_channel(units, ADMIN, "数据平台", "webhook", UNREACHABLE, "all")
    u03 = channels.add_channel(units, ADMIN, "城西街道群", "wecom", UNREACHABLE, "unit", "U03")
    expected = notify.events_message([RED_U01], NOW)
    assert channels.preview_message(units, ADMIN, u01, AS_OF, NOW) == [
        channels.ShownMessage(expected.title, expected.text, True)]
    [both] = channels.preview_message(units, ADMIN, everyone, AS_OF, NOW)
    assert both.text == notify.events_message([RED_U01, YELLOW_U02], NOW).text
    assert channels.preview_message(units, ADMIN, u03, AS_OF, NOW) == []
    assert _log_rows(units) == 0
    linked = settings.load(env={}, overrides={"server": {"public_url": "https://zs.example.cn"}})
    [with_link] = channels.preview_message(units, ADMIN, u01, AS_OF, NOW, config=linked)
    assert with_link.text == notify.events_message([RED_U01], NOW, base="https://zs.example.cn").text
    assert "](https://zs.example.cn/project?code=P0001)" in with_link.text


def test_a_leaders_channel_previews_the_daily_digest(units):
    """A 'leaders' channel would get the digest of every open warning (not only red) and the units whose report is
    overdue as of the day, even while disabled; an e-mail one without Markdown marks."""
    _open(units, RED_U01, YELLOW_U02)
    f.snapshot(units, f.project(units, "A", "U03"), "2024-08", "2024-09-05", "U03", signed_date="2024-02-01")
    leaders = channels.add_channel(units, ADMIN, "领导群", "dingtalk", UNREACHABLE, "leaders")
    channels.set_channel_enabled(units, ADMIN, leaders, False)
    unreported = duty.unreported_units(units, AS_OF)
    open_now = [{k: v for k, v in e.items() if k != "change"} for e in (RED_U01, YELLOW_U02)]
    expected = notify.digest(open_now, NOW, list(unreported["name"]), unreported.attrs["period"])
    [shown] = channels.preview_message(units, ADMIN, leaders, AS_OF, NOW)
    assert shown == channels.ShownMessage("招引智控每日预警汇总（2024-10-11）", expected.text, True)
    assert "当前未解除预警 2 条：红色 1 条，黄色 1 条" in shown.text and "【黄】逾期未更新" in shown.text
    assert "2024年9月进展已过报送截止日仍未报送的单元（1个）：城西街道" in shown.text
    mail = channels.add_channel(units, ADMIN, "领导邮箱", "email", "a@example.cn", "leaders")
    [mailed] = channels.preview_message(units, ADMIN, mail, AS_OF, NOW)
    assert mailed.title == shown.title and "**" not in mailed.text and not mailed.markdown


def test_a_long_preview_comes_in_the_parts_the_robot_takes(units):
    """Sixty open warnings for a WeCom robot preview as the numbered parts notify would send, each within WeCom's
    4096 bytes, listing the first max_lines and counting the rest."""
    _open(units, *[dict(YELLOW_U02, subject=f"P{i:04d}", detail="落后1个月未更新，" + "项目说明" * 20)
                   for i in range(60)])
    robot = channels.add_channel(units, ADMIN, "城东街道群", "wecom", UNREACHABLE, "unit", "U02")
    parts = channels.preview_message(units, ADMIN, robot, AS_OF, NOW, config=_settings(max_lines=40))
    assert len(parts) > 1 and all(len(p.text.encode("utf-8")) <= 4096 for p in parts)
    assert parts[0].text.startswith(f"### 招引智控预警通知（60条）（1/{len(parts)}）")
    assert sum(p.text.count("\n- **") for p in parts) == 40 and "另有 20 条" in parts[-1].text
    assert _log_rows(units) == 0


@pytest.mark.parametrize("read", [
    lambda con, who, channel: channels.latest_messages(con, who, channel),
    lambda con, who, channel: channels.preview_message(con, who, channel, AS_OF, NOW),
])
def test_messages_are_for_admins_and_known_channels(units, read):
    """Leaders and unit users may not read a channel's messages; an unknown channel is named."""
    channel = channels.add_channel(units, ADMIN, "数据平台", "webhook", "https://example.cn/hook", "all")
    for who in (LEADER, UNIT_USER):
        with pytest.raises(PermissionError, match="不是管理员"):
            read(units, who, channel)
    with pytest.raises(ValueError, match="通知渠道 999 不存在"):
        read(units, ADMIN, 999)
