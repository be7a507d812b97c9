"""pipelines.admin.register and pipelines.admin.overrides, and the 系统管理 page: only admins change anything; every change
is audited with before and after; targets and 一票否优 reach the assessment, a threshold edit reaches the warnings; a backup
restores with IMPORT DATABASE into the same data."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
import subprocess
import sys
import urllib.request
import zipfile

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import tests.factories as f
from alerts import channels, notify
from alerts.evaluate import evaluate, open_warnings
from pipelines import report, settings
from pipelines.access import SCREEN, Actor
from pipelines.admin import overrides, register, screen_links, tokens, users
from pipelines.figures.assessment import assess
from pipelines.ingest.columns import COLUMNS_BY_KIND
from pipelines.settings import SettingsError
from pipelines.store import db
from pipelines.vocabulary import TARGET_FIELDS
from tests.conftest import ADMIN
from tests.reference import assert_agrees
from tests.server import ROOT, running_server
from ui.auth import TEST_ACTOR_KEY

UNIT_USER = Actor("u01", "unit", "U01")
LEADER = Actor("领导", "leader")
AS_OF = dt.date(2024, 6, 30)


def _audit(con, action: str) -> list[tuple[str, str, dict]]:
    rows = con.execute("SELECT actor, subject, detail FROM audit_log WHERE action = ? ORDER BY id", [action]).fetchall()
    return [(who, subject, json.loads(detail)) for who, subject, detail in rows]


@pytest.mark.parametrize("change", [
    lambda con, who: register.add_unit(con, who, "U09", "新区", "园区", "园区组"),
    lambda con, who: register.edit_unit(con, who, "U01", "经开区", "园区", "园区组"),
    lambda con, who: register.set_targets(con, who, 2024, "U01", {"commenced": 4}),
    lambda con, who: register.set_veto(con, who, 2024, "U01", "未完成交办任务"),
    lambda con, who: register.create_account(con, who, "x1", "某人", "leader"),
    lambda con, who: overrides.set_override(con, who, "duty", "due_day", 15),
    lambda con, who: register.backup(con, who),
])
@pytest.mark.parametrize("who", [UNIT_USER, LEADER])
def test_only_admins_change_anything(units, change, who):
    """A unit user or a leader calling any administration function is refused and nothing is written."""
    before = units.execute("SELECT (SELECT count(*) FROM submissions), (SELECT count(*) FROM veto_flags), "
                           "(SELECT count(*) FROM users), (SELECT count(*) FROM audit_log)").fetchone()
    with pytest.raises(PermissionError):
        change(units, who)
    assert units.execute("SELECT (SELECT count(*) FROM submissions), (SELECT count(*) FROM veto_flags), "
                         "(SELECT count(*) FROM users), (SELECT count(*) FROM audit_log)").fetchone() == before


def test_units_are_added_and_edited_with_reasons_for_refusals(units):
    """A new unit and a renamed one land in the register; a taken code, a name of another unit, an unknown kind
    and a blank field are refused with the reason; an edit that changes nothing writes nothing."""
    register.add_unit(units, ADMIN, "U09", "新区", "园区", "园区组")
    assert register.edit_unit(units, ADMIN, "U02", "城东新街道", "乡镇街道", "乡镇组") is True
    assert register.edit_unit(units, ADMIN, "U02", "城东新街道", "乡镇街道", "乡镇组") is False
    names = dict(units.execute("SELECT code, name FROM units").fetchall())
    assert names["U09"] == "新区" and names["U02"] == "城东新街道"
    for call, reason in (
        (lambda: register.add_unit(units, ADMIN, "U01", "别的", "园区", "园区组"), "已被“经济开发区”使用"),
        (lambda: register.edit_unit(units, ADMIN, "U03", "新区", "乡镇街道", "乡镇组"), "已是单元 U09 的名称"),
        (lambda: register.add_unit(units, ADMIN, "U10", "某地", "开发区", "园区组"), "单元类型须为"),
        (lambda: register.add_unit(units, ADMIN, "U10", " ", "园区", "园区组"), "不能为空"),
    ):
        with pytest.raises(ValueError, match=reason):
            call()


def test_targets_reach_the_assessment(units):
    """Targets typed in for U01 (4 commencements) make 新开工项目数 count for it, and the latest set wins."""
    p = f.project(units, "A", "U01")
    f.snapshot(units, p, "2024-05", "2024-06-05", total=20000, signed_date="2024-02-01",
               commenced_date="2024-05-20")
    register.set_targets(units, ADMIN, 2024, "U01", {"commenced": 4}, now=dt.datetime(2024, 6, 1))
    register.set_targets(units, ADMIN, 2024, "U01", {"commenced": 2, "signed_amount_wan": 1.5},
                         now=dt.datetime(2024, 6, 2))
    table = register.target_table(units, ADMIN, 2024).set_index("code")
    assert (table.loc["U01", "commenced"], table.loc["U01", "signed_amount_yi"]) == (2, 1.5)
    ledger = assess(units, AS_OF).ledger.set_index(["unit_code", "item"])
    # 1 commenced of a target of 2 × 序时进度 6/12 = 1: full points of the indicator
    assert ledger.loc[("U01", "commenced"), "target"] == 2
    assert ledger.loc[("U01", "commenced"), "points"] > 0
    with pytest.raises(ValueError, match="没有填写任何目标值"):
        register.set_targets(units, ADMIN, 2024, "U01", {})
    with pytest.raises(ValueError, match="不在单元名录中"):
        register.set_targets(units, ADMIN, 2024, "U99", {"commenced": 1})


EVERY_TARGET = {"signed_major": 6, "signed_amount_wan": 12.5, "commenced": 4, "production": 2,
                "major_manufacturing": 1, "in_stats": 3, "signed_50yi": 0, "signed_10_50yi": 1, "signed_5_10yi": 2,
                "invested_year_wan": 8.4}


def test_every_target_is_set_on_the_screen_with_money_in_yi(units):
    """Every target field is set at once: the table shows them back (签约金额 and 本年完成投资 in 亿元), the targets table
    stores the money in 万元, the report carries each of them, and the edit is audited as a loaded submission."""
    sid = register.set_targets(units, ADMIN, 2024, "U01", EVERY_TARGET, now=dt.datetime(2024, 6, 1))
    row = register.target_table(units, ADMIN, 2024).set_index("code").loc["U01"]
    assert {c: row[register.shown_target(c)] for c in EVERY_TARGET} == EVERY_TARGET
    assert units.execute("SELECT signed_amount_wan, invested_year_wan FROM targets WHERE unit_code = 'U01'"
                         ).fetchall() == [(125000.0, 84000.0)]
    targets = {u["code"]: u["targets"] for u in report.report(units, AS_OF)["units"]}["U01"]
    assert targets == {"signed": 6, "signed_amount": 125000.0, "commenced": 4, "production": 2,
                       "major_manufacturing": 1, "in_stats": 3, "signed_50yi": 0, "signed_10_50yi": 1,
                       "signed_5_10yi": 2, "invested_year": 84000.0}  # a target of 0 is set (DOMAIN §9)
    assert [(who, d["submission_id"], d["kind"]) for who, _, d in _audit(units, "submission.loaded")] == [
        (ADMIN.name, sid, "targets")]


@pytest.mark.parametrize("blank", [None, "", " ", float("nan")])
def test_a_blank_target_is_not_set(units, blank):
    """A target left blank (None, empty text, NaN as an empty number box gives) is stored as no target."""
    register.set_targets(units, ADMIN, 2024, "U01", {"in_stats": 3, "invested_year_wan": blank})
    row = register.target_table(units, ADMIN, 2024).set_index("code").loc["U01"]
    assert row["in_stats"] == 3 and pd.isna(row["invested_year_yi"])


@pytest.mark.parametrize("values, reason", [
    ({"signed_10_50yi": 1.5}, "签约10亿至50亿元项目数（个）：'1.5' 应为整数"),
    ({"in_stats": -1}, "新纳统项目数（个）：'-1' 不能为负数"),
    ({"invested_year_wan": -2.5}, "本年完成投资（亿元）：'-2.5' 不能为负数"),
    ({"invested_year_wan": "许多"}, "本年完成投资（亿元）："),
    ({"signed_90yi": 1}, "未知的目标项：signed_90yi"),
    ({"in_stats": None, "signed_5_10yi": ""}, "没有填写任何目标值"),
])
def test_a_bad_target_is_refused_in_chinese_naming_it(units, values, reason):
    """A fractional count, a negative number, a text, an unknown field or nothing at all is refused with a reason
    in Chinese that names the target; nothing is written."""
    with pytest.raises(ValueError, match=f"^{reason}"):
        register.set_targets(units, ADMIN, 2024, "U01", values)
    assert units.execute("SELECT count(*) FROM targets").fetchone()[0] == 0


def test_veto_stops_excellent_and_is_audited(units):
    """U01's 8亿 制造业 project makes it 优秀; 一票否优 takes that away (in what is known from the moment it is set: the
    day before, as known then, U01 stays 优秀), lifting it gives it back; both audited."""
    p = f.project(units, "A", "U01")
    f.snapshot(units, p, "2024-05", "2024-06-05", total=80000, signed_date="2024-02-01")

    def excellent(known_by=dt.date.today()):
        return assess(units, AS_OF, known_by=known_by).units.set_index("code").loc["U01", "excellent"]

    assert excellent()
    with pytest.raises(ValueError, match="原因"):
        register.set_veto(units, ADMIN, 2024, "U01", " ")
    register.set_veto(units, ADMIN, 2024, "U01", "未完成交办任务")
    assert not excellent()
    assert excellent(dt.date.today() - dt.timedelta(days=1))
    register.set_veto(units, ADMIN, 2024, "U01", "未完成交办任务（已核实）")  # a new reason keeps the moment it was set
    assert not excellent()
    register.clear_veto(units, ADMIN, 2024, "U01")
    assert excellent()
    assert [d for _, _, d in _audit(units, "veto.set")] == [
        {"year": 2024, "before": None, "after": "未完成交办任务"},
        {"year": 2024, "before": "未完成交办任务", "after": "未完成交办任务（已核实）"}]
    assert [d for _, _, d in _audit(units, "veto.cleared")] == [{"year": 2024, "before": "未完成交办任务（已核实）",
                                                                   "after": None}]


def test_accounts_are_created_and_reset_with_a_password_shown_once(units):
    """A created account logs in with the generated password; after a reset only the new one works."""
    first = register.create_account(units, ADMIN, "wang", "王丽", "unit", "U02")
    assert len(first) >= 12
    users.login(units, "wang", first)
    second = register.reset_password(units, ADMIN, "wang")
    with pytest.raises(users.LoginRefused):
        users.login(units, "wang", first)
    users.login(units, "wang", second)
    listed = register.accounts(units, ADMIN).set_index("username")
    assert (listed.loc["wang", "role"], listed.loc["wang", "unit_code"], listed.loc["wang", "state"]) == (
        "unit", "U02", "正常")


def test_a_threshold_override_is_validated_audited_and_changes_the_warnings(units):
    """signed_not_commenced turns red at 6 months: a project signed 4 months before is yellow; lowering the red
    threshold to 3 months makes it red at the next evaluation; a bad value is refused in Chinese and saves
    nothing; clearing the override restores the file's value, and both changes are audited before → after."""
    p = f.project(units, "A", "U01")
    f.snapshot(units, p, "2024-05", "2024-06-05", total=20000, signed_date="2024-02-28")
    grade = lambda: open_warnings(units).set_index("rule").loc["signed_not_commenced", "grade"]
    evaluate(units, AS_OF)
    assert grade() == "yellow"
    for bad, reason in ((-1, "不能为负数"), ("abc", "不是有效的"), (2, "红色阈值不能比黄色阈值“签约未开工黄色预警（个月）”（3个月）更宽")):
        with pytest.raises(SettingsError, match=reason):
            overrides.set_override(units, ADMIN, "warnings", "signed_not_commenced_red_months", bad)
    with pytest.raises(SettingsError, match="不能在页面上修改"):
        overrides.set_override(units, ADMIN, "scheduler", "enabled", False)
    with pytest.raises(SettingsError, match="“每条通知逐条列出的预警数（条）”的值 3条 无效：须在 5条 到 1000条 之间"):
        overrides.set_override(units, ADMIN, "notify", "max_lines", 3)
    assert overrides.stored(units) == {}
    in_force = overrides.set_override(units, ADMIN, "warnings", "signed_not_commenced_red_months", 3)
    assert in_force.warnings.signed_not_commenced_red_months == 3
    assert settings.current().warnings.signed_not_commenced_red_months == 3
    evaluate(units, AS_OF)
    assert grade() == "red"
    overrides.clear_override(units, ADMIN, "warnings", "signed_not_commenced_red_months")
    assert settings.current().warnings.signed_not_commenced_red_months == 6
    assert [(s, d) for _, s, d in _audit(units, "settings.override")] == [
        ("warnings.signed_not_commenced_red_months", {"before": 6, "after": 3})]
    assert [(s, d) for _, s, d in _audit(units, "settings.override_cleared")] == [
        ("warnings.signed_not_commenced_red_months", {"before": 3, "after": 6})]


