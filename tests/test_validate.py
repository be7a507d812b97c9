"""pipelines.ingest.validate: every row parsed to canonical values; every blocking rule rejects the row with its sheet
row number, the header as the sheet shows it and a reason in Chinese; warnings keep the row."""
from __future__ import annotations

import datetime as dt

import pytest

from pipelines import settings
from pipelines.access import Actor
from pipelines.cells import CellError
from pipelines.ingest.layout import find_layouts
from pipelines.ingest.validate import Context, UnitDirectory, Validated, validate
from pipelines.ingest.workbook import FileRejected, Sheet
from tests.fixtures import build

RECEIVED = dt.datetime(2024, 11, 5, 9, 30)
UNITS = UnitDirectory({"U01": "经济开发区", "U02": "城东街道", "U03": "城西街道"})
ADMIN = Actor("测试管理员", "admin")
EAST_USER = Actor("王丽", "unit", "U02")
TITLE = ["城东街道2024年10月招商引资项目推进情况表"]


def _check(table: build.Table, actor: Actor = ADMIN, config=None, **context) -> Validated:
    sheet = Sheet(table.name, table.lines())
    ctx = Context(actor, UNITS, RECEIVED, config or settings.load(env={}), **context)
    return validate(find_layouts([sheet], 30), ctx)


def _errors(result: Validated) -> list[tuple]:
    return [(p.row, p.column, p.reason) for p in result.errors]


def _project(name: str = "智能装备产业园（一期）", **cells: object) -> dict[str, object]:
    """A valid signed project row of 城东街道 for 2024-10, with `cells` (header → cell) replacing or adding."""
    return build.report_row(name, **{"投资方": "宁波智造装备有限公司", "签约日期": "2024-03-08", **cells})


GOOD = _project("年产10万吨新材料项目", 投资方="杭州恒远新材料科技有限公司")


def _said(row: int, cells: dict[str, object], header: str, reason: str) -> str:
    """The problem as a 填报员 reads it: the row, the project it names (none when the name is missing), the header
    and the reason."""
    name = cells.get("项目名称", "智能装备产业园（一期）")
    return f"第{row}行（{name}）{header} {reason}" if name else f"第{row}行 {header} {reason}"

