"""alerts.notify: Chinese messages for warning changes and the digest, routed to the right channels, delivered to
real HTTP and SMTP servers on loopback, retried with backoff, every attempt logged, dry-run by default."""
from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from alerts import notify
from pipelines import settings

NOW = dt.datetime(2024, 10, 11, 8, 0)

RED_NEW = {"rule": "signed_not_commenced", "rule_name": "签约未开工", "subject": "P0001",
           "subject_name": "年产5万吨新材料项目", "unit": "U01", "unit_name": "经济开发区", "grade": "red",
           "change": "new", "detail": "签约已满6个月仍未开工", "since": dt.date(2024, 3, 31)}
YELLOW_NEW = {"rule": "stale_update", "rule_name": "逾期未更新", "subject": "P0002", "subject_name": "城东商贸综合体",
              "unit": "U02", "unit_name": "城东街道", "grade": "yellow", "change": "new",
              "detail": "落后1个月未更新", "since": dt.date(2024, 9, 11)}
YELLOW_U01 = dict(YELLOW_NEW, subject="P0003", subject_name="智能装备产业园", unit="U01", unit_name="经济开发区")


def _settings(**notify_overrides):
    return settings.load(env={}, overrides={"notify": {"dry_run": False, "backoff_seconds": 0.5,
                                                       "timeout_seconds": 2, **notify_overrides}})


class _Sleeps(list):
    """A sleep that only records how long it was asked to wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class _Recorder(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 — http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((self.path, self.headers.get("Content-Type"), json.loads(body)))
        status, answer = self.server.replies.pop(0) if self.server.replies else (200, {"errcode": 0, "errmsg": "ok"})
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def _start_http(port: int = 0) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), _Recorder)
    server.requests, server.replies = [], []
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server


@pytest.fixture
def http():
    """A real HTTP server on loopback recording every POST: (path, content type, JSON body)."""
    server = _start_http()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Mailbox:
    def __init__(self):
        self.messages, self.logins = [], []

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's name
        self.messages.append((envelope.mail_from, envelope.rcpt_tos,
                              email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on loopback keeping every message (sender, recipients, parsed message) and
    every login (user, password)."""
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port(), authenticator=mailbox.authenticate,
                            auth_require_tls=False)
    controller.start()
    mailbox.port = controller.port
    yield mailbox
    controller.stop()


def _log(con):
    return con.execute("SELECT channel_id, rule, subject, change, attempt, outcome, error IS NOT NULL "
                       "FROM notification_log ORDER BY id").fetchall()


@pytest.mark.parametrize("event, line", [
    (RED_NEW, "- **【红·新增】签约未开工**　经济开发区 · 年产5万吨新材料项目：签约已满6个月仍未开工（自 2024-03-31 起）"),
    (dict(RED_NEW, change="escalated"),
     "- **【红·升级】签约未开工**　经济开发区 · 年产5万吨新材料项目：签约已满6个月仍未开工（自 2024-03-31 起）"),
    (dict(YELLOW_NEW, change="resolved", detail=None, since=None), "- **【黄·已解除】逾期未更新**　城东街道 · 城东商贸综合体"),
    ({"rule": "behind_schedule", "rule_name": "落后序时进度", "subject": "U02:signed_major", "subject_name": "城东街道",
      "unit": "U02", "unit_name": "城东街道", "grade": "yellow", "change": "new", "detail": "签约亿元以上项目完成率落后序时进度12个百分点",
      "since": "2024-10-01"},
     "- **【黄·新增】落后序时进度**　城东街道：签约亿元以上项目完成率落后序时进度12个百分点（自 2024-10-01 起）"),
])
def test_event_line_in_chinese(event, line):
    """Each change reads 【grade·change】rule, unit · subject (a unit rule names the unit once), detail, since."""
    assert notify.events_message([event], NOW).lines == (line,)


def test_what_users_wrote_is_inert_in_a_robots_markdown():
    """A project and unit named in Markdown (an image every reader's client would fetch, a link, bold) reach the
    robot with their marks in full-width forms: the names read the same and nothing renders or is fetched."""
    event = dict(RED_NEW, unit_name="[开发区](http://evil.example)", subject_name="![x](http://evil.example/p.png)**粗**",
                 detail="签约已满6个月仍未开工 <b>")
    text = notify.events_message([event], NOW).text
    assert "![" not in text and "](" not in text and "**粗**" not in text and "<b>" not in text
    assert "［开发区］（http://evil.example） · ！［x］（http://evil.example/p.png）＊＊粗＊＊：签约已满6个月仍未开工 ＜b＞" in text


