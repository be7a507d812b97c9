"""督办中心 (pages/tasks.py): an admin issues a task by hand, the unit's user sees only its own unit's tasks and
answers one, the admin closes it; every refusal is shown, nothing written."""
from __future__ import annotations

import datetime as dt

from streamlit.testing.v1 import AppTest

from pipelines.access import Actor
from pipelines.admin import tasks
from pipelines.store import db
from tests.factories import project, snapshot
from tests.server import ROOT
from ui.auth import TEST_ACTOR_KEY

ADMIN = Actor("管理员", "admin")
U01_USER = Actor("开发区填报员", "unit", "U01")
U02_USER = Actor("城东填报员", "unit", "U02")


def _page(actor: Actor) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "tasks.py"), default_timeout=60)
    at.session_state[TEST_ACTOR_KEY] = actor
    return at.run()


def _listed(at: AppTest) -> list[str]:
    return at.dataframe[0].value["编号"].tolist() if len(at.dataframe) else []


def test_issue_answer_and_close_through_the_page(units):
    units.close()
    at = _page(ADMIN)
    assert not at.exception
    deadline = dt.date.today() + dt.timedelta(days=2)
    form_inputs = [w for w in at.text_input if w.label == "事项标题（必填）"]
    form_inputs[0].set_value("推进A项目开工")
    at.selectbox[-1].set_value("U01")
    next(d for d in at.date_input if d.label == "办理期限").set_value(deadline)
    next(c for c in at.checkbox if c.label == "影响重大").check()
    next(b for b in at.button if b.label == "交办").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("已交办：DB")
    code = _listed(at)[0]
    assert at.dataframe[0].value.loc[0, "剩余"] == "还剩2天"

    assert _listed(_page(U02_USER)) == []  # another unit sees none of it
    unit_page = _page(U01_USER)
    assert _listed(unit_page) == [code]
    next(b for b in unit_page.button if b.label == "提交办理情况").click().run()  # without text: refused
    assert "请填写办理情况" in unit_page.error[0].value
    unit_page.text_area[0].set_value("已协调用地")
    next(b for b in unit_page.button if b.label == "提交办理情况").click().run()
    assert not unit_page.exception
    with db.cursor() as cur:
        assert tasks.find(cur, code).state == "responded"

    admin = _page(ADMIN)
    admin.segmented_control[0].set_value("待审核").run()
    assert _listed(admin) == [code]
    next(b for b in admin.button if b.label == "办结").click().run()
    assert not admin.exception
    with db.cursor() as cur:
        task = tasks.find(cur, code)
    assert task.state == "closed" and [h["label"] for h in task.history] == ["交办", "反馈办理情况", "办结"]


def test_leaders_read_and_cannot_act(units):
    tasks.issue(units, ADMIN, title="甲", unit="U02", deadline=dt.date.today() + dt.timedelta(days=10))
    units.close()
    at = _page(Actor("领导", "leader"))
    assert not at.exception
    assert len(_listed(at)) == 1
    assert not [b for b in at.button if b.label in ("提交办理情况", "办结", "交办", "延期", "撤销")]


def test_the_unit_answers_on_its_own_page(units):
    """单元看板 lists U01's open task with the days left and takes its answer; U02's page does not show it."""
    made = tasks.issue(units, ADMIN, title="补充用地材料", requirement="本周内提交", unit="U01",
                       deadline=dt.date.today() + dt.timedelta(days=1))
    last_month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    for unit in ("U01", "U02"):  # the page needs data to show
        snapshot(units, project(units, f"P{unit}", unit), last_month, dt.date.today().isoformat(), unit)
    units.close()

    def unit_page(actor: Actor) -> AppTest:
        at = AppTest.from_file(str(ROOT / "pages" / "unit.py"), default_timeout=60)
        at.session_state[TEST_ACTOR_KEY] = actor
        return at.run()

    other = unit_page(U02_USER)
    assert not other.exception and not [e for e in other.expander if made.code in e.label]
    at = unit_page(U01_USER)
    assert not at.exception
    assert [e.label for e in at.expander if made.code in e.label] == [
        f"{made.code} · 补充用地材料　办理期限 {made.deadline:%m月%d日}（还剩1天）"]
    next(t for t in at.text_area if t.label == "办理情况").set_value("已提交")
    next(b for b in at.button if b.label == "提交办理情况").click().run()
    assert not at.exception
    with db.cursor() as cur:
        assert tasks.find(cur, made.code).state == "responded"


def test_an_admin_confirms_a_veto_proposal_on_the_page(units):
    """An important task of U01 two days late: the page proposes 一票否优 for U01; confirming flags the unit."""
    now = dt.datetime.now()
    tasks.issue(units, ADMIN, title="重大项目落地", unit="U01", important=True,
                deadline=dt.date.today() - dt.timedelta(days=2), at=now - dt.timedelta(days=5), now=now)
    units.close()
    at = _page(ADMIN)
    assert at.warning[0].value.startswith("一票否优建议：经济开发区有影响重大的督办事项逾期")
    next(b for b in at.button if b.label == "确认一票否优").click().run()
    assert not at.exception
    with db.cursor() as cur:
        assert cur.execute("SELECT unit_code FROM veto_flags").fetchall() == [("U01",)]


def test_a_link_opens_its_task_and_shows_which_source_warning_is_still_open(units):
    """?code= (a notification's link) opens that task whatever the view; a task from two warnings names both, one
    still open (with its grade), the other resolved on its day."""
    now = dt.datetime.now()
    units.execute("INSERT INTO warnings (id, rule, subject, unit_code, grade, since, detail, first_seen, last_seen, "
                  "resolved_at) VALUES (1, 'signed_not_commenced', 'A', 'U01', 'red', ?, 'A项目：签约已满6个月', ?, ?, NULL), "
                  "(2, 'signed_not_commenced', 'B', 'U01', 'yellow', ?, 'B项目：签约已满3个月', ?, ?, ?)",
                  [now.date(), now, now, now.date(), now, now, dt.datetime(2026, 11, 30, 8)])
    closed = tasks.issue(units, ADMIN, title="先办结的事项", unit="U01", deadline=dt.date.today() + dt.timedelta(days=9))
    tasks.act(units, ADMIN, closed.code, "respond", text="已办")
    tasks.act(units, ADMIN, closed.code, "close")
    tasks.issue(units, ADMIN, title="推进A、B项目开工", unit="U01", source="warning",
                warnings=[("signed_not_commenced", "A"), ("signed_not_commenced", "B")],
                deadline=dt.date.today() + dt.timedelta(days=9))
    units.close()
    at = AppTest.from_file(str(ROOT / "pages" / "tasks.py"), default_timeout=60)
    at.session_state[TEST_ACTOR_KEY] = ADMIN
    at.query_params["code"] = closed.code
    at.run()
    assert not at.exception
    assert at.segmented_control[0].value == "全部" and at.selectbox(key="task_pick").value == closed.code
    at.selectbox(key="task_pick").set_value(f"DB{dt.date.today().year}-002").run()
    sources = next(c.value for c in at.caption if c.value.startswith("来源预警："))
    assert "A项目：签约已满6个月——**仍未解除**（红）" in sources and "B项目：签约已满3个月——已解除（2026-11-30）" in sources
