"""考核排名 (pipelines.screens.ranking): the period days (boundary tables), the ranking against the assessment with rank and
score changes worked out by hand on a small county, the unit scope of the ledger and of the 通报 files, and
pages/ranking.py run through AppTest for each period kind and as a unit user."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines import settings
from pipelines.access import Actor, OutOfScope
from pipelines.bulletin import files
from pipelines.figures.assessment import INDICATORS, assess
from pipelines.screens import ranking
from tests import factories as f
from tests.server import ROOT
from ui.auth import TEST_ACTOR_KEY

D = dt.date

# The indicators weighted by default: the further targets weigh 0 and, with no target set, are not shown.
SCORED = [i for i in INDICATORS if getattr(settings.current().assessment, i.weight)]


# ------------------------------------------------------------------------------------------- period helpers


@pytest.mark.parametrize(("year", "today", "as_of"), [
    (2025, D(2026, 11, 22), D(2025, 12, 31)),  # a finished year: its last day
    (2026, D(2026, 11, 22), D(2026, 11, 22)),  # the running year: today
    (2026, D(2026, 12, 31), D(2026, 12, 31)),
    (2026, D(2027, 1, 1), D(2026, 12, 31)),
])
def test_year_end(year, today, as_of):
    assert ranking.year_end(year, today) == as_of


FIRST = D(2023, 1, 5)  # data known long before


@pytest.mark.parametrize(("kind", "as_of", "first_day", "compare"), [
    ("month", D(2024, 1, 31), FIRST, None),  # scores start again in January: nothing to compare with
    ("month", D(2024, 2, 29), FIRST, D(2024, 1, 31)),
    ("month", D(2024, 3, 31), FIRST, D(2024, 2, 29)),
    ("month", D(2024, 12, 31), FIRST, D(2024, 11, 30)),
    ("quarter", D(2024, 3, 31), FIRST, None),
    ("quarter", D(2024, 6, 30), FIRST, D(2024, 3, 31)),
    ("quarter", D(2024, 12, 31), FIRST, D(2024, 9, 30)),
    ("year", D(2024, 12, 31), FIRST, D(2023, 12, 31)),  # a year is compared with the year before
    ("year", D(2024, 11, 22), FIRST, D(2023, 12, 31)),  # the running year too
    ("month", D(2024, 6, 30), D(2024, 5, 31), D(2024, 5, 31)),  # data first arrived on the comparison day
    ("month", D(2024, 6, 30), D(2024, 6, 1), None),  # … or after it: nothing was known then
    ("year", D(2024, 12, 31), D(2024, 1, 5), None),
    ("month", D(2024, 6, 30), None, None),
])
def test_comparison_day(kind, as_of, first_day, compare):
    assert ranking.comparison_day(kind, as_of, first_day) == compare


@pytest.mark.parametrize(("kind", "today", "first_day", "labels"), [
    ("month", D(2024, 7, 15), D(2024, 3, 31), ["2024年6月", "2024年5月", "2024年4月", "2024年3月"]),
    ("month", D(2024, 6, 30), D(2024, 3, 31), ["2024年5月", "2024年4月", "2024年3月"]),  # June not over yet
    ("month", D(2024, 7, 1), D(2024, 4, 1), ["2024年6月", "2024年5月", "2024年4月"]),  # nothing known by 3-31
    ("quarter", D(2024, 10, 1), D(2024, 3, 31), ["2024年第三季度", "2024年第二季度", "2024年第一季度"]),
    ("quarter", D(2024, 9, 30), D(2024, 3, 31), ["2024年第二季度", "2024年第一季度"]),
    ("year", D(2024, 11, 22), D(2023, 6, 1), ["2024年（截至11月22日）", "2023年"]),
    ("year", D(2024, 11, 22), None, []),
])
def test_periods_offered(kind, today, first_day, labels):
    """The periods offered on a day, newest first: months and quarters already over, years up to today's."""
    assert [p.label for p in ranking.periods(kind, today, first_day)] == labels


