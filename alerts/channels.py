"""Notification channels as the admins keep them (系统管理): the list with addresses masked, adding, enabling and
disabling a channel, a test message; and the one table of how channel kinds, audiences and delivery outcomes are
read out, used by 系统管理 and the 预警中心 alike. Every function refuses an actor who is not an admin
(PermissionError) before it reads or writes, and every change is audit-logged. Delivery itself is alerts.notify."""
from __future__ import annotations

import urllib.parse

import duckdb
import pandas as pd

from alerts import notify
from pipelines.access import Actor, require_admin
from pipelines.settings import Settings, current
from pipelines.store import db

# The one wording of each channel kind, audience and delivery outcome (keys: notify.KINDS, notify.AUDIENCES and
# the outcomes notify logs).
KIND_LABELS = {"dingtalk": "钉钉机器人", "wecom": "企业微信机器人", "webhook": "Webhook（JSON）", "email": "电子邮件"}
AUDIENCE_LABELS = {"unit": "本单元的预警", "leaders": "领导（红色预警与每日汇总）", "all": "全部预警"}
OUTCOME_LABELS = {"sent": "已发送", "failed": "发送失败", "dry_run": "演练（未发送）"}


def _masked(kind: str, target: str) -> str:
    """A channel's address as lists show it: a robot's or webhook's query (its access token) hidden."""
    if kind == "email":
        return target
    parts = urllib.parse.urlsplit(target)
    return parts._replace(query="…" if parts.query else "").geturl()


def channel_table(con: duckdb.DuckDBPyConnection, actor: Actor) -> pd.DataFrame:
    """Every notification channel, enabled or not, in the order added: id, name, kind, target (access token
    hidden), signed (has a DingTalk secret), audience, unit_code, enabled, and its latest delivery (outcome, when)."""
    require_admin(actor)
    frame = con.execute(
        "SELECT c.id, c.name, c.kind, c.target, coalesce(c.secret, '') <> '' AS signed, c.audience, c.unit_code, "
        "c.enabled, l.outcome AS last_outcome, l.attempted_at AS last_attempted_at "
        "FROM notification_channels c LEFT JOIN (SELECT channel_id, arg_max(outcome, id) AS outcome, "
        "max(attempted_at) AS attempted_at FROM notification_log GROUP BY channel_id) l ON l.channel_id = c.id "
        "ORDER BY c.id").df()
    frame["target"] = [_masked(k, t) for k, t in zip(frame["kind"], frame["target"])]
    return frame


def add_channel(con: duckdb.DuckDBPyConnection, actor: Actor, name: str, kind: str, target: str, audience: str,
                unit_code: str | None = None, secret: str | None = None) -> int:
    """Register an enabled channel and return its id; audited (without its address or secret). Refused
    (ValueError) for a blank name, a robot or webhook address that is not an http(s) URL, an e-mail channel without
    an address, or an audience and unit that do not fit."""
    require_admin(actor)
    name, target, secret = name.strip(), target.strip(), (secret or "").strip() or None
    unit_code = unit_code if audience == "unit" else None
    if not name:
        raise ValueError("请填写渠道名称")
    if kind == "email":
        if "@" not in target:
            raise ValueError("请填写至少一个收件邮箱（多个用逗号或分号分隔）")
    elif urllib.parse.urlsplit(target).scheme not in ("http", "https"):
        raise ValueError("机器人或 Webhook 地址须以 http:// 或 https:// 开头")
    if audience == "unit" and unit_code is None:
        raise ValueError("接收本单元预警的渠道须选择单元")
    if unit_code is not None and not con.execute("SELECT count(*) FROM units WHERE code = $code",
                                                 {"code": unit_code}).fetchone()[0]:
        raise ValueError(f"单元 {unit_code} 不在单元名录中")
    with db.transaction(con):
        channel_id = notify.add_channel(con, name, kind, target, audience, unit_code, secret)
        db.audit(con, actor.name, "channel.added", name,
                 {"channel_id": channel_id, "kind": kind, "audience": audience, "unit": unit_code})
    return channel_id


def set_channel_enabled(con: duckdb.DuckDBPyConnection, actor: Actor, channel_id: int, enabled: bool) -> None:
    """Enable or disable a channel (a disabled one receives nothing); audited. ValueError for an unknown channel."""
    require_admin(actor)
    with db.transaction(con):
        changed = con.execute("UPDATE notification_channels SET enabled = $enabled WHERE id = $id RETURNING name",
                              {"id": channel_id, "enabled": enabled}).fetchall()
        if not changed:
            raise ValueError(f"通知渠道 {channel_id} 不存在")
        db.audit(con, actor.name, "channel.enabled" if enabled else "channel.disabled", changed[0][0],
                 {"channel_id": channel_id})


def send_test_message(con: duckdb.DuckDBPyConnection, actor: Actor, channel_id: int, *,
                      config: Settings | None = None) -> dict:
    """Send the test message to one channel (even in dry-run) and audit the outcome; returns the one
    delivery: outcome (sent / failed / dry_run), attempts, error."""
    require_admin(actor)
    delivery = notify.deliver_test(con, channel_id, config or current())["deliveries"][0]
    with db.transaction(con):
        db.audit(con, actor.name, "channel.tested", delivery["channel"],
                 {"channel_id": channel_id, "outcome": delivery["outcome"], "error": delivery["error"]})
    return delivery
