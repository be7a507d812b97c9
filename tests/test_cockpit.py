"""The leadership big screen: pipelines.screens.cockpit's figures against hand-computed values on a small county, its
view of the past and of one unit, its warnings as they stood on a day, and pages/cockpit.py run through AppTest."""
from __future__ import annotations

import base64
import datetime as dt
import html
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from alerts import centre
from alerts.evaluate import evaluate, open_warnings
from pipelines import settings
from pipelines.access import Actor
from pipelines.figures import assessment
from pipelines.screens import cockpit
from pipelines.store import db, timeline
from tests import factories as f
from tests.server import ROOT
from ui.auth import TEST_ACTOR_KEY

D = dt.date(2024, 10, 20)  # 序时进度 9/12: September is the last month completed (DOMAIN §5)


@pytest.fixture
def county(units):
    """Six projects in U01 and U02 (U03 has none), with 2024 targets for U01 and U02.

    U01: P1 20000 制造业, lead 01-10 … signed 03-01, commenced 05-01, 纳统 06-15 (stage 纳统 since 06-15);
         P2 50000 服务业, reported for 2024-06 (received 07-05) up to 审批 04-01, then for 2024-09 signed 08-01;
         P3 5000 农业 (not assessed), paused, lead 09-01; P6 12000 制造业 signed 2023, 投产 2024-07-01.
    U02: P4 30000 制造业 signed 02-01, commenced 04-01, reported for 2024-08 (received 09-05) and 2024-09;
         P5 15000 文旅 signed 06-01, terminated.
    Files of 2024-09 arrive on 10-05 (U01) and 10-08 (U02). Investment (万元, no report of an earlier year, so
    baselines 0): P1 年度计划 8000, 累计完成 6000, 累计到位 12000; P4 5000, 3000, 9000 (in both its reports).
    Targets: U01 新纳统 2 and 本年完成投资 10000 (1亿元); U02 neither."""
    con = units
    ids = {code: f.project(con, code, unit) for code, unit in
           (("P1", "U01"), ("P2", "U01"), ("P3", "U01"), ("P6", "U01"), ("P4", "U02"), ("P5", "U02"))}
    early = {"lead_date": "2024-02-01", "evaluated_date": "2024-03-01", "approved_date": "2024-04-01"}
    f.snapshot(con, ids["P2"], "2024-06", "2024-07-05", total=50000, industry="服务业", **early)
    f.snapshot(con, ids["P1"], "2024-09", "2024-10-05", lead_date="2024-01-10", evaluated_date="2024-02-01",
               approved_date="2024-02-20", signed_date="2024-03-01", commenced_date="2024-05-01",
               in_stats_date="2024-06-15", annual_plan_wan=8000, invested_to_date_wan=6000, funds_in_place_wan=12000)
    f.snapshot(con, ids["P2"], "2024-09", "2024-10-05", total=50000, industry="服务业", signed_date="2024-08-01",
               **early)
    f.snapshot(con, ids["P3"], "2024-09", "2024-10-05", total=5000, industry="农业", status="paused",
               lead_date="2024-09-01")
    f.snapshot(con, ids["P6"], "2024-09", "2024-10-05", total=12000, signed_date="2023-05-01",
               commenced_date="2023-08-01", production_date="2024-07-01")
    for received in ("2024-09-05", "2024-10-08"):
        period = "2024-08" if received < "2024-10" else "2024-09"
        f.snapshot(con, ids["P4"], period, received, "U02", total=30000, signed_date="2024-02-01",
                   commenced_date="2024-04-01", annual_plan_wan=5000, invested_to_date_wan=3000,
                   funds_in_place_wan=9000)
    f.snapshot(con, ids["P5"], "2024-09", "2024-10-08", "U02", total=15000, industry="文旅", status="terminated",
               signed_date="2024-06-01")
    con.executemany("INSERT INTO targets (submission_id, received_at, year, unit_code, signed_major, "
                    "signed_amount_wan, commenced, production, major_manufacturing, in_stats, invested_year_wan) "
                    "VALUES (1, '2024-01-15', 2024, ?, ?, ?, ?, ?, 0, ?, ?)",
                    [("U01", 4, 100000, 2, 2, 2, 10000), ("U02", 2, 50000, 2, None, None, None)])
    return con


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    return [{c: (None if pd.isna(v) else v) for c, v in row.items()} for row in frame[columns].to_dict("records")]


