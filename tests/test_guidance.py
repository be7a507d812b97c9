"""Target-gap guidance: what a unit lacks against the rate targets and 序时进度, and the candidate projects."""
from __future__ import annotations

import datetime as dt

import pytest

from pipelines.figures.guidance import target_gaps
from pipelines.vocabulary import approval_tier
from tests.factories import project, snapshot

AS_OF = dt.date(2024, 6, 30)


def _signed(con, code, signed, commenced=None, in_stats=None, total=20000, status="active"):
    pid = project(con, code)
    snapshot(con, pid, "2024-05", "2024-06-05", total=total, status=status, signed_date=signed,
             commenced_date=commenced, in_stats_date=in_stats)


def _gaps(con):
    return {g.item: g for g in target_gaps(con, AS_OF, "U01")}


def test_commencement_gap_and_candidates(units):
    """4 signed this year, 1 commenced: 0.75 × 4 − 1 = 2 more; candidates are the open ones, oldest first,
    the terminated one excluded."""
    _signed(units, "S1", "2024-01-05", commenced="2024-03-01")
    _signed(units, "S2", "2024-02-01")
    _signed(units, "S3", "2024-01-20")
    _signed(units, "S4", "2024-03-01", status="terminated")
    gap = _gaps(units)["commencement_rate"]
    assert (gap.needed, gap.message) == (2, "还需开工2个项目可达75%")
    assert [c["code"] for c in gap.candidates] == ["S3", "S2"]


def test_commencement_gap_beyond_reach_is_said(units):
    """When fewer open projects exist than are needed, the message says how many can still commence."""
    _signed(units, "S1", "2024-01-05", status="terminated")
    _signed(units, "S2", "2024-02-01", status="terminated")
    _signed(units, "S3", "2024-01-20")
    gap = _gaps(units)["commencement_rate"]
    assert gap.message == "还需开工3个项目可达75%（可开工的项目只有1个）"


@pytest.mark.parametrize(("commenced", "in_stats", "needed"), [
    (5, 4, 0),  # 0.8 × 5 = 4 exactly: no gap despite floating point
    (5, 3, 1),
    (4, 3, 1),  # 3.2 needed: one more
])
def test_stats_gap_exactly_at_target(units, commenced, in_stats, needed):
    """The 纳统 gap is the smallest whole number of projects that reaches 80%."""
    for i in range(commenced):
        _signed(units, f"C{i}", "2024-01-01", commenced="2024-02-01",
                in_stats="2024-03-01" if i < in_stats else None)
    assert _gaps(units)["stats_rate"].needed == needed


def test_gap_against_time_progress(units):
    """Target 6 新开工 with 序时进度 0.5: 3 due, 1 commenced, 2 lacking; 签约金额 target 10亿: 5亿 due."""
    units.execute("INSERT INTO targets (submission_id, received_at, year, unit_code, signed_major, "
                  "signed_amount_wan, commenced, production, major_manufacturing) VALUES (1, '2024-01-10', 2024, 'U01', NULL, 100000, 6, NULL, NULL)")
    _signed(units, "S1", "2024-01-05", commenced="2024-03-01", total=30000)
    gaps = _gaps(units)
    assert (gaps["commenced"].needed, gaps["commenced"].message) == (2, "新开工项目数距序时进度还差2个")
    assert gaps["signed_amount_wan"].message == "签约金额距序时进度还差2.00亿元"
    assert gaps["production"].message == "新投产项目数未下达年度目标"


@pytest.mark.parametrize(("land", "industry", "tier"), [
    (None, "制造业", "分管副县长"),
    (0, "服务业", "分管副县长"),
    (30, "制造业", "分管副县长（县长同意）"),
    (30.5, "制造业", "县长办公会议"),
    (20, "服务业", "分管副县长（县长同意）"),
    (20.5, "服务业", "县长办公会议"),
    (50, "文旅", "县长办公会议"),
    (50.1, "制造业", "县委常委会"),
])
def test_approval_tier(land, industry, tier):
    """审批层级 by 用地面积 and whether the project is industrial (Pan'an rule)."""
    assert approval_tier(land, industry) == tier
