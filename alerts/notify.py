"""Notifications: warning changes and the leaders' daily digest as Chinese messages, sent to the channels that
should hear of them (DingTalk and WeCom robots, a JSON webhook, e-mail), retried with backoff, every attempt logged.

This module only tells people; the warnings themselves live in the warnings table and are never changed here, so a
channel that is down can delay a message but cannot lose or duplicate a warning.
"""
from __future__ import annotations

import base64
import collections
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import re
import smtplib
import ssl
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

import duckdb

from alerts.rules import RULE_BY_ID
from pipelines.settings import NotifySettings, Settings
from pipelines.store import queries
from pipelines.vocabulary import GRADE_LABELS

CHANGES = {"new": "新增", "escalated": "升级", "resolved": "已解除"}
KINDS = ("dingtalk", "wecom", "webhook", "email")
AUDIENCES = ("unit", "leaders", "all")

# Longest message text each robot accepts, in UTF-8 bytes, less a margin (DingTalk 20000; WeCom markdown 4096).
# Longer batches are split into numbered parts.
_MAX_BYTES = {"dingtalk": 18000, "wecom": 4000}
_ADDRESS_SEPARATORS = re.compile(r"[,;，；\s]+")


@dataclass(frozen=True)
class Channel:
    """One row of notification_channels."""

    id: int
    name: str
    kind: str
    target: str
    secret: str | None
    audience: str
    unit_code: str | None


@dataclass(frozen=True)
class Message:
    """What one channel receives: a title, a summary line, one line per item, and the event keys it carries."""

    kind: str                              # "events", "digest" or "test"
    title: str
    summary: str
    lines: tuple[str, ...]
    items: tuple[dict, ...]                # the events (or open warnings): items[i] behind lines[i]; the items
    #                                        after the last line are only counted, in `more`
    keys: tuple[tuple[str, str, str], ...]  # (rule, subject, change) logged for each attempt to send it
    more: str = ""                         # the closing line counting the items not listed ('' when all are)

    @property
    def text(self) -> str:
        """The message as markdown (DingTalk and WeCom render it; e-mail gets it without the marks)."""
        return "\n".join([f"### {self.title}", "", self.summary, "", *self.lines, *([self.more] if self.more else [])])


class _Misconfigured(ValueError):
    """The channel or the SMTP settings cannot work as they are: retrying would not help."""


# ---- the messages ---------------------------------------------------------------------------------------------

def _day(value: object) -> str:
    return value.isoformat()[:10] if isinstance(value, (dt.date, dt.datetime)) else str(value)


# The robots render Markdown (an image there is fetched by every reader's client) and do not all honour
# backslash escapes: what users wrote (unit and project names, details) has its marks replaced by their
# full-width forms, which read the same to a Chinese reader and mean nothing to Markdown.
_AS_TEXT = str.maketrans("[]()*_`#!<>|~", "［］（）＊＿｀＃！＜＞｜～")


def as_text(value: object) -> str:
    """User-written text made inert inside a robot's Markdown message."""
    return str(value).translate(_AS_TEXT)


# A date as a detail writes it (2026-07-04 or 2026-07): a line whose detail has one does not repeat "since".
_DATED = re.compile(r"\d{4}-\d{2}")
# The page that shows a warning's subject, by the rule's kind of subject (alerts.rules RULES).
_PAGE_OF = {"project": ("project", "code"), "unit": ("unit", "unit"), "task": ("tasks", "code")}


def link(base: str, page: str, **query: str) -> str | None:
    """The address of a page of the product under `base` ([server] public_url), with its query; None without a base
    (or one that is not an http(s) address), so that messages then carry no links."""
    base = (base or "").strip().rstrip("/")
    if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
        return None
    return f"{base}/{page}" + (f"?{urllib.parse.urlencode(query)}" if query else "")


def item_link(item: dict, base: str) -> str | None:
    """The page that shows the warning: 项目详情 for a project's, 单元看板 for a unit's, 督办中心 for a task's."""
    rule = RULE_BY_ID.get(str(item.get("rule")))
    if rule is None or not item.get("subject"):
        return None
    page, key = _PAGE_OF[rule.subject_kind]
    value = item.get("unit") if rule.subject_kind == "unit" else item.get("subject")
    return link(base, page, **{key: str(value)}) if value else None