def test_events_message_puts_red_first_and_counts_changes():
    """The batch title counts the events; the summary counts each change and the reds; red lines come first."""
    message = notify.events_message([YELLOW_NEW, RED_NEW, dict(YELLOW_U01, change="resolved")], NOW)
    assert message.title == "招引智控预警通知（3条）"
    assert message.summary == "新增 2 条、已解除 1 条，其中红色 1 条。2024-10-11 08:00 招引智控"
    assert [line[:12] for line in message.lines] == ["- **【红·新增】签约", "- **【黄·已解除】逾", "- **【黄·新增】逾期"]


def test_digest_of_open_warnings_as_alerts_check_prints_them():
    """The digest takes check's open warnings (no names: the rule's own name, the detail naming the project),
    counts red/yellow and units, lists red first."""
    warnings = [{"rule": "stale_update", "subject": "P0002", "unit": "U02", "grade": "yellow", "since": "2024-09-11",
                 "detail": "落后1个月未更新"},
                {"rule": "signed_not_commenced", "subject": "P0001", "unit": "U01", "grade": "red",
                 "since": "2024-03-31", "detail": "签约已满6个月仍未开工"}]
    message = notify.digest(warnings, NOW)
    assert message.title == "招引智控每日预警汇总（2024-10-11）"
    assert message.text == (
        "### 招引智控每日预警汇总（2024-10-11）\n\n当前未解除预警 2 条：红色 1 条，黄色 1 条，涉及 2 个招商单元。\n\n"
        "- **【红】签约未开工**　U01：签约已满6个月仍未开工（自 2024-03-31 起）\n"
        "- **【黄】逾期未更新**　U02：落后1个月未更新（自 2024-09-11 起）")
    assert notify.digest([], NOW).summary == "当前没有未解除的预警。"


def test_dingtalk_robot_gets_signed_markdown(con, http):
    """A DingTalk channel with a secret is called with timestamp and a sign that recomputes from the secret."""
    secret = "SEC0123456789abcdef"
    notify.add_channel(con, "领导钉钉群", "dingtalk", f"{http.url}/robot/send?access_token=abc", "leaders", secret=secret)
    summary = notify.deliver(con, [RED_NEW], _settings(), NOW)
    assert (summary["sent"], summary["failed"]) == (1, 0)
    [(path, content_type, body)] = http.requests
    url = urllib.parse.urlsplit(path)
    query = urllib.parse.parse_qs(url.query)
    assert (url.path, query["access_token"]) == ("/robot/send", ["abc"])
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest())
    assert query["sign"] == [expected.decode()]
    assert "sign=" + urllib.parse.quote_plus(expected) in path  # sent URL-encoded
    assert content_type == "application/json; charset=utf-8"
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "招引智控预警通知（1条）"
    assert "【红·新增】签约未开工**　经济开发区 · 年产5万吨新材料项目" in body["markdown"]["text"]


def test_wecom_robot_and_json_webhook_bodies(con, http):
    """WeCom gets markdown content; the generic webhook gets the events themselves as JSON (dates as text)."""
    notify.add_channel(con, "开发区企业微信群", "wecom", f"{http.url}/wecom?key=k1", "unit", unit_code="U01")
    notify.add_channel(con, "大数据平台", "webhook", f"{http.url}/hook", "all")
    notify.deliver(con, [RED_NEW], _settings(), NOW)
    bodies = {path: body for path, _, body in http.requests}
    assert bodies["/wecom?key=k1"] == {"msgtype": "markdown",
                                        "markdown": {"content": notify.events_message([RED_NEW], NOW).text}}
    assert bodies["/hook"] == {"type": "events", "title": "招引智控预警通知（1条）",
                               "text": notify.events_message([RED_NEW], NOW).text,
                               "events": [dict(RED_NEW, since="2024-03-31")]}


