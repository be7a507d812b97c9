"""The demo county 青岚县: the knobs of the demo, its eight units with their pace and the look of their
workbooks, and the names its projects and investors are made of."""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from pipelines.access import Actor
from pipelines.vocabulary import MANUFACTURING, MILESTONES

# ---------------------------------------------------------------------------------------------------------
# The demo's knobs. Days are calendar days; money is 万元 unless a name says otherwise.
# ---------------------------------------------------------------------------------------------------------
COUNTY = "青岚县"  # the fictional county; also the seed of every random choice
TARGETS_LOADED = dt.datetime(2000, 1, 15, 10, 0)  # month, day and time each year's targets are loaded
CSV_MONTHS = 12  # U05 sends GBK CSV for its first months
XLS_MONTHS = 18  # U06 sends .xls for its first months
DEMO_ACTOR = Actor("演示数据", "admin")


# ---------------------------------------------------------------------------------------------------------
# Units: who they are, how fast they go, and what their workbooks look like.
# ---------------------------------------------------------------------------------------------------------
class Style(NamedTuple):
    """How one unit's workbooks look: which columns, what headers, how dates and money are written."""

    columns: tuple[str, ...]  # column ids written, in order (see pipelines.ingest.columns)
    headers: dict[str, str]  # headers that differ from the template's
    date_form: str  # excel (real dates) / slash (2024/3/8) / chinese (2024年3月8日) / iso / serial (Excel numbers)
    period_form: str  # iso (2024-03) / chinese (2024年3月) / upload (no 报告期, 填报单位 columns: given on upload)
    unit_by_name: bool = False  # 填报单位 as the unit's name rather than its code
    title: bool = False  # title rows above the header
    serial: bool = False  # a 序号 column
    totals: bool = False  # a 合计 row at the bottom
    signature: bool = False  # a 填表人 line at the bottom
    text_money: bool = False  # money as text with thousands separators
    blank_active: bool = False  # 项目状态 left blank for 正常推进
    early_format: str = "xlsx"  # xlsx / csv (GBK) / xls: the format of the unit's first months
    early_months: int = 0


_DATES = tuple(m.date_field for m in MILESTONES)
_FULL = ("period", "unit", "project_name", "investor", "investor_uscc", "industry", "chain", "is_foreign",
         "total_investment_wan", "fixed_investment_wan", "foreign_investment_usd_wan", "land_mu", *_DATES,
         "planned_start_date", "status", "annual_plan_wan", "invested_to_date_wan", "funds_in_place_wan",
         "progress_note", "issues", "liaison_leader", "contact_name", "contact_phone")
_TOWN = ("period", "unit", "project_name", "investor", "investor_uscc", "industry", "chain",
         "total_investment_wan", "land_mu", *_DATES, "planned_start_date", "status", "annual_plan_wan",
         "invested_to_date_wan", "funds_in_place_wan", "progress_note", "issues", "liaison_leader", "contact_name",
         "contact_phone")


class DemoUnit(NamedTuple):
    code: str
    name: str
    kind: str
    group: str
    weight: float  # share of the county's projects
    chains: tuple[str, ...]  # industry chains it attracts, most frequent first
    pace: float  # this year's completion of its targets minus 序时进度 (drives 落后序时进度)
    commencement: str | None  # band of its 签约项目开工率 this year: green / yellow / red (None: as it falls)
    stats: str | None  # band of its 开工项目纳统率 this year
    late: float  # chance a monthly report arrives after the due day
    style: Style


