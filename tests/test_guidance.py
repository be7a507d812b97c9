"""Target-gap guidance: what a unit lacks against the rate targets and 序时进度, every annual target set with its
completion and gap, and the candidate projects (signing for the 签约 targets, size bands at their edges; 纳统)."""
from __future__ import annotations

import datetime as dt

import pytest

from pipelines.figures.guidance import target_gaps
from pipelines.vocabulary import approval_tier
from tests.factories import project, snapshot

AS_OF = dt.date(2024, 6, 30)


def _signed(con, code, signed, commenced=None, in_stats=None, total=20000, status="active", **fields):
    pid = project(con, code)
    snapshot(con, pid, "2024-05", "2024-06-05", total=total, status=status, signed_date=signed,
             commenced_date=commenced, in_stats_date=in_stats, **fields)


def _targets(con, **targets):
    """U01's 2024 targets, the columns named (the rest blank)."""
    names = ", ".join(targets)
    con.execute(f"INSERT INTO targets (submission_id, received_at, year, unit_code, {names}) "
                f"VALUES (1, '2024-01-10', 2024, 'U01', {', '.join('?' * len(targets))})", list(targets.values()))


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
    """Target 6 新开工 with 序时进度 0.5: 3 due, 1 commenced, 2 lacking, no project signed and waiting to commence
    (completion 1/6, gap (1/6 − 0.5) × 100); 签约金额
    target 10亿: 5亿 due, 3亿 signed, nothing 在谈 or 已审批 to sign; no 投产 target; the further targets, not set,
    are not listed."""
    _targets(units, signed_amount_wan=100000, commenced=6)
    _signed(units, "S1", "2024-01-05", commenced="2024-03-01", total=30000)
    gaps = _gaps(units)
    assert list(gaps) == ["commencement_rate", "stats_rate", "signed", "signed_amount", "commenced", "production"]
    commenced = gaps["commenced"]
    assert (commenced.needed, commenced.message) == (2, "新开工项目数距序时进度还差2个（没有已签约未开工的项目）")
    assert (commenced.actual, commenced.target, commenced.completion) == (1, 6, pytest.approx(1 / 6))
    assert commenced.gap_points == pytest.approx((1 / 6 - 0.5) * 100)
    assert gaps["signed_amount"].message == "签约金额距序时进度还差2.00亿元（没有在谈、已审批的此类项目）"
    assert (gaps["signed_amount"].actual, gaps["signed_amount"].completion) == (30000, pytest.approx(0.3))
    assert gaps["production"].message == "新投产项目数未下达年度目标"
    assert (gaps["production"].target, gaps["production"].completion, gaps["production"].gap_points) == (
        None, None, None)


def test_a_month_report_reads_what_was_known_by_its_knowledge_day(units):
    """June's report produced on 07-12: a 新开工 target of 6 received on 07-05 (after June's end) and a project whose
    June report came on 07-08 both count (3 due, 1 commenced: 2 lacking); as of 06-30 neither was known."""
    units.execute("INSERT INTO targets (submission_id, received_at, year, unit_code, commenced) "
                  "VALUES (1, '2024-07-05', 2024, 'U01', 6)")
    snapshot(units, project(units, "S1"), "2024-06", "2024-07-08", signed_date="2024-01-05",
             commenced_date="2024-03-01")
    known = {g.item: g for g in target_gaps(units, AS_OF, "U01", known_by=dt.date(2024, 7, 12))}
    assert (known["commenced"].target, known["commenced"].actual, known["commenced"].needed) == (6, 1, 2)
    assert _gaps(units)["commenced"].message == "新开工项目数未下达年度目标"


def _prospect(con, code, stage, total, status="active"):
    """A project not yet signed: 已审批 (approved 2024-04-01) or 在谈 (研判通过 2024-03-01), or only a lead."""
    dates = {"lead_date": "2024-01-10"}
    if stage in ("evaluated", "approved"):
        dates["evaluated_date"] = "2024-03-01"
    if stage == "approved":
        dates["approved_date"] = "2024-04-01"
    snapshot(con, project(con, code), "2024-05", "2024-06-05", total=total, status=status, **dates)


def test_size_bands_at_their_edges_with_the_projects_to_sign(units):
    """序时进度 0.5. Signed: B1 exactly 10亿 (100000万元: 10–50亿, not 5–10亿) and B2 exactly 50亿 (500000: 50亿以上, not
    10–50亿). 10–50亿 target 4: 2 due, 1 signed, 1 lacking, completion 0.25, gap −25; its candidates C1 (已审批, exactly
    10亿) before C2 (在谈, 499999). 50亿以上 target 1: 0.5 due, 1 signed, met (completion 1, +50). 5–10亿 target 2: 1
    due, none signed, the candidate C4 (在谈, 9亿). Left out: C3 (50亿, another band), C5 (terminated), C6 (only a
    lead)."""
    _targets(units, signed_50yi=1, signed_10_50yi=4, signed_5_10yi=2)
    _signed(units, "B1", "2024-02-01", total=100000)
    _signed(units, "B2", "2024-03-01", total=500000)
    _prospect(units, "C2", "evaluated", 499999)
    _prospect(units, "C1", "approved", 100000)
    _prospect(units, "C3", "approved", 500000)
    _prospect(units, "C4", "evaluated", 90000)
    _prospect(units, "C5", "approved", 200000, status="terminated")
    _prospect(units, "C6", "lead", 200000)
    gaps = _gaps(units)
    band = gaps["signed_10_50yi"]
    assert (band.needed, band.message) == (1, "签约10亿至50亿元项目数距序时进度还差1个")
    assert (band.actual, band.target, band.completion, band.gap_points) == (1, 4, 0.25, -25)
    assert [(c["code"], c["stage"], c["date"]) for c in band.candidates] == [
        ("C1", "已审批", dt.date(2024, 4, 1)), ("C2", "在谈", dt.date(2024, 3, 1))]
    top = gaps["signed_50yi"]
    assert (top.needed, top.message, top.completion, top.gap_points) == (
        0, "签约50亿元以上项目数已达序时进度（1/1个）", 1, 50)
    small = gaps["signed_5_10yi"]
    assert (small.needed, [c["code"] for c in small.candidates]) == (1, ["C4"])
    assert "in_stats" not in gaps and "invested_year" not in gaps


