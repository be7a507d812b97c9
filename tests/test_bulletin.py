"""The monthly 通报 (issue 3) against a small hand-computed county: headline, tables, Word and Excel files, CLI."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import subprocess
import sys
import zipfile

import docx
import pytest
from docx.enum.section import WD_ORIENT
from python_calamine import CalamineWorkbook

from alerts.evaluate import evaluate, open_warnings
from pipelines import settings
from pipelines.bulletin.content import (
    SHEETS,
    NoUnits,
    Table,
    bulletin_content,
    versus_schedule,
)
from pipelines.bulletin.excel import bulletin_xlsx
from pipelines.bulletin.word import bulletin_docx
from pipelines.export import safe_text
from pipelines.store import timeline
from tests.factories import project, snapshot
from tests.server import ROOT

AS_OF = dt.date(2024, 6, 30)  # 序时进度 6/12 = 0.5 (June completed); compared with 2024-05-31
FORMULA = "=cmd|' /C calc'!A0"


def _target(con, unit, signed_major=None, amount_wan=None, commenced=None, production=None, major=None):
    con.execute("INSERT INTO targets (submission_id, received_at, year, unit_code, signed_major, "
                  "signed_amount_wan, commenced, production, major_manufacturing) VALUES (1, '2024-01-15', 2024, ?, ?, ?, ?, ?, ?)",
                [unit, signed_major, amount_wan, commenced, production, major])


def _report(con, code, unit="U01", period="2024-05", received="2024-06-05", **fields):
    pid = project(con, code, unit)
    fields.setdefault("project_name", f"{code}项目")
    snapshot(con, pid, period, received, unit, **fields)
    return pid


@pytest.fixture
def county(units):
    """tests/test_assessment.py's county (as of 06-30: U01 86.0417 + 4 − 2 = 88.0417, U02 85.3529) plus U03's
    project S, reported for April on time and not since: U03's May report never came, one late report (−1), and S
    one month stale.

    Deductions (DOMAIN §6–§7), months owed Jan–May (June is due 07-10): U01 owes March and April (H, first reported
    for March) and May (all): March's report came on 04-20 (late), April's never, May's on 06-05: 2 late reports,
    −2; H's overdue March and April lie in them, so no forgotten update. U02 owes May, on time. U03 owes April (on
    time) and May (missing): −1. 报送率 / 及时率: U01 2/3 and 1/3, U02 1/1 and 1/1, U03 1/2 and 1/2; the county
    4/6 = 66.7% and 3/6 = 50.0%.
    As of 05-31 (months owed Jan–Apr) only H and S were known: U01 −2 (March late, April missing), U02 0, U03 0
    (S's April on time): ranked U02, U03 (by code), U01."""
    con = units
    _target(con, "U01", signed_major=4, amount_wan=200000, commenced=2, production=2)
    _target(con, "U02", signed_major=2, commenced=2, production=1)
    _report(con, "A", total=80000, industry="制造业", signed_date="2024-02-01", commenced_date="2024-04-01")
    _report(con, "B", total=40000, industry="服务业", signed_date="2024-03-01")
    _report(con, "C", total=15000, signed_date="2023-11-01", commenced_date="2024-01-15", in_stats_date="2024-03-01")
    _report(con, "E", total=20000, industry="农业", signed_date="2024-01-10", status="terminated")
    _report(con, "F", total=5000, industry="文旅", signed_date="2024-02-01", commenced_date="2024-03-01")
    _report(con, "G", total=30000, signed_date="2021-05-01", commenced_date="2022-01-01", production_date="2024-04-01")
    late = _report(con, "H", total=500, industry="服务业", period="2024-03", received="2024-04-20")
    snapshot(con, late, "2024-05", "2024-06-05", "U01", total=500, industry="服务业", project_name="H项目")
    _report(con, "P", unit="U02", total=100000, signed_date="2024-03-01", commenced_date="2024-04-01",
            in_stats_date="2024-05-01")
    _report(con, "Q", unit="U02", total=20000, signed_date="2024-04-01")
    _report(con, "S", unit="U03", period="2024-04", received="2024-05-05")
    return con


def _section(bulletin, heading):
    return next(s for s in bulletin.sections if s.heading == heading)


def _tables(section):
    return {b.title: b for b in section.blocks if isinstance(b, Table)}


def test_headline_paragraph(county):
    """Each target the county has (summed over the units: 签约 4+2, 签约金额 20亿元 of U01 alone, 开工 2+2, 投产 2+1)
    against 序时进度 50%; 新纳统 without a target as a bare count; U01's 7亿元以上制造业 target 0 is none. Then the two
    rates, 资金到位率 (no 到位资金 reported: 0 of 26亿元) and 开工项目投产率 (none of A, C, P produced: 0/3); no
    project has a 年度计划投资, so 投资完成率 has no value and is not named."""
    assert bulletin_content(county, AS_OF).headline == (
        "截至6月底，全县签约亿元以上项目数完成5个，完成全年目标的83.3%，高于序时进度33.3个百分点；"
        "签约金额完成26.00亿元，完成全年目标的130.0%，高于序时进度80.0个百分点；"
        "新开工项目数完成3个，完成全年目标的75.0%，高于序时进度25.0个百分点；"
        "新投产项目数完成1个，完成全年目标的33.3%，低于序时进度16.7个百分点；"
        "新纳统项目2个；"
        "签约项目开工率40.0%（目标75%），开工项目纳统率66.7%（目标80%），资金到位率0.0%，开工项目投产率0.0%。")


@pytest.fixture
def further(county):
    """The county with further targets and investment figures, as of 06-30 (序时进度 50%): U01 新纳统 3 and 本年完成投资
    3亿元, U02 新纳统 1 and 签约10亿至50亿元 1; nobody sets 50亿元以上 or 5亿至10亿元. A (U01) reports 累计完成投资 1亿元
    against a 年度计划投资 of 2亿元 and 累计到位资金 2.6亿元, C (U01) 0.4亿元 of 2亿元 with 到位资金 blank; neither
    reported before 2024 (baseline 0), so 本年完成投资 1.40亿元: 1.4/3 = 46.67% of U01's (and the county's) target,
    3.33 points behind; 投资完成率 1.4/4 = 35.0%; 资金到位率 2.6 / 26亿元 signed in 2024 = 10.0%. 新纳统 C (U01) and P
    (U02): 2/4 = 50.0%, level with 序时进度; 签约10亿至50亿元 P alone (exactly 10亿元; A's 8亿元 is below): 1/1."""
    county.execute("UPDATE targets SET in_stats = 3, invested_year_wan = 30000 WHERE unit_code = 'U01'")
    county.execute("UPDATE targets SET in_stats = 1, signed_10_50yi = 1 WHERE unit_code = 'U02'")
    for code, plan, invested, funds in (("A", 20000, 10000, 26000), ("C", 20000, 4000, None)):
        county.execute("UPDATE snapshots SET annual_plan_wan = ?, invested_to_date_wan = ?, funds_in_place_wan = ? "
                       "WHERE project_id = (SELECT id FROM projects WHERE code = ?)", [plan, invested, funds, code])
    timeline.rebuild(county)
    return county


def _decimals(places: int) -> settings.Settings:
    config = settings.current()
    return dataclasses.replace(config, figures=dataclasses.replace(config.figures, completion_decimals=places))


@pytest.mark.parametrize(("share", "progress", "places", "said"), [
    (5 / 6, 0.5, 1, "完成全年目标的83.3%，高于序时进度33.3个百分点"),
    (5 / 6, 0.5, 2, "完成全年目标的83.33%，高于序时进度33.33个百分点"),
    (1.4 / 3, 0.5, 1, "完成全年目标的46.7%，低于序时进度3.3个百分点"),
    (1.4 / 3, 0.5, 2, "完成全年目标的46.67%，低于序时进度3.33个百分点"),
    (0.933, 0.75, 1, "完成全年目标的93.3%，高于序时进度18.3个百分点"),  # 常州
    (0.5, 0.5, 1, "完成全年目标的50.0%，与序时进度持平"),
    (0.5004, 0.5, 1, "完成全年目标的50.0%，与序时进度持平"),  # level at the decimals shown
    (0.5004, 0.5, 2, "完成全年目标的50.04%，高于序时进度0.04个百分点"),
    (0.4996, 0.5, 1, "完成全年目标的50.0%，与序时进度持平"),
    (0.625, 0.5, 0, "完成全年目标的63%，高于序时进度13个百分点"),  # 四舍五入, not to the even 62 and 12
    (0.0, 5 / 12, 1, "完成全年目标的0.0%，低于序时进度41.7个百分点"),
])
def test_versus_schedule(share, progress, places, said):
    """Completion and its gap to 序时进度 in the bureau's words, rounded half up to the decimals set."""
    assert versus_schedule(share, (share - progress) * 100, places) == said


FURTHER_HEADLINE = (
    "截至6月底，全县签约亿元以上项目数完成5个，完成全年目标的83.3%，高于序时进度33.3个百分点；"
    "签约金额完成26.00亿元，完成全年目标的130.0%，高于序时进度80.0个百分点；"
    "新开工项目数完成3个，完成全年目标的75.0%，高于序时进度25.0个百分点；"
    "新投产项目数完成1个，完成全年目标的33.3%，低于序时进度16.7个百分点；"
    "新纳统项目数完成2个，完成全年目标的50.0%，与序时进度持平；"
    "签约10亿至50亿元项目数完成1个，完成全年目标的100.0%，高于序时进度50.0个百分点；"
    "本年完成投资1.40亿元，完成全年目标的46.7%，低于序时进度3.3个百分点；"
    "签约项目开工率40.0%（目标75%），开工项目纳统率66.7%（目标80%），资金到位率10.0%，投资完成率35.0%，"
    "开工项目投产率0.0%。")


def test_headline_every_target_the_county_has(further):
    """A sentence for each target some unit has, in the order of the targets table (the fixture works the figures),
    none for 签约50亿元以上, 签约5亿至10亿元 and 7亿元以上制造业 (nobody has one); the three further rates after the
    two."""
    headline = bulletin_content(further, AS_OF).headline
    assert headline == FURTHER_HEADLINE
    assert not any(label in headline for label in ("50亿元以上", "5亿至10亿元", "制造业"))


def test_headline_with_two_decimals(further):
    """completion_decimals 2: completion and gap with two decimals (level stays level); rates keep one."""
    assert bulletin_content(further, AS_OF, _decimals(2)).headline == (
        "截至6月底，全县签约亿元以上项目数完成5个，完成全年目标的83.33%，高于序时进度33.33个百分点；"
        "签约金额完成26.00亿元，完成全年目标的130.00%，高于序时进度80.00个百分点；"
        "新开工项目数完成3个，完成全年目标的75.00%，高于序时进度25.00个百分点；"
        "新投产项目数完成1个，完成全年目标的33.33%，低于序时进度16.67个百分点；"
        "新纳统项目数完成2个，完成全年目标的50.00%，与序时进度持平；"
        "签约10亿至50亿元项目数完成1个，完成全年目标的100.00%，高于序时进度50.00个百分点；"
        "本年完成投资1.40亿元，完成全年目标的46.67%，低于序时进度3.33个百分点；"
        "签约项目开工率40.0%（目标75%），开工项目纳统率66.7%（目标80%），资金到位率10.0%，投资完成率35.0%，"
        "开工项目投产率0.0%。")


def test_a_county_without_targets(county):
    """No unit has a target: no completion sentence at all (the 新纳统 count stays) and no 完成进度 table."""
    county.execute("DELETE FROM targets")
    bulletin = bulletin_content(county, AS_OF)
    assert bulletin.headline == ("截至6月底，全县新纳统项目2个；签约项目开工率40.0%（目标75%），开工项目纳统率66.7%"
                                 "（目标80%），资金到位率0.0%，开工项目投产率0.0%。")
    assert _section(bulletin, "年度目标完成进度").blocks == ["各单元均未下达年度目标。"]


PROGRESS_BANDS = ["签约亿元以上项目数（个）", "签约金额（亿元）", "新开工项目数（个）", "新投产项目数（个）",
                  "新纳统项目数（个）", "签约10亿至50亿元项目数（个）", "本年完成投资（亿元）"]
NO_TARGET = (None, None, None)
# Per band: 完成, 全年目标, 完成率, 较序时进度 (points); units in rank order, then the county against the summed targets.
PROGRESS_ROWS = [
    ("经济开发区", 3, 4, 0.75, 25.0, 14.0, 20.0, 0.7, 20.0, 2, 2, 1.0, 50.0, 1, 2, 0.5, 0.0,
     1, 3, 1 / 3, -50 / 3, 0, *NO_TARGET, 1.4, 3.0, 1.4 / 3, 140 / 3 - 50),
    ("城东街道", 2, 2, 1.0, 50.0, 12.0, *NO_TARGET, 1, 2, 0.5, 0.0, 0, 1, 0.0, -50.0,
     1, 1, 1.0, 50.0, 1, 1, 1.0, 50.0, 0.0, *NO_TARGET),
    ("城西街道", 0, *NO_TARGET, 0.0, *NO_TARGET, 0, *NO_TARGET, 0, *NO_TARGET, 0, *NO_TARGET, 0, *NO_TARGET,
     0.0, *NO_TARGET),
    ("全县", 5, 6, 5 / 6, 100 / 3, 26.0, 20.0, 1.3, 80.0, 3, 4, 0.75, 25.0, 1, 3, 1 / 3, -50 / 3,
     2, 4, 0.5, 0.0, 1, 1, 1.0, 50.0, 1.4, 3.0, 1.4 / 3, 140 / 3 - 50),
]


def test_progress_table(further):
    """完成进度: a band of 完成, 全年目标, 完成率 and 较序时进度 for each target the county has; every unit, — where it
    has no target of that kind, and the county against the sum of the units' targets (the fixture works them)."""
    section = _section(bulletin_content(further, AS_OF), "年度目标完成进度")
    assert section.sheet == "完成进度"
    table, note = section.blocks
    assert [band.label for band in table.bands] == PROGRESS_BANDS and {band.span for band in table.bands} == {4}
    assert [c.header for c in table.columns[:5]] == ["单元", "完成", "全年目标", "完成率", "较序时进度"]
    assert len(table.columns) == 1 + 4 * len(PROGRESS_BANDS)
    assert table.rows == [pytest.approx(row) for row in PROGRESS_ROWS]
    assert note.startswith("注：完成率 = 完成 ÷ 全年目标；较序时进度 = 完成率 − 序时进度（50.0%），单位为百分点")


def test_word_pages_are_portrait_and_leave_the_progress_table_to_the_workbook(further):
    """The Word 通报 is portrait throughout (issue 18: no landscape pages of wide tables); the 完成进度 table with its
    bands is the workbook's, not the document's."""
    data = bulletin_docx(further, AS_OF)
    assert {s.orientation for s in docx.Document(io.BytesIO(data)).sections} == {WD_ORIENT.PORTRAIT}
    assert not [t for t in _docx_tables(data) if len(t) > 1 and t[1][1:5] == ["完成", "全年目标", "完成率", "较序时进度"]]
    assert not _section(bulletin_content(further, AS_OF), "年度目标完成进度").in_document


def test_progress_sheet(further):
    """The workbook's 完成进度 sheet holds the whole table: the bands over the first header row, numbers as
    numbers."""
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(bulletin_xlsx(further, AS_OF))).get_sheet_by_name("完成进度")
    rows = sheet.to_python()
    top = next(i for i, row in enumerate(rows) if row[0] == "单元")
    assert [label for label in rows[top][1:] if label] == PROGRESS_BANDS
    assert rows[top + 1][1:5] == ["完成", "全年目标", "完成率", "较序时进度"]
    county = rows[top + 5]
    assert county[0] == "全县" and county[1:5] == [5, 6, pytest.approx(5 / 6), pytest.approx(100 / 3)]
    assert rows[top + 4][2:5] == ["—", "—", "—"]  # 城西街道 has no target