def _line(item: dict, base: str = "") -> str:
    """One warning as a line: grade and change, rule, unit (by name), what (the detail names the project, unit or
    task), since when unless the detail already says, and the link to the page that shows it. A subject is shown
    by its name when the item carries one, by its key only when there is no detail to name it."""
    label = GRADE_LABELS.get(item.get("grade"), str(item.get("grade")))
    if item.get("change"):
        label += "·" + CHANGES.get(item["change"], item["change"])
    rule = RULE_BY_ID.get(str(item.get("rule")))
    unit = item.get("unit_name") or item.get("unit")
    subject = item.get("subject_name") or (None if item.get("detail") else item.get("subject"))
    where = " · ".join(dict.fromkeys(as_text(part) for part in (unit, subject) if part))
    name = item.get("rule_name") or (rule.name if rule else item["rule"])
    line = f"- **【{label}】{name}**　{where}"
    if item.get("detail"):
        line += f"：{as_text(item['detail'])}"
    if item.get("since") and not _DATED.search(str(item.get("detail") or "")):
        line += f"（自 {_day(item['since'])} 起）"
    address = item_link(item, base)
    if address:
        line += f" [查看]({address})"
    return line


def _event_key(event: dict) -> tuple[str, str, str]:
    return str(event["rule"]), str(event["subject"]), str(event["change"])


def _grade_order(item: dict) -> tuple:
    # red first, then by unit and rule, so a reader sees the worst at the top
    return (item.get("grade") != "red", str(item.get("unit") or ""), str(item["rule"]), str(item["subject"]))


def _listed(items: tuple[dict, ...], max_lines: int, base: str = "") -> tuple[tuple[str, ...], str]:
    """The lines of the first `max_lines` items (sorted worst first) and the line counting the rest ('' if none):
    nobody reads hundreds of lines in a chat robot, and robots limit how many messages they take a minute."""
    shown, rest = items[:max_lines], items[max_lines:]
    more = ""
    if rest:
        reds = sum(item.get("grade") == "red" for item in rest)
        more = (f"- ……另有 {len(rest)} 条" + (f"（其中红色 {reds} 条）" if reds else "")
                + "，请登录招引智控“预警中心”查看全部。")
        centre = link(base, "warnings")
        if centre:
            more += f" [打开预警中心]({centre})"
    return tuple(_line(item, base) for item in shown), more


def events_message(events: Sequence[dict], now: dt.datetime | None = None, max_lines: int = 50,
                   base: str = "") -> Message:
    """The message announcing these warning changes (新增/升级/已解除), worst first: every change counted in the
    summary and carried in the keys, the first `max_lines` listed one per line, the rest counted in `more`; each
    line links to its page under `base` ([server] public_url) when there is one."""
    now = now or dt.datetime.now()
    items = tuple(sorted(events, key=_grade_order))
    counts = collections.Counter(e["change"] for e in items)
    parts = [f"{CHANGES[c]} {counts[c]} 条" for c in CHANGES if counts[c]]
    reds = sum(e.get("grade") == "red" for e in items)
    summary = "、".join(parts) + (f"，其中红色 {reds} 条" if reds else "") + f"。{now:%Y-%m-%d %H:%M} 招引智控"
    lines, more = _listed(items, max_lines, base)
    return Message("events", f"招引智控预警通知（{len(items)}条）", summary, lines, items,
                   tuple(_event_key(e) for e in items), more)


def digest(warnings: Sequence[dict], now: dt.datetime | None = None, unreported: Sequence[str] = (),
           period: dt.date | None = None, max_lines: int = 50, base: str = "") -> Message:
    """The leaders' daily digest: how many warnings are open, red and yellow, and the first `max_lines` of them, red
    first (the rest counted in `more`); then the units (names) whose report for `period`, already due, has not
    arrived. Takes open warnings as alerts.check prints them (names optional) or change events."""
    now = now or dt.datetime.now()
    items = tuple(sorted(warnings, key=_grade_order))
    grades = collections.Counter(w.get("grade") for w in items)
    units = {w.get("unit") for w in items if w.get("unit")}
    if items:
        summary = (f"当前未解除预警 {len(items)} 条：红色 {grades['red']} 条，黄色 {grades['yellow']} 条，"
                   f"涉及 {len(units)} 个招商单元。")
    else:
        summary = "当前没有未解除的预警。"
    if unreported and period:
        summary += f"{period.year}年{period.month}月进展已过报送截止日仍未报送的单元（{len(unreported)}个）：{'、'.join(unreported)}。"
    lines, more = _listed(items, max_lines, base)
    return Message("digest", f"招引智控每日预警汇总（{now:%Y-%m-%d}）", summary, lines, items,
                   (("digest", now.date().isoformat(), "digest"),), more)


