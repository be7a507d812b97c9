"""pipelines.ingest.run end to end: real-looking workbooks land as exact snapshots; bad rows and bad files are
explained; loads are idempotent, superseded, all-or-nothing; identities hold across months; the CLI of DOMAIN §9."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import duckdb
import pytest

from pipelines import settings
from pipelines.access import Actor
from pipelines.figures import duty
from pipelines.ingest import layout, load, run
from pipelines.ingest.run import ingest_file
from pipelines.ingest.validate import UnitDirectory
from pipelines.settings import ROOT
from pipelines.store import state
from tests.fixtures import build

D = dt.date
ADMIN = Actor("测试管理员", "admin")
EAST_USER = Actor("王丽", "unit", "U02")
OCT_RECEIVED = dt.datetime(2024, 11, 5, 9, 30)


def _ingest(con, path, actor: Actor = ADMIN, received: dt.datetime = OCT_RECEIVED, **options):
    return ingest_file(con, path, actor, received_at=received, **options)


def _dicts(con, sql: str, **params) -> list[dict]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _snapshots(con) -> dict[str, dict]:
    """The latest snapshot of every project name, as stored."""
    rows = _dicts(con, "SELECT * FROM snapshots ORDER BY submission_id, row_number")
    return {row["project_name"]: row for row in rows}


def _pick(row: dict, *keys: str) -> tuple:
    return tuple(row[k] for k in keys)


def _counts(con) -> dict[str, int]:
    """Rows in every table of the store (names from the catalog, not from input)."""
    tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def _report(name: str, rows: list[dict], directory, **options):
    return build.write_xlsx(directory / name, build.project_table(rows, **options))


# ------------------------------------------------------------------------------------------- accepted variants

def test_town_report_loads_with_exact_canonical_values(units, tmp_path):
    """城东街道's messy report (titles, 序号, 亿元, text numbers, every date typing, 合计, signature) gives exactly
    these snapshots, numbered by the sheet rows Excel shows."""
    report = _ingest(units, build.town_report(tmp_path))
    assert (report.status, report.kind, report.rows_loaded, report.rows_rejected, report.rejections) == (
        "loaded", "projects", 3, 0, [])
    keys = ("sheet", "row_number", "unit_code", "period", "investor_uscc", "industry", "total_investment_wan",
            "fixed_investment_wan", "land_mu", "signed_date", "commenced_date", "in_stats_date", "status")
    assert {name: _pick(row, *keys) for name, row in _snapshots(units).items()} == {
        "年产10万吨新材料项目": ("10月", 4, "U02", D(2024, 10, 1), "91110000802100433B", "制造业", 120000.0, 95000.0,
                         120.5, D(2024, 3, 8), D(2024, 5, 1), D(2024, 9, 1), "active"),
        "智能装备产业园（一期）": ("10月", 5, "U02", D(2024, 10, 1), "91440300708461136T", "制造业", 15000.0, None,
                          None, D(2024, 6, 18), None, None, "active"),
        "城东文旅综合体": ("10月", 7, "U02", D(2024, 10, 1), None, "文旅", 8000.0, None, None, None, None, None,
                    "paused"),
    }
    [submission] = _dicts(units, "SELECT * FROM submissions")
    assert _pick(submission, "kind", "unit_code", "period", "received_at", "submitted_by", "rows_loaded",
                 "rows_rejected", "status") == ("projects", "U02", D(2024, 10, 1), OCT_RECEIVED, "测试管理员", 3, 0,
                                                "loaded")


def test_multi_sheet_report_takes_the_period_given_at_upload(units, tmp_path):
    """Both data sheets of 经济开发区's report load (the 填表说明 sheet is not data), with the upload's 报告期."""
    path = build.zone_report(tmp_path)
    report = _ingest(units, path, period=D(2024, 10, 1))
    assert (report.status, report.rows_loaded) == ("loaded", 3)
    keys = ("sheet", "row_number", "unit_code", "period", "total_investment_wan", "signed_date", "commenced_date",
            "invested_to_date_wan")
    assert {name: _pick(row, *keys) for name, row in _snapshots(units).items()} == {
        "新能源汽车零部件产业园": ("续建项目", 3, "U01", D(2024, 10, 1), 250000.0, D(2023, 11, 2), D(2024, 2, 26), 86500.5),
        "生物医药中试基地": ("续建项目", 4, "U01", D(2024, 10, 1), 80000.0, D(2024, 1, 15), D(2024, 4, 1), 12000.0),
        "数字经济产业园": ("新签约项目", 2, "U01", D(2024, 10, 1), 30000.0, D(2024, 9, 20), None, None),
    }


def test_a_report_without_month_and_unit_columns_takes_them_from_its_title(units, tmp_path):
    """城东街道's table titled as units title them, with neither 报告期 nor 填报单位 column and nothing given at upload:
    the month and the unit come from the title (the 填报日期 line below it names no report month), and the report
    says so; given at upload, they win over the title, and a month other than the title's is pointed out."""
    rows = [{k: v for k, v in build.report_row(name).items() if k not in ("报告期", "填报单位")}
            for name in ("年产10万吨新材料项目", "城东文旅综合体")]
    titles = ["城东街道2024年10月招商引资项目推进情况表", "填报日期：2024年11月5日"]
    path = build.write_xlsx(tmp_path / "城东10月.xlsx", build.project_table(rows, titles=titles))
    report = _ingest(units, path)
    assert (report.status, report.rows_loaded, report.rejections) == ("loaded", 2, [])
    assert report.notes[:2] == ["文件没有“报告期”列，报告期按标题“城东街道2024年10月招商引资项目推进情况表”取 2024-10",
                                "文件没有“填报单位”列，填报单位按标题“城东街道2024年10月招商引资项目推进情况表”取 城东街道"]
    assert {name: _pick(row, "unit_code", "period") for name, row in _snapshots(units).items()} == {
        "年产10万吨新材料项目": ("U02", D(2024, 10, 1)), "城东文旅综合体": ("U02", D(2024, 10, 1))}

    given = build.write_xlsx(tmp_path / "城东9月.xlsx", build.project_table(rows, titles=titles))
    report = _ingest(units, given, period=D(2024, 9, 1), unit_code="U03")
    assert (report.status, report.rows_loaded) == ("loaded", 2) and not any("按标题" in n for n in report.notes)
    assert report.notes[0] == ("标题“城东街道2024年10月招商引资项目推进情况表”写的是2024年10月，表中报告期却是 2024-09，"
                               "请核实是否沿用了其他月份的报表")
    assert _dicts(units, "SELECT DISTINCT unit_code, period FROM snapshots WHERE submission_id = $s",
                  s=report.submission_id) == [{"unit_code": "U03", "period": D(2024, 9, 1)}]


