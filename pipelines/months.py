"""Month arithmetic, the one home: months later or earlier, month, quarter and year ends, and the day a report
month's update falls due. Plain calendar rules; what a month means for a figure lives with the figure."""
from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
import pandas as pd

# The days the product works with: a date outside them in a workbook, a form or a command is a typo (0001-01-01,
# 9999-12-31, Excel's 1900 serials), refused with this range named, and month arithmetic never leaves it.
EARLIEST, LATEST = dt.date(1990, 1, 1), dt.date(2099, 12, 31)
RANGE_TEXT = f"{EARLIEST:%Y-%m-%d} 至 {LATEST:%Y-%m-%d}"


def in_range(day: dt.date) -> bool:
    """Whether `day` (a date or a datetime) lies within EARLIEST … LATEST."""
    day = day.date() if isinstance(day, dt.datetime) else day
    return EARLIEST <= day <= LATEST


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (or earlier), clamped to the month's last day: a month's first
    day gives a first day, 31 January plus one month gives the last day of February."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def month_end(day: dt.date) -> dt.date:
    """The last day of the month `day` falls in."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def is_month_end(day: dt.date) -> bool:
    return day == month_end(day)


def previous_month_end(day: dt.date) -> dt.date:
    """The last day of the month before the one `day` falls in."""
    return day.replace(day=1) - dt.timedelta(days=1)


def quarter_end(year: int, quarter: int) -> dt.date:
    """The last day of quarter 1–4 of `year`."""
    return month_end(dt.date(year, 3 * quarter, 1))


def previous_quarter_end(day: dt.date) -> dt.date:
    """The last day of the quarter before the one `day` falls in."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1) - dt.timedelta(days=1)


def previous_year_end(day: dt.date) -> dt.date:
    """31 December of the year before `day`'s."""
    return dt.date(day.year - 1, 12, 31)


def due_date(period: dt.date, due_day: int) -> dt.date:
    """The last day on which the update for report month `period` is on time: day `due_day` of the next month."""
    return add_months(period.replace(day=1), 1).replace(day=due_day)


def months_between(start: pd.Series, end: dt.date) -> pd.Series:
    """Whole calendar months from each date of `start` to `end` (a month is complete on the same day-of-month,
    or the month's last day when it is shorter)."""
    start = pd.to_datetime(start)
    end_ts = pd.Timestamp(end)
    raw = (end_ts.year - start.dt.year) * 12 + (end_ts.month - start.dt.month)
    short = np.minimum(start.dt.day, end_ts.days_in_month) > end_ts.day
    return raw - short.astype(int)


def add_months_clamped(days: pd.Series, months: int) -> pd.Series:
    """Each date `months` calendar months later, clamped to the month's last day."""
    return pd.to_datetime(days) + pd.DateOffset(months=months)
