"""The demo county 青岚县: three years of monthly workbooks from eight units, written as files and loaded
through the ingestion path with the mess real units produce (`python -m pipelines.demo`, DOMAIN §9).

Usage: python -m pipelines.demo [--until YYYY-MM] [--db PATH] [--out DIR]

The county is planned first (units, projects with their true milestone dates, which report arrives when,
what goes wrong in it), then the workbooks are written, then loaded in the order the bureau received them.
The plan is tuned so that every later screen has something to show as of the demo's "today" (the as-of
date): all stages, units on both sides of both rate targets, every project warning rule, one 一票评优 unit.
The same arguments give the same data: only the default --until and the cap "nothing received after now"
come from the clock. A database that already holds submissions is left untouched."""
from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import functools
import io
import math
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import duckdb
import xlsxwriter
import xlwt

from pipelines import settings, store, users
from pipelines.access import Actor
from pipelines.cells import EXCEL_EPOCH, CellProblem, parse_period, uscc_check_char
from pipelines.columns import COLUMNS_BY_KIND, SCALES, split_header
from pipelines.ingest import FileReport, ingest_file
from pipelines.settings import Settings
from pipelines.validate import month_end
from pipelines.vocabulary import MANUFACTURING, MILESTONES, STATUSES, WAN_PER_YI

# ---------------------------------------------------------------------------------------------------------
# The demo's knobs. Days are calendar days; money is 万元 unless a name says otherwise.
# ---------------------------------------------------------------------------------------------------------
COUNTY = "青岚县"  # the fictional county; also the seed of every random choice
HISTORY_MONTHS = 36  # monthly report periods, ending at --until
PRE_HISTORY_MONTHS = 12  # leads registered up to this long before the first period: the opening stock
PROJECT_COUNT = 400  # randomly planned projects that appear in at least one report (story projects come on top)
AS_OF_DAY = 20  # the demo's "today" is this day of the month after the last period (or now, if earlier)
REGISTER_LOADED = dt.datetime(2000, 1, 5, 9, 0)  # month, day and time the unit register is loaded (first year)
TARGETS_LOADED = dt.datetime(2000, 1, 15, 10, 0)  # month, day and time each year's targets are loaded
SEND_DAYS = (2, 9)  # an on-time report arrives between these days of the month after its period
LATE_DAYS = (12, 25)  # a late one between these (all after the due day)
OFFICE_MINUTES = (8 * 60 + 30, 17 * 60 + 30)  # a file arrives between 08:30 and 17:30
MISSING_REPORTS = 4  # (unit, month) reports never sent over the whole history
FORGOTTEN_PER_YEAR = 8  # projects left out of one month's report and back the next
BAD_ROW_KINDS = ("bad_date", "no_name", "bad_uscc", "no_signed")  # one of each per calendar year
QUIET_MONTHS = 2  # random mess stays this many months before the last due period, so it never hides a latest state
CSV_MONTHS = 12  # U05 sends GBK CSV for its first months
XLS_MONTHS = 18  # U06 sends .xls for its first months
CORRECTION_LAG = 2  # U02 re-uploads a corrected report for the period this many months before the last due one
CORRECTION_DAYS = (6, 16)  # days of the month the original and the correction arrive
FINAL_LATE_DAY = {"U06": 14, "U07": 23}  # the last period: U06 sends late, U07 after the as-of date
TUNED_WITHIN = (0.3, 0.85)  # a tuned milestone lands this far between its basis and the last report's month end
PUSHED_DAYS = (20, 100)  # a milestone tuned out of view lands this long after the last report's month end
FILLER_TOTAL_WAN = (12000, 50000)  # 计划总投资 of a filler project (assessed, 1–5亿)
FILLER_LEAD_DAYS = (90, 200)  # a filler's lead comes this long before its signing
FILLER_SIGNED_EARLY_DAYS = (20, 90)  # a 纳统率 filler was signed this long before the year began
MIN_COHORT = 4  # a tuned unit's rate has at least this many projects behind it (the 未达标 warning needs 3)
MAX_FILLERS = 6  # extra projects a unit may get so its rate can land in the band its profile asks for
INVESTOR_KNOWN_AT_LEAD = 0.85  # share of projects whose investor is written from the lead on (others from signing)
WITH_USCC = 0.88  # share of investors with a 统一社会信用代码
FOREIGN = 0.05  # share of foreign-funded projects
WITH_LAND = 0.85  # share of projects reporting 用地面积
CNY_PER_USD = 7.1  # for 外资金额(万美元)
FOREIGN_SHARE = (0.3, 1.0)  # 外资金额 as a share of 计划总投资
FOREIGN_ORIGINS = ("香港", "新加坡", "德国")  # where foreign investors are registered
LAND_PER_YI = {"制造业": (8, 25), "服务业": (3, 10), "农业": (20, 120)}  # 亩 per 亿元 (others: LAND_PER_YI_OTHER)
LAND_PER_YI_OTHER = (10, 60)  # 文旅, 康养: large sites
LAND_MAX_MU = 800.0  # the largest site the county can offer
WITH_ISSUE = 0.3  # share of projects that report a 存在问题 while waiting to start
ANNUAL_PLAN_SHARE = 0.4  # 年度计划投资 as a share of fixed investment
FUNDS_AHEAD = 1.08  # 累计到位资金 runs this much ahead of 累计完成投资
START_SHARE = 0.05  # share of fixed investment booked in the month construction starts
FINAL_SHARE = (0.9, 1.0)  # share of fixed investment completed at completion
FIXED_SHARE = (0.6, 0.95)  # 固定资产投资 / 计划总投资

# A project's life: (milestone, the one before, (min, mode, max) days after it, chance it is dropped before).
STEPS = (
    ("evaluated", "lead", (12, 30, 100), 0.12),
    ("approved", "evaluated", (15, 40, 120), 0.06),
    ("signed", "approved", (10, 45, 150), 0.04),
    ("commenced", "signed", (15, 80, 300), 0.03),
)
DROP_DAYS = (30, 150)  # a dropped project is reported 终止 this long after its last milestone
PLANNED_START_DAYS = (30, 70, 150)  # 计划开工日期 after signing
IN_STATS_DAYS = (10, 40, 150)  # 纳统 after 开工
NEVER_IN_STATS = 0.02  # share of commenced projects that never enter the statistics
# Construction time by 计划总投资: (below this many 万元, (min, mode, max) months).
BUILD_MONTHS = ((10000, (6, 9, 14)), (50000, (10, 15, 22)), (100000, (14, 20, 28)), (math.inf, (18, 26, 36)))
PRODUCTION_DAYS = (15, 45, 150)  # 投产 after 竣工
PAUSE = 0.07  # share of projects paused (暂缓) once
PAUSE_DAYS = (60, 150, 300)  # (min, mode, max) length of a pause that ends
PAUSE_OPEN = 0.35  # share of pauses not over by the end of the history
STALL = 0.015  # share of commenced projects whose investment stops growing while still 正常推进
KEEP_LISTED = 0.15  # share of projects in production that units keep listing for a while
KEEP_LISTED_DAYS = (60, 360)
# 计划总投资 bands (万元, from, to, weight): most 1–5亿, some large; towns bring smaller projects.
SIZES_PARK = ((300, 10000, 0.12), (10000, 50000, 0.55), (50000, 100000, 0.17), (100000, 300000, 0.13),
              (300000, 600000, 0.03))