def test_backup_restores_into_the_same_data(units, tmp_path):
    """The backup ZIP imported with IMPORT DATABASE into a new file (README: Backup and restore) holds the same
    rows and the same as-of state (the stored timeline came along), and taking it is audited."""
    p = f.project(units, "A", "U01")
    f.snapshot(units, p, "2024-05", "2024-06-05", total=20000, signed_date="2024-02-28")
    f.snapshot(units, p, "2024-06", "2024-07-05", total=20000, signed_date="2024-02-28", commenced_date="2024-06-10")
    archive = register.backup(units, ADMIN)
    folder = tmp_path / "restore"
    zipfile.ZipFile(io.BytesIO(archive)).extractall(folder)
    assert {"schema.sql", "load.sql"} <= {path.name for path in folder.iterdir()}
    restored = duckdb.connect(str(tmp_path / "restored.duckdb"))
    restored.execute(f"IMPORT DATABASE '{folder}'")
    for table in ("units", "projects", "snapshots", "submissions", "schema_migrations", "project_spans",
                  "project_current", "project_cover"):
        assert restored.execute(f"SELECT count(*) FROM {table}").fetchone() == \
            units.execute(f"SELECT count(*) FROM {table}").fetchone(), table
    restored.close()
    reopened = db.connect(tmp_path / "restored.duckdb")  # the restored file opens as a store, migrations done
    assert reopened.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 2
    for day in (dt.date(2024, 6, 30), dt.date(2024, 7, 20)):
        assert len(assert_agrees(reopened, day)) == 1
        pd.testing.assert_frame_equal(assert_agrees(reopened, day), assert_agrees(units, day))
    reopened.close()
    assert len(_audit(units, "backup.exported")) == 1


