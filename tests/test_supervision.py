"""督办 on the warnings' floor (DOMAIN §10): a task from several warnings shows whether each is still open; a new
task is told to its unit once, a back-filled one never; the tasks due soon are told to their unit once a day;
every action wakes the scheduler's evaluation."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from alerts import notify, supervision
from alerts.evaluate import evaluate
from pipelines import settings
from pipelines.access import Actor
from pipelines.admin import tasks
from pipelines.admin.tasks import TaskRefused
from tests.factories import project, snapshot

D = dt.date
ADMIN = Actor("管理员", "admin")
BASE = "https://zs.example.gov.cn"


def _config(**server):
    return settings.load(env={}, overrides={"server": {"public_url": BASE, **server}})


def _channels(con):
    """A channel for U01, one for U02, one for the leaders and one hearing everything."""
    return {name: notify.add_channel(con, name, "webhook", f"http://127.0.0.1:9/{name}", audience, unit_code=unit)
            for name, audience, unit in [("u01", "unit", "U01"), ("u02", "unit", "U02"), ("leaders", "leaders", None),
                                         ("all", "all", None)]}


def _heard(con, rule):
    """channel name → the texts logged for it under `rule`."""
    rows = con.execute("SELECT c.name, l.payload FROM notification_log l JOIN notification_channels c "
                       "ON c.id = l.channel_id WHERE l.rule = ? ORDER BY l.id", [rule]).fetchall()
    heard: dict[str, list[str]] = {}
    for name, payload in rows:
        heard.setdefault(name, []).append(json.loads(payload)["text"])
    return heard


def _signed_late(con, code, unit="U01"):
    """A project signed 2026-01-10 and not commenced: a 签约未开工 warning from April on. Returns its id."""
    pid = project(con, code, unit)
    snapshot(con, pid, "2026-03", "2026-04-05", unit, project_name=f"{code}项目", signed_date="2026-01-10")
    return pid


def test_a_task_from_two_warnings_shows_which_is_still_open(units):
    """Two open 签约未开工 warnings of U01 become one task; when one project commences its warning resolves and the
    task shows it resolved, the other still open (red or yellow as it stands)."""
    a = _signed_late(units, "A")
    _signed_late(units, "B")
    evaluate(units, D(2026, 4, 30))
    task = tasks.issue(units, ADMIN, title="推进A、B项目开工", unit="U01", source="warning",
                       warnings=[("signed_not_commenced", "A"), ("signed_not_commenced", "B")],
                       deadline=D(2026, 5, 20), at=dt.datetime(2026, 4, 30, 9), now=dt.datetime(2026, 4, 30, 10))
    assert (task.source_rule, task.source_subject, task.warnings) == (
        "signed_not_commenced", "A", [("signed_not_commenced", "A"), ("signed_not_commenced", "B")])
    assert [(w["subject"], w["open"], w["rule_name"]) for w in supervision.source_warnings(units, task)] == [
        ("A", True, "签约未开工"), ("B", True, "签约未开工")]
    snapshot(units, a, "2026-04", "2026-05-05", "U01", project_name="A项目", signed_date="2026-01-10",
             commenced_date="2026-04-20")
    evaluate(units, D(2026, 5, 6))
    states = {w["subject"]: w for w in supervision.source_warnings(units, tasks.find(units, task.code))}
    assert not states["A"]["open"] and states["A"]["resolved_at"] is not None
    assert states["B"]["open"] and states["B"]["grade"] in ("yellow", "red")
    assert [t.warnings for t in tasks.tasks_as_of(units, D(2026, 5, 6))] == [task.warnings]


def test_warnings_only_for_a_task_from_warnings(units):
    """Linking warnings to a hand-written task is refused, and nothing is written."""
    with pytest.raises(TaskRefused, match="只有来源为预警的事项才能关联预警"):
        tasks.issue(units, ADMIN, title="x", unit="U01", source="manual", warnings=[("signed_not_commenced", "A")],
                    deadline=D(2099, 1, 1))
    assert units.execute("SELECT count(*) FROM task_actions").fetchone()[0] == 0
    assert units.execute("SELECT count(*) FROM task_warnings").fetchone()[0] == 0


def test_a_new_task_is_told_to_its_unit_once_and_a_back_filled_one_never(units):
    """A task issued now reaches U01's channel and the one hearing everything (not U02's, not the leaders'), with
    its deadline, time left, requirement and a link to 督办中心; the next evaluation says nothing more. A task
    back-filled with last month's date is not announced."""
    _channels(units)
    now = dt.datetime(2026, 4, 1, 10)
    task = tasks.issue(units, ADMIN, title="报送A项目开工计划", requirement="4月10日前报送", unit="U01",
                       deadline=D(2026, 4, 10), now=now)
    tasks.issue(units, ADMIN, title="补录的纸质交办单", unit="U01", deadline=D(2026, 3, 20),
                at=dt.datetime(2026, 3, 2, 9), now=now)
    first = supervision.announce_new(units, _config(), now=now + dt.timedelta(minutes=5))
    assert (first["announced"], first["logged_dry_run"]) == ([task.code], 2)
    heard = _heard(units, supervision.ISSUED)
    assert sorted(heard) == ["all", "u01"]
    text = heard["u01"][0]
    assert "招引智控督办事项：经济开发区" in text and "“报送A项目开工计划”：办理期限4月10日，还剩9天" in text
    assert "办理要求：4月10日前报送" in text and f"[办理]({BASE}/tasks?code={task.code})" in text
    assert supervision.announce_new(units, _config(), now=now + dt.timedelta(minutes=10))["announced"] == []
    assert supervision.announce_new(units, _config(), now=now + dt.timedelta(days=2))["announced"] == []


