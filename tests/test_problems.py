"""问题清单 (DOMAIN §10): every project's latest non-empty 存在问题 as of a day, whether a task covers it, 已知悉;
the page lets an admin mark one or turn it into a 督办事项, and shows a unit only its own."""
from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.access import Actor
from pipelines.admin import problems, tasks
from pipelines.admin.tasks import TaskRefused
from pipelines.store import db
from tests.factories import project, snapshot
from tests.server import ROOT
from ui.auth import TEST_ACTOR_KEY

D = dt.date
ADMIN = Actor("管理员", "admin")
U02_USER = Actor("城东填报员", "unit", "U02")


@pytest.fixture
def reported(units):
    """A (U01): 存在问题 in March, corrected the same month to another text, none in April. B (U02): a problem in
    April, received 05-08."""
    a, b = project(units, "A", "U01"), project(units, "B", "U02")
    snapshot(units, a, "2026-03", "2026-04-05", "U01", issues="用地指标待落实")
    snapshot(units, a, "2026-03", "2026-04-09", "U01", issues="用地指标已报省厅审批")
    snapshot(units, a, "2026-04", "2026-05-06", "U01", issues="")
    snapshot(units, b, "2026-04", "2026-05-08", "U02", issues="环评手续办理中")
    return units


def _listed(con, day, scope=None):
    found = problems.problem_list(con, D.fromisoformat(day), scope)
    return [(r.project_code, f"{r.period:%Y-%m}", r.issues, bool(r.current), r.tasks)
            for r in found.itertuples(index=False)]


def test_the_latest_problem_of_each_project_as_of_a_day(reported):
    """On 04-07 A's first text; from 04-09 its correction; from 05-06 A's April report has none, so March's stays
    listed but no longer current; B's appears when it arrives; a unit user's list is its own."""
    assert _listed(reported, "2026-04-04") == []
    assert _listed(reported, "2026-04-07") == [("A", "2026-03", "用地指标待落实", True, [])]
    assert _listed(reported, "2026-04-09") == [("A", "2026-03", "用地指标已报省厅审批", True, [])]
    assert _listed(reported, "2026-05-06") == [("A", "2026-03", "用地指标已报省厅审批", False, [])]
    assert _listed(reported, "2026-05-08") == [("B", "2026-04", "环评手续办理中", True, []),
                                               ("A", "2026-03", "用地指标已报省厅审批", False, [])]
    assert [r[0] for r in _listed(reported, "2026-05-08", "U02")] == ["B"]


def test_a_task_issued_from_a_problem_covers_it_and_an_acknowledgement_is_kept(reported):
    """A task issued from B's April problem covers it from its day; 已知悉 on A's March problem is recorded with its
    note and audited; marking a problem that was never written, or as a non-admin, is refused."""
    task = tasks.issue(reported, ADMIN, title="解决B项目环评", unit="U02", project="B", source="issue",
                       source_period=D(2026, 4, 1), deadline=D(2026, 5, 30), at=dt.datetime(2026, 5, 10, 9),
                       now=dt.datetime(2026, 5, 10, 10))
    assert _listed(reported, "2026-05-09")[0][4] == []
    assert _listed(reported, "2026-05-10")[0][4] == [task.code]
    problems.acknowledge(reported, ADMIN, "A", D(2026, 3, 15), "已了解，省厅审批中", now=dt.datetime(2026, 5, 11, 9))
    row = problems.problem_list(reported, D(2026, 5, 11)).set_index("project_code").loc["A"]
    assert (row["acknowledged_by"], row["acknowledged_note"]) == ("管理员", "已了解，省厅审批中")
    assert reported.execute("SELECT action, subject FROM audit_log WHERE action = 'problem.acknowledged'"
                            ).fetchall() == [("problem.acknowledged", "A")]
    with pytest.raises(TaskRefused, match="项目 A 在 2026年04月 没有报送存在问题"):
        problems.acknowledge(reported, ADMIN, "A", D(2026, 4, 1))
    with pytest.raises(TaskRefused, match="只有管理员"):
        problems.acknowledge(reported, U02_USER, "B", D(2026, 4, 1))


def _page(actor: Actor) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "problems.py"), default_timeout=60)
    at.session_state[TEST_ACTOR_KEY] = actor
    return at.run()


def test_the_page_turns_a_problem_into_a_task_and_a_unit_sees_its_own(units):
    """The admin's 待处理 view lists this month's problems; 交办 issues a task from the picked one (source 存在问题,
    prefilled with the project, month and text), after which it leaves 待处理; U02's user sees only U02's, with no
    actions."""
    today = dt.date.today()
    month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    snapshot(units, project(units, "A", "U01"), month, today.isoformat(), "U01", project_name="甲项目",
             issues="电力配套待完善")
    snapshot(units, project(units, "B", "U02"), month, today.isoformat(), "U02", project_name="乙项目",
             issues="施工许可办理中")
    units.close()
    at = _page(ADMIN)
    assert not at.exception
    assert sorted(at.dataframe[0].value["项目编号"]) == ["A", "B"]
    at.selectbox(key="problem_pick").set_value(f"A@{month}").run()
    assert next(t for t in at.text_input if t.label == "事项标题").value == "解决甲项目存在的问题"
    next(b for b in at.button if b.label == "交办").click().run()
    assert not at.exception and at.success[0].value.startswith("已交办：DB")
    with db.cursor() as cur:
        [task] = tasks.tasks_as_of(cur, today)
    assert (task.unit, task.project, task.source, f"{task.source_period:%Y-%m}") == ("U01", "A", "issue", month)
    assert "电力配套待完善" in task.requirement
    assert list(at.dataframe[0].value["项目编号"]) == ["B"]

    unit = _page(U02_USER)
    assert not unit.exception
    assert list(unit.dataframe[0].value["项目编号"]) == ["B"]
    assert not [b for b in unit.button if b.label in ("交办", "已知悉")]
