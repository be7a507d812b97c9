"""The bureau's whole indicator set (DOMAIN §5, §7, §9), worked by hand: 资金到位率, 本年完成投资 and 年度投资完成率
(baselines: none in the previous year, a December report corrected in January, a blank 累计到位资金, a terminated
project), the 签约 size bands at their edges, the further targets with completion and gap to 序时进度, and a
zero-weight target shown but not scored until weighted, then rescaled."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from alerts.rules import conditions
from pipelines import settings
from pipelines.figures import assessment, measures
from pipelines.report import month_report, report
from tests.factories import project, snapshot

D = dt.date
E = D(2026, 3, 31)  # 序时进度 3/12 = 0.25


def _target(con, **values):
    """U01's targets for 2026, received in January; only the columns given are set."""
    names = ", ".join(values)
    con.execute(f"INSERT INTO targets (submission_id, received_at, year, unit_code, {names}) "
                f"VALUES (1, '2026-01-15', 2026, 'U01', {', '.join('?' * len(values))})", list(values.values()))


@pytest.fixture
def county(units):
    """U01's projects (万元):
    A  signed 2025, commenced 2025, 纳统 2026-02-10; 累计完成投资 Dec 1000 → Jan 1500 → Mar 1800; plan 4000.
    B  first reported in 2026 (no baseline): 累计完成投资 600 in Feb; plan 1200.
    C  December reported 2000 on 01-05, corrected to 2200 on 01-20; March 2500; no plan.
    D  signed 2026-02-01, 5亿 (5–10亿 band), 累计到位资金 blank.
    T  signed 2026-01-15, exactly 10亿 (10–50亿 band), 到位 30000, reported 终止 in March.
    F  signed 2026-03-01, exactly 50亿 (50亿以上), 到位 100000."""
    a, b, c = project(units, "A", "U01"), project(units, "B", "U01"), project(units, "C", "U01")
    d, t, f = project(units, "D", "U01"), project(units, "T", "U01"), project(units, "F", "U01")
    old = {"signed_date": "2025-05-01", "commenced_date": "2025-08-01"}
    snapshot(units, a, "2025-12", "2026-01-08", **old, invested_to_date_wan=1000, annual_plan_wan=3000)
    snapshot(units, a, "2026-01", "2026-02-08", **old, invested_to_date_wan=1500, annual_plan_wan=4000)
    snapshot(units, a, "2026-03", "2026-04-08", **old, in_stats_date="2026-02-10", invested_to_date_wan=1800,
             annual_plan_wan=4000)
    snapshot(units, b, "2026-02", "2026-03-08", **old, invested_to_date_wan=600, annual_plan_wan=1200)
    snapshot(units, c, "2025-12", "2026-01-05", **old, invested_to_date_wan=2000)
    snapshot(units, c, "2025-12", "2026-01-20", **old, invested_to_date_wan=2200)  # the correction (amends)
    snapshot(units, c, "2026-03", "2026-04-08", **old, invested_to_date_wan=2500)
    snapshot(units, d, "2026-03", "2026-04-08", total=50000, signed_date="2026-02-01")
    snapshot(units, t, "2026-03", "2026-04-08", total=100000, signed_date="2026-01-15", funds_in_place_wan=30000,
             status="terminated")
    snapshot(units, f, "2026-03", "2026-04-08", total=500000, signed_date="2026-03-01", funds_in_place_wan=100000)
    return units


def _u01(con, as_of, known_by=None, config=None):
    return next(u for u in report(con, as_of, config, known_by=known_by)["units"] if u["code"] == "U01")


def test_funds_rate_invested_this_year_and_completion_rate(county):
    """资金到位率 over the 2026 signed cohort D, T, F: (0 + 30000 + 100000) / (50000 + 100000 + 500000) = 0.2 (D's
    blank counts 0, the terminated T stays); 本年完成投资 = A 1800 − 1000 + B 600 − 0 + C 2500 − 2200 = 1700;
    年度投资完成率 over A and B (the projects with a plan) = (800 + 600) / (4000 + 1200)."""
    u01 = _u01(county, D(2026, 4, 10))
    assert u01["funds_rate"] == pytest.approx(0.2)
    assert u01["invested_year_wan"] == pytest.approx(1700)
    assert u01["investment_completion_rate"] == pytest.approx(1400 / 5200)


