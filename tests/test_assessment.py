"""Figures and the assessment (DOMAIN §5, §7) against hand-computed expectations on a small county."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipelines.figures import measures
from pipelines.figures.assessment import assess, rank_changes
from tests.factories import project, snapshot

AS_OF = dt.date(2024, 6, 30)  # 序时进度 6/12 = 0.5


def _target(con, unit, signed_major=None, amount_wan=None, commenced=None, production=None, major=None,
            received="2024-01-15", year=2024):
    con.execute("INSERT INTO targets (submission_id, received_at, year, unit_code, signed_major, "
                  "signed_amount_wan, commenced, production, major_manufacturing) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
                [dt.datetime.fromisoformat(received), year, unit, signed_major, amount_wan, commenced, production,
                 major])


def _report(con, code, unit="U01", period="2024-05", received="2024-06-05", **fields):
    pid = project(con, code, unit)
    snapshot(con, pid, period, received, unit, **fields)
    return pid


@pytest.fixture
def county(units):
    """U01 (园区组) and U02, U03 (乡镇组) as worked through in the tests below."""
    con = units
    _target(con, "U01", signed_major=4, amount_wan=200000, commenced=2, production=2, major=0)
    _target(con, "U02", signed_major=2, amount_wan=None, commenced=2, production=1, major=None)
    # U01
    _report(con, "A", total=80000, industry="制造业", signed_date="2024-02-01", commenced_date="2024-04-01",
            investor="甲")
    _report(con, "B", total=40000, industry="服务业", signed_date="2024-03-01", investor="乙")
    _report(con, "C", total=15000, signed_date="2023-11-01", commenced_date="2024-01-15", in_stats_date="2024-03-01")
    _report(con, "E", total=20000, industry="农业", signed_date="2024-01-10", status="terminated")
    _report(con, "F", total=5000, industry="文旅", signed_date="2024-02-01", commenced_date="2024-03-01")
    _report(con, "G", total=30000, signed_date="2021-05-01", commenced_date="2022-01-01",
            production_date="2024-04-01")
    late = _report(con, "H", total=500, industry="服务业", period="2024-03", received="2024-04-20")
    snapshot(con, late, "2024-05", "2024-06-05", "U01", total=500, industry="服务业")
    # U02
    _report(con, "P", unit="U02", total=100000, signed_date="2024-03-01", commenced_date="2024-04-01",
            in_stats_date="2024-05-01")
    _report(con, "Q", unit="U02", total=20000, signed_date="2024-04-01")
    return con


def _unit(assessment, code):
    return assessment.units.set_index("code").loc[code]


def test_unit_flows_and_rates(county):
    """U01 as of 2024-06-30 over 亿元以上 projects: signed A, B, E (14亿); commenced A, C; 纳统 C; 投产 G;
    开工率 1/3 (terminated E stays in the cohort, F is under 1亿); 纳统率 C of {A, C} = 1/2."""
    u01 = _unit(assess(county, AS_OF), "U01")
    assert (u01["signed"], u01["signed_amount_wan"], u01["commenced"], u01["in_stats"], u01["production"]) == (
        3, 140000.0, 2, 1, 1)
    assert u01["commencement_rate"] == pytest.approx(1 / 3)
    assert u01["stats_rate"] == pytest.approx(0.5)
    assert (u01["commencement_rate_status"], u01["stats_rate_status"]) == ("红", "红")


def test_score_of_unit_with_all_targets(county):
    """U01: 25 + 15 + 20 + 10 (targets met at 序时进度) + 15·(1/3)/0.75 + 15·0.5/0.8 = 86.0417;
    bonus A (制造业 8亿, +3) + B (4亿, +1) = 4. U01 owed March (H), April (H) and May (all): March's report came on
    04-20 (due 04-10), April's never, May's on time: two late reports, −2 (DOMAIN §7: −1 each, however many
    projects); H's overdue March and April lie in those months, so no forgotten update; score 88.0417."""
    u01 = _unit(assess(county, AS_OF), "U01")
    assert u01["indicator_points"] == pytest.approx(70 + 15 * (1 / 3) / 0.75 + 15 * 0.5 / 0.8)
    assert (u01["bonus"], u01["deduction"], u01["overdue_updates"]) == (4, 2.0, 2)
    assert (u01["reports_expected"], u01["reports_received"], u01["reports_on_time"], u01["late_reports"],
            u01["forgotten_updates"]) == (3, 2, 1, 2, 0)
    assert (u01["reporting_rate"], u01["on_time_rate"]) == pytest.approx((2 / 3, 1 / 3))
    assert u01["score"] == pytest.approx(88.041667, abs=1e-6)


