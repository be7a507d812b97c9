"""The columns of the three workbooks units hand in: canonical headers, the variants real sheets use, and types."""
from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from pipelines.vocabulary import MILESTONES, WAN_PER_YI


class Column(NamedTuple):
    id: str
    header: str  # canonical header written in the template
    kind: str  # how a cell is parsed: see pipelines.cells.PARSERS
    required: bool
    aliases: tuple[str, ...] = ()  # other names seen in real sheets (normalised, without unit)
    help: str = ""  # one line for the template's 填表说明
    unit: str = ""  # unit assumed when the header names none (money and area columns)


PROJECT_COLUMNS: tuple[Column, ...] = (
    Column("period", "报告期", "period", True, ("报告期间", "填报月份", "报送月份", "统计期", "月份"),
           "报告月份，如 2024-10；整表同一月份时也可在上传时统一指定"),
    Column("unit", "填报单位", "unit", True, ("招商单元", "所属单元", "责任单位", "单位名称", "单位"),
           "单元编码或单元全称"),
    Column("project_code", "项目编号", "text", False, ("项目代码", "项目ID", "编号"),
           "系统分配的项目编号；新项目留空，系统按名称匹配或新建"),
    Column("project_name", "项目名称", "text", True, ("项目名",), "项目全称，每月保持一致"),
    Column("investor", "投资方", "text", False, ("投资主体", "投资企业", "投资商", "签约主体", "投资单位", "签约企业", "业主单位"),
           "签约后必填"),
    Column("investor_uscc", "统一社会信用代码", "uscc", False, ("社会信用代码", "信用代码"),
           "投资方的18位统一社会信用代码，可不填；填写时须正确"),
    Column("industry", "产业类别", "industry", True, ("产业类型", "行业类别", "所属产业", "产业分类"),
           "制造业/服务业/农业/文旅/康养/其他"),
    Column("chain", "产业链", "text", False, ("所属产业链",), "如 纺织服装、生物医药"),
    Column("is_foreign", "是否外资", "yesno", False, ("外资项目",), "是/否"),
    Column("total_investment_wan", "计划总投资(万元)", "money", True,
           ("计划总投资", "总投资", "项目总投资", "计划投资总额", "投资总额", "总投资额", "计划总投资额"), "大于0；表头注明亿元或元时自动换算", "万元"),
    Column("fixed_investment_wan", "固定资产投资(万元)", "money", False, ("固定资产投资", "其中固定资产投资", "固投"),
           "不大于计划总投资", "万元"),
    Column("foreign_investment_usd_wan", "外资金额(万美元)", "usd", False, ("外资金额", "合同外资", "实际外资"),
           "万美元", "万美元"),
    Column("land_mu", "用地面积(亩)", "area", False, ("用地面积", "用地", "土地面积", "供地面积", "占地面积", "用地规模"), "亩", "亩"),
    *(
        Column(m.date_field, m.header, "date", False, alias, "日期，如 2024-03-08；只知月份时填 2024-03")
        for m, alias in zip(MILESTONES, (
            ("线索登记时间", "信息收集日期", "登记日期"),
            ("研判通过时间", "研判日期", "研判时间"),
            ("审批通过时间", "审批日期", "落地审批日期", "落户预审日期"),
            ("签约时间",),
            ("开工时间", "实际开工日期", "实际开工时间"),
            ("纳统时间", "入统日期", "入库日期", "入库时间"),
            ("竣工时间",),
            ("投产时间",),
        ))
    ),
    Column("planned_start_date", "计划开工日期", "date", False, ("计划开工时间", "预计开工日期", "预计开工时间"),
           "日期，如 2024-03-08"),
    Column("status", "项目状态", "status", False, ("状态",), "正常推进/暂缓/终止；空白视为正常推进"),
    Column("annual_plan_wan", "年度计划投资(万元)", "money", False,
           ("年度计划投资", "本年计划投资", "年度计划", "本年度计划投资", "年度计划投资额"), "", "万元"),
    Column("invested_to_date_wan", "累计完成投资(万元)", "money", False,
           ("累计完成投资", "累计完成", "开工以来累计完成投资", "累计完成投资额", "已完成投资"), "开工至今累计", "万元"),
    Column("funds_in_place_wan", "累计到位资金(万元)", "money", False, ("累计到位资金", "到位资金"), "", "万元"),
    Column("progress_note", "本月进展", "text", False, ("项目进展", "进展情况", "本月进展情况", "项目进展情况", "推进情况", "目前进展"), ""),
    Column("issues", "存在问题", "text", False, ("存在的问题", "问题及困难", "困难问题", "存在问题及困难", "需协调解决的问题", "需协调问题"), ""),
    Column("liaison_leader", "包联领导", "text", False, ("联系领导", "挂联领导", "责任领导", "包抓领导"), ""),
    Column("contact_name", "联系人", "text", False, ("项目联系人",), ""),
    Column("contact_phone", "联系电话", "text", False, ("电话", "手机", "联系方式"), ""),
)