# (cells of the second row, header named in the message, reason): each is one blocking rule.
REJECTIONS = [
    ({"签约日期": "2024-13-01"}, "签约日期", "'2024-13-01' 不是有效日期，请填写如 2024-03-08"),
    ({"开工时间": "2024/2/30"}, "开工时间", "'2024/2/30' 不是有效日期，请填写如 2024-03-08"),
    ({"计划总投资(万元)": "约1.2亿"}, "计划总投资(万元)", "'约1.2亿' 不是有效的数字，请只填写数字（如 12000 或 1.2）"),
    ({"计划总投资(万元)": 0}, "计划总投资(万元)", "'0' 应大于0"),
    ({"计划总投资(万元)": "-500"}, "计划总投资(万元)", "'-500' 应大于0"),
    ({"计划总投资(万元)": None}, "计划总投资(万元)", "为必填项，不能为空"),
    ({"统一社会信用代码": "91110000802100433C"}, "统一社会信用代码",
     "'91110000802100433C' 校验位不正确，请核对统一社会信用代码"),
    ({"统一社会信用代码": "9111000080210043"}, "统一社会信用代码", "'9111000080210043' 应为18位统一社会信用代码（现为16位）"),
    ({"产业类别": "化工"}, "产业类别", "'化工' 不是可选的产业类别，请从 制造业/服务业/农业/文旅/康养/其他 中选择"),
    ({"产业类别": None}, "产业类别", "为必填项，不能为空"),
    ({"项目名称": None}, "项目名称", "为必填项，不能为空"),
    ({"项目状态": "待定"}, "项目状态", "'待定' 不是可选的项目状态，请填写 正常推进/暂缓/终止"),
    ({"是否外资": "Y"}, "是否外资", "'Y' 应填写“是”或“否”"),
    ({"外资金额(万美元)": "-1"}, "外资金额(万美元)", "'-1' 不能为负数"),
    ({"用地面积（亩）": "约50亩"}, "用地面积（亩）", "'约50亩' 不是有效的数字，请只填写数字（如 12000 或 1.2）"),
    ({"固定资产投资(万元)": 20000}, "固定资产投资(万元)", "20000万元 大于计划总投资 12000万元"),
    ({"年度计划投资(万元)": -1}, "年度计划投资(万元)", "'-1' 不能为负数"),
    ({"累计完成投资(万元)": "-3,000"}, "累计完成投资(万元)", "'-3000' 不能为负数"),
    ({"累计到位资金(万元)": -2}, "累计到位资金(万元)", "'-2' 不能为负数"),
    ({"报告期": "2024-13"}, "报告期", "'2024-13' 不是有效的报告期，请填写如 2024-10"),
    ({"报告期": "2024-12"}, "报告期", "2024-12 晚于报送时间 2024-11-05，不能填报未来月份"),
    ({"报告期": None}, "报告期", "为空：请填写报告月份，如 2024-10（整表同一月份时可在上传时统一指定）"),
    ({"填报单位": "城南街道"}, "填报单位", "'城南街道' 不在单元名录中，请填写单元编码或单元全称"),
    ({"填报单位": None}, "填报单位", "为必填项，不能为空：请填写单元编码或单元全称"),
    ({"开工日期": "2024-11-01"}, "开工日期", "2024-11-01 晚于报告期末 2024-10-31，不能填写未发生的节点"),
    ({"签约日期": None, "开工日期": "2024-05-01"}, "开工日期", "已填写，但未填写签约日期：开工须在签约之后"),
    ({"纳统日期": "2024-09-01"}, "纳统日期", "已填写，但未填写开工日期：纳统须在开工之后"),
    ({"竣工日期": "2024-09"}, "竣工日期", "已填写，但未填写开工日期：竣工须在开工之后"),
    ({"投产日期": "2024年9月30日"}, "投产日期", "已填写，但未填写开工日期：投产须在开工之后"),
    ({"开工日期": "2024-05-01", "纳统日期": "2024-04-01"}, "纳统日期", "2024-04-01 早于开工日期 2024-05-01：须先开工后纳统"),
    ({"计划总投资(万元)": 300, "开工日期": "2024-05-01", "纳统日期": "2024-06-01"}, "纳统日期",
     "已填写，但计划总投资 300万元 不足500万元，不能纳统"),
    ({"投资方": None}, "投资方", "为空：已签约的项目须填写投资方"),
    ({"项目名称": "年产10万吨 新材料项目"}, "项目名称", "与第3行重复：同一项目同一报告期只能填写一行"),
]


@pytest.mark.parametrize("cells, header, reason", REJECTIONS, ids=[r[2][:24] for r in REJECTIONS])
def test_each_blocking_rule_rejects_the_row_and_keeps_the_others(cells, header, reason):
    """The bad row (sheet row 4, under a title row and the header) is rejected with exactly one problem naming
    the header as the sheet shows it; the good row above it is accepted."""
    table = build.project_table([GOOD, _project(**cells)], titles=TITLE)
    result = _check(table)
    row = table.row_number(1)
    assert row == 4
    assert _errors(result) == [(4, header, _said(4, cells, header, reason))]
    assert [r.row for r in result.rejected] == [4]
    assert [r.values["project_name"] for r in result.records] == ["年产10万吨新材料项目"]


def test_every_problem_of_a_row_is_reported_at_once():
    """A row with three bad cells gets three problems, in column order, not just the first."""
    table = build.project_table([_project(统一社会信用代码="91440300708461136A", 产业类别="化工", 签约日期="2024.13.1")])
    assert [p.column for p in _check(table).errors] == ["产业类别", "签约日期", "统一社会信用代码"]