def test_periods_days_and_comparisons():
    """Each period carries its as-of day, its comparison day and says which it is, or why there is none."""
    months = ranking.periods("month", D(2024, 3, 15), D(2023, 6, 1))
    assert [(p.as_of, p.compare_as_of, p.comparison) for p in months[:3]] == [
        (D(2024, 2, 29), D(2024, 1, 31), "与1月底相比"),
        (D(2024, 1, 31), None, "1月为年度首月，得分从零累计，不与上年比较"),
        (D(2023, 12, 31), D(2023, 11, 30), "与11月底相比"),
    ]
    years = ranking.periods("year", D(2024, 3, 15), D(2023, 6, 1))
    assert [(p.as_of, p.compare_as_of, p.comparison) for p in years] == [
        (D(2024, 3, 15), D(2023, 12, 31), "与2023年底相比"),
        (D(2023, 12, 31), None, "此前没有数据，不作比较"),
    ]
    first_quarter = ranking.periods("quarter", D(2024, 4, 1), D(2023, 6, 1))[0]
    assert first_quarter.comparison == "第一季度为年度首季，得分从零累计，不与上年比较"


def test_periods_are_reports_known_by_a_day():
    """A month or quarter is the report for its last month known by today (DOMAIN §4), or by an earlier day that
    reproduces an earlier edition: then only the periods ended by that day are offered; the running year is live
    (known_by None), a finished one known by the day too."""
    months = ranking.periods("month", D(2024, 7, 15), D(2024, 3, 31))
    assert {p.known_by for p in months} == {D(2024, 7, 15)}
    assert (months[0].month, months[0].as_of) == (D(2024, 6, 1), D(2024, 6, 30))
    earlier = ranking.periods("month", D(2024, 7, 15), D(2024, 3, 31), known_by=D(2024, 6, 5))
    assert [(p.label, p.known_by) for p in earlier] == [
        ("2024年5月", D(2024, 6, 5)), ("2024年4月", D(2024, 6, 5)), ("2024年3月", D(2024, 6, 5))]
    assert ranking.periods("quarter", D(2024, 10, 1), D(2024, 3, 31))[0].known_by == D(2024, 10, 1)
    years = ranking.periods("year", D(2024, 3, 15), D(2023, 6, 1))
    assert [(p.known_by, p.month) for p in years] == [(None, None), (D(2024, 3, 15), D(2023, 12, 1))]


# ---------------------------------------------------------------------------------------------- the county

BEFORE, AS_OF = D(2024, 5, 31), D(2024, 6, 30)


@pytest.fixture
def county(units):
    """No targets, so only the two rates score (weights 15 + 15 scaled to 100: a full rate is worth 50).

    U01: A 制造业 8亿, signed 02-01, reported for 2024-04 (received 05-06) and for 2024-05 (06-05) with 开工 05-20.
    U02: P 服务业 2亿, signed 03-01, 开工 04-10, reported for 2024-04 (received 05-05) only.
    As of 05-31: U02 50 (开工率 1/1, 纳统率 0/1); U01 0 + 3 (A's bonus) = 3; U03 0. Both April reports came by
    05-10 (the months owed start at each project's first report, April): no deduction.
    As of 06-30: U01 50 + 3 = 53 (its May report on time, 06-05); U02 50 − 1 = 49: its May report, due 06-10,
    never came, one late report (DOMAIN §6–§7; P's overdue May is inside it, not a forgotten update); U03 0 (owes
    nothing). 报送率 / 及时率 over the months owed (April, May): U01 2/2 and 2/2, U02 1/2 and 1/2, U03 none.
    So U01 moves up one place and U02 down one; within the groups nobody moves."""
    con = units
    a, p = f.project(con, "A", "U01"), f.project(con, "P", "U02")
    f.snapshot(con, a, "2024-04", "2024-05-06", total=80000, signed_date="2024-02-01")
    f.snapshot(con, a, "2024-05", "2024-06-05", total=80000, signed_date="2024-02-01", commenced_date="2024-05-20")
    f.snapshot(con, p, "2024-04", "2024-05-05", "U02", total=20000, industry="服务业", signed_date="2024-03-01",
               commenced_date="2024-04-10")
    return con


def _column(frame: pd.DataFrame, name: str) -> dict:
    return {code: (None if pd.isna(value) else value) for code, value in zip(frame["code"], frame[name])}


