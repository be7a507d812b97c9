"""pipelines.ingest.layout: the header row is found under any title rows, its kind recognised, each column and unit
named."""
from __future__ import annotations

import pytest

from pipelines.ingest.layout import find_layout, find_layouts
from pipelines.ingest.workbook import FileRejected, Sheet

SEARCH = 30


def _sheet(*rows: list[object], name: str = "Sheet1") -> Sheet:
    return Sheet(name, [list(r) for r in rows])


def _fields(layout) -> dict[str, tuple[str, float]]:
    return {f.column.id: (f.header, f.scale) for f in layout.fields}


@pytest.mark.parametrize("header, column_id, scale", [
    ("计划总投资(万元)", "total_investment_wan", 1.0),
    ("计划总投资（万元）", "total_investment_wan", 1.0),
    ("计划 总投资", "total_investment_wan", 1.0),
    ("计划总投资\n（万元）", "total_investment_wan", 1.0),
    ("*计划总投资（万元）", "total_investment_wan", 1.0),
    ("计划总投资（亿元）", "total_investment_wan", 10000.0),
    ("计划 总投资（亿元）", "total_investment_wan", 10000.0),
    ("总投资（元）", "total_investment_wan", 0.0001),
    ("项目总投资（千元）", "total_investment_wan", 0.1),
    ("外资金额（亿美元）", "foreign_investment_usd_wan", 10000.0),
    ("合同外资（美元）", "foreign_investment_usd_wan", 0.0001),
    ("用地面积", "land_mu", 1.0),
    ("开工时间", "commenced_date", 1.0),
    ("入库日期", "in_stats_date", 1.0),
    ("项目代码", "project_code", 1.0),
    ("总投资额（亿元）", "total_investment_wan", 10000.0),
    ("占地面积（亩）", "land_mu", 1.0),
    ("业主单位", "investor", 1.0),
    ("项目进展情况", "progress_note", 1.0),
    ("需协调解决的问题", "issues", 1.0),
    ("责任领导", "liaison_leader", 1.0),
    ("联系方式", "contact_phone", 1.0),
    ("计划总投资（万元）（必填）", "total_investment_wan", 1.0),
    ("计划总投资\n（亿元）\n必填", "total_investment_wan", 10000.0),
    ("计划总投资（单位：亿元）", "total_investment_wan", 10000.0),
    ("计划总投资/亿元", "total_investment_wan", 10000.0),
    ("用地面积/亩", "land_mu", 1.0),
])
def test_header_variants_name_the_column_and_its_unit(header, column_id, scale):
    """Full-width brackets, spaces, line breaks, required marks and aliases name the column; the unit in the
    header gives the multiplier to the stored unit (万元, 万美元, 亩); messages name the header as the sheet shows it,
    on one line."""
    row = ["序号", "项目名称", "产业类别", header]
    if column_id != "total_investment_wan":
        row.append("计划总投资(万元)")
    assert _fields(find_layout(_sheet(row), SEARCH))[column_id] == (header.replace("\n", ""), scale)


@pytest.mark.parametrize("header, scale", [
    ("签约金额(亿元)", 10000.0),
    ("签约金额", 10000.0),
    ("签约金额（万元）", 1.0),
])
def test_target_amount_in_yi_yuan_is_stored_in_wan_yuan(header, scale):
    """The targets workbook's 签约金额 is given in 亿元 (also when the header names no unit) and stored in 万元."""
    layout = find_layout(_sheet(["年度", "单元编码", header]), SEARCH)
    assert (layout.kind, _fields(layout)["signed_amount_wan"]) == ("targets", (header, scale))


def test_unknown_unit_in_a_header_rejects_the_file():
    """A money header in a unit the product cannot convert is refused, naming the header and the units it knows."""
    with pytest.raises(FileRejected) as caught:
        find_layout(_sheet(["项目名称", "产业类别", "计划总投资（美元）"]), SEARCH)
    assert str(caught.value) == "表头“计划总投资（美元）”的计量单位“美元”无法识别，请使用 万元、亿元、元、千元 之一"