def _page(actor: Actor) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=60)
    at.session_state[TEST_ACTOR_KEY] = actor
    return at.run()


@pytest.mark.parametrize("actor", [UNIT_USER, LEADER])
def test_page_refuses_non_admins(units, actor):
    """系统管理 opened by a unit user or a leader (a typed URL) shows a refusal and no register."""
    units.close()
    at = _page(actor)
    assert not at.exception
    assert at.error and "管理员" in at.error[0].value
    assert not at.dataframe


def test_page_for_an_admin_shows_the_register(units):
    """An admin gets every tab, the unit register first."""
    units.close()
    at = _page(ADMIN)
    assert not at.exception
    assert [t.label for t in at.tabs] == ["单元", "用户", "目标任务", "规则与权重", "一票否优", "通知渠道", "集成", "审计日志",
                                          "备份"]
    assert sorted(at.dataframe[0].value["单元编码"]) == ["U01", "U02", "U03"]


def test_targets_tab_sets_every_target_and_refuses_in_chinese(units, tmp_path):
    """目标任务 has a box for every target (money in 亿元, blank 未下达); saving none is refused with the reason where
    the form is; filled in, the unit's targets are stored (亿元 → 万元, the rest not set) and the table shows them."""
    units.close()
    at = AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=60)
    at.session_state[TEST_ACTOR_KEY] = ADMIN
    at.session_state["admin_tab"] = "目标任务"
    at.run()
    assert not at.exception
    labels = {c.id: c.header for c in COLUMNS_BY_KIND["targets"]}
    boxes = {box.label: box for box in at.number_input}
    assert list(boxes) == [labels[c] for c in TARGET_FIELDS]
    assert {box.value for box in boxes.values()} == {None} and {box.placeholder for box in boxes.values()} == {"未下达"}
    next(b for b in at.button if b.label == "保存目标").click().run()
    assert at.error and at.error[0].value == "没有填写任何目标值"
    boxes = {box.label: box for box in at.number_input}
    boxes[labels["signed_10_50yi"]].set_value(2)
    boxes[labels["invested_year_wan"]].set_value(3.5)
    next(b for b in at.button if b.label == "保存目标").click().run()
    assert not at.exception and not at.error
    unit = at.selectbox(key="target_unit").value
    assert at.success[0].value == f"已设定 城东街道（{unit}） {dt.date.today().year} 年目标"
    con = db.connect(tmp_path / "test.duckdb")  # the page's own database, still open in this process
    try:
        assert con.execute("SELECT unit_code, signed_10_50yi, invested_year_wan, in_stats FROM targets").fetchall() == [
            (unit, 2, 35000.0, None)]
    finally:
        con.close()
    shown = at.dataframe[0].value.set_index("code")
    assert (shown.loc[unit, "signed_10_50yi"], shown.loc[unit, "invested_year_yi"]) == (2, 3.5)