def test_ranking_is_the_assessment(county):
    """Ranks, group ranks, scores, bonus, deduction, 优秀 and each indicator's points are the assessment's."""
    result = ranking.ranking(county, AS_OF, BEFORE)
    expected = assess(county, AS_OF)
    assert result.table["code"].tolist() == expected.units["code"].tolist() == ["U01", "U02", "U03"]
    for column in ("rank", "group_rank", "score", "bonus", "deduction", "excellent", "vetoed"):
        assert _column(result.table, column) == _column(expected.units, column)
    ledger = expected.ledger.set_index(["unit_code", "item"])["points"]
    for indicator in INDICATORS:  # an indicator not in a unit's ledger (not weighted, no target) has no points
        assert _column(result.table, indicator.id) == {
            code: (None if pd.isna(ledger.get((code, indicator.id))) else ledger[(code, indicator.id)])
            for code in ("U01", "U02", "U03")}


def test_scores_worked_by_hand(county):
    """53, 49 and 0 as of 06-30; 3, 50 and 0 as of 05-31; U02's one late report (see the fixture)."""
    result = ranking.ranking(county, AS_OF, BEFORE)
    assert _column(result.table, "score") == pytest.approx({"U01": 53.0, "U02": 49.0, "U03": 0.0})
    assert _column(result.table, "previous_score") == pytest.approx({"U01": 3.0, "U02": 50.0, "U03": 0.0})
    assert _column(result.table, "commencement_rate") == pytest.approx({"U01": 50.0, "U02": 50.0, "U03": 0.0})
    assert _column(result.table, "late_reports") == {"U01": 0, "U02": 1, "U03": 0}
    assert _column(result.table, "forgotten_updates") == {"U01": 0, "U02": 0, "U03": 0}
    assert _column(result.table, "overdue_updates") == {"U01": 0, "U02": 1, "U03": 0}
    assert _column(result.table, "deduction") == pytest.approx({"U01": 0.0, "U02": 1.0, "U03": 0.0})
    assert [_column(result.table, c) for c in ("reports_expected", "reports_received", "reports_on_time")] == [
        {"U01": 2, "U02": 2, "U03": 0}, {"U01": 2, "U02": 1, "U03": 0}, {"U01": 2, "U02": 1, "U03": 0}]
    assert _column(result.table, "reporting_rate") == pytest.approx({"U01": 1.0, "U02": 0.5, "U03": None})
    assert _column(result.table, "on_time_rate") == pytest.approx({"U01": 1.0, "U02": 0.5, "U03": None})


def test_rank_changes_against_the_comparison_day(county):
    """U01 from 2nd to 1st (+1), U02 from 1st to 2nd (−1), U03 stays 3rd; alone in 园区组 and still ahead of U03
    in 乡镇组, no unit moves in its group."""
    result = ranking.ranking(county, AS_OF, BEFORE)
    assert _column(result.table, "rank_change") == {"U01": 1, "U02": -1, "U03": 0}
    assert _column(result.table, "group_rank_change") == {"U01": 0, "U02": 0, "U03": 0}


def test_quarter_compares_with_the_previous_quarter_end(county):
    """Against 03-31, when nothing had arrived (all 0, ranked by code), U01 and U02 keep their places."""
    result = ranking.ranking(county, AS_OF, D(2024, 3, 31))
    assert _column(result.table, "rank_change") == {"U01": 0, "U02": 0, "U03": 0}
    assert _column(result.table, "score_change") == pytest.approx({"U01": 53.0, "U02": 49.0, "U03": 0.0})


def test_without_comparison_nothing_moves(county):
    """January (or a first period) has no comparison day: no rank change, no score change, nobody gained."""
    result = ranking.ranking(county, AS_OF, None)
    assert set(_column(result.table, "rank_change").values()) == {None}
    assert set(_column(result.table, "score_change").values()) == {None}
    assert result.gained.empty and result.lost.empty


def test_who_gained_and_lost_points_and_why(county):
    """U01 gained 50 through 签约项目开工率 (A commenced); U02 lost 1 to its late May report; U03 did not move."""
    result = ranking.ranking(county, AS_OF, BEFORE)
    gained = result.gained.to_dict("records")
    assert [(g["code"], g["score_change"]) for g in gained] == [("U01", pytest.approx(50.0))]
    assert [(label, round(points, 4)) for label, points in gained[0]["reasons"]] == [("签约项目开工率", 50.0)]
    lost = result.lost.to_dict("records")
    assert [(m["code"], m["score_change"], m["reasons"]) for m in lost] == [("U02", -1.0, [("扣分：迟报月度报表", -1.0)])]
    assert result.highlights["top"]["code"] == "U01"
    assert (result.highlights["gained"]["code"], result.highlights["lost"]["code"]) == ("U01", "U02")