@pytest.mark.parametrize("header, kind", [
    (["序号", "项目名称", "产业类别", "计划总投资(万元)"], "projects"),
    (["单元编码", "单元名称", "单元类型", "考核组别"], "units"),
    (["年度", "单元编码", "签约亿元以上项目数", "签约金额(亿元)"], "targets"),
])
def test_kind_is_recognised_from_the_headers(header, kind):
    """Project reports, unit registers and target workbooks are told apart by their headers alone."""
    assert find_layout(_sheet(header), SEARCH).kind == kind


def test_header_is_found_below_title_rows_and_blank_rows():
    """Title rows and blank rows above the header are passed over; data starts right below the header."""
    sheet = _sheet(["城东街道2024年10月招商引资项目推进情况表"], ["填报单位（盖章）：城东街道办事处"], [],
                   ["序号", "项目名称", "产业类别", "计划总投资（亿元）", "备注", "责任人"], [1, "城东文旅综合体", "文旅", 0.8])
    layout = find_layout(sheet, SEARCH)
    assert layout.data_start == 4
    assert _fields(layout) == {"project_name": ("项目名称", 1.0), "industry": ("产业类别", 1.0),
                               "total_investment_wan": ("计划总投资（亿元）", 10000.0)}
    assert layout.ignored_headers == ["责任人"]
    assert layout.ignored_indexes == frozenset({0, 4})


def test_header_below_the_search_rows_is_not_found():
    """Only the first header_search_rows rows are searched for the header."""
    sheet = _sheet(*[["说明"]] * 3, ["项目名称", "产业类别", "计划总投资(万元)"])
    assert find_layout(sheet, 3) is None
    assert find_layout(sheet, 4).data_start == 4


def test_two_level_header_adds_the_lower_row():
    """A grouped header (项目节点 over 签约日期 | 开工日期) takes its columns from both rows; data starts below both,
    and the group label over recognised columns is not reported as an unknown column."""
    sheet = _sheet(["项目名称", "产业类别", "计划总投资(万元)", "项目节点", ""],
                   ["", "", "", "签约日期", "开工日期"],
                   ["生物医药中试基地", "制造业", 80000, "2024-01-15", "2024-04"])
    layout = find_layout(sheet, SEARCH)
    assert layout.data_start == 2
    assert [f.column.id for f in layout.fields] == [
        "project_name", "industry", "total_investment_wan", "signed_date", "commenced_date"]
    assert layout.ignored_headers == []


def test_instruction_sheet_is_not_a_header():
    """A 填表说明 sheet naming one column per row is not taken for a header row."""
    sheet = _sheet(["填表说明"], ["项目名称"], ["计划总投资(万元)"], ["产业类别"], name="填表说明")
    assert find_layout(sheet, SEARCH) is None


def test_a_sheet_without_a_recognisable_header_rejects_the_file():
    """When no sheet has a recognisable header the whole file is refused, saying which columns are expected."""
    sheets = [_sheet(["2024年10月招商工作推进会签到表"], ["姓名", "单位", "职务", "联系电话"], ["王丽", "城东街道", "科员", ""])]
    with pytest.raises(FileRejected) as caught:
        find_layouts(sheets, SEARCH)
    assert str(caught.value) == (
        "没有找到可识别的表头：请使用系统模板，表头须包含“项目名称”“计划总投资(万元)”等列"
        "（单元名录须包含 单元编码、单元名称、单元类型；年度目标须包含 年度、单元编码）")


def test_only_sheets_of_the_first_recognised_kind_are_kept():
    """A report with an instruction sheet and a stray register sheet keeps the project sheets only."""
    sheets = [
        _sheet(["填表说明"], ["1. 项目名称每月保持一致"], name="填表说明"),
        _sheet(["项目名称", "产业类别", "计划总投资(万元)"], name="续建项目"),
        _sheet(["单元编码", "单元名称", "单元类型"], name="单元"),
        _sheet(["项目名", "产业分类", "总投资"], name="新签约项目"),
    ]
    assert [(lay.kind, lay.sheet.name) for lay in find_layouts(sheets, SEARCH)] == [
        ("projects", "续建项目"), ("projects", "新签约项目")]