def test_title_and_mid_month_headline(county):
    """On 06-04, before May's reports arrived: the day is named, nothing is signed and no rate has a cohort; 序时进度
    is 5/12 = 41.7% (May the last month completed, DOMAIN §5)."""
    bulletin = bulletin_content(county, dt.date(2024, 6, 4))
    assert bulletin.title == "2024年6月招商引资项目推进情况通报"
    assert bulletin.as_of_line.startswith("数据截至2024年6月4日，序时进度41.7%；")
    assert bulletin.headline.startswith(
        "截至6月4日，全县签约亿元以上项目数完成0个，完成全年目标的0.0%，低于序时进度41.7个百分点；")
    assert bulletin.headline.endswith("签约项目开工率暂无统计基数（目标75%），开工项目纳统率暂无统计基数（目标80%）。")


def test_unit_table_values(county):
    """Every column of the unit table: ranks moved from May's U02, U03, U01; U01 is 优秀 (7亿 制造业 A, target 0);
    报送率, 及时率 and 扣分 as worked in the fixture."""
    table = _section(bulletin_content(county, AS_OF), "各单元考核得分及排名").blocks[0]
    assert [c.header for c in table.columns] == [
        "排名", "单元", "组别", "签约亿元以上项目数", "签约金额(亿元)", "新开工", "新纳统", "新投产", "开工率", "纳统率",
        "报送率", "及时率", "加分", "扣分", "得分", "排名变化", "评优"]
    u01, u02, u03 = table.rows
    assert u01[:10] == (1, "经济开发区", "园区组", 3, 14.0, 2, 1, 1, pytest.approx(1 / 3), 0.5)
    assert u01[10:] == (pytest.approx(2 / 3), pytest.approx(1 / 3), 4.0, 2.0, pytest.approx(88.041667, abs=1e-6),
                        "↑2", "优秀")
    assert u02 == (2, "城东街道", "乡镇组", 2, 12.0, 1, 1, 0, 0.5, 1.0, 1.0, 1.0, 3.0, 0.0,
                   pytest.approx(70 * 100 / 85 + 3), "↓1", "优秀")
    assert u03 == (3, "城西街道", "乡镇组", 0, 0.0, 0, 0, 0, None, None, 0.5, 0.5, 0.0, 1.0, -1.0, "↓1", "")