def test_without_a_title_the_file_name_gives_month_and_unit(units, tmp_path):
    """No 报告期/填报单位 column and no title: the file's name as units name it gives both, and the report says so."""
    rows = [{k: v for k, v in build.report_row("年产10万吨新材料项目").items() if k not in ("报告期", "填报单位")}]
    report = _ingest(units, _report("城西街道2024年10月份项目推进情况表.xlsx", rows, tmp_path))
    assert (report.status, report.rows_loaded) == ("loaded", 1)
    assert report.notes[:2] == ["文件没有“报告期”列，报告期按文件名“城西街道2024年10月份项目推进情况表”取 2024-10",
                                "文件没有“填报单位”列，填报单位按文件名“城西街道2024年10月份项目推进情况表”取 城西街道"]
    assert _pick(_snapshots(units)["年产10万吨新材料项目"], "unit_code", "period") == ("U03", D(2024, 10, 1))


@pytest.mark.parametrize("titles, month", [
    (["城关街道2024年10月招商引资项目推进情况表"], D(2024, 10, 1)),
    (["城关街道2024年10月份重点项目进展"], D(2024, 10, 1)),
    (["2024年1-10月招商引资项目推进情况"], D(2024, 10, 1)),  # the year to October
    (["招商项目推进情况表", "报告期：2024-10"], D(2024, 10, 1)),
    (["2024年10月项目推进情况表（填报日期：2024年11月）"], D(2024, 10, 1)),
    (["招商项目推进情况表", "填报日期：2024年11月5日"], None),  # a date, not a report month
    (["2024年10月项目推进情况", "（含2024年9月补报）"], None),  # two months: which one?
    (["招商项目推进情况表"], None),
])
def test_the_month_a_title_names(titles, month):
    """The one report month named above the header, or none when there is none or more than one."""
    found = layout.title_month(titles)
    assert (found and found[0]) == month


def test_a_unit_written_as_the_body_that_runs_it_is_that_unit(units, tmp_path):
    """城东街道办事处 and 经济开发区管委会 are 城东街道 and 经济开发区; a name that is no unit's is still refused."""
    rows = [build.report_row("年产10万吨新材料项目", unit="城东街道办事处"),
            build.report_row("智能装备产业园", unit="经济开发区管委会"),
            build.report_row("城北商业综合体", unit="城北街道办事处")]
    report = _ingest(units, _report("bodies.xlsx", rows, tmp_path))
    assert (report.rows_loaded, [r.reason for r in report.rejections]) == (2, [
        "第4行（城北商业综合体）填报单位 '城北街道办事处' 不在单元名录中，请填写单元编码或单元全称"])
    assert {name: row["unit_code"] for name, row in _snapshots(units).items()} == {
        "年产10万吨新材料项目": "U02", "智能装备产业园": "U01"}


def test_group_headings_inside_the_table_are_not_projects(units, tmp_path):
    """Rows that only head a group ("二、新签约项目" as its name, or "（一）" in 序号 beside "制造业项目") load nothing and
    say so with their row; a project row with only its name is still refused, and a project whose name merely
    starts like one ("（一期）…") is a project."""
    rows = [build.report_row("续建甲项目"), {"项目名称": "二、新签约项目"}, build.report_row("（一期）新签乙项目"),
            {"项目名称": "只有名称的项目"}]
    table = build.project_table(rows)
    table.rows.insert(2, ["（一）", None, None, "制造业项目"])  # 序号, 报告期, 填报单位, 项目名称
    report = _ingest(units, build.write_xlsx(tmp_path / "groups.xlsx", table))
    assert (report.rows_loaded, report.rows_rejected) == (2, 1)
    assert [w.reason for w in report.warnings] == [
        "第3行（二、新签约项目）视为分组标题，未作为项目载入（如是项目，请填写产业类别、计划总投资等）",
        "第4行（制造业项目）视为分组标题，未作为项目载入（如是项目，请填写产业类别、计划总投资等）"]
    assert [r.reason for r in report.rejections][:1] == ["第6行（只有名称的项目）报告期 为空：请填写报告月份，如 2024-10（整表同一月份时可在上传时统一指定）"]
    assert set(_snapshots(units)) == {"续建甲项目", "（一期）新签乙项目"}


def test_the_unit_a_title_names(units):
    """The one unit named in the titles, the longer name when one holds the other; none for two units."""
    directory = UnitDirectory({"U01": "城东", "U02": "城东街道", "U03": "城西街道"})
    assert directory.named_in(["城东街道2024年10月招商引资项目推进情况表"]) == (
        "U02", "城东街道2024年10月招商引资项目推进情况表")
    assert directory.named_in(["城东街道、城西街道联合项目表"]) is None
    assert directory.named_in(["全县招商项目表"]) is None


@pytest.mark.parametrize("make", [
    *(lambda d, e=e: build.west_report_csv(d, e) for e in ("utf-8", "utf-8-sig", "gbk", "gb18030")),
    build.west_report_xls,
], ids=["csv-utf-8", "csv-utf-8-bom", "csv-gbk", "csv-gb18030", "xls"])
def test_csv_in_every_encoding_and_xls_load_the_same(units, tmp_path, make):
    """城西街道's report loads identically from CSV (UTF-8, UTF-8 with BOM, GBK, GB18030) and from .xls:
    元 become 万元, '2024.10' is the period, a text number with separators is a number."""
    report = _ingest(units, make(tmp_path))
    assert (report.status, report.rows_loaded, report.rows_rejected) == ("loaded", 2, 0)
    keys = ("row_number", "unit_code", "period", "investor", "industry", "total_investment_wan", "signed_date",
            "status")
    assert {name: _pick(row, *keys) for name, row in _snapshots(units).items()} == {
        "城西冷链物流中心": (3, "U03", D(2024, 10, 1), "浙江鲜达物流有限公司", "服务业", 35000.0, D(2024, 7, 1), "active"),
        "高山茶园观光农业项目": (4, "U03", D(2024, 10, 1), None, "农业", 5200.0, None, "active"),
    }


DATE_CELLS = [
    (D(2024, 3, 8), D(2024, 3, 8)),
    (build.Serial(45359), D(2024, 3, 8)),
    ("2024-03-08", D(2024, 3, 8)),
    ("2024/3/8", D(2024, 3, 8)),
    ("2024.3.8", D(2024, 3, 8)),
    ("2024年3月8日", D(2024, 3, 8)),
    ("2024-03", D(2024, 3, 1)),
    ("2024年3月", D(2024, 3, 1)),
    ("2024.3", D(2024, 3, 1)),
]


