"""督办事项 (DOMAIN §10): every action and every refusal, the as-of replay day by day, 临期 and 逾期 on both sides of
their boundaries, the command's JSON and the API."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from pipelines.access import Actor
from pipelines.admin import tasks
from pipelines.admin.tasks import TaskRefused
from tests.factories import project
from tests.server import ROOT

D = dt.date
ADMIN = Actor("管理员", "admin")
U01_USER = Actor("开发区填报员", "unit", "U01")
U02_USER = Actor("城东填报员", "unit", "U02")
LEADER = Actor("领导", "leader")
NOW = dt.datetime(2026, 4, 1, 12, 0)


def _at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(D.fromisoformat(day), dt.time(hour))


@pytest.fixture
def story(units):
    """One important task to U01 about project A: issued 03-02 (deadline 03-10), answered late on 03-12, returned
    on 03-13, extended on 03-14 to 03-20, answered on 03-18, closed on 03-19 — all back-filled by the admin."""
    project(units, "A", "U01")
    task = tasks.issue(units, ADMIN, title="推进A项目开工", requirement="协调用地，4月前开工", unit="U01", project="A",
                       source="manual", important=True, deadline=D(2026, 3, 10), at=_at("2026-03-02"), now=NOW)
    code = task.code
    tasks.act(units, ADMIN, code, "respond", text="已协调自然资源局", at=_at("2026-03-12"), now=NOW)
    tasks.act(units, ADMIN, code, "return", text="未说明开工时间", at=_at("2026-03-13"), now=NOW)
    tasks.act(units, ADMIN, code, "extend", deadline=D(2026, 3, 20), text="用地报批需要时间", at=_at("2026-03-14"),
              now=NOW)
    tasks.act(units, ADMIN, code, "respond", text="3月25日开工", at=_at("2026-03-18"), now=NOW)
    tasks.act(units, ADMIN, code, "close", text="同意办结", at=_at("2026-03-19"), now=NOW)
    return units, code


@pytest.mark.parametrize("day, expected", [
    ("2026-03-01", None),  # not issued yet
    ("2026-03-02", ("open", "2026-03-10", False, False, None)),
    ("2026-03-06", ("open", "2026-03-10", False, False, None)),  # 4 days left: not yet 临期
    ("2026-03-07", ("open", "2026-03-10", True, False, None)),  # 3 days left
    ("2026-03-10", ("open", "2026-03-10", True, False, None)),  # the deadline day itself: not late
    ("2026-03-11", ("open", "2026-03-10", False, True, None)),
    ("2026-03-12", ("responded", "2026-03-10", False, True, "2026-03-12T10:00:00")),  # answered after the deadline
    ("2026-03-13", ("open", "2026-03-10", False, True, None)),  # returned: no standing answer
    ("2026-03-14", ("open", "2026-03-20", False, False, None)),  # the extension forgives
    ("2026-03-17", ("open", "2026-03-20", True, False, None)),
    ("2026-03-18", ("responded", "2026-03-20", False, False, "2026-03-18T10:00:00")),
    ("2026-03-19", ("closed", "2026-03-20", False, False, "2026-03-18T10:00:00")),
    ("2026-03-31", ("closed", "2026-03-20", False, False, "2026-03-18T10:00:00")),  # answered in time: never late
])
def test_the_task_as_it_stood_each_day(story, day, expected):
    con, code = story
    found = {t["code"]: t for t in tasks.listing(con, D.fromisoformat(day))["tasks"]}
    if expected is None:
        assert found == {}
        return
    t = found[code]
    assert (t["state"], t["deadline"], t["due_soon"], t["late"], t["answered_at"]) == expected
    assert (t["unit"], t["project"], t["source"], t["important"], t["issued_at"]) == (
        "U01", "A", "manual", True, "2026-03-02T10:00:00")


def test_an_answer_in_time_that_waits_is_not_late_and_a_cancelled_task_never_is(units):
    """Answered on the deadline day and not yet reviewed: not late after it. Cancelled after its deadline: not late."""
    waiting = tasks.issue(units, ADMIN, title="甲", unit="U01", deadline=D(2026, 3, 10), at=_at("2026-03-01"), now=NOW)
    tasks.act(units, U01_USER, waiting.code, "respond", text="已办", now=_at("2026-03-10", 23))
    dropped = tasks.issue(units, ADMIN, title="乙", unit="U02", deadline=D(2026, 3, 5), at=_at("2026-03-01"), now=NOW)
    tasks.act(units, ADMIN, dropped.code, "cancel", text="情况已变化", at=_at("2026-03-09"), now=NOW)
    found = {t["title"]: t for t in tasks.listing(units, D(2026, 3, 20))["tasks"]}
    assert (found["甲"]["state"], found["甲"]["late"]) == ("responded", False)
    assert (found["乙"]["state"], found["乙"]["late"]) == ("cancelled", False)
    assert tasks.listing(units, D(2026, 3, 8))["tasks"][1]["late"] is True  # before it was cancelled


@pytest.mark.parametrize("actor, action, fields, reason", [
    (U02_USER, "respond", {"text": "x"}, "只有责任单位的用户或管理员可以反馈办理情况"),
    (LEADER, "respond", {"text": "x"}, "只有责任单位的用户或管理员可以反馈办理情况"),
    (U01_USER, "respond", {"text": "  "}, "请填写办理情况"),
    (U01_USER, "return", {"text": "x"}, "只有管理员可以退回督办事项"),
    (ADMIN, "return", {"text": "x"}, "督办事项 DB2026-001 当前为“办理中”，不能退回"),
    (ADMIN, "close", {}, "督办事项 DB2026-001 当前为“办理中”，不能办结"),
    (ADMIN, "cancel", {}, "请填写撤销理由"),
    (ADMIN, "extend", {"text": "x"}, "延期须填写新的办理期限（截止日期）"),
    (ADMIN, "extend", {"text": "x", "deadline": D(2026, 3, 10)}, "新的办理期限须晚于当前期限 2026-03-10"),
    (ADMIN, "extend", {"deadline": D(2026, 3, 30)}, "请填写延期理由"),
    (ADMIN, "delete", {}, "不支持的操作“delete”"),
    (U01_USER, "respond", {"text": "x", "at": _at("2026-03-05")}, "只有管理员可以补录以前日期的督办操作"),
    (ADMIN, "respond", {"text": "x", "at": _at("2026-02-28")}, "早于该事项上一次操作（2026-03-02 10:00）"),
    (ADMIN, "respond", {"text": "x", "at": _at("2026-04-02")}, "晚于现在，不能预先登记"),
])
def test_every_refusal_says_why_and_writes_nothing(units, actor, action, fields, reason):
    task = tasks.issue(units, ADMIN, title="推进A项目", unit="U01", deadline=D(2026, 3, 10), at=_at("2026-03-02"),
                       now=NOW)
    before = units.execute("SELECT (SELECT count(*) FROM task_actions), (SELECT count(*) FROM audit_log)").fetchone()
    with pytest.raises(TaskRefused) as refused:
        tasks.act(units, actor, task.code, action, now=NOW, **fields)
    assert reason in str(refused.value)
    assert units.execute("SELECT (SELECT count(*) FROM task_actions), (SELECT count(*) FROM audit_log)").fetchone() \
        == before


@pytest.mark.parametrize("actor, fields, reason", [
    (U01_USER, {}, "只有管理员可以交办督办事项"),
    (ADMIN, {"title": " "}, "请填写督办事项的标题"),
    (ADMIN, {"unit": "U99"}, "责任单位“U99”不在单元名录中"),
    (ADMIN, {"project": "ZZ"}, "项目“ZZ”不存在"),
    (ADMIN, {"deadline": D(2026, 2, 1)}, "办理期限 2026-02-01 早于交办日期 2026-03-02"),
    (ADMIN, {"source": "warning"}, "由预警交办的事项须注明预警规则和对象"),
    (ADMIN, {"source": "issue"}, "由存在问题交办的事项须注明项目和报告期"),
])
def test_issuing_refusals(units, actor, fields, reason):
    given = {"title": "推进A项目", "unit": "U01", "deadline": D(2026, 3, 10), "at": _at("2026-03-02"), **fields}
    with pytest.raises(TaskRefused) as refused:
        tasks.issue(units, actor, now=NOW, **given)
    assert reason in str(refused.value)
    assert units.execute("SELECT count(*) FROM task_actions").fetchone()[0] == 0


def test_every_action_is_audited_and_codes_run_per_year(story):
    con, code = story
    assert code == "DB2026-001"
    audited = [a for (a,) in con.execute("SELECT action FROM audit_log WHERE subject = ? ORDER BY id", [code]).fetchall()]
    assert audited == ["task.issue", "task.respond", "task.return", "task.extend", "task.respond", "task.close"]
    second = tasks.issue(con, ADMIN, title="乙", unit="U02", deadline=D(2026, 4, 10), now=NOW)
    assert second.code == "DB2026-002"
    assert [h["label"] for h in tasks.find(con, code).history] == ["交办", "反馈办理情况", "退回", "延期", "反馈办理情况",
                                                                   "办结"]


def test_the_command_prints_the_tasks_of_a_day(story, tmp_path):
    """`python -m pipelines.tasks --as-of 2026-03-12 --json` prints DOMAIN §9's object."""
    con, code = story
    con.close()
    done = subprocess.run([sys.executable, "-m", "pipelines.tasks", "--as-of", "2026-03-12", "--json", "--db",
                           str(tmp_path / "test.duckdb")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["as_of"] == "2026-03-12"
    assert data["tasks"] == [{"code": code, "title": "推进A项目开工", "unit": "U01", "project": "A",
                              "source": "manual", "important": True, "issued_at": "2026-03-02T10:00:00",
                              "deadline": "2026-03-10", "state": "responded", "due_soon": False, "late": True,
                              "answered_at": "2026-03-12T10:00:00"}]


def test_late_tasks_in_the_report_and_the_deduction_when_set(story):
    """As of 2026-03-12 U01's important task is late: late_tasks 1 and veto_proposed; no points lost by default;
    with deduction_per_late_task = 2 the ledger shows the task and the points; by 03-19 (closed in time after the
    extension) it is no longer late."""
    from pipelines import settings
    from pipelines.figures.assessment import assess
    from pipelines.report import report

    con, code = story
    u01 = next(u for u in report(con, D(2026, 3, 12))["units"] if u["code"] == "U01")
    assert (u01["late_tasks"], u01["veto_proposed"], u01["deduction"]) == (1, True, 0.0)
    config = settings.load(env={}, overrides={"assessment": {"deduction_per_late_task": 2}})
    ledger = assess(con, D(2026, 3, 12), config).ledger.set_index(["unit_code", "item"])
    assert (ledger.loc[("U01", "late_tasks"), "subjects"], ledger.loc[("U01", "late_tasks"), "points"]) == ([code], -2.0)
    assert "late_tasks" not in set(assess(con, D(2026, 3, 12)).ledger["item"])
    later = next(u for u in report(con, D(2026, 3, 19))["units"] if u["code"] == "U01")
    assert (later["late_tasks"], later["veto_proposed"]) == (0, False)


def test_task_due_warnings(story):
    """On 03-07 the open task is due in 3 days: 黄 since 03-07; on 03-11 it is late: 红 since 03-11; on 03-12 it has
    been answered (responded): no task_due warning, though it stays late for the ledger."""
    from alerts.rules import conditions

    con, code = story

    def due(day: str) -> list[tuple]:
        found = conditions(con, D.fromisoformat(day))
        return [(w["subject"], w["unit_code"], w["grade"], f"{w['since']}", w["detail"])
                for _, w in found[found["rule"] == "task_due"].iterrows()]

    assert due("2026-03-06") == []
    assert due("2026-03-07") == [(code, "U01", "yellow", "2026-03-07",
                                  "经济开发区督办事项“推进A项目开工”：办理期限3月10日，还剩3天")]
    assert due("2026-03-11") == [(code, "U01", "red", "2026-03-11",
                                  "经济开发区督办事项“推进A项目开工”：办理期限3月10日，已逾期1天")]
    assert due("2026-03-12") == []


def test_the_big_screen_counts_open_late_and_closed_tasks(story):
    """On 03-12 the task is unfinished and late; on 03-19 it is closed this year; U02's screen has none."""
    from pipelines.screens import cockpit

    con, _ = story
    assert cockpit.task_counts(con, D(2026, 3, 12)) == {"open": 1, "late": 1, "closed": 0}
    assert cockpit.task_counts(con, D(2026, 3, 19)) == {"open": 0, "late": 0, "closed": 1}
    assert cockpit.task_counts(con, D(2026, 3, 12), "U02") == {"open": 0, "late": 0, "closed": 0}


def test_the_bulletin_names_late_important_tasks(story):
    """The 通报 as of 03-12: U01 was given 1 task, none closed, 1 unfinished and late; being important, it is named
    (批评通报). By 03-19 it is closed: nothing is named."""
    from pipelines.bulletin.content import bulletin_content

    con, _ = story
    section = next(s for s in bulletin_content(con, D(2026, 3, 12)).sections if s.heading == "督办事项")
    assert section.blocks[0].rows == [("经济开发区", 1, 0, 1, 1)]
    assert section.blocks[1] == "以下影响重大的督办事项逾期未办，予以通报批评：经济开发区“推进A项目开工”（办理期限3月10日）。"
    later = next(s for s in bulletin_content(con, D(2026, 3, 19)).sections if s.heading == "督办事项")
    assert later.blocks[0].rows == [("经济开发区", 1, 1, 0, 0)] and later.blocks[1] == "本年影响重大的督办事项均未逾期。"


def test_a_veto_proposal_confirmed_or_dismissed(story):
    """On 03-12 U01's important task is late: U01 is proposed for 一票否优 of 2026. Dismissing needs a reason and
    ends the proposal; confirming instead makes it the veto, its reason the task; a unit user may do neither."""
    from pipelines.figures.assessment import assess

    con, code = story
    day = D(2026, 3, 12)
    assert [(p["unit"], [t.code for t in p["tasks"]]) for p in tasks.veto_proposals(con, day)] == [("U01", [code])]
    with pytest.raises(TaskRefused, match="只有管理员"):
        tasks.decide_veto(con, U01_USER, "U01", "confirmed", day)
    with pytest.raises(TaskRefused, match="须写明理由"):
        tasks.decide_veto(con, ADMIN, "U01", "dismissed", day)
    tasks.decide_veto(con, ADMIN, "U01", "confirmed", day, now=NOW)
    assert tasks.veto_proposals(con, day) == []
    # known by 04-01, when it was confirmed: vetoed; the same day as known then (before it) still only proposed
    u01 = assess(con, day, known_by=NOW.date()).units.set_index("code").loc["U01"]
    assert (bool(u01["vetoed"]), bool(u01["veto_proposed"])) == (True, False)
    then = assess(con, day).units.set_index("code").loc["U01"]
    assert (bool(then["vetoed"]), bool(then["veto_proposed"])) == (False, True)
    note = con.execute("SELECT note FROM veto_flags WHERE year = 2026 AND unit_code = 'U01'").fetchone()[0]
    assert note == f"督办事项逾期：{code}“推进A项目开工”（期限2026-03-10）"


def test_a_dismissed_proposal_stays_dismissed_until_another_task_is_late(story):
    con, code = story
    day = D(2026, 3, 12)
    tasks.decide_veto(con, ADMIN, "U01", "dismissed", day, reason="已协调解决", now=NOW)
    assert tasks.veto_proposals(con, day) == []
    assert con.execute("SELECT count(*) FROM veto_flags").fetchone()[0] == 0
    other = tasks.issue(con, ADMIN, title="乙", unit="U01", important=True, deadline=D(2026, 3, 20),
                        at=_at("2026-03-12"), now=NOW)
    assert [[t.code for t in p["tasks"]] for p in tasks.veto_proposals(con, D(2026, 3, 25))] == [[other.code]]