def _parts(message: Message, max_bytes: int | None) -> list[Message]:
    """The message split into numbered parts that each fit max_bytes (a part holds at least one line); the last
    part also carries the items only counted and the line counting them."""
    if max_bytes is None or len(message.text.encode("utf-8")) <= max_bytes:
        return [message]
    # room for the title's " （12/34）" suffix and the closing line
    budget = (max_bytes - len(message.title.encode("utf-8")) - len(message.summary.encode("utf-8"))
              - len(message.more.encode("utf-8")) - 40)
    groups: list[list[int]] = [[]]
    used = 0
    for i, line in enumerate(message.lines):
        size = len(line.encode("utf-8")) + 1
        if groups[-1] and used + size > budget:
            groups.append([])
            used = 0
        groups[-1].append(i)
        used += size
    groups[-1] += range(len(message.lines), len(message.items))  # the items only counted go with the last part
    parts = []
    for n, group in enumerate(groups, 1):
        items = tuple(message.items[i] for i in group)
        keys = tuple(_event_key(e) for e in items) if message.kind == "events" else message.keys
        parts.append(dataclasses.replace(
            message, title=f"{message.title}（{n}/{len(groups)}）",
            lines=tuple(message.lines[i] for i in group if i < len(message.lines)), items=items, keys=keys,
            more=message.more if n == len(groups) else ""))
    return parts


# ---- the channels ---------------------------------------------------------------------------------------------

def channels(con: duckdb.DuckDBPyConnection) -> list[Channel]:
    """The enabled channels, in the order they were added."""
    rows = con.execute(
        "SELECT id, name, kind, target, secret, audience, unit_code FROM notification_channels "
        "WHERE enabled ORDER BY id").fetchall()
    return [Channel(*row) for row in rows]


def add_channel(con: duckdb.DuckDBPyConnection, name: str, kind: str, target: str, audience: str,
                unit_code: str | None = None, secret: str | None = None, enabled: bool = True) -> int:
    """Register a channel; return its id. kind is one of KINDS, audience one of AUDIENCES ('unit' needs unit_code)."""
    if kind not in KINDS or audience not in AUDIENCES or (audience == "unit") != (unit_code is not None):
        raise ValueError(f"通知渠道设置无效：类型 {kind!r}，对象 {audience!r}，单元 {unit_code!r}")
    return con.execute(
        "INSERT INTO notification_channels (name, kind, target, secret, audience, unit_code, enabled) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [name, kind, target, secret, audience, unit_code, enabled]).fetchone()[0]


def reaches(channel: Channel, event: dict) -> bool:
    """Whether the channel hears of the event: 'all' hears everything, 'unit' its own unit's, 'leaders' red ones."""
    if channel.audience == "all":
        return True
    if channel.audience == "unit":
        return event.get("unit") is not None and event.get("unit") == channel.unit_code
    return event.get("grade") == "red"


def _plain(text: str) -> str:
    """The markdown of a message as plain text for e-mail: no heading or bold marks; a link as its words and address."""
    text = re.sub(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)", r"\1：\2", text)
    return re.sub(r"^#+ ", "", text.replace("**", ""), flags=re.MULTILINE)


def _addresses(target: str) -> list[str]:
    return [a for a in _ADDRESS_SEPARATORS.split(target) if a]


def _payload(channel: Channel, message: Message, notify: NotifySettings) -> dict:
    """What is sent to the channel: the robot's markdown message, the webhook's JSON, or the e-mail's parts."""
    if channel.kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": message.title, "text": message.text}}
    if channel.kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": message.text}}
    if channel.kind == "webhook":
        return {"type": message.kind, "title": message.title, "text": message.text,
                ("events" if message.kind == "events" else "warnings"): list(message.items)}
    return {"from": notify.smtp_from or notify.smtp_user, "to": _addresses(channel.target),
            "subject": message.title, "body": _plain(message.text)}


def _signed_url(url: str, secret: str) -> str:
    """DingTalk 加签: timestamp (ms) and base64 HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret."""
    timestamp = str(round(time.time() * 1000))
    digest_ = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest_))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


