"""Month arithmetic: months later and earlier (clamped), month, quarter and year ends, due days."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipelines import months

D = dt.date


@pytest.mark.parametrize(("day", "n", "expected"), [
    (D(2024, 1, 1), 1, D(2024, 2, 1)), (D(2024, 1, 1), -1, D(2023, 12, 1)), (D(2024, 12, 1), 1, D(2025, 1, 1)),
    (D(2024, 1, 31), 1, D(2024, 2, 29)), (D(2023, 1, 31), 1, D(2023, 2, 28)), (D(2024, 3, 31), -1, D(2024, 2, 29)),
    (D(2024, 5, 15), -17, D(2022, 12, 15)), (D(2024, 5, 15), 0, D(2024, 5, 15)), (D(2024, 8, 31), 60, D(2029, 8, 31)),
])
def test_add_months_keeps_the_day_or_the_months_last(day, n, expected):
    """A first day stays a first day; a day past the target month's end becomes its last day."""
    assert months.add_months(day, n) == expected


@pytest.mark.parametrize(("day", "end"), [
    (D(2024, 2, 1), D(2024, 2, 29)), (D(2023, 2, 14), D(2023, 2, 28)), (D(2024, 4, 30), D(2024, 4, 30)),
    (D(2024, 12, 1), D(2024, 12, 31)), (D(2100, 2, 1), D(2100, 2, 28)), (D(2000, 2, 1), D(2000, 2, 29)),
])
def test_month_end(day, end):
    """The last day of the month, leap years included (1900-style centuries are not leap years, 2000 is)."""
    assert months.month_end(day) == end
    assert months.is_month_end(end) and not months.is_month_end(end - dt.timedelta(days=1))


@pytest.mark.parametrize(("day", "previous"), [
    (D(2024, 3, 1), D(2024, 2, 29)), (D(2024, 1, 31), D(2023, 12, 31)), (D(2024, 7, 15), D(2024, 6, 30)),
])
def test_previous_month_end(day, previous):
    assert months.previous_month_end(day) == previous


@pytest.mark.parametrize(("quarter", "end"), [(1, D(2024, 3, 31)), (2, D(2024, 6, 30)), (3, D(2024, 9, 30)),
                                              (4, D(2024, 12, 31))])
def test_quarter_end(quarter, end):
    assert months.quarter_end(2024, quarter) == end


@pytest.mark.parametrize(("as_of", "previous"), [
    (D(2024, 3, 31), D(2023, 12, 31)), (D(2024, 1, 1), D(2023, 12, 31)), (D(2024, 4, 1), D(2024, 3, 31)),
    (D(2024, 6, 30), D(2024, 3, 31)), (D(2024, 7, 1), D(2024, 6, 30)), (D(2024, 12, 31), D(2024, 9, 30)),
])
def test_previous_quarter_end(as_of, previous):
    assert months.previous_quarter_end(as_of) == previous


def test_previous_year_end():
    assert months.previous_year_end(D(2024, 1, 1)) == months.previous_year_end(D(2024, 12, 31)) == D(2023, 12, 31)


@pytest.mark.parametrize(("period", "due_day", "due"), [
    (D(2024, 12, 1), 10, D(2025, 1, 10)), (D(2024, 1, 1), 10, D(2024, 2, 10)), (D(2024, 1, 15), 5, D(2024, 2, 5)),
])
def test_due_date_is_the_due_day_of_the_next_month(period, due_day, due):
    assert months.due_date(period, due_day) == due


def test_add_months_clamped_for_a_column():
    """The column form agrees with add_months day by day."""
    days = [D(2024, 1, 31), D(2023, 11, 30), D(2024, 2, 29)]
    shifted = months.add_months_clamped(pd.Series(days), 1).dt.date.tolist()
    assert shifted == [months.add_months(day, 1) for day in days] == [D(2024, 2, 29), D(2023, 12, 30), D(2024, 3, 29)]