def test_missing_target_is_left_out_and_weights_rescaled(county):
    """U02 has no 签约金额 target: its other indicators (25 + 20 + 0 + 10 + 15 = 70 of 85) are scaled to 100,
    82.3529; plus P's bonus 3 = 85.3529."""
    u02 = _unit(assess(county, AS_OF), "U02")
    assert u02["indicator_points"] == pytest.approx(70 * 100 / 85)
    assert u02["score"] == pytest.approx(70 * 100 / 85 + 3)


def test_unit_without_targets_or_projects_scores_zero(county):
    """U03 has neither targets nor projects: no rates (not 0%), score 0."""
    u03 = _unit(assess(county, AS_OF), "U03")
    assert (u03["commencement_rate"], u03["stats_rate"], u03["score"]) == (None, None, 0)


def test_ranks_overall_and_in_group(county):
    """Overall U01, U02, U03; within 乡镇组 U02 before U03."""
    units = assess(county, AS_OF).units
    assert list(units["code"]) == ["U01", "U02", "U03"]
    assert dict(zip(units["code"], units["group_rank"])) == {"U01": 1, "U02": 1, "U03": 2}


def test_ledger_names_projects_behind_each_item(county):
    """The ledger lists the projects behind each indicator, the late months and the forgotten (project, period)
    pairs behind the deductions, each as its own item."""
    ledger = assess(county, AS_OF).ledger.set_index(["unit_code", "item"])
    assert ledger.loc[("U01", "signed_major"), "subjects"] == ["A", "B", "E"]
    assert ledger.loc[("U01", "commenced"), "subjects"] == ["A", "C"]
    assert ledger.loc[("U01", "bonus"), "subjects"] == ["A", "B"]
    assert ledger.loc[("U01", "late_reports"), "subjects"] == ["2024-03", "2024-04"]
    assert ledger.loc[("U01", "late_reports"), "points"] == -2.0
    assert (ledger.loc[("U01", "forgotten_updates"), "subjects"], ledger.loc[("U01", "forgotten_updates"), "points"]
            ) == ([], 0.0)
    assert pd.isna(ledger.loc[("U02", "signed_amount"), "points"])  # left out, not 0
    total = ledger.loc["U01", "points"].dropna().sum()
    assert total == pytest.approx(_unit(assess(county, AS_OF), "U01")["score"])


def test_excellent_and_veto(county):
    """U01 signed one 7亿 制造业 project against a target of 0: 优秀; U02 has no such target and needs one: its
    10亿 P makes it 优秀; U03 has none: not; an admin's 一票否优 on U01 for 2024 takes it away but U01 still
    qualifies."""
    units = assess(county, AS_OF).units.set_index("code")
    assert list(units.loc[["U01", "U02", "U03"], "excellent"]) == [True, True, False]
    county.execute("INSERT INTO veto_flags VALUES (2024, 'U01', '未完成交办任务', 'admin', TIMESTAMP '2024-06-20 10:00')")
    u01 = _unit(assess(county, AS_OF), "U01")
    assert (u01["excellent"], u01["qualifies"], u01["vetoed"]) == (False, True, True)


def test_excellent_needs_more_than_target(county):
    """With a target of 1 for 7亿 制造业 projects, U01's single one equals but does not exceed it: not 优秀."""
    county.execute("UPDATE targets SET major_manufacturing = 1 WHERE unit_code = 'U01'")
    assert not _unit(assess(county, AS_OF), "U01")["excellent"]


def test_as_of_past_day_ignores_later_reports(county):
    """Q's commencement reported in August changes U02's 开工率 as of 08-31 (2/2) but not as of 06-30 (1/2)."""
    pid = county.execute("SELECT id FROM projects WHERE code = 'Q'").fetchone()[0]
    snapshot(county, pid, "2024-07", "2024-08-05", "U02", total=20000, signed_date="2024-04-01",
             commenced_date="2024-07-05")
    assert _unit(assess(county, AS_OF), "U02")["commencement_rate"] == pytest.approx(0.5)
    assert _unit(assess(county, dt.date(2024, 8, 31)), "U02")["commencement_rate"] == pytest.approx(1.0)


def test_ties_broken_by_amount_then_code(units):
    """Equal scores rank by 签约金额, then by unit code."""
    for code, unit, total in (("X1", "U03", 30000), ("X2", "U02", 20000)):
        _report(units, code, unit=unit, total=total, signed_date="2024-02-01", commenced_date="2024-03-01",
                in_stats_date="2024-04-01")
    ranked = assess(units, AS_OF).units
    assert list(ranked["code"]) == ["U03", "U02", "U01"]