def test_unit_users_read_rank_score_and_rates_of_other_units_only(county):
    """For a U02 user (DOMAIN §1) every unit keeps its rank, score and the two rates (U01 and U02 1/1 commenced,
    U03 no cohort) and 报送率 / 及时率 (U03 owes nothing: none), but the points, bonus, deductions and the reasons
    for a score change are U02's alone."""
    whole = ranking.ranking(county, AS_OF, BEFORE)
    seen = whole.for_scope("U02")
    assert whole.for_scope(None) is whole
    assert _column(seen.table, "score") == _column(whole.table, "score")
    assert _column(seen.table, "rank") == {"U01": 1, "U02": 2, "U03": 3}
    assert _column(seen.table, "commencement_rate_value") == {"U01": 1.0, "U02": 1.0, "U03": None}
    assert _column(seen.table, "reporting_rate") == {"U01": 1.0, "U02": 0.5, "U03": None}
    assert _column(seen.table, "on_time_rate") == {"U01": 1.0, "U02": 0.5, "U03": None}
    for column in (*(i.id for i in INDICATORS), "bonus", "deduction", "late_reports", "forgotten_updates",
                   "overdue_updates", "veto_note"):
        assert _column(seen.table, column)["U01"] is None and _column(seen.table, column)["U03"] is None
    assert (_column(seen.table, "deduction")["U02"], _column(seen.table, "late_reports")["U02"]) == (1.0, 1)
    assert [(g["code"], g["reasons"]) for g in seen.gained.to_dict("records")] == [("U01", [])]
    assert [(m["code"], m["reasons"]) for m in seen.lost.to_dict("records")] == [("U02", [("扣分：迟报月度报表", -1.0)])]


def _with_targets(con) -> None:
    """2024 targets: U01 签约 2 and 新开工 4; U02 签约 1 and 本年完成投资 1亿元 (10000万元); U03 none."""
    con.executemany("INSERT INTO targets (submission_id, received_at, year, unit_code, signed_major, commenced, "
                    "invested_year_wan) VALUES (1, '2024-01-10', 2024, ?, ?, ?, ?)",
                    [("U01", 2, 4, None), ("U02", 1, None, 10000)])


def test_target_progress_worked_by_hand(county):
    """完成进度 as of 06-30 (序时进度 6/12): every unit × the targets some unit has (签约, 新开工, 本年完成投资; the
    others, set for nobody, are left out), in TARGETS order and by rank within each. U01: 签约 1 (A) of 2 → 50%, gap
    0; 新开工 1 (A, 05-20) of 4 → 25%, −25; no 投资 target. U02: 签约 1 (P) of 1 → 100%, +50; 新开工 1 with no target;
    投资 0 of 1亿 → 0%, −50. U03: its actuals (0) without targets. A unit user reads its own rows only."""
    _with_targets(county)
    result = ranking.ranking(county, AS_OF, BEFORE)
    progress = result.progress
    assert progress["target"].unique().tolist() == ["signed", "commenced", "invested_year"]
    for target in ("signed", "commenced", "invested_year"):
        assert progress[progress["target"] == target]["code"].tolist() == result.table["code"].tolist()
    found = {(r["code"], r["target"]): (r["actual"], r["annual_target"], r["completion"], r["gap_points"])
             for r in progress.to_dict("records")}
    found = {key: tuple(None if pd.isna(v) else v for v in values) for key, values in found.items()}
    assert found == {
        ("U01", "signed"): (1, 2, 0.5, 0), ("U01", "commenced"): (1, 4, 0.25, -25),
        ("U01", "invested_year"): (0, None, None, None),
        ("U02", "signed"): (1, 1, 1, 50), ("U02", "commenced"): (1, None, None, None),
        ("U02", "invested_year"): (0, 10000, 0, -50),
        ("U03", "signed"): (0, None, None, None), ("U03", "commenced"): (0, None, None, None),
        ("U03", "invested_year"): (0, None, None, None),
    }
    assert result.for_scope("U02").progress["code"].unique().tolist() == ["U02"]
    from ui import format

    shown = format.target_progress_table(progress, "invested_year").set_index("单元")
    assert shown.loc["城东街道"].tolist() == ["乡镇组", "0.00亿元", "1.00亿元", "0.0%", "−50.0"]
    assert shown.loc["城西街道"].tolist() == ["乡镇组", "0.00亿元", "—", "—", "—"]
    assert format.target_progress_table(progress, "signed").set_index("单元").loc["经济开发区"].tolist() == [
        "园区组", "1个", "2个", "50.0%", "+0.0"]


