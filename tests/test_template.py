"""The templates: the 月度项目进展表 and the 年度目标任务表 — canonical headers, 填表说明, drop-downs, formats, and the
prefilled round trips."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from pipelines import settings, template
from pipelines.admin import register
from pipelines.cells import uscc_check_char
from pipelines.ingest.columns import PROJECT_COLUMNS, TARGET_COLUMNS
from pipelines.ingest.layout import find_layout, find_layouts
from pipelines.ingest.load import SNAPSHOT_FIELDS
from pipelines.ingest.run import ingest_file
from pipelines.ingest.workbook import read_sheets
from pipelines.store import db, queries
from pipelines.vocabulary import WAN_PER_YI
from tests.conftest import ADMIN

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
USCC = "91330782MA2BCDE10" + uscc_check_char("91330782MA2BCDE10")
HEADERS = [c.header for c in PROJECT_COLUMNS]

# The first month U01 and U02 report (period 2024-10): header → value; absent headers are blank cells.
OCTOBER = [
    {"报告期": "2024-10", "填报单位": "U01", "项目名称": "年产5万吨功能性面料项目", "投资方": "浙江锦程纺织有限公司",
     "统一社会信用代码": USCC, "产业类别": "制造业", "产业链": "纺织服装", "是否外资": "是", "计划总投资(万元)": 120000,
     "固定资产投资(万元)": 90000, "外资金额(万美元)": 3000, "用地面积(亩)": 150.5,
     "线索登记日期": dt.date(2023, 11, 2), "研判通过日期": dt.date(2023, 12, 15), "审批通过日期": dt.date(2024, 1, 20),
     "签约日期": dt.date(2024, 3, 8), "开工日期": dt.date(2024, 6, 18), "纳统日期": dt.date(2024, 8, 1),
     "计划开工日期": dt.date(2024, 6, 1), "项目状态": "正常推进", "年度计划投资(万元)": 30000,
     "累计完成投资(万元)": 18500.5, "累计到位资金(万元)": 20000, "本月进展": "主体厂房封顶", "存在问题": "用电指标待落实",
     "包联领导": "王副县长", "联系人": "李明", "联系电话": "05791234567"},
    {"报告期": "2024-10", "填报单位": "U01", "项目名称": "生物医药研发中心", "产业类别": "服务业",
     "计划总投资(万元)": 8000, "线索登记日期": dt.date(2024, 9, 3)},
    {"报告期": "2024-10", "填报单位": "U01", "项目名称": "智能仓储物流园", "投资方": "华东物流集团",
     "产业类别": "服务业", "计划总投资(万元)": 50000, "签约日期": dt.date(2024, 5, 6), "项目状态": "暂缓",
     "是否外资": "否"},
    {"报告期": "2024-10", "填报单位": "U01", "项目名称": "光伏组件项目", "投资方": "晶辉新能源有限公司",
     "产业类别": "制造业", "计划总投资(万元)": 200000, "签约日期": dt.date(2024, 2, 1), "项目状态": "终止"},
    {"报告期": "2024-10", "填报单位": "U01", "项目名称": "精密轴承项目", "投资方": "恒力精工有限公司",
     "产业类别": "制造业", "计划总投资(万元)": 30000, "签约日期": dt.date(2023, 3, 1),
     "开工日期": dt.date(2023, 5, 1), "投产日期": dt.date(2024, 9, 15)},
    {"报告期": "2024-10", "填报单位": "U02", "项目名称": "城东商业综合体", "投资方": "城东置业有限公司",
     "产业类别": "服务业", "计划总投资(万元)": 60000, "签约日期": dt.date(2024, 4, 1)},
]
OWED_BY_U01 = ["年产5万吨功能性面料项目", "生物医药研发中心", "智能仓储物流园"]


def _write_month(path: Path, rows: list[dict]) -> Path:
    book = xlsxwriter.Workbook(path, {"default_date_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet("Sheet1")
    sheet.write_row(0, 0, HEADERS)
    for i, row in enumerate(rows, start=1):
        for j, header in enumerate(HEADERS):
            if header in row:
                sheet.write(i, j, row[header])
    book.close()
    return path


@pytest.fixture
def october(units, tmp_path: Path):
    """The database after U01's and U02's 2024-10 reports, received 2024-11-05."""
    report = ingest_file(units, _write_month(tmp_path / "2024-10.xlsx", OCTOBER), ADMIN,
                         received_at=dt.datetime(2024, 11, 5))
    assert (report.status, report.rows_loaded, report.rows_rejected) == ("loaded", 6, 0)
    return units


def _save(tmp_path: Path, data: bytes, name: str = "template.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _data_rows(path: Path) -> list[dict]:
    """The data sheet's rows that name a project, as header → cell."""
    sheet = read_sheets(path, settings.current().ingest)[0]
    header = sheet.rows[1]
    return [dict(zip(header, row)) for row in sheet.rows[2:] if row[header.index("项目名称")]]