UNITS: tuple[DemoUnit, ...] = (
    DemoUnit("U01", "青岚经济开发区", "园区", "园区组", 0.19, ("新材料", "高端装备", "生物医药"),
             0.10, "green", "green", 0.04, Style(_FULL, {}, "excel", "iso")),
    DemoUnit("U02", "青岚高新园区", "园区", "园区组", 0.16, ("数字经济", "生物医药", "高端装备"),
             0.0, "yellow", "green", 0.05,
             Style(_FULL, {"total_investment_wan": "计划总投资（亿元）", "investor": "投资主体"}, "excel", "iso",
                   title=True, serial=True, totals=True, signature=True)),
    DemoUnit("U03", "翠屏山文旅度假区", "园区", "园区组", 0.11, ("文旅康养", "现代服务"),
             -0.15, "red", "yellow", 0.15,
             Style(_FULL, {"total_investment_wan": "计划 总投资", "commenced_date": "开工时间",
                           "in_stats_date": "入库时间", "progress_note": "项目进展"}, "slash", "iso")),
    DemoUnit("U04", "城关街道", "乡镇街道", "乡镇组", 0.12, ("现代服务", "数字经济", "绿色食品"),
             0.05, "green", "red", 0.05,
             Style(_TOWN[2:], {}, "chinese", "upload", title=True, signature=True)),
    DemoUnit("U05", "云溪镇", "乡镇街道", "乡镇组", 0.12, ("绿色食品", "文旅康养", "新材料"),
             -0.35, "green", "green", 0.08,
             Style(_TOWN, {}, "excel", "iso", early_format="csv", early_months=CSV_MONTHS)),
    DemoUnit("U06", "石门镇", "乡镇街道", "乡镇组", 0.11, ("高端装备", "新材料", "绿色食品"),
             -0.25, "red", "red", 0.35,
             Style(_TOWN, {"investor": "投资企业"}, "excel", "iso", serial=True,
                   early_format="xls", early_months=XLS_MONTHS)),
    DemoUnit("U07", "白沙镇", "乡镇街道", "乡镇组", 0.10, ("绿色食品", "文旅康养", "现代服务"),
             -0.05, "yellow", "yellow", 0.25,
             Style(_TOWN, {"progress_note": "本月进展情况"}, "excel", "chinese", unit_by_name=True,
                   title=True, serial=True, totals=True)),
    DemoUnit("U08", "桃源乡", "乡镇街道", "乡镇组", 0.09, ("绿色食品", "文旅康养"),
             0.10, None, None, 0.10,
             Style(_TOWN, {}, "serial", "iso", text_money=True, blank_active=True, signature=True)),
)
UNIT_BY_CODE = {u.code: u for u in UNITS}
EXCELLENT_UNIT = "U01"  # the one unit whose 7亿元以上制造业 signings this year exceed its target (一票评优)
MISSING_TARGET = ("U03", "production")  # no 新投产项目数 target for this unit in the as-of year (DOMAIN §7)
# The further targets of DOMAIN §7 (targets-workbook columns) the bureau gives some units every year; the others
# leave those columns blank. Every unit has a 本年完成投资 target, so the county's (their sum) is its whole.
FURTHER_TARGETS: dict[str, tuple[str, ...]] = {
    "U01": ("invested_year_wan", "in_stats", "signed_10_50yi", "signed_5_10yi"),
    "U02": ("invested_year_wan", "in_stats", "signed_10_50yi", "signed_5_10yi"),
    "U03": ("invested_year_wan", "in_stats"),
    "U04": ("invested_year_wan", "in_stats"),
    "U05": ("invested_year_wan", "in_stats", "signed_5_10yi"),
    "U06": ("invested_year_wan", "in_stats"),
    "U07": ("invested_year_wan",),
    "U08": ("invested_year_wan",),
}
STALL_UNITS = ("U02", "U06")  # units of the investment-stalled stories: they never skip a month

class Product(NamedTuple):
    label: str
    industry: str  # 产业类别
    output: str = ""  # unit of annual output named in a plant's project name ("" for a site or a service)
    scale: int = 1  # the output figure in a name is one of OUTPUT_FIGURES times this