def test_ranking_table_hides_indicators_nobody_scores(county):
    """Without targets only the two rates score: the count columns (no unit has a target) and the further targets
    (weight 0) are not shown; with U01's and U02's targets 签约 and 新开工 score and show, 本年完成投资 (set, but
    weighing 0) does not."""
    from ui import format

    fixed = ["排名", "变化", "单元", "组别", "得分", "较上期"]
    tail = ["加分", "扣分", "报送率", "及时率", "评优"]
    plain = format.ranking_table(ranking.ranking(county, AS_OF, BEFORE).table).data
    assert plain.columns.tolist() == [*fixed, "开工率（满分15）", "纳统率（满分15）", *tail]
    _with_targets(county)
    targeted = format.ranking_table(ranking.ranking(county, AS_OF, BEFORE).table).data
    assert targeted.columns.tolist() == [*fixed, "签约亿元以上（满分25）", "新开工（满分20）", "开工率（满分15）",
                                         "纳统率（满分15）", *tail]


def test_excellent_and_veto_notes(county):
    """U01's 8亿 制造业 project beats its (missing, so zero) target: 优秀; after an admin's 一票否优 it is not, and
    the note says why."""
    assert ranking.ranking(county, AS_OF, BEFORE).notes == [
        "一票评优：经济开发区本年签约7亿元以上制造业项目数超过年度目标（未下达该目标的须有1个），评为优秀，不论排名。"]
    county.execute("INSERT INTO veto_flags VALUES (2024, 'U01', '未完成交办任务', 'admin', TIMESTAMP '2024-06-20 10:00')")
    result = ranking.ranking(county, AS_OF, BEFORE)
    assert result.excellent == []
    assert result.notes == ["一票否优：经济开发区达到一票评优条件，但被一票否优（未完成交办任务），不评为优秀。"]
    assert ranking.veto_version(county, 2024)[0][:2] == ("U01", "未完成交办任务")
    assert ranking.veto_version(county, 2023) == ()


def test_groups_rank_within_themselves(county):
    result = ranking.ranking(county, AS_OF, BEFORE)
    assert result.groups == ["乡镇组", "园区组"]
    assert result.in_group("乡镇组")["code"].tolist() == ["U02", "U03"]


def test_first_data_day(county):
    assert ranking.first_data_day(county) == D(2024, 5, 5)


def test_first_data_day_of_an_empty_store(con):
    assert ranking.first_data_day(con) is None


# ------------------------------------------------------------------------------------------------ the ledger


def _items(ledger: ranking.UnitLedger) -> dict[str, ranking.LedgerItem]:
    return {item.item: item for item in ledger.items}


def test_ledger_opens_each_item_to_its_projects(county):
    """U01 as of 06-30: A behind 签约 and 开工率 (开工), A's bonus as a 7亿 制造业 project, no late report (April
    and May came by 05-10 and 06-10) and no forgotten update."""
    ledger = ranking.unit_ledger(county, AS_OF, "U01", None)
    assert (ledger.name, ledger.rank, ledger.group_rank, ledger.score) == ("经济开发区", 1, 1, pytest.approx(53.0))
    items = _items(ledger)
    assert [i.item for i in ledger.items] == [*(i.id for i in SCORED), "bonus", "late_reports",
                                              "forgotten_updates"]
    assert items["signed_major"].behind["project_code"].tolist() == ["A"]
    assert items["signed_major"].points is None  # no target: left out
    rate = items["commencement_rate"]
    assert (rate.quantity, rate.target, rate.points) == (1.0, 0.75, pytest.approx(50.0))
    assert rate.behind[["project_code", "note"]].values.tolist() == [["A", "已开工"]]
    assert items["stats_rate"].behind[["project_code", "note"]].values.tolist() == [["A", "未纳统"]]
    assert items["bonus"].behind[["project_code", "note"]].values.tolist() == [["A", "7亿元以上制造业项目 +3分"]]
    assert items["bonus"].points == 3
    for item in ("late_reports", "forgotten_updates"):
        assert items[item].behind.empty and (items[item].quantity, items[item].points) == (0, 0)