@pytest.mark.parametrize("write", [build.write_xlsx, build.write_xls], ids=["xlsx", "xls"])
def test_every_date_form_loads_as_its_date(units, tmp_path, write):
    """One row per date form of DOMAIN §3 in the 签约日期 column; each snapshot holds exactly the date meant."""
    rows = [build.report_row(f"签约项目{i}", 投资方="杭州恒远新材料科技有限公司", 签约日期=cell)
            for i, (cell, _) in enumerate(DATE_CELLS)]
    path = write(tmp_path / f"dates.{'xls' if write is build.write_xls else 'xlsx'}", build.project_table(rows))
    assert _ingest(units, path).rows_loaded == len(DATE_CELLS)
    snapshots = _snapshots(units)
    assert [snapshots[f"签约项目{i}"]["signed_date"] for i in range(len(DATE_CELLS))] == [d for _, d in DATE_CELLS]


def test_every_period_form_loads_as_its_month(units, tmp_path):
    """报告期 written 2024-10, 2024年10月, 2024.10, 2024/10, 202410 (text or number) or as a real date is 2024-10."""
    cells = ["2024-10", "2024年10月", "2024.10", "2024/10", "202410", 202410, D(2024, 10, 1), build.Serial(45580)]
    rows = [build.report_row(f"项目{i}", period=cell) for i, cell in enumerate(cells)]
    report = _ingest(units, _report("periods.xlsx", rows, tmp_path))
    assert (report.rows_loaded, report.rejections) == (len(cells), [])
    assert {row["period"] for row in _snapshots(units).values()} == {D(2024, 10, 1)}


@pytest.mark.parametrize("header, cell, expected", [
    ("计划总投资(万元)", "12,000", 12000.0),
    ("计划总投资（万元）", 12000, 12000.0),
    ("计划 总投资", "1,234.5", 1234.5),
    ("计划总投资（亿元）", 12, 120000.0),
    ("计划总投资\n（亿元）", "1.5", 15000.0),
    ("总投资（元）", 350000000, 35000.0),
    ("项目总投资（千元）", "8,000", 800.0),
])
def test_money_header_variants_load_in_wan_yuan(units, tmp_path, header, cell, expected):
    """Whatever the header's spelling or unit, 计划总投资 is stored in 万元."""
    row = {k: v for k, v in build.report_row("年产10万吨新材料项目").items() if k != "计划总投资(万元)"}
    assert _ingest(units, _report("money.xlsx", [{**row, header: cell}], tmp_path)).rows_loaded == 1
    assert _snapshots(units)["年产10万吨新材料项目"]["total_investment_wan"] == expected


def test_amounts_written_with_their_unit_are_converted_by_it_and_the_row_says_so(units, tmp_path):
    """'2.5亿' under 计划总投资(万元) is 25000 万元, '8,000万' under a 亿元 column 8000 万元, '120亩' 120 亩: each
    converted by the unit in its cell, with a warning naming row, project and column; a unit of another kind
    ('3亿美元' under 万元) or a negative area is still refused."""
    good = {**build.report_row("年产10万吨新材料项目", total="2.5亿"), "累计完成投资（亿元）": "8,000万",
            "用地面积(亩)": "120 亩"}
    bad = {**build.report_row("城东文旅综合体", total="3亿美元"), "累计完成投资（亿元）": 1, "用地面积(亩)": "-5亩"}
    report = _ingest(units, _report("units.xlsx", [good, bad], tmp_path))
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    assert _pick(_snapshots(units)["年产10万吨新材料项目"], "total_investment_wan", "invested_to_date_wan",
                 "land_mu") == (25000.0, 8000.0, 120.0)
    assert [w.reason for w in report.warnings] == [
        "第2行（年产10万吨新材料项目）计划总投资(万元) '2.5亿' 按单元格中的单位“亿元”换算为 25000万元，今后请只填数字",
        "第2行（年产10万吨新材料项目）累计完成投资（亿元） '8,000万' 按单元格中的单位“万元”换算为 8000万元，今后请只填数字",
        "第2行（年产10万吨新材料项目）用地面积(亩) '120 亩' 按单元格中的单位“亩”换算为 120亩，今后请只填数字"]
    assert [r.reason for r in report.rejections] == [
        "第3行（城东文旅综合体）计划总投资(万元) '3亿美元' 不是有效的数字，请只填写数字（如 12000 或 1.2）",
        "第3行（城东文旅综合体）用地面积(亩) '-5亩' 不能为负数"]


# --------------------------------------------------------------------------------------------------- rejections

def test_bad_rows_are_rejected_with_row_column_and_reason_and_good_rows_load(units, tmp_path):
    """A report with good, bad and odd rows: bad ones are rejected with the sheet row (titles counted), the header
    as written and the reason; warnings keep their row; everything is stored with what the unit sent."""
    rows = [
        build.report_row("年产10万吨新材料项目", 投资方="杭州恒远新材料科技有限公司", 签约日期="2024-03-08",
                         开工时间="2024-02-01"),
        build.report_row("智能装备产业园（一期）", 投资方="宁波智造装备有限公司", 签约日期="2024-06-18",
                         开工时间="2024-13-01"),
        {},
        build.report_row(None, industry="制造业", 本月进展="完成土地摘牌"),
        build.report_row("城东文旅综合体", total="约8000万", 统一社会信用代码="91440300708461136A"),
    ]
    path = _report("城东街道10月.xlsx", rows, tmp_path, titles=build.TOWN_TITLES, footer=build.TOWN_FOOTER)
    report = _ingest(units, path)
    assert (report.status, report.rows_loaded, report.rows_rejected) == ("loaded", 1, 3)
    assert [p.as_json() for p in report.rejections] == [
        {"sheet": "项目进展", "row": 5, "column": "开工时间",
         "reason": "第5行（智能装备产业园（一期））开工时间 '2024-13-01' 不是有效日期，请填写如 2024-03-08"},
        {"sheet": "项目进展", "row": 7, "column": "项目名称", "reason": "第7行 项目名称 为必填项，不能为空"},
        {"sheet": "项目进展", "row": 8, "column": "计划总投资(万元)",
         "reason": "第8行（城东文旅综合体）计划总投资(万元) '约8000万' 不是有效的数字，请只填写数字（如 12000 或 1.2）"},
        {"sheet": "项目进展", "row": 8, "column": "统一社会信用代码",
         "reason": "第8行（城东文旅综合体）统一社会信用代码 '91440300708461136A' 校验位不正确，请核对统一社会信用代码"},
    ]
    assert [p.reason for p in report.warnings] == [
        "第4行（年产10万吨新材料项目）开工时间 2024-02-01 早于签约日期 2024-03-08，节点顺序异常，请核实"]
    assert list(_snapshots(units)) == ["年产10万吨新材料项目"]
    stored = _dicts(units, "SELECT row_number, column_name, severity, row_values FROM row_problems ORDER BY "
                           "row_number, severity, column_name")
    assert [_pick(p, "row_number", "column_name", "severity") for p in stored] == [
        (4, "开工时间", "warning"), (5, "开工时间", "error"), (7, "项目名称", "error"), (8, "统一社会信用代码", "error"),
        (8, "计划总投资(万元)", "error")]
    assert json.loads(stored[2]["row_values"]) == {"报告期": "2024-10", "填报单位": "城东街道", "产业类别": "制造业",
                                                   "计划总投资(万元)": "12000", "本月进展": "完成土地摘牌"}
    [submission] = _dicts(units, "SELECT rows_loaded, rows_rejected, status FROM submissions")
    assert submission == {"rows_loaded": 1, "rows_rejected": 3, "status": "loaded"}