OUTPUT_FIGURES = (1, 2, 3, 5, 6, 8, 10, 12, 15, 20, 30)
_M, _S, _A, _T, _H = MANUFACTURING, "服务业", "农业", "文旅", "康养"
# Industry chains and their products.
CHAINS: dict[str, tuple[Product, ...]] = {
    "新材料": (Product("高性能纤维", _M, "万吨"), Product("碳纤维复合材料", _M, "吨", 1000),
               Product("电子级多晶硅", _M, "吨", 1000), Product("锂电池隔膜", _M, "亿平方米"),
               Product("改性工程塑料", _M, "万吨"), Product("光伏封装胶膜", _M, "亿平方米"),
               Product("高纯石英砂", _M, "万吨"), Product("铝合金型材", _M, "万吨"), Product("特种玻璃", _M, "万吨")),
    "生物医药": (Product("原料药", _M, "吨", 100), Product("医用敷料", _M, "亿片"), Product("生物制剂", _M, "万支", 10),
                 Product("中药饮片", _M, "吨", 1000), Product("高端医疗器械", _M, "万台"),
                 Product("体外诊断试剂", _M, "万人份", 100), Product("医药中间体", _M, "吨", 100)),
    "高端装备": (Product("智能数控机床", _M, "台", 1000), Product("新能源汽车零部件", _M, "万套", 10),
                 Product("工业机器人", _M, "台", 1000), Product("精密轴承", _M, "万套", 10),
                 Product("液压元件", _M, "万件", 10), Product("智能电网设备", _M, "台", 1000),
                 Product("环保装备", _M, "台", 100), Product("电梯部件", _M, "万件", 10)),
    "数字经济": (Product("数据中心", _S), Product("电子元器件", _M, "亿只"), Product("智能终端", _M, "万台", 10),
                 Product("软件外包服务中心", _S), Product("直播电商基地", _S), Product("智能传感器", _M, "万只", 100),
                 Product("算力中心", _S)),
    "绿色食品": (Product("茶叶精深加工", _M, "吨", 1000), Product("预制菜", _M, "万吨"), Product("高山蔬菜基地", _A),
                 Product("中药材种植基地", _A), Product("竹笋加工", _M, "万吨"), Product("生态养殖", _A),
                 Product("粮油加工", _M, "万吨"), Product("冷链食品", _M, "万吨")),
    "文旅康养": (Product("温泉度假酒店", _T), Product("精品民宿集群", _T), Product("康养社区", _H),
                 Product("研学实践基地", _T), Product("房车露营地", _T), Product("古村落保护开发", _T),
                 Product("森林康养基地", _H), Product("景区提升", _T), Product("颐养中心", _H)),
    "现代服务": (Product("冷链物流中心", _S), Product("商贸综合体", _S), Product("仓储物流园", _S),
                 Product("职业技能培训基地", _S), Product("汽车服务综合体", _S), Product("供应链服务中心", _S)),
}
TRADES = {"新材料": "新材料科技", "生物医药": "生物医药", "高端装备": "智能装备", "数字经济": "数字科技",
          "绿色食品": "食品", "文旅康养": "文化旅游发展", "现代服务": "供应链管理"}
BRAND_FIRST = "华中恒瑞鼎嘉宏博新金天安远德锦汇盛泰普晶科源誉卓万正海信"
BRAND_SECOND = "锐达创丰润辉通航晟力宇能欣捷邦诚铭凯川晖"
PLACES = ("翠屏山", "云溪", "石门", "白沙", "桃源", "青岚湖", "凤栖", "龙潭", "鹿鸣", "松涛", "栖霞岭", "梅溪")
# Where investors come from, with the region code their 统一社会信用代码 carries (the county's own is fictional).
REGIONS = (("浙江", "330000"), ("杭州", "330100"), ("宁波", "330200"), ("上海", "310000"), ("江苏", "320000"),
           ("苏州", "320500"), ("安徽", "340000"), ("福建", "350000"), ("广东", "440000"), ("深圳", "440300"),
           ("山东", "370000"), ("北京", "110000"), ("青岚", "339988"))
COMPANY_FORMS = ("有限公司", "有限公司", "股份有限公司", "集团有限公司")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN_NAMES = ("建国", "志强", "海燕", "晓东", "丽华", "文斌", "卫东", "秀英", "俊杰", "婷婷", "国庆", "明辉",
               "春梅", "立新", "子涵", "嘉怡")
LEADERS = ("王卫东", "李海燕", "张建国", "刘文斌", "陈立新", "周明辉")  # 包联领导: the county's leaders
ISSUES = ("用地指标待落实", "环评手续办理中", "施工许可办理中", "电力配套待完善", "投资方资金到位较慢", "规划调整待批复")
NOTES = {
    "lead": "已对接洽谈，收集项目信息", "evaluated": "已通过项目研判会，推进落地审批",
    "approved": "落地审批已通过，洽谈投资协议", "signed": "已签订投资协议，办理开工前手续",
    "commenced": "项目已开工，主体施工中", "in_stats": "已纳统入库，按计划推进建设",
    "completed": "主体工程已竣工，设备安装调试", "production": "项目已投产",
    "paused": "项目暂缓推进", "terminated": "投资方意向变化，项目终止",
}