SIZES_TOWN = ((300, 10000, 0.30), (10000, 50000, 0.55), (50000, 100000, 0.10), (100000, 300000, 0.05))
PACE_SPREAD = (-0.25, 0.2)  # past years: how far each unit ended from its targets (completion − 1)

DEMO_ACTOR = Actor("演示数据", "admin")


# ---------------------------------------------------------------------------------------------------------
# Units: who they are, how fast they go, and what their workbooks look like.
# ---------------------------------------------------------------------------------------------------------
class Style(NamedTuple):
    """How one unit's workbooks look: which columns, what headers, how dates and money are written."""

    columns: tuple[str, ...]  # column ids written, in order (see pipelines.columns)
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
         "total_investment_wan", "land_mu", *_DATES, "planned_start_date", "status", "invested_to_date_wan",
         "progress_note", "issues", "liaison_leader", "contact_name", "contact_phone")


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


# ---------------------------------------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------------------------------------
def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (or earlier), clamped to the month's last day."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class Clock:
    """The demo's time frame: the report periods, its "today" and what has arrived by then."""

    last_period: dt.date  # first day of the last report month (--until)
    as_of: dt.date  # the demo's today: figures and warnings are meant to be read as of this day
    cutoff: dt.datetime  # nothing is received after this moment
    due_day: int

    @functools.cached_property
    def periods(self) -> list[dt.date]:
        return [add_months(self.last_period, -i) for i in range(HISTORY_MONTHS - 1, -1, -1)]

    @property
    def year(self) -> int:
        return self.as_of.year

    def due_date(self, period: dt.date) -> dt.date:
        return add_months(period, 1).replace(day=self.due_day)

    @property
    def due_period(self) -> dt.date:
        """The latest period whose update was due by the as-of date."""
        last = self.last_period
        return last if self.due_date(last) <= self.as_of else add_months(last, -1)


def demo_clock(until: dt.date | None, now: dt.datetime, due_day: int) -> Clock:
    """The time frame for `--until` (default: the month before `now`), capped so nothing arrives after now."""
    this_month = now.date().replace(day=1)
    last = until or add_months(this_month, -1)
    if last >= this_month:
        raise ValueError(f"--until {last:%Y-%m} 须早于本月：本月及以后的月报尚未报送")
    as_of = min(now.date(), add_months(last, 1).replace(day=AS_OF_DAY))
    return Clock(last, as_of, min(now, dt.datetime.combine(as_of, dt.time.max)), due_day)


@dataclass
class Project:
    """One project's truth: attributes and the dates it reaches each milestone (some after the as-of date)."""

    key: int
    unit: str
    name: str
    chain: str
    industry: str
    total_wan: float
    fixed_wan: float
    land_mu: float | None
    investor: str | None
    investor_uscc: str | None
    investor_known: dt.date  # first day the investor is written on reports
    foreign_usd_wan: float | None  # None: domestic
    dates: dict[str, dt.date]
    planned_start: dt.date | None = None
    build_days: int = 0  # active construction days from 开工 to 竣工
    terminated: dt.date | None = None
    pause: tuple[dt.date, dt.date | None] | None = None  # 暂缓 from, to (None: not over)
    stall_from: dt.date | None = None  # 累计完成投资 stops growing after this day
    final_share: float = 1.0
    listed_until: dt.date | None = None  # stays on the list after 投产 until this day
    leader: str = ""
    contact: tuple[str, str] = ("", "")
    issue: str = ""
    role: str = ""  # the story it tells (see _story_projects); story projects are never tuned or messed with
    omit_from: dt.date | None = None  # story: left out of every report from this period on


@dataclass(frozen=True)
class Report:
    """One monthly workbook as the bureau receives it."""

    unit: str
    period: dt.date
    received_at: dt.datetime
    version: str = ""  # "" / "original" / "correction" (the superseded pair)


@dataclass
class Plan:
    clock: Clock
    config: Settings
    projects: list[Project] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)  # only those received by the cutoff
    mess: dict[tuple[int, dt.date], str] = field(default_factory=dict)  # (project, period) → omit / bad row kind
    targets: dict[int, dict[str, dict[str, float | None]]] = field(default_factory=dict)  # year → unit → target
    names: set[str] = field(default_factory=set)
    _next_key: int = 0

    def key(self) -> int:
        self._next_key += 1
        return self._next_key


def _rng(label: str) -> random.Random:
    # One stream per concern, so changing one part of the plan leaves the others' draws alone.
    return random.Random(f"{COUNTY}/{label}")


def _tri(rng: random.Random, spec: tuple[float, float, float]) -> dt.timedelta:
    low, mode, high = spec
    return dt.timedelta(days=round(rng.triangular(low, high, mode)))


def _days(n: float) -> dt.timedelta:
    return dt.timedelta(days=round(n))


def _assessed(plan: Plan, project: Project) -> bool:
    return project.total_wan >= plan.config.figures.assess_min_investment_wan