def test_email_arrives_with_chinese_subject_and_body(con, smtp):
    """An e-mail channel logs in and sends one UTF-8 mail to every listed address; subject and body decode to the
    Chinese text."""
    notify.add_channel(con, "开发区联系人", "email", "a@example.cn；b@example.cn", "unit", unit_code="U01")
    summary = notify.deliver(con, [RED_NEW, YELLOW_U01], _settings(
        smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False, smtp_from="招引智控 <zs@example.cn>",
        smtp_user="zs", smtp_password="s3cret"), NOW)
    assert (summary["sent"], smtp.logins) == (1, [("zs", "s3cret")])
    [(sender, recipients, mail)] = smtp.messages
    assert (sender, recipients) == ("zs@example.cn", ["a@example.cn", "b@example.cn"])
    assert mail["Subject"] == "招引智控预警通知（2条）"
    assert mail["From"] == "招引智控 <zs@example.cn>"
    body = mail.get_body().get_content()
    assert "【红·新增】签约未开工　经济开发区 · 年产5万吨新材料项目：签约已满6个月仍未开工（自 2024-03-31 起）" in body
    assert "【黄·新增】逾期未更新　经济开发区 · 智能装备产业园" in body
    assert "**" not in body and "###" not in body


def test_email_without_smtp_server_fails_once_without_retrying(con):
    """With no SMTP host configured the mail is logged failed at the first attempt; retrying would not help."""
    channel = notify.add_channel(con, "开发区联系人", "email", "a@example.cn", "all")
    sleeps = _Sleeps()
    summary = notify.deliver(con, [RED_NEW], _settings(), NOW, sleep=sleeps)
    assert summary["deliveries"][0]["error"] == "未配置 SMTP 服务器（notify.smtp_host）"
    assert (_log(con), sleeps) == ([(channel, "signed_not_commenced", "P0001", "new", 1, "failed", True)], [])


def test_failed_delivery_is_retried_with_doubling_backoff(con, http):
    """HTTP 500 twice then OK: three attempts logged (failed, failed, sent), waits of 0.5 s then 1 s."""
    channel = notify.add_channel(con, "数据平台", "webhook", f"{http.url}/hook", "all")
    http.replies = [(500, {}), (500, {})]
    sleeps = _Sleeps()
    summary = notify.deliver(con, [RED_NEW], _settings(), NOW, sleep=sleeps)
    assert summary["deliveries"] == [{"channel_id": channel, "channel": "数据平台", "title": "招引智控预警通知（1条）",
                                      "items": 1, "attempts": 3, "error": None, "outcome": "sent"}]
    assert sleeps == [0.5, 1.0]
    assert _log(con) == [(channel, "signed_not_commenced", "P0001", "new", 1, "failed", True),
                         (channel, "signed_not_commenced", "P0001", "new", 2, "failed", True),
                         (channel, "signed_not_commenced", "P0001", "new", 3, "sent", False)]
    assert con.execute("SELECT error FROM notification_log WHERE attempt = 1").fetchone() == (
        "HTTPError: HTTP Error 500: Internal Server Error",)


def test_robot_refusal_with_http_200_counts_as_failure(con, http):
    """A DingTalk/WeCom answer with errcode ≠ 0 (e.g. a bad signature) is a failed attempt, not a delivery."""
    notify.add_channel(con, "钉钉群", "dingtalk", f"{http.url}/robot/send?access_token=abc", "all", secret="wrong")
    http.replies = [(200, {"errcode": 310000, "errmsg": "sign not match"})] * 2
    summary = notify.deliver(con, [RED_NEW], _settings(max_attempts=2), NOW, sleep=_Sleeps())
    assert (summary["failed"], summary["deliveries"][0]["error"]) == (
        1, "RuntimeError: 机器人拒收：errcode 310000，sign not match")


def test_channel_down_never_raises_and_the_next_call_delivers(con):
    """A refused connection exhausts the attempts and is logged, not raised; once the server is up the next call
    delivers, and each event is sent exactly once."""
    port = _free_port()
    channel = notify.add_channel(con, "数据平台", "webhook", f"http://127.0.0.1:{port}/hook", "all")
    sleeps = _Sleeps()
    summary = notify.deliver(con, [RED_NEW], _settings(), NOW, sleep=sleeps)
    assert (summary["sent"], summary["failed"], summary["deliveries"][0]["attempts"], sleeps) == (0, 1, 3, [0.5, 1.0])
    assert "Connection refused" in summary["deliveries"][0]["error"]
    server = _start_http(port)
    try:
        summary = notify.deliver(con, [YELLOW_NEW], _settings(), NOW, sleep=sleeps)
        assert (summary["sent"], summary["failed"]) == (1, 0)
        assert [body["events"][0]["subject"] for _, _, body in server.requests] == ["P0002"]
    finally:
        server.shutdown()
        server.server_close()
    assert con.execute("SELECT subject, outcome, count(*) FROM notification_log WHERE channel_id = ? "
                       "GROUP BY ALL ORDER BY 1", [channel]).fetchall() == [
        ("P0001", "failed", 3), ("P0002", "sent", 1)]


