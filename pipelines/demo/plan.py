"""The demo county's plan: its report periods and "today" (Clock), every project with its true milestone dates,
which report arrives when and what goes wrong in it, tuned so that every screen has something to show as of the
demo's today (all stages, units on both sides of both rate targets, every project warning rule, one 一票评优
unit). The same arguments give the same plan."""
from __future__ import annotations

import datetime as dt
import functools
import math
import random
from dataclasses import dataclass, field

from pipelines.cells import uscc_check_char
from pipelines.demo.county import (
    BRAND_FIRST,
    BRAND_SECOND,
    CHAINS,
    COMPANY_FORMS,
    COUNTY,
    EXCELLENT_UNIT,
    FURTHER_TARGETS,
    GIVEN_NAMES,
    ISSUES,
    LEADERS,
    MISSING_TARGET,
    OUTPUT_FIGURES,
    PLACES,
    REGIONS,
    STALL_UNITS,
    SURNAMES,
    TARGETS_LOADED,
    TRADES,
    UNIT_BY_CODE,
    UNITS,
    DemoUnit,
    Product,
)
from pipelines.figures.measures import time_progress
from pipelines.months import add_months, month_end
from pipelines.settings import Settings
from pipelines.vocabulary import MANUFACTURING, SIGNED_BANDS, TARGET_FIELDS, WAN_PER_YI

# ---------------------------------------------------------------------------------------------------------
# The plan's knobs. Days are calendar days; money is 万元 unless a name says otherwise.
# ---------------------------------------------------------------------------------------------------------
HISTORY_MONTHS = 36  # monthly report periods, ending at --until
PRE_HISTORY_MONTHS = 12  # leads registered up to this long before the first period: the opening stock
PROJECT_COUNT = 400  # randomly planned projects that appear in at least one report (story projects come on top)
AS_OF_DAY = 20  # the demo's "today" is this day of the month after the last period (or now, if earlier)
SEND_DAYS = (2, 9)  # an on-time report arrives between these days of the month after its period
LATE_DAYS = (12, 25)  # a late one between these (all after the due day)
OFFICE_MINUTES = (8 * 60 + 30, 17 * 60 + 30)  # a file arrives between 08:30 and 17:30
MISSING_REPORTS = 4  # (unit, month) reports never sent over the whole history
FORGOTTEN_PER_YEAR = 8  # projects left out of one month's report and back the next
BAD_ROW_KINDS = ("bad_date", "no_name", "bad_uscc", "no_signed")  # one of each per calendar year
QUIET_MONTHS = 2  # random mess stays this many months before the last due period, so it never hides a latest state
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
START_SHARE = 0.05  # share of the final 累计完成投资 booked in the month construction starts
FINAL_SHARE = (0.9, 1.0)  # 累计完成投资 at completion as a share of 计划总投资
PLAN_AMBITION = (0.9, 1.15)  # 年度计划投资 over what the year's construction schedule would take
PLAN_AMBITION_PER_PACE = -0.5  # a unit behind its targets plans more ambitiously (× its pace, added to the above)
FUNDS_FIRST_SHARE = (0.3, 0.7)  # 累计到位资金 reached in the first months after 签约, as a share of 计划总投资
FUNDS_RAMP_DAYS = 120  # days after 签约 over which that first share arrives
FUNDS_AHEAD = (0.9, 1.4)  # after 开工, 累计到位资金 runs at this multiple of 累计完成投资 (below 1: funds lag)
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
# Story 技改 projects (unit, name, chain, 计划总投资, when in the year's room they start): short builds that put
# something in 开工项目投产率 (most projects take longer than a year), when the year has QUICK_MIN_ROOM_DAYS of room.
QUICK_PROJECTS = (("U01", "恒瑞精密轴承扩能技改项目", "高端装备", 15000.0, 0.05),
                  ("U02", "智能传感器封装测试线技改项目", "数字经济", 22000.0, 0.1),
                  ("U04", "城关食品冷链加工扩能技改项目", "绿色食品", 12000.0, 0.08))