def _uscc(rng: random.Random, region: str) -> str:
    """A valid 统一社会信用代码 of an enterprise (91…) registered in `region`, with a valid GB 11714 organisation code."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    check = 11 - sum(int(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    first17 = "91" + region + body + {10: "X", 11: "0"}.get(check, str(check))
    return first17 + uscc_check_char(first17)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def _size(rng: random.Random, unit: DemoUnit) -> float:
    bands = SIZES_PARK if unit.kind == "园区" else SIZES_TOWN
    low, high, _ = rng.choices(bands, weights=[b[2] for b in bands])[0]
    value = math.exp(rng.uniform(math.log(low), math.log(high)))
    step = 50 if value < 10000 else 500
    return float(max(low, round(value / step) * step))


def _name(rng: random.Random, plan: Plan, product: Product) -> str:
    for _ in range(100):
        brand = rng.choice(BRAND_FIRST) + rng.choice(BRAND_SECOND)
        if product.output and rng.random() < 0.5:
            figure = rng.choice(OUTPUT_FIGURES) * product.scale
            output = f"{figure / 10000:g}万{product.output}" if figure >= 10000 else f"{figure}{product.output}"
            name = f"年产{output}{product.label}项目"
        elif product.output:
            name = f"{brand}{product.label}{rng.choice(('生产基地', '智能工厂', '扩能技改', '产业园'))}项目"
        elif product.industry == _S and rng.random() < 0.6:
            name = f"{brand}{product.label}项目"
        else:
            name = f"{rng.choice(PLACES)}{product.label}项目"
        if rng.random() < 0.12:
            name = name.removesuffix("项目") + rng.choice(("（一期）", "（二期）")) + "项目"
        if name not in plan.names:
            plan.names.add(name)
            return name
    raise RuntimeError("ran out of project names")


def _new_project(rng: random.Random, plan: Plan, unit: DemoUnit, lead: dt.date, *, chain: str | None = None,
                 total_wan: float | None = None, industry: str | None = None, name: str | None = None) -> Project:
    """A project of `unit` registered on `lead`, with everything but its later milestones drawn at random."""
    chain = chain or rng.choices(unit.chains, weights=range(len(unit.chains) + 1, 1, -1))[0]
    products = [p for p in CHAINS[chain] if p.industry == industry] or CHAINS[chain]
    product = rng.choice(products)
    industry = industry or product.industry
    total = total_wan or _size(rng, unit)
    region_name, region = rng.choice(REGIONS)
    brand = rng.choice(BRAND_FIRST) + rng.choice(BRAND_SECOND)
    investor = f"{region_name}{brand}{TRADES[chain]}{rng.choice(COMPANY_FORMS)}"
    foreign = rng.random() < FOREIGN
    land_per_yi = LAND_PER_YI.get(industry, LAND_PER_YI_OTHER)
    project = Project(
        key=plan.key(), unit=unit.code, name=name or _name(rng, plan, product),
        chain=chain, industry=industry, total_wan=total,
        fixed_wan=float(round(total * rng.uniform(*FIXED_SHARE) / 10) * 10),
        land_mu=(min(LAND_MAX_MU, round(total / WAN_PER_YI * rng.uniform(*land_per_yi), 1))
                 if rng.random() < WITH_LAND else None),
        investor=investor, investor_uscc=None if foreign or rng.random() > WITH_USCC else _uscc(rng, region),
        investor_known=lead if rng.random() < INVESTOR_KNOWN_AT_LEAD else dt.date.max,
        foreign_usd_wan=float(round(total / CNY_PER_USD * rng.uniform(*FOREIGN_SHARE))) if foreign else None,
        dates={"lead": lead}, final_share=rng.uniform(*FINAL_SHARE), leader=rng.choice(LEADERS),
        contact=(_person(rng), f"1{rng.choice('3589')}{rng.randrange(10 ** 9):09d}"),
        issue=rng.choice(ISSUES) if rng.random() < WITH_ISSUE else "",
    )
    if foreign:
        project.investor = project.investor.replace(region_name, rng.choice(FOREIGN_ORIGINS), 1)
    return project


def _build_days(rng: random.Random, total_wan: float) -> int:
    months = next(spec for limit, spec in BUILD_MONTHS if total_wan < limit)
    return round(rng.triangular(months[0], months[2], months[1]) * 30.4)


def _construction(rng: random.Random, plan: Plan, p: Project, never_in_stats: float = NEVER_IN_STATS) -> None:
    """纳统, 竣工 and 投产 dates after 开工."""
    start = p.dates["commenced"]
    p.build_days = _build_days(rng, p.total_wan)
    if p.total_wan >= plan.config.figures.stats_min_investment_wan and rng.random() >= never_in_stats:
        p.dates["in_stats"] = start + _tri(rng, IN_STATS_DAYS)
    p.dates["completed"] = start + _days(p.build_days)
    p.dates["production"] = p.dates["completed"] + _tri(rng, PRODUCTION_DAYS)


def _shift_after(p: Project, day: dt.date, delta: dt.timedelta) -> None:
    """Move every milestone after `day` (and the end of listing) by `delta`."""
    for milestone, when in p.dates.items():
        if when > day:
            p.dates[milestone] = when + delta
    if p.listed_until:
        p.listed_until += delta


def _random_life(rng: random.Random, plan: Plan, p: Project) -> None:
    """Milestones from the lead on, with drops (终止), pauses (暂缓), stalls and late listing."""
    for milestone, previous, delay, drop in STEPS:
        if rng.random() < drop:
            p.terminated = p.dates[previous] + _days(rng.randint(*DROP_DAYS))
            return
        p.dates[milestone] = p.dates[previous] + _tri(rng, delay)
        if milestone == "signed":
            p.planned_start = p.dates["signed"] + _tri(rng, PLANNED_START_DAYS)
    _construction(rng, plan, p)
    if rng.random() < KEEP_LISTED:
        p.listed_until = p.dates["production"] + _days(rng.randint(*KEEP_LISTED_DAYS))
    if rng.random() < PAUSE:
        anchor = rng.choice(("approved", "signed", "commenced"))
        start = p.dates[anchor] + _days(rng.randint(10, 60))
        if rng.random() < PAUSE_OPEN:
            p.pause = (start, None)
            p.dates = {m: d for m, d in p.dates.items() if d <= start}
        else:
            length = _tri(rng, PAUSE_DAYS)
            p.pause = (start, start + length)
            _shift_after(p, start, length)
    elif rng.random() < STALL:
        p.stall_from = p.dates["commenced"] + _days(p.build_days * rng.uniform(0.2, 0.6))
        for milestone in ("completed", "production"):
            p.dates.pop(milestone)
        p.listed_until = None


def _status(p: Project, day: dt.date) -> str:
    if p.terminated and p.terminated <= day:
        return "terminated"
    if p.pause and p.pause[0] <= day and (p.pause[1] is None or day < p.pause[1]):
        return "paused"
    return "active"


def _listed(p: Project, period: dt.date) -> bool:
    """Whether the unit lists the project in its report for `period` (DOMAIN §3)."""
    if p.dates["lead"] > month_end(period) or (p.omit_from and period >= p.omit_from):
        return False
    if p.terminated and p.terminated < period:
        return False
    production = p.dates.get("production")
    return not (production and production < period and not (p.listed_until and p.listed_until >= period))


def _invested(p: Project, day: dt.date) -> float | None:
    """累计完成投资 at the end of `day`: grows with active construction days, frozen while paused or stalled."""
    start = p.dates.get("commenced")
    if start is None or start > day:
        return None
    if p.stall_from and day > p.stall_from:
        day = p.stall_from
    if p.terminated and day > p.terminated:
        day = p.terminated
    active = (day - start).days
    if p.pause:
        pause_end = p.pause[1] or dt.date.max
        active -= max(0, (min(day, pause_end) - max(start, p.pause[0])).days)
    done = min(1.0, active / p.build_days) if p.build_days else 1.0
    return float(round(p.fixed_wan * p.final_share * (START_SHARE + (1 - START_SHARE) * done)))


def _plan_projects(plan: Plan) -> None:
    """The random population: PROJECT_COUNT projects that appear in at least one report."""
    rng = _rng("projects")
    clock = plan.clock
    first, last = clock.periods[0], month_end(clock.last_period)
    earliest = add_months(first, -PRE_HISTORY_MONTHS)
    span = (last - earliest).days
    appeared = 0
    while appeared < PROJECT_COUNT:
        unit = rng.choices(UNITS, weights=[u.weight for u in UNITS])[0]
        project = _new_project(rng, plan, unit, earliest + _days(rng.uniform(0, span)))
        _random_life(rng, plan, project)
        if any(_listed(project, period) for period in clock.periods):
            plan.projects.append(project)
            appeared += 1
        else:
            plan.names.discard(project.name)


def _story_projects(plan: Plan) -> None:
    """Projects placed so that every project warning rule of DOMAIN §8 fires as of the as-of date, in both
    grades where it has two, plus the 7亿元以上制造业 signings of the 一票评优 unit and one 开工-before-签约 case."""
    rng = _rng("story")
    clock = plan.clock
    d, due = clock.as_of, clock.due_period
    horizon = month_end(due)

    def story(role: str, unit: str, name: str, chain: str, total: float, dates: dict[str, dt.date],
              industry: str | None = None, **extra: object) -> Project:
        first = dates["lead"]
        p = _new_project(rng, plan, UNIT_BY_CODE[unit], first, chain=chain, total_wan=total, industry=industry,
                         name=name)
        plan.names.add(name)
        p.dates = dict(dates)
        p.role = role
        p.investor_known = first
        for key, value in extra.items():
            setattr(p, key, value)
        if "commenced" in p.dates:
            p.build_days = p.build_days or _build_days(rng, total)
        plan.projects.append(p)
        return p

    def before(day: dt.date, *gaps: int) -> dict[str, dt.date]:
        """lead, evaluated, approved, signed dates ending at `day`, `gaps` days apart, for as many as given."""
        names = ("signed", "approved", "evaluated", "lead")
        out, cursor = {}, day
        for milestone, gap in zip(names, (0, *gaps)):
            cursor -= _days(gap)
            out[milestone] = cursor
        return out

    # 逾期未更新: left out of the last due report (1 month behind) or the last two (2 months behind).
    stale1 = story("stale_update_yellow", "U03", "翠屏山森林康养步道项目", "文旅康养", 3800.0,
                   before(add_months(d, -20), 40, 30, 35), industry="康养", omit_from=due)
    stale1.dates["commenced"] = stale1.dates["signed"] + _days(50)
    stale2 = story("stale_update_red", "U06", "石门镇农机具维修服务中心项目", "现代服务", 2600.0,
                   before(add_months(d, -18), 30, 30, 30), industry="服务业", omit_from=add_months(due, -1))
    stale2.dates["commenced"] = stale2.dates["signed"] + _days(60)
    for p in (stale1, stale2):
        p.dates["in_stats"] = p.dates["commenced"] + _days(30)
        p.build_days = 900  # still building when it drops off the reports
    # 签约未开工: signed 4 months ago (黄) and 8 months ago (红, also 应开工未开工 红).
    story("signed_not_commenced_yellow", "U05", "云溪镇高山茶叶精深加工项目", "绿色食品", 6000.0,
          before(add_months(d, -4), 30, 35, 40), industry="制造业", planned_start=add_months(d, 2))
    story("signed_not_commenced_red", "U06", "石门镇精密液压元件生产项目", "高端装备", 8500.0,
          before(add_months(d, -8), 30, 40, 45), planned_start=add_months(d, -5))
    # 应开工未开工 黄: planned start a month ago, signed only two months ago.
    story("planned_start_missed_yellow", "U03", "翠屏山房车露营地项目", "文旅康养", 4000.0,
          before(add_months(d, -2) - _days(5), 25, 30, 30), industry="文旅", planned_start=add_months(d, -1))
    # 开工未纳统: commenced 1 month and 10 days ago (黄), 3 months ago (红); both small enough to stay out of rates.
    for role, unit, name, chain, total, months, industry in (
        ("commenced_not_in_stats_yellow", "U04", "城关街道社区商业综合体项目", "现代服务", 3000.0, 1, "服务业"),
        ("commenced_not_in_stats_red", "U07", "白沙镇冷链物流中心项目", "现代服务", 6000.0, 3, "服务业"),
    ):
        commenced = add_months(d, -months) - _days(10 if months == 1 else 0)
        dates = before(commenced - _days(70), 30, 30, 30)
        dates["commenced"] = commenced
        story(role, unit, name, chain, total, dates, industry=industry, planned_start=commenced - _days(10))
    # 投资停滞: 累计完成投资 flat over the last 4 due reports (黄) and the last 7 (红).
    for role, unit, name, chain, total, months, flat in (
        ("investment_stalled_yellow", "U02", "青岚高新园区智能传感器产业园项目", "数字经济", 26000.0, 16, 3),
        ("investment_stalled_red", "U06", "石门镇环保装备制造基地项目", "高端装备", 18000.0, 24, 6),
    ):
        commenced = add_months(d, -months)
        dates = before(commenced - _days(60), 35, 30, 40)
        dates["commenced"] = commenced
        dates["in_stats"] = commenced + _days(40)
        story(role, unit, name, chain, total, dates, industry=MANUFACTURING, build_days=30 * (months + 12),
              stall_from=month_end(add_months(due, -flat)), issue="投资方资金链紧张，施工基本停滞")
    # 线索未研判: registered 40 days ago (黄) and 75 days ago (红).
    story("lead_not_evaluated_yellow", "U04", "城关街道数字文创产业园项目", "数字经济", 12000.0,
          {"lead": min(d - _days(40), horizon)}, industry="服务业")
    story("lead_not_evaluated_red", "U08", "桃源乡中药材种植基地项目", "绿色食品", 5000.0,
          {"lead": d - _days(75)}, industry="农业")
    # 疑似重复项目: the same project and investor registered by a park and a town.
    twin_name, twin_investor = "年产3万吨生物基可降解材料项目", "浙江绿源生物材料科技有限公司"
    twin_uscc = _uscc(rng, "330000")
    for unit, months, total, through in (("U01", 7, 32000.0, "approved"), ("U05", 6, 30000.0, "evaluated")):
        dates = {k: v for k, v in before(add_months(d, -months) + _days(110), 40, 35, 35).items() if k != "signed"}
        if through == "evaluated":
            dates.pop("approved")
        p = story("duplicate_project", unit, twin_name, "新材料", total, dates, industry=MANUFACTURING)
        p.investor, p.investor_uscc = twin_investor, twin_uscc
    # 开工 before the formal 签约: loaded with a warning every month (DOMAIN §2).
    early = before(add_months(d, -15), 30, 30, 30)
    early["commenced"] = early["signed"] - _days(12)
    early["in_stats"] = early["signed"] + _days(30)
    story("commenced_before_signed", "U07", "白沙镇预制菜中央厨房项目", "绿色食品", 4500.0, early,
          industry=MANUFACTURING, build_days=500)
    # 一票评优: two 7亿元以上制造业 projects of the excellent unit signed this year, both already under way.
    year_start = dt.date(clock.year, 1, 1)
    room = (horizon - year_start).days
    if room >= 30:
        for share, name, chain, total in ((0.2, "年产20万吨高性能纤维新材料项目", "新材料", 120000.0),
                                          (0.55, "新能源汽车零部件智能制造基地项目", "高端装备", 85000.0)):
            signed = year_start + _days(room * share)
            dates = before(signed, 45, 40, 50)
            dates["commenced"] = signed + _days((horizon - signed).days * 0.4)
            if share < 0.5:
                dates["in_stats"] = dates["commenced"] + _days((horizon - dates["commenced"]).days * 0.5)
            story("major_manufacturing", EXCELLENT_UNIT, name, chain, total, dates, industry=MANUFACTURING,
                  planned_start=dates["commenced"], build_days=600)


def _plan_reports(plan: Plan) -> None:
    """Which monthly reports arrive when: on time, late, never, and the one corrected re-upload."""
    rng = _rng("reports")
    clock = plan.clock
    due = clock.due_period
    correction = add_months(due, -CORRECTION_LAG)
    quiet = add_months(due, -QUIET_MONTHS)
    skippable = [(u.code, p) for u in UNITS if u.code not in STALL_UNITS
                 for p in clock.periods[1:] if p <= quiet]
    missing = set(rng.sample(skippable, min(MISSING_REPORTS, len(skippable))))

    def at(period: dt.date, day: int) -> dt.datetime:
        minutes = rng.randint(*OFFICE_MINUTES)
        return dt.datetime.combine(add_months(period, 1).replace(day=day), dt.time(minutes // 60, minutes % 60))

    for unit in UNITS:
        for period in clock.periods:
            late = rng.random() < unit.late
            day = rng.randint(*(LATE_DAYS if late else SEND_DAYS))
            if (unit.code, period) in missing:
                continue
            if period == clock.last_period and unit.code in FINAL_LATE_DAY:
                day = FINAL_LATE_DAY[unit.code]
            if unit.code == "U02" and period == correction:
                plan.reports.append(Report(unit.code, period, at(period, CORRECTION_DAYS[0]), "original"))
                plan.reports.append(Report(unit.code, period, at(period, CORRECTION_DAYS[1]), "correction"))
            else:
                plan.reports.append(Report(unit.code, period, at(period, day)))
    plan.reports = sorted((r for r in plan.reports if r.received_at <= clock.cutoff),
                          key=lambda r: (r.received_at, r.unit))


def _latest_reported(plan: Plan) -> dict[int, dt.date]:
    """Per project, the latest period whose received report carries a loadable row for it: what the as-of
    view of DOMAIN §4 will show as of the demo's as-of date."""
    received = {(r.unit, r.period) for r in plan.reports}
    latest: dict[int, dt.date] = {}
    for p in plan.projects:
        for period in reversed(plan.clock.periods):
            if (p.unit, period) in received and _listed(p, period) and (p.key, period) not in plan.mess:
                latest[p.key] = period
                break
    return latest


