"""The 预警中心 (alerts.centre and pages/warnings.py): the open warnings red first then longest-standing, filtered by
grade, rule and unit and always held to a unit user's own unit; acknowledgement with a note (who, when, the event,
the audit log) and its refusals, which write nothing; the resolved warnings with how long they lasted; one warning's
history; the header counts; the scheduler's run log and the notification log in the reader's scope; and the page
run with AppTest as an admin, a leader, a unit user and nobody.

The warnings are made the real way: snapshots written with tests.factories and alerts.evaluate.evaluate run on them.
The scenario, evaluated as of 2024-07-15 08:00 (序时进度 6/12: June is the last month completed on 07-15, DOMAIN §5),
every project reported for June (nothing stale):

    XM001 智能装备产业园 U01  签约 2024-01-10  6 months: 红, since 2024-04-10
    XM002 城东商贸综合体 U02  签约 2024-02-01  5 months: 黄, since 2024-05-01
    XM003 城东物流中心   U02  签约 2024-03-10  4 months: 黄, since 2024-06-10
    XM004 城西文旅小镇   U03  签约 2024-04-01  3 months: 黄, since 2024-07-01
    U03:commenced 城西街道 target 5 新开工, none: 0% against 50.0%, gap −50: 红 (落后序时进度), since the day evaluated
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from alerts import centre, notify, scheduler
from alerts.evaluate import change_events, evaluate
from pipelines import settings
from pipelines.access import Actor, OutOfScope
from pipelines.admin import users
from pipelines.store import db
from tests.conftest import ADMIN
from tests.factories import project, snapshot
from tests.server import ROOT
from ui.auth import TEST_ACTOR_KEY

D = dt.date
AS_OF = D(2024, 7, 15)
FIRST_RUN = dt.datetime(2024, 7, 15, 8, 0)
LATER = D(2024, 7, 20)  # the second evaluation: XM001 and XM003 have commenced
LATER_RUN = dt.datetime(2024, 7, 20, 20, 0)
ACKED = dt.datetime(2024, 7, 16, 9, 30)

U02_USER = Actor("u02", "unit", "U02")
U03_USER = Actor("u03", "unit", "U03")
LEADER = Actor("leader", "leader")
PASSWORD = "secret-password"

PROJECTS = {  # code: (unit, name, 签约日期)
    "XM001": ("U01", "智能装备产业园", "2024-01-10"),
    "XM002": ("U02", "城东商贸综合体", "2024-02-01"),
    "XM003": ("U02", "城东物流中心", "2024-03-10"),
    "XM004": ("U03", "城西文旅小镇", "2024-04-01"),
}
UNITS = [("U01", "经济开发区", "园区", "园区组"), ("U02", "城东街道", "乡镇街道", "乡镇组"),
         ("U03", "城西街道", "乡镇街道", "乡镇组")]  # as tests/conftest.py's `units`
DEFAULTS = settings.load(env={})  # settings.toml alone, whatever this process's environment says
BEHIND = "U03:commenced"
BEHIND_DETAIL = "城西街道新开工项目数完成 0.0%，落后序时进度 50.0 个百分点"


def _plain(frame: pd.DataFrame, columns: list[str]) -> list[list]:
    """The columns' rows as plain lists, missing values as None."""
    part = frame[columns].astype(object)
    return part.where(part.notna(), None).values.tolist()


def _scenario(con, now: dt.datetime = FIRST_RUN) -> SimpleNamespace:
    """The units, accounts (for display names), the module docstring's projects and target, evaluated as of
    AS_OF at `now`; the projects' and warnings' ids by code and subject, and the evaluation's changes."""
    registered = dt.datetime(2024, 1, 1)
    con.executemany("INSERT INTO units VALUES (?, ?, ?, ?, ?, ?)", [[*unit, registered, registered] for unit in UNITS])
    for username, name, role, unit in (("u02", "城东街道联络员", "unit", "U02"), ("u03", "城西街道联络员", "unit", "U03"),
                                       ("leader", "县领导", "leader", None)):
        users.create_user(con, ADMIN, username, name, role, PASSWORD, unit, config=DEFAULTS)
    pids = {}
    for code, (unit, name, signed) in PROJECTS.items():
        pids[code] = project(con, code, unit)
        snapshot(con, pids[code], "2024-06", "2024-07-05", unit, project_name=name, signed_date=signed,
                 investor="恒远实业")
    con.execute("INSERT INTO targets (submission_id, received_at, year, unit_code, signed_major, "
                  "signed_amount_wan, commenced, production, major_manufacturing) VALUES (1, '2024-01-10', 2024, 'U03', NULL, NULL, 5, NULL, NULL)")
    changes = evaluate(con, AS_OF, now=now, settings=DEFAULTS)
    ids = dict(con.execute("SELECT subject, id FROM warnings").fetchall())
    return SimpleNamespace(con=con, pids=pids, ids=ids, changes=changes)


def _commence(world: SimpleNamespace, *codes: str) -> None:
    """The projects' July reports (received 07-18) say they commenced on 07-17."""
    for code in codes:
        unit, name, signed = PROJECTS[code]
        snapshot(world.con, world.pids[code], "2024-07", "2024-07-18", unit, project_name=name, signed_date=signed,
                 investor="恒远实业", commenced_date="2024-07-17")


def _template(folder: Path, build) -> SimpleNamespace:
    """A database built once by `build(con)` (password hashing and evaluation cost a second), closed; each test
    copies it (_copy) so that it has a database of its own."""
    path = folder / "template.duckdb"
    con = db.connect(path)
    made = build(con)
    con.close()
    made.con, made.path = None, path
    return made


def _copy(template: SimpleNamespace, tmp_path: Path) -> Path:
    """The template copied to where this test's ZS_DB points (tests/conftest.py)."""
    target = tmp_path / "test.duckdb"
    shutil.copyfile(template.path, target)
    return target


