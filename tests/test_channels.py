"""Notification channels as admins keep them: the one label table, the list with secrets hidden, adding with the
reasons for refusals, enabling and disabling, the audit trail, and non-admins refused."""
from __future__ import annotations

import pytest

from alerts import channels, notify
from pipelines.access import Actor
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