def test_headline_of_the_county_against_summed_targets(county):
    """County figures against the sum of the units' targets: completion, what 序时进度 asks, the gap in points.

    On 10-20 nine months are completed, so 序时进度 is 9/12 (not 10/12). Targets U01+U02: signed 4+2 = 6,
    amount 100000+50000 = 150000, commenced 2+2 = 4, 新纳统 2 (U01 only), production 2 (U02 none), 本年完成投资
    10000 (U01 only). Due: signed 6 × 9/12 = 4.5. On pace when actual ≥ target × 9/12: signed 4 < 4.5 no; amount
    115000 ≥ 112500 yes; commenced 2 < 3 no; 新纳统 1 < 1.5 no; production 1 < 1.5 no; 本年完成投资 6000 + 3000 =
    9000 ≥ 7500 yes, completion 0.9, gap (0.9 − 0.75) × 100 = +15 points."""
    view = cockpit.cockpit(county, D)
    assert (view.scope_name, view.year, view.time_progress) == ("全县", 2024, 9 / 12)
    headline = view.headline.set_index("item")
    assert list(headline.index) == ["signed", "signed_amount", "commenced", "in_stats", "production", "invested_year"]
    assert headline["actual"].tolist() == [4, 115000, 2, 1, 1, 9000]
    assert headline["target"].tolist() == [6, 150000, 4, 2, 2, 10000]
    assert headline["unit"].tolist() == ["个", "亿元", "个", "个", "个", "亿元"]
    assert headline.loc["signed", "due"] == pytest.approx(4.5)
    assert headline.loc["signed", "completion"] == pytest.approx(4 / 6)
    assert headline.loc["signed", "gap_points"] == pytest.approx((4 / 6 - 9 / 12) * 100)
    assert headline.loc["signed_amount", "completion"] == pytest.approx(115000 / 150000)
    assert headline.loc["in_stats", "gap_points"] == pytest.approx((1 / 2 - 9 / 12) * 100)
    assert headline.loc["production", "gap_points"] == pytest.approx((1 / 2 - 9 / 12) * 100)
    assert (headline.loc["invested_year", "completion"], headline.loc["invested_year", "gap_points"]) == (
        pytest.approx(0.9), pytest.approx(15))
    assert headline.loc["invested_year", "plan_rate"] == pytest.approx(9000 / 13000)
    assert headline["on_pace"].tolist() == [False, True, False, False, False, True]


def test_headline_without_a_target_shows_the_figure_alone(county):
    """U02 has no 本年完成投资 target: the card shows its 3000万元 (0.30亿元) with 年度投资完成率 3000 / 5000 = 60.0%
    and no target, completion or status."""
    headline = cockpit.cockpit(county, D, "U02").headline
    row = _records(headline[headline["item"] == "invested_year"],
                   ["actual", "target", "completion", "gap_points", "on_pace", "plan_rate"])[0]
    assert row == {"actual": 3000, "target": None, "completion": None, "gap_points": None, "on_pace": None,
                   "plan_rate": pytest.approx(0.6)}


def test_rates_with_their_targets_from_settings(county):
    """开工率 2/4 (P5, terminated, stays in the cohort) and 纳统率 1/2, both 红 against 75% and 80%; 资金到位率 over
    the signed cohort (P1, P2, P4, P5): (12000 + 9000) / (20000 + 50000 + 30000 + 15000) = 21000 / 115000, and
    开工项目投产率 0/2 (P1, P4 commenced this year; P6's 投产 is of a project commenced in 2023), neither with a
    target by default: no status."""
    rates = cockpit.cockpit(county, D).rates
    assert _records(rates, ["rate", "value", "target", "status", "hits", "base", "measure"]) == [
        {"rate": "commencement_rate", "value": 0.5, "target": 0.75, "status": "红", "hits": 2, "base": 4,
         "measure": "count"},
        {"rate": "stats_rate", "value": 0.5, "target": 0.80, "status": "红", "hits": 1, "base": 2, "measure": "count"},
        {"rate": "funds_rate", "value": pytest.approx(21000 / 115000), "target": None, "status": None,
         "hits": 21000, "base": 115000, "measure": "amount"},
        {"rate": "production_rate", "value": 0.0, "target": None, "status": None, "hits": 0, "base": 2,
         "measure": "count"},
    ]


