"""The monthly update duty (DOMAIN §6): overdue updates, charged to units, projects currently stale, and each
unit's monthly reports (expected, received, on time; late reports and forgotten updates).

One implementation serves the assessment's deductions and the warnings: the rule is computed in SQL together
with every project's as-of state (pipelines/store/sql/project_facts.sql: `owed_months` and `overdue_months`,
bitmasks over a window of report months, and `months_behind` since `reported_until`), and this module turns
those into (project, month) rows, stale projects and per-unit reports."""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from pipelines.months import add_months, due_date
from pipelines.settings import Settings, current
from pipelines.store import queries

# The most report months one query judges: the width of its bitmask (a BIGINT holds 63 bits).
WINDOW_MONTHS = 60


def last_due_period(as_of: dt.date, due_day: int) -> dt.date:
    """The latest report month whose due date is on or before `as_of`."""
    month = as_of.replace(day=1)
    return add_months(month, -1) if as_of.day >= due_day else add_months(month, -2)


def duty_params(as_of: dt.date, first_period: dt.date, settings: Settings | None = None,
                known_by: dt.date | None = None) -> dict:
    """The parameters with which project_facts.sql judges the update duty for the period end `as_of` (E) known by
    `known_by` (K, default E; DOMAIN §4): as_of (the day the query reads the state as of: K), due_day, last_due
    (the last report month already due by K) and the window of months whose duty it marks: from `first_period`
    to the month of E, but at most WINDOW_MONTHS of them: first_period, last_period. Months of the window after
    last_due are owed but not yet due: they count in `owed_months` (who owes the month of a report, DOMAIN §4),
    never as overdue or expected."""
    known = known_by or as_of
    due_day = (settings or current()).duty.due_day
    first = first_period.replace(day=1)
    last_due = last_due_period(known, due_day)
    last = min(as_of.replace(day=1), add_months(first, WINDOW_MONTHS - 1))
    return {"as_of": known, "due_day": due_day, "first_period": first, "last_period": last, "last_due": last_due}


def overdue_pairs(facts: pd.DataFrame, first_period: dt.date, due_day: int) -> pd.DataFrame:
    """The overdue updates marked in the facts' `overdue_months` (bit n: the month `first_period` + n), one row
    each: project_id, project_code, unit_code (of its latest snapshot), period, due_date, and received (a
    snapshot for that month or a later one has arrived by the as-of day; false = the project is still stale)."""
    masks = facts["overdue_months"].to_numpy(dtype=np.int64)
    owing = np.flatnonzero(masks)
    width = int(masks.max()).bit_length() if len(owing) else 0  # the months of the window in use
    rows, offsets = np.nonzero((masks[owing, None] >> np.arange(width)) & 1)
    picked = owing[rows]
    months = np.datetime64(first_period.replace(day=1), "M") + offsets
    periods = months.astype("datetime64[s]")
    reported_until = facts["reported_until"].to_numpy().astype("datetime64[s]")[picked]

    def column(name: str) -> pd.Series:
        return facts[name].take(picked).reset_index(drop=True)

    return pd.DataFrame({
        "project_id": column("project_id"),
        "project_code": column("project_code"),
        "unit_code": column("unit_code"),
        "period": periods,
        "due_date": (months + 1).astype("datetime64[s]") + np.timedelta64(due_day - 1, "D"),
        "received": periods <= reported_until,
    })


