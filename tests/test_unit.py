"""The unit's own page: pipelines.screens.unit against hand-computed values on a small county (score and ranks as
the assessment gives them, the change since last month, item maxima, guidance, the month's report before and
after its due date, a unit that has not reported), visible_unit for every role, and pages/unit.py through
AppTest as an admin and as a unit user asking for another unit."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from alerts.evaluate import evaluate, open_warnings
from pipelines import settings
from pipelines.access import Actor
from pipelines.figures import assessment
from pipelines.screens import unit as unit_screen
from pipelines.store import queries, timeline
from tests import factories as f
from tests.server import ROOT
from ui import format
from ui.auth import TEST_ACTOR_KEY

D = dt.date(2024, 10, 20)  # 序时进度 9/12 (September the last month completed); the September reports were due on 10-10


@pytest.fixture
def county(units):
    """U01 (园区组) reports three projects for 2024-09 on 10-05: P1 20000 制造业 signed 03-01, commenced 05-01, 纳统
    06-15; P2 50000 服务业 signed 08-01; P3 30000 制造业 signed 07-01. U02 (乡镇组) reports P4 30000 制造业
    (signed 02-01, commenced 04-01) for 2024-08 on 09-05 and nothing for 2024-09. U03 (乡镇组) has no projects;
    its one file, for 2024-09 on 10-09, was refused whole. Targets for 2024: U01 4 / 10亿元 / 2 / 2, U02
    2 / 5亿元 / 2 / none.

    As of D, 序时进度 9/12 = 0.75 (DOMAIN §5). U01: 签约 3 of 4 × 0.75 = 3 → 25; 10亿 of 7.5 → 15; 开工 1 of 1.5 →
    20·2/3 = 13.3333; 投产 0 → 0; 开工率 1/3 → 15·(1/3)/0.75 = 6.6667; 纳统率 1/1 → 15; 75, +2 bonus (P2, P3 ≥ 3亿元)
    = 77. No deduction: its projects first reported for 2024-09 owe only September, whose report came on 10-05.
    U02 (production left out, weights scaled by 100/90): 签约 1 of 1.5 → 16.6667; 3亿 of 3.75 → 12; 开工 1 of 1.5 →
    13.3333; 开工率 1/1 → 15; 纳统率 0/1 → 0; 57·100/90 = 63.3333, +1 bonus (P4), −1 for its September report, due
    10-10 and not sent (a late report, DOMAIN §6–§7; P4's overdue September is not also a forgotten update) = 63.3333.
    U03: 0 (no project owes a report). At 09-30 (also 9/12) U02 had the same 63.3333 + 1 = 64.3333 (its August report
    on time on 09-05, September not yet due), U01 and U03 0 (U01 first by code)."""
    con = units
    ids = {code: f.project(con, code, unit) for code, unit in (("P1", "U01"), ("P2", "U01"), ("P3", "U01"),
                                                               ("P4", "U02"))}
    f.snapshot(con, ids["P1"], "2024-09", "2024-10-05 09:30:00", signed_date="2024-03-01",
               commenced_date="2024-05-01", in_stats_date="2024-06-15")
    f.snapshot(con, ids["P2"], "2024-09", "2024-10-05 09:30:00", total=50000, industry="服务业",
               signed_date="2024-08-01")
    f.snapshot(con, ids["P3"], "2024-09", "2024-10-05 09:30:00", total=30000, signed_date="2024-07-01")
    f.snapshot(con, ids["P4"], "2024-08", "2024-09-05", "U02", total=30000, signed_date="2024-02-01",
               commenced_date="2024-04-01")
    con.execute("INSERT INTO submissions VALUES (1, 'projects', 'U03.xlsx', 'bad', 'U03', '2024-09-01', "
                "'2024-10-09 16:00:00', '城西填报员', 0, 0, 'rejected', '未找到表头行', '2024-10-09 16:00:00')")
    con.executemany("INSERT INTO targets (submission_id, received_at, year, unit_code, signed_major, "
                  "signed_amount_wan, commenced, production, major_manufacturing) VALUES (1, '2024-01-15', 2024, ?, ?, ?, ?, ?, NULL)",
                    [("U01", 4, 100000, 2, 2), ("U02", 2, 50000, 2, None)])
    return con


def test_score_and_ranks_are_the_assessments(county):
    """Score, ranks and 优秀 are those of assess; the changes are against the end of September."""
    view = unit_screen.unit_view(county, "U01", D)
    row = assessment.assess(county, D).units.set_index("code").loc["U01"]
    assert (view.score, view.rank, view.group_rank) == (row["score"], row["rank"], row["group_rank"])
    assert view.score == pytest.approx(77, abs=1e-4)
    assert (view.name, view.group, view.units_ranked, view.group_units) == ("经济开发区", "园区组", 3, 1)
    assert (view.rank, view.rank_change, view.group_rank, view.group_rank_change) == (1, 1, 1, 0)
    assert view.score_change == pytest.approx(77, abs=1e-4)
    assert view.comparison == "与9月底相比"
    assert (view.excellent, view.vetoed, view.veto_note) == (False, False, None)


def test_a_unit_that_fell_behind(county):
    """U02 dropped from first to second overall and stays first of 乡镇组; its score fell 64.3333 → 63.3333 (−1 for
    its September report, not sent by 10-10)."""
    view = unit_screen.unit_view(county, "U02", D)
    assert (view.rank, view.rank_change, view.group_rank, view.group_rank_change) == (2, -1, 1, 0)
    assert view.score == pytest.approx(63.3333, abs=1e-4)
    assert view.score_change == pytest.approx(-1, abs=1e-4)
    assert view.group_units == 2


def test_no_change_in_january(county):
    """In January the score starts again: nothing to compare with."""
    view = unit_screen.unit_view(county, "U01", dt.date(2025, 1, 20))
    assert (view.rank_change, view.group_rank_change, view.score_change) == (None, None, None)
    assert view.comparison.startswith("1月为年度首月")


@pytest.mark.parametrize("change, shown", [
    (2.456, {"delta": "+2.46 分"}), (-0.5, {"delta": "-0.50 分"}),
    (0.0, {"delta": "持平", "delta_color": "off", "delta_arrow": "off"}),
    (-0.004, {"delta": "持平", "delta_color": "off", "delta_arrow": "off"}),
    (None, {"delta": None}),
])
def test_the_score_card_says_how_the_score_moved(change, shown):
    """Up and down with their sign (and arrow), 持平 in grey when it did not move, nothing when not compared."""
    assert format.score_delta(change) == shown


def test_ledger_items_with_their_maxima(county):
    """The ledger in order with the projects behind each item; each indicator's maximum is its weight scaled to
    100 over the indicators with a target (U02 has no production target: 100/90); 加分 and each 扣分 their caps.

    U02's 签约 is 1 of 2 × 9/12 = 1.5: 25·(2/3)·100/90 = 18.52 of 27.78 (2/3). Its September report, due 10-10, has
    not arrived: one late report (−1, 未报送), no forgotten update (its only overdue pair is in that late report)."""
    view = unit_screen.unit_view(county, "U02", D)
    items = {item.item: item for item in view.score_items}
    assert list(items) == ["signed_major", "signed_amount", "commenced", "production", "commencement_rate",
                           "stats_rate", "bonus", "late_reports", "forgotten_updates"]
    assert items["signed_major"].points == pytest.approx(25 * (1 / 1.5) * 100 / 90)
    assert items["production"].points is None
    late = items["late_reports"]
    assert (late.label, late.quantity, late.points) == ("扣分：迟报月度报表", 1, -1)
    assert late.behind.to_dict("records") == [
        {"period": pd.Timestamp("2024-09-01"), "due_date": pd.Timestamp("2024-10-10"), "note": "未报送"}]
    forgotten = items["forgotten_updates"]
    assert (forgotten.label, forgotten.quantity, forgotten.points) == ("扣分：按时报表中漏报项目", 0, 0)
    assert forgotten.behind.empty
    assert view.maxima == pytest.approx({
        "signed_major": 25 / 0.9, "signed_amount": 15 / 0.9, "commenced": 20 / 0.9, "production": None,
        "commencement_rate": 15 / 0.9, "stats_rate": 15 / 0.9, "bonus": 10, "late_reports": -10,
        "forgotten_updates": -10})
    indicators = ("signed_major", "signed_amount", "commenced", "production", "commencement_rate", "stats_rate")
    assert sum(view.maxima[i] for i in indicators if view.maxima[i] is not None) == pytest.approx(100)
    table = format.score_items_table(view.score_items, view.maxima).set_index("考核项目")
    assert list(table.columns) == ["完成", "目标", "完成率", "较序时进度", "得分", "满分", "得分率"]
    # 1 of 2: completion 50.0%, (0.5 − 0.75) × 100 = −25.0 points.
    assert table.loc["签约亿元以上项目数"].tolist() == ["1个", "2个", "50.0%", "−25.0", "18.52", "27.78",
                                                pytest.approx(2 / 3)]
    assert table.loc["新投产项目数"].tolist()[1:6] == ["—", "—", "—", "—", "—"]
    assert pd.isna(table.loc["新投产项目数", "得分率"])
    assert table.loc["签约项目开工率"].tolist()[:4] == ["100.0%", "75.0%", "—", "—"]  # a rate: no completion
    assert table.loc["扣分：迟报月度报表"].tolist()[:6] == ["1次", "—", "—", "—", "-1.00", "-10.00"]
    assert table.loc["扣分：按时报表中漏报项目"].tolist()[:6] == ["0次", "—", "—", "—", "0.00", "-10.00"]
    assert table[["得分率"]].loc[["扣分：迟报月度报表", "扣分：按时报表中漏报项目"]].isna().all().all()
    u01 = unit_screen.unit_view(county, "U01", D)
    assert [i.behind["project_code"].tolist() for i in u01.score_items[:1]] == [["P1", "P2", "P3"]]
    assert u01.maxima["signed_major"] == 25


@pytest.mark.parametrize("unit", ["U01", "U02", "U03"])
def test_ledger_from_the_units_own_facts_is_the_countys(county, unit):
    """The page reads each ledger item and its projects from the facts of the unit's own projects and of those
    its ledger names (one county() for every unit); item for item it is the ledger read from every project's
    facts, and the stale list is duty's for the unit."""
    from pipelines.figures import duty
    from pipelines.screens import ranking

    whole = unit_screen.county(county, D)
    view = unit_screen.view_figures(county, unit, D, whole=whole)
    expected = ranking.unit_ledger(county, D, unit, None).items
    assert [i.item for i in view["score_items"]] == [i.item for i in expected]
    for shown, item in zip(view["score_items"], expected):
        assert (shown.quantity, shown.target, shown.points, shown.rule) == (
            item.quantity, item.target, item.points, item.rule)
        pd.testing.assert_frame_equal(shown.behind.reset_index(drop=True), item.behind.reset_index(drop=True))
    stale = duty.stale_projects(county, D)
    assert sorted(view["stale"]["project_code"]) == sorted(
        whole.facts.set_index("project_id").loc[stale.loc[stale["unit_code"] == unit, "project_id"], "project_code"])


def test_item_maxima_follow_settings(county):
    """Maxima come from the [assessment] weights and caps: signed_major 50 of 125 weight points is 40 of 100."""
    items = unit_screen.unit_view(county, "U01", D).score_items
    changed = settings.load(overrides={"assessment": {"weight_signed_major": 50, "bonus_cap": 6, "deduction_cap": 4}})
    maxima = unit_screen.item_maxima(items, changed)
    assert maxima["signed_major"] == pytest.approx(40)
    assert maxima["commenced"] == pytest.approx(16)
    assert (maxima["bonus"], maxima["late_reports"], maxima["forgotten_updates"]) == (6, -4, -4)


def test_guidance_splits_what_is_lacking(county):
    """开工率 1/3 needs 2 more commenced (P3 and P2, signed earliest first); at 序时进度 9/12 开工 1 of the 1.5 due
    and 投产 0 of 1.5 lack 1 and 2; 纳统率, 签约 (3 of 4 × 0.75 = 3) and 签约金额 (10 of 7.5亿元) are met."""
    view = unit_screen.unit_view(county, "U01", D)
    assert [(g.item, g.needed, g.message) for g in view.lacking] == [
        ("commencement_rate", 2, "还需开工2个项目可达75%"),
        ("commenced", 1, "新开工项目数距序时进度还差1个"),
        ("production", 2, "新投产项目数距序时进度还差2个（已开工未投产的项目只有1个）"),
    ]
    assert [c["code"] for c in view.lacking[0].candidates] == ["P3", "P2"]
    assert [(g.item, g.needed) for g in view.on_track] == [
        ("stats_rate", 0), ("signed", 0), ("signed_amount", 0)]
    assert view.on_track[1].message == "签约亿元以上项目数已达序时进度（3/4个）"
    shown = format.candidates_table(view.lacking[0])
    assert shown.to_dict("records") == [
        {"项目编号": "P3", "项目名称": shown["项目名称"][0], "签约日期": "2024-07-01", "计划总投资(亿元)": 3.0},
        {"项目编号": "P2", "项目名称": shown["项目名称"][1], "签约日期": "2024-08-01", "计划总投资(亿元)": 5.0},
    ]


def test_targets_shown_but_not_scored(county):
    """U01 given a 新纳统 target of 2 and a 7亿元以上制造业 target of 1 (no weight; the latter no indicator at all): both
    are in the ledger with completion and gap but no points, the score stays 77; the guidance lists them. 新纳统: 1
    (P1) of 2 × 0.75 = 1.5 due, 1 lacking, 50.0%, −25.0 points, no project commenced and not yet 纳统. 7亿元以上
    制造业: 0 of 0.75 due, 1 lacking, 0.0%, −75.0 points, nothing 在谈 or 已审批 of that kind."""
    county.execute("UPDATE targets SET in_stats = 2, major_manufacturing = 1 WHERE unit_code = 'U01'")
    view = unit_screen.unit_view(county, "U01", D)
    assert view.score == pytest.approx(77, abs=1e-4)
    items = {item.item: item for item in view.score_items}
    assert list(items) == ["signed_major", "signed_amount", "commenced", "production", "commencement_rate",
                           "stats_rate", "in_stats", "major_manufacturing", "bonus", "late_reports",
                           "forgotten_updates"]
    assert view.maxima["in_stats"] is None and view.maxima["major_manufacturing"] is None
    table = format.score_items_table(view.score_items, view.maxima).set_index("考核项目")
    assert table.loc["新纳统项目数"].tolist()[:6] == ["1个", "2个", "50.0%", "−25.0", "不计分", "—"]
    assert table.loc["7亿元以上制造业项目数"].tolist()[:6] == ["0个", "1个", "0.0%", "−75.0", "不计分", "—"]
    assert table.loc["签约亿元以上项目数"].tolist()[2:4] == ["75.0%", "+0.0"]  # 3 of 4 at 9/12: level
    lacking = {gap.item: gap for gap in view.lacking}
    assert [format.gap_sentence(lacking[item]) for item in ("in_stats", "major_manufacturing")] == [
        "新纳统项目数距序时进度还差1个（没有已开工未纳统的项目）；完成全年目标的50.0%，低于序时进度25.0个百分点",
        "7亿元以上制造业项目数距序时进度还差1个（没有在谈、已审批的此类项目）；完成全年目标的0.0%，低于序时进度75.0个百分点",
    ]
    signed = next(gap for gap in view.on_track if gap.item == "signed")
    assert format.gap_sentence(signed, 2) == "签约亿元以上项目数已达序时进度（3/4个）；完成全年目标的75.00%，与序时进度持平"


@pytest.mark.parametrize(("completion", "gap", "digits", "phrase"), [
    (0.933, 18.3, 1, "完成全年目标的93.3%，高于序时进度18.3个百分点"),  # 常州's wording
    (0.5, -25, 1, "完成全年目标的50.0%，低于序时进度25.0个百分点"),
    (0.7504, 0.04, 1, "完成全年目标的75.0%，与序时进度持平"),
    (0.7504, 0.04, 2, "完成全年目标的75.04%，高于序时进度0.04个百分点"),
    (None, None, 1, ""),
])
def test_completion_phrase(completion, gap, digits, phrase):
    """Completion and the gap to 序时进度 in the bureau's words, with the decimals of the setting."""
    assert format.completion_phrase(completion, gap, digits) == phrase


@pytest.mark.parametrize(("unit", "as_of", "state", "days_left", "sentence"), [
    ("U01", dt.date(2024, 10, 7), unit_screen.ON_TIME, 3,
     "本月（2024年9月进展）报送截止 10月10日，已于10月5日报送，载入3行"),
    ("U01", D, unit_screen.ON_TIME, -10, "本月（2024年9月进展）报送截止 10月10日，已于10月5日报送，载入3行"),
    ("U02", dt.date(2024, 10, 7), unit_screen.OPEN, 3, "本月（2024年9月进展）报送截止 10月10日，距截止还有3天，尚未报送"),
    ("U02", dt.date(2024, 10, 10), unit_screen.OPEN, 0, "本月（2024年9月进展）报送截止 10月10日，今天截止，尚未报送"),
    ("U02", D, unit_screen.OVERDUE, -10, "本月（2024年9月进展）报送截止 10月10日，已逾期10天，尚未报送"),
    ("U02", dt.date(2024, 9, 8), unit_screen.ON_TIME, 2, "本月（2024年8月进展）报送截止 9月10日，已于9月5日报送，载入1行"),
])
def test_report_status_before_and_after_the_due_date(county, unit, as_of, state, days_left, sentence):
    """The month before the as-of month: its due date, the days left (negative: overdue), arrived or not."""
    report = unit_screen.unit_view(county, unit, as_of).report
    assert (report.state, report.days_left, report.due_date) == (state, days_left, report.due_date)
    assert format.report_sentence(report) == sentence


def test_a_late_report_and_a_correction(county):
    """U02's September file arrives on 10-12 (2 days late), corrected on 10-15 with two rows (an amendment, the
    default: it lists P4 again and adds P5, so it amends and replaces alike): first arrival counts, 载入 counts the
    rows the month's files loaded (1 + 2 = 3), one correction; nothing is stale any more. The overdue updates stay
    (P4 and the new P5 for 2024-09, received after 10-10) but they sit in a late report: U02's September report is
    one late report (−1, 逾期后补报) and no forgotten update (DOMAIN §6–§7)."""
    p4 = county.execute("SELECT id FROM projects WHERE code = 'P4'").fetchone()[0]
    f.snapshot(county, p4, "2024-09", "2024-10-12", "U02", total=30000, signed_date="2024-02-01",
               commenced_date="2024-04-01")
    p5 = f.project(county, "P5", "U02")
    for project in (p4, p5):
        f.snapshot(county, project, "2024-09", "2024-10-15", "U02", total=30000, signed_date="2024-02-01")
    view = unit_screen.unit_view(county, "U02", D)
    report = view.report
    assert (report.state, report.days_late, report.rows, report.corrections) == (unit_screen.LATE, 2, 3, 1)
    assert report.received_at == dt.datetime(2024, 10, 12)
    assert format.report_sentence(report) == (
        "本月（2024年9月进展）报送截止 10月10日，于10月12日补报（逾期2天），载入3行，其后更正1次")
    assert view.stale.empty
    items = {item.item: item for item in view.score_items}
    assert (items["late_reports"].quantity, items["late_reports"].points) == (1, -1)
    assert items["late_reports"].behind.to_dict("records") == [
        {"period": pd.Timestamp("2024-09-01"), "due_date": pd.Timestamp("2024-10-10"), "note": "逾期后补报"}]
    assert (items["forgotten_updates"].quantity, items["forgotten_updates"].points) == (0, 0)
    assert items["forgotten_updates"].behind.empty
    u02 = assessment.assess(county, D).units.set_index("code").loc["U02"]
    assert (u02["overdue_updates"], u02["late_reports"], u02["forgotten_updates"], u02["deduction"]) == (2, 1, 0, 1)


def test_a_unit_that_has_not_reported(county):
    """U03 has no projects and its one file was refused: score 0, last of its group, the report overdue with the
    refusal, nothing lacking (no targets, no cohorts), no warnings."""
    view = unit_screen.unit_view(county, "U03", D)
    assert (view.score, view.rank, view.group_rank, view.rank_change) == (0, 3, 2, 0)
    report = view.report
    assert (report.state, report.days_left, report.received_at) == (unit_screen.OVERDUE, -10, None)
    assert (report.refused_at, report.refusal) == (dt.datetime(2024, 10, 9, 16), "未找到表头行")
    assert format.report_sentence(report).endswith("已逾期10天，尚未报送（10月9日报送的文件被退回：未找到表头行）")
    assert view.lacking == [] and view.stale.empty and view.warnings.empty
    assert view.submissions[["id", "status", "unit_rows", "for_period"]].to_dict("records") == [
        {"id": 1, "status": "rejected", "unit_rows": 0, "for_period": True}]
    assert format.submissions_table(view.submissions)["状态"].tolist() == ["被退回"]


def test_submissions_include_multi_unit_files_and_stop_at_the_day(county):
    """A file covering several units counts for each by its rows; files received after the day are not shown."""
    p4 = county.execute("SELECT id FROM projects WHERE code = 'P4'").fetchone()[0]
    f.snapshot(county, p4, "2024-09", "2024-10-08", "U02", total=30000)
    county.execute("UPDATE submissions SET unit_code = NULL WHERE received_at = '2024-10-08'")
    timeline.rebuild(county)  # the file edited by hand, not through pipelines.ingest.load
    files = queries.frame(county, "unit_submissions", unit="U02", as_of=D, period=dt.date(2024, 9, 1))
    assert files[["unit_rows", "for_period"]].to_dict("records") == [
        {"unit_rows": 1, "for_period": True}, {"unit_rows": 1, "for_period": False}]
    assert unit_screen.unit_view(county, "U02", D).report.state == unit_screen.ON_TIME
    early = queries.frame(county, "unit_submissions", unit="U02", as_of=dt.date(2024, 10, 7),
                          period=dt.date(2024, 9, 1))
    assert len(early) == 1


def test_stale_projects_and_warnings(county):
    """P4 is one month behind (2024-09 missing, last reported 2024-08); the warnings are the unit's open ones. U02
    sent no report for September at all, so the warning is its report_missing (黄: only the latest due month is
    missing, August came on 09-05), and P4, left out of no report, raises no stale_update (DOMAIN §8)."""
    evaluate(county, D, now=dt.datetime(2024, 10, 20, 9))
    view = unit_screen.unit_view(county, "U02", D)
    assert view.stale.drop(columns="project_name").to_dict("records") == [
        {"project_code": "P4", "months_behind": 1, "oldest_missing": pd.Timestamp("2024-09-01"),
         "last_period": pd.Timestamp("2024-08-01")}]
    opened = open_warnings(county)
    mine = opened[opened["unit_code"] == "U02"]
    assert set(view.warnings["id"]) == set(mine["id"])
    assert view.warning_counts == {"yellow": int((mine["grade"] == "yellow").sum()),
                                   "red": int((mine["grade"] == "red").sum())}
    raised = set(zip(view.warnings["rule"], view.warnings["subject"], view.warnings["grade"]))
    assert ("report_missing", "U02", "yellow") in raised
    assert "stale_update" not in set(view.warnings["rule"])
    assert view.warnings.set_index("rule").loc["report_missing", "detail"] == (
        "城东街道：2024年9月项目进展表未报送（9月报表截止10月10日）")
    assert view.warnings["grade"].tolist() == sorted(view.warnings["grade"], key=lambda g: g != "red")
    shown = format.unit_warnings_table(view.warnings)
    assert set(shown["项目编号"]) == {"P4", "本单元"}


def test_unknown_unit_is_refused(county):
    with pytest.raises(LookupError):
        unit_screen.unit_view(county, "U99", D)


@pytest.mark.parametrize(("actor", "requested", "expected"), [
    (Actor("管理员", "admin"), None, "U02"),
    (Actor("管理员", "admin"), "U03", "U03"),
    (Actor("管理员", "admin"), "U99", "U02"),
    (Actor("领导", "leader"), "U01", "U01"),
    (Actor("领导", "leader"), None, "U02"),
    (Actor("王丽", "unit", "U02"), "U01", "U02"),
    (Actor("王丽", "unit", "U02"), None, "U02"),
    (Actor("王丽", "unit", "U02"), "U02", "U02"),
    (Actor("李强", "unit", "U03"), "U01", "U03"),
])
def test_visible_unit(actor, requested, expected):
    """A unit user sees its own unit whatever it asks for; admins and leaders the unit asked for, else the first."""
    assert unit_screen.visible_unit(actor, requested, ["U02", "U03", "U01"]) == expected


def test_visible_unit_without_units():
    with pytest.raises(LookupError):
        unit_screen.visible_unit(Actor("管理员", "admin"), None, [])


# --- the page ---------------------------------------------------------------------------------------------------

def _page(actor: Actor | None, unit: str | None = None, as_of: dt.date | None = D, tab: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "unit.py"), default_timeout=60)
    if actor is not None:
        at.session_state[TEST_ACTOR_KEY] = actor
    if tab is not None:
        at.session_state["unit_tab"] = tab
    if unit is not None:
        at.query_params["unit"] = unit
    at.run()
    if as_of is not None and not at.exception and at.date_input:
        at.date_input[0].set_value(as_of).run()
    return at


