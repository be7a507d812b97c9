"""Warning rules of DOMAIN §8 on both sides of every threshold, and the keyed life of a warning."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from alerts.evaluate import acknowledge, evaluate, open_warnings
from alerts.rules import RULE_BY_ID, RULES, conditions
from pipelines.months import months_between
from tests.factories import project, snapshot
from tests.server import ROOT

D = dt.date


def _grades(con, as_of, rule):
    found = conditions(con, as_of)
    found = found[found["rule"] == rule]
    return dict(zip(found["subject"], found["grade"]))


def _one(con, code, period="2024-05", received="2024-06-05", unit="U01", **fields):
    pid = project(con, code, unit)
    snapshot(con, pid, period, received, unit, **fields)
    return pid


@pytest.mark.parametrize(("start", "end", "months"), [
    ("2024-01-31", "2024-04-30", 3),  # DOMAIN §8's own example
    ("2024-01-31", "2024-04-29", 2),
    ("2024-01-15", "2024-04-15", 3),
    ("2024-01-15", "2024-04-14", 2),
    ("2023-11-30", "2024-02-29", 3),
])
def test_calendar_months(start, end, months):
    """Whole calendar months between two days, month ends clamped."""
    import pandas as pd
    assert months_between(pd.Series([pd.Timestamp(start)]), D.fromisoformat(end)).iloc[0] == months


@pytest.mark.parametrize(("as_of", "grade"), [
    (D(2024, 6, 9), None), (D(2024, 6, 10), "yellow"), (D(2024, 9, 9), "yellow"), (D(2024, 9, 10), "red")])
def test_signed_not_commenced(units, as_of, grade):
    """签约 2024-03-10, not commenced: 黄 from 3 months (06-10), 红 from 6 months (09-10)."""
    _one(units, "S", period="2024-05", received="2024-06-05", signed_date="2024-03-10", investor="甲")
    assert _grades(units, as_of, "signed_not_commenced").get("S") == grade


@pytest.mark.parametrize(("as_of", "grade"), [
    (D(2024, 6, 1), None), (D(2024, 6, 2), "yellow"), (D(2024, 8, 31), "yellow"), (D(2024, 9, 1), "red")])
def test_planned_start_missed(units, as_of, grade):
    """计划开工 2024-06-01, not commenced: 黄 once the day has passed, 红 from 3 calendar months past it."""
    _one(units, "P", period="2024-04", received="2024-05-06", signed_date="2024-03-01", investor="甲",
         planned_start_date="2024-06-01")
    assert _grades(units, as_of, "planned_start_missed").get("P") == grade


@pytest.mark.parametrize(("total", "as_of", "grade"), [
    (20000, D(2024, 5, 31), None), (20000, D(2024, 6, 1), "yellow"), (20000, D(2024, 7, 1), "red"),
    (400, D(2024, 8, 1), None)])  # under 500万 a project cannot be 纳统: no warning
def test_commenced_not_in_stats(units, total, as_of, grade):
    """开工 2024-05-01 without 纳统: 黄 from one month, 红 from two; small projects never."""
    _one(units, "C", period="2024-05", received="2024-05-06", total=total, signed_date="2024-03-01",
         investor="甲", commenced_date="2024-05-01")
    assert _grades(units, as_of, "commenced_not_in_stats").get("C") == grade


@pytest.mark.parametrize(("as_of", "grade"), [
    (D(2024, 5, 30), None), (D(2024, 5, 31), "yellow"), (D(2024, 6, 29), "yellow"), (D(2024, 6, 30), "red")])
def test_lead_not_evaluated(units, as_of, grade):
    """线索 2024-05-01 without 研判: 黄 at 30 days, 红 at 60 days."""
    _one(units, "L", period="2024-05", received="2024-05-06", lead_date="2024-05-01")
    assert _grades(units, as_of, "lead_not_evaluated").get("L") == grade


def test_lead_evaluated_or_signed_is_quiet(units):
    """A lead that was evaluated (or went straight to 签约) raises nothing."""
    _one(units, "E", lead_date="2024-01-01", evaluated_date="2024-01-20")
    _one(units, "G", lead_date="2024-01-01", signed_date="2024-02-01", investor="甲")
    assert _grades(units, D(2024, 6, 30), "lead_not_evaluated") == {}


@pytest.mark.parametrize(("values", "grade"), [
    ([100, 200, 200, 200], None),  # three equal reports: grown two periods ago
    ([200, 200, 200, 200], "yellow"),
    ([300] + [200] * 6, "yellow"),  # six equal: more than 3 reports, fewer than 6
    ([200] * 7, "red"),
    ([None, 200, 200, 200], None),  # a missing value never fires
])
def test_investment_stalled(units, values, grade):
    """累计完成投资 unchanged across the latest 4 reports: 黄; the latest 7: 红 (oldest first in `values`)."""
    pid = project(units, "I")
    for i, value in enumerate(values):
        month = 1 + i
        snapshot(units, pid, f"2024-{month:02d}", f"2024-{month + 1:02d}-05", signed_date="2023-01-01",
                 investor="甲", commenced_date="2023-03-01", invested_to_date_wan=value)
    assert _grades(units, D(2024, 12, 31), "investment_stalled").get("I") == grade


def test_stale_update_grades(units):
    """Left out of U01's reports (C keeps them coming, May included): one month behind 黄; two or more 红. Without
    C, U01 would have sent no May report: B would raise no stale_update, U01 a report_missing (DOMAIN §8)."""
    _one(units, "A", period="2024-03", received="2024-04-05")
    _one(units, "B", period="2024-04", received="2024-05-05")
    assert _grades(units, D(2024, 6, 15), "stale_update") == {"A": "red"}
    assert _grades(units, D(2024, 6, 15), "report_missing") == {"U01": "yellow"}
    _one(units, "C", period="2024-05", received="2024-06-05")
    assert _grades(units, D(2024, 6, 15), "stale_update") == {"A": "red", "B": "yellow"}
    assert _grades(units, D(2024, 6, 15), "report_missing") == {}


def test_rate_below_target_needs_three(units):
    """U01: 1 of 3 signed commenced (33%, 红); U02 with 2 signed none commenced raises nothing (base < 3)."""
    for code, commenced in (("R1", "2024-04-01"), ("R2", None), ("R3", None)):
        _one(units, code, signed_date="2024-02-01", investor="甲", commenced_date=commenced)
    for code in ("T1", "T2"):
        _one(units, code, unit="U02", signed_date="2024-02-01", investor="乙")
    assert _grades(units, D(2024, 6, 30), "rate_below_target") == {"U01:commencement_rate": "red"}


@pytest.mark.parametrize(("signed", "commenced", "grade"), [
    (4, 3, None),        # 75%: at the target
    (3, 2, "yellow"),    # 66.7%
    (20, 13, "yellow"),  # 65%: exactly 10 points below is still 黄
    (20, 12, "red"),     # 60%
    (3, 1, "red"),       # 33.3%
])
def test_rate_below_target_grades(units, signed, commenced, grade):
    """签约项目开工率 against 75%: none at the target, 黄 up to 10 points below (boundary included), 红 beyond."""
    for i in range(signed):
        _one(units, f"S{i:02d}", signed_date="2024-02-01", investor="甲",
             commenced_date="2024-04-01" if i < commenced else None)
    assert _grades(units, D(2024, 6, 30), "rate_below_target").get("U01:commencement_rate") == grade


def test_rule_descriptions_follow_the_thresholds_in_force():
    """Every rule names real settings for its thresholds, and its description shows the values in force."""
    from pipelines.settings import load

    overridden = load(overrides={"warnings": {"signed_not_commenced_red_months": 9,
                                              "behind_schedule_red_points": -40}})
    for rule in RULES:
        rule.thresholds(overridden)  # raises for a misnamed setting
        assert "{" not in rule.describe(overridden)
    assert RULE_BY_ID["signed_not_commenced"].describe(overridden) == "签约满3个月未开工为黄，满9个月为红"
    assert RULE_BY_ID["behind_schedule"].describe(overridden) == "目标完成率落后序时进度10个百分点为黄，40个百分点为红"
    assert RULE_BY_ID["signed_not_commenced"].thresholds(overridden) == {"yellow": 3, "red": 9}


@pytest.mark.parametrize(("target", "grade"), [(2, None), (3, "yellow"), (5, "red")])
def test_behind_schedule(units, target, grade):
    """One 新开工 by 06-30 (序时进度 0.5): target 2 is on schedule; 3 is 33% done (−16.7 points, 黄);
    5 is 20% done (−30 points, 红)."""
    units.execute("INSERT INTO targets (submission_id, received_at, year, unit_code, signed_major, "
                  "signed_amount_wan, commenced, production, major_manufacturing) VALUES (1, '2024-01-10', 2024, 'U01', NULL, NULL, ?, NULL, NULL)", [target])
    _one(units, "N", total=20000, signed_date="2024-02-01", investor="甲", commenced_date="2024-04-01")
    assert _grades(units, D(2024, 6, 30), "behind_schedule").get("U01:commenced") == grade


def test_behind_schedule_leaves_the_excellence_target_alone(units):
    """7亿元以上制造业项目数 is the 一票评优 target (more than it over the year), not one paced by 序时进度: a unit with
    none of 2 by 06-30 raises no 落后序时进度, while its 新开工 target of 3 (one commenced) does (DOMAIN §8)."""
    units.execute("INSERT INTO targets (submission_id, received_at, year, unit_code, commenced, major_manufacturing) "
                  "VALUES (1, '2024-01-10', 2024, 'U01', 3, 2)")
    _one(units, "N", total=20000, signed_date="2024-02-01", investor="甲", commenced_date="2024-04-01")
    found = _grades(units, D(2024, 6, 30), "behind_schedule")
    assert found == {"U01:commenced": "yellow"}


def test_duplicate_names_differ_by_a_symbol_not_by_punctuation(units):
    """DOMAIN §8 leaves out spaces and punctuation only: "5G+智慧工厂项目" is not "5G智慧工厂项目" (+ is a symbol), while
    an investor written "星河·科技" is "星河科技" (· is punctuation) and full-width brackets fold (NFKC)."""
    _one(units, "S1", project_name="5G+智慧工厂项目", investor="星河·科技有限公司")
    _one(units, "S2", unit="U02", project_name="5G智慧工厂项目", investor="星河科技有限公司")
    _one(units, "S3", unit="U02", project_name="5G+智慧工厂项目（一期）", investor="星河 科技有限公司")
    _one(units, "S4", unit="U03", project_name="5G+智慧工厂项目(一期)", investor="星河科技有限公司")
    assert _grades(units, D(2024, 6, 30), "duplicate_project") == {"S3": "yellow", "S4": "yellow"}


def test_duplicate_project_across_units(units):
    """The same name (ignoring spaces and punctuation) and investor in two units: one 黄 warning per project;
    the same name with another investor, or in the same unit, is not a duplicate."""
    _one(units, "D1", project_name="年产5万吨 新材料项目", investor="青岚新材料有限公司")
    _one(units, "D2", unit="U02", project_name="年产5万吨新材料项目。", investor="青岚新材料有限公司")
    _one(units, "D3", unit="U03", project_name="年产5万吨新材料项目", investor="别的公司")
    assert _grades(units, D(2024, 6, 30), "duplicate_project") == {"D1": "yellow", "D2": "yellow"}
    found = conditions(units, D(2024, 6, 30))
    detail = dict(zip(found["subject"], found["detail"]))["D1"]
    names = dict(units.execute("SELECT code, name FROM units").fetchall())
    assert detail.endswith(f"与 {names['U02']}的 D2 同名且同投资方"), detail  # the other unit by its name


def test_terminated_projects_stay_quiet(units):
    """A terminated project raises no project warning, however old its 签约."""
    _one(units, "X", status="terminated", signed_date="2023-01-01", investor="甲", lead_date="2022-12-01")
    found = conditions(units, D(2024, 6, 30))
    assert "X" not in set(found["subject"])


def test_warning_lifecycle(units):
    """Opened 黄, re-evaluated without change (nothing new), escalated to 红, acknowledged, then resolved when
    the project commences; each step recorded once."""
    pid = _one(units, "W", signed_date="2024-03-10", investor="甲")
    changes = evaluate(units, D(2024, 6, 15), now=dt.datetime(2024, 6, 15, 8))
    assert [(c.subject, c.grade, c.change) for c in changes if c.rule == "signed_not_commenced"] == [
        ("W", "yellow", "new")]
    assert evaluate(units, D(2024, 6, 15), now=dt.datetime(2024, 6, 15, 9)) == []
    changes = evaluate(units, D(2024, 9, 15), now=dt.datetime(2024, 9, 15, 8))
    assert ("W", "red", "escalated") in [(c.subject, c.grade, c.change) for c in changes]
    wid = units.execute("SELECT id FROM warnings WHERE rule = 'signed_not_commenced'").fetchone()[0]
    acknowledge(units, wid, "城东街道", "已约谈投资方，10月开工", now=dt.datetime(2024, 9, 20))
    snapshot(units, pid, "2024-09", "2024-10-05", signed_date="2024-03-10", investor="甲",
             commenced_date="2024-09-20")
    changes = evaluate(units, D(2024, 10, 6), now=dt.datetime(2024, 10, 6, 8))
    assert ("W", "resolved") in [(c.subject, c.change) for c in changes if c.rule == "signed_not_commenced"]
    events = units.execute("SELECT event FROM warning_events WHERE warning_id = ? ORDER BY happened_at",
                           [wid]).fetchall()
    assert [e for (e,) in events] == ["new", "escalated", "acknowledged", "resolved"]
    assert units.execute("SELECT count(*) FROM warnings WHERE rule = 'signed_not_commenced'").fetchone()[0] == 1
    assert "signed_not_commenced" not in set(open_warnings(units)["rule"])


def test_check_cli_json(units, tmp_path):
    """`python -m alerts.check --as-of D --json` prints the open warnings in DOMAIN §9's shape."""
    _one(units, "S", signed_date="2024-03-10", investor="甲")
    units.close()
    done = subprocess.run([sys.executable, "-m", "alerts.check", "--as-of", "2024-09-15", "--json", "--db",
                           str(tmp_path / "test.duckdb")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["as_of"] == "2024-09-15"
    signed = [a for a in data["alerts"] if a["rule"] == "signed_not_commenced"]
    assert signed == [{"rule": "signed_not_commenced", "subject": "S", "unit": "U01", "grade": "red",
                       "since": "2024-06-10", "detail": signed[0]["detail"]}]
    assert "签约于 2024-03-10" in signed[0]["detail"]