@pytest.fixture(scope="module")
def _world_template(tmp_path_factory) -> SimpleNamespace:
    return _template(tmp_path_factory.mktemp("centre"), _scenario)


@pytest.fixture
def world(_world_template, tmp_path) -> SimpleNamespace:
    """The scenario in this test's own database (open as `world.con`)."""
    con = db.connect(_copy(_world_template, tmp_path))
    yield SimpleNamespace(**{**vars(_world_template), "con": con})
    con.close()


def _written(con) -> tuple:
    """Everything an acknowledgement writes: events, audit entries and the warnings' acknowledgement columns."""
    return (con.execute("SELECT count(*) FROM warning_events").fetchone()[0],
            con.execute("SELECT count(*) FROM audit_log WHERE action = 'warning.acknowledged'").fetchone()[0],
            con.execute("SELECT id, acknowledged_by, acknowledged_at, ack_note FROM warnings ORDER BY id").fetchall())


# ---------------------------------------------------------------------------------------------- open warnings

OPEN_COLUMNS = ["subject", "rule", "rule_name", "subject_label", "project_code", "unit_code", "unit_name", "grade",
                "grade_label", "since", "days_open", "detail"]


def test_open_warnings_red_first_then_longest_standing_with_labels_and_age(world):
    """As of 07-20: the two 红 first (XM001 since 04-10 before U03's behind-schedule warning since 07-15), then the
    黄 oldest first; days_open counted from `since` (04-10 → 07-20 is 101 days); a project warning is about its
    code, a unit warning about its assessment item in Chinese, with no project code."""
    found = centre.open_warnings(world.con, None, today=LATER)
    assert _plain(found, OPEN_COLUMNS) == [
        ["XM001", "signed_not_commenced", "签约未开工", "XM001", "XM001", "U01", "经济开发区", "red", "红",
         pd.Timestamp(2024, 4, 10), 101, "智能装备产业园：签约于 2024-01-10，已 6 个月"],
        [BEHIND, "behind_schedule", "落后序时进度", "新开工项目数", None, "U03", "城西街道", "red", "红",
         pd.Timestamp(2024, 7, 15), 5, BEHIND_DETAIL],
        ["XM002", "signed_not_commenced", "签约未开工", "XM002", "XM002", "U02", "城东街道", "yellow", "黄",
         pd.Timestamp(2024, 5, 1), 80, "城东商贸综合体：签约于 2024-02-01，已 5 个月"],
        ["XM003", "signed_not_commenced", "签约未开工", "XM003", "XM003", "U02", "城东街道", "yellow", "黄",
         pd.Timestamp(2024, 6, 10), 40, "城东物流中心：签约于 2024-03-10，已 4 个月"],
        ["XM004", "signed_not_commenced", "签约未开工", "XM004", "XM004", "U03", "城西街道", "yellow", "黄",
         pd.Timestamp(2024, 7, 1), 19, "城西文旅小镇：签约于 2024-04-01，已 3 个月"],
    ]
    assert found["id"].tolist() == [world.ids[s] for s in ("XM001", BEHIND, "XM002", "XM003", "XM004")]
    assert found[["acknowledged_by", "acknowledged_at", "ack_note"]].isna().all().all()


@pytest.mark.parametrize(("scope", "filters", "subjects"), [
    (None, {"grades": ["yellow"]}, ["XM002", "XM003", "XM004"]),
    (None, {"grades": ["red", "yellow"]}, ["XM001", BEHIND, "XM002", "XM003", "XM004"]),
    (None, {"rules": ["behind_schedule"]}, [BEHIND]),
    (None, {"units": ["U02", "U03"]}, [BEHIND, "XM002", "XM003", "XM004"]),
    (None, {"grades": ["red"], "units": ["U03"]}, [BEHIND]),
    (None, {"grades": ["red"], "rules": ["signed_not_commenced"], "units": ["U02"]}, []),
    ("U02", {}, ["XM002", "XM003"]),
    ("U02", {"units": ["U01"]}, []),  # a unit user's scope wins over the unit filter
    ("U02", {"units": ["U01", "U02", "U03"]}, ["XM002", "XM003"]),
    ("U02", {"grades": ["red"]}, []),
    ("U03", {"rules": ["behind_schedule", "signed_not_commenced"]}, [BEHIND, "XM004"]),
])
def test_open_warnings_filters_and_scope(world, scope, filters, subjects):
    """Each filter keeps only the chosen grades, rules and units (none chosen: all); a unit scope keeps only that
    unit's warnings whatever units are asked for."""
    assert centre.open_warnings(world.con, scope, today=LATER, **filters)["subject"].tolist() == subjects


# ---------------------------------------------------------------------------------------------- acknowledgement

def test_acknowledgement_records_who_when_and_note_in_the_warning_its_history_and_the_audit_log(world):
    """u02 acknowledges XM002 with a note (surrounding blanks dropped): the warning keeps who, when and the note and
    stays open; its history gains an 已确认 event with the note and u02's display name; the audit log names u02.
    An admin may acknowledge any unit's warning."""
    con, wid = world.con, world.ids["XM002"]
    centre.acknowledge_as(con, U02_USER, wid, "  已约谈投资方，计划8月开工  ", now=ACKED)
    assert con.execute("SELECT acknowledged_by, acknowledged_at, ack_note, resolved_at FROM warnings WHERE id = ?",
                       [wid]).fetchone() == ("u02", ACKED, "已约谈投资方，计划8月开工", None)
    row = centre.open_warnings(con, "U02", today=LATER).set_index("subject").loc["XM002"]
    assert (row["acknowledged_by"], row["acknowledged_by_name"], row["acknowledged_at"], row["ack_note"]) == (
        "u02", "城东街道联络员", pd.Timestamp(ACKED), "已约谈投资方，计划8月开工")
    history = centre.warning_history(con, wid, "U02")
    assert _plain(history, ["happened_at", "event", "event_label", "grade", "grade_label", "detail", "who",
                            "who_name"]) == [
        [pd.Timestamp(FIRST_RUN), "new", "新增", "yellow", "黄", "城东商贸综合体：签约于 2024-02-01，已 5 个月", None, None],
        [pd.Timestamp(ACKED), "acknowledged", "已确认", "yellow", "黄", "已约谈投资方，计划8月开工", "u02", "城东街道联络员"],
    ]
    audit = con.execute("SELECT actor, action, subject, detail FROM audit_log WHERE action = 'warning.acknowledged'"
                        ).fetchall()
    assert [(who, action, subject, json.loads(detail)) for who, action, subject, detail in audit] == [
        ("u02", "warning.acknowledged", str(wid), {"note": "已约谈投资方，计划8月开工"})]

    centre.acknowledge_as(con, ADMIN, world.ids[BEHIND], "说" * centre.NOTE_MAX_CHARS, now=ACKED)  # 500: the limit
    assert con.execute("SELECT acknowledged_by, length(ack_note) FROM warnings WHERE id = ?",
                       [world.ids[BEHIND]]).fetchone() == ("测试管理员", 500)
    assert centre.warning_counts(con, None, AS_OF)["unacknowledged"] == 3


