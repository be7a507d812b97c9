"""The monthly update duty (DOMAIN §6): overdue updates, charged to units, and projects currently stale.

One implementation serves the assessment's deductions and the stale-update warning."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from pipelines import queries
from pipelines.settings import Settings, current


def add_months(first_day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before) the month of `first_day`."""
    index = first_day.year * 12 + first_day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def due_date(period: dt.date, due_day: int) -> dt.date:
    """The last day on which the update for report month `period` is on time."""
    return add_months(period.replace(day=1), 1).replace(day=due_day)


def last_due_period(as_of: dt.date, due_day: int) -> dt.date:
    """The latest report month whose due date is on or before `as_of`."""
    month = as_of.replace(day=1)
    return add_months(month, -1) if as_of.day >= due_day else add_months(month, -2)


def update_duty(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: Settings | None = None) -> pd.DataFrame:
    """Every (project, period) owed and already due as of `as_of`: unit, due date, first arrival, on_time,
    received. Overdue = not on_time; stale = not received."""
    due_day = (settings or current()).duty.due_day
    return queries.frame(con, "update_duty", as_of=as_of, due_day=due_day,
                         last_due_period=last_due_period(as_of, due_day))


def overdue_updates(con: duckdb.DuckDBPyConnection, as_of: dt.date, year: int | None = None,
                    settings: Settings | None = None) -> pd.DataFrame:
    """The overdue updates (project, period) as of `as_of`, those for periods in `year` when given."""
    duty = update_duty(con, as_of, settings)
    overdue = duty[~duty["on_time"]]
    if year is not None:
        overdue = overdue[pd.to_datetime(overdue["period"]).dt.year == year]
    return overdue.reset_index(drop=True)


def stale_projects(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: Settings | None = None) -> pd.DataFrame:
    """Projects currently stale as of `as_of`: unit, how many months behind, and the oldest month missing."""
    duty = update_duty(con, as_of, settings)
    missing = duty[~duty["received"]]
    return (missing.groupby(["project_id", "unit_code"], as_index=False)
            .agg(months_behind=("period", "size"), oldest_missing=("period", "min")))
