"""The domain's fixed vocabulary: milestones, statuses, industries, unit kinds, size bands and warning grades."""
from __future__ import annotations

from typing import NamedTuple


class Milestone(NamedTuple):
    id: str
    label: str  # 中文 name shown to users
    date_field: str  # snapshot column holding the date it was reached
    header: str  # canonical template header


MILESTONES: tuple[Milestone, ...] = (
    Milestone("lead", "线索登记", "lead_date", "线索登记日期"),
    Milestone("evaluated", "研判通过", "evaluated_date", "研判通过日期"),
    Milestone("approved", "审批通过", "approved_date", "审批通过日期"),
    Milestone("signed", "签约", "signed_date", "签约日期"),
    Milestone("commenced", "开工", "commenced_date", "开工日期"),
    Milestone("in_stats", "纳统", "in_stats_date", "纳统日期"),
    Milestone("completed", "竣工", "completed_date", "竣工日期"),
    Milestone("production", "投产", "production_date", "投产日期"),
)
MILESTONE_BY_ID = {m.id: m for m in MILESTONES}

# A milestone that may only be reported once another has been reached (DOMAIN §2 order rules).
REQUIRES: dict[str, str] = {
    "commenced": "signed",
    "in_stats": "commenced",
    "completed": "commenced",
    "production": "commenced",
}

STATUSES: dict[str, str] = {"active": "正常推进", "paused": "暂缓", "terminated": "终止"}
STATUS_BY_LABEL = {label: sid for sid, label in STATUSES.items()}

INDUSTRIES: tuple[str, ...] = ("制造业", "服务业", "农业", "文旅", "康养", "其他")
MANUFACTURING = "制造业"

UNIT_KINDS: tuple[str, ...] = ("园区", "乡镇街道", "部门", "专班")

YES_NO = {"是": True, "否": False}

# Money is stored in 万元 and shown in 亿元 on screens and in the 通报.
WAN_PER_YI = 10000


class SizeBand(NamedTuple):
    label: str
    min_wan: float  # lower bound of 计划总投资, 万元, inclusive


# 规模档次 by 计划总投资, largest first.
SIZE_BANDS: tuple[SizeBand, ...] = (
    SizeBand("50亿以上", 500000),
    SizeBand("10–50亿", 100000),
    SizeBand("5–10亿", 50000),
    SizeBand("1–5亿", 10000),
    SizeBand("1亿以下", 0),
)


class Target(NamedTuple):
    """One kind of annual target a unit may be given (DOMAIN §7, §9): its id in the report's `targets`,
    `completion` and `schedule_gap_points`, its column in the targets table (and the targets workbook's id), its
    name, the unit of the target as the bureau writes it, and the unit_figures column it is measured by."""

    id: str
    column: str
    label: str
    unit: str  # 个 or 亿元 (money is stored in 万元)
    actual: str


TARGETS: tuple[Target, ...] = (
    Target("signed", "signed_major", "签约亿元以上项目数", "个", "signed"),
    Target("signed_amount", "signed_amount_wan", "签约金额", "亿元", "signed_amount_wan"),
    Target("commenced", "commenced", "新开工项目数", "个", "commenced"),
    Target("production", "production", "新投产项目数", "个", "production"),
    Target("major_manufacturing", "major_manufacturing", "7亿元以上制造业项目数", "个", "major_manufacturing"),
    Target("in_stats", "in_stats", "新纳统项目数", "个", "in_stats"),
    Target("signed_50yi", "signed_50yi", "签约50亿元以上项目数", "个", "signed_50yi"),
    Target("signed_10_50yi", "signed_10_50yi", "签约10亿至50亿元项目数", "个", "signed_10_50yi"),
    Target("signed_5_10yi", "signed_5_10yi", "签约5亿至10亿元项目数", "个", "signed_5_10yi"),
    Target("invested_year", "invested_year_wan", "本年完成投资", "亿元", "invested_year_wan"),
)
TARGET_BY_ID = {t.id: t for t in TARGETS}
TARGET_FIELDS = tuple(t.column for t in TARGETS)  # the targets table's target columns
# The size bands of 签约 targets (天门): the target column and [lower, upper) bounds of 计划总投资 in 万元.
SIGNED_BANDS: tuple[tuple[str, float, float], ...] = (
    ("signed_50yi", 500000, float("inf")), ("signed_10_50yi", 100000, 500000), ("signed_5_10yi", 50000, 100000))


def size_band(total_investment_wan: float | None) -> str | None:
    """The 规模档次 label of a project of this 计划总投资 (万元)."""
    if total_investment_wan is None:
        return None
    return next(b.label for b in SIZE_BANDS if total_investment_wan >= b.min_wan)

# Words units write for the same industry or status; mapped to the canonical value.
INDUSTRY_ALIASES: dict[str, str] = {
    "工业": "制造业", "先进制造业": "制造业", "现代服务业": "服务业", "现代农业": "农业", "文化旅游": "文旅", "旅游": "文旅",
    "健康养老": "康养", "其它": "其他",
}
STATUS_ALIASES: dict[str, str] = {
    "正常": "active", "推进中": "active", "在建": "active",
    "暂停": "paused", "缓建": "paused", "停建": "paused",
    "已终止": "terminated", "取消": "terminated", "已取消": "terminated",
}


class ApprovalTier(NamedTuple):
    label: str  # who approves the landing (Pan'an rule, shown on a project, not enforced)
    max_industrial_mu: float | None  # largest 用地面积 of an industrial (制造业) project at this tier; None: any
    max_other_mu: float | None  # the same for other projects


# 审批层级 by 用地面积 (亩), from the Pan'an text: checked in order, the first tier a project fits is its tier.
APPROVAL_TIERS: tuple[ApprovalTier, ...] = (
    ApprovalTier("分管副县长（县长同意）", 30, 20),
    ApprovalTier("县长办公会议", 50, 50),
    ApprovalTier("县委常委会", None, None),
)
NO_LAND_TIER = "分管副县长"


def approval_tier(land_mu: float | None, industry: str | None) -> str:
    """Who approves a project's landing: 分管副县长 without land, then by 用地面积 and whether it is industrial."""
    if land_mu is None or land_mu != land_mu or land_mu <= 0:  # None, NaN or no land
        return NO_LAND_TIER
    for tier in APPROVAL_TIERS:
        limit = tier.max_industrial_mu if industry == MANUFACTURING else tier.max_other_mu
        if limit is None or land_mu <= limit:
            return tier.label
    raise AssertionError("the last tier takes any area")

# The two grades of a warning (DOMAIN §8) and how they are read out.
YELLOW, RED = "yellow", "red"
GRADE_LABELS = {YELLOW: "黄", RED: "红"}
