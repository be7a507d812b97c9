"""The figures of DOMAIN §5 as of any day: 新增 flows, 签约金额, 签约项目开工率 and 开工项目纳统率 with their
status against target, 序时进度, the funnel and the size-band and industry mixes.

Everything starts from `project_facts`: each project's state at the end of the as-of day with one boolean
column per thing a figure counts, and its overdue updates of the year (pipelines.figures.duty). Tallies are sums of
those columns, per unit, per group or overall."""
from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.figures import duty
from pipelines.months import is_month_end
from pipelines.settings import Settings, current
from pipelines.store import queries
from pipelines.vocabulary import MANUFACTURING, MILESTONES, SIGNED_BANDS, SIZE_BANDS

# The 新增 flow of each milestone is the count of projects whose date falls in [1 Jan Y, D].
FLOWS: tuple[str, ...] = tuple(m.id for m in MILESTONES)
# Which milestone date opens each rate's cohort and which one counts as a hit.
RATES: dict[str, tuple[str, str]] = {
    "commencement_rate": ("signed_date", "commenced_date"),
    "stats_rate": ("commenced_date", "in_stats_date"),
    # 开工项目投产率: the 开工率's commenced cohort, its projects signed in the cohort's window and commenced by E
    # (DOMAIN §5; _WITHIN_HITS)
    "production_rate": ("signed_date", "production_date"),
}
# Rates whose cohort is another rate's hits rather than the projects whose opening date falls in the window.
_WITHIN_HITS = {"production_rate": "commencement_rate"}
_EARLIEST = dt.date(1900, 1, 1)  # start of the 'cumulative' cohort: every project signed (commenced) so far


@dataclass(frozen=True)
class Window:
    """The period end E (`as_of`: milestones count when dated on or before it), its assessment year, where the
    year's flows and the rates' cohorts start, and the knowledge day K (`known_by`: only files received by its
    end are read), DOMAIN §4; as of a day D both are D."""

    as_of: dt.date
    year: int
    year_start: dt.date
    cohort_start: dt.date
    known_by: dt.date

    @classmethod
    def of(cls, as_of: dt.date, settings: Settings | None = None, known_by: dt.date | None = None) -> Window:
        cohort = (settings or current()).figures.rate_cohort
        year_start = dt.date(as_of.year, 1, 1)
        return cls(as_of, as_of.year, year_start, year_start if cohort == "year" else _EARLIEST, known_by or as_of)


def time_progress(as_of: dt.date, settings: Settings | None = None) -> float:
    """序时进度 at the period end `as_of` (DOMAIN §5): m / 12 where m is the months of the year completed by the
    end of that day, its month when it is the month's last day, else the month before ([figures]
    time_progress_basis "completed_months"); or its month / 12 ("month")."""
    if (settings or current()).figures.time_progress_basis == "month":
        return as_of.month / 12
    return (as_of.month if is_month_end(as_of) else as_of.month - 1) / 12


def _on_or_before(dates: pd.Series, day: dt.date) -> np.ndarray:
    """Whether each date is on or before `day` (a missing date is not), as one numpy comparison: pandas Series
    arithmetic costs tens of milliseconds per column at province scale."""
    return dates.to_numpy(dtype="datetime64[D]") <= np.datetime64(day, "D")


def _between(dates: pd.Series, start: dt.date, end: dt.date) -> np.ndarray:
    """Whether each date falls in [start, end] (a missing date does not)."""
    return _on_or_before(dates, end) & (dates.to_numpy(dtype="datetime64[D]") >= np.datetime64(start, "D"))