def test_rate_targets_follow_settings(county):
    """A lower 开工率 target in settings moves the gauge's target and the status: 0.5 against 0.5 is 达标."""
    config = settings.load(overrides={"figures": {"commencement_target": 0.5}})
    rates = cockpit.cockpit(county, D, settings=config).rates.set_index("rate")
    assert (rates.loc["commencement_rate", "target"], rates.loc["commencement_rate", "status"]) == (0.5, "达标")
    targeted = settings.load(overrides={"figures": {"funds_target": 0.2, "production_target": 0.5}})
    rates = cockpit.cockpit(county, D, settings=targeted).rates.set_index("rate")
    # 0.1826 is 1.7 points under 20%: 黄; 0% is 50 points under 50%: 红.
    assert rates.loc[["funds_rate", "production_rate"], ["target", "status"]].values.tolist() == [
        [0.2, "黄"], [0.5, "红"]]


def test_funnel_and_mix(county):
    """The year's leads (P1, P2, P3) through the funnel; the mix counts the projects not terminated (P5 left out),
    P3 included though not assessed."""
    view = cockpit.cockpit(county, D)
    assert view.funnel_cohort == "year"
    assert view.funnel["reached"].tolist() == [3, 2, 2, 2, 1, 1, 0, 0]
    assert _records(view.industry_mix, ["industry", "projects", "investment_wan"]) == [
        {"industry": "农业", "projects": 1, "investment_wan": 5000},
        {"industry": "制造业", "projects": 3, "investment_wan": 62000},
        {"industry": "服务业", "projects": 1, "investment_wan": 50000},
    ]
    assert view.size_mix.set_index("size_band")["projects"].to_dict() == {
        "50亿以上": 0, "10–50亿": 0, "5–10亿": 1, "1–5亿": 3, "1亿以下": 1}


def test_stuck_projects_longest_in_their_stage(county):
    """Longest in the current stage first; the terminated P5 and P6 in production are not stuck; a paused project
    is, with its status."""
    stuck = cockpit.cockpit(county, D).stuck
    assert _records(stuck, ["project_code", "stage", "status", "days"]) == [
        {"project_code": "P4", "stage": "commenced", "status": "active", "days": 202},
        {"project_code": "P1", "stage": "in_stats", "status": "active", "days": 127},
        {"project_code": "P2", "stage": "signed", "status": "active", "days": 80},
        {"project_code": "P3", "stage": "lead", "status": "paused", "days": 49},
    ]
    assert stuck["stage_date"].tolist() == [pd.Timestamp(d) for d in ("2024-04-01", "2024-06-15", "2024-08-01",
                                                                      "2024-09-01")]


def test_stuck_projects_are_limited_by_settings(county):
    """[screen] stuck_shown caps the list."""
    config = settings.load(overrides={"screen": {"stuck_shown": 2}})
    assert cockpit.cockpit(county, D, settings=config).stuck["project_code"].tolist() == ["P4", "P1"]


T = pd.Timestamp


@pytest.mark.parametrize("as_of, month, expected", [
    # September, due 10-10: U01's file came on 10-05, U02's on 10-08; U03 has no project and owes nothing.
    (D, "2024-09", [("U01", "received_on_time", T("2024-10-05"), -10),
                    ("U02", "received_on_time", T("2024-10-08"), -10)]),
    # On 10-07 U02 (P4, reported since August) still owes September: missing first, 3 days left.
    (dt.date(2024, 10, 7), "2024-09", [("U02", "not_received", None, 3),
                                       ("U01", "received_on_time", T("2024-10-05"), 3)]),
    # August, due 09-10: U01 (P2, reported since June) sent nothing; U02's P4 came on 09-05.
    (dt.date(2024, 9, 15), "2024-08", [("U01", "not_received", None, -5),
                                       ("U02", "received_on_time", T("2024-09-05"), -5)]),
    (dt.date(2024, 8, 10), "2024-07", [("U01", "not_received", None, 0)]),  # the due day itself
    # June: only P2's file (07-05) was known on 07-31; U02 owed nothing yet.
    (dt.date(2024, 7, 31), "2024-06", [("U01", "received_on_time", T("2024-07-05"), -21)]),
])
def test_reporting_per_unit(county, as_of, month, expected):
    """本期报送 (DOMAIN §6): the month before the day, each unit that owes it with its report's state, first arrival
    and the days left to the due day (negative: past), missing first, then late, then on time, by code."""
    reporting = cockpit.cockpit(county, as_of).reporting
    assert reporting.attrs["period"] == dt.date.fromisoformat(month + "-01")
    shown = _records(reporting, ["code", "state", "first_received", "days_left"])
    assert [tuple(r.values()) for r in shown] == expected