def test_ledger_lists_the_late_reports_behind_the_deduction(county):
    """U02 as of 06-30: its May report, due 06-10, never came: one late report, −1, whatever the number of its
    projects; P's missing May update is inside that report, so no forgotten update (DOMAIN §6–§7)."""
    items = _items(ranking.unit_ledger(county, AS_OF, "U02", None))
    late = items["late_reports"]
    assert (late.label, late.measure, late.quantity, late.points) == ("扣分：迟报月度报表", "times", 1, -1)
    assert [(f"{r['period']:%Y-%m}", f"{r['due_date']:%Y-%m-%d}", r["note"]) for r in late.behind.to_dict("records")
            ] == [("2024-05", "2024-06-10", "未报送")]
    forgotten = items["forgotten_updates"]
    assert (forgotten.label, forgotten.quantity, forgotten.points) == ("扣分：按时报表中漏报项目", 0, 0)
    assert forgotten.behind.empty


def test_ledger_lists_a_project_left_out_of_an_on_time_report(county):
    """P2, a second U02 project reported for April on 05-05, is left out of U02's May report that now arrives on
    06-08 (on time) with P: no late report; P2's May update, due 06-10, is a forgotten update, −0.5 (仍未报送)."""
    p2 = f.project(county, "P2", "U02")
    f.snapshot(county, p2, "2024-04", "2024-05-05", "U02", total=20000, industry="服务业")
    p = county.execute("SELECT id FROM projects WHERE code = 'P'").fetchone()[0]
    f.snapshot(county, p, "2024-05", "2024-06-08", "U02", total=20000, industry="服务业", signed_date="2024-03-01",
               commenced_date="2024-04-10")
    items = _items(ranking.unit_ledger(county, AS_OF, "U02", None))
    assert (items["late_reports"].quantity, items["late_reports"].points) == (0, 0)
    forgotten = items["forgotten_updates"]
    assert (forgotten.quantity, forgotten.points) == (1, -0.5)
    assert [(r["project_code"], f"{r['period']:%Y-%m}", f"{r['due_date']:%Y-%m-%d}", r["note"])
            for r in forgotten.behind.to_dict("records")] == [("P2", "2024-05", "2024-06-10", "仍未报送")]


def test_unit_user_reads_only_its_own_ledger(county):
    """A unit user's scope opens its own unit's ledger and refuses any other; admins and leaders read every one."""
    assert ranking.unit_ledger(county, AS_OF, "U02", "U02").code == "U02"
    with pytest.raises(OutOfScope):
        ranking.unit_ledger(county, AS_OF, "U01", "U02")
    assert ranking.unit_ledger(county, AS_OF, "U01", None).code == "U01"


def test_unknown_unit_ledger_is_refused(county):
    with pytest.raises(LookupError):
        ranking.unit_ledger(county, AS_OF, "U99", None)


def test_bulletin_files_for_admins_and_leaders_only(county):
    """The 通报 (every unit's projects and ledger) downloads as Word, but not for a unit user."""
    assert files.bulletin_file(county, AS_OF, "docx", None)[:2] == b"PK"
    with pytest.raises(OutOfScope):
        files.bulletin_file(county, AS_OF, "docx", "U01")
    assert files.file_name(AS_OF, "xlsx") == "招商引资项目推进情况通报（截至2024-06-30）.xlsx"


def test_bulletin_excel_file(county):
    """The 通报 downloads as Excel too."""
    assert files.bulletin_file(county, AS_OF, "xlsx", None)[:2] == b"PK"


# ------------------------------------------------------------------------------------------------- the page

LEADER = Actor("领导", "leader")


def _page(actor: Actor) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "ranking.py"), default_timeout=60)
    at.session_state[TEST_ACTOR_KEY] = actor
    return at.run()


def _markdown(at: AppTest) -> str:
    return "\n".join(element.value for element in at.markdown)