def _missing_industry(directory):
    rows = [{k: v for k, v in build.report_row("年产10万吨新材料项目").items() if k != "产业类别"}]
    return _report("缺列.xlsx", rows, directory)


def _header_only(directory):
    table = build.Table(["序号", "报告期", "填报单位", "项目名称", "产业类别", "计划总投资(万元)"], [],
                        titles=build.TOWN_TITLES[:1], footer=build.TOWN_FOOTER[1:])
    return build.write_xlsx(directory / "只有表头.xlsx", table)


def _eight_rows(directory):
    return _report("八行.xlsx", [build.report_row(f"项目{i}") for i in range(8)], directory)


def _no_period(directory):
    rows = [{k: v for k, v in build.report_row("年产10万吨新材料项目").items() if k != "报告期"}]
    return _report("无报告期.xlsx", rows, directory)


WHOLE_FILE_REJECTIONS = [
    (build.renamed_text, {}, None, "文件扩展名为 .xlsx，但内容不是 Excel 工作簿（可能是改了扩展名的其他文件）"),
    (build.renamed_docx, {}, None, "文件不是 Excel 工作簿（压缩包中没有工作簿内容，可能是改了扩展名的其他文件）"),
    (build.empty_workbook, {}, None, "工作簿中没有任何内容（工作表是空的）"),
    (build.no_header_workbook, {}, None,
     "没有找到可识别的表头：请使用系统模板，表头须包含“项目名称”“计划总投资(万元)”等列"
     "（单元名录须包含 单元编码、单元名称、单元类型；年度目标须包含 年度、单元编码）"),
    (lambda d: build.zip_bomb(d)[0], {}, None, "工作簿解压后达 1023.9MB，超过上限 400.0MB，疑似异常文件，已拒收"),
    (_missing_industry, {}, "projects", "缺少必填列：产业类别。请使用系统模板或补上这些列"),
    (_no_period, {}, "projects", ("缺少必填列：报告期。请使用系统模板或补上这些列（整表为同一月份时，也可在表头上方的标题或文件名中写明，"
                                  "如“城关街道2024年10月招商引资项目推进情况表”，或在上传时指定；命令行用 --period 2024-10）")),
    (_header_only, {}, "projects", "表头下没有任何数据行"),
    (_eight_rows, {"config": {"max_rows": 5}}, "projects", "工作表“项目进展”的数据超过 5 行的上限，请分批上传"),
    (build.town_report, {"config": {"max_file_mb": 0.005}}, None, "文件大小 0.0MB 超过上限 0.005MB，请分批上传"),
    (build.town_report, {"unit_code": "U09"}, "projects", "指定的填报单位“U09”不在单元名录中"),
]


@pytest.mark.parametrize("make, options, kind, reason", WHOLE_FILE_REJECTIONS,
                         ids=[r[3][:20] for r in WHOLE_FILE_REJECTIONS])
def test_whole_file_rejections_say_why_and_write_nothing_else(units, tmp_path, make, options, kind, reason):
    """A file that cannot be read as a whole is rejected with its reason; only the rejected submission is kept."""
    if "config" in options:
        options = {"config": settings.load(env={}, overrides={"ingest": options["config"]})}
    path = make(tmp_path)
    report = _ingest(units, path, **options)
    assert report.as_json() | {"submission_id": None} == {
        "file": path.name, "kind": kind, "status": "rejected", "rows_loaded": 0, "rows_rejected": 0,
        "rejections": [{"sheet": None, "row": None, "column": None, "reason": reason}], "warnings": [],
        "missing_projects": [], "notes": [], "message": reason, "submission_id": None}
    assert _dicts(units, "SELECT kind, file_name, status, message FROM submissions") == [
        {"kind": kind or "unknown", "file_name": path.name, "status": "rejected", "message": reason}]
    assert _counts(units)["snapshots"] == _counts(units)["projects"] == 0


def test_leader_cannot_submit(units, tmp_path):
    """A leader's upload is refused whole and loads nothing."""
    report = _ingest(units, build.town_report(tmp_path), Actor("县长", "leader"))
    assert (report.status, report.message) == ("rejected", "领导账号为只读，不能上传数据")
    assert _counts(units)["snapshots"] == 0


def test_unit_user_rows_for_another_unit_are_rejected(units, tmp_path):
    """A 城东街道 user's row for 城西街道 is rejected; its own rows load, also from a file without 填报单位."""
    rows = [build.report_row("年产10万吨新材料项目"), build.report_row("城西冷链物流中心", unit="城西街道")]
    report = _ingest(units, _report("mixed.xlsx", rows, tmp_path), EAST_USER)
    assert (report.rows_loaded, [p.reason for p in report.rejections]) == (
        1, ["第3行（城西冷链物流中心）填报单位 只能填报本单位（城东街道）的项目，此行是“城西街道”的"])
    rows = [{k: v for k, v in build.report_row("城东文旅综合体").items() if k != "填报单位"}]
    assert _ingest(units, _report("no-unit.xlsx", rows, tmp_path), EAST_USER).rows_loaded == 1
    assert {name: row["unit_code"] for name, row in _snapshots(units).items()} == {
        "年产10万吨新材料项目": "U02", "城东文旅综合体": "U02"}