def _text(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.caption, *at.markdown, *at.success, *at.info, *at.warning, *at.error)]
    return "\n".join(str(p) for p in parts)


def test_page_as_an_admin_picking_a_unit(county):
    """An admin starts on the first unit of the register (乡镇组 first: U02) and picks U01: its score (77, see the
    fixture), ranks, the ledger's nine items (six indicators, 加分, the two 扣分), the guidance and the report
    callout."""
    county.close()
    at = _page(Actor("管理员", "admin"))
    assert not at.exception
    assert at.title[0].value == "单元看板 · 城东街道"
    at.selectbox(key="unit").set_value("U01").run()
    assert not at.exception
    assert at.title[0].value == "单元看板 · 经济开发区"
    assert at.query_params["unit"] == "U01"
    metrics = {m.label: (m.value, m.delta) for m in at.metric}
    assert metrics["考核得分"] == ("77.00", "+77.00 分")
    assert metrics["全县排名"] == ("第 1 名", "+1 名")
    assert metrics["园区组排名"] == ("第 1 名", "")  # unchanged: no delta
    assert len(at.expander) == 9
    assert at.warning[0].value == "还需开工2个项目可达75%"
    assert at.success[0].value == "本月（2024年9月进展）报送截止 10月10日，已于10月5日报送，载入3行"