def test_dry_run_is_the_default_sends_nothing_and_logs_payloads(con, http):
    """Under the default settings nothing reaches the server; each event is logged dry_run with its payload."""
    channel = notify.add_channel(con, "数据平台", "webhook", f"{http.url}/hook", "all")
    summary = notify.deliver(con, [RED_NEW, YELLOW_NEW], settings.load(env={}), NOW)
    assert (summary["dry_run"], summary["logged_dry_run"], summary["sent"], http.requests) == (True, 1, 0, [])
    assert _log(con) == [(channel, "signed_not_commenced", "P0001", "new", 1, "dry_run", False),
                         (channel, "stale_update", "P0002", "new", 1, "dry_run", False)]
    payload = json.loads(con.execute("SELECT payload FROM notification_log LIMIT 1").fetchone()[0])
    assert [e["subject"] for e in payload["events"]] == ["P0001", "P0002"]


def test_routing_unit_leaders_all_and_disabled(con, http):
    """A unit's events reach its own channels and 'all', never another unit's; red ones also reach leaders,
    yellow ones do not; a disabled channel hears nothing."""
    for path, audience, unit, enabled in [("/u01", "unit", "U01", True), ("/u02", "unit", "U02", True),
                                          ("/leaders", "leaders", None, True), ("/all", "all", None, True),
                                          ("/off", "all", None, False)]:
        notify.add_channel(con, path, "webhook", http.url + path, audience, unit_code=unit, enabled=enabled)
    notify.deliver(con, [RED_NEW, YELLOW_NEW, YELLOW_U01], _settings(), NOW)
    heard = {path: sorted(e["subject"] for e in body["events"]) for path, _, body in http.requests}
    assert heard == {"/u01": ["P0001", "P0003"], "/u02": ["P0002"], "/leaders": ["P0001"],
                     "/all": ["P0001", "P0002", "P0003"]}


def test_only_new_escalated_and_resolved_are_told(con, http):
    """A warning easing from red to yellow (deescalated) is not sent or logged; with nothing to tell, nothing is."""
    notify.add_channel(con, "数据平台", "webhook", f"{http.url}/hook", "all")
    summary = notify.deliver(con, [dict(RED_NEW, grade="yellow", change="deescalated")], _settings(), NOW)
    assert (summary["deliveries"], http.requests, _log(con)) == ([], [], [])


def test_digest_goes_to_leaders_only(con, http):
    """deliver_digest sends the digest to 'leaders' channels and to no unit or 'all' channel; it is logged once."""
    leaders = notify.add_channel(con, "领导", "webhook", f"{http.url}/leaders", "leaders")
    notify.add_channel(con, "全部", "webhook", f"{http.url}/all", "all")
    notify.add_channel(con, "开发区", "webhook", f"{http.url}/u01", "unit", unit_code="U01")
    notify.deliver_digest(con, [RED_NEW, YELLOW_NEW], _settings(), NOW)
    assert [(path, body["type"], body["title"], len(body["warnings"])) for path, _, body in http.requests] == [
        ("/leaders", "digest", "招引智控每日预警汇总（2024-10-11）", 2)]
    assert _log(con) == [(leaders, "digest", "2024-10-11", "digest", 1, "sent", False)]


def test_long_batches_are_split_to_fit_wecom(con, http):
    """200 events to a WeCom robot go in numbered parts each within its 4096-byte limit, every event exactly once."""
    events = [dict(YELLOW_U01, subject=f"P{i:04d}", subject_name=f"第{i}号智能装备产业园项目") for i in range(200)]
    notify.add_channel(con, "开发区企业微信群", "wecom", f"{http.url}/wecom", "unit", unit_code="U01")
    summary = notify.deliver(con, events, _settings(max_lines=1000), NOW)
    contents = [body["markdown"]["content"] for _, _, body in http.requests]
    assert len(contents) == summary["sent"] > 1
    assert max(len(c.encode("utf-8")) for c in contents) <= 4096
    assert contents[0].startswith(f"### 招引智控预警通知（200条）（1/{len(contents)}）")
    assert sorted(line for c in contents for line in c.splitlines() if line.startswith("- ")) == sorted(
        notify.events_message(events, NOW, max_lines=1000).lines)
    assert con.execute("SELECT count(*), count(DISTINCT subject) FROM notification_log").fetchone() == (200, 200)