def test_register_and_targets_workbooks_load(con, tmp_path):
    """The unit register is recognised and upserted (audited); targets load with 签约金额 in 万元."""
    report = _ingest(con, build.unit_register(tmp_path))
    assert (report.kind, report.status, report.rows_loaded) == ("units", "loaded", 5)
    assert con.execute("SELECT code, name, kind, assess_group FROM units ORDER BY code").fetchall() == [
        ("U01", "经济开发区", "园区", "园区组"), ("U02", "城东街道", "乡镇街道", "乡镇组"), ("U03", "城西街道", "乡镇街道", "乡镇组"),
        ("U04", "生物医药产业链专班", "专班", "园区组"), ("U05", "县商务局", "部门", "乡镇组")]
    renamed = build.Table(["单元编码", "单元名称", "单元类型", "考核组别"],
                          [["U01", "经济开发区", "园区", "园区组"], ["U05", "县商务和投资促进局", "部门", "乡镇组"]])
    assert _ingest(con, build.write_xlsx(tmp_path / "更名.xlsx", renamed)).rows_loaded == 2
    assert con.execute("SELECT name FROM units WHERE code = 'U05'").fetchone() == ("县商务和投资促进局",)
    assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'unit.upsert'").fetchone() == (6,)
    report = _ingest(con, build.targets_workbook(tmp_path))
    assert (report.kind, report.rows_loaded, report.rejections) == ("targets", 3, [])
    assert con.execute("SELECT year, unit_code, signed_major, signed_amount_wan, commenced, production, "
                       "major_manufacturing FROM targets ORDER BY unit_code").fetchall() == [
        (2024, "U01", 12, 600000.0, 8, 5, 2), (2024, "U02", 4, 155000.0, 3, 2, None),
        (2024, "U03", 3, 100000.0, 2, 1, 0)]


# ------------------------------------------------------------------------------------ idempotency, supersession

def test_same_file_twice_is_a_duplicate_and_changes_nothing(units, tmp_path):
    """Loading the same bytes again (even under another name) reports 'duplicate' and leaves every table as it was."""
    path = build.town_report(tmp_path)
    first = _ingest(units, path)
    before = _counts(units)
    again = _ingest(units, path, received=OCT_RECEIVED + dt.timedelta(days=1))
    copy = tmp_path / "副本.xlsx"
    copy.write_bytes(path.read_bytes())
    renamed = _ingest(units, copy)
    assert [(r.status, r.submission_id) for r in (again, renamed)] == [("duplicate", first.submission_id)] * 2
    assert again.message == f"与已载入的第{first.submission_id}号报送文件内容完全相同，未重复载入"
    assert _counts(units) == before


def test_a_unit_and_month_merged_down_their_column_apply_to_every_row_of_the_merge(units, tmp_path):
    """报告期 and 填报单位 written once in cells merged down a group of projects (as units lay their sheets out) apply
    to each project of the merge; a note merged across the row below the table is still no project."""
    import xlsxwriter

    path = tmp_path / "合并单元格.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("项目进展")
        sheet.merge_range(0, 0, 0, 4, "城东街道2024年10月招商引资项目推进情况表")
        sheet.write_row(1, 0, ["报告期", "填报单位", "项目名称", "产业类别", "计划总投资(万元)"])
        sheet.merge_range(2, 0, 4, 0, "2024-10")
        sheet.merge_range(2, 1, 4, 1, "城东街道")
        for r, (name, industry) in enumerate((("甲项目", "制造业"), ("乙项目", "服务业"), ("丙项目", "文旅")), start=2):
            sheet.write_row(r, 2, [name, industry, 12000])
        sheet.merge_range(5, 0, 5, 4, "以上数据截至10月31日")
    report = _ingest(units, path)
    assert (report.status, report.rows_loaded, report.rows_rejected) == ("loaded", 3, 0), report.as_json()
    assert units.execute("SELECT project_name, unit_code, strftime(period, '%Y-%m') FROM snapshots ORDER BY row_number"
                         ).fetchall() == [("甲项目", "U02", "2024-10"), ("乙项目", "U02", "2024-10"),
                                          ("丙项目", "U02", "2024-10")]


def test_the_same_bytes_given_for_another_month_are_another_report(units, tmp_path):
    """A file without 报告期 loaded for October and then, the same bytes, for November (--period) is November's report,
    not a duplicate; loaded for November again, it is one."""
    rows = [{k: v for k, v in build.report_row("年产10万吨新材料项目").items() if k != "报告期"}]
    path = _report("无报告期.xlsx", rows, tmp_path)
    october = _ingest(units, path, period=dt.date(2024, 10, 1))
    november = _ingest(units, path, received=dt.datetime(2024, 12, 5, 9), period=dt.date(2024, 11, 1))
    again = _ingest(units, path, received=dt.datetime(2024, 12, 6, 9), period=dt.date(2024, 11, 1))
    assert [(r.status, r.rows_loaded) for r in (october, november)] == [("loaded", 1), ("loaded", 1)]
    assert (again.status, again.submission_id) == ("duplicate", november.submission_id)
    assert units.execute("SELECT strftime(period, '%Y-%m') FROM snapshots ORDER BY period").fetchall() == [
        ("2024-10",), ("2024-11",)]


def test_later_file_for_the_same_unit_and_period_supersedes_as_of_its_arrival(units, tmp_path):
    """A corrected October report received on 11-08 is what is seen from 11-08 on; as of 11-07 the first one still
    is; before 11-05 nothing is; both files stay in the history."""
    first = _report("v1.xlsx", [build.report_row("年产10万吨新材料项目", total=12000),
                                build.report_row("城东文旅综合体", total=8000)], tmp_path)
    second = _report("v2.xlsx", [build.report_row("年产10万吨新材料项目", total=15000),
                                 build.report_row("城东文旅综合体", total=8000, 项目状态="暂缓")], tmp_path)
    _ingest(units, first, received=dt.datetime(2024, 11, 5, 16))
    _ingest(units, second, received=dt.datetime(2024, 11, 8, 10))

    def seen(day: D) -> dict:
        frame = state.projects_as_of(units, day, "U02")
        return {r.project_name: (r.total_investment_wan, r.status) for r in frame.itertuples()}

    assert seen(D(2024, 11, 4)) == {}
    assert seen(D(2024, 11, 5)) == seen(D(2024, 11, 7)) == {"年产10万吨新材料项目": (12000.0, "active"),
                                                           "城东文旅综合体": (8000.0, "active")}
    assert seen(D(2024, 11, 8)) == {"年产10万吨新材料项目": (15000.0, "active"), "城东文旅综合体": (8000.0, "paused")}
    assert units.execute("SELECT file_name, status, unit_code, period FROM submissions ORDER BY id").fetchall() == [
        ("v1.xlsx", "loaded", "U02", D(2024, 10, 1)), ("v2.xlsx", "loaded", "U02", D(2024, 10, 1))]
    assert units.execute("SELECT count(*), count(DISTINCT project_id) FROM snapshots").fetchone() == (4, 2)