def test_each_acknowledgement_in_the_history_names_its_own_author(world):
    """Acknowledged first by an admin, then by u02: the warning keeps the latest, while its history names each
    acknowledgement's author from the audit log (an admin without an account shows under the name it acts as)."""
    con, wid = world.con, world.ids["XM003"]
    centre.acknowledge_as(con, ADMIN, wid, "已电话督办")
    centre.acknowledge_as(con, U02_USER, wid, "已约谈投资方")
    acks = centre.warning_history(con, wid, None).query("event == 'acknowledged'")
    assert _plain(acks, ["detail", "who", "who_name"]) == [["已电话督办", "测试管理员", "测试管理员"],
                                                           ["已约谈投资方", "u02", "城东街道联络员"]]
    row = centre.open_warnings(con, None).set_index("subject").loc["XM003"]
    assert (row["acknowledged_by_name"], row["ack_note"]) == ("城东街道联络员", "已约谈投资方")


@pytest.mark.parametrize(("actor", "subject", "note", "refusal", "message"), [
    (U02_USER, "XM002", "", ValueError, "请填写处理说明。"),
    (U02_USER, "XM002", " \n\t ", ValueError, "请填写处理说明。"),
    (U02_USER, "XM002", "说" * 501, ValueError, "处理说明不能超过 500 字。"),
    (LEADER, "XM002", "已阅", OutOfScope, "领导为只读身份，不能确认预警。"),
    (U02_USER, "XM001", "已阅", OutOfScope, "只能确认本单元的预警。"),
    (U03_USER, "XM002", "已阅", OutOfScope, "只能确认本单元的预警。"),
    (U02_USER, BEHIND, "已阅", OutOfScope, "只能确认本单元的预警。"),
    (ADMIN, None, "已阅", LookupError, "该预警不存在。"),
])
def test_refused_acknowledgements_say_why_and_write_nothing(world, actor, subject, note, refusal, message):
    """An empty or overlong note, a leader, a unit user with another unit's warning and an unknown warning are each
    refused with the reason in Chinese; no event, audit entry or acknowledgement is written."""
    before = _written(world.con)
    wid = world.ids[subject] if subject else 9999
    with pytest.raises(refusal) as refused:
        centre.acknowledge_as(world.con, actor, wid, note, now=ACKED)
    assert str(refused.value) == message
    assert _written(world.con) == before


def test_acknowledged_warning_resolves_when_its_condition_clears(world):
    """XM003 acknowledged on 07-16 and XM001 (红 throughout) commence; the evaluation as of 07-20 (20:00) resolves
    both: the open list loses them, the resolved list has them latest first with the worst grade reached, the
    acknowledgement and how long they lasted (07-15 08:00 → 07-20 20:00: 5.5 days); XM003's history ends 已解除;
    acknowledging it now is refused and writes nothing."""
    con = world.con
    centre.acknowledge_as(con, U02_USER, world.ids["XM003"], "已约谈投资方，月内开工", now=ACKED)
    _commence(world, "XM001", "XM003")
    changes = evaluate(con, LATER, now=LATER_RUN)
    assert sorted((c.subject, c.change, c.grade) for c in changes) == [
        ("XM001", "resolved", "red"), ("XM003", "resolved", "yellow")]
    assert centre.open_warnings(con, None, today=LATER)["subject"].tolist() == [BEHIND, "XM002", "XM004"]
    resolved = centre.resolved_warnings(con, None)
    assert _plain(resolved, ["subject", "unit_name", "subject_label", "worst_grade", "worst_grade_label",
                             "resolved_at", "duration_days", "acknowledged_by_name", "ack_note"]) == [
        ["XM003", "城东街道", "XM003", "yellow", "黄", pd.Timestamp(LATER_RUN), 5.5, "城东街道联络员", "已约谈投资方，月内开工"],
        ["XM001", "经济开发区", "XM001", "red", "红", pd.Timestamp(LATER_RUN), 5.5, None, None],
    ]
    assert "days_open" not in resolved.columns
    assert centre.resolved_warnings(con, "U02")["subject"].tolist() == ["XM003"]
    assert centre.resolved_warnings(con, None, grades=["red"])["subject"].tolist() == ["XM001"]
    assert centre.resolved_warnings(con, "U02", units=["U01"]).empty
    assert centre.resolved_warnings(con, None, resolved_from=D(2024, 7, 20))["subject"].tolist() == ["XM003", "XM001"]
    assert centre.resolved_warnings(con, None, resolved_from=D(2024, 7, 21)).empty
    assert centre.warning_history(con, world.ids["XM003"], "U02")["event"].tolist() == [
        "new", "acknowledged", "resolved"]
    before = _written(con)
    with pytest.raises(LookupError) as refused:
        centre.acknowledge_as(con, U02_USER, world.ids["XM003"], "再次确认")
    assert str(refused.value) == "该预警已解除，无需确认。"
    assert _written(con) == before


