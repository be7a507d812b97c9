"""Warning exemptions (豁免, DOMAIN §8; alerts/exemptions.py, alerts/evaluate.py, the 预警中心): an admin's grant and
every refusal (nothing written), the open warning resolved as exempted at once and by evaluation without a word to
the robots, no warning opened while exempt, the warning opened again (and told of as new) the day after the last
exempt day or after a revocation, the audit log, and the listing in words, held to a unit user's unit.

The scenario: project W (U01, 签约 2024-03-10, never commenced) is 签约未开工 黄 from 2024-06-10; project E (U02, 签约
2024-02-01) from 2024-05-01. Exemptions are granted on 2024-06-15 at 10:00 (GRANTED) through 2024-07-31 (UNTIL)."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from streamlit.testing.v1 import AppTest

from alerts import exemptions, notify, scheduler
from alerts.evaluate import change_events, evaluate, open_warnings
from alerts.exemptions import ExemptionRefused
from pipelines import settings
from pipelines.access import Actor
from pipelines.admin import tasks
from pipelines.store import db
from tests.conftest import ADMIN
from tests.factories import project, snapshot
from tests.server import ROOT
from ui import format
from ui.auth import TEST_ACTOR_KEY

D = dt.date
RULE = "signed_not_commenced"
GRANTED = dt.datetime(2024, 6, 15, 10)
TODAY = GRANTED.date()
UNTIL = D(2024, 7, 31)
REASON = "项目因合同纠纷诉讼暂停，待法院判决"
U01_USER = Actor("u01", "unit", "U01")
U02_USER = Actor("u02", "unit", "U02")
LEADER = Actor("leader", "leader")
DEFAULTS = settings.load(env={})  # dry-run: deliveries are logged, not sent


@pytest.fixture
def world(units):
    """W and E reported for May; evaluated as of 2024-06-15 08:00: both warnings open."""
    for code, unit, signed, name in (("W", "U01", "2024-03-10", "智能装备产业园"),
                                     ("E", "U02", "2024-02-01", "城东商贸综合体")):
        snapshot(units, project(units, code, unit), "2024-05", "2024-06-05", unit, project_name=name,
                 signed_date=signed, investor="恒远实业")
    changes = evaluate(units, TODAY, now=dt.datetime(2024, 6, 15, 8), settings=DEFAULTS)
    assert sorted((c.subject, c.change) for c in changes if c.rule == RULE) == [("E", "new"), ("W", "new")]
    return units


def _about(changes, subject="W") -> list[str]:
    """The changes of W's (or `subject`'s) 签约未开工 warning in one evaluation."""
    return [c.change for c in changes if c.rule == RULE and c.subject == subject]


def _evaluate(con, day: dt.date) -> list:
    return evaluate(con, day, now=dt.datetime.combine(day, dt.time(8)), settings=DEFAULTS)


def _open(con) -> set[str]:
    found = open_warnings(con)
    return set(found[found["rule"] == RULE]["subject"])


def _written(con) -> tuple:
    return (con.execute("SELECT count(*) FROM exemptions").fetchone()[0],
            con.execute("SELECT count(*) FROM audit_log WHERE action LIKE 'exemption.%'").fetchone()[0],
            con.execute("SELECT count(*) FROM warning_events").fetchone()[0])


def _logged(con) -> list[tuple]:
    """What the robots were told (dry-run log): (subject, change) of the warnings' messages."""
    return con.execute("SELECT subject, change FROM notification_log WHERE rule = $r ORDER BY id",
                       {"r": RULE}).fetchall()


# ---------------------------------------------------------------------------------------------- grant