def test_a_failure_mid_load_leaves_every_table_as_it_was(units, tmp_path, monkeypatch):
    """When writing fails after the snapshots went in, the transaction rolls all of it back; the file then loads."""
    _ingest(units, build.zone_report(tmp_path), period=D(2024, 10, 1))
    before = _counts(units)
    seen_inside = []

    def failing_insert_problems(con, plan, sid):
        inserted = con.execute("SELECT count(*) FROM snapshots WHERE submission_id = $s", {"s": sid}).fetchone()
        seen_inside.append(inserted)
        raise OSError("磁盘已满")

    monkeypatch.setattr(load, "_insert_problems", failing_insert_problems)
    with pytest.raises(OSError):
        _ingest(units, build.town_report(tmp_path))
    assert seen_inside == [(3,)]
    assert _counts(units) == before
    monkeypatch.undo()
    report = _ingest(units, build.town_report(tmp_path))
    assert (report.status, report.rows_loaded) == ("loaded", 3)
    assert _counts(units)["snapshots"] == before["snapshots"] + 3


# ------------------------------------------------------------------------------------ identity across months

def test_projects_keep_their_identity_across_months(units, tmp_path):
    """Without a code a row is matched by unit + normalised name (spaces, full-width forms); a project keeps its
    code; a given code wins over a changed name (and a second row of the same project, once by name and once by
    code, is rejected naming the first); an admin's unknown code creates the project with that code."""
    september = [build.report_row("年产10万吨新材料项目", period="2024-09"),
                 build.report_row("智能装备产业园（一期）", period="2024-09"),
                 build.report_row("年产10万吨新材料项目", period="2024-09", unit="城西街道")]
    _ingest(units, _report("9月.xlsx", september, tmp_path), received=dt.datetime(2024, 10, 8))
    assert units.execute("SELECT code, unit_code, name_key FROM projects ORDER BY id").fetchall() == [
        ("ZS000001", "U02", "年产10万吨新材料项目"), ("ZS000002", "U02", "智能装备产业园(一期)"),
        ("ZS000003", "U03", "年产10万吨新材料项目")]
    october = [build.report_row("年产10万吨 新材料项目"), build.report_row("智能装备产业园(一期)"),
               build.report_row("年产１０万吨新材料项目", unit="城西街道"),
               build.report_row("年产12万吨新材料项目（扩建）", 项目编号="ZS000001", unit="城西街道"),
               build.report_row("县域商贸综合体", 项目编号="ZS900001")]
    report = _ingest(units, _report("10月.xlsx", october, tmp_path))
    assert report.rows_loaded == 4
    assert [(p.row, p.column, p.reason) for p in report.rejections] == [
        (5, "项目编号", "第5行（年产12万吨新材料项目（扩建））项目编号 与第2行（年产10万吨 新材料项目）是同一项目同一报告期，只能填写一行")]
    assert units.execute("SELECT s.project_name, p.code FROM snapshots s JOIN projects p ON p.id = s.project_id "
                         "WHERE s.period = '2024-10-01' ORDER BY s.row_number").fetchall() == [
        ("年产10万吨 新材料项目", "ZS000001"), ("智能装备产业园(一期)", "ZS000002"), ("年产１０万吨新材料项目", "ZS000003"),
        ("县域商贸综合体", "ZS900001")]
    assert units.execute("SELECT count(*) FROM projects").fetchone() == (4,)


def test_unit_user_cannot_invent_or_borrow_a_project_code(units, tmp_path):
    """A unit user's unknown code, or another unit's project code, rejects the row under the sheet's header."""
    _ingest(units, _report("9月.xlsx", [build.report_row("城西冷链物流中心", period="2024-09", unit="U03")], tmp_path),
            received=dt.datetime(2024, 10, 8))
    rows = [{"项目代码": "ZS999999", **build.report_row("年产10万吨新材料项目")},
            {"项目代码": "ZS000001", **build.report_row("城西冷链物流中心")},
            {"项目代码": None, **build.report_row("城东文旅综合体")}]
    report = _ingest(units, _report("10月.xlsx", rows, tmp_path), EAST_USER)
    assert (report.rows_loaded, report.rows_rejected) == (1, 2)
    assert [(p.row, p.column, p.reason) for p in report.rejections] == [
        (2, "项目代码", "第2行（年产10万吨新材料项目）项目代码 'ZS999999' 不存在，请核对；新项目请将项目编号留空，由系统分配"),
        (3, "项目代码", "第3行（城西冷链物流中心）项目代码 'ZS000001' 是其他单元（U03）的项目，请核对编号；项目转移单元请联系招商办")]
    assert units.execute("SELECT code FROM projects ORDER BY id").fetchall() == [("ZS000001",), ("ZS000002",)]


def test_projects_in_the_previous_report_but_missing_now_are_listed(units, tmp_path):
    """上期在报、本期未报: an active or paused project of September's report absent in October is listed; terminated
    and producing ones, and other units' projects, are not."""
    september = [build.report_row("甲项目", period="2024-09"),
                 build.report_row("乙项目", period="2024-09"),
                 build.report_row("丙项目", period="2024-09", 项目状态="终止"),
                 build.report_row("丁项目", period="2024-09", 投资方="宁波智造装备有限公司", 签约日期="2023-05-01",
                                  开工日期="2023-06-01", 投产日期="2024-08-20"),
                 build.report_row("戊项目", period="2024-09", 项目状态="暂缓"),
                 build.report_row("己项目", period="2024-09", unit="城西街道")]
    _ingest(units, _report("9月.xlsx", september, tmp_path), received=dt.datetime(2024, 10, 8))
    report = _ingest(units, _report("10月.xlsx", [build.report_row("甲项目"), build.report_row("新项目")], tmp_path))
    assert report.missing == [
        {"unit": "U02", "period": "2024-10", "code": "ZS000002", "name": "乙项目", "last_period": "2024-09",
         "reason": "本期未报"},
        {"unit": "U02", "period": "2024-10", "code": "ZS000005", "name": "戊项目", "last_period": "2024-09",
         "reason": "本期未报"}]
    assert report.as_json()["missing_projects"] == report.missing


def test_project_removed_by_a_correction_is_not_listed_missing(units, tmp_path):
    """September sent with 甲 and 乙, then replaced (整表替换) by 甲 alone: October without 乙 lists nothing
    missing."""
    first = [build.report_row("甲项目", period="2024-09"), build.report_row("乙项目", period="2024-09")]
    _ingest(units, _report("9月.xlsx", first, tmp_path), received=dt.datetime(2024, 10, 5))
    corrected = [build.report_row("甲项目", period="2024-09", 本月进展="更正")]
    _ingest(units, _report("9月更正.xlsx", corrected, tmp_path), received=dt.datetime(2024, 10, 8), mode="replace")
    report = _ingest(units, _report("10月.xlsx", [build.report_row("甲项目")], tmp_path))
    assert report.missing == []


# ---------------------------------------------------------------------------------------------------------- CLI