# The rate bands a unit profile asks for, as (low, high) with low ≤ rate < high, and the rate aimed at.
def _band(target: float, width: float, band: str) -> tuple[float, float, float]:
    edge = 1e-9
    if band == "green":
        return target, 1.0 + edge, (1 + target) / 2
    if band == "yellow":
        return target - width + edge, target - edge, target - width / 2
    return 0.0, target - width - edge, max(0.0, target - width - 0.2)


def _filler(plan: Plan, rng: random.Random, unit: DemoUnit, milestone: str, horizon: dt.date) -> bool:
    """Add one assessed project that enters this year's cohort of `milestone`'s rate; False if no room."""
    year_start = dt.date(plan.clock.year, 1, 1)
    room = (horizon - year_start).days - 10
    if room < 5:
        return False
    basis = year_start + _days(rng.uniform(0, room))
    # The 纳统率 cohort is projects commenced this year: sign those last year, so the 开工率 cohort stays put.
    signed = basis if milestone == "commenced" else year_start - _days(rng.randint(*FILLER_SIGNED_EARLY_DAYS))
    p = _new_project(rng, plan, unit, signed - _days(rng.randint(*FILLER_LEAD_DAYS)),
                     total_wan=float(rng.randrange(*FILLER_TOTAL_WAN, 500)), chain=unit.chains[0])
    p.investor_known = p.dates["lead"]
    span = (signed - p.dates["lead"]).days
    p.dates["evaluated"] = p.dates["lead"] + _days(span * 0.3)
    p.dates["approved"] = p.dates["lead"] + _days(span * 0.7)
    p.dates["signed"] = signed
    p.planned_start = signed + _tri(rng, PLANNED_START_DAYS)
    p.dates["commenced"] = basis if milestone == "in_stats" else horizon + _days(rng.randint(*PUSHED_DAYS))
    _construction(rng, plan, p, never_in_stats=0.0)
    if milestone == "in_stats":
        p.dates["in_stats"] = horizon + _days(rng.randint(*PUSHED_DAYS))
    plan.projects.append(p)
    return True