def _sheet_xml(data: bytes, part: str) -> ElementTree.Element:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return ElementTree.fromstring(package.read(part))


def test_blank_template_header_is_exactly_the_canonical_columns(tmp_path):
    """The blank template's data sheet reads back as every canonical project field, in order, nothing ignored."""
    path = _save(tmp_path, template.template_bytes())
    layouts = find_layouts(read_sheets(path, settings.current().ingest), settings.current().ingest.header_search_rows)
    assert len(layouts) == 1
    layout = layouts[0]
    assert (layout.kind, layout.sheet.name, layout.data_start) == ("projects", "月度项目进展表", 2)
    assert [f.column.id for f in layout.fields] == [c.id for c in PROJECT_COLUMNS]
    assert [f.header for f in layout.fields] == HEADERS
    assert [f.scale for f in layout.fields] == [1.0] * len(PROJECT_COLUMNS)
    assert layout.ignored_headers == []
    assert layout.ignored_indexes == frozenset({0})
    assert layout.sheet.rows[1][0] == "序号"


def test_instructions_sheet_explains_every_column_and_is_not_read_as_data(tmp_path):
    """填表说明 lists every column with required flag and unit, has no recognisable header, and adds no rows."""
    path = _save(tmp_path, template.template_bytes())
    sheets = read_sheets(path, settings.current().ingest)
    assert [s.name for s in sheets] == ["月度项目进展表", "填表说明"]
    instructions = sheets[1]
    assert find_layout(instructions, settings.current().ingest.header_search_rows) is None
    start = next(i for i, row in enumerate(instructions.rows) if row[0] == "列名") + 1
    table = instructions.rows[start:]
    assert [r[0] for r in table] == HEADERS
    assert [r[1] for r in table] == ["必填" if c.required else "选填" for c in PROJECT_COLUMNS]
    assert [r[3] for r in table] == [c.unit for c in PROJECT_COLUMNS]
    assert [r[4] for r in table] == [c.help for c in PROJECT_COLUMNS]
    assert table[HEADERS.index("签约日期")][2] == "日期，如 2024-03-08；只知月份时可填 2024-03（按当月1日计）"


def test_blank_template_ingests_as_a_file_without_data_rows(units, tmp_path):
    """Uploading the blank template reads only its data sheet and finds no rows (填表说明 yields none)."""
    report = ingest_file(units, _save(tmp_path, template.template_bytes()), ADMIN)
    assert (report.status, report.kind, report.message) == ("rejected", "projects", "表头下没有任何数据行")


def test_enumerations_have_drop_down_lists():
    """产业类别, 是否外资 and 项目状态 carry list validations with exactly the vocabulary, over every data row."""
    root = _sheet_xml(template.template_bytes(), "xl/worksheets/sheet1.xml")
    lists = {v.get("sqref"): v.find("m:formula1", _NS).text
             for v in root.iter(f"{{{_NS['m']}}}dataValidation") if v.get("type") == "list"}

    def column(header: str) -> str:
        letter = xl_col_to_name(HEADERS.index(header) + 1)
        return f"{letter}3:{letter}1048576"

    assert lists == {
        column("产业类别"): '"制造业,服务业,农业,文旅,康养,其他"',
        column("是否外资"): '"是,否"',
        column("项目状态"): '"正常推进,暂缓,终止"',
    }