def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.ingest", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_cli_json_report_and_exit_code_when_a_file_is_rejected(tmp_path):
    """--json prints the §9 object for every file; a file rejected whole makes the exit code 1; --received-at
    stamps the submissions."""
    db = tmp_path / "cli.duckdb"
    files = [build.unit_register(tmp_path), build.town_report(tmp_path), build.renamed_text(tmp_path)]
    done = _cli(*map(str, files), "--db", str(db), "--received-at", "2024-11-05", "--json")
    assert (done.returncode, done.stderr) == (1, "")
    report = json.loads(done.stdout)
    assert [{k: f[k] for k in ("file", "kind", "status", "rows_loaded", "rows_rejected", "rejections")}
            for f in report["files"]] == [
        {"file": "招商单元名录.xlsx", "kind": "units", "status": "loaded", "rows_loaded": 5, "rows_rejected": 0,
         "rejections": []},
        {"file": "城东街道2024年10月项目推进表.xlsx", "kind": "projects", "status": "loaded", "rows_loaded": 3,
         "rows_rejected": 0, "rejections": []},
        {"file": "十月报表.xlsx", "kind": None, "status": "rejected", "rows_loaded": 0, "rows_rejected": 0,
         "rejections": [{"sheet": None, "row": None, "column": None,
                         "reason": "文件扩展名为 .xlsx，但内容不是 Excel 工作簿（可能是改了扩展名的其他文件）"}]}]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT DISTINCT received_at FROM submissions").fetchall() == [(dt.datetime(2024, 11, 5),)]


def test_cli_period_and_unit_for_a_bare_file_exit_zero_with_row_rejections(units, tmp_path):
    """--period and --unit supply the columns a bare file lacks; rejected rows still exit 0; the text report names
    each file, its counts and each rejected row."""
    units.close()
    rows = [{"项目名称": "年产10万吨新材料项目", "产业类别": "制造业", "计划总投资(万元)": 12000},
            {"项目名称": "城东文旅综合体", "产业类别": "文旅", "计划总投资(万元)": "八千"}]
    path = _report("bare.xlsx", rows, tmp_path)
    db = tmp_path / "test.duckdb"
    done = _cli(str(path), "--db", str(db), "--period", "2024年10月", "--unit", "城东街道", "--received-at",
                "2024-11-05")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "bare.xlsx: 已载入（projects）", "  载入 1 行，拒收 1 行",
        "  ✗ 第3行（城东文旅综合体）计划总投资(万元) '八千' 不是有效的数字，请只填写数字（如 12000 或 1.2）"]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT unit_code, period, project_name FROM snapshots").fetchall() == [
            ("U02", D(2024, 10, 1), "年产10万吨新材料项目")]


def test_cli_refuses_in_one_line_when_another_process_holds_the_database(units, tmp_path):
    """While another process holds the database the CLI says so in one line, exits non-zero and writes nothing."""
    units.close()
    db = tmp_path / "test.duckdb"
    holder = duckdb.connect(str(db))
    try:
        before = _counts(holder)
        done = _cli(str(build.town_report(tmp_path)), "--db", str(db), "--json")
        assert done.returncode != 0 and done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1 and "正被另一进程" in done.stderr
        assert _counts(holder) == before
    finally:
        holder.close()


def test_preview_reports_problems_and_changes_and_writes_nothing(units, tmp_path):
    """A preview gives the rejections a load would give and the changes against the last report (a new project,
    a milestone reached, an amount changed, a project left out), and stores nothing; confirming loads it."""
    from pipelines.ingest.run import preview_file

    october = [build.report_row("甲项目", 投资方="恒远新材料有限公司", 签约日期="2024-03-08"),
               build.report_row("乙项目", total=8000), build.report_row("丙项目", total=5000)]
    _ingest(units, build.write_xlsx(tmp_path / "十月.xlsx", build.project_table(october)))
    november = [build.report_row("甲项目", period="2024-11", 投资方="恒远新材料有限公司", 签约日期="2024-03-08",
                                 开工日期="2024-11-05", total=15000),
                build.report_row("乙项目", period="2024-11", total=8000),
                build.report_row("丁项目", period="2024-11"),
                build.report_row("", period="2024-11")]
    path = build.write_xlsx(tmp_path / "十一月.xlsx", build.project_table(november))
    counts = lambda: [units.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: E731
                      for t in ("submissions", "snapshots", "projects", "row_problems")]
    before = counts()
    received = dt.datetime(2024, 12, 3, 10, 0)
    preview = preview_file(units, path, ADMIN, received_at=received)
    assert counts() == before
    assert (preview.report.status, preview.report.rows_loaded, preview.report.rows_rejected) == ("checked", 3, 1)
    assert [(p.row, p.column) for p in preview.report.rejections] == [(5, "项目名称")]
    codes = dict(units.execute("SELECT name_key, code FROM projects").fetchall())
    assert preview.changes.values.tolist() == [
        ["达到节点", codes["甲项目"], "甲项目", "U02", "开工", "", "2024-11-05"],
        ["金额变化", codes["甲项目"], "甲项目", "U02", "计划总投资(万元)", "12,000", "15,000"],
        ["新项目", "", "丁项目", "U02", "", "", ""],
        ["本期未报", codes["丙项目"], "丙项目", "U02", "", "2024-10 在报", ""],
    ]
    loaded = _ingest(units, path, received=received)
    assert (loaded.status, loaded.rows_loaded, loaded.rows_rejected) == ("loaded", 3, 1)
    assert [(p.row, p.column, p.reason) for p in loaded.rejections] == [
        (p.row, p.column, p.reason) for p in preview.report.rejections]


# ------------------------------------------------------------------------------------- hostile content (issue 14)

def test_excel_error_values_are_refused_by_row_and_column_not_read_as_blank(units, tmp_path):
    """#REF! in a date, #N/A in 计划总投资 and #DIV/0! in 投资方 (failed formulas, which the reader gives as blank)
    each reject their row naming the column and the error; the clean row loads."""
    report = _ingest(units, build.error_cells_report(tmp_path))
    assert (report.status, report.rows_loaded, report.rows_rejected) == ("loaded", 1, 3)
    assert [(p.row, p.column, p.reason) for p in report.rejections] == [
        (2, "签约日期", "第2行（错误值项目0）签约日期 是 Excel 错误值 #REF!（公式出错或引用失效），请改正后重传"),
        (3, "计划总投资(万元)", "第3行（错误值项目1）计划总投资(万元) 是 Excel 错误值 #N/A（公式出错或引用失效），请改正后重传"),
        (4, "投资方", "第4行（错误值项目2）投资方 是 Excel 错误值 #DIV/0!（公式出错或引用失效），请改正后重传"),
    ]
    assert list(_snapshots(units)) == ["错误值项目3"]