def test_reporting_counts_files_of_several_units_and_late_ones(county):
    """A file holding several units (no unit of its own) reports September for U03 (P7) on 10-12: late, listed
    before the units on time."""
    p = f.project(county, "P7", "U03")
    f.snapshot(county, p, "2024-09", "2024-10-12", "U03")
    county.execute("UPDATE submissions SET unit_code = NULL WHERE id = (SELECT max(submission_id) FROM snapshots)")
    timeline.rebuild(county)  # the file edited by hand, not through pipelines.ingest.load
    reporting = cockpit.cockpit(county, D).reporting
    assert _records(reporting, ["code", "state", "first_received"]) == [
        {"code": "U03", "state": "received_late", "first_received": T("2024-10-12")},
        {"code": "U01", "state": "received_on_time", "first_received": T("2024-10-05")},
        {"code": "U02", "state": "received_on_time", "first_received": T("2024-10-08")}]


def test_the_past_is_shown_as_it_was_known(county):
    """As of 2024-07-31 only P2's June report had arrived: nothing signed, P2 stuck at 审批 since 04-01, the rates
    without a cohort, and the funnel of what was known."""
    view = cockpit.cockpit(county, dt.date(2024, 7, 31))
    assert view.headline["actual"].tolist() == [0, 0, 0, 0, 0, 0]
    assert view.rates["value"].tolist() == [None] * 4 and view.rates["status"].tolist() == [None] * 4
    assert _records(view.stuck, ["project_code", "stage", "days"]) == [
        {"project_code": "P2", "stage": "approved", "days": 121}]
    assert view.funnel["reached"].tolist() == [1, 1, 1, 0, 0, 0, 0, 0]
    assert view.time_progress == 7 / 12


def test_unit_scope(county):
    """U01's screen: its own flows against its own targets, rates, projects, its report (本期报送) and warnings; the
    ranking still lists every unit, U01 marked."""
    view = cockpit.cockpit(county, D, "U01")
    assert view.scope_name == "经济开发区"
    headline = view.headline.set_index("item")
    assert headline["actual"].tolist() == [2, 70000, 1, 1, 1, 6000]
    assert headline["target"].tolist() == [4, 100000, 2, 2, 2, 10000]
    assert headline.loc["signed", "completion"] == 0.5
    assert (headline.loc["invested_year", "completion"], headline.loc["invested_year", "on_pace"]) == (0.6, False)
    assert view.rates["value"].tolist()[:2] == [0.5, 1.0] and view.rates["status"].tolist()[:2] == ["红", "达标"]
    assert view.funnel["reached"].tolist() == [3, 2, 2, 2, 1, 1, 0, 0]
    assert view.stuck["project_code"].tolist() == ["P1", "P2", "P3"]
    assert view.reporting["code"].tolist() == ["U01"]
    assert view.ranking["code"].tolist() == ["U02", "U03", "U01"]  # 乡镇组 before 园区组
    assert view.ranking.set_index("code")["in_scope"].to_dict() == {"U01": True, "U02": False, "U03": False}
    assert pd.isna(cockpit.cockpit(county, D, "U02").headline.set_index("item").loc["production", "target"])


def test_unknown_unit_scope_is_refused(county):
    with pytest.raises(LookupError):
        cockpit.cockpit(county, D, "U99")