def _post_json(url: str, body: dict, timeout: float, robot: bool) -> None:
    """POST body as JSON; a robot must also answer errcode 0 (DingTalk and WeCom refuse with HTTP 200)."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise _Misconfigured(f"地址不是 http(s) 网址：{url.split('?')[0]}")
    request = urllib.request.Request(
        url, data=json.dumps(body, ensure_ascii=False, default=str).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = response.read()
    if robot:
        try:
            reply = json.loads(answer)
        except ValueError:
            raise RuntimeError(f"机器人应答不是 JSON：{answer[:200]!r}") from None
        if reply.get("errcode") != 0:
            raise RuntimeError(f"机器人拒收：errcode {reply.get('errcode')}，{reply.get('errmsg')}")


def _send_mail(payload: dict, notify: NotifySettings) -> None:
    if not notify.smtp_host:
        raise _Misconfigured("未配置 SMTP 服务器（notify.smtp_host）")
    sender = parseaddr(payload["from"])[1]
    if not sender or not payload["to"]:
        raise _Misconfigured("未配置发件地址（notify.smtp_from）或收件地址")
    mail = EmailMessage()
    mail["From"] = payload["from"]
    mail["To"] = ", ".join(payload["to"])
    mail["Subject"] = payload["subject"]
    mail.set_content(payload["body"], charset="utf-8")
    with smtplib.SMTP(notify.smtp_host, notify.smtp_port, timeout=notify.timeout_seconds) as smtp:
        if notify.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if notify.smtp_user:
            smtp.login(notify.smtp_user, notify.smtp_password)
        smtp.send_message(mail, from_addr=sender, to_addrs=payload["to"])


def _send(channel: Channel, payload: dict, notify: NotifySettings) -> None:
    """Hand the payload to the channel; raise if it was not accepted."""
    if channel.kind == "email":
        _send_mail(payload, notify)
        return
    url = _signed_url(channel.target, channel.secret) if channel.kind == "dingtalk" and channel.secret \
        else channel.target
    _post_json(url, payload, notify.timeout_seconds, robot=channel.kind in ("dingtalk", "wecom"))


# ---- delivery -------------------------------------------------------------------------------------------------

def _log(con: duckdb.DuckDBPyConnection, channel: Channel, keys: Iterable[tuple[str, str, str]], attempt: int,
         outcome: str, error: str | None, payload: str) -> None:
    at = dt.datetime.now()
    con.executemany(
        "INSERT INTO notification_log (attempted_at, channel_id, rule, subject, change, attempt, outcome, error, "
        "payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[at, channel.id, *key, attempt, outcome, error, payload] for key in dict.fromkeys(keys)])


def _error_text(exc: Exception) -> str:
    return str(exc) if isinstance(exc, _Misconfigured) else f"{type(exc).__name__}: {exc}"


def _deliver_one(con: duckdb.DuckDBPyConnection, channel: Channel, message: Message, notify: NotifySettings,
                 sleep: Callable[[float], None]) -> dict:
    """Send one message to one channel, retrying with doubling waits; log every attempt; never raise."""
    payload = _payload(channel, message, notify)
    logged = json.dumps(payload, ensure_ascii=False, default=str)
    result = {"channel_id": channel.id, "channel": channel.name, "title": message.title, "items": len(message.items),
              "attempts": 1, "error": None}
    if notify.dry_run:
        _log(con, channel, message.keys, 1, "dry_run", None, logged)
        return result | {"outcome": "dry_run"}
    attempts = max(1, notify.max_attempts)
    attempt = 0
    while True:
        attempt += 1
        try:
            _send(channel, payload, notify)
        except Exception as exc:  # noqa: BLE001 — whatever a channel does, it must not reach the caller
            error = _error_text(exc)
            _log(con, channel, message.keys, attempt, "failed", error, logged)
            if isinstance(exc, _Misconfigured) or attempt >= attempts:
                return result | {"outcome": "failed", "attempts": attempt, "error": error}
            sleep(notify.backoff_seconds * 2 ** (attempt - 1))
        else:
            _log(con, channel, message.keys, attempt, "sent", None, logged)
            return result | {"outcome": "sent", "attempts": attempt}


def _summary(notify: NotifySettings, deliveries: list[dict]) -> dict:
    counts = collections.Counter(d["outcome"] for d in deliveries)
    return {"dry_run": notify.dry_run, "sent": counts["sent"], "failed": counts["failed"],
            "logged_dry_run": counts["dry_run"], "deliveries": deliveries}


def _deliver_to(con: duckdb.DuckDBPyConnection, targets: Iterable[tuple[Channel, Message]], notify: NotifySettings,
                sleep: Callable[[float], None]) -> dict:
    deliveries = [_deliver_one(con, channel, part, notify, sleep)
                  for channel, message in targets for part in _parts(message, _MAX_BYTES.get(channel.kind))]
    return _summary(notify, deliveries)


def deliver(con: duckdb.DuckDBPyConnection, events: Sequence[dict], settings: Settings,
            now: dt.datetime | None = None, sleep: Callable[[float], None] = time.sleep) -> dict:
    """Tell every enabled channel of the warning changes it should hear of (one message per channel, split when a
    robot's size limit demands); only new, escalated and resolved warnings are told of. In dry-run (the default)
    payloads are logged, not sent. Returns {"dry_run", "sent", "failed", "logged_dry_run" (message counts),
    "deliveries": [one dict per message with channel_id, channel, title, items, outcome, attempts, error]}.
    A channel that is down is logged, never raised."""
    now = now or dt.datetime.now()
    # issue 4: a warning easing from 红 to 黄 (deescalated) is not worth interrupting anyone for
    events = [e for e in events if e.get("change") in CHANGES]
    targets = []
    for channel in channels(con):
        heard = [e for e in events if reaches(channel, e)]
        if heard:
            targets.append((channel, events_message(heard, now, settings.notify.max_lines, settings.server.public_url)))
    return _deliver_to(con, targets, settings.notify, sleep)


def redeliver_failed(con: duckdb.DuckDBPyConnection, settings: Settings, now: dt.datetime | None = None) -> dict:
    """Send once more every message that no try has delivered yet, to its channel if still enabled, when its first
    try was less than [notify] redeliver_hours ago: the very payload logged then, logged again as the next attempt.
    So a channel that was down hears of the warnings it missed once it is back. Returns {"sent", "failed"}."""
    notify = settings.notify
    counts = {"sent": 0, "failed": 0}
    if notify.dry_run:
        return counts
    now = now or dt.datetime.now()
    by_id = {channel.id: channel for channel in channels(con)}
    pending = queries.frame(con, "notification_pending", since=now - dt.timedelta(hours=notify.redeliver_hours))
    for row in pending.itertuples(index=False):
        channel = by_id.get(row.channel_id)
        if channel is None:
            continue
        keys = [tuple(key.values()) if isinstance(key, dict) else tuple(key) for key in row.keys]
        try:
            _send(channel, json.loads(row.payload), notify)
        except Exception as exc:  # noqa: BLE001 — as in _deliver_one: a channel never reaches the caller
            _log(con, channel, keys, int(row.attempts) + 1, "failed", _error_text(exc), row.payload)
            counts["failed"] += 1
        else:
            _log(con, channel, keys, int(row.attempts) + 1, "sent", None, row.payload)
            counts["sent"] += 1
    return counts


def deliver_digest(con: duckdb.DuckDBPyConnection, warnings: Sequence[dict], settings: Settings,
                   now: dt.datetime | None = None, sleep: Callable[[float], None] = time.sleep,
                   unreported: Sequence[str] = (), period: dt.date | None = None) -> dict:
    """Send the daily digest of these open warnings (and the units not yet reported for `period`) to every enabled
    'leaders' channel; same summary as deliver()."""
    message = digest(warnings, now, unreported, period, settings.notify.max_lines, settings.server.public_url)
    targets = [(channel, message) for channel in channels(con) if channel.audience == "leaders"]
    return _deliver_to(con, targets, settings.notify, sleep)


def deliver_message(con: duckdb.DuckDBPyConnection, targets: Sequence[Channel], message: Message, settings: Settings,
                    sleep: Callable[[float], None] = time.sleep) -> dict:
    """Send one message (a 催报 reminder, alerts.remind) to each of `targets`; same summary as deliver()."""
    return _deliver_to(con, [(channel, message) for channel in targets], settings.notify, sleep)


def channel(con: duckdb.DuckDBPyConnection, channel_id: int) -> Channel:
    """One channel by id, enabled or not; LookupError for an unknown one."""
    row = con.execute("SELECT id, name, kind, target, secret, audience, unit_code FROM notification_channels "
                      "WHERE id = ?", [channel_id]).fetchone()
    if row is None:
        raise LookupError(f"通知渠道 {channel_id} 不存在")
    return Channel(*row)


def deliver_test(con: duckdb.DuckDBPyConnection, channel_id: int, settings: Settings,
                 now: dt.datetime | None = None, sleep: Callable[[float], None] = time.sleep) -> dict:
    """Send a short test message to one channel, enabled or not (发送测试消息 on the administration screen), logged
    under rule 'test'; same summary as deliver(). It is really sent even in dry-run (试运行), so an admin can check
    one robot while the others only log. LookupError for an unknown channel."""
    now = now or dt.datetime.now()
    target = channel(con, channel_id)
    message = Message("test", "招引智控测试消息",
                      f"通知渠道“{target.name}”可以收到招引智控的预警通知。{now:%Y-%m-%d %H:%M} 由系统管理页面发送。",
                      (), (), (("test", str(target.id), "test"),))
    return _deliver_to(con, [(target, message)], dataclasses.replace(settings.notify, dry_run=False), sleep)