def update_duty(con: duckdb.DuckDBPyConnection, as_of: dt.date, first_period: dt.date | None = None,
                settings: Settings | None = None) -> pd.DataFrame:
    """Every overdue update (project, period) as of `as_of` for the report months from `first_period` (default:
    the earliest reported) to the last one already due, oldest first; columns as overdue_pairs."""
    settings = settings or current()
    due_day = settings.duty.due_day
    frames: list[pd.DataFrame] = []
    end, earliest = last_due_period(as_of, due_day), first_period
    # Window by window from the newest back; without a first_period the first answer says how far back to go.
    while earliest is None or end >= earliest.replace(day=1):
        start = add_months(end, 1 - WINDOW_MONTHS)
        if earliest is not None:
            start = max(start, earliest.replace(day=1))
        facts = queries.frame(con, "project_facts", as_of=as_of, due_day=due_day, first_period=start, last_period=end,
                              last_due=last_due_period(as_of, due_day))
        frames.insert(0, overdue_pairs(facts, start, due_day))
        if earliest is None:
            earliest = facts["first_period"].min().date() if len(facts) else end
        end = add_months(start, -1)
    if not frames:
        no_projects = pd.DataFrame({"project_id": [], "project_code": [], "unit_code": [], "overdue_months": [],
                                    "reported_until": []})
        return overdue_pairs(no_projects, end, due_day)
    return pd.concat(frames, ignore_index=True)


def overdue_updates(con: duckdb.DuckDBPyConnection, as_of: dt.date, year: int | None = None,
                    settings: Settings | None = None) -> pd.DataFrame:
    """The overdue updates (project, period) as of `as_of`, those for periods in `year` when given."""
    if year is None:
        return update_duty(con, as_of, settings=settings)
    duty = update_duty(con, as_of, dt.date(year, 1, 1), settings)
    return duty[duty["period"].dt.year == year].reset_index(drop=True)