@pytest.mark.parametrize(("actor", "rule", "subject", "until", "reason", "status", "message"), [
    (U01_USER, RULE, "W", UNTIL, REASON, 403, "只有管理员可以豁免预警"),
    (LEADER, RULE, "W", UNTIL, REASON, 403, "只有管理员可以豁免预警"),
    (ADMIN, "no_such_rule", "W", UNTIL, REASON, 400, "未知的预警规则“no_such_rule”"),
    (ADMIN, RULE, " ", UNTIL, REASON, 400, "请指明豁免的预警对象"),
    (ADMIN, RULE, "W", UNTIL, "  ", 400, "请填写豁免理由"),
    (ADMIN, RULE, "W", UNTIL, "理" * 501, 400, "豁免理由不能超过 500 字"),
    (ADMIN, RULE, "W", "2024-07-31", REASON, 400, "请填写有效的豁免截止日期"),
    (ADMIN, RULE, "W", D(2024, 6, 14), REASON, 400, "豁免截止日期 2024-06-14 早于今天（2024-06-15）"),
    (ADMIN, RULE, "W", D(2025, 6, 17), REASON, 400, "豁免期限最长 366 天：截止日期不能晚于 2025-06-16"),
    (ADMIN, RULE, "NOPE", UNTIL, REASON, 404, "预警对象“NOPE”不存在"),
    (ADMIN, "report_missing", "U09", UNTIL, REASON, 404, "预警对象“U09”不存在"),
    (ADMIN, "task_due", "DB2024-009", UNTIL, REASON, 404, "预警对象“DB2024-009”不存在"),
])
def test_refused_grants_say_why_and_write_nothing(world, actor, rule, subject, until, reason, status, message):
    """Each refusal names its reason and kind; no exemption, audit entry or warning event is written, and W stays
    open."""
    before = _written(world)
    with pytest.raises(ExemptionRefused) as refused:
        exemptions.grant(world, actor, rule, subject, until, reason, now=GRANTED)
    assert (str(refused.value), refused.value.status) == (message, status)
    assert _written(world) == before
    assert _open(world) == {"E", "W"}


def test_a_second_grant_on_an_exempt_pair_is_refused_until_the_first_is_revoked(world):
    """While W is exempt another grant for it is refused (409, naming the last exempt day); E may be exempted; after
    revoking W's, W may be exempted again."""
    first = exemptions.grant(world, ADMIN, RULE, "W", UNTIL, REASON, now=GRANTED)
    before = _written(world)
    with pytest.raises(ExemptionRefused) as refused:
        exemptions.grant(world, ADMIN, RULE, "W", D(2024, 8, 31), "再延一个月", now=GRANTED)
    assert (str(refused.value), refused.value.status) == (
        "该对象的“签约未开工”预警已豁免至 2024-07-31，如需调整请先撤销原豁免", 409)
    assert _written(world) == before
    exemptions.grant(world, ADMIN, RULE, "E", UNTIL, REASON, now=GRANTED)
    exemptions.revoke(world, ADMIN, first, now=GRANTED + dt.timedelta(hours=1))
    exemptions.grant(world, ADMIN, RULE, "W", D(2024, 8, 31), "再延一个月", now=GRANTED + dt.timedelta(hours=2))
    assert exemptions.active(world, TODAY) == {(RULE, "E"), (RULE, "W")}


@pytest.mark.parametrize("until", [TODAY, TODAY + dt.timedelta(days=366)])
def test_the_last_day_may_be_today_or_a_year_ahead(world, until):
    """The boundaries a grant accepts: through the end of today, and 366 days ahead."""
    exemptions.grant(world, ADMIN, RULE, "W", until, REASON, now=GRANTED)
    assert exemptions.active(world, TODAY) == {(RULE, "W")}


def test_grant_and_revoke_are_audit_logged(world):
    """One audit entry per grant and per revocation: who, what, the exemption's id and its fields."""
    exemption_id = exemptions.grant(world, ADMIN, RULE, "W", UNTIL, f"  {REASON}  ", now=GRANTED)
    exemptions.revoke(world, ADMIN, exemption_id, now=GRANTED + dt.timedelta(days=1))
    logged = world.execute("SELECT actor, action, subject, detail FROM audit_log WHERE action LIKE 'exemption.%' "
                           "ORDER BY id").fetchall()
    assert [(actor, action, subject, json.loads(detail)) for actor, action, subject, detail in logged] == [
        (ADMIN.name, "exemption.grant", str(exemption_id),
         {"rule": RULE, "subject": "W", "unit_code": "U01", "until": "2024-07-31", "reason": REASON}),
        (ADMIN.name, "exemption.revoke", str(exemption_id), {"rule": RULE, "subject": "W"})]
    assert world.execute("SELECT created_by, created_at, revoked_by, revoked_at FROM exemptions").fetchall() == [
        (ADMIN.name, GRANTED, ADMIN.name, GRANTED + dt.timedelta(days=1))]