def test_page_trend_is_the_units_own(county):
    """The 月度走势 chart of U01 ends on the as-of day with U01's own year flows of the report (not the county's)."""
    from pipelines.report import report

    expected = {u["code"]: u for u in report(county, D)["units"]}["U01"]
    county_total = report(county, D)["overall"]["commenced"]
    county.close()
    at = _page(Actor("管理员", "admin"), unit="U01", tab="月度走势")
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    lines = {trace["name"]: trace["y"] for trace in spec["data"]}
    assert lines["开工"][-1] == expected["commenced"] and lines["签约"][-1] == expected["signed"]
    assert expected["commenced"] != county_total  # the fixture tells a unit's line from the county's


def test_page_draws_only_the_open_tab(county):
    """The first view draws the ledger's nine expanders closed and empty and neither the trend's chart nor the
    files' grid; an opened expander draws its projects; opening 月度走势 draws the chart alone, 报送记录 the grid of
    U01's one file alone. The figures above the tabs (cards,
    得分构成, guidance, warnings) are there whichever tab is open."""
    county.close()
    first = _page(Actor("管理员", "admin"), unit="U01")
    trend = _page(Actor("管理员", "admin"), unit="U01", tab="月度走势")
    files = _page(Actor("管理员", "admin"), unit="U01", tab="报送记录")
    assert not (first.exception or trend.exception or files.exception)
    assert (len(first.expander), len(first.get("plotly_chart")), len(first.dataframe)) == (9, 0, 0)
    assert (len(trend.expander), len(trend.get("plotly_chart")), len(trend.dataframe)) == (0, 1, 0)
    assert (len(files.expander), len(files.get("plotly_chart")), len(files.dataframe)) == (0, 0, 1)
    assert files.dataframe[0].value["载入行数"].tolist() == [3]  # the September file of U01's three projects
    first.session_state["unit_ledger_signed_major"] = True  # 签约亿元以上项目数 opened: P1, P2, P3
    first.run()
    assert not first.exception and len(first.dataframe) == 1
    assert first.dataframe[0].value["项目编号"].tolist() == ["P1", "P2", "P3"]
    for at in (first, trend, files):
        assert [m.label for m in at.metric][:2] == ["考核得分", "全县排名"]
        assert [h.value for h in at.subheader][:3] == ["得分构成", "目标差距与建议", "逾期未更新项目"]
        rows = "".join(element.value for element in at.html).split("<tr")
        signed = next(row for row in rows if "data-label='考核项目'>签约亿元以上项目数<" in row)
        for label, value in (("完成", "3个"), ("目标", "4个"), ("得分", "25.00"), ("满分", "25.00")):
            assert f"data-label='{label}'>{value}</td>" in signed, (label, signed)