def test_a_repeated_cell_is_judged_on_every_row_it_is_on():
    """Each distinct text or date is parsed once per column, yet every row holding a bad one is refused for it and
    every row holding a good one gets its value; an error value that reads like a text is still refused."""
    rows = [_project(f"项目{i}", 签约日期=("2024-13-01", dt.date(2024, 3, 8), CellError("#N/A"))[i % 3]) for i in range(6)]
    result = _check(build.project_table(rows))
    bad_date = "'2024-13-01' 不是有效日期，请填写如 2024-03-08"
    error = "是 Excel 错误值 #N/A（公式出错或引用失效），请改正后重传"
    assert _errors(result) == [(row, "签约日期", f"第{row}行（项目{row - 2}）签约日期 {bad_date if row % 3 == 2 else error}")
                               for row in (2, 4, 5, 7)]
    assert [(r.row, r.values["signed_date"]) for r in result.records] == [(3, dt.date(2024, 3, 8)), (6, dt.date(2024, 3, 8))]


def test_rejected_row_keeps_what_the_unit_sent():
    """A rejected row keeps its cells as the sheet shows them, keyed by the sheet's headers."""
    row = {"报告期": "2024-10", "填报单位": "城东街道", "项目名称": "智能装备产业园（一期）", "产业类别": "工业",
           "计划总投资（亿元）": "一点二", "签约日期": dt.date(2024, 3, 8), "开工日期": None, "投资方": "/"}
    [record] = _check(build.project_table([row])).rejected
    assert record.raw == {"报告期": "2024-10", "填报单位": "城东街道", "项目名称": "智能装备产业园（一期）",
                          "产业类别": "工业", "计划总投资（亿元）": "一点二", "签约日期": "2024-03-08"}


def test_a_full_row_becomes_canonical_values():
    """Every column of a row is parsed to its stored form: codes, dates, 万元, booleans, status ids."""
    row = {"报告期": "2024年10月", "填报单位": "U02", "项目编号": "ZS000007", "项目名称": " 年产10万吨新材料项目 ",
           "投资方": "杭州恒远新材料科技有限公司", "统一社会信用代码": "91110000802100433b", "产业类别": "工业",
           "产业链": "新材料", "是否外资": "否", "计划总投资（亿元）": "1.2", "固定资产投资(万元)": "9,500",
           "外资金额(万美元)": 0, "用地面积(亩)": 120.5, "线索登记日期": "2023年6月", "研判通过日期": "2023-08-15",
           "审批通过日期": "2023/10/9", "签约日期": dt.date(2024, 3, 8), "开工日期": build.Serial(45413),
           "纳统日期": "20240901", "计划开工日期": "2024.4", "项目状态": "在建", "年度计划投资(万元)": 6000,
           "累计完成投资(万元)": "4,200.5", "累计到位资金(万元)": 5000, "本月进展": "主体厂房封顶",
           "存在问题": "无", "包联领导": "张副县长", "联系人": "王丽", "联系电话": 13800000001}
    [record] = _check(build.project_table([row])).records
    assert record.values == {
        "period": dt.date(2024, 10, 1), "unit": "U02", "project_code": "ZS000007", "project_name": "年产10万吨新材料项目",
        "investor": "杭州恒远新材料科技有限公司", "investor_uscc": "91110000802100433B", "industry": "制造业",
        "chain": "新材料", "is_foreign": False, "total_investment_wan": 12000.0, "fixed_investment_wan": 9500.0,
        "foreign_investment_usd_wan": 0.0, "land_mu": 120.5, "lead_date": dt.date(2023, 6, 1),
        "evaluated_date": dt.date(2023, 8, 15), "approved_date": dt.date(2023, 10, 9),
        "signed_date": dt.date(2024, 3, 8), "commenced_date": dt.date(2024, 5, 1), "in_stats_date": dt.date(2024, 9, 1),
        "planned_start_date": dt.date(2024, 4, 1), "status": "active", "annual_plan_wan": 6000.0,
        "invested_to_date_wan": 4200.5, "funds_in_place_wan": 5000.0, "progress_note": "主体厂房封顶",
        "liaison_leader": "张副县长", "contact_name": "王丽", "contact_phone": "13800000001",
    }


