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

D = dt.date(2024, 10, 20)  # 序时进度 10/12; the September reports were due on 10-10


@pytest.fixture
def county(units):
    """U01 (园区组) reports three projects for 2024-09 on 10-05: P1 20000 制造业 signed 03-01, commenced 05-01, 纳统
    06-15; P2 50000 服务业 signed 08-01; P3 30000 制造业 signed 07-01. U02 (乡镇组) reports P4 30000 制造业
    (signed 02-01, commenced 04-01) for 2024-08 on 09-05 and nothing for 2024-09. U03 (乡镇组) has no projects;
    its one file, for 2024-09 on 10-09, was refused whole. Targets for 2024: U01 4 / 10亿元 / 2 / 2, U02
    2 / 5亿元 / 2 / none.

    As of D: U01 22.5 + 15 + 12 + 0 + 15·(1/3)/0.75 + 15 = 71.1667, +2 bonus (P2, P3 ≥ 3亿元) = 73.1667.
    U02 (production left out, weights scaled by 100/90): (15 + 10.8 + 12 + 15 + 0)·100/90 = 58.6667, +1 bonus
    (P4), −0.5 for (P4, 2024-09) = 59.1667. U03: 0. At 09-30 U02 had 64.3333, U01 and U03 0 (U01 first by code)."""
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
    con.executemany("INSERT INTO targets VALUES (1, '2024-01-15', 2024, ?, ?, ?, ?, ?, 0)",
                    [("U01", 4, 100000, 2, 2), ("U02", 2, 50000, 2, None)])
    return con


def test_score_and_ranks_are_the_assessments(county):
    """Score, ranks and 优秀 are those of assess; the changes are against the end of September."""
    view = unit_screen.unit_view(county, "U01", D)
    row = assessment.assess(county, D).units.set_index("code").loc["U01"]
    assert (view.score, view.rank, view.group_rank) == (row["score"], row["rank"], row["group_rank"])
    assert view.score == pytest.approx(73.1667, abs=1e-4)
    assert (view.name, view.group, view.units_ranked, view.group_units) == ("经济开发区", "园区组", 3, 1)
    assert (view.rank, view.rank_change, view.group_rank, view.group_rank_change) == (1, 1, 1, 0)
    assert view.score_change == pytest.approx(73.1667, abs=1e-4)
    assert view.comparison == "与9月底相比"
    assert (view.excellent, view.vetoed, view.veto_note) == (False, False, None)


def test_a_unit_that_fell_behind(county):
    """U02 dropped from first to second overall and stays first of 乡镇组; its score fell 64.3333 → 59.1667."""
    view = unit_screen.unit_view(county, "U02", D)
    assert (view.rank, view.rank_change, view.group_rank, view.group_rank_change) == (2, -1, 1, 0)
    assert view.score == pytest.approx(59.1667, abs=1e-4)
    assert view.score_change == pytest.approx(59.1667 - 64.3333, abs=1e-4)
    assert view.group_units == 2


def test_no_change_in_january(county):
    """In January the score starts again: nothing to compare with."""
    view = unit_screen.unit_view(county, "U01", dt.date(2025, 1, 20))
    assert (view.rank_change, view.group_rank_change, view.score_change) == (None, None, None)
    assert view.comparison.startswith("1月为年度首月")