UNIT_COLUMNS: tuple[Column, ...] = (
    Column("code", "单元编码", "text", True, ("单位编码", "编码")),
    Column("name", "单元名称", "text", True, ("单位名称",)),
    Column("kind", "单元类型", "unit_kind", True, ("单位类型", "类型")),
    Column("group", "考核组别", "text", True, ("组别", "考核分组")),
)

TARGET_COLUMNS: tuple[Column, ...] = (
    Column("year", "年度", "year", True, ("年份",)),
    Column("unit", "单元编码", "unit", True, ("单位编码",)),
    Column("signed_major", "签约亿元以上项目数", "count", False, ()),
    Column("signed_amount_wan", "签约金额(亿元)", "money", False, ("签约金额",), "", "亿元"),
    Column("commenced", "新开工项目数", "count", False, ("开工项目数",)),
    Column("production", "新投产项目数", "count", False, ("投产项目数",)),
    Column("major_manufacturing", "7亿元以上制造业项目数", "count", False, ("7亿以上制造业项目数",)),
    # The further targets (DOMAIN §7): blank means none.
    Column("in_stats", "新纳统项目数", "count", False, ("纳统项目数", "新增纳统项目数", "亿元以上入库项目数", "入库项目数",
                                                    "新入库项目数")),
    Column("signed_50yi", "签约50亿元以上项目数", "count", False, ("50亿元以上项目数", "签约50亿以上项目数")),
    Column("signed_10_50yi", "签约10亿至50亿元项目数", "count", False,
           ("10亿至50亿元项目数", "签约10亿至50亿项目数", "签约10-50亿元项目数", "10-50亿元项目数")),
    Column("signed_5_10yi", "签约5亿至10亿元项目数", "count", False,
           ("5亿至10亿元项目数", "签约5亿至10亿项目数", "签约5-10亿元项目数", "5-10亿元项目数")),
    Column("invested_year_wan", "本年完成投资(亿元)", "money", False, ("本年完成投资", "年度完成投资", "完成投资"), "",
           "亿元"),
)

COLUMNS_BY_KIND: dict[str, tuple[Column, ...]] = {
    "projects": PROJECT_COLUMNS,
    "units": UNIT_COLUMNS,
    "targets": TARGET_COLUMNS,
}

# Headers a kind's header row must contain to be recognised, checked in this order.
SIGNATURES: tuple[tuple[str, frozenset[str]], ...] = (
    ("targets", frozenset({"year", "unit"})),
    ("units", frozenset({"code", "name", "kind"})),
    ("projects", frozenset({"project_name", "total_investment_wan"})),
)

# Columns that are recognised and deliberately not read.
IGNORED_HEADERS = frozenset({"序号", "序", "No", "NO", "备注"})

# Multipliers from the unit named in a header to the column's stored unit.
SCALES: dict[str, dict[str, float]] = {
    "money": {"万元": 1.0, "亿元": float(WAN_PER_YI), "元": 0.0001, "千元": 0.1},
    "usd": {"万美元": 1.0, "亿美元": 10000.0, "美元": 0.0001, "千美元": 0.1},
    "area": {"亩": 1.0, "万亩": 10000.0},
}

_UNIT_IN_HEADER = re.compile(r"^(?P<base>.*?)\((?:单位:)?(?P<unit>[^()]*)\)$")
# '计划总投资/万元': a unit after a slash, only a unit of money, dollars or area (a slash also joins two names).
_UNIT_AFTER_SLASH = re.compile(r"^(?P<base>.+?)/(?P<unit>(?:万|亿|千)?(?:美)?元|万?亩)$")
# Marks templates add to a header: '*', '※', '(必填)', '必填' at the end.
_REQUIRED_MARKS = re.compile(r"[\s*※]|\((?:必填|选填|可选|非必填|必填项)\)|(?:必填|选填)$")


def normalise_header(text: object) -> str:
    """A header as compared: NFKC (full-width brackets become ASCII), no whitespace, no required-marks."""
    folded = unicodedata.normalize("NFKC", str(text or ""))
    return _REQUIRED_MARKS.sub("", folded)


def split_header(text: object) -> tuple[str, str]:
    """(base, unit) of a header: '计划总投资（亿元）', '计划总投资（单位：亿元）' and '计划总投资/亿元' give
    ('计划总投资', '亿元')."""
    header = normalise_header(text)
    match = _UNIT_IN_HEADER.match(header) or _UNIT_AFTER_SLASH.match(header)
    if match:
        return match["base"], match["unit"]
    return header, ""


def _lookup(columns: tuple[Column, ...]) -> dict[str, Column]:
    table: dict[str, Column] = {}
    for column in columns:
        for name in (split_header(column.header)[0], *column.aliases):
            table.setdefault(normalise_header(name), column)
    return table


HEADER_LOOKUP: dict[str, dict[str, Column]] = {kind: _lookup(cols) for kind, cols in COLUMNS_BY_KIND.items()}