def test_group_ranking(county):
    """Each group ranked on its own; within 乡镇组 nobody moved since May."""
    tables = _tables(_section(bulletin_content(county, AS_OF), "分组排名"))
    assert [(r[0], r[1], r[3], r[4]) for r in tables["乡镇组"].rows] == [(1, "城东街道", "—", 2), (2, "城西街道", "—", 3)]
    assert [(r[0], r[1], r[4]) for r in tables["园区组"].rows] == [(1, "经济开发区", 1)]


def test_rates_against_targets(county):
    """Cohorts, rates and 达标/黄/红 per unit and for the county; no cohort shows no rate and no status."""
    table = _section(bulletin_content(county, AS_OF), "两率完成情况").blocks[0]
    assert table.columns[3].header == "签约项目开工率（目标75%）"
    rows = {r[0]: r for r in table.rows}
    assert rows["经济开发区"] == ("经济开发区", 3, 1, pytest.approx(1 / 3), "红", 2, 1, 0.5, "红")
    assert rows["城东街道"] == ("城东街道", 2, 1, 0.5, "红", 1, 1, 1.0, "达标")
    assert rows["城西街道"] == ("城西街道", 0, 0, None, "—", 0, 0, None, "—")
    assert rows["全县"] == ("全县", 5, 2, 0.4, "红", 3, 2, pytest.approx(2 / 3), "红")