QUICK_MIN_ROOM_DAYS = 120
PACE_SPREAD = (-0.25, 0.2)  # past years: how far each unit ended from its targets (completion − 1)


# ---------------------------------------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------------------------------------
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
    funds_first_share: float = 0.0  # see FUNDS_FIRST_SHARE
    funds_ahead: float = 1.0  # see FUNDS_AHEAD
    plan_ambition: float = 1.0  # see PLAN_AMBITION
    listed_until: dt.date | None = None  # stays on the list after 投产 until this day
    leader: str = ""
    contact: tuple[str, str] = ("", "")
    issue: str = ""
    role: str = ""  # the story it tells (see _story_projects); story projects are never tuned or messed with
    omit_from: dt.date | None = None  # story: left out of every report from this period on
    # The report month that says 终止 when the unit's report for the month of termination never came: the unit's
    # next report (a real 填报员 reports the termination then, rather than dropping the project unannounced).
    terminated_listed: dt.date | None = None


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
    # year → unit → targets-workbook column → target (money in 亿元; absent or None: not set)
    targets: dict[int, dict[str, dict[str, float | None]]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    _next_key: int = 0

    def key(self) -> int:
        self._next_key += 1
        return self._next_key


def seeded_rng(label: str) -> random.Random:
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


def person_name(rng: random.Random) -> str:
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
        elif product.industry == "服务业" and rng.random() < 0.6:
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
        contact=(person_name(rng), f"1{rng.choice('3589')}{rng.randrange(10 ** 9):09d}"),
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


def status_on(p: Project, day: dt.date) -> str:
    if p.terminated and p.terminated <= day:
        return "terminated"
    if p.pause and p.pause[0] <= day and (p.pause[1] is None or day < p.pause[1]):
        return "paused"
    return "active"


def listed_in(p: Project, period: dt.date) -> bool:
    """Whether the unit lists the project in its report for `period` (DOMAIN §3)."""
    if p.dates["lead"] > month_end(period) or (p.omit_from and period >= p.omit_from):
        return False
    if p.terminated and p.terminated < period and not (p.terminated_listed and period <= p.terminated_listed):
        return False
    production = p.dates.get("production")
    return not (production and production < period and not (p.listed_until and p.listed_until >= period))


def _final_invested(p: Project) -> float:
    """累计完成投资 at 竣工."""
    return p.total_wan * p.final_share


def invested_by(p: Project, day: dt.date) -> float | None:
    """累计完成投资 at the end of `day` (None before 开工): grows with active construction days towards
    _final_invested, frozen while paused or stalled and after 终止."""
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
    return float(round(_final_invested(p) * (START_SHARE + (1 - START_SHARE) * done)))


def funds_by(p: Project, day: dt.date) -> float | None:
    """累计到位资金 at the end of `day` (None before 签约): a first share arriving over FUNDS_RAMP_DAYS after 签约, then
    累计完成投资 × funds_ahead when that is more; never decreasing, never above 计划总投资, frozen after 终止."""
    signed = p.dates.get("signed")
    if signed is None or signed > day:
        return None
    if p.terminated and day > p.terminated:
        day = p.terminated
    first = p.total_wan * p.funds_first_share * min(1.0, (day - signed).days / FUNDS_RAMP_DAYS)
    built = (invested_by(p, day) or 0.0) * p.funds_ahead
    return min(p.total_wan, float(round(max(first, built) / 10) * 10))


def annual_plan(p: Project, period: dt.date) -> float | None:
    """年度计划投资 as reported for `period`: set in January for a project under construction at the start of the
    year (what the rest of its construction schedule takes in the year, times its unit's ambition), or from the
    month it starts for one commencing during the year; kept through the year; None for a project not building
    that year (not started by the period's end, completed or terminated before the year began)."""
    year_start = dt.date(period.year, 1, 1)
    start = p.dates.get("commenced")
    if start is None or start > month_end(period):
        return None
    if any(d and d < year_start for d in (p.dates.get("completed"), p.terminated)):
        return None
    final = _final_invested(p)
    per_day = final * (1 - START_SHARE) / p.build_days if p.build_days else final
    year_end = dt.date(period.year, 12, 31)
    if start < year_start:
        done = invested_by(p, year_start - dt.timedelta(days=1)) or 0.0
        scheduled = min(final - done, per_day * 365)
    else:
        done = 0.0
        scheduled = min(final, final * START_SHARE + per_day * (year_end - start).days)
    amount = float(round(min(p.total_wan - done, scheduled * p.plan_ambition) / 10) * 10)
    return amount if amount > 0 else None


def _plan_projects(plan: Plan) -> None:
    """The random population: PROJECT_COUNT projects that appear in at least one report."""
    rng = seeded_rng("projects")
    clock = plan.clock
    first, last = clock.periods[0], month_end(clock.last_period)
    earliest = add_months(first, -PRE_HISTORY_MONTHS)
    span = (last - earliest).days
    appeared = 0
    while appeared < PROJECT_COUNT:
        unit = rng.choices(UNITS, weights=[u.weight for u in UNITS])[0]
        project = _new_project(rng, plan, unit, earliest + _days(rng.uniform(0, span)))
        _random_life(rng, plan, project)
        if any(listed_in(project, period) for period in clock.periods):
            plan.projects.append(project)
            appeared += 1
        else:
            plan.names.discard(project.name)


def _story_projects(plan: Plan) -> None:
    """Projects placed so that every project warning rule of DOMAIN §8 fires as of the as-of date, in both
    grades where it has two, plus the 7亿元以上制造业 signings of the 一票评优 unit and one 开工-before-签约 case."""
    rng = seeded_rng("story")
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
    # 开工项目投产率: 技改 projects signed late last year, started early this year and already in production.
    if room >= QUICK_MIN_ROOM_DAYS:
        for unit, name, chain, total, share in QUICK_PROJECTS:
            commenced = year_start + _days(room * share)
            dates = before(commenced - _days(25), 30, 30, 30)
            dates["commenced"] = commenced
            dates["in_stats"] = commenced + _days(30)
            build = round((horizon - commenced).days * 0.7)
            dates["completed"] = commenced + _days(build)
            dates["production"] = dates["completed"] + _days((horizon - dates["completed"]).days * 0.5)
            story("quick_production", unit, name, chain, total, dates, industry=MANUFACTURING,
                  planned_start=commenced, build_days=build)


def _plan_reports(plan: Plan) -> None:
    """Which monthly reports arrive when: on time, late, never, and the one corrected re-upload."""
    rng = seeded_rng("reports")
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
            if (p.unit, period) in received and listed_in(p, period) and (p.key, period) not in plan.mess:
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
    rng = seeded_rng("rates")
    figures = plan.config.figures
    for unit in UNITS:
        if unit.commencement:
            _tune_rate(plan, rng, unit, "commenced", "signed", unit.commencement, figures.commencement_target)
    for unit in UNITS:
        if unit.stats:
            _tune_rate(plan, rng, unit, "in_stats", "commenced", unit.stats, figures.stats_target)


def _plan_late_terminations(plan: Plan) -> None:
    """A project terminated in a month whose report the unit never sent is reported 终止 in the unit's next
    report, so that no project vanishes from the list unannounced (DOMAIN §6 would then charge a forgotten update
    every month)."""
    received = sorted({(r.unit, r.period) for r in plan.reports})
    for p in plan.projects:
        if not p.terminated:
            continue
        month = p.terminated.replace(day=1)
        if (p.unit, month) in received:
            continue
        p.terminated_listed = next((period for unit, period in received if unit == p.unit and period > month), None)


def _plan_mess(plan: Plan) -> None:
    """Forgotten projects and bad rows, each in a month followed by a clean report of the same project,
    so that none of them changes what the as-of view shows at the end."""
    rng = seeded_rng("mess")
    clock = plan.clock
    quiet = add_months(clock.due_period, -QUIET_MONTHS)
    received = {(r.unit, r.period) for r in plan.reports}
    correction = {(r.unit, r.period) for r in plan.reports if r.version}

    def clean(p: Project, period: dt.date) -> bool:
        return ((p.unit, period) in received and (p.unit, period) not in correction and listed_in(p, period)
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
    """Per unit, the year's figures the targets are set against, keyed by target column (money in 亿元): as
    reported by the as-of date when `latest` is given, else as they truly ended."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    out = {u.code: dict.fromkeys(TARGET_FIELDS, 0.0) for u in UNITS}
    for p in plan.projects:
        if not _assessed(plan, p):
            continue
        horizon = end if latest is None else min(end, month_end(latest[p.key]) if p.key in latest else start)
        seen = {m: d for m, d in p.dates.items() if start <= d <= horizon}
        row = out[p.unit]
        if "signed" in seen:
            row["signed_major"] += 1
            row["signed_amount_wan"] += p.total_wan / WAN_PER_YI
            if p.industry == MANUFACTURING and p.total_wan >= plan.config.assessment.major_manufacturing_min_wan:
                row["major_manufacturing"] += 1
            for column, low, high in SIGNED_BANDS:
                row[column] += low <= p.total_wan < high
        for milestone in ("commenced", "production", "in_stats"):
            row[milestone] += milestone in seen
        if horizon >= start:
            before = invested_by(p, start - dt.timedelta(days=1)) or 0.0
            row["invested_year_wan"] += ((invested_by(p, horizon) or 0.0) - before) / WAN_PER_YI
    return out


def _further_targets(rng: random.Random, unit: DemoUnit, got: dict[str, float], share: float) -> dict[str, float]:
    """The targets of FURTHER_TARGETS this unit is given (本年完成投资 in 亿元 to one decimal), at its pace."""
    out = {}
    for column in FURTHER_TARGETS.get(unit.code, ()):
        if column == "invested_year_wan":
            out[column] = (max(0.5, round(got[column] / share, 1)) if got[column] > 0
                           else round(rng.uniform(1, 5), 1))
        else:
            out[column] = float(max(1, round(got[column] / share)) if got[column] else rng.randint(1, 2))
    return out


def _plan_targets(plan: Plan) -> None:
    """Annual targets per unit and year, set so each unit's pace against 序时进度 this year matches its profile
    and exactly one unit (EXCELLENT_UNIT) beats its 7亿元以上制造业 target."""
    rng, further = seeded_rng("targets"), seeded_rng("further targets")
    clock = plan.clock
    latest = _latest_reported(plan)
    progress = time_progress(clock.as_of, plan.config)
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
            target["signed_amount_wan"] = float(max(1, round(got["signed_amount_wan"] / share))
                                                if got["signed_amount_wan"] else rng.randint(5, 15))
            major = got["major_manufacturing"]
            if this_year and unit.code == EXCELLENT_UNIT and major >= 2:
                target["major_manufacturing"] = float(major - 1)
            else:
                target["major_manufacturing"] = float(max(major, 1 if unit.kind == "园区" else 0))
            target.update(_further_targets(further, unit, got, share))
            if this_year and unit.code == MISSING_TARGET[0]:
                target[MISSING_TARGET[1]] = None
            plan.targets[year][unit.code] = target


def _plan_money(plan: Plan) -> None:
    """Each project's draws for 累计到位资金 and 年度计划投资 (their own stream, so the rest of the plan stays put)."""
    rng = seeded_rng("money")
    for p in plan.projects:
        p.funds_first_share = rng.uniform(*FUNDS_FIRST_SHARE)
        p.funds_ahead = rng.uniform(*FUNDS_AHEAD)
        p.plan_ambition = rng.uniform(*PLAN_AMBITION) + PLAN_AMBITION_PER_PACE * UNIT_BY_CODE[p.unit].pace


def plan_county(clock: Clock, config: Settings) -> Plan:
    """The whole demo county: projects, reports with their arrival times, mess and targets."""
    plan = Plan(clock, config)
    _story_projects(plan)  # first, so the random population never takes a story project's name
    _plan_projects(plan)
    _plan_reports(plan)
    _plan_late_terminations(plan)
    _tune_rates(plan)
    _plan_mess(plan)
    _plan_money(plan)
    _plan_targets(plan)
    return plan