def stale_projects(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: Settings | None = None,
                   facts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Projects currently stale as of `as_of`: project_id, unit_code (of its latest snapshot), how many months
    behind and the oldest month missing. `facts` may pass project_facts as of `as_of` (any window) when they are
    already at hand: they say it in `months_behind` and `reported_until`."""
    if facts is None:
        facts = queries.frame(con, "project_facts", **duty_params(as_of, as_of.replace(month=1, day=1), settings))
    stale = facts[facts["months_behind"] > 0]
    after = stale["reported_until"].to_numpy().astype("datetime64[M]") + 1
    return pd.DataFrame({"project_id": stale["project_id"].to_numpy(), "unit_code": stale["unit_code"].to_numpy(),
                         "months_behind": stale["months_behind"].to_numpy(dtype=np.int64),
                         "oldest_missing": after.astype("datetime64[s]")})


def unreported_units(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: Settings | None = None) -> pd.DataFrame:
    """The units whose report for the latest month already due as of `as_of` has not arrived: code, name,
    last_period (the latest month they did report); with that month as the frame's attrs['period']."""
    period = last_due_period(as_of, (settings or current()).duty.due_day)
    units = queries.frame(con, "unreported_units", as_of=as_of, period=period)
    units.attrs["period"] = period
    return units


@dataclass(frozen=True)
class UnitReports:
    """Each unit's monthly reports for the duty window of a figure (DOMAIN §6), as bitmasks over the window's
    months (bit n: the month `first_period` + n), indexed by unit code: `owed` (a project charged to the unit
    owes an update for the month, due or not yet), `expected` (the same for the months already due by the
    knowledge day), `received` (a file of the unit with an accepted row for the month had arrived by the
    knowledge day), `on_time` (one had arrived by the month's due day); and the overdue updates with, per pair,
    whether its unit's report for the month was on time (`forgotten`)."""

    first_period: dt.date
    months: int  # width of the window
    masks: pd.DataFrame  # index unit_code; columns owed, expected, received, on_time (int64)
    overdue: pd.DataFrame | None  # overdue_pairs plus `forgotten`; None when counted in the database (reports_of)

    @functools.cached_property
    def _counts(self) -> dict[str, dict]:
        masks = self.masks
        return {unit: _report_counts(int(expected), int(received), int(on_time), self.first_period, self.months)
                for unit, expected, received, on_time in zip(masks.index.tolist(), masks["expected"].tolist(),
                                                             masks["received"].tolist(), masks["on_time"].tolist())}

    def counts(self, unit: str) -> dict:
        """reports_expected, _received, _on_time, reporting_rate, on_time_rate, late_reports and the late and
        missing months (first days) of `unit`."""
        return self._counts.get(unit) or _report_counts(0, 0, 0, self.first_period, self.months)

    def not_received(self, month: dt.date) -> list[str]:
        """The units that owe `month` (a month of the window, due or not) and whose report for it had not
        arrived by the knowledge day, by code."""
        bit = (month.year - self.first_period.year) * 12 + month.month - self.first_period.month
        if not 0 <= bit < self.months:
            raise ValueError(f"{month:%Y-%m} is outside the window from {self.first_period:%Y-%m}")
        owed, received = (self.masks[c].to_numpy(dtype=np.int64) for c in ("owed", "received"))
        return sorted(self.masks.index[((owed & ~received) >> bit & 1).astype(bool)])


def report_rates(counts: dict) -> dict:
    """报送率 and 及时率 (DOMAIN §6) from counts of expected, received and on-time reports; None when nothing is
    expected."""
    expected = counts["reports_expected"]
    return {"reporting_rate": counts["reports_received"] / expected if expected else None,
            "on_time_rate": counts["reports_on_time"] / expected if expected else None}


def _months_of(mask: int, first_period: dt.date, width: int) -> list[dt.date]:
    return [add_months(first_period, n) for n in range(width) if mask >> n & 1]


def _report_counts(expected: int, received: int, on_time: int, first_period: dt.date, width: int) -> dict:
    late = expected & ~on_time
    counts = {"reports_expected": expected.bit_count(), "reports_received": (expected & received).bit_count(),
              "reports_on_time": (expected & on_time).bit_count(), "late_reports": late.bit_count()}
    return {**counts, **report_rates(counts), "late_months": _months_of(late, first_period, width),
            "missing_months": _months_of(expected & ~received, first_period, width)}


def unit_reports(con: duckdb.DuckDBPyConnection, facts: pd.DataFrame, params: dict) -> UnitReports:
    """The units' monthly reports over the duty window of `params` (duty_params, with which `facts`, the
    project_facts rows, were read): expected from the facts' `owed_months` per unit of each project's latest
    snapshot, received and on time from unit_reports (unit_reports.sql)."""
    first, last = params["first_period"], params["last_period"]
    owed = facts["owed_months"].to_numpy(dtype=np.int64)
    groups, units = pd.factorize(facts["unit_code"])
    owed_by_unit = np.zeros(len(units), dtype=np.int64)
    np.bitwise_or.at(owed_by_unit, groups[groups >= 0], owed[groups >= 0])
    masks = pd.DataFrame({"owed": owed_by_unit}, index=pd.Index(units, name="unit_code"))
    arrived = queries.frame(con, "unit_reports", first_period=first, last_period=last, as_of=params["as_of"],
                            due_day=params["due_day"]).set_index("unit_code")
    masks = masks.join(arrived, how="outer").fillna(0).astype(np.int64)
    reports = reports_of(masks, params)
    overdue = overdue_pairs(facts, first, params["due_day"])
    on_time = masks["on_time"]
    offsets = ((overdue["period"].dt.year - first.year) * 12 + overdue["period"].dt.month - first.month).to_numpy()
    unit_on_time = on_time.reindex(overdue["unit_code"]).fillna(0).to_numpy(dtype=np.int64)
    overdue["forgotten"] = (unit_on_time >> offsets.astype(np.int64) & 1).astype(bool)
    return dataclasses.replace(reports, overdue=overdue)


def reports_of(masks: pd.DataFrame, params: dict) -> UnitReports:
    """The units' reports over the duty window of `params` (duty_params) from their masks `owed`, `received` and
    `on_time` (index unit_code), without the overdue pairs (`overdue` None): what measures.unit_tally counts in
    the database."""
    first, last, last_due = params["first_period"], params["last_period"], params["last_due"]
    width = max(0, (last.year - first.year) * 12 + last.month - first.month + 1)
    due_months = max(0, min(width, (last_due.year - first.year) * 12 + last_due.month - first.month + 1))
    owed = masks["owed"].to_numpy(dtype=np.int64)
    masks = pd.DataFrame({"owed": owed, "expected": owed & ((1 << due_months) - 1),
                          "received": masks["received"].to_numpy(dtype=np.int64),
                          "on_time": masks["on_time"].to_numpy(dtype=np.int64)}, index=masks.index)
    return UnitReports(first, width, masks, None)


def month_reports(con: duckdb.DuckDBPyConnection, period: dt.date, known_by: dt.date,
                  settings: Settings | None = None) -> pd.DataFrame:
    """Every registered unit's report for month `period` as known at the end of `known_by` (DOMAIN §6), one row
    per unit: code, name, group, owes (a project charged to it owes an update for the month, whether or not it is
    due yet), projects_owing, first_received / last_received (NaT: not arrived), first_by / last_by, files,
    rows_loaded, rows_rejected, due_date, on_time (the first file came by the due day), state (received_on_time /
    received_late / not_received / not_owed)."""
    settings = settings or current()
    period = period.replace(day=1)
    due_day = settings.duty.due_day
    # The projects owing the month per unit, counted over project_facts in the database (its 10⁵ rows at province
    # scale never become a frame: that took ~0.5 s of the big screen's first view).
    owing = dict(con.execute(
        "SELECT unit_code, count(*) FROM (" + queries.sql("project_facts") + ") WHERE owed_months & 1 = 1 "
        "GROUP BY unit_code",
        {"as_of": known_by, "due_day": due_day, "first_period": period, "last_period": period,
         "last_due": last_due_period(known_by, due_day)}).fetchall())
    found = queries.frame(con, "month_reports", period=period, as_of=known_by)
    found["projects_owing"] = found["code"].map(owing).fillna(0).astype(int)
    found["owes"] = found["projects_owing"] > 0
    due = due_date(period, due_day)
    found["due_date"] = due
    arrived = found["first_received"].notna()
    found["on_time"] = arrived & (found["first_received"] < pd.Timestamp(due + dt.timedelta(days=1)))
    found["state"] = np.select([found["on_time"], arrived, found["owes"]],
                               ["received_on_time", "received_late", "not_received"], "not_owed")
    return found


# How many report months back from the latest one already due missing_reports looks for a run of missing ones.
_MISSING_LOOKBACK = 12


def missing_reports(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: Settings | None = None) -> pd.DataFrame:
    """The units whose report for the latest month already due as of `as_of` has not arrived though a project
    charged to them owes that month (DOMAIN §8 report_missing), one row each: unit_code, months (how many of the
    latest due months in a row are missing, from that month back), oldest (the first of them), latest (that
    month), due_date (the latest month's due day)."""
    settings = settings or current()
    due_day = settings.duty.due_day
    latest = last_due_period(as_of, due_day)
    first = add_months(latest, 1 - _MISSING_LOOKBACK)
    params = {"as_of": as_of, "due_day": due_day, "first_period": first, "last_period": latest, "last_due": latest}
    facts = queries.frame(con, "project_facts", **params)
    reports = unit_reports(con, facts, params).masks
    top = _MISSING_LOOKBACK - 1
    rows = []
    for unit, expected, received in zip(reports.index, reports["expected"], reports["received"]):
        missing = int(expected) & ~int(received)
        run = 0
        while run <= top and missing >> (top - run) & 1:
            run += 1
        if run:
            rows.append({"unit_code": unit, "months": run, "oldest": add_months(latest, 1 - run), "latest": latest,
                         "due_date": due_date(latest, due_day)})
    return pd.DataFrame(rows, columns=["unit_code", "months", "oldest", "latest", "due_date"])


def latest_reports(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, dt.date]:
    """Each unit's latest report month (first day) for which a file with an accepted row had arrived by `as_of`."""
    found = queries.frame(con, "unit_latest_reports", as_of=as_of)
    return {unit: pd.Timestamp(month).date() for unit, month in zip(found["unit_code"], found["latest_period"])}