def test_attention(county):
    """Red rates with their cohorts, the year's late reports (months) and forgotten updates (projects and months)
    behind each deduction — U01 March and April late, U03 May missing, nobody forgot a project in an on-time
    report — and the project still not reported (S, May)."""
    tables = _tables(_section(bulletin_content(county, AS_OF), "需要关注"))
    assert tables["两率为红色的单元"].rows == [
        ("经济开发区", "签约项目开工率", pytest.approx(1 / 3), 0.75, "1/3"),
        ("经济开发区", "开工项目纳统率", 0.5, 0.8, "1/2"),
        ("城东街道", "签约项目开工率", 0.5, 0.75, "1/2"),
    ]
    late = tables["本年迟报与漏报"]
    assert [c.header for c in late.columns] == ["单元", "迟报(月)", "迟报月份", "漏报(项次)", "漏报项目（月份）", "扣分"]
    assert late.rows == [("经济开发区", 2, "3月、4月", 0, "—", 2.0), ("城西街道", 1, "5月", 0, "—", 1.0)]
    assert tables["目前仍未报送进展的项目"].rows == [("城西街道", "S", "S项目", 1, "2024-05")]


REPORTING_HEADERS = ["单元", "6月报表", "首次报送", "载入行数", "拒收行数", "本年报送率", "本年及时率"]


def test_reporting_section_on_the_day(county):
    """As of 06-30 June's reports are not due (07-10) and none has come: the section after the unit table names the
    three units owing June as awaited, with the year's 报送率 and 及时率 (county 4/6 and 3/6, see the fixture)."""
    bulletin = bulletin_content(county, AS_OF)
    details = [s.heading for s in bulletin.sections if not s.in_document]
    assert details[:2] == ["各单元考核得分及排名", "月度报表报送情况"]
    section = _section(bulletin, "月度报表报送情况")
    assert section.sheet == "报送情况"
    text, table = section.blocks
    assert text == ("6月项目进展表截止7月10日，截至6月30日应报3个单元，已报送0个，尚未报送：经济开发区、城东街道、城西街道"
                    "（未到截止日，报送后数据将更新）。本年月度报表报送率66.7%，及时率50.0%。")
    assert [c.header for c in table.columns] == REPORTING_HEADERS
    assert table.rows == [("经济开发区", "未报送", "", 0, 0, pytest.approx(2 / 3), pytest.approx(1 / 3)),
                          ("城东街道", "未报送", "", 0, 0, 1.0, 1.0), ("城西街道", "未报送", "", 0, 0, 0.5, 0.5)]


def test_the_report_for_june_known_by_july_12(county):
    """The 通报 for June produced on 07-12 (DOMAIN §4: E = 06-30, K = 07-12) counts June's reports: U01 sent A alone
    on 07-12 (late), U02 sent P alone on 07-03 (on time, Q left out), U03 nothing. Months owed Jan–June: U01 late
    March, April, June (−3) → 86.0417 + 4 − 3 = 87.0417, 报送 3/4, 及时 1/4; U02 on time, Q's June a forgotten
    update (−0.5) → 84.8529, 2/2 and 2/2; U03 late May and June (−2), 1/3 and 1/3; county 6/9 = 66.7%, 4/9 = 44.4%.
    B, C, F and H left out of U01's late June file are not forgotten updates: the report itself was late."""
    a = county.execute("SELECT id FROM projects WHERE code = 'A'").fetchone()[0]
    snapshot(county, a, "2024-06", "2024-07-12", "U01", total=80000, industry="制造业", project_name="A项目",
             signed_date="2024-02-01", commenced_date="2024-04-01")
    p = county.execute("SELECT id FROM projects WHERE code = 'P'").fetchone()[0]
    snapshot(county, p, "2024-06", "2024-07-03", "U02", total=100000, project_name="P项目", signed_date="2024-03-01",
             commenced_date="2024-04-01", in_stats_date="2024-05-01")
    bulletin = bulletin_content(county, AS_OF, known_by=dt.date(2024, 7, 12))
    assert bulletin.as_of_line.startswith("数据截至2024年6月30日，计入2024年7月12日以前收到的报表，序时进度50.0%；")
    units = _section(bulletin, "各单元考核得分及排名").blocks[0].rows
    assert [(u[1], u[10], u[11], u[13], u[14]) for u in units] == [
        ("经济开发区", 0.75, 0.25, 3.0, pytest.approx(87.041667, abs=1e-6)),
        ("城东街道", 1.0, 1.0, 0.5, pytest.approx(70 * 100 / 85 + 3 - 0.5)),
        ("城西街道", pytest.approx(1 / 3), pytest.approx(1 / 3), 2.0, -2.0)]
    text, table = _section(bulletin, "月度报表报送情况").blocks
    assert text == ("6月项目进展表截止7月10日，截至7月12日应报3个单元，已报送2个（其中逾期报送：经济开发区），"
                    "尚未报送：城西街道（已逾期）。本年月度报表报送率66.7%，及时率44.4%。")
    assert table.rows == [("经济开发区", "逾期报送", "07-12 00:00", 1, 0, 0.75, 0.25),
                          ("城东街道", "按时报送", "07-03 00:00", 1, 0, 1.0, 1.0),
                          ("城西街道", "未报送", "", 0, 0, pytest.approx(1 / 3), pytest.approx(1 / 3))]
    assert _tables(_section(bulletin, "需要关注"))["本年迟报与漏报"].rows == [
        ("经济开发区", 3, "3月、4月、6月", 0, "—", 3.0), ("城东街道", 0, "—", 1, "Q项目（6月）", 0.5),
        ("城西街道", 2, "5月、6月", 0, "—", 2.0)]


