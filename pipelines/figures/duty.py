"""The monthly update duty (DOMAIN §6): overdue updates, charged to units, and projects currently stale.

One implementation serves the assessment's deductions and the stale-update warning: the rule is computed in SQL
together with every project's as-of state (pipelines/store/sql/project_facts.sql: `overdue_months`, a bitmask over a
window of report months, and `months_behind` since `reported_until`), and this module turns those into
(project, month) rows and stale projects."""
from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from pipelines.months import add_months
from pipelines.settings import Settings, current
from pipelines.store import queries

# The most report months one query judges: the width of its bitmask (a BIGINT holds 63 bits).
WINDOW_MONTHS = 60


def last_due_period(as_of: dt.date, due_day: int) -> dt.date:
    """The latest report month whose due date is on or before `as_of`."""
    month = as_of.replace(day=1)
    return add_months(month, -1) if as_of.day >= due_day else add_months(month, -2)


def duty_params(as_of: dt.date, first_period: dt.date, settings: Settings | None = None) -> dict:
    """The parameters with which project_facts.sql judges the update duty as of `as_of`: due_day, last_due (the
    last report month already due) and the window of months whose overdue updates it marks, from
    `first_period` to last_due but at most WINDOW_MONTHS of them: first_period, last_period (an empty window
    when nothing from `first_period` on is due yet)."""
    due_day = (settings or current()).duty.due_day
    first = first_period.replace(day=1)
    last_due = last_due_period(as_of, due_day)
    last = min(last_due, add_months(first, WINDOW_MONTHS - 1))
    return {"due_day": due_day, "first_period": first, "last_period": last, "last_due": last_due}


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
        facts = queries.frame(con, "project_facts", as_of=as_of,
                              **duty_params(as_of, as_of.replace(month=1, day=1), settings))
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
