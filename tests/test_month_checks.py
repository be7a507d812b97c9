"""pipelines.ingest.compare: each accepted row against its project's latest snapshot of an earlier month (DOMAIN §6)
— exact warnings in the report, the preview and the stored submission, never a rejection."""
from __future__ import annotations

import datetime as dt

import pytest

from pipelines.access import Actor
from pipelines.ingest.run import ingest_file, preview_file
from pipelines.store import queries
from tests.fixtures import build

ADMIN = Actor("测试管理员", "admin")
OCT_RECEIVED = dt.datetime(2024, 11, 5, 9, 30)
NOV_RECEIVED = dt.datetime(2024, 12, 5, 9, 30)
SIGNED = {"投资方": "恒远新材料有限公司", "签约日期": "2024-03-08"}


def _load(con, directory, name: str, rows: list[dict], received: dt.datetime):
    return ingest_file(con, build.write_xlsx(directory / name, build.project_table(rows)), ADMIN,
                       received_at=received)


def _two_months(con, directory, october: dict, november: dict):
    """甲项目 reported in October with the cells `october`, then in November with `november`: November's report."""
    _load(con, directory, "10月.xlsx", [build.report_row("甲项目", **october)], OCT_RECEIVED)
    return _load(con, directory, "11月.xlsx", [build.report_row("甲项目", period="2024-11", **november)], NOV_RECEIVED)


CASES = [
    # October's cells, November's cells → the warnings of November's row 2 (column, text after the column)
    ({"累计完成投资(万元)": 5000}, {"累计完成投资(万元)": 4000},
     [("累计完成投资(万元)", "由5000万元减少为4000万元（与2024年10月报送相比），请核实")]),
    ({"累计完成投资(万元)": 5000}, {"累计完成投资(万元)": 4999.5},
     [("累计完成投资(万元)", "由5000万元减少为4999.5万元（与2024年10月报送相比），请核实")]),
    ({"累计完成投资(万元)": 5000}, {"累计完成投资(万元)": 5000}, []),
    ({"累计完成投资(万元)": 5000}, {}, []),
    ({}, {"累计完成投资(万元)": 4000}, []),
    ({"累计完成投资(万元)": 5000}, {"累计完成投资（亿元）": 0.4},
     [("累计完成投资（亿元）", "由5000万元减少为4000万元（与2024年10月报送相比），请核实")]),
    ({"累计到位资金(万元)": 3000}, {"累计到位资金(万元)": 2500},
     [("累计到位资金(万元)", "由3000万元减少为2500万元（与2024年10月报送相比），请核实")]),
    ({"累计到位资金(万元)": 3000}, {}, []),
    ({}, {"累计到位资金(万元)": 12001},
     [("累计到位资金(万元)", "12001万元 大于计划总投资 12000万元，请核实")]),
    ({}, {"累计到位资金(万元)": 12000}, []),
    (SIGNED, {"投资方": "恒远新材料有限公司"},
     [("签约日期", "上期（2024年10月）为2024-03-08，本期为空，请核实")]),
    (SIGNED, {**SIGNED, "签约日期": "2024-04-01"},
     [("签约日期", "由2024-03-08改为2024-04-01（与2024年10月报送相比）")]),
    ({**SIGNED, "开工日期": "2024-09-20"}, {**SIGNED, "开工时间": "2024-09-21"},
     [("开工时间", "由2024-09-20改为2024-09-21（与2024年10月报送相比）")]),
    (SIGNED, SIGNED, []),
    ({}, SIGNED, []),
    ({}, {"计划总投资(万元)": 18000},
     [("计划总投资(万元)", "由12000万元改为18000万元，变动超过50%（与2024年10月报送相比），请核实")]),
    ({}, {"计划总投资(万元)": 6000},
     [("计划总投资(万元)", "由12000万元改为6000万元，变动超过50%（与2024年10月报送相比），请核实")]),
    ({}, {"计划总投资(万元)": 17999}, []),
    ({}, {"计划总投资(万元)": 6001}, []),
    ({"项目状态": "终止"}, {"项目状态": "正常推进"},
     [("项目状态", "由终止改为正常推进（与2024年10月报送相比），请核实")]),
    ({"项目状态": "终止"}, {}, [("项目状态", "由终止改为正常推进（与2024年10月报送相比），请核实")]),
    ({"项目状态": "终止"}, {"项目状态": "暂缓"}, [("项目状态", "由终止改为暂缓（与2024年10月报送相比），请核实")]),
    ({"项目状态": "终止"}, {"项目状态": "终止"}, []),
    ({"项目状态": "暂缓"}, {"项目状态": "正常推进"}, []),
]


@pytest.mark.parametrize(("october", "november", "expected"), CASES)
def test_each_check_warns_with_its_exact_text_and_the_row_loads(units, tmp_path, october, november, expected):
    """Each finding is one warning under the sheet's own header naming October; blank and equal values, a
    milestone newly reached and a change under 50% give none; the row loads either way."""
    report = _two_months(units, tmp_path, october, november)
    assert (report.status, report.rows_loaded, report.rows_rejected, report.rejections) == ("loaded", 1, 0, [])
    assert [(p.row, p.column, p.reason) for p in report.warnings] == [
        (2, column, f"第2行（甲项目）{column} {text}") for column, text in expected]