@pytest.mark.parametrize("cells, header, reason", [
    ({"开工日期": "2024-02-01"}, "开工日期", "2024-02-01 早于签约日期 2024-03-08，节点顺序异常，请核实"),
    ({"审批通过日期": "2024-04-01"}, "签约日期", "2024-03-08 早于审批通过日期 2024-04-01，节点顺序异常，请核实"),
    ({"累计完成投资(万元)": 13000}, "累计完成投资(万元)", "13000万元 大于计划总投资 12000万元，请核实"),
])
def test_warnings_do_not_reject(cells, header, reason):
    """开工 before 签约 (real projects do start early) and similar oddities are warnings; the row loads."""
    result = _check(build.project_table([_project(**cells)], titles=TITLE))
    assert (len(result.records), result.errors) == (1, [])
    assert [(p.row, p.column, p.reason) for p in result.warnings] == [(3, header, _said(3, cells, header, reason))]


def test_blank_total_and_signature_rows_are_not_projects():
    """Blank rows, template rows holding only 序号/报告期/填报单位, 合计/小计/总计 and signature or note lines are
    passed over; a row with data but no 项目名称 is rejected, not skipped."""
    rows = [GOOD, {}, {"报告期": "2024-10", "填报单位": "城东街道"}, _project(项目名称=None, 本月进展="完成土地摘牌")]
    footer = [["合计", None, None, None, None, 132000], [None, None, None, "小计", None, 120000], ["总计：2个项目"],
              ["填表人：王丽　　审核人：陈建军"], ["审核：李建国"], ["注：金额单位为万元"], ["填报日期：2024年11月5日"]]
    table = build.project_table(rows, titles=TITLE, footer=footer)
    result = _check(table)
    assert [r.row for r in result.records] == [3]
    assert _errors(result) == [(6, "项目名称", "第6行 项目名称 为必填项，不能为空")]


@pytest.mark.parametrize("line", ["单位负责人（签字）：王五　　填表人：张三", "填表人（签字）：", "报送单位（盖章）：城东街道",
                                  "填表单位：城东街道", "统计人：张三", "填表人 张三　审核人 李四", "单位（盖章）"])
def test_signature_lines_in_the_name_column_are_not_projects(line):
    """A signature line written where the project names are (a sheet without 序号) is passed over, in the forms
    units write it; a project whose name begins like one ("经办人才驿站项目", "注塑件生产项目") is still a project."""
    rows = [GOOD, _project("经办人才驿站项目"), _project("注塑件生产项目")]
    table = build.project_table(rows, titles=TITLE, footer=[[None, None, line]], numbered=False)
    result = _check(table)
    assert [r.values["project_name"] for r in result.records] == ["年产10万吨新材料项目", "经办人才驿站项目", "注塑件生产项目"]
    assert _errors(result) == []


def test_a_header_wrapped_in_its_cell_is_named_on_one_line():
    """A header typed on two lines ("开工\n日期") is named "开工日期" in a rejection, as one line."""
    row = _project(**{"开工日期": "2024-13-01"})
    header = [("开工\n日期" if h == "开工日期" else h) for h in row]
    table = build.project_table([dict(zip(header, row.values()))])
    assert _errors(_check(table)) == [
        (2, "开工日期", "第2行（智能装备产业园（一期））开工日期 '2024-13-01' 不是有效日期，请填写如 2024-03-08")]