def test_rank_change_against_previous_month(county):
    """As of July U03 overtakes nobody: ranks unchanged from June, so every change is 0."""
    july = assess(county, dt.date(2024, 7, 31))
    changes = rank_changes(county, july).set_index("code")
    assert changes["rank_change"].tolist() == [0, 0, 0]


@pytest.mark.parametrize(("rate", "status"), [
    (0.75, "达标"), (0.7499, "黄"), (0.65, "黄"), (0.6499, "红"), (None, None), (1.0, "达标"),
])
def test_commencement_rate_status_boundaries(rate, status):
    """达标 at the target, 黄 down to 10 points below, 红 beyond, nothing without a rate."""
    assert measures.rate_status(rate, 0.75, 10) == status


def test_cumulative_cohort_counts_earlier_signings(county):
    """With rate_cohort = cumulative, C (signed 2023, commenced) joins U01's cohort: 开工率 2/4."""
    from pipelines import settings
    cumulative = settings.load(overrides={"figures": {"rate_cohort": "cumulative"}})
    u01 = _unit(assess(county, AS_OF, cumulative), "U01")
    # Signed by 06-30 and 亿元以上: A, B, C, E, G; commenced: A, C, G.
    assert u01["commencement_rate"] == pytest.approx(3 / 5)


def test_funnel_of_the_year(county):
    """Leads of 2024 form the funnel cohort; with no 线索登记日期 recorded the year's funnel is empty, and the
    'all' cohort counts every project that reached each milestone."""
    facts = measures.project_facts(county, AS_OF)
    assert measures.funnel(facts, AS_OF)["reached"].sum() == 0
    everything = measures.funnel(facts, AS_OF, cohort="all").set_index("milestone")
    assert everything.loc["signed", "reached"] == 8  # all nine projects but H have a 签约日期
    assert everything.loc["commenced", "conversion"] == pytest.approx(everything.loc["commenced", "reached"] / 8)


def test_a_reader_that_stops_early_ends_the_report_quietly(county, tmp_path):
    """`python -m pipelines.report --json | head -1`: the command ends with 0 and no traceback when its reader
    closes the pipe after one line (with 300 more units the JSON is larger than what a pipe holds)."""
    import subprocess
    import sys

    from tests.server import ROOT

    county.executemany("INSERT INTO units VALUES (?, ?, '乡镇街道', '乡镇组', ?, ?)",
                       [(f"X{i:03d}", f"单元{i}", dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1)) for i in range(300)])
    county.close()
    report = subprocess.Popen([sys.executable, "-m", "pipelines.report", "--as-of", "2024-06-30", "--json",
                               "--db", str(tmp_path / "test.duckdb")], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, bufsize=0)
    assert report.stdout.read(1) == b"{"
    report.stdout.close()  # the reader is gone before the rest is written
    _, errors = report.communicate(timeout=60)
    assert report.returncode == 0 and b"Traceback" not in errors, errors.decode()


def test_report_json_shape_and_values(county, tmp_path):
    """`python -m pipelines.report --as-of 2024-06-30 --json` prints DOMAIN §9's object with U01's figures."""
    import json
    import subprocess
    import sys

    from tests.server import ROOT

    county.close()
    done = subprocess.run([sys.executable, "-m", "pipelines.report", "--as-of", "2024-06-30", "--json",
                           "--db", str(tmp_path / "test.duckdb")], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["as_of"], data["year"], data["time_progress"]) == ("2024-06-30", 2024, 0.5)
    u01 = data["units"][0]
    assert set(u01) == {"code", "name", "group", "signed", "signed_amount_wan", "commenced", "in_stats",
                        "completed", "production", "commencement_rate", "stats_rate", "overdue_updates", "bonus",
                        "deduction", "score", "rank", "group_rank", "excellent", "production_rate",
                        "reports_expected", "reports_received", "reports_on_time", "reporting_rate", "on_time_rate",
                        "late_reports", "forgotten_updates", "late_tasks", "veto_proposed", "funds_rate",
                        "invested_year_wan", "investment_completion_rate", "targets", "completion",
                        "schedule_gap_points"}
    assert (data["period_end"], data["known_by"]) == ("2024-06-30", "2024-06-30")
    assert (u01["code"], u01["signed"], u01["rank"], u01["group_rank"], u01["excellent"]) == ("U01", 3, 1, 1, True)
    assert u01["score"] == pytest.approx(88.041667, abs=1e-6)
    assert data["units"][2]["commencement_rate"] is None
    assert data["overall"]["signed"] == 5 and isinstance(data["overall"]["signed"], int)
    assert "score" not in data["overall"]
    assert data["overall"]["commencement_rate"] == pytest.approx(2 / 5)  # A and P of A, B, E, P, Q