# ---------------------------------------------------------------------------------------------- history and counts

def test_history_of_another_units_warning_is_refused_to_a_unit_user(world):
    """u02 may read XM002's history but not XM001's (U01) or U03's; admins and leaders (no scope) read any;
    an unknown warning is a LookupError."""
    assert centre.warning_history(world.con, world.ids["XM002"], "U02")["event"].tolist() == ["new"]
    for subject in ("XM001", BEHIND):
        with pytest.raises(OutOfScope, match="单元用户只能查看本单元的预警。"):
            centre.warning_history(world.con, world.ids[subject], "U02")
    assert _plain(centre.warning_history(world.con, world.ids[BEHIND], None),
                  ["event_label", "grade_label", "detail"]) == [["新增", "红", BEHIND_DETAIL]]
    with pytest.raises(LookupError, match="该预警不存在。"):
        centre.warning_history(world.con, 9999, None)


def test_warning_counts_per_scope_day_and_week(world):
    """As of 07-15 (all first seen that morning): 2 红, 3 黄, 5 unacknowledged, 5 new today; each unit its own share.
    One acknowledgement leaves 4 unacknowledged. After XM001 and XM003 resolve on Saturday 07-20, the week from
    Monday 07-15 counts 2 resolved (U02: 1) until the next Monday; evaluated_at is the latest evaluation."""
    con = world.con
    assert centre.warning_counts(con, None, AS_OF) == {
        "red": 2, "yellow": 3, "unacknowledged": 5, "new_today": 5, "resolved_this_week": 0,
        "failed_notifications": 0, "evaluated_at": FIRST_RUN}
    assert centre.warning_counts(con, None, D(2024, 7, 16))["new_today"] == 0
    scoped = {unit: centre.warning_counts(con, unit, AS_OF) for unit in ("U01", "U02", "U03")}
    assert {unit: (c["red"], c["yellow"], c["unacknowledged"], c["new_today"]) for unit, c in scoped.items()} == {
        "U01": (1, 0, 1, 1), "U02": (0, 2, 2, 2), "U03": (1, 1, 2, 2)}
    centre.acknowledge_as(con, U02_USER, world.ids["XM002"], "已约谈", now=ACKED)
    assert centre.warning_counts(con, None, AS_OF)["unacknowledged"] == 4
    assert centre.warning_counts(con, "U02", AS_OF)["unacknowledged"] == 1

    _commence(world, "XM001", "XM003")
    evaluate(con, LATER, now=LATER_RUN)
    assert centre.warning_counts(con, None, D(2024, 7, 21)) == {
        "red": 1, "yellow": 2, "unacknowledged": 2, "new_today": 0, "resolved_this_week": 2,
        "failed_notifications": 0, "evaluated_at": LATER_RUN}
    assert centre.warning_counts(con, "U02", D(2024, 7, 21))["resolved_this_week"] == 1
    assert centre.warning_counts(con, "U03", D(2024, 7, 21))["resolved_this_week"] == 0
    assert centre.warning_counts(con, None, D(2024, 7, 22))["resolved_this_week"] == 0  # a new week


def test_evaluated_at_is_the_latest_evaluation_even_when_it_left_no_warning_open(world):
    """Once the last open warnings resolve, later evaluations refresh no warning: the header still dates the latest
    one, from the scheduler's run log (a run of evaluate_and_notify on a day nothing is wrong)."""
    con = world.con
    _commence(world, "XM001", "XM002", "XM003", "XM004")
    evaluate(con, LATER, now=LATER_RUN)
    assert centre.warning_counts(con, None, D(2024, 7, 21))["evaluated_at"] == LATER_RUN  # the resolving run
    evaluate(con, LATER, now=LATER_RUN + dt.timedelta(days=1))  # a run that changes nothing leaves no trace...
    run = scheduler._record_start(con, scheduler.EVALUATE, LATER_RUN + dt.timedelta(days=2), LATER)
    con.execute("UPDATE scheduler_runs SET finished_at = ?, outcome = 'ok' WHERE id = ?",  # _record_end says now()
                [LATER_RUN + dt.timedelta(days=2), run])
    assert centre.warning_counts(con, None, D(2024, 7, 23))["evaluated_at"] == LATER_RUN + dt.timedelta(days=2)
    failed = scheduler._record_start(con, scheduler.EVALUATE, LATER_RUN + dt.timedelta(days=3), LATER)
    scheduler._record_end(con, failed, "failed", None, "RuntimeError: x")
    assert centre.warning_counts(con, None, D(2024, 7, 24))["evaluated_at"] == LATER_RUN + dt.timedelta(days=2)


# ---------------------------------------------------------------------------------------------- scheduler

def _failing(_cur, _as_of, _settings) -> dict:
    raise RuntimeError("通知渠道不可用")


def _daily_counts(_cur, _as_of, _settings) -> dict:
    return {"new": 3, "escalated": 0, "resolved": 1, "open": 138,
            "notifications": {"sent": 0, "failed": 0, "logged_dry_run": 2}}


def test_scheduler_state_is_not_a_units_concern(units):
    """A unit user (a scope) is refused the scheduler's state."""
    with pytest.raises(OutOfScope, match="调度任务状态仅招商办和领导可见。"):
        centre.scheduler_state(units, "U02")