def _arrow_frame(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> pd.DataFrame:
    """The named query as a DataFrame built through Arrow: at 100,000 projects .df() spends ~4× longer making
    the string columns. DuckDB warns that Arrow from execute() copies the rows once more (a few milliseconds
    here); con.sql(), which would not, refuses to run while an earlier result on the connection is unfinished."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)
        table = con.execute(queries.sql(name), params).to_arrow_table()
    return table.to_pandas(date_as_object=False)


def project_facts(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: Settings | None = None,
                  details: bool = True, known_by: dt.date | None = None) -> pd.DataFrame:
    """Every project's state as known at the end of `known_by` (K, default `as_of`) with the flags the figures
    count for the period end `as_of` (E), DOMAIN §4: `<milestone>` (date in
    the year so far), each rate's cohort and hits, `assessed` (亿元以上), `major_manufacturing` and
    `bonus_other` (signed this year and large enough for the bonus), `size_band`; `overdue_months`, its
    overdue updates of the as-of year as a bitmask from January (pipelines.figures.duty.overdue_pairs lists them),
    `owed_months` likewise, and `months_behind` (pipelines.figures.duty.stale_projects). The duty's parameters
    are the frame's attrs["duty"] (pipelines.figures.duty.unit_reports reads them). With `details` also the latest snapshot's texts:
    project_name, investor, investor_uscc, planned_start_date, received_at (figures and scores need none)."""
    settings = settings or current()
    window = Window.of(as_of, settings, known_by)
    params = duty.duty_params(as_of, window.year_start, settings, window.known_by)
    facts = _arrow_frame(con, "project_facts", params)
    if details:
        facts = _with_details(con, facts, as_of, window.known_by)
    flags: dict[str, np.ndarray | pd.Series] = {m.id: _between(facts[m.date_field], window.year_start, as_of) for m in MILESTONES}
    for rate, (opens, hits) in RATES.items():
        flags[f"{rate}_base"] = (flags[f"{_WITHIN_HITS[rate]}_hits"] if rate in _WITHIN_HITS
                                 else _between(facts[opens], window.cohort_start, as_of))
        flags[f"{rate}_hits"] = flags[f"{rate}_base"] & _on_or_before(facts[hits], as_of)
    total = facts["total_investment_wan"].to_numpy(dtype=float)
    rules = settings.assessment
    signed = flags["signed"]
    flags["assessed"] = total >= settings.figures.assess_min_investment_wan
    flags["signed_amount_wan"] = np.where(signed, total, 0.0)
    flags["major_manufacturing"] = signed & (facts["industry"] == MANUFACTURING).to_numpy(dtype=bool) & (
        total >= rules.major_manufacturing_min_wan)
    flags["bonus_other"] = signed & ~flags["major_manufacturing"] & (total >= rules.bonus_other_min_wan)
    flags["size_band"] = _size_bands(total).set_axis(facts.index)
    for column, low, high in SIGNED_BANDS:  # 天门's size bands of 签约 (DOMAIN §7)
        flags[column] = signed & (total >= low) & (total < high)
    flags.update(_investment(con, facts, window, flags["commencement_rate_base"]))
    # One concat instead of a column insert per flag (each insert copies the frame's block layout).
    facts = pd.concat([facts, pd.DataFrame(flags, index=facts.index)], axis=1)
    facts.attrs["duty"] = params
    return facts


def _state_years(facts: pd.DataFrame) -> np.ndarray:
    """The year of each project's state: of the report month of its snapshot in force."""
    return facts["period"].to_numpy(dtype="datetime64[M]").astype("datetime64[Y]").astype(int) + 1970


def _baselines(con: duckdb.DuckDBPyConnection, facts: pd.DataFrame, window: Window, years: np.ndarray) -> np.ndarray:
    """Each project's baseline of 本年完成投资 (DOMAIN §5): the 累计完成投资 of its latest snapshot with a month before
    the year, among the files known by K (0 when none or blank). The timeline keeps it for a state of the year
    (`invested_before_year`); a state still of an earlier year is its own baseline; a state already of a later
    year (a report for an earlier month produced long after) is looked up for those few projects."""
    year = window.year
    invested = facts["invested_to_date_wan"].to_numpy(dtype=float)
    baseline = np.where(years < year, invested,
                        np.where(years == year, facts["invested_before_year"].to_numpy(dtype=float), np.nan))
    later = np.flatnonzero(years > year)
    if len(later):
        ids = pa.table({"project_id": pa.array(facts["project_id"].to_numpy()[later].astype("int64"))})
        con.register("baseline_projects", ids)
        try:
            found = queries.frame(con, "investment_baseline", known_by=window.known_by, year_start=window.year_start)
        finally:
            con.unregister("baseline_projects")
        by_id = dict(zip(found["project_id"].tolist(), found["baseline"].tolist()))
        baseline[later] = [by_id.get(i, np.nan) for i in facts["project_id"].to_numpy()[later].tolist()]
    return np.nan_to_num(baseline, nan=0.0)


def _investment(con: duckdb.DuckDBPyConnection, facts: pd.DataFrame, window: Window,
                signed_cohort: np.ndarray) -> dict[str, np.ndarray]:
    """The per-project parts of 资金到位率, 本年完成投资 and 年度投资完成率 (DOMAIN §5): the signed cohort's 累计到位资金
    (blank: 0) and 计划总投资; 本年完成投资 (累计完成投资 less its baseline; 0 when 累计完成投资 is blank); and, for
    the projects whose state has a 年度计划投资 above 0 (of whichever year's report: DOMAIN §5 takes the state's),
    that plan and their 本年完成投资."""
    total = facts["total_investment_wan"].to_numpy(dtype=float)
    funds = np.nan_to_num(facts["funds_in_place_wan"].to_numpy(dtype=float), nan=0.0)
    invested = facts["invested_to_date_wan"].to_numpy(dtype=float)
    years = _state_years(facts)
    this_year = np.where(np.isnan(invested), 0.0, invested - _baselines(con, facts, window, years))
    plan = np.nan_to_num(facts["annual_plan_wan"].to_numpy(dtype=float), nan=0.0)
    planned = plan > 0
    return {"funds_cohort_wan": np.where(signed_cohort, funds, 0.0),
            "funds_cohort_total_wan": np.where(signed_cohort, total, 0.0),
            "invested_year_wan": this_year, "invested_this_year": this_year != 0,
            "plan_year_wan": np.where(planned, plan, 0.0),
            "plan_invested_year_wan": np.where(planned, this_year, 0.0)}


def _with_details(con: duckdb.DuckDBPyConnection, facts: pd.DataFrame, as_of: dt.date,
                  known_by: dt.date) -> pd.DataFrame:
    """The facts for the period end `as_of` known by `known_by` with their snapshots' texts (snapshot_details.sql),
    matched by project."""
    found = _arrow_frame(con, "snapshot_details", {"as_of": as_of, "known_by": known_by})
    texts = found.drop(columns="project_id").take(pd.Index(found["project_id"]).get_indexer(facts["project_id"]))
    return pd.concat([facts, texts.set_axis(facts.index)], axis=1)


def _size_bands(total_investment_wan: np.ndarray) -> pd.Series:
    """vocabulary.size_band of every value at once (a Python call per project costs ~50 ms at province scale):
    the bands come largest first, so a value's band is the number of bands it does not reach."""
    labels = np.array([b.label for b in SIZE_BANDS] + [""], dtype=object)
    short_of = sum(~(total_investment_wan >= b.min_wan) for b in SIZE_BANDS)
    return pd.Series(labels[short_of], dtype=object)


def _population(facts: pd.DataFrame, population: str, industry: str | None) -> np.ndarray:
    """Which facts rows a screen counts (see select)."""
    if population not in ("assessed", "all"):
        raise ValueError(f"unknown population {population!r}")
    keep = facts["assessed"].to_numpy(dtype=bool) if population == "assessed" else np.ones(len(facts), dtype=bool)
    if industry:
        keep = keep & (facts["industry"] == industry).to_numpy(dtype=bool)
    return keep


def select(facts: pd.DataFrame, population: str = "assessed", industry: str | None = None) -> pd.DataFrame:
    """The projects a screen counts: the assessed population (亿元以上) or 'all', optionally one industry."""
    return facts[_population(facts, population, industry)]


_BANDS = [column for column, _, _ in SIGNED_BANDS]
# Sums of money (万元): 签约金额, and the parts of 资金到位率, 本年完成投资 and 年度投资完成率.
_MONEY = ["signed_amount_wan", "funds_cohort_wan", "funds_cohort_total_wan", "invested_year_wan", "plan_year_wan",
          "plan_invested_year_wan"]
_COUNTED = [*FLOWS, "major_manufacturing", *_BANDS, *(f"{rate}_{part}" for rate in RATES for part in ("base", "hits")),
            *_MONEY]
_COUNTS = [c for c in _COUNTED if c not in _MONEY]  # whole numbers of projects
_COUNTS_SET = frozenset(_COUNTS)
# The rates of sums of money (DOMAIN §5): numerator and denominator columns.
MONEY_RATES: dict[str, tuple[str, str]] = {
    "funds_rate": ("funds_cohort_wan", "funds_cohort_total_wan"),
    "investment_completion_rate": ("plan_invested_year_wan", "plan_year_wan"),
}


def rate_status(rate: float | None, target: float, yellow_band_points: float) -> str | None:
    """达标 at or above target, 黄 below it by up to the band, 红 further below; None without a rate."""
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return None
    if rate >= target:
        return "达标"
    # Rounded so that a rate exactly on the band's edge (0.65 against 0.75) is not pushed out by float error.
    return "黄" if round((target - rate) * 100, 9) <= yellow_band_points else "红"


def rate_targets(settings: Settings) -> dict[str, float | None]:
    """Each rate's target; 开工项目投产率 has none unless [figures] production_target is above 0."""
    fig = settings.figures
    return {"commencement_rate": fig.commencement_target, "stats_rate": fig.stats_target,
            "production_rate": fig.production_target or None}


def _ratio(part: pd.Series, whole: pd.Series) -> np.ndarray:
    """part / whole per row as Python floats, None where whole is not above 0 (DOMAIN §5: null on an empty
    denominator)."""
    part, whole = part.to_numpy(dtype=float), whole.to_numpy(dtype=float)
    found = np.full(len(whole), None, dtype=object)
    some = whole > 0
    found[some] = (part[some] / whole[some]).tolist()
    return found


def _with_rates(tally: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The counts with every rate and its status beside them. Computed on numpy arrays and added in one concat:
    a pandas operation per column costs about a millisecond, tens of them per report."""
    band = settings.figures.rate_yellow_band_points
    rates: dict[str, np.ndarray | list] = {}
    for rate, target in rate_targets(settings).items():
        rates[rate] = _ratio(tally[f"{rate}_hits"], tally[f"{rate}_base"])
        rates[f"{rate}_status"] = [None if target is None else rate_status(r, target, band) for r in rates[rate]]
    for rate, (part, whole) in MONEY_RATES.items():
        rates[rate] = _ratio(tally[part], tally[whole])
    funds_target = settings.figures.funds_target or None
    rates["funds_rate_status"] = [None if funds_target is None else rate_status(r, funds_target, band)
                                  for r in rates["funds_rate"]]
    present = [c for c in rates if c in tally.columns]  # recomputed from the counts
    kept = tally.drop(columns=present) if present else tally
    return pd.concat([kept, pd.DataFrame(rates, index=tally.index)], axis=1)


def _summed(facts: pd.DataFrame, groups: np.ndarray, count: int) -> pd.DataFrame:
    """The counted columns summed per group number 0 … count − 1 (rows numbered −1 are left out), one row per
    group. np.bincount per column: pandas groupby and merges cost tens of milliseconds at province scale."""
    kept = groups >= 0
    values = facts[_COUNTED].to_numpy(dtype=float)[kept]
    sums = pd.DataFrame({column: np.bincount(groups[kept], weights=values[:, i], minlength=count)
                         for i, column in enumerate(_COUNTED)})
    sums[_COUNTS] = sums[_COUNTS].astype(np.int64)  # sums of 0/1 flags: exact in floating point
    return sums


def tally(facts: pd.DataFrame, by: str | None, settings: Settings | None = None) -> pd.DataFrame:
    """Counts of every flow, 签约金额 and both rates with their status, per value of column `by`
    (one row for everything when `by` is None)."""
    if by is None:
        result = _summed(facts, np.zeros(len(facts), dtype=np.int64), 1)
    else:
        groups, values = pd.factorize(facts[by], sort=True)
        result = _summed(facts, groups, len(values)).set_axis(pd.Index(values, name=by))
    return _with_rates(result, settings or current())


def unit_figures(con: duckdb.DuckDBPyConnection, as_of: dt.date, population: str = "assessed",
                 industry: str | None = None, settings: Settings | None = None,
                 facts: pd.DataFrame | None = None, known_by: dt.date | None = None) -> pd.DataFrame:
    """One row per registered unit (code, name, group) with its flows, 签约金额 and rates for the period end
    `as_of` known by `known_by` (default `as_of`); units without projects show zeros and no rates."""
    settings = settings or current()
    facts = project_facts(con, as_of, settings, known_by=known_by) if facts is None else facts
    register = queries.frame(con, "unit_register").rename(columns={"assess_group": "group"})
    # Each project's unit as its row number in the register (−1 when left out or not registered), looked up
    # once per distinct unit code rather than once per project.
    units, codes = pd.factorize(facts["unit_code"])
    rows = pd.Index(register["code"]).get_indexer(codes)
    groups = np.where(_population(facts, population, industry) & (units >= 0), rows[units], -1)
    counts = _with_rates(_summed(facts, groups, len(register)), settings)
    return pd.concat([register, counts], axis=1)


# unit_tally's `later` when no state is of a year after the period end's: no baselines to look up.
_NO_BASELINES = "SELECT CAST(NULL AS INTEGER) AS project_id, CAST(NULL AS DOUBLE) AS baseline WHERE false"
# What unit_tally gives beside unit_figures' columns, per unit over all its projects and files: the projects
# earning a bonus, the overdue updates of the year and those of them forgotten, and the report bitmasks
# (duty.UnitReports.masks: owed, received, on_time).
TALLY_DUTY = ("bonus_major", "bonus_other", "overdue_updates", "forgotten_updates", "owed", "received", "on_time")


def unit_tally(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: Settings | None = None,
               known_by: dt.date | None = None) -> tuple[pd.DataFrame, dict]:
    """unit_figures of the assessed population for the period end `as_of` known by `known_by` (default `as_of`),
    with the columns TALLY_DUTY, counted in the database (unit_tally.sql) rather than from project_facts: the
    same numbers without 10⁵ project rows in Python; and the duty's parameters (duty.duty_params). The parameters
    are not the frame's attrs as with project_facts: pandas deep-copies attrs on every operation on the frame."""
    settings = settings or current()
    window = Window.of(as_of, settings, known_by)
    params = duty.duty_params(as_of, window.year_start, settings, window.known_by)
    rules = settings.assessment
    bands = {f"{column}_{edge}": value for column, low, high in SIGNED_BANDS
             for edge, value in (("low", low), ("high", high))}
    next_year_start = dt.date(as_of.year + 1, 1, 1)
    values = {**params, **bands, "period_end": as_of, "year_start": window.year_start,
              "next_year_start": next_year_start, "cohort_start": window.cohort_start,
              "assess_min": settings.figures.assess_min_investment_wan, "major_min": rules.major_manufacturing_min_wan,
              "bonus_other_min": rules.bonus_other_min_wan, "manufacturing": MANUFACTURING}
    later = [row[0] for row in queries.rows(con, "later_year_projects", as_of=window.known_by,
                                            next_year_start=next_year_start)]
    baselines = _NO_BASELINES
    if later:  # states of a later year: their baselines are looked up (investment_baseline.sql)
        baselines, values["known_by"] = queries.sql("investment_baseline"), window.known_by
        con.register("baseline_projects", pa.table({"project_id": pa.array(later, pa.int64())}))
    sql = ("WITH facts AS (" + queries.sql("project_facts") + "), reports AS (" + queries.sql("unit_reports")
           + "), later AS (" + baselines + "), " + queries.sql("unit_tally"))
    try:
        found = con.execute(sql, values).df()
    finally:
        if later:
            con.unregister("baseline_projects")
    whole = [*_COUNTS, *TALLY_DUTY]
    found[whole] = found[whole].fillna(0).astype(np.int64)  # a unit without projects or files: nothing counted
    found[_MONEY] = found[_MONEY].fillna(0.0).astype(float)
    return _with_rates(found, settings), params


def group_figures(units: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """unit_figures summed per assessment group, rates recomputed from the summed cohorts."""
    counts = units.groupby("group")[_COUNTED].sum()
    return _with_rates(counts, settings or current()).reset_index()


def overall_figures(units: pd.DataFrame, settings: Settings | None = None) -> dict:
    """unit_figures summed over all units, rates recomputed from the summed cohorts."""
    sums = units[_COUNTED].to_numpy(dtype=float).sum(axis=0)  # counts of 0/1 flags: exact in floating point
    counts = pd.DataFrame({c: [int(v) if c in _COUNTS_SET else float(v)] for c, v in zip(_COUNTED, sums)})
    return _with_rates(counts, settings or current()).to_dict("records")[0]


def funnel(facts: pd.DataFrame, as_of: dt.date, cohort: str = "year") -> pd.DataFrame:
    """The funnel from 线索 to 投产: for the cohort ('year': 线索登记日期 in the as-of year; 'all': every project),
    how many reached each milestone by `as_of`, the conversion from the previous step, and the median days
    between the previous milestone and this one (over projects that reached both)."""
    if cohort == "year":
        members = facts[_between(facts["lead_date"], dt.date(as_of.year, 1, 1), as_of)]
    elif cohort == "all":
        members = facts
    else:
        raise ValueError(f"unknown cohort {cohort!r}")
    end = pd.Timestamp(as_of)
    rows, previous = [], None
    for m in MILESTONES:
        dates = pd.to_datetime(members[m.date_field])
        reached = dates <= end
        row = {"milestone": m.id, "label": m.label, "reached": int(reached.sum()),
               "conversion": None, "median_days": None}
        if previous is not None:
            prev_dates, prev_count = previous
            row["conversion"] = row["reached"] / prev_count if prev_count else None
            both = reached & (prev_dates <= end)
            days = (dates[both] - prev_dates[both]).dt.days
            row["median_days"] = float(days.median()) if len(days) else None
        rows.append(row)
        previous = (dates, row["reached"])
    return pd.DataFrame(rows)


def mix(facts: pd.DataFrame, by: str) -> pd.DataFrame:
    """Projects and 计划总投资 (万元) per industry ('industry') or size band ('size_band'), largest band first."""
    grouped = facts.groupby(by).agg(projects=("project_id", "size"), investment_wan=("total_investment_wan", "sum"))
    if by == "size_band":
        grouped = grouped.reindex([b.label for b in SIZE_BANDS], fill_value=0)
    return grouped.reset_index()