RED_WARNING_HEADERS = ["单元", "预警规则", "对象", "持续自", "说明"]
RED_WARNINGS_JUNE = [  # U01 before U02; within a unit by rule, then oldest first; unit rules have no 持续自
    ("经济开发区", "开工未纳统", "G项目", dt.date(2022, 2, 1), "开工于 2022-01-01，已 29 个月"),
    ("经济开发区", "开工未纳统", "F项目", dt.date(2024, 4, 1), "开工于 2024-03-01，已 3 个月"),
    ("经济开发区", "开工未纳统", "A项目", dt.date(2024, 5, 1), "开工于 2024-04-01，已 2 个月"),
    ("经济开发区", "开工率/纳统率未达标", "经济开发区", None, "签约项目开工率 33.3%（1/3），目标 75%"),
    ("城东街道", "落后序时进度", "城东街道", None, "新投产项目数完成 0.0%，落后序时进度 50.0 个百分点"),
]


def test_red_warnings_as_of_the_day(county):
    """The red conditions of 06-30, counted by rule, with the two yellow ones (U03's May report missing, B signed 3
    months ago) only counted — even after a July evaluation has made U03's report_missing red (May and June
    missing) in the live warnings table. S, in no report since April, raises no stale_update (DOMAIN §8)."""
    evaluate(county, dt.date(2024, 7, 31))
    live = set(open_warnings(county)[["rule", "subject", "grade"]].itertuples(index=False, name=None))
    assert ("report_missing", "U03", "red") in live and not any(rule == "stale_update" for rule, _, _ in live)
    summary, table, note = _section(bulletin_content(county, AS_OF), "红色预警").blocks
    assert summary == ("截至6月底，全县有红色预警5条，涉及2个单元（开工未纳统3条、开工率/纳统率未达标1条、落后序时进度1条），"
                       "逐条列于下表；另有黄色预警2条，不在此列出。")
    assert [c.header for c in table.columns] == RED_WARNING_HEADERS
    assert table.rows == RED_WARNINGS_JUNE
    assert note.startswith("注：按单元、预警规则排列；持续自为该情形首次达到黄色预警标准的日期")


def test_no_red_warnings(county):
    """At the end of February nothing is reported yet: only the seven targets behind 序时进度 by less than 30
    points (yellow) hold, so the section says so in one paragraph, without a table."""
    section = _section(bulletin_content(county, dt.date(2024, 2, 29)), "红色预警")
    assert section.blocks == ["截至2月底，全县没有红色预警；另有黄色预警7条，不在此列出。"]


def test_score_changes_name_the_items_that_moved(county):
    """Against 05-31: U01 −2.00 → 88.04 (its two late reports unchanged, so not named), U02 0 → 85.35 (weights
    scaled to 100 without a 签约金额 target), U03 0 → −1.00 by its late (missing) May report."""
    tables = _tables(_section(bulletin_content(county, AS_OF), "得分变化"))
    gained = [(r[0], round(r[1], 2), round(r[2], 2), round(r[3], 2), r[4]) for r in tables["得分上升的单元"].rows]
    assert gained == [
        ("经济开发区", -2.0, 88.04, 90.04, ("签约亿元以上项目数 +25.00分、签约金额 +15.00分、新开工项目数 +20.00分、"
                                           "新投产项目数 +10.00分、签约项目开工率 +6.67分、开工项目纳统率 +9.38分、"
                                           "加分 +4.00分")),
        ("城东街道", 0.0, 85.35, 85.35, ("签约亿元以上项目数 +29.41分、新开工项目数 +23.53分、签约项目开工率 +11.76分、"
                                       "开工项目纳统率 +17.65分、加分 +3.00分")),
    ]
    assert tables["得分下降的单元"].rows == [("城西街道", 0.0, -1.0, -1.0, "扣分：迟报月度报表 -1.00分")]


def test_january_is_not_compared_with_last_year(county):
    """In January there is no score-change section and no rank change."""
    bulletin = bulletin_content(county, dt.date(2024, 1, 31))
    assert "得分变化" not in [s.heading for s in bulletin.sections]
    assert {r[15] for r in _section(bulletin, "各单元考核得分及排名").blocks[0].rows} == {"—"}  # 排名变化


def test_veto_note(county):
    """A unit that qualifies for 一票评优 but is vetoed loses the 优秀 mark and gets a note with the reason."""
    county.execute("INSERT INTO veto_flags VALUES (2024, 'U01', '未完成交办任务', 'admin', TIMESTAMP '2024-06-20 10:00')")
    section = _section(bulletin_content(county, AS_OF), "各单元考核得分及排名")
    assert section.blocks[0].rows[0][16] == ""  # 评优
    assert "一票否优：经济开发区本年达到一票评优条件，但被一票否优（未完成交办任务），不评为优秀。" in section.blocks


def _docx_tables(data: bytes) -> list[list[list[str]]]:
    document = docx.Document(io.BytesIO(data))
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]