def test_scheduler_state_shows_each_job_the_latest_failure_and_its_recovery(units):
    """Runs logged by the scheduler's own run wrapper: the evaluation fails (its error kept, not recovered), the
    daily job goes well (another job: still not recovered), then the real evaluation job succeeds on U01, whose only
    report is January 2024's (one new 红: every month due since is missing, so its unit's report_missing, not the
    project's stale_update, DOMAIN §8) and the failure reads recovered. Each job shows its latest run with its
    summary; the runs are newest first; the start of a scheduler is the last start, not a job."""
    start = scheduler._record_start(units, "scheduler", dt.datetime.now(), None)
    scheduler._record_end(units, start, "ok", {"pid": 4242, "jobs": ["evaluate", "daily", "inbox"]}, None)
    scheduler._run(scheduler.EVALUATE, _failing)
    state = centre.scheduler_state(units, None)
    assert state.running is False
    assert state.last_start["pid"] == 4242 and state.last_start["scheduler_id"] is None
    assert {k: state.last_error[k] for k in ("job_label", "error", "recovered")} == {
        "job_label": "定时评估预警", "error": "RuntimeError: 通知渠道不可用", "recovered": False}
    assert _plain(state.jobs, ["job_id", "job_label", "next_run", "outcome", "outcome_label", "summary", "error"]) == [
        ["evaluate", "定时评估预警", None, "failed", "失败", "", "RuntimeError: 通知渠道不可用"]]

    scheduler._run(scheduler.DAILY, _daily_counts)
    assert centre.scheduler_state(units, None).last_error["recovered"] is False

    snapshot(units, project(units, "ZS000001", "U01"), "2024-01", "2024-02-05", "U01")
    scheduler._run(scheduler.EVALUATE, scheduler.evaluate_and_notify)
    state = centre.scheduler_state(units, None)
    assert {k: state.last_error[k] for k in ("job_label", "error", "recovered")} == {
        "job_label": "定时评估预警", "error": "RuntimeError: 通知渠道不可用", "recovered": True}
    assert _plain(state.jobs, ["job_id", "job_label", "outcome_label", "summary", "error"]) == [
        ["evaluate", "定时评估预警", "成功", "新增 1 · 在办 1", None],
        ["daily", "每日预警汇总", "成功", "新增 3 · 解除 1 · 在办 138 · 通知（演练 2）", None]]
    assert _plain(state.runs, ["job_id", "job_label", "outcome_label", "as_of", "summary"]) == [
        ["evaluate", "定时评估预警", "成功", pd.Timestamp(dt.date.today()), "新增 1 · 在办 1"],
        ["daily", "每日预警汇总", "成功", pd.Timestamp(dt.date.today()), "新增 3 · 解除 1 · 在办 138 · 通知（演练 2）"],
        ["evaluate", "定时评估预警", "失败", pd.Timestamp(dt.date.today()), ""],
        ["scheduler", "调度器启动", "成功", None, "进程 4242"]]
    assert (state.runs["seconds"] >= 0).all()
    assert units.execute("SELECT rule, subject, grade FROM warnings").fetchall() == [
        ("report_missing", "U01", "red")]
    assert len(centre.scheduler_state(units, None, runs=2).runs) == 2


def test_a_failure_is_not_recovered_by_a_run_still_going_or_one_that_died(units):
    """After a failed evaluation, a retry that is still running (or was killed with its process and stays
    'running') is no recovery; only a later run that went well is."""
    scheduler._run(scheduler.EVALUATE, _failing)
    scheduler._record_start(units, scheduler.EVALUATE, dt.datetime.now(), dt.date.today())  # still running
    assert centre.scheduler_state(units, None).last_error["recovered"] is False
    scheduler._run(scheduler.EVALUATE, _daily_counts)
    assert centre.scheduler_state(units, None).last_error["recovered"] is True


@pytest.mark.parametrize(("counts", "summary"), [
    (None, ""),
    ({}, ""),
    ({"new": 3, "escalated": 0, "deescalated": 0, "resolved": 1, "open": 138, "evaluations": 1,
      "notifications": {"sent": 0, "failed": 0, "logged_dry_run": 2}}, "新增 3 · 解除 1 · 在办 138 · 通知（演练 2）"),
    ({"new": 0, "open": 0, "notifications": {"sent": 0, "failed": 0, "logged_dry_run": 0}}, "在办 0"),
    ({"new": 1, "escalated": 2, "deescalated": 1, "open": 5, "notifications": {"sent": 1, "failed": 1},
      "unreported_units": 2, "digest": {"sent": 1, "failed": 0, "logged_dry_run": 0}},
     "新增 1 · 升级 2 · 降级 1 · 在办 5 · 通知（发送 1 · 失败 1） · 未报送单元 2 · 汇总（发送 1）"),
    ({"pid": 4242, "jobs": ["evaluate", "daily", "inbox"]}, "进程 4242"),
    ({"loaded": 2, "duplicate": 1, "rejected": 0}, "载入 2 · 重复 1"),
    ({"open": 3, "redelivered": {"sent": 1, "failed": 0}}, "在办 3 · 补发（发送 1）"),
])
def test_run_summary_reads_a_runs_counts_in_chinese(counts, summary):
    """A run's counts read out in their order: the non-zero ones, open warnings and the process always, nested
    delivery counts in brackets; nothing for a run without counts."""
    assert centre.run_summary(counts) == summary


# ---------------------------------------------------------------------------------------------- notifications

def _refused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def notified(world) -> SimpleNamespace:
    """Four channels on a port nobody listens on (U01's, U02's DingTalk with a signing secret, the leaders', and
    everyone's): the first evaluation's five changes sent for real fail (one attempt each); then XM001 and XM003
    resolve and that is logged in dry-run."""
    base = f"http://127.0.0.1:{_refused_port()}"
    con = world.con
    world.channels = {
        "U01": notify.add_channel(con, "经开区招商群", "webhook", f"{base}/u01?token=TOKEN-U01", "unit", "U01"),
        "U02": notify.add_channel(con, "城东街道钉钉群", "dingtalk", f"{base}/robot/send?access_token=TOKEN-U02",
                                  "unit", "U02", secret="SEC-U02-SIGNING"),
        "leaders": notify.add_channel(con, "县领导群", "webhook", f"{base}/leaders?token=TOKEN-LEADERS", "leaders"),
        "all": notify.add_channel(con, "大数据平台", "webhook", f"{base}/all?token=TOKEN-ALL", "all"),
    }
    sending = settings.load(env={}, overrides={"notify": {"dry_run": False, "max_attempts": 1,
                                                          "timeout_seconds": 2}})
    assert notify.deliver(con, change_events(con, world.changes), sending)["failed"] == 4
    _commence(world, "XM001", "XM003")
    resolved = evaluate(con, LATER, now=LATER_RUN)
    assert notify.deliver(con, change_events(con, resolved), settings.load(env={}))["logged_dry_run"] == 4
    return world