def test_columns_are_formatted_by_kind_and_header_is_frozen():
    """Dates are yyyy-mm-dd, amounts numbers, the rest (项目编号, 联系电话, 报告期 …) text; the header is frozen."""
    data = template.template_bytes()
    sheet, styles = _sheet_xml(data, "xl/worksheets/sheet1.xml"), _sheet_xml(data, "xl/styles.xml")
    codes = {49: "@", 4: "#,##0.00"}
    codes.update({int(f.get("numFmtId")): f.get("formatCode") for f in styles.iter(f"{{{_NS['m']}}}numFmt")})
    xfs = [int(xf.get("numFmtId")) for xf in styles.find("m:cellXfs", _NS)]
    by_column = {}
    for col in sheet.iter(f"{{{_NS['m']}}}col"):
        for index in range(int(col.get("min")), int(col.get("max")) + 1):
            by_column[index] = codes.get(xfs[int(col.get("style", 0))])
    formats = {header: by_column[i + 2] for i, header in enumerate(HEADERS)}  # <col> is 1-based, after 序号
    expected = {c.header: "yyyy-mm-dd" if c.kind == "date" else "#,##0.00" if c.kind in ("money", "usd", "area")
                else "@" for c in PROJECT_COLUMNS}
    assert formats == expected
    assert (formats["项目编号"], formats["联系电话"], formats["报告期"], formats["计划总投资(万元)"]) == \
        ("@", "@", "@", "#,##0.00")
    pane = sheet.find("m:sheetViews/m:sheetView/m:pane", _NS)
    assert (pane.get("topLeftCell"), pane.get("state")) == ("F3", "frozen")


def test_prefilled_template_holds_the_units_owed_projects_only(october, tmp_path):
    """U01's 2024-11 template has its active and paused projects, not the terminated, produced or U02's ones."""
    path = _save(tmp_path, template.template_bytes(october, "U01", dt.date(2024, 11, 1)))
    rows = _data_rows(path)
    codes = dict(october.execute("SELECT p.code, s.project_name FROM projects p JOIN snapshots s "
                                 "ON s.project_id = p.id").fetchall())
    assert sorted(r["项目名称"] for r in rows) == sorted(OWED_BY_U01)
    assert {r["报告期"] for r in rows} == {"2024-11"}
    assert {r["填报单位"] for r in rows} == {"U01"}
    assert {codes[r["项目编号"]] for r in rows} == set(OWED_BY_U01)
    assert [r["序号"] for r in rows] == [1.0, 2.0, 3.0]
    first = next(r for r in rows if r["项目名称"] == OWED_BY_U01[0])
    assert (first["签约日期"], first["统一社会信用代码"], first["联系电话"], first["是否外资"], first["项目状态"]) == \
        (dt.date(2024, 3, 8), USCC, "05791234567", "是", "正常推进")
    assert (first["计划总投资(万元)"], first["累计完成投资(万元)"], first["用地面积(亩)"]) == (120000.0, 18500.5, 150.5)
    paused = next(r for r in rows if r["项目名称"] == "智能仓储物流园")
    assert (paused["项目状态"], paused["是否外资"]) == ("暂缓", "否")
    sheet = read_sheets(path, settings.current().ingest)[0]
    assert sheet.rows[0][0] == "经济开发区2024年11月招商引资项目推进情况表"


def test_prefilled_template_loads_back_unchanged_into_the_same_projects(october, tmp_path):
    """The unchanged 2024-11 template loads every row, no rejections or warnings, same project ids and values."""
    before = october.execute("SELECT count(*) FROM projects").fetchone()[0]
    path = _save(tmp_path, template.template_bytes(october, "U01", dt.date(2024, 11, 1)))
    report = ingest_file(october, path, ADMIN, received_at=dt.datetime(2024, 12, 5))
    assert (report.status, report.rows_loaded, report.rows_rejected) == ("loaded", 3, 0)
    assert (report.rejections, report.warnings, report.missing) == ([], [], [])
    assert october.execute("SELECT count(*) FROM projects").fetchone()[0] == before == 6
    fields = ", ".join(name for name, _ in SNAPSHOT_FIELDS)

    def snapshots(period: str) -> list[tuple]:
        return october.execute(
            f"SELECT project_id, unit_code, {fields} FROM snapshots WHERE period = $p AND unit_code = 'U01'"
            " AND status <> 'terminated' AND production_date IS NULL ORDER BY project_id",
            {"p": dt.date.fromisoformat(period + "-01")}).fetchall()

    assert len(snapshots("2024-10")) == 3
    assert snapshots("2024-11") == snapshots("2024-10")