def test_one_project_twice_in_a_file_keeps_the_first_row_and_names_it(units, tmp_path):
    """The same project on two sheets, or pasted once with a zero-width space in its name, is one project: the
    second row is rejected naming the first, with its sheet when it stands on another."""
    first = build.project_table([build.report_row("城东文旅综合体"), build.report_row("智能装备产业园")], name="十月")
    second = build.project_table([build.report_row("城东\u200b文旅综合体"), build.report_row("新材料产业园")],
                                 name="十月补充")
    report = _ingest(units, build.write_xlsx(tmp_path / "两张表.xlsx", first, second))
    assert report.rows_loaded == 3
    assert [(p.sheet, p.row, p.reason) for p in report.rejections] == [
        ("十月补充", 2, "第2行（城东\u200b文旅综合体）项目名称 与工作表“十月”第2行重复：同一项目同一报告期只能填写一行")]
    assert units.execute("SELECT count(*) FROM projects").fetchone() == (3,)


def test_a_name_with_invisible_characters_is_the_same_project_next_month(units, tmp_path):
    """A name pasted next month with a zero-width space, a BOM or a soft hyphen matches the project it names."""
    _ingest(units, _report("9月.xlsx", [build.report_row("城东文旅综合体", period="2024-09")], tmp_path),
            received=dt.datetime(2024, 10, 8))
    _ingest(units, _report("10月.xlsx", [build.report_row("\ufeff城东文旅\u00ad综合\u200d体")], tmp_path))
    assert units.execute("SELECT count(*) FROM projects").fetchone() == (1,)


def test_an_admin_row_moving_a_project_to_another_unit_loads_with_a_warning(units, tmp_path):
    """An admin's row with another unit's 项目编号 moves the project, and says so: it may be a typo."""
    _ingest(units, _report("9月.xlsx", [build.report_row("城东文旅综合体", period="2024-09")], tmp_path),
            received=dt.datetime(2024, 10, 8))
    report = _ingest(units, _report("10月.xlsx", [build.report_row("城东文旅综合体", 项目编号="ZS000001",
                                                                  unit="城西街道")], tmp_path))
    assert (report.rows_loaded, [p.reason for p in report.warnings]) == (1, [
        "第2行（城东文旅综合体）项目编号 'ZS000001' 是单元 U02 的项目，本行的填报单位是 U03：载入后该项目将转到 U03。如是笔误，请改正后重传"])


# ------------------------------------------------------------------------------- amendment and replacement (§3)

def _month_state(con, day: dt.date) -> dict[str, tuple[str, float]]:
    """project name → (report month, 计划总投资) of U02's projects as of `day`."""
    found = state.projects_as_of(con, day, "U02")
    return {row["project_name"]: (f"{row['period']:%Y-%m}", float(row["total_investment_wan"]))
            for _, row in found.iterrows()}


@pytest.fixture
def october(units, tmp_path):
    """U02 reported 甲, 乙 for September (10-08) and 甲, 乙, 丙 for October (11-05)."""
    september = [build.report_row(n, period="2024-09") for n in ("甲项目", "乙项目")]
    _ingest(units, _report("9月.xlsx", september, tmp_path), received=dt.datetime(2024, 10, 8))
    _ingest(units, _report("10月.xlsx", [build.report_row(n) for n in ("甲项目", "乙项目", "丙项目")], tmp_path))
    return units


def test_a_one_row_correction_amends_the_month(october, tmp_path):
    """A 填报员 re-sends October with 甲 alone (计划总投资 corrected): by default an amendment. The preview says so
    and lists nothing missing; once loaded 甲 takes the new row while 乙 and 丙 keep theirs from the first file."""
    path = _report("10月更正.xlsx", [build.report_row("甲项目", total=15000)], tmp_path)
    preview = run.preview_file(october, path, EAST_USER, received_at=dt.datetime(2024, 11, 8))
    assert preview.report.missing == []
    assert preview.report.notes == ["补充更正：城东街道2024年10月已报送3个项目，本文件列出的项目以本文件为准，未列出的项目保留原报送。"
                                    "如需整表替换，请选择“整表替换”。"]
    _ingest(october, path, EAST_USER, received=dt.datetime(2024, 11, 8))
    assert _month_state(october, D(2024, 11, 8)) == {
        "甲项目": ("2024-10", 15000.0), "乙项目": ("2024-10", 12000.0), "丙项目": ("2024-10", 12000.0)}


def test_a_replacement_lists_what_drops_out_before_storing(october, tmp_path):
    """The same file sent as a replacement (整表替换): the preview names 乙 and 丙 as dropping out of October
    before anything is stored; once loaded 乙 falls back to its September report and 丙, reported in no other
    month, is no longer known. Its October update still arrived on time: the duty counts every arrival."""
    path = _report("10月替换.xlsx", [build.report_row("甲项目", total=15000)], tmp_path)
    preview = run.preview_file(october, path, EAST_USER, received_at=dt.datetime(2024, 11, 8), mode="replace")
    assert [(m["name"], m["reason"]) for m in preview.report.missing] == [
        ("乙项目", "整表替换后移出"), ("丙项目", "整表替换后移出")]
    assert preview.report.notes[0].startswith("整表替换：城东街道2024年10月已报送3个项目")
    assert october.execute("SELECT count(*) FROM submissions").fetchone()[0] == 2  # nothing stored yet
    _ingest(october, path, EAST_USER, received=dt.datetime(2024, 11, 8), mode="replace")
    assert _month_state(october, D(2024, 11, 8)) == {"甲项目": ("2024-10", 15000.0), "乙项目": ("2024-09", 12000.0)}
    assert _month_state(october, D(2024, 11, 7))["丙项目"] == ("2024-10", 12000.0)  # the past as it was known
    assert duty.overdue_updates(october, D(2024, 11, 30)).empty


def test_a_rejected_rows_project_is_reported_rejected_not_left_out(october, tmp_path):
    """November with 乙's row broken: 乙 is listed as 被拒收，请更正后重报, not as 本期未报 like 丙."""
    rows = [build.report_row("甲项目", period="2024-11"), build.report_row("乙项目", period="2024-11", 开工日期="2024-13-01")]
    report = _ingest(october, _report("11月.xlsx", rows, tmp_path), EAST_USER, received=dt.datetime(2024, 12, 5))
    assert [(m["name"], m["reason"]) for m in report.missing] == [("乙项目", "被拒收，请更正后重报"), ("丙项目", "本期未报")]
    assert report.rejections[0].reason.startswith("第3行（乙项目）开工日期")


def test_the_api_and_the_command_take_the_mode(october, tmp_path):
    """`--mode` on the command accepts amend and replace only."""
    done = subprocess.run([sys.executable, "-m", "pipelines.ingest", "x.xlsx", "--mode", "overwrite"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--mode" in done.stderr