STANDING_HEADERS = ["序号", "单元", "得分", "排名（较上期）", "签约亿元以上项目", "签约金额(亿元)", "新开工", "新投产",
                    "开工率", "纳统率", "签约金额完成率"]
# Register order; ranks moved from May's U02, U03, U01; 签约金额完成率 14/20 for U01 alone (U02 has no such target).
STANDING_ROWS = [(1, "经济开发区", pytest.approx(88.041667, abs=1e-6), "1（↑2）", 3, 14.0, 2, 1, pytest.approx(1 / 3),
                  0.5, pytest.approx(0.7)),
                 (2, "城东街道", pytest.approx(70 * 100 / 85 + 3), "2（↓1）", 2, 12.0, 1, 0, 0.5, 1.0, None),
                 (3, "城西街道", -1.0, "3（↓1）", 0, 0.0, 0, 0, None, None, None)]
# 四 drafted from the fixture's figures as of 06-30 (序时进度 50%): only U02's 新投产 (0 of 1: 0% − 50% = −50 points)
# is behind by 10 points or more (U01's 新投产 1 of 2 is level); 开工率 U01 1/3 and U02 1/2 below 75%, 纳统率 U01 1/2
# below 80% (U02's 1/1 meets it); late reports U01 March and April, U03 May; S unreported since May.
PROBLEMS_JUNE = ("（一）部分单元目标任务进度滞后。落后序时进度10个百分点以上的目标有：城东街道新投产项目数落后50.0个百分点。\n"
                 "（二）部分单元两率未达标。签约项目开工率未达到75%目标的有经济开发区（33.3%）、城东街道（50.0%）；"
                 "开工项目纳统率未达到80%目标的有经济开发区（50.0%）。\n"
                 "（三）项目进展报送不及时。本年迟报或未报月度报表的有经济开发区2次、城西街道1次；"
                 "目前仍有1个项目逾期未报送进展（详见附件4）。")


def test_the_body_in_the_official_order(county):
    """The body's five parts in order (一 … 五), then the four 附件, then what only the workbook carries; the 版头 a
    draft's (no 期号) dated the knowledge day, with the settings' 机关名称, 编发单位, 主送 and 抄送."""
    bulletin = bulletin_content(county, AS_OF, known_by=dt.date(2024, 7, 12))
    assert [s.heading for s in bulletin.body] == ["总体情况", "各单元完成情况", "督办与预警", "存在问题", "下步工作"]
    assert [s.heading for s in bulletin.annexes] == ["本月新签约项目", "本月新开工项目", "本月新投产项目",
                                                     "迟报漏报及逾期未报送进展的项目"]
    assert bulletin.sections[:9] == [*bulletin.body, *bulletin.annexes]
    masthead = bulletin.masthead
    assert (masthead.title, masthead.number_line, masthead.issuer, masthead.date_line, masthead.recipients,
            masthead.copy_to) == ("招商引资工作通报", "第  期（草稿）", "县招商引资工作领导小组办公室", "2024年7月12日",
                                  "各招商单元", "县委、县政府领导，县招商引资工作领导小组成员单位")
    assert bulletin_content(county, AS_OF, number=3).masthead.number_line == "第3期"


def test_overview_and_standing(county):
    """一 is the headline and the month's reports; 二 one table of every unit in register order with score, rank and
    its change, the counts, the two rates and 签约金额's completion, then the 一票评优 note."""
    bulletin = bulletin_content(county, AS_OF)
    overview, standing = bulletin.body[:2]
    assert overview.blocks == [bulletin.headline, _section(bulletin, "月度报表报送情况").blocks[0]]
    table, note, excellent = standing.blocks
    assert [c.header for c in table.columns] == STANDING_HEADERS
    assert table.rows == STANDING_ROWS
    assert note.startswith("注：排名为全县排名，括号内为较上月末的名次变化")
    assert excellent.startswith("一票评优：经济开发区")


def test_supervision_counts_tasks_and_red_warnings_per_unit_and_rule(county):
    """三: the red and yellow counts as of the day, then per unit the year's 督办事项 (none here) and the red warnings
    per rule that has any (RED_WARNINGS_JUNE: U01 three 开工未纳统 and its 开工率, U02 落后序时进度), not one row each."""
    summary, table, criticised = bulletin_content(county, AS_OF).body[2].blocks
    assert summary == "截至6月底，全县有红色预警5条、黄色预警2条，分单元、分规则情况见下表（逐条明细见Excel版通报）。"
    assert [c.header for c in table.columns] == ["单元", "交办", "已办结", "逾期未办", "开工未纳统", "开工率/纳统率未达标",
                                                 "落后序时进度", "合计"]
    assert [(b.label, b.span) for b in table.bands] == [("本年督办事项（项）", 3), ("红色预警（条）", 4)]
    assert table.rows == [("经济开发区", 0, 0, 0, 3, 1, 0, 4), ("城东街道", 0, 0, 0, 0, 0, 1, 1),
                          ("城西街道", 0, 0, 0, 0, 0, 0, 0)]
    assert criticised == "本年影响重大的督办事项均未逾期。"


def test_problems_drafted_from_the_figures(county):
    """四 drafted from the data (worked in PROBLEMS_JUNE), one numbered paragraph a line; 五 the settings' draft."""
    bulletin = bulletin_content(county, AS_OF)
    assert bulletin.problems == PROBLEMS_JUNE
    assert bulletin.body[3].blocks == PROBLEMS_JUNE.split("\n")
    assert bulletin.next_steps == settings.current().bulletin.next_steps
    assert bulletin.body[4].blocks == settings.current().bulletin.next_steps.splitlines()


def test_nothing_to_criticise(county):
    """A county on schedule, meeting both rates and reporting on time gets one sentence instead of a list."""
    county.execute("DELETE FROM targets")
    config = settings.current()
    relaxed = dataclasses.replace(config, figures=dataclasses.replace(config.figures, commencement_target=0,
                                                                      stats_target=0),
                                  assessment=config.assessment)
    county.execute("DELETE FROM snapshots WHERE project_id IN (SELECT id FROM projects WHERE code IN ('H', 'S'))")
    timeline.rebuild(county)
    problems = bulletin_content(county, dt.date(2024, 5, 31), relaxed).problems
    assert problems == "本月各单元目标进度、两率和报表报送均未发现突出问题。"