def _set_reached(rng: random.Random, p: Project, milestone: str, basis: str, horizon: dt.date,
                 reached: bool) -> None:
    """Move `milestone` to a day in (basis, horizon] or past the horizon, keeping later milestones after it."""
    current = p.dates.get(milestone)
    if reached:
        room = (horizon - p.dates[basis]).days
        if current and current <= horizon or room < 2:
            return
        p.dates[milestone] = p.dates[basis] + _days(max(1, room * rng.uniform(*TUNED_WITHIN)))
    else:
        if current is None or current > horizon:
            return
        moved = horizon + _days(rng.randint(*PUSHED_DAYS))
        if milestone == "commenced":
            _shift_after(p, current - dt.timedelta(days=1), moved - current)
        else:
            p.dates[milestone] = moved


def _tune_rate(plan: Plan, rng: random.Random, unit: DemoUnit, milestone: str, basis: str, band: str,
               target: float) -> None:
    """Move this year's `milestone` dates of `unit`'s assessed projects (never story ones) so that the rate
    (reached `milestone` among those whose `basis` fell in the year, as of the as-of date) lands in `band`."""
    width = plan.config.figures.rate_yellow_band_points / 100
    low, high, aim = _band(target, width, band)
    year_start = dt.date(plan.clock.year, 1, 1)
    for _ in range(MAX_FILLERS + 1):
        latest = _latest_reported(plan)
        unit_horizon = max((month_end(latest[p.key]) for p in plan.projects if p.unit == unit.code
                            and p.key in latest), default=year_start)
        cohort = [p for p in plan.projects if p.unit == unit.code and _assessed(plan, p) and p.key in latest
                  and year_start <= p.dates.get(basis, dt.date.max) <= month_end(latest[p.key])]
        movable = sorted((p for p in cohort if not p.role and not p.terminated and not p.pause
                          and not p.stall_from and "commenced" in p.dates),
                         key=lambda p: (p.dates[basis], p.key))
        fixed_yes = sum(1 for p in cohort if p not in movable
                        and p.dates.get(milestone, dt.date.max) <= month_end(latest[p.key]))
        n = len(cohort)
        choices = [k for k in range(fixed_yes, fixed_yes + len(movable) + 1)
                   if n >= MIN_COHORT and low <= k / n < high]
        if choices:
            k = min(choices, key=lambda c: abs(c / n - aim))
            for i, p in enumerate(movable):
                _set_reached(rng, p, milestone, basis, month_end(latest[p.key]), i < k - fixed_yes)
            n_yes = sum(1 for p in cohort if p.dates.get(milestone, dt.date.max) <= month_end(latest[p.key]))
            if low <= n_yes / n < high:
                return
        if not _filler(plan, rng, unit, milestone, unit_horizon):
            return