def test_a_flood_of_warnings_lists_the_worst_and_counts_the_rest(con, http):
    """A first evaluation at scale: 130 new warnings (30 红) for one unit. With [notify] max_lines = 50 the robot
    gets the 30 red and 20 yellow ones as lines and one closing line for the other 80, in numbered parts within its
    size limit; the closing line comes last; every warning is logged as told of, exactly once."""
    reds = [dict(RED_NEW, unit="U01", subject=f"R{i:03d}", subject_name=f"第{i}号红色项目") for i in range(30)]
    yellows = [dict(YELLOW_U01, subject=f"Y{i:03d}", subject_name=f"第{i}号黄色项目") for i in range(100)]
    message = notify.events_message(yellows + reds, NOW, max_lines=50)
    assert len(message.lines) == 50 and len(message.items) == len(message.keys) == 130
    assert all("【红·新增】" in line for line in message.lines[:30]) and "【黄·新增】" in message.lines[30]
    assert message.more == "- ……另有 80 条，请登录招引智控“预警中心”查看全部。"
    assert message.text.endswith(message.more)
    assert notify.events_message(reds, NOW, max_lines=10).more == \
        "- ……另有 20 条（其中红色 20 条），请登录招引智控“预警中心”查看全部。"
    assert notify.events_message(reds, NOW, max_lines=30).more == ""

    notify.add_channel(con, "开发区企业微信群", "wecom", f"{http.url}/wecom", "unit", unit_code="U01")
    summary = notify.deliver(con, yellows + reds, _settings(max_lines=50), NOW)
    contents = [body["markdown"]["content"] for _, _, body in http.requests]
    assert len(contents) == summary["sent"] > 1 and max(len(c.encode("utf-8")) for c in contents) <= 4096
    listed = [line for c in contents for line in c.splitlines() if line.startswith("- ")]
    assert listed == [*message.lines, message.more]
    assert contents[-1].endswith(message.more) and not any(message.more in c for c in contents[:-1])
    assert con.execute("SELECT count(*), count(DISTINCT subject) FROM notification_log").fetchone() == (130, 130)


def test_a_message_missed_while_the_channel_was_down_is_sent_once_it_is_back(con):
    """P0001's message fails all its tries while the webhook is down; once it is up, redeliver_failed sends that
    very message once (logged as the 4th attempt), a second call sends nothing, and a message first tried longer
    than redeliver_hours ago is left as failed."""
    port = _free_port()
    channel = notify.add_channel(con, "数据平台", "webhook", f"http://127.0.0.1:{port}/hook", "all")
    assert notify.deliver(con, [RED_NEW], _settings(), NOW, sleep=_Sleeps())["failed"] == 1
    assert notify.redeliver_failed(con, _settings()) == {"sent": 0, "failed": 1}  # still down
    server = _start_http(port)
    try:
        later = dt.datetime.now() + dt.timedelta(hours=25)
        assert notify.redeliver_failed(con, _settings(), now=later) == {"sent": 0, "failed": 0}  # too old by then
        assert notify.redeliver_failed(con, _settings()) == {"sent": 1, "failed": 0}
        assert notify.redeliver_failed(con, _settings()) == {"sent": 0, "failed": 0}
        assert [body["events"][0]["subject"] for _, _, body in server.requests] == ["P0001"]
    finally:
        server.shutdown()
        server.server_close()
    assert con.execute("SELECT attempt, outcome FROM notification_log WHERE channel_id = ? ORDER BY id",
                       [channel]).fetchall() == [(1, "failed"), (2, "failed"), (3, "failed"), (4, "failed"),
                                                 (5, "sent")]


def test_dry_run_redelivers_nothing(con, http):
    """In dry-run nothing was sent, so nothing is sent again."""
    notify.add_channel(con, "数据平台", "webhook", f"{http.url}/hook", "all")
    notify.deliver(con, [RED_NEW], _settings(dry_run=True), NOW)
    assert notify.redeliver_failed(con, _settings(dry_run=True)) == {"sent": 0, "failed": 0}
    assert http.requests == []