def test_page_opens_the_unit_named_in_the_address(county):
    county.close()
    at = _page(Actor("领导", "leader"), unit="U03")
    assert not at.exception
    assert at.title[0].value == "单元看板 · 城西街道"
    assert "已逾期10天，尚未报送" in at.error[0].value


def test_page_unit_user_asking_for_another_unit_by_the_widget(county):
    """A unit user who picks another unit still reads its own, and is told so."""
    county.close()
    at = _page(Actor("王丽", "unit", "U02"))
    assert at.title[0].value == "单元看板 · 城东街道"
    at.selectbox(key="unit").set_value("U01").run()
    assert not at.exception
    assert at.title[0].value == "单元看板 · 城东街道"
    assert "单元用户只能查看本单元的看板" in _text(at)
    assert "经济开发区" not in at.title[0].value and at.metric[0].value == "63.33"


def test_page_unit_user_asking_for_another_unit_by_the_address(county):
    """?unit=U01 for a U02 user shows U02, and the address is rewritten to what is shown."""
    county.close()
    at = _page(Actor("王丽", "unit", "U02"), unit="U01")
    assert not at.exception
    assert at.title[0].value == "单元看板 · 城东街道"
    assert at.query_params["unit"] == "U02"
    assert at.metric[0].value == "63.33"