def _tune_rates(plan: Plan) -> None:
    """Put each unit's two rates of the as-of year in the band its profile asks for (DOMAIN §5)."""
    rng = _rng("rates")
    figures = plan.config.figures
    for unit in UNITS:
        if unit.commencement:
            _tune_rate(plan, rng, unit, "commenced", "signed", unit.commencement, figures.commencement_target)
    for unit in UNITS:
        if unit.stats:
            _tune_rate(plan, rng, unit, "in_stats", "commenced", unit.stats, figures.stats_target)


def _plan_mess(plan: Plan) -> None:
    """Forgotten projects and bad rows, each in a month followed by a clean report of the same project,
    so that none of them changes what the as-of view shows at the end."""
    rng = _rng("mess")
    clock = plan.clock
    quiet = add_months(clock.due_period, -QUIET_MONTHS)
    received = {(r.unit, r.period) for r in plan.reports}
    correction = {(r.unit, r.period) for r in plan.reports if r.version}

    def clean(p: Project, period: dt.date) -> bool:
        return ((p.unit, period) in received and (p.unit, period) not in correction and _listed(p, period)
                and (p.key, period) not in plan.mess)

    candidates = [(p, period) for p in plan.projects if not p.role for period in clock.periods
                  if period <= quiet and clean(p, period) and clean(p, add_months(period, 1))]
    for year in sorted({period.year for period in clock.periods if period <= quiet}):
        pool = [(p, period) for p, period in candidates if period.year == year]
        rng.shuffle(pool)
        wanted = {kind: 1 for kind in BAD_ROW_KINDS} | {"omit": FORGOTTEN_PER_YEAR}
        for p, period in pool:
            end = month_end(period)
            if (p.key, period) in plan.mess or (p.key, add_months(period, 1)) in plan.mess \
                    or (p.key, add_months(period, -1)) in plan.mess:
                continue
            commenced = p.dates.get("commenced", dt.date.max) <= end
            fits = {"omit": True, "bad_date": True, "no_name": True,
                    "bad_uscc": bool(p.investor_uscc) and p.investor_known <= end,
                    "no_signed": commenced and p.dates.get("signed", dt.date.max) <= end}
            kind = next((k for k, n in wanted.items() if n and fits[k]), None)
            if kind:
                plan.mess[(p.key, period)] = kind
                wanted[kind] -= 1
            if not any(wanted.values()):
                break


def _actuals(plan: Plan, year: int, latest: dict[int, dt.date] | None) -> dict[str, dict[str, float]]:
    """Per unit, the year's figures the targets are set against: as reported by the as-of date when
    `latest` is given, else as they truly ended."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    out = {u.code: {"signed_major": 0, "signed_amount": 0.0, "commenced": 0, "production": 0,
                    "major_manufacturing": 0} for u in UNITS}
    for p in plan.projects:
        if not _assessed(plan, p):
            continue
        horizon = end if latest is None else (month_end(latest[p.key]) if p.key in latest else start)
        seen = {m: d for m, d in p.dates.items() if start <= d <= min(end, horizon)}
        row = out[p.unit]
        if "signed" in seen:
            row["signed_major"] += 1
            row["signed_amount"] += p.total_wan / WAN_PER_YI
            if p.industry == MANUFACTURING and p.total_wan >= plan.config.assessment.major_manufacturing_min_wan:
                row["major_manufacturing"] += 1
        row["commenced"] += "commenced" in seen
        row["production"] += "production" in seen
    return out


def _plan_targets(plan: Plan) -> None:
    """Annual targets per unit and year, set so each unit's pace against 序时进度 this year matches its profile
    and exactly one unit (EXCELLENT_UNIT) beats its 7亿元以上制造业 target."""
    rng = _rng("targets")
    clock = plan.clock
    latest = _latest_reported(plan)
    progress = clock.as_of.month / 12
    for year in sorted({p.year for p in clock.periods} | {clock.year}):
        if TARGETS_LOADED.replace(year=year) > clock.cutoff:
            continue
        this_year = year == clock.year
        actual = _actuals(plan, year, latest if this_year else None)
        plan.targets[year] = {}
        for unit in UNITS:
            got = actual[unit.code]
            share = max(0.1, (progress + unit.pace) if this_year else 1 + rng.uniform(*PACE_SPREAD))
            target: dict[str, float | None] = {
                key: float(max(1, round(got[key] / share)) if got[key] else rng.randint(2, 5))
                for key in ("signed_major", "commenced", "production")
            }
            target["signed_amount"] = float(max(1, round(got["signed_amount"] / share))
                                            if got["signed_amount"] else rng.randint(5, 15))
            major = got["major_manufacturing"]
            if this_year and unit.code == EXCELLENT_UNIT and major >= 2:
                target["major_manufacturing"] = float(major - 1)
            else:
                target["major_manufacturing"] = float(max(major, 1 if unit.kind == "园区" else 0))
            if this_year and unit.code == MISSING_TARGET[0]:
                target[MISSING_TARGET[1]] = None
            plan.targets[year][unit.code] = target


def plan_county(clock: Clock, config: Settings) -> Plan:
    """The whole demo county: projects, reports with their arrival times, mess and targets."""
    plan = Plan(clock, config)
    _story_projects(plan)  # first, so the random population never takes a story project's name
    _plan_projects(plan)
    _plan_reports(plan)
    _tune_rates(plan)
    _plan_mess(plan)
    _plan_targets(plan)
    return plan


# ---------------------------------------------------------------------------------------------------------
# Writing the workbooks
# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Upload:
    """A written file and how it is handed to ingestion."""

    path: Path
    received_at: dt.datetime
    period: dt.date | None = None  # given on upload when the file has no 报告期 column
    unit_code: str | None = None  # given on upload when the file has no 填报单位 column


@dataclass
class _Table:
    sheet: str
    title: list[str]
    header: list[str]
    rows: list[list[object]]
    footer: list[list[object]] = field(default_factory=list)


_HEADERS = {c.id: c.header for c in COLUMNS_BY_KIND["projects"]}
_MONEY = {c.id for c in COLUMNS_BY_KIND["projects"] if c.kind == "money"}


def _snapshot(p: Project, period: dt.date) -> dict[str, object]:
    """The project's row for `period`: its state at the end of the month, in canonical values."""
    end = month_end(period)
    reached = {m.id: p.dates[m.id] for m in MILESTONES if p.dates.get(m.id, dt.date.max) <= end}
    stage = next((m.id for m in reversed(MILESTONES) if m.id in reached), "lead")
    status = _status(p, end)
    invested = _invested(p, end)
    signed = "signed" in reached
    values: dict[str, object] = {
        "period": period, "unit": p.unit, "project_name": p.name,
        "investor": p.investor if signed or p.investor_known <= end else None,
        "industry": p.industry, "chain": p.chain, "is_foreign": p.foreign_usd_wan is not None,
        "total_investment_wan": p.total_wan, "fixed_investment_wan": p.fixed_wan,
        "foreign_investment_usd_wan": p.foreign_usd_wan, "land_mu": p.land_mu,
        **{m.date_field: reached.get(m.id) for m in MILESTONES},
        "planned_start_date": p.planned_start if signed else None,
        "status": status, "invested_to_date_wan": invested,
        "annual_plan_wan": float(round(p.fixed_wan * ANNUAL_PLAN_SHARE / 10) * 10) if signed else None,
        "funds_in_place_wan": min(p.total_wan, float(round(invested * FUNDS_AHEAD))) if invested else None,
        "progress_note": NOTES[status if status != "active" else stage],
        "issues": p.issue if status != "active" or stage in ("approved", "signed") or p.stall_from else None,
        "liaison_leader": p.leader, "contact_name": p.contact[0], "contact_phone": p.contact[1],
    }
    if values["investor"] and p.investor_uscc:
        values["investor_uscc"] = p.investor_uscc
    return values