# ---------------------------------------------------------------------------------------------- the warning's life

def test_exempt_warning_resolves_quietly_and_opens_again_the_day_after_the_last_exempt_day(world):
    """Granted: W's open warning resolves at once as exempted (its event 已豁免), the robots hear nothing; evaluations
    up to and including the last exempt day (07-31) leave it closed while E stays open; on 08-01 W opens again as a
    new warning, which is told of."""
    exemptions.grant(world, ADMIN, RULE, "W", UNTIL, REASON, now=GRANTED)
    assert _open(world) == {"E"}
    assert world.execute("SELECT e.event FROM warning_events e JOIN warnings w ON w.id = e.warning_id "
                         "WHERE w.subject = 'W' ORDER BY e.happened_at").fetchall() == [("new",), ("exempted",)]
    for day in (D(2024, 6, 16), D(2024, 7, 30), UNTIL):
        changes = _evaluate(world, day)
        assert _about(changes) == []
        assert notify.deliver(world, change_events(world, changes), DEFAULTS)["logged_dry_run"] == 0
        assert _open(world) == {"E"}
    changes = _evaluate(world, D(2024, 8, 1))
    assert _about(changes) == ["new"]
    notify.add_channel(world, "经开区招商群", "webhook", "http://127.0.0.1:9/u01", "unit", "U01")
    notify.deliver(world, change_events(world, changes), DEFAULTS)
    assert _logged(world) == [("W", "new")]
    assert _open(world) == {"E", "W"}
    assert world.execute("SELECT count(*) FROM warnings WHERE subject = 'W'").fetchone()[0] == 2


def test_evaluation_resolves_an_open_warning_of_an_exempt_pair_as_exempted_and_tells_no_one(world):
    """An exemption in the table while W's warning is still open (written straight in, as if the grant's own
    resolution had not happened): the next evaluation resolves it as exempted — an 'exempted' event, a change the
    robots never hear of, counted apart by the scheduler — and E's warning is untouched."""
    world.execute("INSERT INTO exemptions (rule, subject, unit_code, until, reason, created_by, created_at) "
                  "VALUES ($r, 'W', 'U01', $u, $why, 'admin', $at)",
                  {"r": RULE, "u": UNTIL, "why": REASON, "at": GRANTED})
    notify.add_channel(world, "全县招商群", "webhook", "http://127.0.0.1:9/all", "all")
    counts = scheduler.evaluate_and_notify(world, D(2024, 6, 16), DEFAULTS)
    assert (counts["exempted"], counts["resolved"], counts["new"]) == (1, 0, 0)
    assert counts["notifications"]["logged_dry_run"] == 0 and _logged(world) == []
    assert _open(world) == {"E"}
    assert world.execute("SELECT e.event FROM warning_events e JOIN warnings w ON w.id = e.warning_id "
                         "WHERE w.subject = 'W' ORDER BY e.happened_at").fetchall() == [("new",), ("exempted",)]
    assert _about(_evaluate(world, D(2024, 6, 17))) == []


def test_no_warning_opens_for_a_pair_exempted_before_its_condition_held(units):
    """W exempted on 06-01, before it is 签约未开工 (06-10): evaluations while exempt open nothing for it; the day after
    the last exempt day it opens as new."""
    snapshot(units, project(units, "W", "U01"), "2024-05", "2024-06-05", "U01", signed_date="2024-03-10",
             investor="恒远实业")
    exemptions.grant(units, ADMIN, RULE, "W", D(2024, 6, 30), REASON, now=dt.datetime(2024, 6, 1, 9))
    assert _about(_evaluate(units, D(2024, 6, 15))) == []
    assert _about(_evaluate(units, D(2024, 6, 30))) == []
    assert units.execute("SELECT count(*) FROM warnings WHERE rule = $r", {"r": RULE}).fetchone()[0] == 0
    assert _about(_evaluate(units, D(2024, 7, 1))) == ["new"]