def test_in_stats_target_with_the_projects_to_bring_in(units):
    """新纳统 target 4, 序时进度 0.5: 2 due, 1 纳统 this year (N2), 1 lacking. Candidates: every project commenced by
    the day and not yet 纳统, this year's or earlier (N1, commenced 2023), oldest first; not N3 (terminated)."""
    _targets(units, in_stats=4)
    _signed(units, "N4", "2024-01-05", commenced="2024-03-01")
    _signed(units, "N1", "2023-01-05", commenced="2023-05-01")
    _signed(units, "N2", "2024-01-05", commenced="2024-02-01", in_stats="2024-04-01")
    _signed(units, "N3", "2024-01-05", commenced="2024-03-01", status="terminated")
    gap = _gaps(units)["in_stats"]
    assert (gap.needed, gap.message, gap.completion, gap.gap_points) == (
        1, "新纳统项目数距序时进度还差1个", 0.25, -25)
    assert [c["code"] for c in gap.candidates] == ["N1", "N4"]


def test_invested_year_against_time_progress(units):
    """本年完成投资 target 10亿 (100000万元), 序时进度 0.5: 5亿 due; one project with 累计完成投资 3亿 and no report of an
    earlier year (baseline 0) has done 3亿: 2亿 lacking, completion 0.3, gap −20; no candidates."""
    _targets(units, invested_year_wan=100000)
    _signed(units, "I1", "2024-01-05", commenced="2024-02-01", total=200000, invested_to_date_wan=30000)
    gap = _gaps(units)["invested_year"]
    assert (gap.needed, gap.message, gap.candidates) == (20000, "本年完成投资距序时进度还差2.00亿元", [])
    assert (gap.actual, gap.target, gap.completion, gap.gap_points) == (30000, 100000, 0.3, pytest.approx(-20))


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


def test_commenced_and_production_targets_with_the_projects_to_move(units):
    """序时进度 0.5. 新开工 target 6: 3 due, 1 commenced this year (P1), 2 lacking; candidates the projects signed by the
    day and not commenced, by 计划开工日期 (K2 07-15 before K1 08-01, K3 without one last; not K4, terminated), with that
    date. 新投产 target 4: 2 due, 1 in production this year (P5), 1 lacking; candidates the projects commenced and not
    in production, 已竣工 first (P2, commenced 2023), then 在建 by 开工日期 (P3 2023-06 before P1 2024-03), with their
    stage and 开工日期."""
    _targets(units, commenced=6, production=4)
    _signed(units, "P1", "2024-01-05", commenced="2024-03-01")
    _signed(units, "P2", "2023-01-05", commenced="2023-02-01", completed_date="2024-05-01")
    _signed(units, "P3", "2023-01-05", commenced="2023-06-01")
    _signed(units, "P5", "2023-01-05", commenced="2023-03-01", production_date="2024-04-01")
    _signed(units, "K1", "2024-02-01", planned_start_date="2024-08-01")
    _signed(units, "K2", "2024-03-01", planned_start_date="2024-07-15")
    _signed(units, "K3", "2023-11-01")
    _signed(units, "K4", "2024-02-01", status="terminated", planned_start_date="2024-07-01")
    gaps = _gaps(units)
    commenced = gaps["commenced"]
    assert (commenced.needed, commenced.message) == (2, "新开工项目数距序时进度还差2个")
    assert [(c["code"], c["date"]) for c in commenced.candidates] == [
        ("K2", dt.date(2024, 7, 15)), ("K1", dt.date(2024, 8, 1)), ("K3", None)]
    production = gaps["production"]
    assert (production.needed, production.actual, production.message) == (1, 1, "新投产项目数距序时进度还差1个")
    assert [(c["code"], c["stage"], c["date"]) for c in production.candidates] == [
        ("P2", "已竣工", dt.date(2023, 2, 1)), ("P3", "在建", dt.date(2023, 6, 1)), ("P1", "在建", dt.date(2024, 3, 1))]


def test_too_few_projects_to_commence_is_said(units):
    """新开工 target 8, 序时进度 0.5: 4 due, none commenced; only one project signed and waiting: said in the message."""
    _targets(units, commenced=8)
    _signed(units, "K1", "2024-02-01")
    assert _gaps(units)["commenced"].message == "新开工项目数距序时进度还差4个（已签约未开工的项目只有1个）"