def test_page_monthly_ranking(county):
    """June 2024 as the page shows a month: the report for June known by today (DOMAIN §4), compared with May's
    report known by the same day, so a move comes from what happened in June. Here U02's June report (received
    07-08, on time) says P entered the statistics on 06-20: U02 June 50 + 50 (纳统率 1/1) − 1 (May late) = 99, May
    50 − 1 = 49 (纳统 after 05-31); U01 May 53 (its May report, known today, has A commenced 05-20), June 53 − 1
    (no June report) = 52. So U02 ▲1 to first, U01 ▼1; a tab per group, who gained and lost, the ledger's items
    and the two 通报 downloads of 06-30."""
    p = county.execute("SELECT id FROM projects WHERE code = 'P'").fetchone()[0]
    f.snapshot(county, p, "2024-06", "2024-07-08", "U02", total=20000, industry="服务业", signed_date="2024-03-01",
               commenced_date="2024-04-10", in_stats_date="2024-06-20")
    county.close()
    at = _page(LEADER)
    assert not at.exception
    at.selectbox(key="period_month").select("2024年6月").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["单元"].tolist() == ["城东街道", "经济开发区", "城西街道"]
    assert table["变化"].tolist() == ["▲1", "▼1", "—"]
    assert table["评优"].tolist() == ["", "★ 优秀", ""]
    assert [tab.label for tab in at.tabs] == ["全县排名", "乡镇组", "园区组"]
    assert at.dataframe[1].value["单元"].tolist() == ["城东街道", "城西街道"]
    assert "与5月底相比" in _ranking_caption(at) and f"计入 {dt.date.today():%Y-%m-%d} 以前收到的报表" in _ranking_caption(at)
    text = _markdown(at)
    assert "**城东街道**　49.00 → 99.00（**+50.00**）" in text and "开工项目纳统率 +50.00" in text
    assert "**经济开发区**　53.00 → 52.00（**−1.00**）" in text and "扣分：迟报月度报表 −1.00" in text
    assert len(at.expander) == len(SCORED) + 3  # 加分 and the two 扣分 (the further targets: none set, none weighted)
    buttons = at.get("download_button")
    assert [b.label for b in buttons] == ["下载通报（Word）", "下载通报（Excel）", "过堂材料（Word）",
                                          "过堂材料（每单元一份，zip）"]
    assert all(b.proto.deferred_file_id for b in buttons)  # made when clicked, not on every run


def test_page_admin_reproduces_an_earlier_edition(county):
    """An admin's 数据截至 2024-07-05 reproduces June's ranking as it stood before June's reports were due (07-10):
    the duty counts April and May only, so U01 53 and U02 50 − 1 (May) = 49, and the page names the units that owe
    June and have not sent it (U03 owes nothing) and says the ranking will change."""
    county.close()
    at = AppTest.from_file(str(ROOT / "pages" / "ranking.py"), default_timeout=60)
    at.session_state[TEST_ACTOR_KEY] = Actor("管理员", "admin")
    at.run()
    at.date_input(key="known_by").set_value(D(2024, 7, 5)).run()
    assert at.selectbox(key="period_month").options == ["2024年6月", "2024年5月"]
    at.selectbox(key="period_month").select("2024年6月").run()
    assert not at.exception
    assert "计入 2024-07-05 以前收到的报表" in _ranking_caption(at)
    table = at.dataframe[0].value
    assert table["单元"].tolist() == ["经济开发区", "城东街道", "城西街道"]
    assert table["得分"].tolist() == [53.0, 49.0, 0.0]
    notice = at.info[0].value
    assert "2024年6月报表" in notice and "尚未报送的单元（2 个）：经济开发区、城东街道" in notice
    assert notice.endswith("本排名在其报送后会变化。")


def test_page_quarterly_and_annual_rankings(county):
    """2024 Q3 is compared with the end of Q2; Q2 (data first arrived on 05-05) and the year 2024 (nothing known
    by the end of 2023) have no comparison."""
    county.close()
    at = _page(LEADER)
    at.segmented_control(key="period_kind").set_value("quarter").run()
    at.selectbox(key="period_quarter").select("2024年第三季度").run()
    assert not at.exception
    assert "截至 2024-09-30" in _ranking_caption(at) and "与6月底相比" in _ranking_caption(at)
    at.selectbox(key="period_quarter").select("2024年第二季度").run()
    assert "此前没有数据，不作比较" in _ranking_caption(at)
    assert at.dataframe[0].value["较上期"].tolist() == ["—", "—", "—"]
    at.segmented_control(key="period_kind").set_value("year").run()
    at.selectbox(key="period_year").select("2024年").run()
    assert not at.exception
    assert "截至 2024-12-31" in _ranking_caption(at) and "此前没有数据，不作比较" in _ranking_caption(at)
    assert at.info[0].value.startswith("本期不比较得分变化")
    assert at.dataframe[0].value["变化"].tolist() == ["—", "—", "—"]