def test_a_test_message_is_really_sent_while_the_system_is_in_dry_run(con, http):
    """发送测试消息 checks one robot while every other message is only logged: under the default (dry-run) settings
    the test message reaches the server and is logged 'sent'; an ordinary event stays dry_run."""
    channel = notify.add_channel(con, "招商群", "dingtalk", f"{http.url}/robot", "all", enabled=False)
    summary = notify.deliver_test(con, channel, settings.load(env={}), NOW)
    assert (summary["sent"], summary["logged_dry_run"]) == (1, 0)
    [(path, _, body)] = http.requests
    assert path == "/robot" and "招商群" in body["markdown"]["text"]
    assert con.execute("SELECT rule, outcome FROM notification_log").fetchall() == [("test", "sent")]


PROJECT_RED = {"rule": "commenced_not_in_stats", "subject": "ZS000149", "unit": "U05", "unit_name": "云溪镇",
               "grade": "red", "change": "new", "since": dt.date(2025, 7, 27),
               "detail": "锦锐冷链食品扩能技改项目：开工于 2025-06-27，已 17 个月"}
UNIT_RED = {"rule": "rate_below_target", "subject": "U04:stats_rate", "unit": "U04", "unit_name": "城关街道",
            "grade": "red", "change": "new", "since": dt.date(2026, 12, 7),
            "detail": "城关街道开工项目纳统率 50.0%（5/10），目标 80%"}
TASK_YELLOW = {"rule": "task_due", "subject": "DB2026-003", "unit": "U02", "unit_name": "城东街道", "grade": "yellow",
               "change": "new", "since": dt.date(2026, 12, 6), "detail": "城东街道督办事项“解决用地指标”：办理期限12月9日，还剩2天"}


@pytest.mark.parametrize("event, line", [
    (PROJECT_RED, ("- **【红·新增】开工未纳统**　云溪镇：锦锐冷链食品扩能技改项目：开工于 2025-06-27，已 17 个月"
                  " [查看](https://zs.example.gov.cn/project?code=ZS000149)")),
    (UNIT_RED, ("- **【红·新增】开工率/纳统率未达标**　城关街道：城关街道开工项目纳统率 50.0%（5/10），目标 80%（自 2026-12-07 起）"
               " [查看](https://zs.example.gov.cn/unit?unit=U04)")),
    (TASK_YELLOW, ("- **【黄·新增】督办临期/逾期**　城东街道：城东街道督办事项“解决用地指标”：办理期限12月9日，还剩2天（自 2026-12-06 起）"
                  " [查看](https://zs.example.gov.cn/tasks?code=DB2026-003)")),
])
def test_a_line_names_names_shows_each_date_once_and_links_to_its_page(event, line):
    """With [server] public_url set, each line links to the page showing it (项目详情, 单元看板, 督办中心); no
    internal key (project code, U04:stats_rate) is shown where the detail names the subject; a detail that has a
    date is not followed by a second one."""
    message = notify.events_message([event], NOW, base="https://zs.example.gov.cn/")
    assert message.lines == (line,)
    assert "U04:" not in message.text and "ZS000149：" not in message.text


def test_without_a_public_url_no_links_and_the_flood_line_links_the_centre():
    """No public_url (the default), or one that is not an http(s) address: no link at all. With one, the line
    counting what was not listed opens the 预警中心."""
    assert "](" not in notify.events_message([PROJECT_RED, UNIT_RED], NOW).text
    assert "](" not in notify.events_message([PROJECT_RED], NOW, base="zs.example.gov.cn").text
    flood = [dict(PROJECT_RED, subject=f"ZS{i:06d}") for i in range(8)]
    message = notify.events_message(flood, NOW, max_lines=5, base="https://zs.example.gov.cn")
    assert message.more.endswith("[打开预警中心](https://zs.example.gov.cn/warnings)")


def test_an_email_shows_a_link_as_words_and_address():
    """E-mail gets the message without markdown: a link reads '查看：https://…'."""
    text = notify._plain(notify.events_message([PROJECT_RED], NOW, base="https://zs.example.gov.cn").text)
    assert "查看：https://zs.example.gov.cn/project?code=ZS000149" in text and "](" not in text