def test_a_statistics_date_before_the_signing_is_a_warning():
    """纳统 after 开工 but before 签约 (开工 before 签约 happens): both dates are warned about, the row loads; 纳统
    before 开工 stays a rejection (DOMAIN §2)."""
    result = _check(build.project_table([_project(签约日期="2024-05-01", 开工日期="2024-03-01", 纳统日期="2024-04-01")]))
    assert _errors(result) == [] and len(result.records) == 1
    assert [(p.column, p.reason) for p in result.warnings] == [
        ("开工日期", "第2行（智能装备产业园（一期））开工日期 2024-03-01 早于签约日期 2024-05-01，节点顺序异常，请核实"),
        ("纳统日期", "第2行（智能装备产业园（一期））纳统日期 2024-04-01 早于签约日期 2024-05-01，节点顺序异常，请核实")]


def test_period_given_for_the_whole_file():
    """Without a 报告期 column the period given at upload applies; a 报告期 cell still wins for its row."""
    rows = [{k: v for k, v in _project(name).items() if k != "报告期"} for name in ("甲项目", "乙项目")]
    table = build.project_table(rows)
    october = dt.date(2024, 10, 1)
    assert [r.values["period"] for r in _check(table, period=october).records] == [october, october]
    rows[1]["报告期"] = "2024-09"
    table = build.project_table(rows)
    assert [r.values["period"] for r in _check(table, period=october).records] == [october, dt.date(2024, 9, 1)]


def test_unit_user_may_submit_only_its_own_unit():
    """A 城东街道 user's rows for its own unit (by name, code or left blank) load; a row for 城西街道 is rejected."""
    rows = [_project("甲项目"), _project("乙项目", 填报单位="U02"), _project("丙项目", 填报单位=None),
            _project("丁项目", 填报单位="城西街道")]
    result = _check(build.project_table(rows), actor=EAST_USER, unit_code="U02")
    assert [(r.values["project_name"], r.values["unit"]) for r in result.records] == [
        ("甲项目", "U02"), ("乙项目", "U02"), ("丙项目", "U02")]
    assert _errors(result) == [(5, "填报单位", "第5行（丁项目）填报单位 只能填报本单位（城东街道）的项目，此行是“城西街道”的")]


@pytest.mark.parametrize("table", [
    build.project_table([_project()]),
    build.Table(["单元编码", "单元名称", "单元类型", "考核组别"], [["U09", "新区", "园区", "园区组"]]),
])
def test_leader_cannot_submit_anything(table):
    """The read-only leader role is refused before any row is read."""
    with pytest.raises(PermissionError) as caught:
        _check(table, actor=Actor("县长", "leader"))
    assert str(caught.value) == "领导账号为只读，不能上传数据"


@pytest.mark.parametrize("table", [
    build.Table(["单元编码", "单元名称", "单元类型", "考核组别"], [["U09", "新区", "园区", "园区组"]]),
    build.Table(["年度", "单元编码", "签约亿元以上项目数"], [[2024, "U02", 3]]),
])
def test_unit_user_cannot_submit_register_or_targets(table):
    """Only the bureau may load the unit register or the targets."""
    with pytest.raises(PermissionError) as caught:
        _check(table, actor=EAST_USER, unit_code="U02")
    assert str(caught.value) == "单元名录和年度目标只能由招商办上传"