def test_ledger_items_with_their_maxima(county):
    """The ledger in order with the projects behind each item; each indicator's maximum is its weight scaled to
    100 over the indicators with a target (U02 has no production target: 100/90); 加分 and 扣分 their caps."""
    view = unit_screen.unit_view(county, "U02", D)
    items = {item.item: item for item in view.score_items}
    assert list(items) == ["signed_major", "signed_amount", "commenced", "production", "commencement_rate",
                           "stats_rate", "bonus", "deduction"]
    assert items["signed_major"].points == pytest.approx(15 * 100 / 90)
    assert items["production"].points is None
    assert items["deduction"].behind[["project_code", "note"]].to_dict("records") == [
        {"project_code": "P4", "note": "仍未报送"}]
    assert view.maxima == pytest.approx({
        "signed_major": 25 / 0.9, "signed_amount": 15 / 0.9, "commenced": 20 / 0.9, "production": None,
        "commencement_rate": 15 / 0.9, "stats_rate": 15 / 0.9, "bonus": 10, "deduction": -10})
    assert sum(m for m in view.maxima.values() if m is not None) == pytest.approx(100)
    table = format.score_items_table(view.score_items, view.maxima).set_index("考核项目")
    assert table.loc["签约亿元以上项目数"].tolist() == ["1个", "2个", "16.67", "27.78", pytest.approx(0.6)]
    assert table.loc["新投产项目数"].tolist()[2:4] == ["—", "—"] and pd.isna(table.loc["新投产项目数", "得分率"])
    assert table.loc["扣分"].tolist()[:4] == ["1次", "—", "-0.50", "-10.00"] and pd.isna(table.loc["扣分", "得分率"])
    u01 = unit_screen.unit_view(county, "U01", D)
    assert [i.behind["project_code"].tolist() for i in u01.score_items[:1]] == [["P1", "P2", "P3"]]
    assert u01.maxima["signed_major"] == 25


def test_item_maxima_follow_settings(county):
    """Maxima come from the [assessment] weights and caps: signed_major 50 of 125 weight points is 40 of 100."""
    items = unit_screen.unit_view(county, "U01", D).score_items
    changed = settings.load(overrides={"assessment": {"weight_signed_major": 50, "bonus_cap": 6, "deduction_cap": 4}})
    maxima = unit_screen.item_maxima(items, changed)
    assert maxima["signed_major"] == pytest.approx(40)
    assert maxima["commenced"] == pytest.approx(16)
    assert (maxima["bonus"], maxima["deduction"]) == (6, -4)


def test_guidance_splits_what_is_lacking(county):
    """开工率 1/3 needs 2 more commenced (P3 and P2, signed earliest first); 签约 3 of the 3.33 due, 开工 1 of 1.67,
    投产 0 of 1.67 lack 1, 1 and 2; 纳统率 and 签约金额 are met."""
    view = unit_screen.unit_view(county, "U01", D)
    assert [(g.item, g.needed, g.message) for g in view.lacking] == [
        ("commencement_rate", 2, "还需开工2个项目可达75%"),
        ("signed_major", 1, "签约亿元以上项目数距序时进度还差1个"),
        ("commenced", 1, "新开工项目数距序时进度还差1个"),
        ("production", 2, "新投产项目数距序时进度还差2个"),
    ]
    assert [c["code"] for c in view.lacking[0].candidates] == ["P3", "P2"]
    assert [g.item for g in view.on_track] == ["stats_rate", "signed_amount_wan"]
    shown = format.candidates_table(view.lacking[0])
    assert shown.to_dict("records") == [
        {"项目编号": "P3", "项目名称": shown["项目名称"][0], "签约日期": "2024-07-01", "计划总投资(亿元)": 3.0},
        {"项目编号": "P2", "项目名称": shown["项目名称"][1], "签约日期": "2024-08-01", "计划总投资(亿元)": 5.0},
    ]


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
    """U02's September file arrives on 10-12 (2 days late), corrected on 10-15 with two rows: first arrival
    counts, the rows are those in force; the overdue updates stay (P4 and the new P5 for 2024-09), nothing is
    stale any more."""
    p4 = county.execute("SELECT id FROM projects WHERE code = 'P4'").fetchone()[0]
    f.snapshot(county, p4, "2024-09", "2024-10-12", "U02", total=30000, signed_date="2024-02-01",
               commenced_date="2024-04-01")
    p5 = f.project(county, "P5", "U02")
    for project in (p4, p5):
        f.snapshot(county, project, "2024-09", "2024-10-15", "U02", total=30000, signed_date="2024-02-01")
    view = unit_screen.unit_view(county, "U02", D)
    report = view.report
    assert (report.state, report.days_late, report.rows, report.corrections) == (unit_screen.LATE, 2, 2, 1)
    assert report.received_at == dt.datetime(2024, 10, 12)
    assert format.report_sentence(report) == (
        "本月（2024年9月进展）报送截止 10月10日，于10月12日补报（逾期2天），载入2行，其后更正1次")
    assert view.stale.empty
    deduction = next(i for i in view.score_items if i.item == "deduction")
    assert deduction.behind[["project_code", "note"]].to_dict("records") == [
        {"project_code": "P4", "note": "已补报"}, {"project_code": "P5", "note": "已补报"}]


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
    """P4 is one month behind (2024-09 missing, last reported 2024-08); the warnings are the unit's open ones."""
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
    assert ("stale_update", "P4", "yellow") in set(zip(view.warnings["rule"], view.warnings["subject"],
                                                       view.warnings["grade"]))
    assert view.warnings["grade"].tolist() == sorted(view.warnings["grade"], key=lambda g: g != "red")
    shown = format.unit_warnings_table(view.warnings).data
    assert set(shown["项目编号"]) <= {"P4", "本单元"}


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