def test_ranking_is_the_assessment_by_group_with_changes(county):
    """Units ordered by group, then rank in the group, with the assessment's scores and ranks and the places
    moved since the end of last month."""
    ranking = cockpit.cockpit(county, D).ranking
    result = assessment.assess(county, D)
    changes = assessment.rank_changes(county, result).set_index("code")
    expected = result.units.sort_values(["group", "group_rank"])
    assert ranking["code"].tolist() == expected["code"].tolist()
    assert ranking["group"].tolist() == sorted(ranking["group"].tolist())
    assert ranking["score"].tolist() == expected["score"].tolist()
    assert ranking["group_rank_change"].tolist() == [changes.loc[c, "group_rank_change"] for c in ranking["code"]]
    assert not ranking["in_scope"].any()


def test_rank_changes_are_empty_in_january(county):
    """In January the previous month-end is in another assessment year: no change is shown."""
    ranking = cockpit.cockpit(county, dt.date(2025, 1, 20)).ranking
    assert ranking["rank_change"].isna().all() and ranking["group_rank_change"].isna().all()


@pytest.mark.parametrize("as_of, months, days", [
    (dt.date(2024, 3, 31), 3, ["2024-01-31", "2024-02-29", "2024-03-31"]),
    (dt.date(2024, 3, 15), 3, ["2024-01-31", "2024-02-29", "2024-03-15"]),
    (dt.date(2024, 1, 10), 3, ["2023-11-30", "2023-12-31", "2024-01-10"]),
    (dt.date(2024, 1, 10), 2, ["2023-12-31", "2024-01-10"]),
])
def test_trend_days(as_of, months, days):
    """The month-ends before the as-of month, then the as-of day itself."""
    assert cockpit.trend_days(as_of, months) == [dt.date.fromisoformat(d) for d in days]


def test_trend_shows_each_month_end_as_known_then(county):
    """At 08-31 nothing of 2024 was known; at 09-30 P4's August report (signed, commenced); on the day all four
    signings. The last point equals the headline."""
    config = settings.load(overrides={"screen": {"trend_months": 3}})
    view = cockpit.cockpit(county, D, settings=config)
    assert _records(view.trend, ["month", "signed", "commenced", "in_stats", "production", "commencement_rate",
                                 "stats_rate"]) == [
        {"month": "2024-08", "signed": 0, "commenced": 0, "in_stats": 0, "production": 0,
         "commencement_rate": None, "stats_rate": None},
        {"month": "2024-09", "signed": 1, "commenced": 1, "in_stats": 0, "production": 0,
         "commencement_rate": 1.0, "stats_rate": 0.0},
        {"month": "2024-10", "signed": 4, "commenced": 2, "in_stats": 1, "production": 1,
         "commencement_rate": 0.5, "stats_rate": 0.5},
    ]
    assert view.trend["day"].tolist() == [dt.date(2024, 8, 31), dt.date(2024, 9, 30), D]
    assert view.trend["signed_amount_wan"].iloc[-1] == view.headline.set_index("item").loc["signed_amount",
                                                                                           "actual"]


def test_trend_of_a_unit(county):
    config = settings.load(overrides={"screen": {"trend_months": 2}})
    assert cockpit.cockpit(county, D, "U02", settings=config).trend["signed"].tolist() == [1, 2]


def _warning(con, wid: int, rule: str, subject: str, unit: str, grade: str, first: str, last: str,
             resolved: str | None, detail: str, events: list[tuple[str, str, str, str]]) -> None:
    con.execute("INSERT INTO warnings VALUES (?, ?, ?, ?, ?, '2024-08-01', ?, ?, ?, ?, NULL, NULL, NULL)",
                [wid, rule, subject, unit, grade, detail, first, last, resolved])
    con.executemany("INSERT INTO warning_events VALUES (?, ?, ?, ?, ?)", [(wid, *e) for e in events])