LOG_COLUMNS = ["channel_name", "channel_kind_label", "rule_name", "subject", "change_label", "attempt",
               "outcome_label"]


def test_a_unit_user_sees_only_its_own_channels_attempts(notified):
    """U02 sees only its DingTalk group's attempts: the newest (XM003's resolution, dry-run) first, then the two
    failed new warnings; failures first when asked; only failures when asked; U03, without a channel, sees none.
    Admins see all 15 attempts (10 failed, 5 dry-run) on all four channels."""
    con = notified.con
    log = centre.notification_log(con, "U02")
    assert _plain(log, LOG_COLUMNS) == [
        ["城东街道钉钉群", "钉钉机器人", "签约未开工", "XM003", "已解除", 1, "演练（未发送）"],
        ["城东街道钉钉群", "钉钉机器人", "签约未开工", "XM003", "新增", 1, "发送失败"],
        ["城东街道钉钉群", "钉钉机器人", "签约未开工", "XM002", "新增", 1, "发送失败"]]
    assert log["channel_id"].unique().tolist() == [notified.channels["U02"]]
    assert log["error"].tolist()[1:] == ["URLError: <urlopen error [Errno 111] Connection refused>"] * 2
    assert _plain(centre.notification_log(con, "U02", failed_first=True), ["subject", "change", "outcome"]) == [
        ["XM003", "new", "failed"], ["XM002", "new", "failed"], ["XM003", "resolved", "dry_run"]]
    assert _plain(centre.notification_log(con, "U02", failed_only=True), ["subject", "change", "outcome"]) == [
        ["XM003", "new", "failed"], ["XM002", "new", "failed"]]
    assert _plain(centre.notification_log(con, "U01"), ["channel_name", "subject", "change", "outcome"]) == [
        ["经开区招商群", "XM001", "resolved", "dry_run"], ["经开区招商群", "XM001", "new", "failed"]]
    assert centre.notification_log(con, "U03").empty
    everything = centre.notification_log(con, None)
    assert len(everything) == 15 and everything["outcome"].value_counts().to_dict() == {"failed": 10, "dry_run": 5}
    assert set(everything["channel_name"]) == {"经开区招商群", "城东街道钉钉群", "县领导群", "大数据平台"}
    assert len(centre.notification_log(con, None, failed_only=True)) == 10
    assert len(centre.notification_log(con, None, limit=4)) == 4
    today = dt.date.today()  # the attempts were made now
    assert {scope: centre.warning_counts(con, scope, today)["failed_notifications"]
            for scope in (None, "U01", "U02", "U03")} == {None: 10, "U01": 1, "U02": 2, "U03": 0}


def test_the_notification_log_never_shows_a_channels_address_or_secret(notified):
    """No column holds a channel's address or signing secret, and no cell contains them."""
    log = centre.notification_log(notified.con, None)
    assert not {"target", "secret"} & set(log.columns)
    cells = " ".join(str(value) for value in log.astype(str).to_numpy().ravel())
    for hidden in ("TOKEN-U01", "TOKEN-U02", "SEC-U02-SIGNING", "TOKEN-LEADERS", "TOKEN-ALL", "127.0.0.1"):
        assert hidden not in cells


# ---------------------------------------------------------------------------------------------- the page

def _page_scenario(con) -> SimpleNamespace:
    """The scenario evaluated ten days ago; u02 acknowledged XM002 and XM003 the day after; then, just now, an
    evaluation as of 07-20 opened XM005 (U02, 签约 2024-01-15: 红 since 04-15) and U02's 签约项目开工率 warning
    (XM003 commenced: 1 of 3 signed, 33.3% against 75%: 红) and resolved XM003."""
    world = _scenario(con, now=dt.datetime.combine(dt.date.today() - dt.timedelta(days=10), dt.time(8)))
    day_after = dt.datetime.combine(dt.date.today() - dt.timedelta(days=9), dt.time(9))
    centre.acknowledge_as(con, U02_USER, world.ids["XM002"], "已约谈投资方", now=day_after)
    centre.acknowledge_as(con, U02_USER, world.ids["XM003"], "项目已开工", now=day_after)
    snapshot(con, project(con, "XM005", "U02"), "2024-06", "2024-07-05", "U02", project_name="城东智造园",
             signed_date="2024-01-15", investor="恒远实业")
    _commence(world, "XM003")
    evaluate(con, LATER, settings=DEFAULTS)
    world.ids = dict(con.execute("SELECT subject, id FROM warnings").fetchall())
    return world


@pytest.fixture(scope="module")
def _page_template(tmp_path_factory) -> SimpleNamespace:
    return _template(tmp_path_factory.mktemp("centre_page"), _page_scenario)


@pytest.fixture
def page_world(_page_template, tmp_path) -> SimpleNamespace:
    """_page_scenario in this test's database, closed for the page to open (it reads through pipelines.store.db).
    Open: 红 XM001, XM005, U03:commenced, U02:commencement_rate; 黄 XM002, XM004 — two new today, one resolved
    this week, five unacknowledged; U02's share: 红 XM005 and its 开工率, 黄 XM002 (acknowledged)."""
    _copy(_page_template, tmp_path)
    return _page_template