def test_prefilled_template_keeps_a_project_that_went_into_production_this_period(october, tmp_path):
    """A project whose 投产日期 falls in the template's own period stays on it; one produced before is left out."""
    produced = dict(OCTOBER[4], 报告期="2024-11", 投产日期=dt.date(2024, 9, 15))
    moved = [dict(OCTOBER[1], 报告期="2024-11"),
             dict(OCTOBER[4], 报告期="2024-11", 项目名称="精密轴承二期", 投产日期=dt.date(2024, 11, 3))]
    report = ingest_file(october, _write_month(tmp_path / "2024-11.xlsx", [produced, *moved]), ADMIN,
                         received_at=dt.datetime(2024, 11, 20))
    assert (report.status, report.rows_loaded, report.rows_rejected) == ("loaded", 3, 0)
    rows = _data_rows(_save(tmp_path, template.template_bytes(october, "U01", dt.date(2024, 11, 1))))
    assert sorted(r["项目名称"] for r in rows) == sorted([*OWED_BY_U01, "精密轴承二期"])


def test_prefilled_template_needs_a_registered_unit_and_both_arguments(units):
    """A unit not in the register, or a unit without a period, is refused with a reason."""
    with pytest.raises(template.TemplateError, match="^填报单位“U99”不在单元名录中$"):
        template.template_bytes(units, "U99", dt.date(2024, 11, 1))
    with pytest.raises(template.TemplateError, match="^预填模板须同时指定填报单位和报告期$"):
        template.template_bytes(units, "U01")


def test_prefilled_template_accepts_the_unit_name(october):
    """The unit may be named instead of coded: 经济开发区 gives the same rows as U01."""
    by_name = template.template_bytes(october, "经济开发区", dt.date(2024, 11, 1))
    by_code = template.template_bytes(october, "U01", dt.date(2024, 11, 1))
    assert re.findall(rb"ZS\d{6}", by_name) == re.findall(rb"ZS\d{6}", by_code)


def test_cli_writes_blank_and_prefilled_templates(october, tmp_path):
    """The CLI writes the blank template without a database and the prefilled one from --db."""
    blank, filled = tmp_path / "out" / "blank.xlsx", tmp_path / "filled.xlsx"
    assert template.main(["--out", str(blank)]) == 0
    assert [s.name for s in read_sheets(blank, settings.current().ingest)] == ["月度项目进展表", "填表说明"]
    assert template.main(["--out", str(filled), "--unit", "U01", "--period", "2024-11",
                          "--db", str(tmp_path / "test.duckdb")]) == 0
    assert sorted(r["项目名称"] for r in _data_rows(filled)) == sorted(OWED_BY_U01)


def test_cli_reports_a_busy_database_in_one_line(units, tmp_path, monkeypatch, capsys):
    """A database held by another process gives its one-line message on stderr, exit 2, and no file."""
    def busy(path, read_only=False):
        raise db.StoreBusy(f"数据库 {path} 正被另一进程（通常是看板服务）占用")

    monkeypatch.setattr(db, "connect", busy)
    out = tmp_path / "t.xlsx"
    assert template.main(["--out", str(out), "--unit", "U01", "--period", "2024-11"]) == 2
    assert capsys.readouterr().err == f"数据库 {tmp_path / 'test.duckdb'} 正被另一进程（通常是看板服务）占用\n"
    assert not out.exists()


def test_cli_refuses_unknown_unit_and_lone_unit(units, tmp_path, capsys):
    """An unknown unit exits 1 with the reason; --unit without --period is a usage error (exit 2)."""
    out = tmp_path / "t.xlsx"
    assert template.main(["--out", str(out), "--unit", "U99", "--period", "2024-11"]) == 1
    assert capsys.readouterr().err == "填报单位“U99”不在单元名录中\n"
    with pytest.raises(SystemExit) as exit_info:
        template.main(["--out", str(out), "--unit", "U01"])
    assert exit_info.value.code == 2
    assert not out.exists()