def test_a_plan_counts_from_the_latest_report_whatever_its_year(county):
    """DOMAIN §5 takes each project's 年度计划投资 from its state. On 01-10 the latest reports are December's: A's 3000
    (its 2025 plan) is the plan and nothing is done this year yet (1000 − 1000), so 年度投资完成率 is 0 / 3000 = 0,
    not "no value"; from A's January report on, its new plan counts: 500 / 4000. Both ways of counting agree."""
    assert _u01(county, D(2026, 1, 10))["investment_completion_rate"] == 0
    assert _u01(county, D(2026, 2, 10))["investment_completion_rate"] == pytest.approx(500 / 4000)
    ledger = assessment.assess(county, D(2026, 1, 10)).units.set_index("code").loc["U01"]
    assert ledger["investment_completion_rate"] == 0


def test_the_baseline_as_the_files_arrived(county):
    """On 01-10 the December reports are the latest (states of 2025): nothing done this year yet. On 01-25, C's
    December correction (2200) is in; by 02-10 A's January report counts 1500 − 1000."""
    assert _u01(county, D(2026, 1, 10))["invested_year_wan"] == 0
    assert _u01(county, D(2026, 2, 10))["invested_year_wan"] == pytest.approx(500)
    facts = measures.project_facts(county, D(2026, 4, 10)).set_index("project_code")
    assert facts.loc["C", "invested_before_year"] == 2200 and facts.loc["C", "invested_year_wan"] == 300
    assert facts.loc["B", "invested_year_wan"] == 600  # no report before 2026: baseline 0


def test_a_report_for_a_past_month_known_later_takes_its_baseline_from_before_that_year(county):
    """The December 2025 report known by 2026-04-10: the states are of 2026 (read as known by K), the year is 2025,
    so the baseline is the latest report before 2025 (none: 0): A counts 1800, C 2500, B 600."""
    u01 = next(u for u in month_report(county, D(2025, 12, 1), D(2026, 4, 10))["units"] if u["code"] == "U01")
    assert u01["invested_year_wan"] == pytest.approx(1800 + 600 + 2500)


def test_size_bands_at_their_edges(county):
    """Exactly 50亿 is 50亿以上, exactly 10亿 is 10–50亿, 5亿 is 5–10亿."""
    u01 = measures.unit_figures(county, E, known_by=D(2026, 4, 10)).set_index("code").loc["U01"]
    assert (u01["signed_50yi"], u01["signed_10_50yi"], u01["signed_5_10yi"]) == (1, 1, 1)


def test_targets_completion_and_gap_per_unit_and_county(county):
    """U01's targets: 新纳统 8, 50亿以上 2, 本年完成投资 0.68亿 (6800万): completion 1/8, 1/2 and 1700/6800 with
    gaps (completion − 0.25) × 100; every target not set is null; the county's target is the sum of the units'."""
    _target(county, in_stats=8, signed_50yi=2, invested_year_wan=6800)
    data = report(county, E, known_by=D(2026, 4, 10))
    u01 = next(u for u in data["units"] if u["code"] == "U01")
    assert u01["targets"] == {"signed": None, "signed_amount": None, "commenced": None, "production": None,
                              "major_manufacturing": None, "in_stats": 8, "signed_50yi": 2, "signed_10_50yi": None,
                              "signed_5_10yi": None, "invested_year": 6800}
    assert u01["completion"]["in_stats"] == pytest.approx(0.125)
    assert u01["completion"]["signed_50yi"] == pytest.approx(0.5)
    assert u01["completion"]["invested_year"] == pytest.approx(0.25)
    assert u01["schedule_gap_points"]["in_stats"] == pytest.approx(-12.5)
    assert u01["schedule_gap_points"]["signed_50yi"] == pytest.approx(25)
    assert u01["schedule_gap_points"]["invested_year"] == pytest.approx(0)
    assert u01["completion"]["signed"] is None and u01["schedule_gap_points"]["commenced"] is None
    assert data["overall"]["targets"]["in_stats"] == 8 and data["overall"]["targets"]["commenced"] is None
    assert data["overall"]["completion"]["in_stats"] == pytest.approx(0.125)


def test_a_zero_weight_target_is_shown_not_scored_until_weighted(county):
    """With only the two rates weighted (15 + 15; both 0 here: T, D and F signed, none commenced; nothing commenced
    this year), U01's indicators score 0 whatever its 新纳统 target. Weighted 10, 新纳统 scores
    10 × min(1 / (8 × 0.25), 1) = 5, rescaled by 100 / (15 + 15 + 10): 12.5, and the ledger shows it with its target
    and the project behind it; the score moves by as much (bonuses and deductions are unchanged)."""
    _target(county, in_stats=8)
    plain = assessment.assess(county, E, known_by=D(2026, 4, 10))
    u01 = plain.units.set_index("code").loc["U01"]
    assert u01["indicator_points"] == 0
    shown = plain.ledger[(plain.ledger["unit_code"] == "U01") & (plain.ledger["item"] == "in_stats")].iloc[0]
    assert (shown["target"], shown["quantity"]) == (8, 1) and pd.isna(shown["points"])  # shown, not scored
    weighted = settings.load(env={}, overrides={"assessment": {"weight_in_stats": 10}})
    scored = assessment.assess(county, E, weighted, known_by=D(2026, 4, 10))
    again = scored.units.set_index("code").loc["U01"]
    assert again["indicator_points"] == pytest.approx(12.5)
    assert again["score"] == pytest.approx(u01["score"] + 12.5)
    item = scored.ledger[(scored.ledger["unit_code"] == "U01") & (scored.ledger["item"] == "in_stats")].iloc[0]
    assert item["points"] == pytest.approx(12.5) and item["subjects"] == ["A"]