def _page(actor: Actor | None, selected_row: int | None = None) -> AppTest:
    """pages/warnings.py run once as `actor` (None: nobody logged in), with a row of the open table selected."""
    at = AppTest.from_file(str(ROOT / "pages" / "warnings.py"), default_timeout=60)
    if actor is not None:
        at.session_state[TEST_ACTOR_KEY] = actor
    if selected_row is not None:
        # AppTest cannot click a dataframe row, but the table's selection state (key open_table) accepts writes.
        at.session_state["open_table"] = {"selection": {"rows": [selected_row], "columns": []}}
    return at.run()


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _ages(*since: dt.date) -> list[int]:
    return [(dt.date.today() - day).days for day in since]


def test_page_for_an_admin_shows_every_units_warnings_and_the_scheduler(page_world):
    """An admin gets the county-wide header, the four tabs, every open warning red first (then the longest-standing;
    a unit warning named by its item), the resolved XM003 with its acknowledgement, and under 调度任务 the last
    failed run and that no scheduler runs here; choosing 红 in the grade filter narrows the open tab to four."""
    scheduler._run(scheduler.EVALUATE, _failing)
    at = _page(ADMIN)
    assert not at.exception
    assert _metrics(at) == {"红色预警": "4 条", "黄色预警": "2 条", "今日新增": "2 条", "本周解除": "1 条", "待确认": "5 条"}
    assert [t.label for t in at.tabs] == ["在办预警（6）", "已解除", "豁免清单", "调度任务", "通知记录"]
    assert at.caption[0].value.endswith("　·　全县各单元")
    units_filter = [m for m in at.multiselect if m.label == "招商单元"][0]
    assert (units_filter.disabled, units_filter.options, units_filter.value) == (
        False, ["城东街道", "城西街道", "经济开发区"], [])  # the register's order: by assessment group, then code
    open_table, resolved_table = at.dataframe[0].value, at.dataframe[1].value
    assert open_table[["等级", "招商单元", "对象", "持续天数", "确认"]].values.tolist() == [
        ["红", "经济开发区", "XM001", *_ages(D(2024, 4, 10)), ""],
        ["红", "城东街道", "XM005", *_ages(D(2024, 4, 15)), ""],
        ["红", "城西街道", "新开工项目数", *_ages(AS_OF), ""],
        ["红", "城东街道", "签约项目开工率", *_ages(LATER), ""],
        ["黄", "城东街道", "XM002", *_ages(D(2024, 5, 1)), "✓ 城东街道联络员"],
        ["黄", "城西街道", "XM004", *_ages(D(2024, 7, 1)), ""]]
    assert resolved_table[["最高等级", "对象", "确认人", "确认说明"]].values.tolist() == [
        ["黄", "XM003", "城东街道联络员", "项目已开工"]]
    assert [e.value[:len("最近一次运行失败：定时评估预警（")] for e in at.error] == ["最近一次运行失败：定时评估预警（"]
    assert at.code[0].value == "RuntimeError: 通知渠道不可用"
    assert at.warning[0].value.startswith("本服务进程中没有运行调度器：预警不会自动评估。")
    jobs, runs = at.dataframe[2].value, at.dataframe[3].value
    assert jobs[["任务", "下次运行", "结果", "摘要"]].values.tolist() == [["定时评估预警", "", "失败", ""]]
    assert runs[["任务", "结果", "错误"]].values.tolist() == [["定时评估预警", "失败", "RuntimeError: 通知渠道不可用"]]

    [m for m in at.multiselect if m.label == "预警等级"][0].set_value(["red"]).run()
    assert not at.exception
    assert at.tabs[0].label == "在办预警（4）"
    assert at.dataframe[0].value["对象"].tolist() == ["XM001", "XM005", "新开工项目数", "签约项目开工率"]


def test_page_for_a_leader_reads_everything_and_acknowledges_nothing(page_world):
    """A leader sees the same header and tabs as an admin; the selected warning shows its details and history
    but, instead of the acknowledgement form, the read-only caption."""
    at = _page(LEADER, selected_row=0)
    assert not at.exception
    assert _metrics(at) == {"红色预警": "4 条", "黄色预警": "2 条", "今日新增": "2 条", "本周解除": "1 条", "待确认": "5 条"}
    assert [t.label for t in at.tabs] == ["在办预警（6）", "已解除", "豁免清单", "调度任务", "通知记录"]
    assert at.subheader[0].value == "红色预警 · 签约未开工"
    assert "领导为只读身份，可以查看预警，不能确认。" in [c.value for c in at.caption]
    assert len(at.text_area) == 0 and len(at.button) == 0


def test_page_for_a_unit_user_holds_everything_to_its_own_unit(page_world):
    """u02's header counts only U02's warnings; there is no 调度任务 tab; the 招商单元 filter is fixed to U02 and
    disabled; the open table lists U02's three warnings only, the resolved one U02's XM003."""
    at = _page(U02_USER)
    assert not at.exception
    assert _metrics(at) == {"红色预警": "2 条", "黄色预警": "1 条", "今日新增": "2 条", "本周解除": "1 条", "待确认": "2 条"}
    assert [t.label for t in at.tabs] == ["在办预警（3）", "已解除", "豁免清单", "通知记录"]
    assert at.caption[0].value.endswith("　·　本单元的预警与通知")
    units_filter = [m for m in at.multiselect if m.label == "招商单元"][0]
    assert (units_filter.disabled, units_filter.options, units_filter.value) == (True, ["城东街道"], ["U02"])
    assert at.dataframe[0].value[["等级", "招商单元", "对象", "确认"]].values.tolist() == [
        ["红", "城东街道", "XM005", ""], ["红", "城东街道", "签约项目开工率", ""],
        ["黄", "城东街道", "XM002", "✓ 城东街道联络员"]]
    assert at.dataframe[1].value["对象"].tolist() == ["XM003"]
    assert at.caption[-1].value == "本周发送失败 0 次；仅显示本单元通知渠道的记录。"