def test_page_target_progress(county):
    """The 完成进度 section: a tab per target some unit has, each listing every unit by rank with its actual,
    target, completion and gap ('—' without a target); without any target, a line says none was set."""
    _with_targets(county)
    county.close()
    at = _page(LEADER)
    at.selectbox(key="period_month").select("2024年6月").run()
    assert not at.exception
    assert [tab.label for tab in at.tabs][-3:] == ["签约亿元以上项目数", "新开工项目数", "本年完成投资"]
    tables = {tuple(d.value.columns): d.value for d in at.dataframe}
    progress = tables[("单元", "组别", "完成", "年度目标", "完成率", "较序时进度")]
    assert progress.columns.tolist() == ["单元", "组别", "完成", "年度目标", "完成率", "较序时进度"]
    assert len(progress) == 3 and "本年完成投资" not in at.dataframe[0].value.columns


def _ranking_caption(at) -> str:
    """The caption under the downloads that says what the ranking counts and what it is compared with."""
    return next(c.value for c in at.caption if "排名：截至" in c.value)


def test_page_without_targets_says_so(county):
    county.close()
    at = _page(LEADER)
    assert not at.exception
    assert "本年尚未下达年度目标。" in [c.value for c in at.caption]


def test_page_as_a_unit_user(county):
    """A unit user sees every unit's rank and score, its own unit highlighted in the cards, only its own ledger
    to choose, no 通报 downloads but its own 过堂材料. June's report known by today counts June's reports too (due 07-10), which
    never came: U01 52 (2 of its 3 reports, both on time: 66.7%), U02 48 (1 of 3: 33.3%), U03 owes none; U02's score
    fell from 49 (May's report) by one more late report."""
    county.close()
    at = _page(Actor("王丽", "unit", "U02"))
    at.selectbox(key="period_month").select("2024年6月").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["单元"].tolist() == ["经济开发区", "城东街道", "城西街道"]
    assert table.columns.tolist() == ["排名", "变化", "单元", "组别", "得分", "较上期", "签约项目开工率", "开工项目纳统率",
                                      "报送率", "及时率", "评优"]
    assert table["签约项目开工率"].tolist() == ["100.0%", "100.0%", "—"]
    assert table["得分"].tolist() == [52.0, 48.0, 0.0]
    assert table["报送率"].tolist() == table["及时率"].tolist() == ["66.7%", "33.3%", "—"]
    assert ("- **经济开发区**　53.00 → 52.00（**−1.00**）\n"  # another unit's reasons are not shown
            "- **城东街道**　49.00 → 48.00（**−1.00**）  \n  扣分：迟报月度报表 −1.00") in _markdown(at)
    assert at.metric[0].label == "本单元 · 城东街道" and at.metric[0].value == "全县第 2 名"
    ledger_unit = at.selectbox(key="ledger_unit")
    assert ledger_unit.options == ["城东街道"]
    with pytest.raises(ValueError):
        ledger_unit.select("U01").run()  # the widget cannot even express another unit
    assert "**城东街道**（乡镇组）" in _markdown(at)
    buttons = at.get("download_button")  # no 通报; the 过堂材料 of its own unit
    assert [b.label for b in buttons] == ["过堂材料（Word）"]


def test_indicator_headers_say_full_marks_in_force(county):
    """An indicator's points column is headed with its 满分, the weight in force (an admin's 30 for 签约亿元以上项目数
    shows as 30, not the default 25), and every such header is among the columns pages align right; an indicator
    without a shorthand keeps its label."""
    import dataclasses

    from ui import format

    config = settings.current()
    heavier = dataclasses.replace(config, assessment=dataclasses.replace(config.assessment, weight_signed_major=30))
    signed_major = next(i for i in INDICATORS if i.id == "signed_major")
    assert format.indicator_header(signed_major, heavier) == "签约亿元以上（满分30）"
    invested = next(i for i in INDICATORS if i.id == "invested_year")
    assert format.indicator_header(invested, heavier) == "本年完成投资（满分0）"
    settings.use(heavier)
    _with_targets(county)
    shown = format.ranking_table(ranking.ranking(county, AS_OF, BEFORE).table).data
    assert "签约亿元以上（满分30）" in shown.columns
    indicator_columns = [c for c in shown.columns if "满分" in c]
    assert len(indicator_columns) == 4 and set(indicator_columns) <= set(format.ranking_text_numbers())