@pytest.fixture
def warned(county):
    """W1: P2 签约未开工, yellow from 09-01, red from 10-15, still open. W2: U02 逾期, yellow 10-10, resolved 10-18.
    W3: U01 开工率 yellow from 10-19 (acknowledged 10-19 12:00, which is no change of grade)."""
    _warning(county, 1, "signed_not_commenced", "P2", "U01", "red", "2024-09-01 10:00", "2024-10-19 10:00", None,
             "P2 已 6 个月", [("2024-09-01 10:00", "new", "yellow", "P2 已 3 个月"),
                            ("2024-10-15 10:00", "escalated", "red", "P2 已 6 个月（升级）")])
    _warning(county, 2, "stale_update", "P4", "U02", "yellow", "2024-10-10 10:00", "2024-10-17 10:00",
             "2024-10-18 10:00", "P4 已 1 个月未更新", [("2024-10-10 10:00", "new", "yellow", "P4 已 1 个月未更新"),
                                                  ("2024-10-18 10:00", "resolved", "yellow", "P4 已 1 个月未更新")])
    _warning(county, 3, "rate_below_target", "U01:commencement_rate", "U01", "yellow", "2024-10-19 10:00",
             "2024-10-19 10:00", None, "开工率 50%", [("2024-10-19 10:00", "new", "yellow", "开工率 50%"),
                                                  ("2024-10-19 12:00", "acknowledged", "yellow", "已督办")])
    return county


@pytest.mark.parametrize("as_of, scope, expected", [
    (D, None, [(1, "red", "P2 已 6 个月"), (3, "yellow", "开工率 50%")]),
    (dt.date(2024, 10, 12), None, [(2, "yellow", "P4 已 1 个月未更新"), (1, "yellow", "P2 已 3 个月")]),
    (dt.date(2024, 10, 18), None, [(1, "red", "P2 已 6 个月（升级）")]),
    (dt.date(2024, 9, 30), None, [(1, "yellow", "P2 已 3 个月")]),
    (dt.date(2024, 8, 31), None, []),
    (dt.date(2024, 10, 12), "U02", [(2, "yellow", "P4 已 1 个月未更新")]),
    (D, "U02", []),
])
def test_warnings_as_they_stood_on_the_day(warned, as_of, scope, expected):
    """Open at the end of the day (opened by then, resolved after), with the grade of then, red first, then the
    latest raised or regraded; the text of the warning's last evaluation if that was by then."""
    shown = cockpit.screen_warnings(warned, as_of, scope)["warnings"]
    assert list(zip(shown["id"], shown["grade"], shown["detail"])) == expected


def test_warning_counts_and_limit(warned):
    """The counts cover every open warning; [screen] warnings_shown limits the list; names and labels are
    Chinese."""
    config = settings.load(overrides={"screen": {"warnings_shown": 1}})
    part = cockpit.screen_warnings(warned, D, None, config)
    assert part["warning_counts"] == {"yellow": 1, "red": 1}
    assert _records(part["warnings"], ["id", "rule_name", "grade_label", "unit_name"]) == [
        {"id": 1, "rule_name": "签约未开工", "grade_label": "红", "unit_name": "经济开发区"}]


def test_warnings_version_changes_with_events_and_evaluations(warned):
    """A new event or a refreshed last_seen (an evaluation that changed nothing) each give a new version."""
    first = centre.warnings_version(warned)
    warned.execute("INSERT INTO warning_events VALUES (3, '2024-10-20 09:00', 'acknowledged', 'yellow', '再督办')")
    second = centre.warnings_version(warned)
    warned.execute("UPDATE warnings SET last_seen = '2024-10-20 10:00' WHERE id = 1")
    assert len({first, second, centre.warnings_version(warned)}) == 3


def test_screen_lists_the_warnings_the_evaluation_left_open(county):
    """After alerts.evaluate, the screen shows (up to its limit) exactly the open warnings of the table."""
    evaluate(county, D)
    part = cockpit.screen_warnings(county, dt.date.today(), None)
    opened = open_warnings(county)
    assert sum(part["warning_counts"].values()) == len(opened) > 0
    assert set(part["warnings"]["id"]) <= set(opened["id"])
    assert part["warnings"]["grade"].tolist() == sorted(part["warnings"]["grade"].tolist(),
                                                         key=lambda g: g != "red")


# --- the page ---------------------------------------------------------------------------------------------------

LEADER = Actor("领导", "leader")


def _page(actor: Actor | None = LEADER, kiosk: bool = False) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "cockpit.py"), default_timeout=60)
    if actor is not None:
        at.session_state[TEST_ACTOR_KEY] = actor
    if kiosk:
        at.query_params["kiosk"] = "1"
    return at.run()


def _html(at: AppTest) -> str:
    return "\n".join(element.value for element in at.html)