def test_a_revoked_exemption_lets_the_next_evaluation_open_the_warning_again(world):
    """Revoked on 06-20 at 09:00: the evaluation as of 06-20 opens W again as new (revoked by the end of that day);
    the revocation is listed as 已撤销."""
    exemption_id = exemptions.grant(world, ADMIN, RULE, "W", UNTIL, REASON, now=GRANTED)
    assert _about(_evaluate(world, D(2024, 6, 19))) == []
    exemptions.revoke(world, ADMIN, exemption_id, now=dt.datetime(2024, 6, 20, 9))
    assert exemptions.active(world, D(2024, 6, 19)) == {(RULE, "W")}  # as it stood then
    assert exemptions.active(world, D(2024, 6, 20)) == set()
    assert _about(_evaluate(world, D(2024, 6, 20))) == ["new"]
    listed = exemptions.listing(world, D(2024, 6, 20))
    assert listed[["subject", "state", "state_label", "revoked_by"]].values.tolist() == [
        ["W", "revoked", "已撤销", ADMIN.name]]


@pytest.mark.parametrize(("actor", "which", "at", "status", "message"), [
    (U01_USER, "granted", dt.datetime(2024, 6, 20), 403, "只有管理员可以撤销豁免"),
    (LEADER, "granted", dt.datetime(2024, 6, 20), 403, "只有管理员可以撤销豁免"),
    (ADMIN, "missing", dt.datetime(2024, 6, 20), 404, "豁免记录 999 不存在"),
    (ADMIN, "revoked", dt.datetime(2024, 6, 20), 409, "该豁免已于 2024-06-16 09:00 撤销"),
    (ADMIN, "granted", dt.datetime(2024, 8, 1), 409, "该豁免已于 2024-07-31 到期，无需撤销"),
])
def test_refused_revocations_say_why_and_write_nothing(world, actor, which, at, status, message):
    """Revoking is for admins, of an exemption that exists and is still in force (on its last day it still is)."""
    exemption_id = exemptions.grant(world, ADMIN, RULE, "W", UNTIL, REASON, now=GRANTED)
    if which == "revoked":
        exemptions.revoke(world, ADMIN, exemption_id, now=dt.datetime(2024, 6, 16, 9))
    before = (_written(world), world.execute("SELECT * FROM exemptions").fetchall())
    with pytest.raises(ExemptionRefused) as refused:
        exemptions.revoke(world, actor, 999 if which == "missing" else exemption_id, now=at)
    assert (str(refused.value), refused.value.status) == (message, status)
    assert (_written(world), world.execute("SELECT * FROM exemptions").fetchall()) == before


def test_an_exemption_may_be_revoked_on_its_last_day(world):
    """On 07-31 (the last exempt day) the exemption is still in force: revoking it is allowed."""
    exemption_id = exemptions.grant(world, ADMIN, RULE, "W", UNTIL, REASON, now=GRANTED)
    exemptions.revoke(world, ADMIN, exemption_id, now=dt.datetime(2024, 7, 31, 17))
    assert exemptions.active(world, UNTIL) == set()


# ---------------------------------------------------------------------------------------------- listing