def test_tasks_due_soon_are_told_to_their_unit_once_a_day(units):
    """With remind_days 3: on 04-06 (4 days left) nothing; on 04-07 U01 hears of its task (还剩3天), once however
    often the daily job runs; on 04-08 again (还剩2天); an answered task is not due soon; U02 hears nothing."""
    _channels(units)
    now = dt.datetime(2026, 4, 1, 10)
    task = tasks.issue(units, ADMIN, title="报送A项目开工计划", unit="U01", deadline=D(2026, 4, 10), now=now)
    answered = tasks.issue(units, ADMIN, title="已反馈的事项", unit="U01", deadline=D(2026, 4, 10), now=now)
    tasks.act(units, ADMIN, answered.code, "respond", text="已报送", now=now)
    config = _config()
    assert supervision.remind_due_soon(units, D(2026, 4, 6), config)["reminded"] == []
    assert supervision.remind_due_soon(units, D(2026, 4, 7), config)["reminded"] == ["U01"]
    assert supervision.remind_due_soon(units, D(2026, 4, 7), config)["reminded"] == []
    assert supervision.remind_due_soon(units, D(2026, 4, 8), config)["reminded"] == ["U01"]
    heard = _heard(units, supervision.DUE_SOON)
    assert sorted(heard) == ["all", "u01"] and len(heard["u01"]) == 2
    assert f"{task.code}**“报送A项目开工计划”：办理期限4月10日，还剩3天" in heard["u01"][0]
    assert "还剩2天" in heard["u01"][1] and "已反馈的事项" not in "".join(heard["u01"])


def test_every_task_action_tells_the_listeners(units):
    """The scheduler listens to task actions (it evaluates at once); a failing listener does not undo the action."""
    heard = []
    stop = tasks.on_acted(lambda code, action: heard.append((code, action)))
    stop_failing = tasks.on_acted(lambda code, action: 1 / 0)
    try:
        task = tasks.issue(units, ADMIN, title="x", unit="U01", deadline=D(2099, 1, 1))
        tasks.act(units, ADMIN, task.code, "cancel", text="重复交办")
    finally:
        stop()
        stop_failing()
    assert heard == [(task.code, "issue"), (task.code, "cancel")]
    assert tasks.find(units, task.code).state == "cancelled"