def _panels(at: AppTest) -> dict[str, str]:
    """The chart panels by title, each with the screen's SVG it embeds (the first image; the second is the phone's)
    decoded into it."""
    panels = {}
    for chunk in _html(at).split("<div class='zs-panel ")[1:]:
        if not chunk.startswith("zs-chart"):
            continue
        title = re.search(r"class='zs-panel-title'>([^<]+)", chunk).group(1)
        drawings = [base64.b64decode(s).decode() for s in re.findall(r"data:image/svg\+xml;base64,([^']+)", chunk)]
        panels[title] = chunk + "".join(drawings[:1])
    return panels


def _texts(markup: str) -> list[str]:
    """The texts of the SVG <text> elements and of the bars' labels and values, in order."""
    return [html.unescape(t) for t in re.findall(
        r"<text [^>]*>([^<]*)</text>|class='zs-(?:flabel|fbar|fout|blabel|bvalue)'[^>]*>([^<]*)<", markup)
        for t in t if t]


def test_page_renders_the_whole_screen(county):
    """The page draws the header, the six headline cards, four charts and the four tables, live as of today."""
    county.close()
    at = _page()
    assert not at.exception
    text = _html(at)
    assert "招引智控 · 领导驾驶舱" in text and "全县" in text and "（实时）" in text
    assert text.count("class='zs-card'") == 6
    for title in ("考核排名", "实时预警", "停滞最久的项目", "本期报送"):
        assert title in text
    assert list(_panels(at)) == ["四率完成情况", f"项目漏斗（{dt.date.today().year}年登记线索）", "在库项目结构",
                                 "月度走势"]
    assert not at.get("plotly_chart")
    assert len(at.sidebar.date_input) == 1 and at.sidebar.date_input[0].value is None


def test_page_as_of_a_past_day(county):
    """Picking a day shows the screen as it was: header says 回看 and the headline has that day's figures; the
    gauges, without a cohort yet, show '—'."""
    county.close()
    at = _page()
    at.sidebar.date_input[0].set_value(dt.date(2024, 7, 31)).run()
    assert not at.exception
    text = _html(at)
    assert "数据截至 2024-07-31（回看）" in text and "2024年序时进度 58.3%" in text
    assert _texts(_panels(at)["四率完成情况"]) == [
        "签约项目开工率", "目标 75% · 0/0", "—", "无基数", "开工项目纳统率", "目标 80% · 0/0", "—", "无基数",
        "资金到位率", "0.00/0.00亿元", "—", "无基数", "开工项目投产率", "0/0", "—", "无基数"]


def test_page_charts_show_the_figures_of_the_day(county):
    """As of D the gauges, the funnel and 本期报送 show the county's figures: both rates 50.0% (红) against their
    targets, each milestone's count with its conversion and median days (inside the wide bars, beside the narrow
    ones), September's reports of U01 (10-05) and U02 (10-08), both on time, 2 of the 2 owed; the year's 报送率 and
    及时率 4 of 6: U01 owed June–September (P2 from June, the others from September; P6 in production since July owes
    none) and sent June and September only, on time; U02 owed and sent August and September on time."""
    county.close()
    at = _page()
    at.sidebar.date_input[0].set_value(D).run()
    assert not at.exception
    panels = _panels(at)
    assert _texts(panels["四率完成情况"]) == [
        "签约项目开工率", "目标 75% · 2/4", "50.0%", "红", "开工项目纳统率", "目标 80% · 1/2", "50.0%", "红",
        "资金到位率", "2.10/11.50亿元", "18.3%", "未设目标", "开工项目投产率", "0/2", "0.0%", "未设目标"]
    assert _texts(panels["项目漏斗（2024年登记线索）"]) == [
        "线索登记", "3", "研判通过", "2 · 转化 67% · 26天", "审批通过", "2 · 转化 100% · 25天",
        "签约", "2 · 转化 100% · 66天", "开工", "1 · 转化 50% · 61天", "纳统", "1 · 转化 100% · 45天",
        "竣工", "0 · 转化 0%", "投产", "0"]
    assert re.findall(r"class='zs-fout'[^>]*>([^<]*)<", panels["项目漏斗（2024年登记线索）"]) == [
        "1 · 转化 50% · 61天", "1 · 转化 100% · 45天", "0 · 转化 0%", "0"]
    text = _html(at)
    assert ("本期报送 · 9月 <span class='zs-note'>已报 2/2 · 报送率 66.7% · 及时率 66.7%</span>"
            in text)
    cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", text[text.index("本期报送 · 9月"):])]
    assert [re.sub(r"<[^>]+>", "", c) for c in cells[:6]] == ["经济开发区", "按时", "10-05 00:00",
                                                              "城东街道", "按时", "10-08 00:00"]