def test_behind_schedule_covers_every_target_set(county):
    """新纳统 at 12.5% against 25% 序时进度 is 12.5 points behind: 黄; 50亿以上 ahead: no warning."""
    _target(county, in_stats=8, signed_50yi=2)
    found = conditions(county, D(2026, 4, 10))
    behind = found[found["rule"] == "behind_schedule"]
    assert behind["subject"].tolist() == ["U01:in_stats"]
    assert behind["grade"].tolist() == ["yellow"]
    assert "新纳统项目数完成 12.5%，落后序时进度 12.5 个百分点" in behind["detail"].iloc[0]


def test_a_target_of_0_is_set_and_scores_its_full_points(county):
    """A target of 0 is set (DOMAIN §9 nulls only a target not set): the JSON shows 0, its completion and gap have no
    value (nothing to divide by), and it asks for nothing, so it scores its full points (DOMAIN §7: target × 序时进度
    is 0), while a blank target is left out. U01 with 新开工 0 and the other counts blank: 新开工 scores its 20 and
    the two rates 0 each (D, T, F signed, none commenced; nothing commenced this year), rescaled by 100 / 50: 40."""
    _target(county, commenced=0)
    data = report(county, E, known_by=D(2026, 4, 10))
    u01 = next(u for u in data["units"] if u["code"] == "U01")
    assert u01["targets"]["commenced"] == 0 and u01["targets"]["signed"] is None
    assert u01["completion"]["commenced"] is None and u01["schedule_gap_points"]["commenced"] is None
    assert data["overall"]["targets"]["commenced"] == 0 and data["overall"]["targets"]["production"] is None
    for scored in (assessment.assess(county, E, known_by=D(2026, 4, 10)),
                   assessment.assess(county, E, known_by=D(2026, 4, 10), ledger=False)):
        assert scored.units.set_index("code").loc["U01", "indicator_points"] == pytest.approx(40)
    assert u01["score"] == pytest.approx(40 + u01["bonus"] - u01["deduction"])


def test_production_rate_is_over_the_commencement_rate_s_commenced_projects(units):
    """开工项目投产率 (DOMAIN §5) counts the 开工率's commenced cohort: the projects signed this year and commenced by E.
    P1, signed 2025-12-20, commenced and in production in 2026, is outside it; P2 (signed 01-10, commenced 02-01, in
    production 06-30) and P3 (signed 02-01, commenced 03-01) are in it; P4 (signed 03-01, not commenced) is not.
    June's report known by 07-10: 1 / 2; up to 06-29: 0 / 2. The cumulative cohort takes P1 in: 2 / 3."""
    p1, p2, p3, p4 = (project(units, code, "U01") for code in ("P1", "P2", "P3", "P4"))
    snapshot(units, p1, "2026-06", "2026-07-05", signed_date="2025-12-20", commenced_date="2026-01-05",
             production_date="2026-06-01")
    snapshot(units, p2, "2026-06", "2026-07-05", signed_date="2026-01-10", commenced_date="2026-02-01",
             production_date="2026-06-30")
    snapshot(units, p3, "2026-06", "2026-07-05", signed_date="2026-02-01", commenced_date="2026-03-01")
    snapshot(units, p4, "2026-06", "2026-07-05", signed_date="2026-03-01")

    def rates(period_end, config=None):
        tally = report(units, period_end, config, known_by=D(2026, 7, 10))
        u01 = next(u for u in tally["units"] if u["code"] == "U01")
        ledger = assessment.assess(units, period_end, config, known_by=D(2026, 7, 10)).units.set_index("code")
        return u01["production_rate"], ledger.loc["U01", "production_rate"], tally["overall"]["production_rate"]

    assert rates(D(2026, 6, 30)) == (pytest.approx(0.5),) * 3
    assert rates(D(2026, 6, 29)) == (0, 0, 0)
    cumulative = settings.load(env={}, overrides={"figures": {"rate_cohort": "cumulative"}})
    assert rates(D(2026, 6, 30), cumulative) == (pytest.approx(2 / 3),) * 3