def _date_cell(day: dt.date, form: str) -> object:
    return {
        "excel": lambda: day,
        "slash": lambda: f"{day.year}/{day.month}/{day.day}",
        "chinese": lambda: f"{day.year}年{day.month}月{day.day}日",
        "iso": lambda: day.isoformat(),
        "serial": lambda: (day - EXCEL_EPOCH).days,
        "month": lambda: f"{day.year}.{day.month}",
    }[form]()


def _cell(unit: DemoUnit, fmt: str, column: str, header: str, value: object) -> object:
    """One value as this unit writes it in this format."""
    style = unit.style
    if value is None:
        return None
    if column == "period":
        return f"{value.year}年{value.month}月" if style.period_form == "chinese" else f"{value:%Y-%m}"
    if column == "unit":
        return unit.name if style.unit_by_name else unit.code
    if isinstance(value, bool):
        return "是" if value else "否"
    if column == "status":
        return None if style.blank_active and value == "active" else STATUSES[str(value)]
    if isinstance(value, dt.date):
        form = "iso" if fmt == "csv" else style.date_form
        return _date_cell(value, "month" if fmt == "xls" and column == "lead_date" else form)
    if isinstance(value, float):
        unit_name = split_header(header)[1]
        if column in _MONEY and unit_name:
            value = round(value / SCALES["money"][unit_name], 4)
        number: object = int(value) if float(value).is_integer() else value
        return f"{number:,}" if style.text_money or fmt == "csv" and number >= 1000 else number
    return value


def _spoil(row: dict[str, object], kind: str) -> dict[str, object]:
    """The row with the mistake a 填报员 makes, which ingestion rejects."""
    row = dict(row)
    if kind == "bad_date":
        field_id = "commenced_date" if row.get("commenced_date") else "lead_date"
        day = row[field_id]
        row[field_id] = f"{day.year}-13-{day.day:02d}"  # month 13: 不是有效日期
    elif kind == "no_name":
        row["project_name"] = None
    elif kind == "bad_uscc":
        code = str(row["investor_uscc"])
        row["investor_uscc"] = code[:17] + ("1" if code[17] != "1" else "2")
    elif kind == "no_signed":
        row["signed_date"] = None
    return row


def _table(plan: Plan, unit: DemoUnit, report: Report, fmt: str) -> _Table:
    style = unit.style
    columns = [c for c in style.columns if c not in ("period", "unit") or style.period_form != "upload"]
    headers = [style.headers.get(c, _HEADERS[c]) for c in columns]
    rows: list[list[object]] = []
    wrong_once = report.version == "original"
    for p in plan.projects:
        if p.unit != unit.code or not _listed(p, report.period):
            continue
        kind = plan.mess.get((p.key, report.period))
        if kind == "omit":
            continue
        values = _snapshot(p, report.period)
        if kind:
            values = _spoil(values, kind)
        if wrong_once and values["invested_to_date_wan"] and not p.role:
            # the slip the correction fixes: one figure typed with an extra zero
            values["invested_to_date_wan"] = float(values["invested_to_date_wan"]) * 10
            wrong_once = False
        rows.append([_cell(unit, fmt, c, h, values.get(c)) for c, h in zip(columns, headers)])
    total_index = columns.index("total_investment_wan")
    totals = sum(p.total_wan for p in plan.projects if p.unit == unit.code and _listed(p, report.period))
    if style.serial:
        headers.insert(0, "序号")
        rows = [[i, *row] for i, row in enumerate(rows, start=1)]
        total_index += 1
    title = []
    if style.title:
        period = report.period
        title = [f"{COUNTY}{unit.name}{period.year}年{period.month}月招商引资项目推进情况表",
                 f"填报单位（盖章）：{unit.name}　　　　填报日期：{report.received_at.year}年"
                 f"{report.received_at.month}月{report.received_at.day}日"]
    footer: list[list[object]] = []
    if style.totals:
        total_row: list[object] = [None] * len(headers)
        total_row[0] = "合计"
        total_row[total_index] = _cell(unit, fmt, "total_investment_wan", headers[total_index], totals)
        footer += [[], total_row]
    if style.signature:
        footer += [[], [f"填表人：{_person(_rng(unit.code))}　　审核人：{_person(_rng(unit.name))}　　"
                        f"联系电话：0571-8{unit.code[1:]}6{unit.code[1:]}21"]]
    return _Table(f"{report.period.year}年{report.period.month}月", title, headers, rows, footer)


def _write_xlsx(path: Path, table: _Table, created: dt.datetime) -> None:
    book = xlsxwriter.Workbook(str(path), {"in_memory": True})
    book.set_properties({"created": created})  # a fixed stamp keeps the same plan's files byte-identical
    sheet = book.add_worksheet(table.sheet)
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    heading = book.add_format({"bold": True, "align": "center"})
    width = len(table.header)
    for r, line in enumerate(table.title):
        sheet.merge_range(r, 0, r, width - 1, line, heading)
    for r, row in enumerate([table.header, *table.rows, *table.footer], start=len(table.title)):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, value, dates)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()