def _first_card(at: AppTest) -> str:
    """The value on the first headline card (签约亿元以上项目数)."""
    return re.search(r"class='zs-value'[^>]*>([^<]+)<", _html(at)).group(1)


def test_page_picks_up_new_data_and_new_warnings_on_its_next_run(county):
    """The cached screen is keyed by the data version and by the warnings: an evaluation that loads nothing, or a
    file loaded, shows on the next run (the fragment's refresh) without a reload."""
    county.close()
    at = _page()  # live: the warnings open now
    assert "● 红 0" in _html(at)
    with db.cursor() as cur:
        evaluate(cur, D)
        red = int((open_warnings(cur)["grade"] == "red").sum())
    at.run()
    assert red > 0 and f"● 红 {red}" in _html(at)
    at.sidebar.date_input[0].set_value(D).run()
    assert _first_card(at) == "4"
    with db.cursor() as cur:
        f.snapshot(cur, f.project(cur, "P7", "U03"), "2024-09", "2024-10-09", "U03", signed_date="2024-09-02")
    at.run()
    assert _first_card(at) == "5"


def test_page_drops_the_star_when_a_veto_is_set(county):
    """一票否优 changes the ranking's 优秀 without new data: the next run no longer stars the unit."""
    f.snapshot(county, f.project(county, "P8", "U01"), "2024-09", "2024-10-05", total=80000,
               signed_date="2024-09-03")  # a 7亿元以上制造业 project against a target of 0: U01 is 优秀
    county.close()
    at = _page()
    at.sidebar.date_input[0].set_value(D).run()
    assert "经济开发区 <span class='zs-star'>★</span>" in _html(at)
    with db.cursor() as cur:
        cur.execute("INSERT INTO veto_flags VALUES (2024, 'U01', '未完成交办任务', 'admin', '2024-10-19 09:00')")
    at.run()
    assert "zs-star'>★" not in _html(at)


def test_page_for_a_unit_user_shows_its_unit(county):
    county.close()
    at = _page(Actor("王丽", "unit", "U02"))
    assert not at.exception
    text = _html(at)
    assert "城东街道 · 数据截至" in text and "经济开发区" in text  # the ranking lists every unit


def test_kiosk_mode_hides_the_chrome_and_the_picker(county):
    county.close()
    at = _page(kiosk=True)
    assert not at.exception
    assert len(at.sidebar.date_input) == 0
    assert '[data-testid="stToolbar"]' in _html(at)


def test_page_without_login_shows_the_login_form(county):
    county.close()
    at = _page(actor=None)
    assert not at.exception
    assert "/api/login" in _html(at) and "zs-chart" not in _html(at)


def test_page_with_an_empty_database_says_how_to_start():
    at = _page()
    assert not at.exception
    assert "pipelines.demo" in at.info[0].value


def test_warm_up_fills_the_big_screens_caches_for_its_first_reader(units, monkeypatch):
    """ui.data.warm_up (run at server start) computes the county's big screen of the day once; the page's read
    afterwards is served from the cache, its figures the same. With no project stored it computes nothing."""
    import streamlit as st

    from ui import data

    st.cache_data.clear()
    st.cache_resource.clear()
    computed: list[tuple] = []
    real = cockpit.screen_figures

    def counting(con, as_of, scope=None, *args, **kwargs):
        computed.append((as_of, scope))
        return real(con, as_of, scope, *args, **kwargs)

    monkeypatch.setattr(cockpit, "screen_figures", counting)
    data.warm_up(D)
    assert computed == []  # nothing stored yet
    p = f.project(units, "A")
    f.snapshot(units, p, "2024-09", "2024-10-05", signed_date="2024-09-12")
    data.warm_up(D)
    assert computed == [(D, None)]
    view = data.screen(D, None)
    assert computed == [(D, None)]
    assert view.headline.set_index("item").loc["signed", "actual"] == 1