# ---- the 年度目标任务表 --------------------------------------------------------------------------------------------

TARGET_HEADERS = [c.header for c in TARGET_COLUMNS]
U01_TARGETS = {"signed_major": 6, "signed_amount_wan": 12.5, "in_stats": 3, "signed_10_50yi": 1, "signed_5_10yi": 2,
               "invested_year_wan": 8.4}


@pytest.fixture
def with_targets(units):
    """U01's 2024 targets set on the 系统管理 screen (签约金额 12.5亿, 本年完成投资 8.4亿, 新纳统 3, two size bands)."""
    register.set_targets(units, ADMIN, 2024, "U01", U01_TARGETS, now=dt.datetime(2024, 1, 10))
    return units


def test_blank_targets_template_header_is_exactly_the_target_columns(tmp_path):
    """The blank 年度目标任务表 reads back as a targets workbook with every target column, in order, the money
    columns in 亿元 (converted to 万元 on loading), nothing ignored."""
    path = _save(tmp_path, template.targets_template_bytes())
    layouts = find_layouts(read_sheets(path, settings.current().ingest), settings.current().ingest.header_search_rows)
    assert len(layouts) == 1
    layout = layouts[0]
    assert (layout.kind, layout.sheet.name, layout.data_start) == ("targets", "年度目标任务表", 2)
    assert [f.column.id for f in layout.fields] == [c.id for c in TARGET_COLUMNS]
    assert [f.header for f in layout.fields] == TARGET_HEADERS
    assert {f.column.id: f.scale for f in layout.fields if f.scale != 1.0} == {
        "signed_amount_wan": WAN_PER_YI, "invested_year_wan": WAN_PER_YI}
    assert (layout.ignored_headers, layout.ignored_indexes) == ([], frozenset({0}))


def test_targets_instructions_explain_every_column_and_the_new_targets(tmp_path):
    """The targets' 填表说明 lists every column (必填 for 年度 and 单元编码, 亿元 for money) with its 说明 — the size
    bands with their edges, 本年完成投资 as the year's growth of 累计完成投资 — and is not read as data."""
    sheets = read_sheets(_save(tmp_path, template.targets_template_bytes()), settings.current().ingest)
    assert [s.name for s in sheets] == ["年度目标任务表", "填表说明"]
    assert find_layout(sheets[1], settings.current().ingest.header_search_rows) is None
    start = next(i for i, row in enumerate(sheets[1].rows) if row[0] == "列名") + 1
    table = {row[0]: row[1:] for row in sheets[1].rows[start:start + len(TARGET_COLUMNS)]}
    assert list(table) == TARGET_HEADERS
    assert [table[h][0] for h in TARGET_HEADERS] == ["必填", "必填", *["选填"] * (len(TARGET_HEADERS) - 2)]
    assert {h: row[2] for h, row in table.items() if row[2]} == {"签约金额(亿元)": "亿元", "本年完成投资(亿元)": "亿元"}
    assert all(row[3] for row in table.values())
    assert table["签约50亿元以上项目数"][3] == "本年签约、计划总投资50亿元（含）以上的项目个数"
    assert table["签约10亿至50亿元项目数"][3] == "本年签约、计划总投资10亿元（含）至50亿元（不含）的项目个数"
    assert table["签约5亿至10亿元项目数"][3] == "本年签约、计划总投资5亿元（含）至10亿元（不含）的项目个数"
    assert table["新纳统项目数"][3] == "本年新纳统（入库）的1亿元以上项目个数"
    assert table["本年完成投资(亿元)"][3] == "1亿元以上项目本年完成投资合计（累计完成投资减去上年末数），单位亿元"
    assert (table["年度"][1], table["新纳统项目数"][1], table["签约金额(亿元)"][1]) == ("整数，如 2026", "整数", "数字")