def test_page_acknowledgement_form_refuses_an_empty_note_and_records_a_note(page_world):
    """u02 selects XM005 (the table's first row): its details and the form appear; submitting without a note shows
    the refusal and writes nothing; with a note the warning is acknowledged by u02, the table marks it, the header
    has one warning left to acknowledge and the details show who acknowledged it with the note."""
    at = _page(U02_USER, selected_row=0)
    assert not at.exception
    assert at.subheader[0].value == "红色预警 · 签约未开工"
    assert "对象\n\n**XM005**" in [c.value for c in at.caption]
    assert at.text_area[0].label == "处理说明（必填）"
    with db.cursor() as cur:
        wid = cur.execute("SELECT id FROM warnings WHERE subject = 'XM005'").fetchone()[0]
        before = _written(cur)
    at.button[0].click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["请填写处理说明。"]
    with db.cursor() as cur:
        assert _written(cur) == before

    at.text_area[0].input("已约谈投资方，计划下月开工")
    at.button[0].click().run()
    assert not at.exception
    assert [t.value for t in at.toast] == ["已确认该预警"]
    with db.cursor() as cur:
        assert cur.execute("SELECT acknowledged_by, ack_note FROM warnings WHERE id = ?", [wid]).fetchone() == (
            "u02", "已约谈投资方，计划下月开工")
    assert _metrics(at)["待确认"] == "1 条"
    assert at.dataframe[0].value["确认"].tolist() == ["✓ 城东街道联络员", "", "✓ 城东街道联络员"]
    assert at.info[0].value.startswith("城东街道联络员 于 ") and at.info[0].value.endswith("确认：已约谈投资方，计划下月开工")


def test_page_without_a_login_shows_the_login_screen_and_no_warnings(page_world):
    """Nobody logged in: the login form instead of the page — no title, header, tabs or tables."""
    at = _page(None)
    assert not at.exception
    assert '<form method="post" action="/api/login">' in "".join(h.value for h in at.html)
    assert len(at.title) == 0 and len(at.metric) == 0 and len(at.tabs) == 0 and len(at.dataframe) == 0


def test_page_lists_the_worst_thousand_of_a_provinces_open_warnings(units):
    """A province has tens of thousands of open warnings (64,103 in bench/alerts.py): the open table lists the
    first 1,000 (red first, longest-standing first), says how many there are and how to see the rest, and the tab
    and header count them all. (Styling every row of 64,000 made Streamlit refuse to draw the table.)"""
    units.execute("""
        INSERT INTO warnings (id, rule, subject, unit_code, grade, since, detail, first_seen, last_seen)
        SELECT i, 'stale_update', printf('ZS%06d', i), 'U01', CASE WHEN i <= 5 THEN 'red' ELSE 'yellow' END,
               DATE '2024-01-01' + CAST(i AS INTEGER), printf('项目%d：已 2 个月未更新', i), now(), now()
        FROM range(1, 1206) AS t(i)""")
    units.close()
    at = _page(ADMIN)
    assert not at.exception
    assert at.tabs[0].label == "在办预警（1205）"
    assert _metrics(at)["红色预警"] == "5 条" and _metrics(at)["黄色预警"] == "1200 条"
    assert at.info[0].value == ("共 1,205 条在办预警，下表按等级和持续时间列出前 1,000 条；"
                                "请用上方的等级、规则、单元筛选查看其余预警。")
    table = at.dataframe[0].value
    assert len(table) == 1000 and table["对象"].tolist()[:6] == [f"ZS{i:06d}" for i in (1, 2, 3, 4, 5, 6)]
    assert table["等级"].tolist()[:6] == ["红"] * 5 + ["黄"]


def test_an_admin_turns_a_warning_into_a_task(page_world):
    """The first open warning (红 XM001), selected: the form is prefilled with its rule, object, unit and detail;
    交办 issues a task from it (source warning, its rule and subject) that 督办中心 lists; a unit user gets no form."""
    from pipelines.admin import tasks

    at = _page(ADMIN, selected_row=0)
    assert not at.exception
    title = next(t for t in at.text_input if t.label == "事项标题")
    assert title.value.startswith(at.dataframe[0].value.loc[0, "预警规则"])
    next(b for b in at.button if b.label == "交办").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("已交办 DB")
    with db.cursor() as cur:
        made = tasks.tasks_as_of(cur, dt.date.today())
    assert len(made) == 1 and made[0].source == "warning" and made[0].source_rule and made[0].source_subject
    unit_view = _page(U02_USER, selected_row=0)
    assert not unit_view.exception and not [b for b in unit_view.button if b.label == "交办"]


def test_an_admin_turns_several_warnings_of_one_unit_into_one_task(page_world):
    """Two open warnings of U02 (its 红 XM005 and its 开工率) selected together: one form, prefilled with both
    details, issues one task naming both; warnings of two units selected together get no form but the reason."""
    from pipelines.admin import tasks

    at = _page(ADMIN)
    table = at.dataframe[0].value
    u02 = [i for i, unit in enumerate(table["招商单元"]) if unit == "城东街道" and table.loc[i, "等级"] == "红"]
    assert len(u02) == 2
    at.session_state["open_table"] = {"selection": {"rows": u02, "columns": []}}
    at.run()
    assert not at.exception
    requirement = next(t for t in at.text_area if t.label == "办理要求").value
    assert requirement.startswith("1. ") and "\n2. " in requirement
    next(b for b in at.button if b.label == "交办").click().run()
    assert not at.exception and at.success[0].value.startswith("已交办 DB")
    with db.cursor() as cur:
        [task] = tasks.tasks_as_of(cur, dt.date.today())
    assert task.unit == "U02" and len(task.warnings) == 2
    mixed = _page(ADMIN)
    mixed.session_state["open_table"] = {"selection": {"rows": [0, u02[0]] if table.loc[0, "招商单元"] != "城东街道"
                                                       else [u02[0], len(table) - 1], "columns": []}}
    mixed.run()
    assert not [b for b in mixed.button if b.label == "交办"]
    assert any("所选预警属于不同单元" in w.value for w in mixed.warning)