def test_listing_names_rule_unit_and_subject_in_words_active_first_and_held_to_a_units_scope(world):
    """Four exemptions of three kinds of subject — W (project), U01's 签约项目开工率 (a unit's item), a 督办事项 of U02 —
    and E's, revoked: as of 06-20 the active ones first (the soonest to expire first), each named in words (the
    project's name, the unit and item, the task's title), then the revoked one; U02's user sees only U02's; U03's
    none."""
    task = tasks.issue(world, ADMIN, title="推动城东商贸综合体开工", unit="U02", deadline=D(2024, 6, 30),
                       now=dt.datetime(2024, 6, 1, 9))
    exemptions.grant(world, ADMIN, RULE, "W", UNTIL, REASON, now=GRANTED)
    exemptions.grant(world, ADMIN, "rate_below_target", "U01:commencement_rate", D(2024, 6, 30), "两个项目因规划调整暂缓",
                     now=GRANTED)
    exemptions.grant(world, ADMIN, "task_due", task.code, D(2024, 9, 30), "等待上级批复", now=GRANTED)
    revoked = exemptions.grant(world, ADMIN, RULE, "E", UNTIL, "误设", now=GRANTED)
    exemptions.revoke(world, ADMIN, revoked, now=dt.datetime(2024, 6, 18, 9))
    columns = ["rule_name", "unit_name", "subject_label", "until", "reason", "created_by", "state_label"]
    listed = exemptions.listing(world, D(2024, 6, 20))
    assert [[v.date() if hasattr(v, "date") else v for v in row] for row in listed[columns].values.tolist()] == [
        ["开工率/纳统率未达标", "经济开发区", "经济开发区 签约项目开工率", D(2024, 6, 30), "两个项目因规划调整暂缓", ADMIN.name, "有效"],
        ["签约未开工", "经济开发区", "智能装备产业园", UNTIL, REASON, ADMIN.name, "有效"],
        ["督办临期/逾期", "城东街道", "推动城东商贸综合体开工", D(2024, 9, 30), "等待上级批复", ADMIN.name, "有效"],
        ["签约未开工", "城东街道", "城东商贸综合体", UNTIL, "误设", ADMIN.name, "已撤销"]]
    assert exemptions.listing(world, D(2024, 6, 20), scope="U02")["subject_label"].tolist() == [
        "推动城东商贸综合体开工", "城东商贸综合体"]
    assert exemptions.listing(world, D(2024, 6, 20), scope="U03").empty


def test_listing_shows_expired_exemptions_for_a_while(world):
    """W's exemption is 有效 through 07-31, 已到期 from 08-01, listed until 90 days after it ended, then no longer;
    it was not listed before it was granted."""
    exemptions.grant(world, ADMIN, RULE, "W", UNTIL, REASON, now=GRANTED)
    states = {day: exemptions.listing(world, day)["state_label"].tolist()
              for day in (D(2024, 6, 14), UNTIL, D(2024, 8, 1), D(2024, 10, 29), D(2024, 10, 31))}
    assert states == {D(2024, 6, 14): [], UNTIL: ["有效"], D(2024, 8, 1): ["已到期"], D(2024, 10, 29): ["已到期"],
                      D(2024, 10, 31): []}


# ---------------------------------------------------------------------------------------------- the 预警中心 page

def _page_world(con) -> None:
    """W (U01) and E (U02) as in the scenario, evaluated as of today (the page's day). Open, red first then the
    longest-standing: E (since 2024-05-01), W, then U01's and U02's 本期未报送. The test closes the database for the
    page to open."""
    for code, unit, signed, name in (("W", "U01", "2024-03-10", "智能装备产业园"),
                                     ("E", "U02", "2024-02-01", "城东商贸综合体")):
        snapshot(con, project(con, code, unit), "2024-05", "2024-06-05", unit, project_name=name,
                 signed_date=signed, investor="恒远实业")
    evaluate(con, dt.date.today(), settings=DEFAULTS)


def _page(actor: Actor, **selected: int) -> AppTest:
    """pages/warnings.py run once as `actor`, with the given tables' rows selected (key=row)."""
    at = AppTest.from_file(str(ROOT / "pages" / "warnings.py"), default_timeout=60)
    at.session_state[TEST_ACTOR_KEY] = actor
    for key, row in selected.items():
        at.session_state[key] = {"selection": {"rows": [row], "columns": []}}
    return at.run()


def _listed(at: AppTest) -> list[list[str]]:
    """The 豁免清单 table's rows: 规则, 单元, 对象, 理由, 状态 (none when it shows no table)."""
    tables = [d.value for d in at.dataframe if "豁免至" in d.value.columns]
    return tables[0][["规则", "单元", "对象", "理由", "状态"]].values.tolist() if tables else []