@pytest.fixture
def overridden(units, tmp_path):
    """U02 missed its May report (one overdue update, one late report as of 06-30) and signed a project in late
    February that has not started; an admin doubled the deduction per late report and lowered 签约未开工's red threshold to 3
    months. The database is closed and this process's settings are back to the file's, as in a new process."""
    p = f.project(units, "P", "U02")
    f.snapshot(units, p, "2024-04", "2024-05-05", "U02", total=20000, signed_date="2024-02-28")
    overrides.set_override(units, ADMIN, "assessment", "deduction_per_late_report", 2.0)
    overrides.set_override(units, ADMIN, "warnings", "signed_not_commenced_red_months", 3)
    units.close()
    settings.use(None)
    return tmp_path / "test.duckdb"


def _run(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_commands_apply_the_admins_overrides(overridden):
    """A new process — the report and the warning check — scores and warns with the overrides, not the file."""
    db = str(overridden)
    units = {u["code"]: u for u in _run("pipelines.report", "--as-of", "2024-06-30", "--json", "--db", db)["units"]}
    assert (units["U02"]["overdue_updates"], units["U02"]["late_reports"], units["U02"]["deduction"]) == (1, 1, 2.0)
    alerts = _run("alerts.check", "--as-of", "2024-06-30", "--json", "--db", db)["alerts"]
    assert [a["grade"] for a in alerts if a["rule"] == "signed_not_commenced"] == ["red"]


def test_the_server_applies_the_admins_overrides_after_a_restart(overridden):
    """The dashboard server started on the database answers its report with the overridden deduction."""
    con = db.connect(overridden)
    users.create_user(con, ADMIN, "admin", "管理员", "admin", "correct horse 1")
    token = tokens.create_token(con, ADMIN, "admin", "测试")
    con.close()
    with running_server(overridden, {"ZS_SCHEDULER_ENABLED": "false"}) as base:
        request = urllib.request.Request(f"{base}/api/report?as_of=2024-06-30",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
    assert {u["code"]: u["deduction"] for u in answer["units"]}["U02"] == 2.0


def test_channels_tab_shows_a_logged_message_and_the_one_due_now(units):
    """通知渠道 says the system is in 试运行; for the channel picked, 消息预览 shows its latest logged message (when, the
    outcome, its exact text and the robot's rendering of it) and the message U01's open warning would make now, and
    the tab carries the guide to adding a group robot."""
    logged = {"rule": "stale_update", "subject": "XM001", "unit": "U01", "unit_name": "经济开发区", "grade": "yellow",
              "change": "new", "detail": "青岚轴承项目：已 2 个月未更新"}
    robot = channels.add_channel(units, ADMIN, "开发区招商群", "dingtalk", "http://127.0.0.1:9/robot", "unit", "U01")
    notify.deliver(units, [logged], settings.load(env={}), dt.datetime(2024, 7, 1, 9, 0))
    units.execute("INSERT INTO warnings (id, rule, subject, unit_code, grade, since, detail, first_seen, last_seen) "
                  "VALUES (1, 'signed_not_commenced', 'XM002', 'U01', 'red', DATE '2024-01-31', '临港项目：签约已满6个月仍未开工', "
                  "now(), now())")
    units.close()
    at = AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=60)
    at.session_state[TEST_ACTOR_KEY] = ADMIN
    at.session_state["admin_tab"] = "通知渠道"
    at.run()
    assert not at.exception
    assert at.info[0].value.startswith("当前处于试运行") and "“发送测试消息”总是真实发送" in at.info[0].value
    text = notify.events_message([logged], dt.datetime(2024, 7, 1, 9, 0)).text
    assert at.expander[0].label.endswith(" · 演练（未发送） · 招引智控预警通知（1条）")
    assert at.code[0].value == text and text in [m.value for m in at.markdown]
    assert at.expander[1].label == "按当前预警生成的示例"
    assert "【红·新增】签约未开工" in at.code[1].value and "临港项目：签约已满6个月仍未开工" in at.code[1].value
    assert at.selectbox(key="channel_pick").value == robot and at.expander[-1].label.startswith("如何添加群机器人")
    assert "加签" in at.expander[-1].markdown[0].value and "浙政钉" in at.expander[-1].markdown[0].value


def test_every_editable_setting_has_a_chinese_name_and_unit():
    """Each editable key is a real setting with a Chinese name free of configuration words (no Latin letters, no
    underscores), a unit for every number, a name for every allowed value of a choice and none for a yes/no; every
    section has a Chinese name; and every setting of those sections is either editable or kept to the settings file
    on purpose, so a new rule cannot reach the screen, or miss it, unnamed."""
    config = settings.load(env={})
    for (section, key), setting in overrides.EDITABLE.items():
        kind = type(getattr(getattr(config, section), key))
        assert re.search(r"[\u4e00-\u9fff]", setting.title) and not re.search(r"[A-Za-z_]", setting.title), key
        assert not re.search(r"[A-Za-z_]", setting.note), key
        if (section, key) in settings._CHOICES:
            assert (kind, setting.unit, sorted(setting.choices)) == (str, "", sorted(settings._CHOICES[section, key])), key
        elif kind is bool:
            assert (setting.unit, setting.choices) == ("", None), key
        elif kind is str:  # a text of the 通报
            assert (section, setting.unit, setting.choices) == ("bulletin", "", None), key
        else:
            assert kind in (int, float) and setting.unit and setting.choices is None, key
    assert {section for section, _ in overrides.EDITABLE} == set(overrides.SECTIONS)
    every = {(section, f.name) for section in overrides.SECTIONS
             for f in dataclasses.fields(getattr(config, section))}
    assert every - set(overrides.EDITABLE) == set(overrides.FILE_ONLY)
    assert not set(overrides.EDITABLE) & overrides.FILE_ONLY


@pytest.mark.parametrize("section, key, stored, shown, on_screen", [
    ("figures", "commencement_target", 0.75, "75%", 75.0),
    ("figures", "stats_target", 0.8, "80%", 80.0),  # 0.8 × 100 is 80.00000000000001 in floating point
    ("figures", "funds_target", 0.125, "12.5%", 12.5),
    ("assessment", "weight_signed_major", 25.0, "25分", 25.0),
    ("duty", "remind_days_before", 3, "3天", 3),
    ("warnings", "behind_schedule_red_points", -30.0, "-30个百分点", -30.0),
    ("figures", "rate_cohort", "year", "当年（签约/开工在考核年度内）", "year"),
    ("notify", "dry_run", True, "是", True),
])
def test_a_setting_is_shown_and_typed_in_its_unit(section, key, stored, shown, on_screen):
    """A fraction is shown and typed as a percentage and stored back as the same fraction; other numbers carry their
    unit; a choice and a yes/no are words."""
    setting = overrides.EDITABLE[section, key]
    assert (setting.shown(stored), setting.on_screen(stored), setting.from_screen(on_screen)) == (shown, on_screen, stored)


def test_a_percentage_is_refused_in_percent(units):
    """150% for 开工率目标 is refused in the unit the admin typed it in, and nothing is saved."""
    with pytest.raises(SettingsError) as refused:
        overrides.set_override(units, ADMIN, "figures", "commencement_target", 1.5)
    assert str(refused.value) == "“签约项目开工率目标（%）”的值 150% 无效：须在 0% 到 100% 之间。未保存。"
    assert overrides.stored(units) == {}


def _tab(tab: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=60)
    at.session_state[TEST_ACTOR_KEY] = ADMIN
    at.session_state["admin_tab"] = tab
    return at.run()


def test_rules_tab_lists_chinese_names_and_takes_a_percentage(units):
    """规则与权重 lists each section under its Chinese name, every setting by its Chinese name with its unit and no
    configuration key; 开工率目标 shows as 75%, is typed as 70 and stored as 0.7."""
    units.close()
    at = _tab("规则与权重")
    assert not at.exception
    assert [e.label for e in at.expander] == [
        f"{title}（{sum(s == section for s, _ in overrides.EDITABLE)} 项，已修改 0 项）"
        for section, title in overrides.SECTIONS.items()]
    tables = [frame.value for frame in at.dataframe]
    assert [list(t.columns) for t in tables] == [["设置", "说明", "设置文件值", "当前值", "修改人", "修改时间"]] * len(
        overrides.SECTIONS)
    names = [name for t in tables for name in t["设置"]]
    assert names == [s.title for s in overrides.EDITABLE.values()] and not any("_" in name for name in names)
    shown = {row["设置"]: row["当前值"] for t in tables for _, row in t.iterrows()}
    assert (shown["签约项目开工率目标（%）"], shown["签约亿元以上项目数权重（分）"], shown["催报提前天数（天）"]) == (
        "75%", "25分", "3天")
    at.selectbox(key="setting_pick").set_value("figures.commencement_target").run()
    box = at.number_input[0]
    assert (box.label, box.value) == ("新值（%）", 75.0)
    box.set_value(70.0)
    next(b for b in at.button if b.label == "保存").click().run()
    assert not at.exception and at.success[0].value == "已将“签约项目开工率目标（%）”改为 70%"
    with db.cursor() as cur:
        assert overrides.stored(cur) == {"figures": {"commencement_target": 0.7}}


def test_the_bulletins_texts_are_edited_on_the_rules_tab(units):
    """编发单位 of the 通报 is a text the admin types on 规则与权重 (月度通报); it is stored and in force for the next
    通报."""
    units.close()
    at = _tab("规则与权重")
    at.selectbox(key="setting_pick").set_value("bulletin.issuer").run()
    assert not at.exception and at.text_area[0].label == "新值"
    at.text_area[0].set_value("青岚县投资促进中心")
    next(b for b in at.button if b.label == "保存").click().run()
    assert not at.exception and at.success[0].value == "已将“编发单位”改为 青岚县投资促进中心"
    with db.cursor() as cur:
        assert overrides.stored(cur) == {"bulletin": {"issuer": "青岚县投资促进中心"}}
    assert settings.current().bulletin.issuer == "青岚县投资促进中心"


def test_integration_tab_creates_lists_and_revokes_a_screen_link(units, monkeypatch):
    """集成 explains 大屏链接 and API 令牌; a link created for 城东街道 is shown once as the big screen's address under
    [server] public_url and resolves to that unit's screen; listed with its scope, not yet opened, then 使用中 once
    opened; revoked from the tab, it is listed 已撤销 and refused."""
    monkeypatch.setenv("ZS_SERVER_PUBLIC_URL", "https://zs.example.gov.cn")
    units.close()
    at = _tab("集成")
    assert not at.exception
    assert [h.value for h in at.subheader] == ["大屏链接", "API 令牌"]
    assert [i.value for i in at.info] == ["还没有大屏链接。", "还没有 API 令牌。"]
    next(t for t in at.text_input if t.label == "屏幕").input("三楼会商室大屏")
    next(s for s in at.selectbox if s.label == "范围").set_value("U02")
    next(b for b in at.button if b.label == "创建").click().run()  # the first 创建 is the screen link's
    assert not at.exception
    assert at.success[0].value.startswith("已创建大屏链接“三楼会商室大屏”")
    address = at.code[0].value
    prefix = "https://zs.example.gov.cn/cockpit?kiosk=1&screen="
    assert address.startswith(prefix) and len(address) == len(prefix) + 47
    with db.cursor() as cur:
        assert screen_links.resolve(cur, address.removeprefix(prefix)) == Actor("screen-1", SCREEN, "U02")
    listed = at.dataframe[0].value  # as it was before the screen opened
    assert listed[["label", "scope", "state"]].values.tolist() == [["三楼会商室大屏", "城东街道", "有效（近期未打开）"]]
    at.run()
    assert at.dataframe[0].value["state"].tolist() == ["使用中"]
    assert at.selectbox(key="screen_pick").value == 1
    at.button(key="screen_revoke").click().run()
    assert not at.exception
    assert at.success[0].value == "已撤销大屏链接 1：该屏幕下次刷新时显示“此大屏链接已被撤销，请联系管理员”"
    assert at.dataframe[0].value[["label", "state"]].values.tolist() == [["三楼会商室大屏", "已撤销"]]
    assert "没有可撤销的大屏链接。" in [m.value for m in at.markdown]
    with db.cursor() as cur, pytest.raises(screen_links.LinkRefused, match="已被撤销"):
        screen_links.resolve(cur, address.removeprefix(prefix))