def test_prefilled_targets_template_lists_every_unit_with_its_targets_in_force(with_targets, tmp_path):
    """The 2024 template has a row per registered unit with 年度 and 单元编码, U01's targets as set (money in 亿元)
    and the others blank; the 填表说明 lists the register, which 单元编码's drop-down offers."""
    data = template.targets_template_bytes(with_targets, 2024)
    sheets = read_sheets(_save(tmp_path, data), settings.current().ingest)
    header = sheets[0].rows[1]
    rows = {row[2]: dict(zip(header, row)) for row in sheets[0].rows[2:]}
    assert sheets[0].rows[0][0] == "2024年度招商引资目标任务分解表"
    assert sorted(rows) == ["U01", "U02", "U03"]
    assert {r["年度"] for r in rows.values()} == {2024.0}
    labels = {c.id: c.header for c in TARGET_COLUMNS}
    assert {labels[k]: rows["U01"][labels[k]] for k in U01_TARGETS} == {labels[k]: v for k, v in U01_TARGETS.items()}
    assert {h for h in TARGET_HEADERS[2:] if rows["U01"][h] == ""} == {
        labels[k] for k in ("commenced", "production", "major_manufacturing", "signed_50yi")}
    assert {rows["U02"][h] for h in TARGET_HEADERS[2:]} == {""}
    start = next(i for i, row in enumerate(sheets[1].rows) if row[0] == "单元名录") + 2
    register_rows = [row[:3] for row in sheets[1].rows[start:]]
    assert sorted(register_rows) == [("U01", "经济开发区", "园区组"), ("U02", "城东街道", "乡镇组"),
                                     ("U03", "城西街道", "乡镇组")]
    root = _sheet_xml(data, "xl/worksheets/sheet1.xml")
    lists = {v.get("sqref"): v.find("m:formula1", _NS).text
             for v in root.iter(f"{{{_NS['m']}}}dataValidation") if v.get("type") == "list"}
    assert lists == {"C3:C1048576": f"'填表说明'!$A${start + 1}:$A${start + 3}"}


def test_prefilled_targets_template_loads_back_without_changing_any_target(with_targets, tmp_path):
    """Sent back unchanged, the template loads U01's row with the same targets (亿元 → 万元) and sets none for the
    units it leaves blank."""
    before = queries.frame(with_targets, "targets_as_of", year=2024, as_of=dt.date(2024, 12, 31))
    path = _save(tmp_path, template.targets_template_bytes(with_targets, 2024))
    report = ingest_file(with_targets, path, ADMIN, received_at=dt.datetime(2024, 2, 1))
    assert (report.status, report.kind, report.rows_loaded) == ("loaded", "targets", 1)
    after = queries.frame(with_targets, "targets_as_of", year=2024, as_of=dt.date(2024, 12, 31))
    pd.testing.assert_frame_equal(after, before)
    assert with_targets.execute("SELECT count(*), count(DISTINCT submission_id) FROM targets").fetchone() == (2, 2)
    assert (after.loc[0, "signed_amount_wan"], after.loc[0, "invested_year_wan"]) == (125000.0, 84000.0)


def test_cli_writes_the_blank_and_prefilled_targets_templates(with_targets, tmp_path, capsys):
    """--targets writes the blank 年度目标任务表; with --year it lists the register from --db; --year alone and
    --targets with --unit are usage errors."""
    blank, filled = tmp_path / "blank.xlsx", tmp_path / "filled.xlsx"
    assert template.main(["--targets", "--out", str(blank)]) == 0
    assert read_sheets(blank, settings.current().ingest)[0].name == "年度目标任务表"
    assert template.main(["--targets", "--year", "2024", "--out", str(filled),
                          "--db", str(tmp_path / "test.duckdb")]) == 0
    assert sorted(row[2] for row in read_sheets(filled, settings.current().ingest)[0].rows[2:]) == [
        "U01", "U02", "U03"]
    for args in (["--year", "2024"], ["--targets", "--unit", "U01", "--period", "2024-11"]):
        with pytest.raises(SystemExit) as exit_info:
            template.main([*args, "--out", str(tmp_path / "x.xlsx")])
        assert exit_info.value.code == 2
    assert not (tmp_path / "x.xlsx").exists()