def test_edited_problems_and_next_steps_replace_the_drafts_in_word(county):
    """An admin's 四 and 五 replace the drafts line by line (blank lines dropped); a leading '（一）….' is set in 楷体."""
    data = bulletin_docx(county, AS_OF, problems_text="（一）甲单元进度偏慢。须加快\n\n  乙单元未报  ",
                         next_steps_text="全力冲刺四季度", number=7)
    paragraphs = docx.Document(io.BytesIO(data)).paragraphs
    texts = [p.text for p in paragraphs]
    assert texts[texts.index("四、存在问题") + 1:texts.index("五、下步工作")] == ["（一）甲单元进度偏慢。须加快", "乙单元未报"]
    assert texts[texts.index("五、下步工作") + 1] == "全力冲刺四季度"
    assert not any("部分单元两率未达标" in t for t in texts)
    numbered = paragraphs[texts.index("（一）甲单元进度偏慢。须加快")]
    assert [r.text for r in numbered.runs] == ["（一）甲单元进度偏慢。", "须加快"]
    assert numbered.runs[0].element.rPr.rFonts.get(docx.oxml.ns.qn("w:eastAsia")) == "楷体"


def test_docx_in_the_form_of_a_gongwen(county):
    """The Word document: 版头 (red 机关名称, 期号, 编发单位 and date), title, 主送, 一 … 五, 附件说明, 落款, 版记, then
    each 附件 on a new page; the first table is 二's, as the document prints it; 仿宋 body."""
    data = bulletin_docx(county, AS_OF, known_by=dt.date(2024, 7, 12), number=5)
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    assert texts[:6] == ["招商引资工作通报", "第5期", "县招商引资工作领导小组办公室\t2024年7月12日",
                         "2024年6月招商引资项目推进情况通报", bulletin_content(county, AS_OF, known_by=dt.date(2024, 7, 12)
                                                                              ).as_of_line, "各招商单元："]
    assert document.paragraphs[0].runs[0].font.color.rgb == docx.shared.RGBColor(0xE6, 0x00, 0x12)
    order = ["一、总体情况", "二、各单元完成情况", "三、督办与预警", "四、存在问题", "五、下步工作", "附件：1.本月新签约项目",
             "2.本月新开工项目", "3.本月新投产项目", "4.迟报漏报及逾期未报送进展的项目", "县招商引资工作领导小组办公室",
             "2024年7月12日", "抄送：县委、县政府领导，县招商引资工作领导小组成员单位。",
             "县招商引资工作领导小组办公室\t2024年7月12日印发", "附件1", "本月新签约项目", "附件2", "附件3", "附件4"]
    positions = [texts.index(text, 6) for text in order]
    assert positions == sorted(positions)
    assert [document.paragraphs[texts.index(f"附件{n}")].paragraph_format.page_break_before for n in (1, 4)] == [True] * 2
    standing = _docx_tables(data)[0]
    assert standing[0] == STANDING_HEADERS
    # Known by 07-12 U01 has also missed June (−3: 87.04) and May known by 07-12 had it first already: no change.
    assert standing[1] == ["1", "经济开发区", "87.04", "1", "3", "14.00", "2", "1", "33.3%", "50.0%", "70.0%"]
    assert document.styles["Normal"].element.rPr.rFonts.get(docx.oxml.ns.qn("w:eastAsia")) == "仿宋"
    assert {s.orientation for s in document.sections} == {WD_ORIENT.PORTRAIT}


def test_annexes_list_the_month_s_projects(county):
    """附件1–3: the projects the year's figures count (1亿元 and more) whose 签约, 开工 or 投产 day falls in the report
    month, by unit; N (3亿元, signed 06-12, commenced 06-20) is listed, M (0.5亿元) is not; 附件4 the late reports
    and the projects still unreported."""
    _report(county, "N", total=30000, period="2024-06", received="2024-06-30", signed_date="2024-06-12",
            commenced_date="2024-06-20")
    _report(county, "M", total=5000, period="2024-06", received="2024-06-30", signed_date="2024-06-15")
    signed, commenced, produced, overdue = bulletin_content(county, AS_OF).annexes
    assert [c.header for c in signed.blocks[0].columns] == ["序号", "单元", "项目名称", "计划总投资(亿元)", "签约日期"]
    assert signed.blocks[0].rows == [(1, "经济开发区", "N项目", 3.0, dt.date(2024, 6, 12))]
    assert commenced.blocks[0].rows == [(1, "经济开发区", "N项目", 3.0, dt.date(2024, 6, 20))]
    assert produced.blocks[0].rows == [] and produced.blocks[0].empty == "6月没有新投产项目。"
    assert [t.title for t in overdue.blocks] == ["本年迟报与漏报", "目前仍未报送进展的项目"]
    assert not overdue.in_workbook and signed.sheet == "本月项目"