def _write_xls(path: Path, table: _Table) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(table.sheet)
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, line in enumerate(table.title):
        sheet.write_merge(r, r, 0, len(table.header) - 1, line)
    for r, row in enumerate([table.header, *table.rows, *table.footer], start=len(table.title)):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, dates)
            elif value is not None:
                sheet.write(r, c, value)
    book.save(str(path))


def _write_csv(path: Path, table: _Table) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    for row in [*([line] for line in table.title), table.header, *table.rows, *table.footer]:
        writer.writerow(["" if value is None else value for value in row])
    path.write_bytes(text.getvalue().encode("gbk"))  # what Excel on a Chinese Windows saves


def _format(unit: DemoUnit, plan: Plan, period: dt.date) -> str:
    index = plan.clock.periods.index(period)
    return unit.style.early_format if index < unit.style.early_months else "xlsx"


def _write_register(out: Path, received: dt.datetime) -> Upload:
    path = out / "单元名录.xlsx"
    headers = [c.header for c in COLUMNS_BY_KIND["units"]]
    table = _Table("单元名录", [], headers, [[u.code, u.name, u.kind, u.group] for u in UNITS])
    _write_xlsx(path, table, received)
    return Upload(path, received)


def _write_targets(plan: Plan, out: Path) -> list[Upload]:
    uploads = []
    ids = ("signed_major", "signed_amount", "commenced", "production", "major_manufacturing")
    headers = [c.header for c in COLUMNS_BY_KIND["targets"]]
    for year, by_unit in sorted(plan.targets.items()):
        rows = [[year, code, *(None if t[i] is None else int(t[i]) for i in ids)] for code, t in by_unit.items()]
        received = TARGETS_LOADED.replace(year=year)
        path = out / f"{year}年度招商目标.xlsx"
        _write_xlsx(path, _Table(f"{year}年度目标", [f"{COUNTY}{year}年度招商引资目标任务分解表"], headers, rows),
                    received)
        uploads.append(Upload(path, received))
    return uploads


def write_workbooks(plan: Plan, out: Path) -> list[Upload]:
    """Every file of the demo, written under `out`, in the order the bureau received them."""
    out.mkdir(parents=True, exist_ok=True)
    register = _write_register(out, REGISTER_LOADED.replace(year=plan.clock.periods[0].year))
    uploads = [register, *_write_targets(plan, out)]
    for report in plan.reports:
        unit = UNIT_BY_CODE[report.unit]
        fmt = _format(unit, plan, report.period)
        folder = out / f"{report.period:%Y-%m}"
        folder.mkdir(exist_ok=True)
        suffix = {"original": "", "correction": "（更正）"}.get(report.version, "")
        path = folder / (f"{unit.code}_{unit.name}{report.period.year}年{report.period.month}月"
                         f"项目推进情况表{suffix}.{fmt}")
        table = _table(plan, unit, report, fmt)
        if fmt == "csv":
            _write_csv(path, table)
        elif fmt == "xls":
            _write_xls(path, table)
        else:
            _write_xlsx(path, table, report.received_at)
        upload_form = unit.style.period_form == "upload"
        uploads.append(Upload(path, report.received_at, report.period if upload_form else None,
                              unit.code if upload_form else None))
    return sorted(uploads, key=lambda u: u.received_at)


# ---------------------------------------------------------------------------------------------------------
# Loading and the command
# ---------------------------------------------------------------------------------------------------------
def load_workbooks(con: duckdb.DuckDBPyConnection, uploads: list[Upload], config: Settings) -> list[FileReport]:
    """Each file through pipelines.ingest as the bureau's admin, stamped with the time it was received."""
    return [ingest_file(con, u.path, DEMO_ACTOR, received_at=u.received_at, period=u.period,
                        unit_code=u.unit_code, config=config) for u in uploads]


def _submission_count(path: Path) -> int:
    """How many submissions the database at `path` holds (0 for a file that does not exist yet)."""
    if not path.exists():
        return 0
    con = store.connect(path, read_only=True)
    try:
        found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'submissions'")
        if not found.fetchone()[0]:
            return 0
        return con.execute("SELECT count(*) FROM submissions").fetchone()[0]
    finally:
        con.close()


def summary(con: duckdb.DuckDBPyConnection, reports: list[FileReport], clock: Clock, db: Path, out: Path,
            seconds: float) -> str:
    """The lines printed after a run, in Chinese."""
    kinds = {"units": "单元名录", "targets": "年度目标", "projects": "项目月报"}
    loaded = [r for r in reports if r.status == "loaded"]
    by_kind = "、".join(f"{label} {sum(r.kind == kind for r in loaded)}" for kind, label in kinds.items())
    projects = con.execute("SELECT count(*) FROM projects").fetchone()[0]
    first = clock.periods[0]
    return "\n".join((
        f"{COUNTY}演示数据已载入 {db}",
        f"  文件：载入 {len(loaded)} 个（{by_kind}），整份拒收 {sum(r.status == 'rejected' for r in reports)} 个",
        f"  数据行：载入 {sum(r.rows_loaded for r in reports)} 行，拒收 {sum(r.rows_rejected for r in reports)} 行",
        f"  项目：{projects} 个，{len(UNITS)} 个招商单元，报告期 {first:%Y-%m} 至 {clock.last_period:%Y-%m}",
        f"  数据截至：{clock.as_of:%Y-%m-%d}（工作簿在 {out}）",
        f"  用时 {seconds:.1f} 秒",
    ))


def _month(text: str) -> dt.date:
    try:
        return parse_period(text)
    except CellProblem as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str] | None = None, now: dt.datetime | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--until", type=_month, help="last report month, YYYY-MM (default: last month)")
    parser.add_argument("--db", help="database file (default: ZS_DB or settings)")
    parser.add_argument("--out", type=Path, default=settings.ROOT / "data" / "demo",
                        help="where the workbooks are written (default: data/demo)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    config = settings.current()
    try:
        clock = demo_clock(args.until, now or dt.datetime.now(), config.duty.due_day)
    except ValueError as exc:
        parser.error(str(exc))
    db = settings.db_path(args.db)
    try:
        existing = _submission_count(db)
        if existing:
            print(f"数据库 {db} 已有 {existing} 份报送记录，演示数据只载入空数据库，未做任何改动。")
            return 0
        con = store.connect(db)
    except store.StoreBusy as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        plan = plan_county(clock, config)
        uploads = write_workbooks(plan, args.out)
        reports = load_workbooks(con, uploads, config)
        accounts = users.create_demo_accounts(con, DEMO_ACTOR)
        print(summary(con, reports, clock, db, args.out, time.perf_counter() - started))
        print(f"  演示账号：{'、'.join(accounts)}，密码均为 {users.DEMO_PASSWORD}")
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