def test_page_without_login_shows_the_login_form(county):
    county.close()
    at = _page(None, as_of=None)
    assert not at.exception
    assert "/api/login" in "\n".join(e.value for e in at.html) and not at.metric


def test_page_with_an_empty_database_says_how_to_start():
    at = _page(Actor("管理员", "admin"), as_of=None)
    assert not at.exception
    assert "pipelines.demo" in at.info[0].value


def test_the_deductions_in_words_a_unit_head_acts_on():
    """Two late months and two forgotten updates of one project: the sentence names the months, the project, the
    points, and what to do; nothing to say without deductions."""
    import pandas as pd

    from pipelines.screens.ranking import LedgerItem
    from ui import format

    late = LedgerItem("late_reports", "扣分：迟报月度报表", "times", 2, None, -2.0, "",
                      pd.DataFrame({"period": pd.to_datetime(["2026-06-01", "2026-11-01"])}))
    forgotten = LedgerItem("forgotten_updates", "扣分：按时报表中漏报项目", "times", 2, None, -1.0, "",
                           pd.DataFrame({"project_code": ["ZS000007"] * 2, "project_name": ["智能装备产业园"] * 2}))
    assert format.deductions_sentence([late, forgotten], 10) == (
        "本年迟报月度报表2个月（6月、11月），扣2.00分；按时报表中漏报2项次（智能装备产业园），扣1.00分。"
        "每月10日前报送完整的月度报表（列全所有在推进的项目，被拒收的行改正后重报）即可避免再扣分；逾期后补报不免扣分。")
    nothing = LedgerItem("late_reports", "扣分：迟报月度报表", "times", 0, None, 0.0, "", pd.DataFrame({"period": []}))
    assert format.deductions_sentence([nothing], 10) is None


def _stacked_table_script():
    import pandas as pd

    from ui import widgets

    widgets.stacked_table(pd.DataFrame({"项目名称": ["<img src=x onerror=alert(1)>"], "得分": ["7.50"],
                                        "得分率": [0.375], "说明": [None]}), numeric=("得分",), bars=("得分率",),
                          row_classes=["zs-red"])


def test_stacked_table_escapes_and_labels_each_cell():
    """What a user wrote reaches the page as text; every cell carries its header (the phone's label), numbers and
    bars align right, a share draws a bar of its width with its percentage, a missing value shows as '—'."""
    at = AppTest.from_function(_stacked_table_script).run()
    assert not at.exception
    page = at.html[0].value
    assert "<img" not in page and "<td data-label='项目名称'>&lt;img src=x onerror=alert(1)&gt;</td>" in page
    assert "<td class='zs-num' data-label='得分'>7.50</td>" in page
    assert "<span style='width:38%'></span></span>38%</td>" in page
    assert "<td data-label='说明'>—</td>" in page and "<tr class='zs-red'>" in page