def test_unit_register_rules():
    """A register row is rejected for a missing field, an unknown kind, a name another code already has, a code
    or name repeated in the file; the valid rows are kept."""
    header = ["单元编码", "单元名称", "单元类型", "考核组别"]
    rows = [["U01", "经济开发区", "园区", "园区组"], ["U06", "城东街道", "乡镇街道", "乡镇组"],
            ["U07", "临港新区", "开发区", "园区组"], ["U08", "高新区", "园区", None],
            ["U09", "县商务局", "部门", "乡镇组"], ["U10", "县商务局", "部门", "乡镇组"], ["U01", "经济开发区", "园区", "园区组"]]
    result = _check(build.Table(header, rows, titles=["招商单元名录"]))
    assert [r.values["code"] for r in result.records] == ["U01", "U09"]
    assert _errors(result) == [
        (4, "单元名称", "第4行 单元名称 '城东街道' 已是单元 U02 的名称，同一名称不能对应两个编码"),
        (5, "单元类型", "第5行 单元类型 '开发区' 不是可选的单元类型，请从 园区/乡镇街道/部门/专班 中选择"),
        (6, "考核组别", "第6行 考核组别 为必填项，不能为空"),
        (8, "单元名称", "第8行 单元名称 与第7行的单元名称重复"),
        (9, None, "第9行 与第3行重复：同一单元或年度只能填写一行"),
    ]


def test_targets_rules():
    """A target row is rejected for an unknown unit, an invalid or missing year, a fractional count or a repeated
    (year, unit); a row of only 年度 and 单元编码 (a unit of the prefilled template left without targets) is passed
    over as empty; 签约金额 in 亿元 becomes 万元 and a unit given by name becomes its code."""
    header = ["年度", "单元编码", "签约亿元以上项目数", "签约金额（亿元）", "新开工项目数"]
    rows = [[2024, "U01", 12, "60", 8], ["2024年", "城东街道", 4, 15.5, None], [2024, "U09", 3, 10, 2],
            ["24", "U03", 3, 10, 2], [2024, "U03", 2.5, 10, 2], [2024, "U03", None, None, None], [2024, "U01", 1, 1, 1],
            [None, "U03", 1, 1, 1]]
    result = _check(build.Table(header, rows))
    assert [(r.values["year"], r.values["unit"], r.values.get("signed_amount_wan")) for r in result.records] == [
        (2024, "U01", 600000.0), (2024, "U02", 155000.0)]
    assert _errors(result) == [
        (4, "单元编码", "第4行 单元编码 'U09' 不在单元名录中，请填写单元编码或单元全称"),
        (5, "年度", "第5行 年度 '24' 不是有效年度，请填写如 2024"),
        (6, "签约亿元以上项目数", "第6行 签约亿元以上项目数 '2.5' 应为整数"),
        (8, None, "第8行 与第2行重复：同一单元或年度只能填写一行"),
        (9, "年度", "第9行 年度 为必填项，不能为空"),
    ]


def test_row_limit_counts_data_rows_only():
    """max_rows counts project rows, not the 合计 and signature lines below them; one row more refuses the file."""
    config = settings.load(env={}, overrides={"ingest": {"max_rows": 6}})
    footer = [["合计"], ["填表人：王丽"]]
    six = build.project_table([_project(f"项目{i}") for i in range(6)], titles=TITLE, footer=footer)
    assert len(_check(six, config=config).records) == 6
    seven = build.project_table([_project(f"项目{i}") for i in range(7)], titles=TITLE, footer=footer)
    with pytest.raises(FileRejected) as caught:
        _check(seven, config=config)
    assert str(caught.value) == "工作表“项目进展”的数据超过 6 行的上限，请分批上传"


@pytest.mark.parametrize(("row", "project", "column", "reason", "said"), [
    (12, "城东文旅综合体", "开工日期", "'2024-13-01' 不是有效日期", "第12行（城东文旅综合体）开工日期 '2024-13-01' 不是有效日期"),
    (12, None, "项目名称", "为必填项，不能为空", "第12行 项目名称 为必填项，不能为空"),
    (3, "ZS000001", None, "与第2行重复", "第3行（ZS000001）与第2行重复"),
    (3, None, None, "与第2行重复", "第3行 与第2行重复"),
])
def test_a_problem_names_its_row_project_and_column(row, project, column, reason, said):
    """DOMAIN §3: every rejection names the row's project (名称, else 编号) beside its row number."""
    from pipelines.ingest.validate import problem_text

    assert problem_text(row, project, column, reason) == said