def _page(actor: Actor | None, unit: str | None = None, as_of: dt.date | None = D) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "unit.py"), default_timeout=60)
    if actor is not None:
        at.session_state[TEST_ACTOR_KEY] = actor
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
    """An admin starts on the first unit of the register (乡镇组 first: U02) and picks U01: its score, ranks, the
    ledger's eight items, the guidance and the report callout."""
    county.close()
    at = _page(Actor("管理员", "admin"))
    assert not at.exception
    assert at.title[0].value == "单元看板 · 城东街道"
    at.selectbox(key="unit").set_value("U01").run()
    assert not at.exception
    assert at.title[0].value == "单元看板 · 经济开发区"
    assert at.query_params["unit"] == "U01"
    metrics = {m.label: (m.value, m.delta) for m in at.metric}
    assert metrics["考核得分"] == ("73.17", "+73.17 分")
    assert metrics["全县排名"] == ("第 1 名", "+1 名")
    assert metrics["园区组排名"] == ("第 1 名", "")  # unchanged: no delta
    assert len(at.expander) == 8
    assert at.warning[0].value == "还需开工2个项目可达75%"
    assert at.success[0].value == "本月（2024年9月进展）报送截止 10月10日，已于10月5日报送，载入3行"


def test_page_trend_is_the_units_own(county):
    """The 月度走势 chart of U01 ends on the as-of day with U01's own year flows of the report (not the county's)."""
    from pipelines.report import report

    expected = {u["code"]: u for u in report(county, D)["units"]}["U01"]
    county_total = report(county, D)["overall"]["commenced"]
    county.close()
    at = _page(Actor("管理员", "admin"), unit="U01")
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    lines = {trace["name"]: trace["y"] for trace in spec["data"]}
    assert lines["开工"][-1] == expected["commenced"] and lines["签约"][-1] == expected["signed"]
    assert expected["commenced"] != county_total  # the fixture tells a unit's line from the county's


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
    assert "经济开发区" not in at.title[0].value and at.metric[0].value == "59.17"


def test_page_unit_user_asking_for_another_unit_by_the_address(county):
    """?unit=U01 for a U02 user shows U02, and the address is rewritten to what is shown."""
    county.close()
    at = _page(Actor("王丽", "unit", "U02"), unit="U01")
    assert not at.exception
    assert at.title[0].value == "单元看板 · 城东街道"
    assert at.query_params["unit"] == "U02"
    assert at.metric[0].value == "59.17"


def test_page_without_login_shows_the_login_form(county):
    county.close()
    at = _page(None, as_of=None)
    assert not at.exception
    assert "/api/login" in "\n".join(e.value for e in at.html) and not at.metric


def test_page_with_an_empty_database_says_how_to_start():
    at = _page(Actor("管理员", "admin"), as_of=None)
    assert not at.exception
    assert "pipelines.demo" in at.info[0].value