def test_page_an_admin_exempts_the_selected_warning(units):
    """The admin selects E (the first open warning): 豁免 without a reason is refused and writes nothing; with a
    reason E leaves the open table and the 豁免清单 lists it in words, 有效."""
    _page_world(units)
    units.close()
    at = _page(ADMIN, open_table=0)
    assert not at.exception
    assert at.dataframe[0].value["对象"].tolist()[:2] == ["E", "W"]  # then the units' 本期未报送
    assert next(d for d in at.date_input if d.label == "豁免至（含当日）").value == dt.date.today() + dt.timedelta(
        days=90)
    next(b for b in at.button if b.label == "豁免").click().run()
    assert [e.value for e in at.error] == ["请填写豁免理由"]
    with db.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM exemptions").fetchone()[0] == 0
    next(t for t in at.text_area if t.label == "豁免理由（必填）").input(REASON)
    next(b for b in at.button if b.label == "豁免").click().run()
    assert not at.exception
    assert at.dataframe[0].value["对象"].tolist()[:1] == ["W"] and "E" not in at.dataframe[0].value["对象"].tolist()
    assert _listed(at) == [["签约未开工", "城东街道", "城东商贸综合体", REASON, "有效"]]
    with db.cursor() as cur:
        assert cur.execute("SELECT rule, subject, unit_code, created_by FROM exemptions").fetchall() == [
            (RULE, "E", "U02", ADMIN.name)]


def test_page_an_admin_revokes_an_exemption_in_force(units):
    """An exemption of W selected in the 豁免清单: 撤销豁免 revokes it (the audit log says who) and the list shows it
    已撤销; an ended exemption offers no button."""
    _page_world(units)
    exemptions.grant(units, ADMIN, RULE, "W", dt.date.today() + dt.timedelta(days=30), REASON)
    units.close()
    at = _page(ADMIN, exemption_table=0)
    assert not at.exception
    revoke = [b for b in at.button if b.label.startswith("撤销豁免")]
    assert [b.label for b in revoke] == ["撤销豁免：签约未开工 · 智能装备产业园"]
    revoke[0].click().run()
    assert not at.exception
    assert _listed(at) == [["签约未开工", "经济开发区", "智能装备产业园", REASON, "已撤销"]]
    assert not [b for b in at.button if b.label.startswith("撤销豁免")]
    with db.cursor() as cur:
        assert cur.execute("SELECT revoked_by FROM exemptions").fetchall() == [(ADMIN.name,)]
        assert cur.execute("SELECT actor FROM audit_log WHERE action = 'exemption.revoke'").fetchall() == [
            (ADMIN.name,)]


def test_page_leaders_read_the_list_and_unit_users_only_their_own(units):
    """W (U01) and E (U02) exempted: a leader sees both and no button or form; U02's user sees E's only, and no
    撤销 even with a row selected."""
    _page_world(units)
    until = dt.date.today() + dt.timedelta(days=30)
    exemptions.grant(units, ADMIN, RULE, "W", until, "法院查封")
    exemptions.grant(units, ADMIN, RULE, "E", until, REASON)
    units.close()
    leader = _page(LEADER)
    assert not leader.exception
    assert sorted(_listed(leader)) == [["签约未开工", "城东街道", "城东商贸综合体", REASON, "有效"],
                                       ["签约未开工", "经济开发区", "智能装备产业园", "法院查封", "有效"]]
    assert len(leader.button) == 0 and len(leader.text_area) == 0
    unit = _page(U02_USER, exemption_table=0)
    assert not unit.exception
    assert _listed(unit) == [["签约未开工", "城东街道", "城东商贸综合体", REASON, "有效"]]
    assert not [b for b in unit.button if b.label.startswith("撤销豁免")]


def test_page_shows_a_hostile_project_name_as_text(units):
    """A project named with Markdown: the 豁免清单 shows it as written and the 撤销 button's label escapes it."""
    hostile = "**粗体**[点我](http://evil.example)"
    snapshot(units, project(units, "H", "U01"), "2024-05", "2024-06-05", "U01", project_name=hostile,
             signed_date="2024-03-10", investor="恒远实业")
    exemptions.grant(units, ADMIN, RULE, "H", dt.date.today() + dt.timedelta(days=30), REASON)
    units.close()
    at = _page(ADMIN, exemption_table=0)
    assert not at.exception
    assert _listed(at)[0][2] == hostile
    assert [b.label for b in at.button if b.label.startswith("撤销豁免")] == [
        f"撤销豁免：签约未开工 · {format.text(hostile)}"]