def test_xlsx_sheets_and_values(county):
    """The workbook has the ten sheets (报送情况 and 完成进度 among them); the unit table and the ledger hold numbers as
    numbers, the ledger with both deductions (U01's late March and April); the 报送情况 sheet holds the month's
    reports; the red warnings sheet lists the same lines as the document."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(bulletin_xlsx(county, AS_OF)))
    assert book.sheet_names == list(SHEETS) and len(SHEETS) == 11
    assert {"报送情况", "完成进度", "督办事项", "本月项目"} <= set(SHEETS)
    ranking = book.get_sheet_by_name("单元排名").to_python()
    header = next(i for i, row in enumerate(ranking) if row[0] == "排名")
    u01 = ranking[header + 1]
    assert u01[:3] == [1, "经济开发区", "园区组"]
    assert (u01[4], u01[8], u01[10], u01[11], u01[14], u01[15], u01[16]) == (
        14, pytest.approx(1 / 3), pytest.approx(2 / 3), pytest.approx(1 / 3), pytest.approx(88.041667), "↑2", "优秀")
    assert ranking[header + 3][8] == "—"
    reports = book.get_sheet_by_name("报送情况").to_python()
    header = reports.index(REPORTING_HEADERS)
    assert reports[header + 1][:2] == ["经济开发区", "未报送"] and reports[header + 1][5] == pytest.approx(2 / 3)
    ledger = book.get_sheet_by_name("得分明细").to_python()
    rows = {(r[0], r[2]): r for r in ledger if len(r) > 7 and r[0] in ("U01", "U02", "U03")}
    assert len(rows) == 27  # 3 units × (6 indicators + 加分 + two 扣分)
    assert rows[("U01", "扣分：迟报月度报表")][3:] == [2, "月", "—", -2, "2024-03、2024-04"]
    assert rows[("U01", "扣分：按时报表中漏报项目")][3:7] == [0, "项次", "—", 0]
    assert rows[("U02", "签约金额")][6] == "—"  # no target: left out
    warnings = book.get_sheet_by_name("红色预警").to_python()
    header = warnings.index(RED_WARNING_HEADERS)
    assert warnings[header + 1:header + 6] == [
        [unit, rule, subject, "—" if since is None else f"{since:%Y-%m-%d}", detail]
        for unit, rule, subject, since, detail in RED_WARNINGS_JUNE]
    summary = book.get_sheet_by_name("通报汇总").to_python()
    assert summary[0][0] == "2024年6月招商引资项目推进情况通报"
    assert bulletin_content(county, AS_OF).headline in [row[0] for row in summary]


def test_formula_like_names_are_written_as_text(county):
    """A unit or project named '=cmd|…' is written as quoted text: the workbook has no formula at all."""
    county.execute("UPDATE units SET name = ? WHERE code = 'U03'", [FORMULA])
    county.execute("UPDATE snapshots SET project_name = ? WHERE project_name = 'S项目'", ["@" + FORMULA])
    data = bulletin_xlsx(county, AS_OF)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/")]
        assert len(sheets) == len(SHEETS)
        assert not any(b"<f>" in package.read(n) or b"<f " in package.read(n) for n in sheets)
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    cells = {c for name in SHEETS for row in book.get_sheet_by_name(name).to_python() for c in row}
    assert "'" + FORMULA in cells and "'@" + FORMULA in cells
    assert FORMULA not in cells


@pytest.mark.parametrize(("text", "written"), [
    ("=1+2", "'=1+2"), ("+86 0571", "'+86 0571"), ("-5号地块", "'-5号地块"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("经济开发区", "经济开发区"), ("a=b", "a=b"), ("", ""),
])
def test_safe_text(text, written):
    """Only text a spreadsheet would start a formula with gets the leading quote."""
    assert safe_text(text) == written


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pipelines.bulletin", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)


def test_cli_writes_word_as_of_a_day_or_for_a_month_and_refuses_others(county, tmp_path):
    """--out FILE.docx is written (exit 0), as of a day or as the report for a month known by a day; FILE.pdf is
    refused with a message (exit 1)."""
    county.close()
    db = str(tmp_path / "test.duckdb")
    done = _cli("--as-of", "2024-06-30", "--out", str(tmp_path / "通报.docx"), "--db", db)
    assert done.returncode == 0, done.stderr
    assert _docx_tables((tmp_path / "通报.docx").read_bytes())[0][1][1] == "经济开发区"
    done = _cli("--period", "2024-06", "--known-by", "2024-07-12", "--out", str(tmp_path / "6月.docx"), "--db", db)
    assert done.returncode == 0, done.stderr
    paragraphs = [p.text for p in docx.Document(str(tmp_path / "6月.docx")).paragraphs]
    assert any(p.startswith("数据截至2024年6月30日，计入2024年7月12日以前收到的报表") for p in paragraphs)
    refused = _cli("--as-of", "2024-06-30", "--out", str(tmp_path / "通报.pdf"), "--db", db)
    assert refused.returncode == 1
    assert "不支持的文件类型：通报.pdf" in refused.stderr
    assert not (tmp_path / "通报.pdf").exists()


def test_cli_writes_excel(county, tmp_path):
    """--out FILE.xlsx is written (exit 0) with every sheet."""
    county.close()
    db = str(tmp_path / "test.duckdb")
    done = _cli("--as-of", "2024-06-30", "--out", str(tmp_path / "通报.xlsx"), "--db", db)
    assert done.returncode == 0, done.stderr
    assert CalamineWorkbook.from_path(str(tmp_path / "通报.xlsx")).sheet_names == list(SHEETS)


def test_no_unit_register_is_refused(con):
    """A database without units has nobody to report on: a message, not an empty 通报."""
    with pytest.raises(NoUnits, match="还没有招商单元名录"):
        bulletin_content(con, AS_OF)


def test_a_project_name_with_control_characters_or_markdown_is_written_as_text(tmp_path):
    """A name carrying a vertical tab or a NUL (which Word's XML cannot hold) no longer fails the document: the
    character is dropped and the rest, Markdown marks included, is written as it was typed; the workbook keeps it
    as text too."""
    from docx import Document as Read

    from pipelines.bulletin.content import Bulletin, Column, Masthead, Section
    from pipelines.bulletin.excel import render_xlsx
    from pipelines.bulletin.word import render_docx

    name = "甲\x0b项目\x00![x](http://evil.example/p.png)"
    table = Table("需要关注的项目", (Column("项目名称"),), [(name,)])
    masthead = Masthead("招商引资工作通报", None, "办公室", dt.date(2024, 7, 12), "各招商单元", "县领导")
    bulletin = Bulletin("2024年6月", "截至2024年6月30日", f"全县{name}", [Section("需要关注", "需要关注", [table])],
                        masthead)
    document = Read(io.BytesIO(render_docx(bulletin)))
    texts = [p.text for p in document.paragraphs] + [c.text for t in document.tables for r in t.rows for c in r.cells]
    assert "甲项目![x](http://evil.example/p.png)" in texts
    assert render_xlsx(bulletin)[:2] == b"PK"
