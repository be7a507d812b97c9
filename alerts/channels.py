"""Notification channels as the admins keep them (系统管理): the list with addresses masked, adding, enabling and
disabling a channel, a test message; and the one table of how channel kinds, audiences and delivery outcomes are
read out, used by 系统管理 and the 预警中心 alike; what a channel was sent lately and what it would be sent now, as
its readers see it. Every function refuses an actor who is not an admin (PermissionError) before it reads or writes,
and every change is audit-logged. Delivery itself is alerts.notify."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import urllib.parse
from dataclasses import dataclass

import duckdb
import pandas as pd

from alerts import notify
from alerts.evaluate import open_warning_items
from pipelines.access import Actor, require_admin
from pipelines.figures import duty
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


# ---- what a channel receives ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShownMessage:
    """One message as its channel receives it."""

    title: str | None  # DingTalk's title (the chat list shows it), the webhook's, the e-mail's subject; None for WeCom
    text: str          # exactly what the readers get: the robot's Markdown, the webhook's text, the e-mail's body
    markdown: bool     # whether the channel renders `text` as Markdown (the DingTalk and WeCom robots)


@dataclass(frozen=True)
class LoggedMessage:
    """One message as the notification log holds it: all its attempts (retries, later redeliveries) together."""

    first_attempted_at: dt.datetime
    last_attempted_at: dt.datetime
    attempts: int       # the tries made so far
    outcome: str        # sent (by any try), failed (every try failed), dry_run (only logged, 试运行)
    error: str | None   # why the latest try failed, for a message not delivered
    shown: ShownMessage

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]


def _shown(kind: str, payload: dict) -> ShownMessage:
    """The text a channel of `kind` receives out of the payload notify sends it (alerts.notify._payload)."""
    if kind == "dingtalk":
        return ShownMessage(payload["markdown"]["title"], payload["markdown"]["text"], True)
    if kind == "wecom":
        return ShownMessage(None, payload["markdown"]["content"], True)
    if kind == "webhook":
        return ShownMessage(payload.get("title"), payload["text"], False)
    return ShownMessage(payload["subject"], payload["body"], False)


def _channel(con: duckdb.DuckDBPyConnection, channel_id: int) -> notify.Channel:
    """notify.channel, refusing an unknown one as this module's functions refuse (ValueError)."""
    try:
        return notify.channel(con, channel_id)
    except LookupError as missing:
        raise ValueError(str(missing)) from None


def latest_messages(con: duckdb.DuckDBPyConnection, actor: Actor, channel_id: int, limit: int = 5) -> list[LoggedMessage]:
    """The latest `limit` messages logged for the channel, newest first, each once however many tries and keys it
    was logged with (one message: the same payload): when it was first and last tried, how many tries, its outcome
    (sent if any try was; failed with the latest error; dry_run), and the text the channel received or, in 试运行,
    would have. ValueError for an unknown channel."""
    require_admin(actor)
    channel = _channel(con, channel_id)
    rows = con.execute(
        "SELECT payload, min(attempted_at), max(attempted_at), max(attempt), "
        "CASE WHEN bool_or(outcome = 'sent') THEN 'sent' WHEN bool_or(outcome = 'failed') THEN 'failed' "
        "ELSE 'dry_run' END AS outcome, arg_max(error, id) FILTER (WHERE outcome = 'failed') "
        "FROM notification_log WHERE channel_id = $id AND payload IS NOT NULL "
        "GROUP BY payload ORDER BY max(id) DESC LIMIT $limit", {"id": channel_id, "limit": limit}).fetchall()
    return [LoggedMessage(first, last, attempts, outcome, error if outcome == "failed" else None,
                          _shown(channel.kind, json.loads(payload)))
            for payload, first, last, attempts, outcome, error in rows]


def preview_message(con: duckdb.DuckDBPyConnection, actor: Actor, channel_id: int, as_of: dt.date,
                    now: dt.datetime | None = None, *, config: Settings | None = None) -> list[ShownMessage]:
    """The message the channel would receive now, enabled or not, split into the parts its robot's size limit
    demands: a 'leaders' channel the daily digest as of `as_of` (open warnings, units whose report is overdue);
    any other channel every open warning it hears of announced as new. [] when it would hear of none. Nothing is
    sent or kept. ValueError for an unknown channel."""
    require_admin(actor)
    config = config or current()
    now = now or dt.datetime.now()
    channel = _channel(con, channel_id)
    items = open_warning_items(con)
    if channel.audience == "leaders":
        unreported = duty.unreported_units(con, as_of, config)
        message = notify.digest(items, now, list(unreported["name"]), unreported.attrs["period"],
                                config.notify.max_lines, config.server.public_url)
    else:
        heard = [item | {"change": "new"} for item in items if notify.reaches(channel, item)]
        if not heard:
            return []
        message = notify.events_message(heard, now, config.notify.max_lines, config.server.public_url)
    # The exact payloads (parts, e-mail body) are notify's to build: deliver the message in 试运行 — which logs and
    # never sends — and read back what it logged, then roll it back. Only the listed items reach the text; the rest
    # would each be logged (row by row) for nothing, so they are left out of the delivery.
    listed = max(1, len(message.lines))
    message = dataclasses.replace(message, items=message.items[:len(message.lines)], keys=message.keys[:listed])
    logging_only = dataclasses.replace(config, notify=dataclasses.replace(config.notify, dry_run=True))
    con.execute("BEGIN TRANSACTION")
    try:
        since = con.execute("SELECT coalesce(max(id), 0) FROM notification_log").fetchone()[0]
        notify.deliver_message(con, [channel], message, logging_only)
        payloads = con.execute("SELECT payload FROM notification_log WHERE id > $since AND channel_id = $id "
                               "GROUP BY payload ORDER BY min(id)", {"since": since, "id": channel_id}).fetchall()
    finally:
        con.execute("ROLLBACK")
    return [_shown(channel.kind, json.loads(payload)) for (payload,) in payloads]