def test_warnings_are_previewed_and_stored_with_the_submission(units, tmp_path):
    """A row with several findings: the preview shows its warnings, the load gives the same and stores them in
    row_problems, and the row's November values are what the store holds."""
    _load(units, tmp_path, "10月.xlsx", [build.report_row("甲项目", **SIGNED, 累计完成投资=5000, 累计到位资金=3000,
                                                         项目状态="终止")], OCT_RECEIVED)
    november = [build.report_row("甲项目", period="2024-11", total=30000, 投资方="恒远新材料有限公司", 累计完成投资=4000,
                                 累计到位资金=2000)]
    path = build.write_xlsx(tmp_path / "11月.xlsx", build.project_table(november))
    expected = [
        "第2行（甲项目）累计完成投资 由5000万元减少为4000万元（与2024年10月报送相比），请核实",
        "第2行（甲项目）累计到位资金 由3000万元减少为2000万元（与2024年10月报送相比），请核实",
        "第2行（甲项目）签约日期 上期（2024年10月）为2024-03-08，本期为空，请核实",
        "第2行（甲项目）计划总投资(万元) 由12000万元改为30000万元，变动超过50%（与2024年10月报送相比），请核实",
        "第2行（甲项目）项目状态 由终止改为正常推进（与2024年10月报送相比），请核实",
    ]
    preview = preview_file(units, path, ADMIN, received_at=NOV_RECEIVED)
    assert [p.reason for p in preview.report.warnings] == expected
    assert units.execute("SELECT count(*) FROM submissions").fetchone() == (1,)
    report = ingest_file(units, path, ADMIN, received_at=NOV_RECEIVED)
    assert (report.rows_loaded, report.rows_rejected, [p.reason for p in report.warnings]) == (1, 0, expected)
    stored = queries.rows(units, "submission_problems", id=report.submission_id)
    assert [(sheet, row, severity, reason) for sheet, row, _, severity, reason in stored] == [
        ("项目进展", 2, "warning", reason) for reason in expected]
    assert units.execute("SELECT invested_to_date_wan, status FROM snapshots WHERE submission_id = $s",
                         {"s": report.submission_id}).fetchall() == [(4000.0, "active")]


def test_compares_with_the_latest_earlier_month_not_an_earlier_file_of_the_same_month(units, tmp_path):
    """November is compared with October's latest file (the amendment received 11-08), not with September (even
    a September correction received later), nor with the first November file."""
    row = lambda invested, period="2024-10": build.report_row("甲项目", period=period, 累计完成投资=invested)
    _load(units, tmp_path, "9月.xlsx", [row(9000, "2024-09")], dt.datetime(2024, 10, 8))
    _load(units, tmp_path, "10月.xlsx", [row(5000)], OCT_RECEIVED)
    _load(units, tmp_path, "10月更正.xlsx", [row(6000)], dt.datetime(2024, 11, 8))
    _load(units, tmp_path, "9月更正.xlsx", [row(9500, "2024-09")], dt.datetime(2024, 11, 20))
    first = _load(units, tmp_path, "11月.xlsx", [row(4000, "2024-11")], NOV_RECEIVED)
    second = _load(units, tmp_path, "11月更正.xlsx", [row(5500, "2024-11")], NOV_RECEIVED + dt.timedelta(days=1))
    assert [p.reason for p in first.warnings] == [
        "第2行（甲项目）累计完成投资 由6000万元减少为4000万元（与2024年10月报送相比），请核实"]
    assert [p.reason for p in second.warnings] == [
        "第2行（甲项目）累计完成投资 由6000万元减少为5500万元（与2024年10月报送相比），请核实"]


def test_rows_of_different_months_in_one_file_each_compare_with_their_own_earlier_month(units, tmp_path):
    """An admin's file holding 甲's November and 乙's October compares 甲 with October and 乙 with September."""
    _load(units, tmp_path, "9月.xlsx", [build.report_row("甲项目", period="2024-09", 累计完成投资=1000),
                                       build.report_row("乙项目", period="2024-09", 累计完成投资=2000)],
          dt.datetime(2024, 10, 8))
    _load(units, tmp_path, "10月.xlsx", [build.report_row("甲项目", 累计完成投资=5000)], OCT_RECEIVED)
    report = _load(units, tmp_path, "补报.xlsx", [build.report_row("甲项目", period="2024-11", 累计完成投资=4000),
                                                 build.report_row("乙项目", 累计完成投资=1500)], NOV_RECEIVED)
    assert [p.reason for p in report.warnings] == [
        "第2行（甲项目）累计完成投资 由5000万元减少为4000万元（与2024年10月报送相比），请核实",
        "第3行（乙项目）累计完成投资 由2000万元减少为1500万元（与2024年9月报送相比），请核实"]


def test_a_new_project_and_a_first_report_get_no_warning(units, tmp_path):
    """A project new in November, and October's first report of 甲, have nothing earlier to compare with."""
    october = _load(units, tmp_path, "10月.xlsx", [build.report_row("甲项目", 累计完成投资=5000)], OCT_RECEIVED)
    november = _load(units, tmp_path, "11月.xlsx", [build.report_row("甲项目", period="2024-11", 累计完成投资=5000),
                                                   build.report_row("乙项目", period="2024-11", 累计完成投资=100,
                                                                    项目状态="正常推进")], NOV_RECEIVED)
    assert (october.warnings, november.warnings, november.rows_loaded) == ([], [], 2)
